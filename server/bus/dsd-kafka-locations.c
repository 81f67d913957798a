/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-bus"

#include "dsd-kafka-client.h"
#include "dsd-kafka-locations.h"

#define POLL_BUDGET 20000

#define SENT_METRIC "dispatch_bus_locations_total"
#define ERRORS_METRIC "dispatch_bus_location_errors_total"

struct _DsdKafkaLocations {
  GObject        parent_instance;

  DsdEventBus   *bus;
  DsdMetrics    *metrics;
  char          *topic;
  char          *origin;        /* this instance */
  rd_kafka_t    *producer;
  rd_kafka_t    *consumer;
  DsdKafkaWatch *producer_watch;
  DsdKafkaWatch *consumer_watch;

  GCancellable  *cancellable;   /* of the assignment, while running */

  guint          running : 1;
  guint          relaying : 1;  /* publishing another instance's point locally */
};

G_DEFINE_FINAL_TYPE (DsdKafkaLocations, dsd_kafka_locations, G_TYPE_OBJECT)

static void
event_cb (DsdEventBus       *bus,
          DsdEvent          *event,
          DsdKafkaLocations *self)
{
  GBytes *envelope;
  const char *driver_id;
  rd_kafka_resp_err_t err;
  gsize length, key_length;
  gconstpointer data;

  if (self->relaying || !self->running)
    return;

  envelope = dsd_event_get_envelope (event);
  data = g_bytes_get_data (envelope, &length);
  driver_id = dsd_event_get_driver_id (event);
  key_length = driver_id != NULL ? strlen (driver_id) : 0;
  err = rd_kafka_producev (self->producer,
                           RD_KAFKA_V_TOPIC (self->topic),
                           RD_KAFKA_V_KEY (driver_id, key_length),
                           RD_KAFKA_V_VALUE ((void *) data, length),
                           RD_KAFKA_V_MSGFLAGS (RD_KAFKA_MSG_F_COPY),
                           RD_KAFKA_V_HEADER ("origin", self->origin, -1),
                           RD_KAFKA_V_END);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
    dsd_metrics_counter_add (self->metrics, ERRORS_METRIC, NULL, 1);
  else
    dsd_metrics_counter_add (self->metrics, SENT_METRIC, NULL, 1);
}

static gboolean
reports_cb (rd_kafka_queue_t *queue,
            gpointer          user_data)
{
  DsdKafkaLocations *self = user_data;
  rd_kafka_event_t *event;
  guint n = 0;

  while (n++ < POLL_BUDGET && (event = rd_kafka_queue_poll (queue, 0)) != NULL)
    {
      if (rd_kafka_event_type (event) == RD_KAFKA_EVENT_DR)
        {
          const rd_kafka_message_t *message;

          while ((message = rd_kafka_event_message_next (event)) != NULL)
            dsd_metrics_counter_add (self->metrics, ERRORS_METRIC, NULL, 1);
        }
      rd_kafka_event_destroy (event);
    }

  return n > POLL_BUDGET;
}

/* Another instance's point, published here. */
static void
record_cb (const rd_kafka_message_t *message,
           gpointer                  user_data)
{
  DsdKafkaLocations *self = user_data;
  char origin[64];
  const char *from = dsd_kafka_header (message, "origin", origin, sizeof origin);
  g_autoptr(GError) error = NULL;
  g_autoptr(DsdEvent) event = NULL;

  if (from != NULL && g_str_equal (from, self->origin))
    return;

  event = dsd_event_new_from_json (message->payload, message->len, &error);
  if (event == NULL)
    {
      g_warning ("Ignoring a malformed location record: %s", error->message);
      return;
    }

  self->relaying = TRUE;
  dsd_event_bus_publish (self->bus, event);
  self->relaying = FALSE;
}

static gboolean
records_cb (rd_kafka_queue_t *queue,
            gpointer          user_data)
{
  DsdKafkaLocations *self = user_data;

  return dsd_kafka_poll_records (self->consumer, POLL_BUDGET, record_cb, self);
}

static void
followed_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(DsdKafkaLocations) self = user_data;

  dsd_kafka_follow_finish (result, NULL);
}

