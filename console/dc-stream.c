/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <dispatch-json.h>

#include "dc-driver.h"
#include "dc-json.h"
#include "dc-location-refresh.h"
#include "dc-order.h"
#include "dc-stream-private.h"

#define BACKOFF_FIRST_MS     500
#define BACKOFF_MAX_MS       30000
#define KEEPALIVE_S          15
/* Without a frame or a pong for this long the peer is gone, even if TCP
 * has not noticed (a cut network keeps a socket "open" for minutes). */
#define SILENCE_LIMIT_USEC   (45 * G_USEC_PER_SEC)
#define WATCHDOG_S           5
/* A snapshot of a large fleet is one big frame. */
#define MAX_FRAME_BYTES      (256 * 1024 * 1024)
/* The server's close code for a dispatcher whose team scope changed
 * (docs/openapi.json, x-dispatch-close-codes). */
#define SCOPE_CHANGED_CLOSE_CODE 4409

struct _DcStream
{
  GObject parent_instance;

  DcClient *client;
  DcStore *orders;
  DcStore *drivers;

  /* connection */
  GCancellable *cancellable;
  GCancellable *refresh_cancellable;
  SoupWebsocketConnection *connection;
  DcConnectionState state;
  gboolean running;
  guint attempts;
  guint retry_source;
  guint watchdog_source;
  gint64 last_activity;

  /* sync */
  char *synced_server;
  gint64 last_seq;
  gint64 last_update;
  GHashTable *early_points;  /* driver id → newest point of a driver not in the store */

  gboolean has_viewport;
  DispatchBBox viewport;
};

G_DEFINE_ENUM_TYPE (DcConnectionState, dc_connection_state,
                    G_DEFINE_ENUM_VALUE (DC_CONNECTION_DISCONNECTED, "disconnected"),
                    G_DEFINE_ENUM_VALUE (DC_CONNECTION_CONNECTING, "connecting"),
                    G_DEFINE_ENUM_VALUE (DC_CONNECTION_LIVE, "live"))

G_DEFINE_FINAL_TYPE (DcStream, dc_stream, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_STATE,
  N_PROPS
};

