/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-http"

#include "config.h"

#include <netinet/in.h>
#include <string.h>
#include <netinet/tcp.h>

#include "dispatch-error.h"

#include "dsd-http-closing.h"
#include "dsd-http-connections.h"
#include "dsd-http-framed-stream.h"
#include "dsd-http-loop.h"
#include "dsd-http-tcp-connection.h"
#include "dsd-request-private.h"

/*
 * libsoup wraps the stream it is given in a buffering stream. We unwrap it
 * when taking a connection back, unless that buffer still holds input (a
 * client pipelining requests); then the wrapped stream goes back as it is.
 * Past this many wrappers, the next response closes the connection.
 */
#define MAX_WRAPPERS 4
/* Retry-After of the 503 for a connection over a cap. */
#define OVER_CAP_RETRY_S 1

/* Open connections, per client address and in total. Shared with the
 * connections themselves, which may outlive us. */
typedef struct {
  gatomicrefcount ref_count;
  GMutex          mutex;        /* shared by the fronts' loops */
  GHashTable     *per_client;   /* address text → count */
  guint           total;
} Counts;

/* One open connection's share of the counts, released when it closes. */
typedef struct {
  Counts *counts;
  char   *client;
} Tracker;

/* A connection waiting here for its next request. */
typedef struct {
  GList               link;
  DsdHttpConnections *self;
  GIOStream          *stream;
  GSocketAddress     *local;
  GSocketAddress     *remote;
  GSource            *source;
  gboolean            idle;       /* has had a response: no request under way */
} Waiting;

/* The time a request has left to arrive, kept on its message. */
typedef struct {
  DsdHttpConnections  *self;
  SoupServerMessage   *msg;        /* unowned: this lives on it */
  DsdHttpFramedStream *framed;     /* watched for a badly framed body */
  guint                timeout_id;
  gboolean             headers_read;
  gboolean             disconnected;
} Deadline;

struct _DsdHttpConnections
{
  GObject         parent_instance;

  SoupServer     *soup;
  GSocketService *service;
  DsdHttpLimits   limits;
  Counts         *counts;
  GQueue          waiting;

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
/* Also on the remote address: the connection's DsdHttpFramedStream. */
static GQuark framed_quark;
static GQuark deadline_quark;
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

static Counts *
counts_ref (Counts *counts)
{
  g_atomic_ref_count_inc (&counts->ref_count);
  return counts;
}

static void
counts_unref (Counts *counts)
{
  if (!g_atomic_ref_count_dec (&counts->ref_count))
    return;

  g_hash_table_unref (counts->per_client);
  g_mutex_clear (&counts->mutex);
  g_free (counts);
}

static void
tracker_free (Tracker *tracker)
{
  Counts *counts = tracker->counts;
  guint n;

  g_mutex_lock (&counts->mutex);
  n = GPOINTER_TO_UINT (g_hash_table_lookup (counts->per_client, tracker->client));
  if (n > 1)
    g_hash_table_insert (counts->per_client, g_steal_pointer (&tracker->client),
                         GUINT_TO_POINTER (n - 1));
  else
    g_hash_table_remove (counts->per_client, tracker->client);
  counts->total--;
  g_mutex_unlock (&counts->mutex);

  counts_unref (counts);
  g_free (tracker->client);
  g_free (tracker);
}

static void
waiting_free (Waiting *waiting)
{
  if (waiting->source != NULL)
    {
      g_source_destroy (waiting->source);
      g_source_unref (waiting->source);
    }
  g_clear_object (&waiting->stream);
  g_clear_object (&waiting->local);
  g_clear_object (&waiting->remote);
  g_free (waiting);
}

/*
 * Makes room for a new connection by closing the longest-waiting idle
 * keep-alive connection (one that has had a response and waits for its next
 * request) of client, or of any client when client is NULL. Clients keep
 * such connections for reuse, libsoup's for up to a minute, and open a new
 * connection for each non-idempotent request (POST) rather than reuse one:
 * refusing the new connection would fail a request to spare a connection
 * that has none. The closed connection is counted until it closes.
 */
static gboolean
reclaim_idle (DsdHttpConnections *self,
              GInetAddress       *client)
{
  for (GList *link = self->waiting.head; link != NULL; link = link->next)
    {
      Waiting *waiting = link->data;
      GInetSocketAddress *remote = G_INET_SOCKET_ADDRESS (waiting->remote);

      if (!waiting->idle ||
          (client != NULL &&
           !g_inet_address_equal (g_inet_socket_address_get_address (remote), client)))
        continue;

      g_debug ("Closing an idle connection to make room for a new one");
      g_queue_unlink (&self->waiting, link);
      dsd_http_close_gracefully (g_steal_pointer (&waiting->stream), NULL);
      waiting_free (waiting);
      return TRUE;
    }

  return FALSE;
}

/* Counts a connection on connection's socket for its client, or NULL when a
 * cap is reached and no idle connection can make room. The count goes when
 * that connection closes. */
static DsdHttpTcpConnection *
track (DsdHttpConnections *self,
       GSocketConnection  *connection,
       GSocketAddress     *remote)
{
  GInetAddress *address = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (remote));
  g_autofree char *client = g_inet_address_to_string (address);
  Counts *counts = self->counts;
  gboolean over_total, over_client;
  Tracker *tracker;
  guint n;

