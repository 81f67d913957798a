/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <librdkafka/rdkafka.h>

G_BEGIN_DECLS

/*
 * What every librdkafka handle of the server shares (docs/cluster.md):
 * configuration from key/value pairs, and a watch that wakes the GLib main
 * loop when a librdkafka queue has something (rd_kafka_queue_io_event_enable
 * writes one byte into a non-blocking pipe on the empty → non-empty edge; on
 * each wake-up the pipe is drained, then the queue until it is empty). No
 * librdkafka call made through these blocks the main loop.
 */

/* Handles a queue that became non-empty; returns TRUE when it stopped early
 * (budget) and wants to be called again from an idle. */
typedef gboolean (*DsdKafkaQueueFunc) (rd_kafka_queue_t *queue,
                                       gpointer          user_data);

typedef struct _DsdKafkaWatch DsdKafkaWatch;

/* Takes queue (destroyed with the watch). */
DsdKafkaWatch   *dsd_kafka_watch_new  (rd_kafka_queue_t   *queue,
                                       DsdKafkaQueueFunc   func,
                                       gpointer            user_data);
void             dsd_kafka_watch_free (DsdKafkaWatch      *self);

/* A configuration with bootstrap.servers, Nagle off, and the NULL-terminated
 * name/value pairs; NULL with an error naming a refused setting. */
rd_kafka_conf_t *dsd_kafka_conf_new   (const char         *brokers,
                                       const char * const *pairs,
                                       GError            **error);
/* A handle of that type (takes conf); NULL with an error. */
rd_kafka_t      *dsd_kafka_new        (rd_kafka_type_t     type,
                                       rd_kafka_conf_t    *conf,
                                       GError            **error);

/* Produces one state event as the relay publishes it: the envelope as value,
 * key the aggregate (nullable), seq in a "seq" header; opaque comes back in
 * its delivery report. */
rd_kafka_resp_err_t dsd_kafka_produce_event (rd_kafka_t    *rk,
                                             const char    *topic,
                                             gint64         seq,
                                             gconstpointer  envelope,
                                             gsize          length,
                                             const char    *key,
                                             gpointer       opaque);

/* The value of a header as a string (NULL when absent); copied into buf. */
const char      *dsd_kafka_header     (const rd_kafka_message_t *message,
                                       const char         *name,
                                       char               *buf,
                                       gsize               size);

/* Assigns every partition of topic to the consumer rk (no group), each
 * from the first record at or after since_ms (ms since the epoch), or from
 * the end when since_ms is 0; the metadata and offset look-ups run on a
 * worker thread with a timeout each. rk must live until the callback ran.
 * Returns the number of partitions, or 0 with an error. */
void             dsd_kafka_assign_all_async  (rd_kafka_t          *rk,
                                              const char          *topic,
                                              gint64               since_ms,
                                              guint                timeout_ms,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
guint            dsd_kafka_assign_all_finish (GAsyncResult        *result,
                                              GError             **error);
/* Only reads the partition count of topic (whether the cluster answers), on a
 * worker thread; finish with dsd_kafka_assign_all_finish(). */
void             dsd_kafka_probe_async       (rd_kafka_t          *rk,
                                              const char          *topic,
                                              guint                timeout_ms,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);

/* Hands a record of the consumer's queue to a reader. */
typedef void (*DsdKafkaRecordFunc) (const rd_kafka_message_t *message,
                                    gpointer                  user_data);

/* Polls up to budget records of consumer without waiting and hands each one
 * without error to func (an error record other than a partition's end is
 * logged at debug level). Returns TRUE when the budget ran out: what a
 * DsdKafkaQueueFunc returns. */
gboolean         dsd_kafka_poll_records      (rd_kafka_t          *consumer,
                                              guint                budget,
                                              DsdKafkaRecordFunc   func,
                                              gpointer             user_data);

/* Each assignment's metadata and offset look-ups wait at most this long. */
#define DSD_KAFKA_FOLLOW_TIMEOUT_MS 5000
/* How long a follower waits after a failed assignment. */
#define DSD_KAFKA_FOLLOW_RETRY_S 2

/* dsd_kafka_assign_all_async() until it succeeds (a topic not created yet,
 * a cluster down): each failure is logged and tried again after
 * DSD_KAFKA_FOLLOW_RETRY_S, until cancellable is cancelled. rk must live
 * until the callback ran. Returns the number of partitions, or 0 with an
 * error (G_IO_ERROR_CANCELLED). */
void             dsd_kafka_follow_async      (rd_kafka_t          *rk,
                                              const char          *topic,
                                              gint64               since_ms,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
guint            dsd_kafka_follow_finish     (GAsyncResult        *result,
                                              GError             **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DsdKafkaWatch, dsd_kafka_watch_free)

G_END_DECLS