enum {
  EVENT,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void connect_now (DcStream *self);

static void
set_state (DcStream          *self,
           DcConnectionState  state)
{
  if (self->state == state)
    return;

  g_debug ("stream: %s", g_enum_get_value (g_type_class_peek (DC_TYPE_CONNECTION_STATE),
                                           state)->value_nick);
  self->state = state;
  if (state == DC_CONNECTION_LIVE)
    self->attempts = 0;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

static void
send_viewport (DcStream *self)
{
  g_autofree char *frame = NULL;
  char lat0[G_ASCII_DTOSTR_BUF_SIZE], lon0[G_ASCII_DTOSTR_BUF_SIZE];
  char lat1[G_ASCII_DTOSTR_BUF_SIZE], lon1[G_ASCII_DTOSTR_BUF_SIZE];

  if (self->connection == NULL || !self->has_viewport ||
      soup_websocket_connection_get_state (self->connection) != SOUP_WEBSOCKET_STATE_OPEN)
    return;

  frame = g_strdup_printf ("{\"type\":\"viewport\",\"bbox\":[%s,%s,%s,%s]}",
                           g_ascii_dtostr (lat0, sizeof lat0, self->viewport.min_lat),
                           g_ascii_dtostr (lon0, sizeof lon0, self->viewport.min_lon),
                           g_ascii_dtostr (lat1, sizeof lat1, self->viewport.max_lat),
                           g_ascii_dtostr (lon1, sizeof lon1, self->viewport.max_lon));
  soup_websocket_connection_send_text (self->connection, frame);
}

static gboolean
retry_cb (gpointer user_data)
{
  DcStream *self = user_data;

  self->retry_source = 0;
  connect_now (self);

  return G_SOURCE_REMOVE;
}

/* 0.5 s doubling up to 30 s, with "equal jitter" (half fixed, half random)
 * so that a restarted server is not hit by every console at once. */
static void
schedule_retry (DcStream *self)
{
  guint delay;

  if (!self->running || self->retry_source != 0)
    return;

  delay = BACKOFF_MAX_MS;
  if (self->attempts < 16)
    delay = MIN (BACKOFF_MAX_MS, BACKOFF_FIRST_MS << self->attempts);
  delay = delay / 2 + g_random_int_range (0, delay / 2 + 1);
  self->attempts++;

  g_debug ("stream: reconnecting in %u ms", delay);
  self->retry_source = g_timeout_add (delay, retry_cb, self);
}

static void
drop_connection (DcStream *self)
{
  g_clear_handle_id (&self->watchdog_source, g_source_remove);
  g_cancellable_cancel (self->refresh_cancellable);
  g_clear_object (&self->refresh_cancellable);

  if (self->connection == NULL)
    return;

  g_signal_handlers_disconnect_by_data (self->connection, self);
  if (soup_websocket_connection_get_state (self->connection) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (self->connection, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, NULL);
  g_clear_object (&self->connection);
}

/* A new driver's first point can come before the event that brings the
 * driver: the point is live at once, the event goes through the server's
 * outbox. Such points wait, at most this many. */
#define MAX_EARLY_POINTS 1000

static void
apply_location (DcStream   *self,
                JsonObject *point)
{
  const char *driver_id = dc_json_string (point, "driver_id");
  DcEntity *driver = dc_store_lookup (self->drivers, driver_id);
  JsonObject *waiting;

  if (driver != NULL)
    {
      dc_driver_apply_location (DC_DRIVER (driver), point);
      return;
    }
  if (driver_id == NULL)
    return;

  waiting = g_hash_table_lookup (self->early_points, driver_id);
  if (waiting != NULL ? dc_json_timestamp (point, "recorded_at") >
                        dc_json_timestamp (waiting, "recorded_at")
                      : g_hash_table_size (self->early_points) < MAX_EARLY_POINTS)
    g_hash_table_replace (self->early_points, g_strdup (driver_id), json_object_ref (point));
}

/* The point that came before driver, if any (the newer one wins). */
static void
apply_early_point (DcStream *self,
                   DcEntity *driver)
{
  const char *id = dc_entity_get_id (driver);
  JsonObject *point = g_hash_table_lookup (self->early_points, id);

  if (point == NULL)
    return;
  dc_driver_apply_location (DC_DRIVER (driver), point);
  g_hash_table_remove (self->early_points, id);
}

static void
apply_order (DcStream   *self,
             JsonObject *data)
{
  DcEntity *order = dc_store_upsert (self->orders, data);

  /* The lists hold open orders, like the snapshot does. */
  if (order != NULL && dispatch_order_status_is_terminal (dc_order_get_status (DC_ORDER (order))))
    dc_store_remove (self->orders, dc_entity_get_id (order));
}

static void
apply_snapshot (DcStream   *self,
                JsonObject *frame)
{
  JsonArray *orders = dc_json_array (frame, "orders");
  JsonArray *drivers = dc_json_array (frame, "drivers");

  if (orders == NULL || drivers == NULL)
    {
      g_warning ("stream: snapshot without orders or drivers");
      return;
    }

  dc_store_reconcile (self->drivers, drivers);
  dc_store_reconcile (self->orders, orders);
  /* The snapshot brings every driver: waiting points go to theirs (the
   * newer point wins), the others are dropped. */
  {
    GHashTableIter iter;
    const char *id;
    JsonObject *point;

    g_hash_table_iter_init (&iter, self->early_points);
    while (g_hash_table_iter_next (&iter, (gpointer *) &id, (gpointer *) &point))
      {
        DcEntity *driver = dc_store_lookup (self->drivers, id);

        if (driver != NULL)
          dc_driver_apply_location (DC_DRIVER (driver), point);
      }
    g_hash_table_remove_all (self->early_points);
  }
  self->last_seq = dc_json_int (frame, "seq", 0);
  g_debug ("stream: snapshot at seq %" G_GINT64_FORMAT ", %u orders, %u drivers",
           self->last_seq, json_array_get_length (orders), json_array_get_length (drivers));

  g_free (self->synced_server);
  self->synced_server = g_strdup (dc_client_get_server_url (self->client));

  set_state (self, DC_CONNECTION_LIVE);
}

static void
apply_event (DcStream   *self,
             const char *type,
             JsonObject *frame)
{
  JsonObject *data = dc_json_object (frame, "data");
  gint64 seq = dc_json_int (frame, "seq", -1);

  if (data == NULL)
    return;

  /* State events have a seq from 1 on; locations have none (latest wins by
   * recorded_at). Replays after a resume may overlap what we
   * already applied. */
  if (seq > 0)
    {
      if (seq <= self->last_seq)
        return;
      self->last_seq = seq;
    }

  if (g_str_has_prefix (type, "order."))
    apply_order (self, data);
  else if (g_str_equal (type, "driver.updated"))
    {
      DcEntity *driver = dc_store_upsert (self->drivers, data);

      if (driver != NULL)
        apply_early_point (self, driver);
    }
  else if (g_str_equal (type, "driver.location"))
    {
      apply_location (self, data);
      dc_store_changed (self->drivers);
    }

  g_signal_emit (self, signals[EVENT], g_quark_try_string (type), type, data);
}

void
dc_stream_handle_frame (DcStream   *self,
                        const char *text,
                        gsize       length)
{
  g_autoptr(JsonObject) frame = NULL;
  g_autoptr(GError) error = NULL;
  const char *type;

  g_return_if_fail (DC_IS_STREAM (self));

  self->last_activity = g_get_monotonic_time ();
  self->last_update = g_get_real_time ();

  if (!(frame = dispatch_json_parse_object (text, length, &error)))
    {
      g_warning ("stream: dropping a frame: %s", error->message);
      return;
    }

  if ((type = dc_json_string (frame, "type")) == NULL)
    return;

  if (g_str_equal (type, "snapshot"))
    apply_snapshot (self, frame);
  else if (g_str_equal (type, "driver.locations"))
    {
      JsonArray *items = dc_json_array (frame, "items");
      guint n = items != NULL ? json_array_get_length (items) : 0;

      for (guint i = 0; i < n; i++)
        {
          JsonNode *node = json_array_get_element (items, i);

          if (JSON_NODE_HOLDS_OBJECT (node))
            apply_location (self, json_node_get_object (node));
        }
      dc_store_changed (self->drivers);
    }
  else if (g_str_equal (type, "error"))
    {
      JsonObject *details = dc_json_object (frame, "error");

      g_warning ("stream: the server refused a frame: %s",
                 details ? dc_json_string (details, "message") : "?");
    }
  else
    apply_event (self, type, frame);
}

void
dc_stream_handle_closed (DcStream *self)
{
  g_return_if_fail (DC_IS_STREAM (self));

  drop_connection (self);
  set_state (self, DC_CONNECTION_DISCONNECTED);
  schedule_retry (self);
}

static void
message_cb (SoupWebsocketConnection *connection,
            SoupWebsocketDataType    type,
            GBytes                  *message,
            DcStream                *self)
{
  gsize length;
  const char *data = g_bytes_get_data (message, &length);

  if (type == SOUP_WEBSOCKET_DATA_TEXT)
    dc_stream_handle_frame (self, data, length);
}

static void
closed_cb (SoupWebsocketConnection *connection,
           DcStream                *self)
{
  gushort code = soup_websocket_connection_get_close_code (connection);

  g_debug ("stream: closed (%u %s)", code, soup_websocket_connection_get_close_data (connection));
  /* What we may see changed (our teams): a resume would keep what we saw
   * before; start over from a snapshot of the new scope. */
  if (code == SCOPE_CHANGED_CLOSE_CODE)
    self->last_seq = -1;
  dc_stream_handle_closed (self);
}

static void
pong_cb (SoupWebsocketConnection *connection,
         GBytes                  *message,
         DcStream                *self)
{
  self->last_activity = g_get_monotonic_time ();
}

static gboolean
watchdog_cb (gpointer user_data)
{
  DcStream *self = user_data;

  if (g_get_monotonic_time () - self->last_activity > SILENCE_LIMIT_USEC)
    {
      g_debug ("stream: silent for too long, reconnecting");
      self->watchdog_source = 0;
      dc_stream_handle_closed (self);
      return G_SOURCE_REMOVE;
    }

  return G_SOURCE_CONTINUE;
}

static void
refreshed_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  gssize moved;

  if ((moved = dc_location_refresh_finish (result, &error)) < 0)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("stream: positions not refreshed: %s", error->message);
      return;
    }

  g_debug ("stream: %" G_GSSIZE_FORMAT " positions refreshed after the resume", moved);
}

static void
connect_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(DcStream) self = user_data;
  g_autoptr(SoupWebsocketConnection) connection = NULL;
  g_autoptr(GError) error = NULL;
  SoupMessage *message;