static void
dsd_kafka_locations_dispose (GObject *object)
{
  DsdKafkaLocations *self = DSD_KAFKA_LOCATIONS (object);

  dsd_kafka_locations_stop (self, 0);
  g_clear_pointer (&self->producer_watch, dsd_kafka_watch_free);
  g_clear_pointer (&self->consumer_watch, dsd_kafka_watch_free);
  g_clear_pointer (&self->producer, rd_kafka_destroy);
  if (self->consumer != NULL)
    {
      rd_kafka_consumer_close (self->consumer);
      g_clear_pointer (&self->consumer, rd_kafka_destroy);
    }
  g_clear_object (&self->cancellable);
  g_clear_object (&self->bus);
  g_clear_object (&self->metrics);

  G_OBJECT_CLASS (dsd_kafka_locations_parent_class)->dispose (object);
}

static void
dsd_kafka_locations_finalize (GObject *object)
{
  DsdKafkaLocations *self = DSD_KAFKA_LOCATIONS (object);

  g_free (self->topic);
  g_free (self->origin);

  G_OBJECT_CLASS (dsd_kafka_locations_parent_class)->finalize (object);
}

static void
dsd_kafka_locations_class_init (DsdKafkaLocationsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = dsd_kafka_locations_dispose;
  object_class->finalize = dsd_kafka_locations_finalize;
}

static void
dsd_kafka_locations_init (DsdKafkaLocations *self)
{
}

DsdKafkaLocations *
dsd_kafka_locations_new (DsdEventBus  *bus,
                         DsdMetrics   *metrics,
                         const char   *brokers,
                         const char   *topic,
                         GError      **error)
{
  static const char * const producer_settings[] = {
    "compression.type", "lz4",
    "linger.ms", "20",
    "batch.num.messages", "10000",
    "acks", "1",
    /* A point older than this is superseded anyway. */
    "message.timeout.ms", "10000",
    "queue.buffering.max.messages", "200000",
    "delivery.report.only.error", "true",
    "client.id", "dispatchd-locations",
    NULL
  };
  g_autofree char *uuid = g_uuid_string_random ();
  g_autofree char *group = g_strconcat ("dispatchd-locations-", uuid, NULL);
  const char * const consumer_settings[] = {
    "group.id", group,
    "enable.auto.commit", "false",
    "enable.auto.offset.store", "false",
    "fetch.wait.max.ms", "10",
    "client.id", "dispatchd-locations",
    NULL
  };
  g_autoptr(DsdKafkaLocations) self = g_object_new (DSD_TYPE_KAFKA_LOCATIONS, NULL);
  rd_kafka_conf_t *conf;

  conf = dsd_kafka_conf_new (brokers, producer_settings, error);
  if (conf == NULL)
    return NULL;
  rd_kafka_conf_set_events (conf, RD_KAFKA_EVENT_DR);
  self->producer = dsd_kafka_new (RD_KAFKA_PRODUCER, conf, error);
  if (self->producer == NULL)
    return NULL;

  conf = dsd_kafka_conf_new (brokers, consumer_settings, error);
  if (conf == NULL)
    return NULL;
  self->consumer = dsd_kafka_new (RD_KAFKA_CONSUMER, conf, error);
  if (self->consumer == NULL)
    return NULL;

  self->bus = g_object_ref (bus);
  self->metrics = g_object_ref (metrics);
  self->topic = g_strdup (topic);
  self->origin = g_steal_pointer (&uuid);

  dsd_metrics_register_counter (metrics, SENT_METRIC,
                                "Driver points produced to the locations topic", NULL);
  dsd_metrics_register_counter (metrics, ERRORS_METRIC,
                                "Driver points the locations topic refused or lost", NULL);

  return g_steal_pointer (&self);
}

void
dsd_kafka_locations_start (DsdKafkaLocations *self)
{
  g_return_if_fail (DSD_IS_KAFKA_LOCATIONS (self));

  if (self->running)
    return;

  self->running = TRUE;
  self->producer_watch = dsd_kafka_watch_new (rd_kafka_queue_get_main (self->producer),
                                              reports_cb, self);
  self->consumer_watch = dsd_kafka_watch_new (rd_kafka_queue_get_consumer (self->consumer),
                                              records_cb, self);
  g_signal_connect_object (self->bus, "event::location", G_CALLBACK (event_cb), self, 0);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  dsd_kafka_follow_async (self->consumer, self->topic, 0, self->cancellable, followed_cb,
                          g_object_ref (self));
}

void
dsd_kafka_locations_stop (DsdKafkaLocations *self,
                          guint              deadline_ms)
{
  g_return_if_fail (DSD_IS_KAFKA_LOCATIONS (self));

  if (!self->running)
    return;

  self->running = FALSE;
  g_signal_handlers_disconnect_by_data (self->bus, self);
  g_cancellable_cancel (self->cancellable);
  rd_kafka_flush (self->producer, deadline_ms);
}
