/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-ws"

#include "config.h"

#include <string.h>

#include "dispatch-json.h"
#include "dispatch-location.h"
#include "dsd-driver-stream.h"
#include "dsd-event-bus.h"
#include "dsd-event-view.h"
#include "dsd-event.h"
#include "dsd-location-ingest.h"
#include "dsd-location-scanner.h"
#include "dsd-pg-pool.h"

#define MAX_BEHIND (256 * 1024)

static const char snapshot_sql[] = "SELECT dispatch.driver_stream_snapshot($1)::text";

/* One connection of a driver. */
typedef struct {
  DsdDriverStream *stream;
  DsdWsClient     *client;
  char            *driver_id;
  GHashTable      *orders;       /* ids of the orders followed */
  gint64           last_seq;
  GCancellable    *cancellable;
} Subscriber;

struct _DsdDriverStream {
  GObject       parent_instance;

  DsdContext   *context;
  DsdEventRing *ring;           /* the dispatcher stream's */
  DsdWsClients *clients;
  GHashTable   *by_driver;      /* driver id → GPtrArray of Subscriber */
  GHashTable   *by_order;       /* order id → GPtrArray of Subscriber following it */
};

G_DEFINE_FINAL_TYPE (DsdDriverStream, dsd_driver_stream, G_TYPE_OBJECT)

/* The check's snapshot (GBytes), as data of the request's message */
static GQuark snapshot_quark;

static void
index_add (GHashTable *index,
           const char *key,
           Subscriber *s)
{
  GPtrArray *subscribers = g_hash_table_lookup (index, key);

  if (subscribers == NULL)
    {
      subscribers = g_ptr_array_new ();
      g_hash_table_insert (index, g_strdup (key), subscribers);
    }
  g_ptr_array_add (subscribers, s);
}

static void
index_remove (GHashTable *index,
              const char *key,
              Subscriber *s)
{
  GPtrArray *subscribers = g_hash_table_lookup (index, key);

  if (subscribers == NULL)
    return;

  g_ptr_array_remove_fast (subscribers, s);
  if (subscribers->len == 0)
    g_hash_table_remove (index, key);
}

static void
follow (Subscriber *s,
        const char *order_id)
{
  if (g_hash_table_add (s->orders, g_strdup (order_id)))
    index_add (s->stream->by_order, order_id, s);
}

static void
unfollow (Subscriber *s,
          const char *order_id)
{
  if (g_hash_table_remove (s->orders, order_id))
    index_remove (s->stream->by_order, order_id, s);
}

static void
subscriber_free (Subscriber *s)
{
  GHashTableIter iter;
  gpointer order_id;

  g_cancellable_cancel (s->cancellable);
  g_clear_object (&s->cancellable);

  g_hash_table_iter_init (&iter, s->orders);
  while (g_hash_table_iter_next (&iter, &order_id, NULL))
    index_remove (s->stream->by_order, order_id, s);
  g_hash_table_unref (s->orders);
  index_remove (s->stream->by_driver, s->driver_id, s);

  g_signal_handlers_disconnect_by_data (s->client, s);
  g_object_unref (s->client);
  g_free (s->driver_id);
  g_free (s);
}

static const char *
offer_driver (JsonObject *order)
{
  JsonNode *offer = json_object_get_member (order, "offer");
  JsonNode *driver;

  if (offer == NULL || !JSON_NODE_HOLDS_OBJECT (offer))
    return NULL;

  driver = json_object_get_member (json_node_get_object (offer), "driver_id");
  if (driver == NULL || !JSON_NODE_HOLDS_VALUE (driver) ||
      json_node_get_value_type (driver) != G_TYPE_STRING)
    return NULL;

  return json_node_get_string (driver);
}

static gboolean
is_open_status (JsonObject *order)
{
  const char *text = json_object_get_string_member_with_default (order, "status", NULL);
  DispatchOrderStatus status;

  return text != NULL && dispatch_order_status_from_string (text, &status) &&
         !dispatch_order_status_is_terminal (status);
}

/* Sends the event if it concerns the driver (each seq once, in order) and
 * keeps the set of followed orders up to date. */
