/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-bus"

#include "dsd-kafka-client.h"
#include "dsd-kafka-group.h"

#define POLL_BUDGET 2000
#define COMMIT_INTERVAL_MS 1000
#define RETRY_BASE_MS 200

#define PROCESSED_METRIC "dispatch_bus_group_processed_total"
#define DEAD_METRIC "dispatch_bus_dead_letters_total"
#define LAG_GAUGE "dispatch_bus_consumer_lag"

struct _DsdKafkaGroup {
  GObject             parent_instance;

  DsdMetrics         *metrics;
  char               *topic;
  char               *group_id;
  char               *dead_letter_topic;
  char               *origin;
  guint               max_attempts;
  DsdKafkaGroupFunc   handler;
  gpointer            user_data;
  rd_kafka_t         *consumer;
  rd_kafka_t         *producer;     /* dead letters */
  DsdKafkaWatch      *watch;

  rd_kafka_topic_partition_list_t *assigned;  /* as the last rebalance left it */
  rd_kafka_message_t *failing;      /* waits for its next attempt */
  guint               attempts;
  guint               retry_source;
  guint               commit_source;
  guint               running : 1;
};

G_DEFINE_FINAL_TYPE (DsdKafkaGroup, dsd_kafka_group, G_TYPE_OBJECT)

static gboolean drain_cb (rd_kafka_queue_t *queue, gpointer user_data);

static void
store_offset (DsdKafkaGroup            *self,
              const rd_kafka_message_t *message)
{
  rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new (1);

  rd_kafka_topic_partition_list_add (list, rd_kafka_topic_name (message->rkt),
                                     message->partition)->offset = message->offset + 1;
  /* ERR__STATE when the partition was revoked meanwhile: its next owner
   * processes the record again. */
  rd_kafka_offsets_store (self->consumer, list);
  rd_kafka_topic_partition_list_destroy (list);
}

static void
dead_letter (DsdKafkaGroup            *self,
             const rd_kafka_message_t *message,
             const char               *error)
{
  char partition[16], offset[24], attempts[16], seq[24];
  rd_kafka_resp_err_t err;

  g_snprintf (partition, sizeof partition, "%" G_GINT32_FORMAT, message->partition);
  g_snprintf (offset, sizeof offset, "%" G_GINT64_FORMAT, message->offset);
  g_snprintf (attempts, sizeof attempts, "%u", self->attempts);
  if (dsd_kafka_header (message, "seq", seq, sizeof seq) == NULL)
    seq[0] = '\0';

  err = rd_kafka_producev (self->producer,
                           RD_KAFKA_V_TOPIC (self->dead_letter_topic),
                           RD_KAFKA_V_KEY (message->key, message->key_len),
                           RD_KAFKA_V_VALUE (message->payload, message->len),
                           RD_KAFKA_V_MSGFLAGS (RD_KAFKA_MSG_F_COPY),
                           RD_KAFKA_V_HEADER ("error", error, -1),
                           RD_KAFKA_V_HEADER ("origin", self->origin, -1),
                           RD_KAFKA_V_HEADER ("seq", seq, -1),
                           RD_KAFKA_V_HEADER ("attempts", attempts, -1),
                           RD_KAFKA_V_HEADER ("source.topic", self->topic, -1),
                           RD_KAFKA_V_HEADER ("source.partition", partition, -1),
                           RD_KAFKA_V_HEADER ("source.offset", offset, -1),
                           RD_KAFKA_V_END);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
    g_warning ("Cannot produce a dead letter: %s", rd_kafka_err2str (err));

  g_warning ("%s: record %s/%s (seq %s) failed %s times, now a dead letter: %s",
             self->group_id, partition, offset, seq, attempts, error);
  dsd_metrics_counter_add (self->metrics, DEAD_METRIC,
                           (const char *[]) { self->group_id, NULL }, 1);
}

/* TRUE when the record is settled (processed, or a dead letter). */
static gboolean
process (DsdKafkaGroup      *self,
         rd_kafka_message_t *message)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DsdEvent) event = NULL;

  self->attempts++;
  event = dsd_event_new_from_json (message->payload, message->len, &error);
  if (event != NULL && self->handler (self->user_data, event, &error))
    {
      store_offset (self, message);
      dsd_metrics_counter_add (self->metrics, PROCESSED_METRIC,
                               (const char *[]) { self->group_id, NULL }, 1);
      self->attempts = 0;
      return TRUE;
    }

  if (self->attempts < self->max_attempts)
    return FALSE;

  dead_letter (self, message, error->message);
  store_offset (self, message);
  self->attempts = 0;
  return TRUE;
}