  connection = soup_session_websocket_connect_finish (SOUP_SESSION (object), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  message = soup_session_get_async_result_message (SOUP_SESSION (object), result);
  if (connection == NULL)
    {
      g_debug ("stream: connecting failed: %s", error->message);
      set_state (self, DC_CONNECTION_DISCONNECTED);
      if (message != NULL && soup_message_get_status (message) == SOUP_STATUS_UNAUTHORIZED)
        {
          /* The session's owner stops us when the session ends. */
          dc_client_expire (self->client);
          return;
        }
      schedule_retry (self);
      return;
    }

  self->connection = g_steal_pointer (&connection);
  soup_websocket_connection_set_max_incoming_payload_size (self->connection, MAX_FRAME_BYTES);
  soup_websocket_connection_set_keepalive_interval (self->connection, KEEPALIVE_S);
  g_signal_connect (self->connection, "message", G_CALLBACK (message_cb), self);
  g_signal_connect (self->connection, "closed", G_CALLBACK (closed_cb), self);
  g_signal_connect (self->connection, "pong", G_CALLBACK (pong_cb), self);

  self->last_activity = g_get_monotonic_time ();
  self->watchdog_source = g_timeout_add_seconds (WATCHDOG_S, watchdog_cb, self);

  /* A resume is in sync as soon as the server accepts it: it sends the
   * state events we missed, or a new snapshot if it no longer has them.
   * Positions are not in that log; they are read once more. */
  if (self->last_seq >= 0)
    {
      set_state (self, DC_CONNECTION_LIVE);
      self->refresh_cancellable = g_cancellable_new ();
      dc_location_refresh_async (self->client, self->drivers, self->refresh_cancellable,
                                 refreshed_cb, NULL);
    }

  send_viewport (self);
}

static void
connect_now (DcStream *self)
{
  g_autoptr(SoupMessage) message = NULL;

  if (!self->running || self->connection != NULL || !dc_client_get_authenticated (self->client))
    return;

  /* A seq only means something to the server that issued it. */
  if (g_strcmp0 (self->synced_server, dc_client_get_server_url (self->client)) != 0)
    self->last_seq = -1;

  message = dc_client_new_stream_message (self->client, self->last_seq);
  if (message == NULL)
    {
      set_state (self, DC_CONNECTION_DISCONNECTED);
      return;
    }

  set_state (self, DC_CONNECTION_CONNECTING);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();

  soup_session_websocket_connect_async (dc_client_get_soup_session (self->client), message,
                                        NULL, NULL, G_PRIORITY_DEFAULT, self->cancellable,
                                        connect_cb, g_object_ref (self));
}

static void
dc_stream_dispose (GObject *object)
{
  DcStream *self = (DcStream *)object;

  dc_stream_stop (self);
  g_clear_object (&self->client);
  g_clear_object (&self->orders);
  g_clear_object (&self->drivers);

  G_OBJECT_CLASS (dc_stream_parent_class)->dispose (object);
}

static void
dc_stream_finalize (GObject *object)
{
  DcStream *self = (DcStream *)object;

  g_clear_pointer (&self->synced_server, g_free);
  g_clear_pointer (&self->early_points, g_hash_table_unref);

  G_OBJECT_CLASS (dc_stream_parent_class)->finalize (object);
}

static void
dc_stream_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  DcStream *self = DC_STREAM (object);

