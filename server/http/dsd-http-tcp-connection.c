/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-http"

#include "config.h"

#include "dsd-http-tcp-connection.h"

struct _DsdHttpTcpConnection
{
  GTcpConnection parent_instance;

  GDestroyNotify closed;
  gpointer       data;
};

G_DEFINE_FINAL_TYPE (DsdHttpTcpConnection, dsd_http_tcp_connection, G_TYPE_TCP_CONNECTION)

static void
notify_closed (DsdHttpTcpConnection *self)
{
  GDestroyNotify closed = g_steal_pointer (&self->closed);

  if (closed != NULL)
    closed (g_steal_pointer (&self->data));
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
dsd_http_tcp_connection_class_init (DsdHttpTcpConnectionClass *klass)
{
  GIOStreamClass *stream_class = G_IO_STREAM_CLASS (klass);

  stream_class->close_fn = dsd_http_tcp_connection_close;
}

static void
dsd_http_tcp_connection_init (DsdHttpTcpConnection *self)
{
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
