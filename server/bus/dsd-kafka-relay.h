/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dsd-metrics.h"
#include "dsd-pg-listener.h"
#include "dsd-pg-pool.h"

G_BEGIN_DECLS

/*
 * The outbox relay of cluster mode. One leader at a time: the instance that
 * holds a PostgreSQL session advisory lock on a connection of its own (lost
 * with the connection, so a killed leader frees it at once). The leader first
 * publishes again, with their seq, the numbered events Kafka has not
 * acknowledged (relay_state.acked_seq), then claims new ones
 * (dispatch.relay_claim) and produces them to the events topic with the
 * idempotent producer, keyed by order or driver, the seq in a header. Only
 * delivery reports move acked_seq (dispatch.relay_ack), over the contiguous
 * acknowledged prefix.
 */
#define DSD_TYPE_KAFKA_RELAY (dsd_kafka_relay_get_type ())
G_DECLARE_FINAL_TYPE (DsdKafkaRelay, dsd_kafka_relay, DSD, KAFKA_RELAY, GObject)

DsdKafkaRelay *dsd_kafka_relay_new        (DsdPgPool      *pool,
                                           DsdPgListener  *listener,
                                           DsdMetrics     *metrics,
                                           const char     *brokers,
                                           const char     *topic,
                                           GError        **error);
void           dsd_kafka_relay_start      (DsdKafkaRelay  *self);
/* Stops claiming, releases the lock and waits at most deadline_ms for Kafka
 * to acknowledge what is in flight. */
void           dsd_kafka_relay_stop       (DsdKafkaRelay  *self,
                                           guint           deadline_ms);

G_END_DECLS
