/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-bus"

#include "dsd-event.h"
#include "dsd-kafka-client.h"
#include "dsd-kafka-relay.h"
#include "dsd-pg-connection.h"

#define BATCH 2000
#define MAX_IN_FLIGHT 20000
#define LOCK_TICK_MS 1000
#define SAFETY_POLL_MS 1000
#define DR_BUDGET 10000

#define LEADER_GAUGE "dispatch_relay_leader"
#define QUEUE_GAUGE "dispatch_bus_producer_queue"
#define ERRORS_METRIC "dispatch_bus_delivery_errors_total"

struct _DsdKafkaRelay {
  GObject          parent_instance;

  DsdPgPool       *pool;
  DsdPgListener   *listener;
  DsdPgConnection *lock;         /* holds the leader lock while leader */
  DsdMetrics      *metrics;
  char            *topic;
  rd_kafka_t      *producer;
  DsdKafkaWatch   *watch;
  GCancellable    *cancellable;  /* of this term as leader */

  guint            tick_source;
  guint            poll_source;
  guint            running : 1;
  guint            leader : 1;
  guint            lock_busy : 1;
  guint            querying : 1;
  guint            wanted : 1;
  guint            catching_up : 1;
  guint            acking : 1;

  gint64           next_seq;      /* the seq after the last one produced */
  gint64           acked_through; /* every seq <= it is acknowledged */
  gint64           ack_written;   /* what relay_ack has been told */
  GHashTable      *acked;         /* acknowledged seqs > acked_through */
  guint            in_flight;
};

G_DEFINE_FINAL_TYPE (DsdKafkaRelay, dsd_kafka_relay, G_TYPE_OBJECT)

static const char try_lock_sql[] = "SELECT pg_try_advisory_lock(7144650003)";
static const char heartbeat_sql[] = "SELECT 1";
static const char status_sql[] = "SELECT acked_seq FROM dispatch.relay_status()";
static const char claim_sql[] = "SELECT seq, envelope::text FROM dispatch.relay_claim($1::int)";
static const char since_sql[] =
  "SELECT seq, envelope::text FROM dispatch.events_since($1::bigint, $2::int)";
static const char ack_sql[] = "SELECT dispatch.relay_ack($1::bigint)";

static void fetch (DsdKafkaRelay *self);

static void
lose_leadership (DsdKafkaRelay *self,
                 const char    *why)
{
  if (!self->leader)
    return;

  g_message ("Relay: no longer the leader (%s)", why);
  self->leader = FALSE;
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->querying = FALSE;
  self->acking = FALSE;
  dsd_metrics_gauge_set (self->metrics, LEADER_GAUGE, NULL, 0);
}

/* FALSE when librdkafka refused the event (it is not in flight). */
static gboolean
produce (DsdKafkaRelay *self,
         gint64         seq,
         const char    *envelope,
         gsize          length,
         const char    *key)
{
  rd_kafka_resp_err_t err;

  err = dsd_kafka_produce_event (self->producer, self->topic, seq, envelope, length, key,
                                 (gpointer) (gintptr) seq);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
    {
      /* In-flight is capped below the queue's limits: not expected. Published
       * again from acked_seq when this instance leads next. */
      g_warning ("Relay: cannot produce event %" G_GINT64_FORMAT ": %s", seq,
                 rd_kafka_err2str (err));
      dsd_metrics_counter_add (self->metrics, ERRORS_METRIC, NULL, 1);
      return FALSE;
    }

  return TRUE;
}

static gboolean
produce_row (DsdKafkaRelay *self,
             PGresult      *rows,
             int            i)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DsdEvent) event = NULL;
  const char *envelope = PQgetvalue (rows, i, 1);
  gsize length = PQgetlength (rows, i, 1);
  event = dsd_event_new_from_json (envelope, length, &error);
  if (event == NULL)
    {
      g_critical ("Outbox event %s is malformed: %s", PQgetvalue (rows, i, 0), error->message);
      return FALSE;
    }

  return produce (self, dsd_event_get_seq (event), envelope, length,
                  dsd_event_get_key (event));
}

