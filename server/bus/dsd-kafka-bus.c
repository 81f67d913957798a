/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-bus"

#include "dsd-kafka-bus.h"
#include "dsd-kafka-client.h"
#include "dsd-kafka-feed.h"
#include "dsd-kafka-group.h"
#include "dsd-kafka-locations.h"
#include "dsd-kafka-relay.h"

#define ADMIN_TIMEOUT_MS 10000
#define CREATE_RETRY_S 2
#define PROBE_INTERVAL_S 2
#define PROBE_TIMEOUT_MS 1500

#define LAG_ROWS_GAUGE "dispatch_relay_unpublished_events"
#define LAG_AGE_GAUGE "dispatch_relay_oldest_unpublished_seconds"

struct _DsdKafkaBus {
  GObject            parent_instance;

  DsdConfig         *config;
  DsdPgPool         *pool;
  DsdEventBus       *bus;
  DsdMetrics        *metrics;
  char              *events_topic;
  char              *locations_topic;
  char              *dead_letter_topic;
  rd_kafka_t        *admin;
  rd_kafka_queue_t  *admin_queue;    /* owned by admin_watch */
  DsdKafkaWatch     *admin_watch;
  DsdKafkaRelay     *relay;          /* relay role only */
  DsdKafkaFeed      *feed;
  DsdKafkaLocations *locations;
  GCancellable      *cancellable;

  guint              probe_source;
  guint              create_source;
  guint              running : 1;
  guint              probing : 1;
  guint              lag_busy : 1;
  guint              topics_ready : 1;
};