  switch (prop_id)
    {
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dc_stream_class_init (DcStreamClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = dc_stream_dispose;
  object_class->finalize = dc_stream_finalize;
  object_class->get_property = dc_stream_get_property;

  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL,
                       DC_TYPE_CONNECTION_STATE, DC_CONNECTION_DISCONNECTED,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * DcStream::event:
   * @type: the event type, also the signal detail ("alert", "order.assigned", …)
   * @data: the event's data
   *
   * Emitted for every state event after the stores applied it.
   */
  signals[EVENT] =
    g_signal_new ("event", G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST | G_SIGNAL_DETAILED,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_STRING, JSON_TYPE_OBJECT);
}

static void
dc_stream_init (DcStream *self)
{
  self->last_seq = -1;
  self->early_points = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                              (GDestroyNotify) json_object_unref);
}

DcStream *
dc_stream_new (DcClient *client,
               DcStore  *orders,
               DcStore  *drivers)
{
  DcStream *self;

  g_return_val_if_fail (DC_IS_CLIENT (client), NULL);
  g_return_val_if_fail (DC_IS_STORE (orders), NULL);
  g_return_val_if_fail (DC_IS_STORE (drivers), NULL);

  self = g_object_new (DC_TYPE_STREAM, NULL);
  self->client = g_object_ref (client);
  self->orders = g_object_ref (orders);
  self->drivers = g_object_ref (drivers);

  return self;
}

DcConnectionState
dc_stream_get_state (DcStream *self)
{
  g_return_val_if_fail (DC_IS_STREAM (self), DC_CONNECTION_DISCONNECTED);

  return self->state;
}

gint64
dc_stream_get_last_seq (DcStream *self)
{
  g_return_val_if_fail (DC_IS_STREAM (self), -1);

  return self->last_seq;
}

gint64
dc_stream_get_last_update (DcStream *self)
{
  g_return_val_if_fail (DC_IS_STREAM (self), 0);

  return self->last_update;
}

void
dc_stream_start (DcStream *self)
{
  g_return_if_fail (DC_IS_STREAM (self));

  self->running = TRUE;
  self->attempts = 0;
  g_clear_handle_id (&self->retry_source, g_source_remove);
  connect_now (self);
}

/* Stops and stays stopped; the stores and the seq are kept so that the next
 * start resumes where this one ended. */
void
dc_stream_stop (DcStream *self)
{
  g_return_if_fail (DC_IS_STREAM (self));

  self->running = FALSE;
  g_clear_handle_id (&self->retry_source, g_source_remove);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  drop_connection (self);
  set_state (self, DC_CONNECTION_DISCONNECTED);
}

void
dc_stream_forget (DcStream *self)
{
  g_return_if_fail (DC_IS_STREAM (self));

  self->last_seq = -1;
  g_clear_pointer (&self->synced_server, g_free);
}

void
dc_stream_set_viewport (DcStream           *self,
                        const DispatchBBox *bbox)
{
  g_return_if_fail (DC_IS_STREAM (self));
  g_return_if_fail (bbox != NULL);

  self->has_viewport = TRUE;
  self->viewport = *bbox;

  send_viewport (self);
}
