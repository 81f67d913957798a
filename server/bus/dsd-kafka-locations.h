/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dsd-event-bus.h"
#include "dsd-metrics.h"

G_BEGIN_DECLS

/*
 * Live driver positions between instances. Every driver.location this
 * instance's ingest puts on the local bus is produced to the locations topic
 * (keyed by driver, batched and compressed, the instance's id in an "origin"
 * header; at most once: a point lost in an outage is superseded by the
 * next). Every instance reads all partitions from the end, skips its own
 * records and publishes the others on its local bus.
 */
#define DSD_TYPE_KAFKA_LOCATIONS (dsd_kafka_locations_get_type ())
G_DECLARE_FINAL_TYPE (DsdKafkaLocations, dsd_kafka_locations, DSD, KAFKA_LOCATIONS, GObject)

DsdKafkaLocations *dsd_kafka_locations_new   (DsdEventBus        *bus,
                                              DsdMetrics         *metrics,
                                              const char         *brokers,
                                              const char         *topic,
                                              GError            **error);
void               dsd_kafka_locations_start (DsdKafkaLocations  *self);
/* Waits at most deadline_ms for the points in flight. */
void               dsd_kafka_locations_stop  (DsdKafkaLocations  *self,
                                              guint               deadline_ms);

G_END_DECLS
