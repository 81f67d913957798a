/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dsd-event.h"
#include "dsd-metrics.h"

G_BEGIN_DECLS

/*
 * Work that must happen once across instances: a member of a Kafka consumer
 * group on the events topic (eager range/roundrobin assignment, the safe
 * choice with librdkafka 2.0.2). Each record is handed to the handler in
 * partition order; its offset is stored only after the handler succeeded
 * (enable.auto.offset.store=false) and stored offsets are committed every
 * second and at stop, so delivery is at least once and handlers' effects
 * must be idempotent (the notifier and the engine record what they did in
 * the same PostgreSQL transaction as the effect). A record that fails
 * max_attempts times goes to the dead-letter topic with headers "error",
 * "origin" (group and instance), "seq", "attempts" and its source topic,
 * partition and offset, and the group moves on.
 */
#define DSD_TYPE_KAFKA_GROUP (dsd_kafka_group_get_type ())
G_DECLARE_FINAL_TYPE (DsdKafkaGroup, dsd_kafka_group, DSD, KAFKA_GROUP, GObject)

/* The handler, called as handler (user_data, event, error): a method of the
 * object that does the work fits. */
typedef gboolean (*DsdKafkaGroupFunc) (gpointer   user_data,
                                       DsdEvent  *event,
                                       GError   **error);

DsdKafkaGroup *dsd_kafka_group_new   (DsdMetrics         *metrics,
                                      const char         *brokers,
                                      const char         *topic,
                                      const char         *group_id,
                                      const char         *dead_letter_topic,
                                      guint               max_attempts,
                                      DsdKafkaGroupFunc   handler,
                                      gpointer            user_data,
                                      GError            **error);
void           dsd_kafka_group_start (DsdKafkaGroup      *self);
/* Commits what was processed and leaves the group (at most deadline_ms). */
void           dsd_kafka_group_stop  (DsdKafkaGroup      *self,
                                      guint               deadline_ms);

G_END_DECLS
