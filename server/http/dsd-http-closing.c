/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-http"

#include "config.h"

#include <string.h>

#include "dsd-http-closing.h"
#include "dsd-http-framed-stream.h"
#include "dsd-http-loop.h"

typedef struct {
  GIOStream    *stream;
  GCancellable *cancellable;
  guint         timeout_id;
  char         *response;
  gsize         drained;
  guint8        buffer[8192];
} Closing;

static void
closing_free (Closing *closing)
{
  g_clear_handle_id (&closing->timeout_id, dsd_http_source_remove);
  g_clear_object (&closing->cancellable);
  g_clear_object (&closing->stream);
  g_free (closing->response);
  g_free (closing);
}

static void
closed_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_io_stream_close_finish (G_IO_STREAM (object), result, NULL);
  closing_free (user_data);
}

static void
close_now (Closing *closing)
{
  g_clear_handle_id (&closing->timeout_id, dsd_http_source_remove);
  g_io_stream_close_async (closing->stream, G_PRIORITY_DEFAULT, NULL, closed_cb, closing);
}

static void
drained_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  Closing *closing = user_data;
  gssize n_read;

  n_read = g_input_stream_read_finish (G_INPUT_STREAM (object), result, NULL);
  if (n_read <= 0 || (closing->drained += n_read) >= DSD_HTTP_CLOSING_MAX_BYTES)
    {
      close_now (closing);
      return;
    }

  g_input_stream_read_async (G_INPUT_STREAM (object), closing->buffer, sizeof closing->buffer,
                             G_PRIORITY_DEFAULT, closing->cancellable, drained_cb, closing);
}

GSocketConnection *
dsd_http_get_socket_connection (GIOStream *stream,
                                gboolean  *tls)
{
  if (tls != NULL)
    *tls = FALSE;

  while (!G_IS_SOCKET_CONNECTION (stream))
    {
      g_autoptr(GIOStream) inner = NULL;

      if (G_IS_TLS_CONNECTION (stream))
        {
          g_object_get (stream, "base-io-stream", &inner, NULL);
          if (tls != NULL)
            *tls = TRUE;
        }
      else if (DSD_IS_HTTP_FRAMED_STREAM (stream))
        {
          inner = g_object_ref (dsd_http_framed_stream_get_base (DSD_HTTP_FRAMED_STREAM (stream)));
        }
      else if (g_object_class_find_property (G_OBJECT_GET_CLASS (stream), "base-iostream"))
        {
          g_object_get (stream, "base-iostream", &inner, NULL);
        }
      else
        {
          return NULL;  /* no socket under it (memory streams, say) */
        }
      /* The wrapper keeps it alive. */
      stream = inner;
    }

  return G_SOCKET_CONNECTION (stream);
}

/* Our end of the connection: a FIN after what we wrote. (A TLS connection
 * ends with its close_notify, on close.) */
static void
shutdown_output (GIOStream *stream)
{
  gboolean tls;
  GSocketConnection *connection = dsd_http_get_socket_connection (stream, &tls);

  if (!tls)
    g_socket_shutdown (g_socket_connection_get_socket (connection), FALSE, TRUE, NULL);
}

static void
drain (Closing *closing)
{
  shutdown_output (closing->stream);
  g_input_stream_read_async (g_io_stream_get_input_stream (closing->stream),
                             closing->buffer, sizeof closing->buffer,
                             G_PRIORITY_DEFAULT, closing->cancellable, drained_cb, closing);
}

static void
written_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  Closing *closing = user_data;

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (object), result, NULL, NULL))
    close_now (closing);
  else
    drain (closing);
}

static gboolean
timeout_cb (gpointer user_data)
{
  Closing *closing = user_data;

  closing->timeout_id = 0;
  g_cancellable_cancel (closing->cancellable);

  return G_SOURCE_REMOVE;
}

void
dsd_http_close_gracefully (GIOStream  *stream,
                           const char *response)
{
  Closing *closing;

  g_return_if_fail (G_IS_IO_STREAM (stream));

  closing = g_new0 (Closing, 1);
  closing->stream = stream;
  closing->cancellable = g_cancellable_new ();
  closing->response = g_strdup (response);
  closing->timeout_id = dsd_http_timeout_add (DSD_HTTP_CLOSING_TIMEOUT_MS, timeout_cb, closing);

  if (response == NULL)
    {
      drain (closing);
      return;
    }

  g_output_stream_write_all_async (g_io_stream_get_output_stream (stream),
                                   closing->response, strlen (closing->response),
                                   G_PRIORITY_DEFAULT, closing->cancellable,
                                   written_cb, closing);
}