static void
fetched_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(DsdKafkaRelay) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) rows = NULL;
  gint64 first, last;
  int n_rows;

  rows = dsd_pg_pool_query_finish (DSD_PG_POOL (source), result, &error);
  if (rows == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_warning ("Relay: cannot read outbox events: %s", error->message);
          self->querying = FALSE;
        }
      return;
    }

  self->querying = FALSE;
  if (!self->leader)
    return;

  n_rows = PQntuples (rows);
  if (n_rows > 0)
    {
      first = g_ascii_strtoll (PQgetvalue (rows, 0, 0), NULL, 10);
      last = g_ascii_strtoll (PQgetvalue (rows, n_rows - 1, 0), NULL, 10);
      /* Numbered by someone else meanwhile (a leader that lost its lock with a
       * claim in flight): publish from where we were. */
      if (!self->catching_up && first > self->next_seq)
        self->catching_up = TRUE;
      else
        self->next_seq = MAX (self->next_seq, last + 1);
    }

  if (self->catching_up && n_rows < BATCH)
    {
      self->catching_up = FALSE;
      self->wanted = TRUE;
    }

  /* The next claim runs in PostgreSQL while these are produced (claims are
   * one at a time, so seq order holds); they count as in flight already. */
  self->in_flight += n_rows;
  if (n_rows == BATCH || self->wanted)
    fetch (self);

  for (int i = 0; i < n_rows; i++)
    {
      if (!produce_row (self, rows, i))
        self->in_flight--;
    }
}

static void
fetch (DsdKafkaRelay *self)
{
  char after[24];
  static const char * const claim_params[] = { G_STRINGIFY (BATCH) };
  const char *since_params[] = { after, G_STRINGIFY (BATCH) };

  if (!self->running || !self->leader)
    return;

  if (self->querying || self->in_flight + BATCH > MAX_IN_FLIGHT)
    {
      self->wanted = TRUE;
      return;
    }

  self->querying = TRUE;
  self->wanted = FALSE;
  if (self->catching_up)
    {
      g_snprintf (after, sizeof after, "%" G_GINT64_FORMAT, self->next_seq - 1);
      dsd_pg_pool_query_async (self->pool, since_sql, 2, since_params, self->cancellable,
                               fetched_cb, g_object_ref (self));
    }
  else
    {
      dsd_pg_pool_query_async (self->pool, claim_sql, 1, claim_params, self->cancellable,
                               fetched_cb, g_object_ref (self));
    }
}

static void write_ack (DsdKafkaRelay *self);

static void
acked_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(DsdKafkaRelay) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) rows = NULL;

  rows = dsd_pg_pool_query_finish (DSD_PG_POOL (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  self->acking = FALSE;
  if (rows == NULL)
    g_warning ("Relay: cannot record acknowledged events: %s", error->message);
  write_ack (self);
}

static void
write_ack (DsdKafkaRelay *self)
{
  char seq[24];
  const char *params[] = { seq };

  if (!self->leader || self->acking || self->acked_through <= self->ack_written)
    return;

  g_snprintf (seq, sizeof seq, "%" G_GINT64_FORMAT, self->acked_through);
  self->acking = TRUE;
  self->ack_written = self->acked_through;
  dsd_pg_pool_query_async (self->pool, ack_sql, 1, params, self->cancellable, acked_cb,
                           g_object_ref (self));
}

static void
delivered (DsdKafkaRelay *self,
           gint64         seq)
{
  if (seq <= self->acked_through)
    return;

  g_hash_table_add (self->acked, (gpointer) (gintptr) seq);
  while (g_hash_table_remove (self->acked, (gpointer) (gintptr) (self->acked_through + 1)))
    self->acked_through++;
}

static void
handle_report (DsdKafkaRelay      *self,
               rd_kafka_event_t   *event)
{
  const rd_kafka_message_t *message;

  while ((message = rd_kafka_event_message_next (event)) != NULL)
    {
      gint64 seq = (gintptr) message->_private;

      if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR)
        {
          self->in_flight--;
          delivered (self, seq);
          continue;
        }

      /* Only for errors the idempotent producer gives up on: the same event
       * again (consumers drop repeats by seq). */
      g_warning ("Relay: event %" G_GINT64_FORMAT " not delivered: %s", seq,
                 rd_kafka_err2str (message->err));
      dsd_metrics_counter_add (self->metrics, ERRORS_METRIC, NULL, 1);
      {
        g_autofree char *key = g_strndup (message->key, message->key_len);

        if (!produce (self, seq, message->payload, message->len,
                      message->key != NULL ? key : NULL))
          self->in_flight--;
      }
    }
}

