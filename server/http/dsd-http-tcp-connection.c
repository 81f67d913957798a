/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-http"

#include "config.h"

#include "dsd-http-tcp-connection.h"

struct _DsdHttpTcpConnection
{
  GTcpConnection parent_instance;

  GMainContext  *context;       /* the thread's that made it, where closed runs */
  GDestroyNotify closed;
  gpointer       data;
};

G_DEFINE_FINAL_TYPE (DsdHttpTcpConnection, dsd_http_tcp_connection, G_TYPE_TCP_CONNECTION)

typedef struct {
  GDestroyNotify closed;
  gpointer       data;
} ClosedCall;

static gboolean
closed_call_cb (gpointer user_data)
{
  ClosedCall *call = user_data;
  /* Written on another thread: the atomic read pairs with its atomic write
   * (GLib's source attach orders them too, unseen by ThreadSanitizer). */
  GDestroyNotify closed = g_atomic_pointer_get (&call->closed);

  closed (call->data);
  return G_SOURCE_REMOVE;
}

/* glib-networking closes a TLS connection's base stream on a worker thread:
 * closed runs on the thread that made the connection, whose state it
 * changes. */
static void
notify_closed (DsdHttpTcpConnection *self)
{
  GDestroyNotify closed = g_atomic_pointer_exchange (&self->closed, NULL);
  g_autoptr(GSource) source = NULL;
  ClosedCall *call;

  if (closed == NULL)
    return;

  if (g_main_context_is_owner (self->context))
    {
      closed (g_steal_pointer (&self->data));
      return;
    }

  call = g_new (ClosedCall, 1);
  call->data = g_steal_pointer (&self->data);
  g_atomic_pointer_set (&call->closed, closed);
  source = g_idle_source_new ();
  g_source_set_callback (source, closed_call_cb, call, g_free);
  g_source_attach (source, self->context);
}

/* Also how g_io_stream_close_async() closes a socket connection, and how
 * GIOStream's dispose closes one left open (the socket then closes with
 * its last reference, which is ours). */
static gboolean
dsd_http_tcp_connection_close (GIOStream     *stream,
                               GCancellable  *cancellable,
                               GError       **error)
{
  DsdHttpTcpConnection *self = DSD_HTTP_TCP_CONNECTION (stream);
  gboolean closed;

  closed = G_IO_STREAM_CLASS (dsd_http_tcp_connection_parent_class)->close_fn (stream,
                                                                              cancellable,
                                                                              error);
  notify_closed (self);

  return closed;
}

static void
dsd_http_tcp_connection_finalize (GObject *object)
{
  DsdHttpTcpConnection *self = DSD_HTTP_TCP_CONNECTION (object);

  g_main_context_unref (self->context);

  G_OBJECT_CLASS (dsd_http_tcp_connection_parent_class)->finalize (object);
}

static void
dsd_http_tcp_connection_class_init (DsdHttpTcpConnectionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GIOStreamClass *stream_class = G_IO_STREAM_CLASS (klass);

  object_class->finalize = dsd_http_tcp_connection_finalize;
  stream_class->close_fn = dsd_http_tcp_connection_close;
}

static void
dsd_http_tcp_connection_init (DsdHttpTcpConnection *self)
{
  self->context = g_main_context_ref_thread_default ();
}

DsdHttpTcpConnection *
dsd_http_tcp_connection_new (GSocket        *socket,
                             GDestroyNotify  closed,
                             gpointer        data)
{
  DsdHttpTcpConnection *self;

  g_return_val_if_fail (G_IS_SOCKET (socket), NULL);

  self = g_object_new (DSD_TYPE_HTTP_TCP_CONNECTION, "socket", socket, NULL);
  self->closed = closed;
  self->data = data;

  return self;
}
