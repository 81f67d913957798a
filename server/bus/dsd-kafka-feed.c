/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-bus"

#include "dsd-kafka-client.h"
#include "dsd-kafka-feed.h"
#include "dsd-seq-merger.h"

#define REORDER_CAPACITY 10000
#define GAP_DEADLINE_MS 500
#define TICK_MS 100
#define STALE_CHECK_TICKS 10
#define START_MARGIN_MS (120 * 1000)
#define REPAIR_BATCH 1000
#define POLL_BUDGET 5000

#define REPAIRED_METRIC "dispatch_bus_repaired_events_total"
#define LAG_GAUGE "dispatch_bus_consumer_lag"

struct _DsdKafkaFeed {
  GObject        parent_instance;

  DsdPgPool     *pool;
  DsdEventBus   *bus;
  DsdMetrics    *metrics;
  char          *topic;
  rd_kafka_t    *consumer;
  DsdKafkaWatch *watch;
  DsdSeqMerger  *merger;        /* once the start seq is known */
  GCancellable  *cancellable;

  gint64         start_ms;      /* records from here on are read */
  guint          n_partitions;  /* 0 until assigned */
  guint          tick_source;
  guint          n_ticks;
  gint64         stale_mark;    /* delivered seq at the previous stale check */
  guint          running : 1;
  guint          repairing : 1;
  guint          checking : 1;
};

G_DEFINE_FINAL_TYPE (DsdKafkaFeed, dsd_kafka_feed, G_TYPE_OBJECT)

static const char status_sql[] = "SELECT last_seq FROM dispatch.relay_status()";
static const char since_sql[] =
  "SELECT seq, envelope::text FROM dispatch.events_since($1::bigint, $2::int)";

static void repair (DsdKafkaFeed *self);

static void
emit_cb (DsdEvent *event,
         gpointer  user_data)
{
  DsdKafkaFeed *self = user_data;

  dsd_event_bus_publish (self->bus, event);
}

static void
push_text (DsdKafkaFeed *self,
           const char   *text,
           gsize         length)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DsdEvent) event = dsd_event_new_from_json (text, length, &error);

  if (event == NULL || dsd_event_get_seq (event) <= 0)
    {
      g_warning ("Ignoring a malformed record of the events topic: %s",
                 error != NULL ? error->message : "no seq");
      return;
    }

  dsd_seq_merger_push (self->merger, event);
}

static void
repaired_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(DsdKafkaFeed) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) rows = NULL;
  int n_rows;

  rows = dsd_pg_pool_query_finish (DSD_PG_POOL (source), result, &error);
  self->repairing = FALSE;
  if (rows == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_warning ("Cannot read missed events from the database: %s", error->message);
      return;
    }

  n_rows = PQntuples (rows);
  for (int i = 0; i < n_rows; i++)
    push_text (self, PQgetvalue (rows, i, 1), PQgetlength (rows, i, 1));
  dsd_metrics_counter_add (self->metrics, REPAIRED_METRIC, NULL, n_rows);

  if (n_rows == REPAIR_BATCH)
    repair (self);
}

/* Reads the events after the last one delivered from the database. */
static void
repair (DsdKafkaFeed *self)
{
  char after[24];
  const char *params[] = { after, G_STRINGIFY (REPAIR_BATCH) };

  if (!self->running || self->repairing)
    return;

  self->repairing = TRUE;
  g_snprintf (after, sizeof after, "%" G_GINT64_FORMAT,
              dsd_seq_merger_get_delivered (self->merger));
  dsd_pg_pool_query_async (self->pool, since_sql, 2, params, self->cancellable, repaired_cb,
                           g_object_ref (self));
}

