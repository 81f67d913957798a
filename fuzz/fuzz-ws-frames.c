/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Websocket client frames as the server reads them: through DsdWsStream (its
 * frame-header parser, message size and ping limits) into libsoup's
 * SoupWebsocketConnection, which parses and unmasks them.
 */
#include <libsoup/soup.h>

#include "dsd-ws-stream.h"

#define MAX_PAYLOAD (64 * 1024)

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

static void
message_cb (SoupWebsocketConnection *connection,
            gint                     type,
            GBytes                  *message,
            gpointer                 user_data)
{
  (*(guint *) user_data)++;
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(GInputStream) input = g_memory_input_stream_new_from_data (g_memdup2 (data, size),
                                                                       size, g_free);
  g_autoptr(GOutputStream) output = g_memory_output_stream_new_resizable ();
  g_autoptr(GIOStream) base = g_simple_io_stream_new (input, output);
  g_autoptr(DsdWsStream) transport = dsd_ws_stream_new (base, MAX_PAYLOAD);
  g_autoptr(GUri) uri = g_uri_parse ("ws://fuzz/stream", G_URI_FLAGS_NONE, NULL);
  g_autoptr(SoupWebsocketConnection) connection = NULL;
  guint messages = 0;

  connection = soup_websocket_connection_new (G_IO_STREAM (transport), uri,
                                              SOUP_WEBSOCKET_CONNECTION_SERVER, NULL, NULL, NULL);
  soup_websocket_connection_set_max_incoming_payload_size (connection, MAX_PAYLOAD);
  g_signal_connect (connection, "message", G_CALLBACK (message_cb), &messages);

  /* libsoup reads as the main loop lets it, until the input ends. */
  for (guint i = 0; i < 1000 && soup_websocket_connection_get_state (connection) ==
                                  SOUP_WEBSOCKET_STATE_OPEN; i++)
    g_main_context_iteration (NULL, FALSE);

  if (soup_websocket_connection_get_state (connection) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (connection, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
  while (g_main_context_iteration (NULL, FALSE))
    ;

  return 0;
}