static gboolean
retry_cb (gpointer user_data)
{
  DsdKafkaGroup *self = user_data;

  self->retry_source = 0;
  if (process (self, self->failing))
    {
      g_clear_pointer (&self->failing, rd_kafka_message_destroy);
      drain_cb (NULL, self);
    }
  else
    {
      self->retry_source = g_timeout_add (RETRY_BASE_MS << MIN (self->attempts, 6), retry_cb,
                                          self);
    }

  return G_SOURCE_REMOVE;
}

static void
rebalance_cb (rd_kafka_t                      *rk,
              rd_kafka_resp_err_t              err,
              rd_kafka_topic_partition_list_t *partitions,
              void                            *opaque)
{
  DsdKafkaGroup *self = opaque;

  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS)
    {
      g_message ("%s: %d partitions assigned", self->group_id, partitions->cnt);
      g_clear_pointer (&self->assigned, rd_kafka_topic_partition_list_destroy);
      self->assigned = rd_kafka_topic_partition_list_copy (partitions);
      rd_kafka_assign (rk, partitions);
      return;
    }

  /* Revoked: what was processed goes to the next owner's start. */
  rd_kafka_commit (rk, NULL, 1);
  g_clear_handle_id (&self->retry_source, g_source_remove);
  g_clear_pointer (&self->failing, rd_kafka_message_destroy);
  self->attempts = 0;
  g_clear_pointer (&self->assigned, rd_kafka_topic_partition_list_destroy);
  rd_kafka_assign (rk, NULL);
}

static gboolean
drain_cb (rd_kafka_queue_t *queue,
          gpointer          user_data)
{
  DsdKafkaGroup *self = user_data;
  rd_kafka_message_t *message;
  guint n = 0;

  while (self->running && self->failing == NULL && n++ < POLL_BUDGET &&
         (message = rd_kafka_consumer_poll (self->consumer, 0)) != NULL)
    {
      if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR)
        {
          g_debug ("%s: %s", self->group_id, rd_kafka_message_errstr (message));
          rd_kafka_message_destroy (message);
          continue;
        }

      if (!process (self, message))
        {
          self->failing = message;
          self->retry_source = g_timeout_add (RETRY_BASE_MS, retry_cb, self);
          return FALSE;
        }
      rd_kafka_message_destroy (message);
    }

  return n > POLL_BUDGET;
}

/* From the rebalance's copy: rd_kafka_assignment() would wait for
 * librdkafka's own thread. */
static void
update_lag (DsdKafkaGroup *self)
{
  rd_kafka_topic_partition_list_t *assignment;

  if (self->assigned == NULL)
    return;

  assignment = rd_kafka_topic_partition_list_copy (self->assigned);
  rd_kafka_position (self->consumer, assignment);
  for (int i = 0; i < assignment->cnt; i++)
    {
      rd_kafka_topic_partition_t *p = &assignment->elems[i];
      char partition[16];
      const char *labels[] = { self->group_id, partition, NULL };
      gint64 low = 0, high = 0;

      if (p->offset < 0 ||
          rd_kafka_get_watermark_offsets (self->consumer, p->topic, p->partition, &low,
                                          &high) != RD_KAFKA_RESP_ERR_NO_ERROR)
        continue;
      g_snprintf (partition, sizeof partition, "%" G_GINT32_FORMAT, p->partition);
      dsd_metrics_gauge_set (self->metrics, LAG_GAUGE, labels, MAX (high - p->offset, 0));
    }
  rd_kafka_topic_partition_list_destroy (assignment);
}

static gboolean
commit_cb (gpointer user_data)
{
  DsdKafkaGroup *self = user_data;

  /* Nothing stored yet gives ERR__NO_OFFSET: harmless. */
  rd_kafka_commit (self->consumer, NULL, 1);
  rd_kafka_poll (self->producer, 0);
  update_lag (self);
  return G_SOURCE_CONTINUE;
}

static void
dsd_kafka_group_dispose (GObject *object)
{
  DsdKafkaGroup *self = DSD_KAFKA_GROUP (object);

  dsd_kafka_group_stop (self, 0);
  g_clear_pointer (&self->watch, dsd_kafka_watch_free);
  if (self->consumer != NULL)
    {
      rd_kafka_consumer_close (self->consumer);
      g_clear_pointer (&self->consumer, rd_kafka_destroy);
    }
  g_clear_pointer (&self->producer, rd_kafka_destroy);
  g_clear_object (&self->metrics);

  G_OBJECT_CLASS (dsd_kafka_group_parent_class)->dispose (object);
}

static void
dsd_kafka_group_finalize (GObject *object)
{
  DsdKafkaGroup *self = DSD_KAFKA_GROUP (object);

  g_free (self->topic);
  g_free (self->group_id);
  g_free (self->dead_letter_topic);
  g_free (self->origin);

  G_OBJECT_CLASS (dsd_kafka_group_parent_class)->finalize (object);
}