static void
checked_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(DsdKafkaFeed) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) rows = NULL;
  gint64 last_seq, delivered;

  rows = dsd_pg_pool_query_finish (DSD_PG_POOL (source), result, &error);
  self->checking = FALSE;
  if (rows == NULL)
    return;

  last_seq = g_ascii_strtoll (PQgetvalue (rows, 0, 0), NULL, 10);
  delivered = dsd_seq_merger_get_delivered (self->merger);
  /* Numbered, and no progress for a whole check interval: Kafka is not
   * bringing them (outage, relay between leaders). */
  if (last_seq > delivered && delivered == self->stale_mark)
    repair (self);
  self->stale_mark = delivered;
}

static void
update_lag (DsdKafkaFeed *self)
{
  for (guint i = 0; i < self->n_partitions; i++)
    {
      rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new (1);
      char partition[16];
      const char *labels[] = { "feed", partition, NULL };
      gint64 low = 0, high = 0, position;

      rd_kafka_topic_partition_list_add (list, self->topic, i);
      rd_kafka_position (self->consumer, list);
      position = list->elems[0].offset;
      rd_kafka_topic_partition_list_destroy (list);
      if (position < 0 ||
          rd_kafka_get_watermark_offsets (self->consumer, self->topic, i, &low, &high) !=
            RD_KAFKA_RESP_ERR_NO_ERROR)
        continue;

      g_snprintf (partition, sizeof partition, "%u", i);
      dsd_metrics_gauge_set (self->metrics, LAG_GAUGE, labels, MAX (high - position, 0));
    }
}

static gboolean
tick_cb (gpointer user_data)
{
  DsdKafkaFeed *self = user_data;
  gint64 gap_since = dsd_seq_merger_get_gap_since (self->merger);

  if (gap_since != 0 &&
      (g_get_monotonic_time () - gap_since > GAP_DEADLINE_MS * 1000 ||
       dsd_seq_merger_is_full (self->merger)))
    repair (self);

  if (++self->n_ticks % STALE_CHECK_TICKS == 0)
    {
      update_lag (self);
      if (!self->checking)
        {
          self->checking = TRUE;
          dsd_pg_pool_query_async (self->pool, status_sql, 0, NULL, self->cancellable,
                                   checked_cb, g_object_ref (self));
        }
    }

  return G_SOURCE_CONTINUE;
}

static void
record_cb (const rd_kafka_message_t *message,
           gpointer                  user_data)
{
  push_text (user_data, message->payload, message->len);
}

static gboolean
drain_cb (rd_kafka_queue_t *queue,
          gpointer          user_data)
{
  DsdKafkaFeed *self = user_data;

  return dsd_kafka_poll_records (self->consumer, POLL_BUDGET, record_cb, self);
}

static void
followed_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(DsdKafkaFeed) self = user_data;
  guint n = dsd_kafka_follow_finish (result, NULL);

  if (n > 0)
    self->n_partitions = n;
}

static void
started_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(DsdKafkaFeed) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) rows = NULL;
  gint64 last_seq;

  rows = dsd_pg_pool_query_finish (DSD_PG_POOL (source), result, &error);
  if (rows == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_warning ("Cannot read the relay state: %s; trying again", error->message);
          dsd_pg_pool_query_async (self->pool, status_sql, 0, NULL, self->cancellable,
                                   started_cb, g_object_ref (self));
        }
      return;
    }

  last_seq = g_ascii_strtoll (PQgetvalue (rows, 0, 0), NULL, 10);
  self->merger = dsd_seq_merger_new (last_seq, REORDER_CAPACITY, emit_cb, self);
  self->stale_mark = last_seq;
  self->watch = dsd_kafka_watch_new (rd_kafka_queue_get_consumer (self->consumer), drain_cb,
                                     self);
  self->tick_source = g_timeout_add (TICK_MS, tick_cb, self);
  dsd_kafka_follow_async (self->consumer, self->topic, self->start_ms, self->cancellable,
                          followed_cb, g_object_ref (self));
}