  g_mutex_lock (&counts->mutex);
  n = GPOINTER_TO_UINT (g_hash_table_lookup (counts->per_client, client));
  over_total = counts->total >= self->limits.max_connections;
  over_client = n >= self->limits.max_connections_per_client;
  g_mutex_unlock (&counts->mutex);

  /* The closed idle connection counts until it has closed (on this loop). */
  if ((over_total || over_client) && !reclaim_idle (self, over_client ? address : NULL))
    return NULL;

  g_mutex_lock (&counts->mutex);
  n = GPOINTER_TO_UINT (g_hash_table_lookup (counts->per_client, client));
  g_hash_table_insert (counts->per_client, g_strdup (client), GUINT_TO_POINTER (n + 1));
  counts->total++;
  g_mutex_unlock (&counts->mutex);

  tracker = g_new0 (Tracker, 1);
  tracker->counts = counts_ref (self->counts);
  tracker->client = g_steal_pointer (&client);

  return dsd_http_tcp_connection_new (g_socket_connection_get_socket (connection),
                                      (GDestroyNotify) tracker_free, tracker);
}

static void
refuse_over_cap (GSocketConnection *connection)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *response = NULL;

  g_set_error_literal (&error, DISPATCH_ERROR, DISPATCH_ERROR_UNAVAILABLE,
                       "too many connections");
  response = _dsd_error_response (error, OVER_CAP_RETRY_S);
  dsd_http_close_gracefully (G_IO_STREAM (g_object_ref (connection)), response);
}

static void hand_over (DsdHttpConnections *self,
                       GIOStream          *stream,
                       GSocketAddress     *local,
                       GSocketAddress     *remote);

/* Request bytes came, or the time is up. */
static gboolean
waiting_cb (GObject  *pollable,
            gpointer  user_data)
{
  Waiting *waiting = user_data;
  DsdHttpConnections *self = waiting->self;

  g_queue_unlink (&self->waiting, &waiting->link);

  if (g_pollable_input_stream_is_readable (G_POLLABLE_INPUT_STREAM (pollable)))
    hand_over (self, waiting->stream, waiting->local, waiting->remote);
  else
    {
      g_debug ("Closing a connection: no request came in time");
      dsd_http_close_gracefully (g_steal_pointer (&waiting->stream), NULL);
    }

  waiting_free (waiting);

  return G_SOURCE_REMOVE;
}

/* Keeps stream here until request bytes are readable (then to libsoup) or
 * its timeout passes without any (then closed): the idle timeout and its
 * grace after a response (idle), the header timeout after accept. Watches the socket itself: a
 * TLS stream cannot be polled before its handshake, and holds no input of
 * its own here (buffered input goes to libsoup at once, see unwrap()). */
