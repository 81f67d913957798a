/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-http"

#include "config.h"

#include <netinet/in.h>
#include <netinet/tcp.h>

#include "dsd-http-connections.h"

/*
 * libsoup wraps the stream it is given in a buffering stream. We unwrap it
 * when taking a connection back, unless that buffer still holds input (a
 * client pipelining requests); then the wrapped stream goes back as it is.
 * Past this many wrappers, the next response closes the connection.
 */
#define MAX_WRAPPERS 4

struct _DsdHttpConnections
{
  GObject         parent_instance;

  SoupServer     *soup;
  GSocketService *service;

  /* Connections taken back while handing over another (a pipelined request
   * served at once) wait for an idle, so that calls do not nest. */
  gboolean        handing_over;
  GQueue          handovers;
  guint           handover_id;
};

G_DEFINE_FINAL_TYPE (DsdHttpConnections, dsd_http_connections, G_TYPE_OBJECT)

typedef struct {
  GIOStream      *stream;
  GSocketAddress *local;
  GSocketAddress *remote;
} Handover;

/* Kept on the remote address, which libsoup carries from one handover to
 * the next: the number of wrappers around the connection's stream. */
static GQuark wrappers_quark;
static guint message_finished_signal;
static guint request_finished_signal;
static guint request_aborted_signal;

static void
handover_free (Handover *handover)
{
  g_clear_object (&handover->stream);
  g_clear_object (&handover->local);
  g_clear_object (&handover->remote);
  g_free (handover);
}

static void
hand_over (DsdHttpConnections *self,
           GIOStream          *stream,
           GSocketAddress     *local,
           GSocketAddress     *remote)
{
  g_autoptr(GError) error = NULL;

  g_assert (!self->handing_over);
  self->handing_over = TRUE;

  if (!soup_server_accept_iostream (self->soup, stream, local, remote, &error))
    {
      g_debug ("Dropping a connection libsoup refused: %s", error->message);
      g_io_stream_close_async (stream, G_PRIORITY_DEFAULT, NULL, NULL, NULL);
    }

  self->handing_over = FALSE;
}

static gboolean
handovers_cb (gpointer user_data)
{
  DsdHttpConnections *self = user_data;
  Handover *handover;

  self->handover_id = 0;

  while ((handover = g_queue_pop_head (&self->handovers)) != NULL)
    {
      hand_over (self, handover->stream, handover->local, handover->remote);
      handover_free (handover);
    }

  return G_SOURCE_REMOVE;
}

/*
 * soup_server_message_is_keepalive() of libsoup 3.2, which is private, except
 * that a response without a body (204, 304, HEAD) keeps the connection: libsoup
 * drops the Content-Length of a 204 and then takes it for a body ending at EOF.
 */
static gboolean
is_keepalive (SoupServerMessage *msg)
{
  SoupMessageHeaders *request_headers = soup_server_message_get_request_headers (msg);
  SoupMessageHeaders *response_headers = soup_server_message_get_response_headers (msg);
  guint status = soup_server_message_get_status (msg);
  gboolean bodiless = status == SOUP_STATUS_NO_CONTENT || status == SOUP_STATUS_NOT_MODIFIED ||
                      soup_server_message_get_method (msg) == SOUP_METHOD_HEAD;

  if (!bodiless && soup_message_headers_get_encoding (response_headers) == SOUP_ENCODING_EOF)
    return FALSE;

  if (soup_server_message_get_http_version (msg) == SOUP_HTTP_1_0)
    return soup_message_headers_header_contains (response_headers, "Connection", "Keep-Alive");

  return !soup_message_headers_header_contains (request_headers, "Connection", "close") &&
         !soup_message_headers_header_contains (response_headers, "Connection", "close");
}

/*
 * The stream to give back to libsoup: the one it was first given when none
 * of its wrappers holds input, otherwise the stolen one. Sets *wrappers to
 * the number of wrappers around what it returns.
 */
