/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-test"

#include <string.h>
#include <sys/socket.h>

#include "test-utils.h"
#include "test-websocket.h"

#define CONNECT_TIMEOUT_MS 30000
#define RAW_READ_TIMEOUT_S 10
#define CLIENT_MAX_PAYLOAD (64 * 1024 * 1024)

struct _DsdTestWebsocket {
  SoupSession             *session;
  SoupWebsocketConnection *connection;
  GQueue                   frames;      /* GBytes, oldest first */
};

static void
message_cb (SoupWebsocketConnection *connection,
            SoupWebsocketDataType    type,
            GBytes                  *message,
            gpointer                 user_data)
{
  DsdTestWebsocket *self = user_data;

  g_assert_cmpint (type, ==, SOUP_WEBSOCKET_DATA_TEXT);
  g_queue_push_tail (&self->frames, g_bytes_ref (message));
}

DsdTestWebsocket *
dsd_test_websocket_connect (DsdTestServer *server,
                            const char    *path,
                            const char    *token,
                            guint         *out_status)
{
  g_autofree char *url = g_strconcat (dsd_test_server_get_url (server), path, NULL);

  return dsd_test_websocket_connect_url (url, token, out_status);
}

DsdTestWebsocket *
dsd_test_websocket_connect_url (const char *url,
                                const char *token,
                                guint      *out_status)
{
  g_autoptr(SoupMessage) message = soup_message_new ("GET", url);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  DsdTestWebsocket *self = g_new0 (DsdTestWebsocket, 1);

  g_assert_nonnull (message);
  if (token != NULL)
    {
      g_autofree char *authorization = g_strconcat ("Bearer ", token, NULL);

      soup_message_headers_replace (soup_message_get_request_headers (message),
                                    "Authorization", authorization);
    }

  self->session = soup_session_new ();
  soup_session_websocket_connect_async (self->session, message, NULL, NULL, G_PRIORITY_DEFAULT,
                                        NULL, dsd_test_store_result_cb, &result);
  result = dsd_test_wait_result (&result, CONNECT_TIMEOUT_MS);
  self->connection = soup_session_websocket_connect_finish (self->session, result, &error);

  if (out_status != NULL)
    *out_status = soup_message_get_status (message);

  if (self->connection == NULL)
    {
      g_debug ("Websocket %s refused: %s", url, error->message);
      dsd_test_websocket_free (self);
      return NULL;
    }

  soup_websocket_connection_set_max_incoming_payload_size (self->connection, CLIENT_MAX_PAYLOAD);
  g_signal_connect (self->connection, "message", G_CALLBACK (message_cb), self);

  return self;
}

void
dsd_test_websocket_free (DsdTestWebsocket *self)
{
  if (self->connection != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->connection, self);
      if (soup_websocket_connection_get_state (self->connection) == SOUP_WEBSOCKET_STATE_OPEN)
        soup_websocket_connection_close (self->connection, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
    }

  g_queue_clear_full (&self->frames, (GDestroyNotify) g_bytes_unref);
  g_clear_object (&self->connection);
  g_clear_object (&self->session);
  g_free (self);
}

void
dsd_test_websocket_send (DsdTestWebsocket *self,
                         const char       *text)
{
  soup_websocket_connection_send_text (self->connection, text);
}

void
dsd_test_websocket_send_binary (DsdTestWebsocket *self,
                                gconstpointer     data,
                                gsize             length)
{
  soup_websocket_connection_send_binary (self->connection, data, length);
}

static gboolean
has_frame_or_closed (gpointer user_data)
{
  DsdTestWebsocket *self = user_data;

  return self->frames.length > 0 ||
         soup_websocket_connection_get_state (self->connection) == SOUP_WEBSOCKET_STATE_CLOSED;
}

JsonObject *
dsd_test_websocket_next (DsdTestWebsocket *self,
                         guint             timeout_ms)
{
  g_autoptr(GBytes) frame = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GError) error = NULL;

  dsd_test_run_until (has_frame_or_closed, self, timeout_ms);
  frame = g_queue_pop_head (&self->frames);
  if (frame == NULL)
    return NULL;

  node = json_from_string (g_bytes_get_data (frame, NULL), &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));

  return json_object_ref (json_node_get_object (node));
}

JsonObject *
dsd_test_websocket_next_of_type (DsdTestWebsocket *self,
                                 const char       *type,
                                 guint             timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + timeout_ms * (gint64) 1000;

  for (;;)
    {
      gint64 left_ms = (deadline - g_get_monotonic_time ()) / 1000;
      g_autoptr(JsonObject) frame = dsd_test_websocket_next (self, MAX (left_ms, 0));

      if (frame == NULL)
        return NULL;
      if (g_strcmp0 (json_object_get_string_member_with_default (frame, "type", NULL),
                     type) == 0)
        return g_steal_pointer (&frame);
    }
}

gboolean
dsd_test_websocket_is_open (DsdTestWebsocket *self)
{
  return soup_websocket_connection_get_state (self->connection) == SOUP_WEBSOCKET_STATE_OPEN;
}

static gboolean
is_closed (gpointer user_data)
{
  DsdTestWebsocket *self = user_data;

  return soup_websocket_connection_get_state (self->connection) == SOUP_WEBSOCKET_STATE_CLOSED;
}