static void
wait_for_request (DsdHttpConnections *self,
                  GIOStream          *stream,
                  GSocketAddress     *local,
                  GSocketAddress     *remote,
                  gboolean            idle)
{
  guint timeout_ms = idle ? self->limits.idle_timeout_ms + DSD_HTTP_IDLE_GRACE_MS
                          : self->limits.header_timeout_ms;
  GSocketConnection *connection = dsd_http_get_socket_connection (stream, NULL);
  GInputStream *input = g_io_stream_get_input_stream (G_IO_STREAM (connection));
  Waiting *waiting = g_new0 (Waiting, 1);

  waiting->link.data = waiting;
  waiting->self = self;
  waiting->stream = g_object_ref (stream);
  waiting->local = g_object_ref (local);
  waiting->remote = g_object_ref (remote);
  waiting->idle = idle;
  waiting->source = g_pollable_input_stream_create_source (G_POLLABLE_INPUT_STREAM (input), NULL);
  g_source_set_ready_time (waiting->source,
                           g_get_monotonic_time () + (gint64) timeout_ms * 1000);
  g_source_set_callback (waiting->source, G_SOURCE_FUNC (waiting_cb), waiting, NULL);
  g_source_attach (waiting->source, g_main_context_get_thread_default ());
  g_queue_push_tail_link (&self->waiting, &waiting->link);
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

  /* Nothing of a next request yet: it waits here. */
  if (wrappers == 0)
    {
      wait_for_request (self, stream, local, remote, TRUE);
      return;
    }

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
    self->handover_id = dsd_http_idle_add (G_PRIORITY_DEFAULT, handovers_cb, self);
}

static void
deadline_free (Deadline *deadline)
{
  g_clear_handle_id (&deadline->timeout_id, dsd_http_source_remove);
  if (deadline->framed != NULL)
    g_signal_handlers_disconnect_by_data (deadline->framed, deadline);
  g_clear_object (&deadline->framed);
  g_free (deadline);
}

/* Ends the request under way: takes the connection from libsoup, writes
 * response (nullable) and closes. status: the request's, for the log. */
static void
close_request (Deadline   *deadline,
               guint       status,
               const char *response)
{
  DsdHttpConnections *self = deadline->self;
  g_autoptr(SoupServerMessage) msg = g_object_ref (deadline->msg);
  GIOStream *stream;

  g_clear_handle_id (&deadline->timeout_id, dsd_http_source_remove);

  /* msg may lose its last other reference here. */
  stream = soup_server_message_steal_connection (msg);
  if (status != 0)
    {
      soup_server_message_set_status (msg, status, NULL);
      g_signal_emit (self->soup, request_aborted_signal, 0, msg);
    }
  if (stream != NULL)
    dsd_http_close_gracefully (stream, response);
}

/* The body's chunks are badly framed: 400 (413 for a chunk over the body
 * limit) and closed, without waiting for more. */
static void
close_badly_framed (Deadline *deadline)
{
  const GError *error = dsd_http_framed_stream_get_error (deadline->framed);
  g_autofree char *response = _dsd_error_response (error, 0);
  guint status;
  gsize length;

  /* Once: by ::failed or by the deadline, whichever comes first. The
   * input flows again for the closing to drain it (see dsd-http-closing.h). */
  g_signal_handlers_disconnect_by_data (deadline->framed, deadline);
  g_free (_dsd_error_envelope (error, &status, &length));
  dsd_http_framed_stream_release (deadline->framed);
  close_request (deadline, status, response);
}

static void
framing_failed_cb (DsdHttpFramedStream *framed,
                   gpointer             user_data)
{
  close_badly_framed (user_data);
}

/* The request took too long to arrive, or its framing failed before it
 * came (read ahead with the one before): the connection is closed. */
static gboolean
deadline_cb (gpointer user_data)
{
  Deadline *deadline = user_data;

  deadline->timeout_id = 0;
  if (deadline->framed != NULL && dsd_http_framed_stream_get_error (deadline->framed) != NULL)
    {
      close_badly_framed (deadline);
      return G_SOURCE_REMOVE;
    }

  g_debug ("Closing a connection: the request's %s did not come in time",
           deadline->headers_read ? "body" : "headers");
  close_request (deadline, deadline->headers_read ? SOUP_STATUS_REQUEST_TIMEOUT : 0, NULL);

  return G_SOURCE_REMOVE;
}

static void
deadline_set (Deadline *deadline,
              guint     timeout_ms)
{
  g_clear_handle_id (&deadline->timeout_id, dsd_http_source_remove);
  if (!deadline->disconnected)
    deadline->timeout_id = dsd_http_timeout_add (timeout_ms, deadline_cb, deadline);
}