static gboolean
drain_cb (rd_kafka_queue_t *queue,
          gpointer          user_data)
{
  DsdKafkaRelay *self = user_data;
  rd_kafka_event_t *event;
  guint n = 0;

  while (n++ < DR_BUDGET && (event = rd_kafka_queue_poll (queue, 0)) != NULL)
    {
      switch (rd_kafka_event_type (event))
        {
        case RD_KAFKA_EVENT_DR:
          handle_report (self, event);
          break;

        case RD_KAFKA_EVENT_ERROR:
          g_warning ("Relay: Kafka %s: %s",
                     rd_kafka_event_error_is_fatal (event) ? "fatal error" : "error",
                     rd_kafka_event_error_string (event));
          break;

        default:
          break;
        }
      rd_kafka_event_destroy (event);
    }

  dsd_metrics_gauge_set (self->metrics, QUEUE_GAUGE, NULL, rd_kafka_outq_len (self->producer));
  write_ack (self);
  if (self->wanted)
    fetch (self);

  return n > DR_BUDGET;
}

static void
status_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(DsdKafkaRelay) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) rows = NULL;

  rows = dsd_pg_pool_query_finish (DSD_PG_POOL (source), result, &error);
  if (rows == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_warning ("Relay: cannot read the relay state: %s", error->message);
          self->querying = FALSE;
          lose_leadership (self, "relay state unreadable");
          /* Lock still held: the next tick takes over again. */
          self->lock_busy = FALSE;
        }
      return;
    }

  self->querying = FALSE;
  self->acked_through = g_ascii_strtoll (PQgetvalue (rows, 0, 0), NULL, 10);
  self->ack_written = self->acked_through;
  self->next_seq = self->acked_through + 1;
  g_hash_table_remove_all (self->acked);
  self->catching_up = TRUE;
  g_message ("Relay: leader; publishing again from seq %" G_GINT64_FORMAT, self->next_seq);
  fetch (self);
}

static void
become_leader (DsdKafkaRelay *self)
{
  self->leader = TRUE;
  self->cancellable = g_cancellable_new ();
  self->querying = TRUE;
  dsd_metrics_gauge_set (self->metrics, LEADER_GAUGE, NULL, 1);
  dsd_pg_pool_query_async (self->pool, status_sql, 0, NULL, self->cancellable, status_cb,
                           g_object_ref (self));
}

static void
lock_result_cb (DsdPgConnection *connection,
                PGresult        *result,
                gpointer         user_data)
{
  DsdKafkaRelay *self = user_data;
  gboolean ok = result != NULL && PQresultStatus (result) == PGRES_TUPLES_OK;

  self->lock_busy = FALSE;
  if (!self->running)
    goto out;

  if (!ok)
    lose_leadership (self, "lock connection failed");
  else if (!self->leader && g_str_equal (PQgetvalue (result, 0, 0), "t"))
    become_leader (self);

out:
  g_clear_pointer (&result, PQclear);
  g_object_unref (self);
}

static gboolean
tick_cb (gpointer user_data)
{
  DsdKafkaRelay *self = user_data;

  if (self->lock_busy || !dsd_pg_connection_is_idle (self->lock))
    return G_SOURCE_CONTINUE;

  self->lock_busy = TRUE;
  dsd_pg_connection_send_query (self->lock, self->leader ? heartbeat_sql : try_lock_sql,
                                lock_result_cb, g_object_ref (self));
  return G_SOURCE_CONTINUE;
}

static void
lock_disconnected_cb (DsdPgConnection *connection,
                      const char      *message,
                      DsdKafkaRelay   *self)
{
  lose_leadership (self, message);
}

static void
kick (DsdKafkaRelay *self)
{
  fetch (self);
}

static gboolean
poll_cb (gpointer user_data)
{
  fetch (user_data);
  return G_SOURCE_CONTINUE;
}

static void
dsd_kafka_relay_dispose (GObject *object)
{
  DsdKafkaRelay *self = DSD_KAFKA_RELAY (object);

  dsd_kafka_relay_stop (self, 0);
  g_clear_pointer (&self->watch, dsd_kafka_watch_free);
  g_clear_pointer (&self->producer, rd_kafka_destroy);
  g_clear_object (&self->lock);
  g_clear_object (&self->pool);
  g_clear_object (&self->listener);
  g_clear_object (&self->metrics);

  G_OBJECT_CLASS (dsd_kafka_relay_parent_class)->dispose (object);
}