static void
deliver (Subscriber *s,
         DsdEvent   *event)
{
  const char *type = dsd_event_get_type_name (event);
  const char *order_id = dsd_event_get_order_id (event);
  gint64 seq = dsd_event_get_seq (event);
  g_autoptr(GBytes) envelope = NULL;
  gboolean concerned;

  if (seq > 0 && seq <= s->last_seq)
    return;

  if (g_str_equal (type, "driver.updated") || g_str_equal (type, "driver.route"))
    {
      concerned = g_strcmp0 (dsd_event_get_driver_id (event), s->driver_id) == 0;
    }
  else if (order_id != NULL && g_str_has_prefix (type, "order."))
    {
      JsonObject *order = dsd_event_get_data (event);
      gboolean mine = g_strcmp0 (dsd_event_get_driver_id (event), s->driver_id) == 0 ||
                      g_strcmp0 (offer_driver (order), s->driver_id) == 0;

      /* Followed while it is the driver's and open; the news that it is no
       * longer is the last the driver gets of it. */
      concerned = mine || g_hash_table_contains (s->orders, order_id);
      if (mine && is_open_status (order))
        follow (s, order_id);
      else
        unfollow (s, order_id);
    }
  else
    {
      return;
    }

  if (!concerned)
    return;

  if (seq > 0)
    s->last_seq = seq;
  envelope = dsd_event_view_envelope (event, DSD_ROLE_DRIVER);
  dsd_ws_client_send (s->client, envelope);
  if (dsd_ws_client_get_queued (s->client) > MAX_BEHIND)
    dsd_ws_client_close (s->client, DSD_WS_CLOSE_TRY_AGAIN_LATER, "too far behind", TRUE);
}

static void
add_recipients (GPtrArray  *recipients,
                GPtrArray  *subscribers)
{
  for (guint i = 0; subscribers != NULL && i < subscribers->len; i++)
    {
      gpointer s = g_ptr_array_index (subscribers, i);

      if (!g_ptr_array_find (recipients, s, NULL))
        g_ptr_array_add (recipients, s);
    }
}

static void
event_cb (DsdEventBus *bus,
          DsdEvent    *event,
          gpointer     user_data)
{
  DsdDriverStream *self = user_data;
  const char *driver_id = dsd_event_get_driver_id (event);
  const char *order_id = dsd_event_get_order_id (event);
  g_autoptr(GPtrArray) recipients = NULL;
  const char *offered;

  recipients = g_ptr_array_new ();
  if (driver_id != NULL)
    add_recipients (recipients, g_hash_table_lookup (self->by_driver, driver_id));
  if (order_id != NULL)
    {
      offered = offer_driver (dsd_event_get_data (event));
      if (offered != NULL)
        add_recipients (recipients, g_hash_table_lookup (self->by_driver, offered));
      add_recipients (recipients, g_hash_table_lookup (self->by_order, order_id));
    }

  for (guint i = 0; i < recipients->len; i++)
    deliver (g_ptr_array_index (recipients, i), event);
}

/* The events since the subscriber's last seq that the ring still has; only
 * those that name the driver or a followed order are parsed. */
static void
replay (Subscriber *s)
{
  g_autoptr(GPtrArray) missed = NULL;

  if (!dsd_event_ring_covers (s->stream->ring, s->last_seq))
    return;

  missed = dsd_event_ring_get_since (s->stream->ring, s->last_seq);
  for (guint i = 0; i < missed->len; i++)
    {
      GBytes *text = g_ptr_array_index (missed, i);
      gsize length;
      const char *data = g_bytes_get_data (text, &length);
      gboolean named = g_strstr_len (data, length, s->driver_id) != NULL;
      g_autoptr(DsdEvent) event = NULL;
      GHashTableIter iter;
      gpointer order_id;

      g_hash_table_iter_init (&iter, s->orders);
      while (!named && g_hash_table_iter_next (&iter, &order_id, NULL))
        named = g_strstr_len (data, length, order_id) != NULL;
      if (!named)
        continue;

      event = dsd_event_new_from_json (data, length, NULL);
      if (event != NULL)
        deliver (s, event);
    }
}

/* The orders in a snapshot become followed; returns its seq. */
static gint64
follow_snapshot (Subscriber *s,
                 GBytes     *snapshot)
{
  gsize length;
  const char *text = g_bytes_get_data (snapshot, &length);
  g_autoptr(JsonObject) object = dispatch_json_parse_object (text, length, NULL);
  JsonArray *orders;

  g_return_val_if_fail (object != NULL, 0);

  orders = json_object_get_array_member (object, "orders");
  for (guint i = 0; orders != NULL && i < json_array_get_length (orders); i++)
    follow (s, json_object_get_string_member (json_array_get_object_element (orders, i), "id"));

  return json_object_get_int_member_with_default (object, "seq", 0);
}