static void bus_backend_iface_init (DsdBusBackendInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (DsdKafkaBus, dsd_kafka_bus, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (DSD_TYPE_BUS_BACKEND,
                                                      bus_backend_iface_init))

static const char lag_sql[] =
  "SELECT last_seq - acked_seq + unnumbered, unacked_age_s FROM dispatch.relay_status()";

static void create_topics (DsdKafkaBus *self);

static rd_kafka_NewTopic_t *
new_topic (DsdKafkaBus *self,
           const char  *name,
           guint64      retention_ms)
{
  char errstr[256], retention[24];
  rd_kafka_NewTopic_t *topic;

  topic = rd_kafka_NewTopic_new (name, self->config->kafka_partitions,
                                 self->config->kafka_replication, errstr, sizeof errstr);
  g_assert (topic != NULL);   /* the settings were validated at start */
  g_snprintf (retention, sizeof retention, "%" G_GUINT64_FORMAT, retention_ms);
  rd_kafka_NewTopic_set_config (topic, "retention.ms", retention);
  return topic;
}

static gboolean
retry_create_cb (gpointer user_data)
{
  DsdKafkaBus *self = user_data;

  self->create_source = 0;
  create_topics (self);
  return G_SOURCE_REMOVE;
}

static void
topics_ready (DsdKafkaBus *self)
{
  self->topics_ready = TRUE;
  if (self->relay != NULL)
    dsd_kafka_relay_start (self->relay);
}

static void
handle_created (DsdKafkaBus      *self,
                rd_kafka_event_t *event)
{
  const rd_kafka_CreateTopics_result_t *result = rd_kafka_event_CreateTopics_result (event);
  const rd_kafka_topic_result_t **topics;
  const char *problem = NULL;
  size_t n = 0;

  if (rd_kafka_event_error (event) != RD_KAFKA_RESP_ERR_NO_ERROR)
    problem = rd_kafka_event_error_string (event);

  topics = result != NULL ? rd_kafka_CreateTopics_result_topics (result, &n) : NULL;
  for (size_t i = 0; problem == NULL && i < n; i++)
    {
      rd_kafka_resp_err_t err = rd_kafka_topic_result_error (topics[i]);

      if (err == RD_KAFKA_RESP_ERR_NO_ERROR)
        g_message ("Created Kafka topic %s", rd_kafka_topic_result_name (topics[i]));
      else if (err != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
        problem = rd_kafka_topic_result_error_string (topics[i]);
    }

  if (problem != NULL)
    {
      g_warning ("Cannot create the Kafka topics (%s); trying again", problem);
      self->create_source = g_timeout_add_seconds (CREATE_RETRY_S, retry_create_cb, self);
      return;
    }

  topics_ready (self);
}

static gboolean
admin_cb (rd_kafka_queue_t *queue,
          gpointer          user_data)
{
  DsdKafkaBus *self = user_data;
  rd_kafka_event_t *event;

  while ((event = rd_kafka_queue_poll (queue, 0)) != NULL)
    {
      if (rd_kafka_event_type (event) == RD_KAFKA_EVENT_CREATETOPICS_RESULT && self->running)
        handle_created (self, event);
      rd_kafka_event_destroy (event);
    }

  return FALSE;
}

static void
create_topics (DsdKafkaBus *self)
{
  rd_kafka_NewTopic_t *topics[3];
  rd_kafka_AdminOptions_t *options;
  char errstr[256];

  if (!self->running)
    return;

  topics[0] = new_topic (self, self->events_topic,
                         self->config->kafka_retention_events_h * G_GUINT64_CONSTANT (3600000));
  topics[1] = new_topic (self, self->locations_topic,
                         self->config->kafka_retention_locations_min * G_GUINT64_CONSTANT (60000));
  topics[2] = new_topic (self, self->dead_letter_topic,
                         self->config->kafka_retention_events_h * G_GUINT64_CONSTANT (3600000));
  options = rd_kafka_AdminOptions_new (self->admin, RD_KAFKA_ADMIN_OP_CREATETOPICS);
  rd_kafka_AdminOptions_set_request_timeout (options, ADMIN_TIMEOUT_MS, errstr, sizeof errstr);
  rd_kafka_AdminOptions_set_operation_timeout (options, ADMIN_TIMEOUT_MS, errstr,
                                               sizeof errstr);
  rd_kafka_CreateTopics (self->admin, topics, G_N_ELEMENTS (topics), options,
                         self->admin_queue);
  rd_kafka_AdminOptions_destroy (options);
  rd_kafka_NewTopic_destroy_array (topics, G_N_ELEMENTS (topics));
}

static void
lag_cb (GObject      *source,
        GAsyncResult *result,
        gpointer      user_data)
{
  g_autoptr(DsdKafkaBus) self = user_data;
  g_autoptr(PGresult) rows = dsd_pg_pool_query_finish (DSD_PG_POOL (source), result, NULL);

  self->lag_busy = FALSE;
  if (rows == NULL)
    return;

  dsd_metrics_gauge_set (self->metrics, LAG_ROWS_GAUGE, NULL,
                         g_ascii_strtod (PQgetvalue (rows, 0, 0), NULL));
  dsd_metrics_gauge_set (self->metrics, LAG_AGE_GAUGE, NULL,
                         g_ascii_strtod (PQgetvalue (rows, 0, 1), NULL));
}

static void
probed_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(DsdKafkaBus) self = user_data;
  g_autoptr(GError) error = NULL;
  gboolean reachable = dsd_kafka_assign_all_finish (result, &error) > 0;
  gboolean up = reachable && self->topics_ready && dsd_kafka_feed_is_following (self->feed);

  self->probing = FALSE;
  if (up != dsd_event_bus_is_up (self->bus))
    {
      if (up)
        g_message ("Kafka is reachable");
      else if (!reachable)
        g_warning ("Kafka is not reachable: %s", error->message);
    }
  dsd_event_bus_set_up (self->bus, up);
}

static gboolean
probe_cb (gpointer user_data)
{
  DsdKafkaBus *self = user_data;

  if (!self->probing)
    {
      self->probing = TRUE;
      dsd_kafka_probe_async (self->admin, self->events_topic, PROBE_TIMEOUT_MS, probed_cb,
                             g_object_ref (self));
    }

  if (!self->lag_busy)
    {
      self->lag_busy = TRUE;
      dsd_pg_pool_query_async (self->pool, lag_sql, 0, NULL, self->cancellable, lag_cb,
                               g_object_ref (self));
    }

  return G_SOURCE_CONTINUE;
}

static void
backend_start (DsdBusBackend *backend)
{
  DsdKafkaBus *self = DSD_KAFKA_BUS (backend);

  if (self->running)
    return;

  self->running = TRUE;
  self->cancellable = g_cancellable_new ();
  self->admin_watch = dsd_kafka_watch_new (self->admin_queue, admin_cb, self);
  dsd_kafka_feed_start (self->feed);
  dsd_kafka_locations_start (self->locations);
  create_topics (self);
  self->probe_source = g_timeout_add_seconds (PROBE_INTERVAL_S, probe_cb, self);
  probe_cb (self);
}

static void
backend_stop (DsdBusBackend *backend,
              guint          deadline_ms)
{
  DsdKafkaBus *self = DSD_KAFKA_BUS (backend);

  if (!self->running)
    return;

  self->running = FALSE;
  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->probe_source, g_source_remove);
  g_clear_handle_id (&self->create_source, g_source_remove);
  dsd_kafka_feed_stop (self->feed);
  dsd_kafka_locations_stop (self->locations, deadline_ms / 2);
  if (self->relay != NULL)
    dsd_kafka_relay_stop (self->relay, deadline_ms / 2);
}