static void
dsd_kafka_relay_finalize (GObject *object)
{
  DsdKafkaRelay *self = DSD_KAFKA_RELAY (object);

  g_free (self->topic);
  g_hash_table_unref (self->acked);

  G_OBJECT_CLASS (dsd_kafka_relay_parent_class)->finalize (object);
}

static void
dsd_kafka_relay_class_init (DsdKafkaRelayClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = dsd_kafka_relay_dispose;
  object_class->finalize = dsd_kafka_relay_finalize;
}

static void
dsd_kafka_relay_init (DsdKafkaRelay *self)
{
  self->acked = g_hash_table_new (NULL, NULL);
}

DsdKafkaRelay *
dsd_kafka_relay_new (DsdPgPool      *pool,
                     DsdPgListener  *listener,
                     DsdMetrics     *metrics,
                     const char     *brokers,
                     const char     *topic,
                     GError        **error)
{
  static const char * const settings[] = {
    "enable.idempotence", "true",
    /* Never give up on an event: an outage holds them in the queue. */
    "message.timeout.ms", "0",
    "linger.ms", "2",
    "client.id", "dispatchd-relay",
    NULL
  };
  g_autoptr(DsdKafkaRelay) self = g_object_new (DSD_TYPE_KAFKA_RELAY, NULL);
  rd_kafka_conf_t *conf = dsd_kafka_conf_new (brokers, settings, error);

  if (conf == NULL)
    return NULL;
  rd_kafka_conf_set_events (conf, RD_KAFKA_EVENT_DR | RD_KAFKA_EVENT_ERROR);
  self->producer = dsd_kafka_new (RD_KAFKA_PRODUCER, conf, error);
  if (self->producer == NULL)
    return NULL;

  self->pool = g_object_ref (pool);
  self->listener = g_object_ref (listener);
  self->metrics = g_object_ref (metrics);
  self->topic = g_strdup (topic);
  self->lock = dsd_pg_connection_new (dsd_pg_pool_get_conninfo (pool));

  dsd_metrics_register_gauge (metrics, LEADER_GAUGE,
                              "1 while this instance is the relay leader", NULL);
  dsd_metrics_register_gauge (metrics, QUEUE_GAUGE,
                              "Events in the relay's Kafka producer queue", NULL);
  dsd_metrics_register_counter (metrics, ERRORS_METRIC,
                                "Events Kafka did not acknowledge (produced again)", NULL);

  return g_steal_pointer (&self);
}

void
dsd_kafka_relay_start (DsdKafkaRelay *self)
{
  g_return_if_fail (DSD_IS_KAFKA_RELAY (self));

  if (self->running)
    return;

  self->running = TRUE;
  self->watch = dsd_kafka_watch_new (rd_kafka_queue_get_main (self->producer), drain_cb, self);

  g_signal_connect_object (self->lock, "disconnected", G_CALLBACK (lock_disconnected_cb),
                           self, 0);
  g_signal_connect_object (self->lock, "connected", G_CALLBACK (tick_cb), self,
                           G_CONNECT_SWAPPED);
  dsd_pg_connection_start (self->lock);
  g_signal_connect_object (self->listener, "notify-received", G_CALLBACK (kick), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->listener, "reconnected", G_CALLBACK (kick), self,
                           G_CONNECT_SWAPPED);
  self->tick_source = g_timeout_add (LOCK_TICK_MS, tick_cb, self);
  self->poll_source = g_timeout_add (SAFETY_POLL_MS, poll_cb, self);
}

void
dsd_kafka_relay_stop (DsdKafkaRelay *self,
                      guint          deadline_ms)
{
  g_return_if_fail (DSD_IS_KAFKA_RELAY (self));

  if (!self->running)
    return;

  self->running = FALSE;
  lose_leadership (self, "stopping");
  g_clear_handle_id (&self->tick_source, g_source_remove);
  g_clear_handle_id (&self->poll_source, g_source_remove);
  g_signal_handlers_disconnect_by_data (self->listener, self);
  g_signal_handlers_disconnect_by_data (self->lock, self);
  dsd_pg_connection_close (self->lock);

  /* What is not acknowledged by then is published again by the next leader. */
  if (rd_kafka_flush (self->producer, deadline_ms) != RD_KAFKA_RESP_ERR_NO_ERROR)
    g_message ("Relay: %d events not acknowledged at stop", rd_kafka_outq_len (self->producer));
}