static void
resume_snapshot_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  Subscriber *s = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) rows = NULL;
  g_autoptr(GBytes) snapshot = NULL;

  rows = dsd_pg_pool_query_finish (DSD_PG_POOL (source), result, &error);
  if (rows == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;

      /* The driver still gets what is offered or assigned from now on. */
      g_message ("Could not read the orders of driver %s: %s", s->driver_id, error->message);
      return;
    }

  snapshot = g_bytes_new (PQgetvalue (rows, 0, 0), PQgetlength (rows, 0, 0));
  follow_snapshot (s, snapshot);
}

static gboolean
location_cb (DsdWsClient  *client,
             JsonObject   *frame,
             gpointer      user_data,
             GError      **error)
{
  Subscriber *s = user_data;
  DsdLocationIngest *ingest = dsd_context_get (s->stream->context, DSD_TYPE_LOCATION_INGEST);
  DispatchLocationPoint point;

  /* The frame is the point ("lat", not "points[0].lat", in errors), read
   * once: the ingest takes it as it is. */
  if (!dispatch_location_point_from_json (frame, NULL, g_get_real_time (), &point, error))
    return FALSE;

  return dsd_location_ingest_submit (ingest, s->driver_id, &point, 1, error) > 0;
}

/* The same frame read without a JSON tree, when it has the usual shape. */
static gboolean
location_scan_cb (DsdWsClient  *client,
                  const char   *data,
                  gsize         length,
                  gpointer      user_data,
                  GError      **error)
{
  Subscriber *s = user_data;
  DsdLocationIngest *ingest;
  DispatchLocationPoint point;

  if (!dsd_location_scan_frame (data, length, g_get_real_time (), &point))
    return FALSE;

  ingest = dsd_context_get (s->stream->context, DSD_TYPE_LOCATION_INGEST);
  dsd_location_ingest_submit (ingest, s->driver_id, &point, 1, error);
  return TRUE;
}

static void
subscriber_closed_cb (DsdWsClient *client,
                      gpointer     user_data)
{
  subscriber_free (user_data);
}

static void
snapshot_checked_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(DsdRequest) request = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) rows = NULL;
  GBytes *snapshot;

  rows = dsd_pg_pool_query_finish (DSD_PG_POOL (source), result, &error);
  if (rows == NULL)
    {
      dsd_request_respond_error (request, error);
      return;
    }

  snapshot = g_bytes_new (PQgetvalue (rows, 0, 0), PQgetlength (rows, 0, 0));
  dsd_request_set_data (request, snapshot_quark, snapshot, (GDestroyNotify) g_bytes_unref);
  dsd_request_accept_websocket (request);
}

static void
stream_check_cb (DsdRequest *request,
                 gpointer    user_data)
{
  DsdDriverStream *self = user_data;
  const DsdPrincipal *principal = dsd_request_get_principal (request);
  const char *driver_id = dsd_request_get_param (request, "id");
  g_autoptr(GError) error = NULL;
  gint64 since;

  if (principal->role != DSD_ROLE_ADMIN &&
      (principal->driver_id == NULL || g_ascii_strcasecmp (principal->driver_id, driver_id) != 0))
    {
      g_set_error_literal (&error, DISPATCH_ERROR, DISPATCH_ERROR_PERMISSION_DENIED,
                           "a driver's stream is open to that driver only");
      dsd_request_respond_error (request, error);
      return;
    }

  if (!dsd_ws_get_since (request, &since, &error))
    {
      dsd_request_respond_error (request, error);
      return;
    }

  /* A resume the ring can serve needs no snapshot. */
  if (since >= 0 && dsd_event_ring_covers (self->ring, since))
    {
      dsd_request_accept_websocket (request);
      return;
    }

  dsd_pg_pool_query_async (dsd_context_get (self->context, DSD_TYPE_PG_POOL), snapshot_sql, 1,
                           (const char * const[]) { driver_id }, NULL,
                           snapshot_checked_cb, dsd_request_ref (request));
}