static void
got_headers_cb (SoupServerMessage *msg,
                gpointer           user_data)
{
  Deadline *deadline = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  SoupEncoding encoding = soup_message_headers_get_encoding (headers);
  GSocketAddress *remote = soup_server_message_get_remote_address (msg);

  deadline->headers_read = TRUE;
  if (encoding == SOUP_ENCODING_CHUNKED && remote != NULL && deadline->framed == NULL)
    {
      deadline->framed = g_object_get_qdata (G_OBJECT (remote), framed_quark);
      if (deadline->framed != NULL)
        {
          g_object_ref (deadline->framed);
          g_signal_connect (deadline->framed, "failed", G_CALLBACK (framing_failed_cb), deadline);
        }
    }

  if (deadline->framed != NULL && dsd_http_framed_stream_get_error (deadline->framed) != NULL)
    deadline_set (deadline, 0);
  else if (encoding == SOUP_ENCODING_CHUNKED ||
           (encoding == SOUP_ENCODING_CONTENT_LENGTH &&
            soup_message_headers_get_content_length (headers) > 0))
    deadline_set (deadline, deadline->self->limits.body_timeout_ms);
  else
    g_clear_handle_id (&deadline->timeout_id, dsd_http_source_remove);
}

/* Read whole, answered, stolen or gone: no deadline any more. */
static void
request_over_cb (SoupServerMessage *msg,
                 gpointer           user_data)
{
  Deadline *deadline = user_data;

  g_clear_handle_id (&deadline->timeout_id, dsd_http_source_remove);
}

static void
disconnected_cb (SoupServerMessage *msg,
                 gpointer           user_data)
{
  Deadline *deadline = user_data;

  deadline->disconnected = TRUE;
  g_clear_handle_id (&deadline->timeout_id, dsd_http_source_remove);
}