static GIOStream *
unwrap (GIOStream *stolen,
        guint     *wrappers)
{
  GInputStream *input = g_io_stream_get_input_stream (stolen);
  g_autoptr(GIOStream) base = g_object_ref (stolen);
  gboolean buffered;
  guint depth = 0;

  /* Readable means a wrapper holds input or the socket has some: the input
   * of a request that libsoup may already have read ahead. */
  buffered = !G_IS_POLLABLE_INPUT_STREAM (input) ||
             g_pollable_input_stream_is_readable (G_POLLABLE_INPUT_STREAM (input));

  while (g_object_class_find_property (G_OBJECT_GET_CLASS (base), "base-iostream") != NULL)
    {
      GIOStream *inner = NULL;

      g_object_get (base, "base-iostream", &inner, NULL);
      g_set_object (&base, inner);
      g_object_unref (inner);
      depth++;
    }

  if (buffered)
    {
      *wrappers = depth;
      return g_object_ref (stolen);
    }

  *wrappers = 0;
  return g_steal_pointer (&base);
}

/* What libsoup does when it finishes a request on a connection it keeps. */
static void
emit_finished (DsdHttpConnections *self,
               SoupServerMessage  *msg)
{
  gboolean failed = soup_server_message_get_status (msg) == SOUP_STATUS_INTERNAL_SERVER_ERROR;

  g_signal_emit (msg, message_finished_signal, 0);
  g_signal_emit (self->soup, failed ? request_aborted_signal : request_finished_signal, 0, msg);
}

/* The response is on the wire: take the connection back before libsoup
 * starts waiting for the next request on it. */
static void
wrote_body_cb (SoupServerMessage *msg,
               gpointer           user_data)
{
  DsdHttpConnections *self = user_data;
  GSocketAddress *local = soup_server_message_get_local_address (msg);
  GSocketAddress *remote = soup_server_message_get_remote_address (msg);
  g_autoptr(GIOStream) stolen = NULL;
  g_autoptr(GIOStream) stream = NULL;
  Handover *handover;
  guint wrappers;

  if (local == NULL || remote == NULL || !is_keepalive (msg))
    return;

  /* Both stay alive with msg. */
  stolen = soup_server_message_steal_connection (msg);
  emit_finished (self, msg);
  if (stolen == NULL)
    return;

  stream = unwrap (stolen, &wrappers);
  g_object_set_qdata (G_OBJECT (remote), wrappers_quark, GUINT_TO_POINTER (wrappers));

  if (!self->handing_over)
    {
      hand_over (self, stream, local, remote);
      return;
    }

  handover = g_new0 (Handover, 1);
  handover->stream = g_steal_pointer (&stream);
  handover->local = g_object_ref (local);
  handover->remote = g_object_ref (remote);
  g_queue_push_tail (&self->handovers, handover);
  if (self->handover_id == 0)
    self->handover_id = g_idle_add_full (G_PRIORITY_DEFAULT, handovers_cb, self, NULL);
}

static void
request_started_cb (SoupServer        *soup,
                    SoupServerMessage *msg,
                    gpointer           user_data)
{
  DsdHttpConnections *self = user_data;
  GSocketAddress *remote = soup_server_message_get_remote_address (msg);
  guint wrappers = 0;

  if (remote != NULL)
    wrappers = GPOINTER_TO_UINT (g_object_get_qdata (G_OBJECT (remote), wrappers_quark));

  if (wrappers >= MAX_WRAPPERS)
    soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                  "Connection", "close");
  else
    g_signal_connect_object (msg, "wrote-body", G_CALLBACK (wrote_body_cb), self, 0);
}