static void
bus_backend_iface_init (DsdBusBackendInterface *iface)
{
  iface->start = backend_start;
  iface->stop = backend_stop;
}

static void
dsd_kafka_bus_dispose (GObject *object)
{
  DsdKafkaBus *self = DSD_KAFKA_BUS (object);

  backend_stop (DSD_BUS_BACKEND (self), 0);
  g_clear_object (&self->relay);
  g_clear_object (&self->feed);
  g_clear_object (&self->locations);
  if (self->admin_watch != NULL)
    g_clear_pointer (&self->admin_watch, dsd_kafka_watch_free);
  else
    g_clear_pointer (&self->admin_queue, rd_kafka_queue_destroy);
  self->admin_queue = NULL;
  g_clear_pointer (&self->admin, rd_kafka_destroy);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->pool);
  g_clear_object (&self->bus);
  g_clear_object (&self->metrics);

  G_OBJECT_CLASS (dsd_kafka_bus_parent_class)->dispose (object);
}

static void
dsd_kafka_bus_finalize (GObject *object)
{
  DsdKafkaBus *self = DSD_KAFKA_BUS (object);

  g_free (self->events_topic);
  g_free (self->locations_topic);
  g_free (self->dead_letter_topic);

  G_OBJECT_CLASS (dsd_kafka_bus_parent_class)->finalize (object);
}

static void
dsd_kafka_bus_class_init (DsdKafkaBusClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = dsd_kafka_bus_dispose;
  object_class->finalize = dsd_kafka_bus_finalize;
}

static void
dsd_kafka_bus_init (DsdKafkaBus *self)
{
}

DsdKafkaBus *
dsd_kafka_bus_new (DsdConfig      *config,
                   DsdPgPool      *pool,
                   DsdPgListener  *listener,
                   DsdEventBus    *bus,
                   DsdMetrics     *metrics,
                   GError        **error)
{
  static const char * const settings[] = { "client.id", "dispatchd-admin", NULL };
  g_autoptr(DsdKafkaBus) self = g_object_new (DSD_TYPE_KAFKA_BUS, NULL);
  const char *brokers = config->kafka_brokers;
  rd_kafka_conf_t *conf;

  self->config = config;
  self->pool = g_object_ref (pool);
  self->bus = g_object_ref (bus);
  self->metrics = g_object_ref (metrics);
  self->events_topic = g_strconcat (config->kafka_topic_prefix, "events", NULL);
  self->locations_topic = g_strconcat (config->kafka_topic_prefix, "locations", NULL);
  self->dead_letter_topic = g_strconcat (config->kafka_topic_prefix, "dead-letters", NULL);

  conf = dsd_kafka_conf_new (brokers, settings, error);
  if (conf == NULL || (self->admin = dsd_kafka_new (RD_KAFKA_PRODUCER, conf, error)) == NULL)
    return NULL;
  self->admin_queue = rd_kafka_queue_new (self->admin);

  self->feed = dsd_kafka_feed_new (pool, bus, metrics, brokers, self->events_topic, error);
  if (self->feed == NULL)
    return NULL;
  self->locations = dsd_kafka_locations_new (bus, metrics, brokers, self->locations_topic,
                                             error);
  if (self->locations == NULL)
    return NULL;
  if (dsd_config_has_role (config, "relay"))
    {
      self->relay = dsd_kafka_relay_new (pool, listener, metrics, brokers, self->events_topic,
                                         error);
      if (self->relay == NULL)
        return NULL;
    }

  dsd_metrics_register_gauge (metrics, LAG_ROWS_GAUGE,
                              "Committed events Kafka has not acknowledged yet", NULL);
  dsd_metrics_register_gauge (metrics, LAG_AGE_GAUGE,
                              "Age of the oldest event Kafka has not acknowledged", NULL);
  dsd_event_bus_set_up (bus, FALSE);

  return g_steal_pointer (&self);
}

DsdKafkaGroup *
dsd_kafka_bus_new_group (DsdKafkaBus        *self,
                         const char         *role,
                         DsdKafkaGroupFunc   handler,
                         gpointer            user_data,
                         GError            **error)
{
  g_autofree char *group_id = NULL;

  g_return_val_if_fail (DSD_IS_KAFKA_BUS (self), NULL);

  group_id = g_strconcat (self->config->kafka_topic_prefix, role, NULL);
  return dsd_kafka_group_new (self->metrics, self->config->kafka_brokers, self->events_topic,
                              group_id, self->dead_letter_topic,
                              self->config->kafka_max_attempts, handler, user_data, error);
}