static void
stream_cb (DsdRequest              *request,
           SoupWebsocketConnection *connection,
           gpointer                 user_data)
{
  DsdDriverStream *self = user_data;
  GBytes *snapshot = dsd_request_get_data (request, snapshot_quark);
  Subscriber *s = g_new0 (Subscriber, 1);

  s->stream = self;
  s->client = g_object_ref (dsd_ws_clients_add (self->clients, connection,
                                               dsd_request_get_principal (request)));
  s->driver_id = g_ascii_strdown (dsd_request_get_param (request, "id"), -1);
  s->orders = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  s->cancellable = g_cancellable_new ();
  index_add (self->by_driver, s->driver_id, s);
  g_signal_connect (s->client, "closed", G_CALLBACK (subscriber_closed_cb), s);
  dsd_ws_client_set_frame_handler (s->client, "location", location_cb, s);
  dsd_ws_client_set_frame_scanner (s->client, location_scan_cb);

  if (snapshot != NULL)
    {
      g_autoptr(GBytes) frame = NULL;
      gsize length;
      const char *text = g_bytes_get_data (snapshot, &length);

      frame = dsd_ws_frame_with_type ("snapshot", text, length);
      dsd_ws_client_send (s->client, frame);
      s->last_seq = follow_snapshot (s, snapshot);
    }
  else
    {
      /* Resuming: the held orders are read again to follow them. */
      dsd_ws_get_since (request, &s->last_seq, NULL);
      dsd_pg_pool_query_async (dsd_context_get (self->context, DSD_TYPE_PG_POOL), snapshot_sql, 1,
                               (const char * const[]) { s->driver_id }, s->cancellable,
                               resume_snapshot_cb, s);
    }

  /* What happened since the snapshot was read, or since the client's seq */
  replay (s);
}

static void
dsd_driver_stream_dispose (GObject *object)
{
  DsdDriverStream *self = DSD_DRIVER_STREAM (object);
  GHashTableIter iter;
  gpointer subscribers;

  if (self->context != NULL)
    g_signal_handlers_disconnect_by_data (dsd_context_get (self->context, DSD_TYPE_EVENT_BUS),
                                          self);

  /* (each connection removes itself from the index) */
  g_hash_table_iter_init (&iter, self->by_driver);
  while (g_hash_table_iter_next (&iter, NULL, &subscribers))
    {
      subscriber_free (g_ptr_array_index ((GPtrArray *) subscribers, 0));
      g_hash_table_iter_init (&iter, self->by_driver);
    }

  g_clear_object (&self->clients);
  g_clear_object (&self->context);

  G_OBJECT_CLASS (dsd_driver_stream_parent_class)->dispose (object);
}

static void
dsd_driver_stream_finalize (GObject *object)
{
  DsdDriverStream *self = DSD_DRIVER_STREAM (object);

  g_hash_table_unref (self->by_driver);
  g_hash_table_unref (self->by_order);

  G_OBJECT_CLASS (dsd_driver_stream_parent_class)->finalize (object);
}

static void
dsd_driver_stream_class_init (DsdDriverStreamClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = dsd_driver_stream_dispose;
  object_class->finalize = dsd_driver_stream_finalize;

  snapshot_quark = g_quark_from_static_string ("dsd-driver-stream-snapshot");
}

static void
dsd_driver_stream_init (DsdDriverStream *self)
{
  self->by_driver = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                           (GDestroyNotify) g_ptr_array_unref);
  self->by_order = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                          (GDestroyNotify) g_ptr_array_unref);
}

DsdDriverStream *
dsd_driver_stream_new (DsdContext   *context,
                       DsdEventRing *ring)
{
  DsdDriverStream *self;

  g_return_val_if_fail (DSD_IS_CONTEXT (context), NULL);
  g_return_val_if_fail (ring != NULL, NULL);

  self = g_object_new (DSD_TYPE_DRIVER_STREAM, NULL);
  self->context = g_object_ref (context);
  self->ring = ring;
  self->clients = dsd_ws_clients_new (dsd_context_get_metrics (context), "driver");
  g_signal_connect_object (dsd_context_get (context, DSD_TYPE_EVENT_BUS), "event::state",
                           G_CALLBACK (event_cb), self, 0);

  return self;
}

void
dsd_driver_stream_register (DsdDriverStream *self,
                            DsdRouter       *router)
{
  g_return_if_fail (DSD_IS_DRIVER_STREAM (self));

  dsd_router_add_websocket (router, "/api/v1/drivers/{id}/stream",
                            DSD_ROLE_DRIVER | DSD_ROLE_ADMIN,
                            stream_check_cb, stream_cb, self);
}

DsdWsClients *
dsd_driver_stream_get_clients (DsdDriverStream *self)
{
  g_return_val_if_fail (DSD_IS_DRIVER_STREAM (self), NULL);

  return self->clients;
}