static gboolean
incoming_cb (GSocketService    *service,
             GSocketConnection *connection,
             GObject           *certificate,
             gpointer           user_data)
{
  DsdHttpConnections *self = user_data;
  g_autoptr(GSocketAddress) local = NULL;
  g_autoptr(GSocketAddress) remote = NULL;
  g_autoptr(GIOStream) stream = NULL;
  g_autoptr(GError) error = NULL;

  /* Responses are written whole; as libsoup does for its own connections. */
  g_socket_set_option (g_socket_connection_get_socket (connection), IPPROTO_TCP, TCP_NODELAY,
                       TRUE, NULL);

  local = g_socket_connection_get_local_address (connection, &error);
  if (local != NULL)
    remote = g_socket_connection_get_remote_address (connection, &error);
  if (remote == NULL)
    {
      /* The client is already gone. */
      g_debug ("Dropping a connection: %s", error->message);
      return TRUE;
    }

  if (certificate != NULL)
    {
      stream = g_tls_server_connection_new (G_IO_STREAM (connection),
                                            G_TLS_CERTIFICATE (certificate), &error);
      if (stream == NULL)
        {
          g_warning ("Cannot serve TLS: %s", error->message);
          return TRUE;
        }

      /* Clients often close without close_notify; libsoup does not require it either. */
      g_tls_connection_set_require_close_notify (G_TLS_CONNECTION (stream), FALSE);
    }
  else
    stream = g_object_ref (G_IO_STREAM (connection));

  hand_over (self, stream, local, remote);

  return TRUE;
}

static void
dsd_http_connections_dispose (GObject *object)
{
  DsdHttpConnections *self = (DsdHttpConnections *)object;

  if (self->service != NULL)
    {
      dsd_http_connections_stop_accepting (self);
      g_clear_object (&self->service);
    }

  g_clear_handle_id (&self->handover_id, g_source_remove);
  g_queue_clear_full (&self->handovers, (GDestroyNotify) handover_free);

  if (self->soup != NULL)
    g_signal_handlers_disconnect_by_data (self->soup, self);
  g_clear_object (&self->soup);

  G_OBJECT_CLASS (dsd_http_connections_parent_class)->dispose (object);
}

static void
dsd_http_connections_class_init (DsdHttpConnectionsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = dsd_http_connections_dispose;

  wrappers_quark = g_quark_from_static_string ("dsd-http-connections-wrappers");
  /* Its signals exist once its class does; no message may have been made yet. */
  g_type_class_ref (SOUP_TYPE_SERVER_MESSAGE);
  message_finished_signal = g_signal_lookup ("finished", SOUP_TYPE_SERVER_MESSAGE);
  request_finished_signal = g_signal_lookup ("request-finished", SOUP_TYPE_SERVER);
  request_aborted_signal = g_signal_lookup ("request-aborted", SOUP_TYPE_SERVER);
}

static void
dsd_http_connections_init (DsdHttpConnections *self)
{
  g_queue_init (&self->handovers);
}

DsdHttpConnections *
dsd_http_connections_new (SoupServer *soup)
{
  DsdHttpConnections *self;

  g_return_val_if_fail (SOUP_IS_SERVER (soup), NULL);

  self = g_object_new (DSD_TYPE_HTTP_CONNECTIONS, NULL);
  self->soup = g_object_ref (soup);
  self->service = g_socket_service_new ();

  g_signal_connect (self->service, "incoming", G_CALLBACK (incoming_cb), self);
  g_signal_connect (soup, "request-started", G_CALLBACK (request_started_cb), self);

  return self;
}

gboolean
dsd_http_connections_add_socket (DsdHttpConnections  *self,
                                 GSocket             *socket,
                                 GTlsCertificate     *certificate,
                                 GError             **error)
{
  g_return_val_if_fail (DSD_IS_HTTP_CONNECTIONS (self), FALSE);
  g_return_val_if_fail (G_IS_SOCKET (socket), FALSE);
  g_return_val_if_fail (!certificate || G_IS_TLS_CERTIFICATE (certificate), FALSE);

  /* The certificate comes back as the source object of each connection. */
  return g_socket_listener_add_socket (G_SOCKET_LISTENER (self->service), socket,
                                       certificate ? G_OBJECT (certificate) : NULL, error);
}

void
dsd_http_connections_stop_accepting (DsdHttpConnections *self)
{
  g_return_if_fail (DSD_IS_HTTP_CONNECTIONS (self));

  g_socket_service_stop (self->service);
  g_socket_listener_close (G_SOCKET_LISTENER (self->service));
}