static void
dsd_kafka_group_class_init (DsdKafkaGroupClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = dsd_kafka_group_dispose;
  object_class->finalize = dsd_kafka_group_finalize;
}

static void
dsd_kafka_group_init (DsdKafkaGroup *self)
{
}

DsdKafkaGroup *
dsd_kafka_group_new (DsdMetrics         *metrics,
                     const char         *brokers,
                     const char         *topic,
                     const char         *group_id,
                     const char         *dead_letter_topic,
                     guint               max_attempts,
                     DsdKafkaGroupFunc   handler,
                     gpointer            user_data,
                     GError            **error)
{
  const char * const consumer_settings[] = {
    "group.id", group_id,
    "enable.auto.commit", "false",
    "enable.auto.offset.store", "false",
    /* A new group starts with what is published from now on: what came
     * before is covered by the database (the notifier's cursor, the
     * engine's rounds). */
    "auto.offset.reset", "latest",
    /* Eager protocols: cooperative-sticky has known bugs in 2.0.2. */
    "partition.assignment.strategy", "range,roundrobin",
    "fetch.wait.max.ms", "10",
    "client.id", group_id,
    NULL
  };
  static const char * const producer_settings[] = {
    "enable.idempotence", "true",
    "client.id", "dispatchd-dead-letters",
    NULL
  };
  g_autoptr(DsdKafkaGroup) self = g_object_new (DSD_TYPE_KAFKA_GROUP, NULL);
  rd_kafka_conf_t *conf;

  g_return_val_if_fail (max_attempts > 0, NULL);

  conf = dsd_kafka_conf_new (brokers, consumer_settings, error);
  if (conf == NULL)
    return NULL;
  rd_kafka_conf_set_rebalance_cb (conf, rebalance_cb);
  rd_kafka_conf_set_opaque (conf, self);
  self->consumer = dsd_kafka_new (RD_KAFKA_CONSUMER, conf, error);
  if (self->consumer == NULL)
    return NULL;
  rd_kafka_poll_set_consumer (self->consumer);

  conf = dsd_kafka_conf_new (brokers, producer_settings, error);
  if (conf == NULL || (self->producer = dsd_kafka_new (RD_KAFKA_PRODUCER, conf, error)) == NULL)
    return NULL;

  self->metrics = g_object_ref (metrics);
  self->topic = g_strdup (topic);
  self->group_id = g_strdup (group_id);
  self->dead_letter_topic = g_strdup (dead_letter_topic);
  self->origin = g_strdup_printf ("%s/%s", group_id, g_get_host_name ());
  self->max_attempts = max_attempts;
  self->handler = handler;
  self->user_data = user_data;

  dsd_metrics_register_counter (metrics, PROCESSED_METRIC,
                                "Records a consumer group processed",
                                (const char *[]) { "group", NULL });
  dsd_metrics_register_counter (metrics, DEAD_METRIC,
                                "Records a consumer group gave up on (dead-letter topic)",
                                (const char *[]) { "group", NULL });

  return g_steal_pointer (&self);
}

void
dsd_kafka_group_start (DsdKafkaGroup *self)
{
  rd_kafka_topic_partition_list_t *topics;
  rd_kafka_resp_err_t err;

  g_return_if_fail (DSD_IS_KAFKA_GROUP (self));

  if (self->running)
    return;

  self->running = TRUE;
  self->watch = dsd_kafka_watch_new (rd_kafka_queue_get_consumer (self->consumer), drain_cb,
                                     self);
  topics = rd_kafka_topic_partition_list_new (1);
  rd_kafka_topic_partition_list_add (topics, self->topic, RD_KAFKA_PARTITION_UA);
  err = rd_kafka_subscribe (self->consumer, topics);
  rd_kafka_topic_partition_list_destroy (topics);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
    g_warning ("%s: cannot subscribe to %s: %s", self->group_id, self->topic,
               rd_kafka_err2str (err));
  self->commit_source = g_timeout_add (COMMIT_INTERVAL_MS, commit_cb, self);
}

void
dsd_kafka_group_stop (DsdKafkaGroup *self,
                      guint          deadline_ms)
{
  g_return_if_fail (DSD_IS_KAFKA_GROUP (self));

  if (!self->running)
    return;

  self->running = FALSE;
  g_clear_handle_id (&self->retry_source, g_source_remove);
  g_clear_handle_id (&self->commit_source, g_source_remove);
  g_clear_pointer (&self->failing, rd_kafka_message_destroy);
  rd_kafka_commit (self->consumer, NULL, 1);
  rd_kafka_flush (self->producer, deadline_ms);
  g_clear_pointer (&self->assigned, rd_kafka_topic_partition_list_destroy);
}
