/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dsd-bus-backend.h"
#include "dsd-kafka-group.h"

G_BEGIN_DECLS

/*
 * The Kafka bus backend (cluster mode, docs/cluster.md). At start it creates
 * the topics that are missing (admin API, with a deadline, retried until the
 * cluster answers), then runs the relay (DsdKafkaRelay, with the relay role),
 * the events feed (DsdKafkaFeed) and the locations exchange
 * (DsdKafkaLocations). Every 2 s a metadata request (on a worker thread, at
 * most 1.5 s) tells whether the cluster is reachable: the bus's status.
 */
#define DSD_TYPE_KAFKA_BUS (dsd_kafka_bus_get_type ())
G_DECLARE_FINAL_TYPE (DsdKafkaBus, dsd_kafka_bus, DSD, KAFKA_BUS, GObject)

DsdKafkaBus *dsd_kafka_bus_new (DsdConfig      *config,
                                DsdPgPool      *pool,
                                DsdPgListener  *listener,
                                DsdEventBus    *bus,
                                DsdMetrics     *metrics,
                                GError        **error);
/* A member of the consumer group "<prefix><role>" on the events topic, its
 * dead letters to "<prefix>dead-letters" after DISPATCH_KAFKA_MAX_ATTEMPTS. */
DsdKafkaGroup *dsd_kafka_bus_new_group (DsdKafkaBus        *self,
                                        const char         *role,
                                        DsdKafkaGroupFunc   handler,
                                        gpointer            user_data,
                                        GError            **error);

G_END_DECLS