gushort
dsd_test_websocket_wait_closed (DsdTestWebsocket *self,
                                guint             timeout_ms)
{
  if (!dsd_test_run_until (is_closed, self, timeout_ms))
    return 0;

  return soup_websocket_connection_get_close_code (self->connection);
}

/* Raw ---------------------------------------------------------------------- */

static void
read_exactly (GSocketConnection *connection,
              void              *buffer,
              gsize              length,
              GError           **error)
{
  gsize n_read = 0;

  if (g_input_stream_read_all (g_io_stream_get_input_stream (G_IO_STREAM (connection)),
                               buffer, length, &n_read, NULL, error) && n_read < length)
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CLOSED, "connection closed");
}

GSocketConnection *
dsd_test_raw_websocket_open (DsdTestServer *server,
                             const char    *path,
                             const char    *token,
                             int            receive_buffer)
{
  g_autoptr(GUri) uri = g_uri_parse (dsd_test_server_get_url (server), G_URI_FLAGS_NONE, NULL);
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GSocketAddress) address = NULL;
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) request = g_string_new (NULL);
  g_autoptr(GString) answer = g_string_new (NULL);

  g_assert_nonnull (uri);
  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                         &error);
  g_assert_no_error (error);
  if (receive_buffer > 0)
    g_socket_set_option (socket, SOL_SOCKET, SO_RCVBUF, receive_buffer, NULL);
  g_socket_set_timeout (socket, RAW_READ_TIMEOUT_S);

  address = g_inet_socket_address_new_from_string (g_uri_get_host (uri), g_uri_get_port (uri));
  g_socket_connect (socket, address, NULL, &error);
  g_assert_no_error (error);
  connection = g_socket_connection_factory_create_connection (socket);

  g_string_append_printf (request,
                          "GET %s HTTP/1.1\r\n"
                          "Host: %s:%d\r\n"
                          "Upgrade: websocket\r\n"
                          "Connection: Upgrade\r\n"
                          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                          "Sec-WebSocket-Version: 13\r\n",
                          path, g_uri_get_host (uri), g_uri_get_port (uri));
  if (token != NULL)
    g_string_append_printf (request, "Authorization: Bearer %s\r\n", token);
  g_string_append (request, "\r\n");

  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)),
                             request->str, request->len, NULL, NULL, &error);
  g_assert_no_error (error);

  /* Byte by byte, so that nothing after the headers is consumed. */
  while (!g_str_has_suffix (answer->str, "\r\n\r\n"))
    {
      char c;

      read_exactly (connection, &c, 1, &error);
      g_assert_no_error (error);
      g_string_append_c (answer, c);
    }
  if (!g_str_has_prefix (answer->str, "HTTP/1.1 101"))
    g_error ("Expected 101, got: %s", answer->str);

  return g_steal_pointer (&connection);
}

void
dsd_test_raw_websocket_send_frame (GSocketConnection *connection,
                                   guint8             opcode,
                                   gboolean           fin,
                                   gconstpointer      data,
                                   gsize              length)
{
  g_autoptr(GByteArray) frame = g_byte_array_sized_new (length + 14);
  g_autoptr(GError) error = NULL;
  const guint8 mask[4] = { 0x12, 0x34, 0x56, 0x78 };
  guint8 header[10];
  gsize header_length = 2;

  header[0] = (fin ? 0x80 : 0) | opcode;
  if (length < 126)
    {
      header[1] = 0x80 | length;
    }
  else if (length <= G_MAXUINT16)
    {
      header[1] = 0x80 | 126;
      header[2] = length >> 8;
      header[3] = length & 0xff;
      header_length = 4;
    }
  else
    {
      header[1] = 0x80 | 127;
      for (guint i = 0; i < 8; i++)
        header[2 + i] = ((guint64) length >> (56 - 8 * i)) & 0xff;
      header_length = 10;
    }

  g_byte_array_append (frame, header, header_length);
  g_byte_array_append (frame, mask, sizeof mask);
  for (gsize i = 0; i < length; i++)
    {
      guint8 byte = ((const guint8 *) data)[i] ^ mask[i % 4];

      g_byte_array_append (frame, &byte, 1);
    }

  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)),
                             frame->data, frame->len, NULL, NULL, &error);
  g_assert_no_error (error);
}

gushort
dsd_test_raw_websocket_read_close (GSocketConnection *connection,
                                   guint             *n_data_frames)
{
  if (n_data_frames != NULL)
    *n_data_frames = 0;

  for (;;)
    {
      g_autoptr(GError) error = NULL;
      g_autofree guint8 *payload = NULL;
      guint8 header[8];
      guint64 length;
      guint8 opcode;

      read_exactly (connection, header, 2, &error);
      if (error != NULL)
        return 0;

      opcode = header[0] & 0x0f;
      length = header[1] & 0x7f;
      if (length == 126 || length == 127)
        {
          guint n = length == 126 ? 2 : 8;

          read_exactly (connection, header, n, &error);
          if (error != NULL)
            return 0;
          length = 0;
          for (guint i = 0; i < n; i++)
            length = (length << 8) | header[i];
        }

      payload = g_malloc (MAX (length, 2));
      read_exactly (connection, payload, length, &error);
      if (error != NULL)
        return 0;

      if (opcode == 0x8)
        return length >= 2 ? (payload[0] << 8) | payload[1] : 1005;
      if (opcode < 0x8 && n_data_frames != NULL)
        (*n_data_frames)++;
    }
}
