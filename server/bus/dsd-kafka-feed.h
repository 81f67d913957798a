/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dsd-event-bus.h"
#include "dsd-metrics.h"
#include "dsd-pg-pool.h"

G_BEGIN_DECLS

/*
 * Every instance's view of the events topic: all partitions assigned (no
 * consumer group), from a little before the instance started; repeats
 * (seq ≤ the last one seen) dropped, the partitions merged back into seq
 * order (DsdSeqMerger) and published on the local bus, so that streams,
 * resume ring, fleet and engine work as on a single node. A gap that does not
 * close within GAP_DEADLINE_MS, a full reorder buffer, or events the relay
 * numbered that Kafka does not bring (an outage) are read from PostgreSQL
 * (dispatch.events_since): never skipped.
 */
#define DSD_TYPE_KAFKA_FEED (dsd_kafka_feed_get_type ())
G_DECLARE_FINAL_TYPE (DsdKafkaFeed, dsd_kafka_feed, DSD, KAFKA_FEED, GObject)

DsdKafkaFeed *dsd_kafka_feed_new   (DsdPgPool     *pool,
                                    DsdEventBus   *bus,
                                    DsdMetrics    *metrics,
                                    const char    *brokers,
                                    const char    *topic,
                                    GError       **error);
/* Starts after the last seq numbered now. */
void          dsd_kafka_feed_start (DsdKafkaFeed  *self);
void          dsd_kafka_feed_stop  (DsdKafkaFeed  *self);
/* Whether the partitions of the topic are assigned. */
gboolean      dsd_kafka_feed_is_following (DsdKafkaFeed *self);

G_END_DECLS
