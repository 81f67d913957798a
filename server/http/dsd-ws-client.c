/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-ws"

#include "config.h"

#include <string.h>

#include "dispatch-json.h"
#include "dsd-request-private.h"
#include "dsd-ws-client.h"
#include "dsd-ws-stream.h"

#define KEEPALIVE_INTERVAL_S 20
#define DEAD_PEER_S 50

struct _DsdWsClient {
  GObject                  parent_instance;

  SoupWebsocketConnection *connection;
  DsdWsStream             *stream;
  char                    *frame_type;
  DsdWsFrameHandler        handler;
  DsdWsFrameScanner        scanner;
  gpointer                 handler_data;
  gint64                   last_ping_us;
  gboolean                 closed;
};

G_DEFINE_FINAL_TYPE (DsdWsClient, dsd_ws_client, G_TYPE_OBJECT)

enum {
  CLOSED,
  DRAINED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static gboolean
handle_frame (DsdWsClient  *self,
              GBytes       *message,
              GError      **error)
{
  g_autoptr(JsonObject) frame = NULL;
  gsize length;
  const char *data = g_bytes_get_data (message, &length);
  const char *type = NULL;

  if (self->scanner != NULL && self->scanner (self, data, length, self->handler_data, error))
    return error == NULL || *error == NULL;

  frame = dispatch_json_parse_object (data, length, error);
  if (frame == NULL ||
      !dispatch_json_get_string (frame, NULL, "type", DISPATCH_JSON_REQUIRED, 0, &type, error))
    return FALSE;

  if (g_strcmp0 (type, self->frame_type) != 0)
    {
      dispatch_set_field_error (error, DISPATCH_ERROR_INVALID_ARGUMENT, "type",
                                "unknown frame type “%s”", type);
      return FALSE;
    }

  return self->handler (self, frame, self->handler_data, error);
}

static void
message_cb (SoupWebsocketConnection *connection,
            SoupWebsocketDataType    type,
            GBytes                  *message,
            gpointer                 user_data)
{
  DsdWsClient *self = user_data;
  g_autoptr(GError) error = NULL;

  if (!dsd_ws_client_is_open (self))
    return;

  if (type != SOUP_WEBSOCKET_DATA_TEXT)
    {
      dsd_ws_client_close (self, SOUP_WEBSOCKET_CLOSE_UNSUPPORTED_DATA,
                           "binary frames are not accepted", FALSE);
      return;
    }

  if (!handle_frame (self, message, &error))
    dsd_ws_client_send_error (self, error);
}

static void
stop (DsdWsClient *self)
{
  g_signal_handlers_disconnect_by_data (self->connection, self);
  g_signal_handlers_disconnect_by_data (self->stream, self);
}

static void
closed_cb (SoupWebsocketConnection *connection,
           gpointer                 user_data)
{
  g_autoptr(DsdWsClient) self = g_object_ref (user_data);

  if (self->closed)
    return;

  self->closed = TRUE;
  stop (self);
  g_signal_emit (self, signals[CLOSED], 0);
}

static void
drained_cb (DsdWsStream *stream,
            gpointer     user_data)
{
  g_signal_emit (user_data, signals[DRAINED], 0);
}

static void
dsd_ws_client_dispose (GObject *object)
{
  DsdWsClient *self = DSD_WS_CLIENT (object);

  if (self->connection != NULL)
    {
      stop (self);
      if (soup_websocket_connection_get_state (self->connection) == SOUP_WEBSOCKET_STATE_OPEN)
        dsd_ws_stream_close (self->stream, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, NULL);
    }

  g_clear_object (&self->stream);
  g_clear_object (&self->connection);

  G_OBJECT_CLASS (dsd_ws_client_parent_class)->dispose (object);
}

static void
dsd_ws_client_finalize (GObject *object)
{
  g_free (DSD_WS_CLIENT (object)->frame_type);

  G_OBJECT_CLASS (dsd_ws_client_parent_class)->finalize (object);
}

static void
dsd_ws_client_class_init (DsdWsClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = dsd_ws_client_dispose;
  object_class->finalize = dsd_ws_client_finalize;

  signals[CLOSED] =
    g_signal_new ("closed",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);
  signals[DRAINED] =
    g_signal_new ("drained",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);
}

static void
dsd_ws_client_init (DsdWsClient *self)
{
}

DsdWsClient *
dsd_ws_client_new (SoupWebsocketConnection *connection)
{
  DsdWsClient *self;
  GIOStream *stream;

  g_return_val_if_fail (SOUP_IS_WEBSOCKET_CONNECTION (connection), NULL);

  stream = soup_websocket_connection_get_io_stream (connection);
  g_return_val_if_fail (DSD_IS_WS_STREAM (stream), NULL);

  self = g_object_new (DSD_TYPE_WS_CLIENT, NULL);
  self->connection = g_object_ref (connection);
  self->stream = g_object_ref (DSD_WS_STREAM (stream));

  g_signal_connect (connection, "message", G_CALLBACK (message_cb), self);
  g_signal_connect (connection, "closed", G_CALLBACK (closed_cb), self);
  g_signal_connect (self->stream, "drained", G_CALLBACK (drained_cb), self);
  self->last_ping_us = g_get_monotonic_time ();

  return self;
}

void
dsd_ws_client_set_frame_handler (DsdWsClient       *self,
                                 const char        *type,
                                 DsdWsFrameHandler  handler,
                                 gpointer           user_data)
{
  g_return_if_fail (DSD_IS_WS_CLIENT (self));
  g_return_if_fail (type != NULL && handler != NULL);

  g_free (self->frame_type);
  self->frame_type = g_strdup (type);
  self->handler = handler;
  self->scanner = NULL;
  self->handler_data = user_data;
}

void
dsd_ws_client_set_frame_scanner (DsdWsClient       *self,
                                 DsdWsFrameScanner  scanner)
{
  g_return_if_fail (DSD_IS_WS_CLIENT (self));
  g_return_if_fail (self->handler != NULL);

  self->scanner = scanner;
}

gboolean
dsd_ws_client_is_open (DsdWsClient *self)
{
  g_return_val_if_fail (DSD_IS_WS_CLIENT (self), FALSE);

  return !self->closed && dsd_ws_stream_get_close_code (self->stream) == 0 &&
         soup_websocket_connection_get_state (self->connection) == SOUP_WEBSOCKET_STATE_OPEN;
}

void
dsd_ws_client_send (DsdWsClient *self,
                    GBytes      *text)
{
  g_return_if_fail (DSD_IS_WS_CLIENT (self));

  if (dsd_ws_client_is_open (self))
    dsd_ws_stream_send_text (self->stream, text);
}

void
dsd_ws_client_send_part (DsdWsClient *self,
                         GBytes      *text,
                         gboolean     first,
                         gboolean     last)
{
  g_return_if_fail (DSD_IS_WS_CLIENT (self));

  if (dsd_ws_client_is_open (self))
    dsd_ws_stream_send_text_part (self->stream, text, first, last);
}

void
dsd_ws_client_send_error (DsdWsClient  *self,
                          const GError *error)
{
  g_autofree char *envelope = NULL;
  g_autoptr(GBytes) frame = NULL;
  gsize length;
  guint status;

  g_return_if_fail (DSD_IS_WS_CLIENT (self));
  g_return_if_fail (error != NULL);

  /* The REST error envelope {"error":{…}} with the frame type in front. */
  envelope = _dsd_error_envelope (error, &status, &length);
  frame = dsd_ws_frame_with_type ("error", envelope, length);
  dsd_ws_client_send (self, frame);
}

gsize
dsd_ws_client_get_queued (DsdWsClient *self)
{
  g_return_val_if_fail (DSD_IS_WS_CLIENT (self), 0);

  return dsd_ws_stream_get_queued (self->stream);
}

void
dsd_ws_client_set_low_water (DsdWsClient *self,
                             gsize        low_water)
{
  g_return_if_fail (DSD_IS_WS_CLIENT (self));

  dsd_ws_stream_set_low_water (self->stream, low_water);
}

void
dsd_ws_client_close (DsdWsClient *self,
                     gushort      code,
                     const char  *reason,
                     gboolean     discard)
{
  g_return_if_fail (DSD_IS_WS_CLIENT (self));

  if (!dsd_ws_client_is_open (self))
    return;

  if (discard)
    dsd_ws_stream_discard_queued (self->stream);
  dsd_ws_stream_close (self->stream, code, reason);
}

gushort
dsd_ws_client_get_close_code (DsdWsClient *self)
{
  g_return_val_if_fail (DSD_IS_WS_CLIENT (self), 0);

  return dsd_ws_stream_get_close_code (self->stream);
}

GBytes *
dsd_ws_frame_with_type (const char *type,
                        const char *object,
                        gsize       length)
{
  g_autofree char *head = g_strdup_printf ("{\"type\":\"%s\",", type);
  gsize head_length = strlen (head);
  char *text;

  g_return_val_if_fail (length >= 2 && object[0] == '{', NULL);

  text = g_malloc (head_length + length - 1);
  memcpy (text, head, head_length);
  memcpy (text + head_length, object + 1, length - 1);

  return g_bytes_new_take (text, head_length + length - 1);
}

gboolean
dsd_ws_get_since (DsdRequest  *request,
                  gint64      *since,
                  GError     **error)
{
  const char *text = dsd_request_get_query (request, "since");
  guint64 value;

  *since = -1;
  if (text == NULL)
    return TRUE;

  if (!g_ascii_string_to_unsigned (text, 10, 0, G_MAXINT64, &value, NULL))
    {
      dispatch_set_field_error (error, DISPATCH_ERROR_INVALID_ARGUMENT, "since",
                                "since must be a non-negative integer");
      return FALSE;
    }

  *since = value;
  return TRUE;
}

void
dsd_ws_client_check_alive (DsdWsClient *self,
                           gint64       now_us)
{
  gint64 last_input_us;

  g_return_if_fail (DSD_IS_WS_CLIENT (self));

  if (!dsd_ws_client_is_open (self))
    return;

  last_input_us = dsd_ws_stream_get_last_input_time (self->stream);
  if (now_us - last_input_us > DEAD_PEER_S * G_USEC_PER_SEC)
    {
      g_debug ("Websocket peer silent for %" G_GINT64_FORMAT " s: closing",
               (now_us - last_input_us) / G_USEC_PER_SEC);
      dsd_ws_client_close (self, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, "no answer to pings", TRUE);
    }
  else if (now_us - MAX (last_input_us, self->last_ping_us) >= KEEPALIVE_INTERVAL_S * G_USEC_PER_SEC)
    {
      self->last_ping_us = now_us;
      dsd_ws_stream_send_ping (self->stream);
    }
}