static void
dsd_kafka_feed_dispose (GObject *object)
{
  DsdKafkaFeed *self = DSD_KAFKA_FEED (object);

  dsd_kafka_feed_stop (self);
  if (self->consumer != NULL)
    {
      g_clear_pointer (&self->watch, dsd_kafka_watch_free);
      rd_kafka_consumer_close (self->consumer);
      g_clear_pointer (&self->consumer, rd_kafka_destroy);
    }
  g_clear_pointer (&self->merger, dsd_seq_merger_free);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->pool);
  g_clear_object (&self->bus);
  g_clear_object (&self->metrics);

  G_OBJECT_CLASS (dsd_kafka_feed_parent_class)->dispose (object);
}

static void
dsd_kafka_feed_finalize (GObject *object)
{
  g_free (DSD_KAFKA_FEED (object)->topic);

  G_OBJECT_CLASS (dsd_kafka_feed_parent_class)->finalize (object);
}

static void
dsd_kafka_feed_class_init (DsdKafkaFeedClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = dsd_kafka_feed_dispose;
  object_class->finalize = dsd_kafka_feed_finalize;
}

static void
dsd_kafka_feed_init (DsdKafkaFeed *self)
{
}

DsdKafkaFeed *
dsd_kafka_feed_new (DsdPgPool     *pool,
                    DsdEventBus   *bus,
                    DsdMetrics    *metrics,
                    const char    *brokers,
                    const char    *topic,
                    GError       **error)
{
  g_autofree char *uuid = g_uuid_string_random ();
  /* A group id only because librdkafka's consumer needs one: partitions are
   * assigned, never subscribed, and nothing is committed. */
  g_autofree char *group = g_strconcat ("dispatchd-feed-", uuid, NULL);
  const char * const settings[] = {
    "group.id", group,
    "enable.auto.commit", "false",
    "enable.auto.offset.store", "false",
    "enable.partition.eof", "false",
    /* An offset retention removed: repeats are dropped, gaps never skipped. */
    "auto.offset.reset", "earliest",
    "fetch.wait.max.ms", "10",
    "client.id", "dispatchd-feed",
    NULL
  };
  g_autoptr(DsdKafkaFeed) self = g_object_new (DSD_TYPE_KAFKA_FEED, NULL);
  rd_kafka_conf_t *conf = dsd_kafka_conf_new (brokers, settings, error);

  if (conf == NULL)
    return NULL;
  self->consumer = dsd_kafka_new (RD_KAFKA_CONSUMER, conf, error);
  if (self->consumer == NULL)
    return NULL;

  self->pool = g_object_ref (pool);
  self->bus = g_object_ref (bus);
  self->metrics = g_object_ref (metrics);
  self->topic = g_strdup (topic);

  dsd_metrics_register_counter (metrics, REPAIRED_METRIC,
                                "Events read from the database because Kafka had not "
                                "brought them in time", NULL);
  dsd_metrics_register_gauge (metrics, LAG_GAUGE,
                              "Records of a partition not consumed yet",
                              (const char *[]) { "consumer", "partition", NULL });

  return g_steal_pointer (&self);
}

void
dsd_kafka_feed_start (DsdKafkaFeed *self)
{
  g_return_if_fail (DSD_IS_KAFKA_FEED (self));

  if (self->running)
    return;

  self->running = TRUE;
  self->cancellable = g_cancellable_new ();
  self->start_ms = g_get_real_time () / 1000 - START_MARGIN_MS;
  dsd_pg_pool_query_async (self->pool, status_sql, 0, NULL, self->cancellable, started_cb,
                           g_object_ref (self));
}

void
dsd_kafka_feed_stop (DsdKafkaFeed *self)
{
  g_return_if_fail (DSD_IS_KAFKA_FEED (self));

  if (!self->running)
    return;

  self->running = FALSE;
  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->tick_source, g_source_remove);
}

gboolean
dsd_kafka_feed_is_following (DsdKafkaFeed *self)
{
  g_return_val_if_fail (DSD_IS_KAFKA_FEED (self), FALSE);

  return self->n_partitions > 0;
}