static void
request_started_cb (SoupServer        *soup,
                    SoupServerMessage *msg,
                    gpointer           user_data)
{
  DsdHttpConnections *self = user_data;
  SoupMessageHeaders *response_headers = soup_server_message_get_response_headers (msg);
  GSocketAddress *remote = soup_server_message_get_remote_address (msg);
  g_autofree char *keep_alive = NULL;
  Deadline *deadline;
  guint wrappers = 0;

  deadline = g_new0 (Deadline, 1);
  deadline->self = self;
  deadline->msg = msg;
  g_object_set_qdata_full (G_OBJECT (msg), deadline_quark, deadline,
                           (GDestroyNotify) deadline_free);
  g_signal_connect (msg, "got-headers", G_CALLBACK (got_headers_cb), deadline);
  g_signal_connect (msg, "got-body", G_CALLBACK (request_over_cb), deadline);
  g_signal_connect (msg, "finished", G_CALLBACK (request_over_cb), deadline);
  g_signal_connect (msg, "disconnected", G_CALLBACK (disconnected_cb), deadline);
  deadline_set (deadline, self->limits.header_timeout_ms);

  if (remote != NULL)
    wrappers = GPOINTER_TO_UINT (g_object_get_qdata (G_OBJECT (remote), wrappers_quark));

  if (wrappers >= MAX_WRAPPERS)
    {
      soup_message_headers_replace (response_headers, "Connection", "close");
      return;
    }

  keep_alive = g_strdup_printf ("timeout=%u", self->limits.idle_timeout_ms / 1000);
  soup_message_headers_replace (response_headers, "Keep-Alive", keep_alive);
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
  g_autoptr(DsdHttpTcpConnection) counted = NULL;
  g_autoptr(GIOStream) stream = NULL;
  g_autoptr(GIOStream) framed = NULL;
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

  counted = track (self, connection, remote);
  if (counted == NULL)
    {
      g_debug ("Refusing a connection over the connection caps");
      refuse_over_cap (connection);
      return TRUE;
    }

  if (certificate != NULL)
    {
      stream = g_tls_server_connection_new (G_IO_STREAM (counted),
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
    stream = G_IO_STREAM (g_steal_pointer (&counted));

  framed = dsd_http_framed_stream_new (stream, DSD_HTTP_MAX_BODY_SIZE);
  g_object_set_qdata_full (G_OBJECT (remote), framed_quark, g_object_ref (framed),
                           g_object_unref);
  wait_for_request (self, framed, local, remote, FALSE);

  return TRUE;
}

void
dsd_http_connections_cut (SoupServerMessage *msg)
{
  GSocketAddress *remote = soup_server_message_get_remote_address (msg);
  DsdHttpFramedStream *framed = NULL;
  GSocketConnection *connection;

  if (remote != NULL)
    framed = g_object_get_qdata (G_OBJECT (remote), framed_quark);
  if (framed == NULL)
    return;
  connection = dsd_http_get_socket_connection (G_IO_STREAM (framed), NULL);
  if (connection != NULL)
    g_socket_shutdown (g_socket_connection_get_socket (connection), TRUE, TRUE, NULL);
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

  g_clear_handle_id (&self->handover_id, dsd_http_source_remove);
  g_queue_clear_full (&self->handovers, (GDestroyNotify) handover_free);
  dsd_http_connections_close_waiting (self);

  if (self->soup != NULL)
    g_signal_handlers_disconnect_by_data (self->soup, self);
  g_clear_object (&self->soup);

  G_OBJECT_CLASS (dsd_http_connections_parent_class)->dispose (object);
}

static void
dsd_http_connections_finalize (GObject *object)
{
  DsdHttpConnections *self = (DsdHttpConnections *)object;

  counts_unref (self->counts);

  G_OBJECT_CLASS (dsd_http_connections_parent_class)->finalize (object);
}

static void
dsd_http_connections_class_init (DsdHttpConnectionsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = dsd_http_connections_dispose;
  object_class->finalize = dsd_http_connections_finalize;

  wrappers_quark = g_quark_from_static_string ("dsd-http-connections-wrappers");
  deadline_quark = g_quark_from_static_string ("dsd-http-connections-deadline");
  framed_quark = g_quark_from_static_string ("dsd-http-connections-framed");
  /* Its signals exist once its class does; no message may have been made yet. */
  g_type_class_ref (SOUP_TYPE_SERVER_MESSAGE);
  message_finished_signal = g_signal_lookup ("finished", SOUP_TYPE_SERVER_MESSAGE);
  request_finished_signal = g_signal_lookup ("request-finished", SOUP_TYPE_SERVER);
  request_aborted_signal = g_signal_lookup ("request-aborted", SOUP_TYPE_SERVER);
}

static void
dsd_http_connections_init (DsdHttpConnections *self)
{
  static const DsdHttpLimits defaults = DSD_HTTP_LIMITS_INIT;

  g_queue_init (&self->handovers);
  g_queue_init (&self->waiting);
  self->limits = defaults;
  self->counts = g_new0 (Counts, 1);
  g_atomic_ref_count_init (&self->counts->ref_count);
  g_mutex_init (&self->counts->mutex);
  self->counts->per_client = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
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

void
dsd_http_connections_set_limits (DsdHttpConnections  *self,
                                 const DsdHttpLimits *limits)
{
  g_return_if_fail (DSD_IS_HTTP_CONNECTIONS (self));
  g_return_if_fail (limits != NULL);
  g_return_if_fail (limits->header_timeout_ms > 0 && limits->body_timeout_ms > 0 &&
                    limits->idle_timeout_ms > 0 && limits->max_connections > 0 &&
                    limits->max_connections_per_client > 0);

  self->limits = *limits;
}

void
dsd_http_connections_share_counts (DsdHttpConnections *self,
                                   DsdHttpConnections *other)
{
  g_return_if_fail (DSD_IS_HTTP_CONNECTIONS (self) && DSD_IS_HTTP_CONNECTIONS (other));
  g_return_if_fail (self->counts->total == 0);

  counts_unref (self->counts);
  self->counts = counts_ref (other->counts);
}

guint
dsd_http_connections_get_n_open (DsdHttpConnections *self)
{
  guint total;

  g_return_val_if_fail (DSD_IS_HTTP_CONNECTIONS (self), 0);

  g_mutex_lock (&self->counts->mutex);
  total = self->counts->total;
  g_mutex_unlock (&self->counts->mutex);

  return total;
}

guint
dsd_http_connections_get_n_waiting (DsdHttpConnections *self)
{
  g_return_val_if_fail (DSD_IS_HTTP_CONNECTIONS (self), 0);

  return self->waiting.length;
}

void
dsd_http_connections_close_waiting (DsdHttpConnections *self)
{
  GList *link;

  g_return_if_fail (DSD_IS_HTTP_CONNECTIONS (self));

  while ((link = g_queue_pop_head_link (&self->waiting)) != NULL)
    {
      Waiting *waiting = link->data;

      g_io_stream_close_async (waiting->stream, G_PRIORITY_DEFAULT, NULL, NULL, NULL);
      waiting_free (waiting);
    }
}
