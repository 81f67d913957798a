/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-http"

#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "dispatch-error.h"

#include "dsd-http-closing.h"
#include "dsd-http-connections.h"
#include "dsd-http-loop.h"
#include "dsd-http-server.h"
#include "dsd-request-private.h"
#include "dsd-ws-stream.h"

#define DEFAULT_PORT 8080
/* soup_server_listen() would use a backlog of 10. */
#define LISTEN_BACKLOG 4096
#define WEBSOCKET_MAX_PAYLOAD (64 * 1024)
#define REQUESTS_METRIC "dispatch_http_requests_total"
#define DURATION_METRIC "dispatch_http_request_duration_seconds"

/*
 * One front loop: a SoupServer and its connections, on the main loop or on a
 * thread of its own (docs/architecture.md, "The HTTP front"). Everything here
 * belongs to the front's loop.
 */
struct _DsdHttpFront {
  DsdHttpServer      *server;     /* unowned: outlives its fronts */
  DsdHttpLoop        *loop;
  SoupServer         *soup;
  DsdHttpConnections *connections;
  /* DsdRequests from their headers to the end of their response */
  GQueue              in_flight;
  gboolean            stopping;
  gboolean            drained;    /* stopping with none in flight: told the server */
};
typedef DsdHttpFront Front;

struct _DsdHttpServer
{
  GObject         parent_instance;

  DsdRouter      *router;
  DsdTokenIssuer *tokens;
  DsdAccountStates *accounts;   /* nullable: tokens are not checked against users */
  DsdMetrics     *metrics;      /* nullable */
  DsdHttpAdmission admission;   /* nullable: every routed request runs */
  gpointer         admission_data;

  guint           n_threads;    /* front loops on threads of their own; 0: the main loop */
  DsdHttpLimits   limits;
  DsdHttpLoop    *main;         /* the loop that made us, where handlers run */
  GPtrArray      *fronts;       /* Front, made by the first listen */
  gboolean        started;
  GPtrArray      *sockets;      /* our listening GSockets */
  gboolean        https;

  /* Graceful stop */
  gboolean        stopping;
  GTask          *stop_task;
  guint           stop_timeout_id;
  guint           n_undrained;       /* fronts with requests in flight */
  guint           n_connected;       /* fronts not yet disconnected */
  gboolean        disconnecting;
};

G_DEFINE_FINAL_TYPE (DsdHttpServer, dsd_http_server, G_TYPE_OBJECT)

static GQuark request_quark;

static const double duration_bounds[] = {
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
};

static gboolean check_websocket_handshake (DsdRequest *request);

/* Method label values are a fixed set, so that odd methods add no series. */
static const char *
method_label (const char *method)
{
  static const char * const known[] = {
    "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS",
  };

  for (guint i = 0; i < G_N_ELEMENTS (known); i++)
    {
      if (strcmp (method, known[i]) == 0)
        return known[i];
    }

  return "other";
}

/* On the front (metrics and logging are thread-safe). */
static void
record_request (DsdHttpServer *self,
                DsdRequest    *request,
                guint          status)
{
  const char *route = request->route != NULL ? request->route->pattern : "unmatched";
  const char *method = method_label (request->method);
  double seconds = (g_get_monotonic_time () - request->start_us) / (double) G_USEC_PER_SEC;
  char status_text[16];

  g_snprintf (status_text, sizeof status_text, "%u", status);

  if (self->metrics != NULL)
    {
      dsd_metrics_counter_add (self->metrics, REQUESTS_METRIC,
                               (const char *[]) { route, method, status_text, NULL }, 1);
      dsd_metrics_histogram_observe (self->metrics, DURATION_METRIC,
                                     (const char *[]) { route, method, NULL }, seconds);
    }

  /* Formatting costs more than the rest of this function: skip it unless
   * someone asked for debug output. */
  if (!g_log_writer_default_would_drop (G_LOG_LEVEL_DEBUG, G_LOG_DOMAIN))
    {
      const char *peer = dsd_request_get_peer (request);
      char duration_text[32];

      g_snprintf (duration_text, sizeof duration_text, "%.3f", seconds * 1000);
      g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_DEBUG,
                        "METHOD", method,
                        "PATH", route,
                        "STATUS", status_text,
                        "DURATION_MS", duration_text,
                        "PEER", peer != NULL ? peer : "-",
                        "MESSAGE", "%s %s %s %s ms", method, route, status_text, duration_text);
    }
}

static void front_drained (Front *front);

/* The request leaves its front: no more callbacks, no responding needed. */
static void
detach_request (Front      *front,
                DsdRequest *request)
{
  g_assert (!request->done);

  request->done = TRUE;
  g_atomic_int_set (&request->gone, TRUE);
  g_queue_unlink (&front->in_flight, &request->link);
  g_object_set_qdata (G_OBJECT (request->msg), request_quark, NULL);
  g_signal_handlers_disconnect_by_data (request->msg, request);
  g_clear_object (&request->msg);

  _dsd_request_detached (request);
}

static void
request_done (Front      *front,
              DsdRequest *request,
              guint       status)
{
  if (request->done)
    return;

  record_request (front->server, request, status);
  detach_request (front, request);

  if (front->in_flight.length == 0 && front->stopping)
    front_drained (front);
}

/* Answers error without reading the body and closes: take the connection
 * from libsoup and write the response ourselves. */
static void
reject_request (Front         *front,
                DsdRequest    *request,
                const GError  *error)
{
  g_autofree char *response = NULL;
  GIOStream *stream;
  guint status;
  gsize length;

  g_free (_dsd_error_envelope (error, &status, &length));
  response = _dsd_error_response (error, 0);

  stream = soup_server_message_steal_connection (request->msg);
  request_done (front, request, status);
  if (stream != NULL)
    dsd_http_close_gracefully (stream, response);
}

static void
reject_oversized (Front      *front,
                  DsdRequest *request)
{
  g_autoptr(GError) error = NULL;

  g_set_error (&error, DISPATCH_ERROR, DISPATCH_ERROR_PAYLOAD_TOO_LARGE,
               "request body exceeds %u bytes", DSD_HTTP_MAX_BODY_SIZE);
  reject_request (front, request, error);
}

static DsdRequest *
lookup_request (SoupServerMessage *msg)
{
  return g_object_get_qdata (G_OBJECT (msg), request_quark);
}

static void
got_chunk_cb (SoupServerMessage *msg,
              GBytes            *chunk,
              gpointer           user_data)
{
  Front *front = user_data;
  DsdRequest *request = lookup_request (msg);

  if (request == NULL)
    return;

  /* libsoup accumulates the body; stopping here keeps that under the limit
   * plus one read (8 KiB). */
  request->body_received += g_bytes_get_size (chunk);
  if (request->body_received > DSD_HTTP_MAX_BODY_SIZE)
    reject_oversized (front, request);
}

/* "Authorization: Bearer <token>"; "" for another scheme, NULL when absent. */
static const char *
get_bearer_token (DsdRequest *request)
{
  const char *value = dsd_request_get_header (request, "Authorization");

  if (value == NULL)
    return NULL;
  if (g_ascii_strncasecmp (value, "Bearer ", 7) != 0)
    return "";

  value += 7;
  while (*value == ' ')
    value++;

  return value;
}

static gboolean
authenticate (DsdHttpServer  *self,
              DsdRequest     *request,
              GError        **error)
{
  const DsdRoute *route = request->route;
  const char *token = get_bearer_token (request);

  /* Browsers cannot set headers on websocket requests. */
  if (token == NULL && route->websocket_handler != NULL)
    token = dsd_request_get_query (request, "access_token");

  if (token != NULL)
    {
      request->principal = dsd_token_issuer_verify (self->tokens, token, error);
      if (request->principal == NULL)
        return FALSE;
    }

  if (route->allowed_roles == 0)
    return TRUE;

  if (request->principal == NULL)
    {
      g_set_error_literal (error, DISPATCH_ERROR, DISPATCH_ERROR_UNAUTHENTICATED,
                           "missing access token");
      return FALSE;
    }

  if ((request->principal->role & route->allowed_roles) == 0)
    {
      g_set_error_literal (error, DISPATCH_ERROR, DISPATCH_ERROR_PERMISSION_DENIED,
                           "this endpoint is not available to your role");
      return FALSE;
    }

  return TRUE;
}

/* No route for the method: 404, 405 with Allow, or the answer to OPTIONS. */
static void
respond_unrouted (DsdRequest *request,
                  const char *allow)
{
  g_autoptr(GError) error = NULL;
  SoupMessageHeaders *headers = _dsd_request_get_response_headers (request);

  if (allow == NULL)
    {
      g_set_error_literal (&error, DISPATCH_ERROR, DISPATCH_ERROR_NOT_FOUND, "not found");
      dsd_request_respond_error (request, error);
      return;
    }

  soup_message_headers_replace (headers, "Allow", allow);

  if (strcmp (dsd_request_get_method (request), SOUP_METHOD_OPTIONS) == 0)
    {
      _dsd_request_finish_response (request, SOUP_STATUS_NO_CONTENT);
      return;
    }

  g_set_error_literal (&error, DISPATCH_ERROR, DISPATCH_ERROR_METHOD_NOT_ALLOWED,
                       "method not allowed");
  dsd_request_respond_error (request, error);
}

/*
 * Runs once the request headers are in, before the body is read: size limits,
 * routing and authentication, so that nothing is read for a request we refuse
 * anyway. Refusals set the response here and libsoup skips the handler; the
 * body (at most 1 MiB) is still read to keep the connection usable.
 */
static void
early_handler_cb (SoupServer        *server,
                  SoupServerMessage *msg,
                  const char        *path,
                  GHashTable        *query,
                  gpointer           user_data)
{
  Front *front = user_data;
  DsdHttpServer *self = front->server;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  g_autoptr(GError) error = NULL;
  g_autofree char *allow = NULL;
  DsdRequest *request;
  gboolean parsed;

  request = _dsd_request_new (self, front, front->loop, self->main, msg);
  g_queue_push_tail_link (&front->in_flight, &request->link);
  g_object_set_qdata (G_OBJECT (msg), request_quark, request);

  if (front->stopping)
    soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                  "Connection", "close");
  if (self->https)
    soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                  "Strict-Transport-Security", DSD_HTTP_HSTS);

  if (!_dsd_request_check_framing (headers, &error))
    {
      reject_request (front, request, error);
      return;
    }

  parsed = _dsd_request_parse_target (request, soup_server_message_get_uri (msg), &error);
  if (parsed)
    request->route = _dsd_router_match (self->router, soup_server_message_get_method (msg),
                                        request->segments, request->n_segments,
                                        request->values, &allow);
  if (request->route != NULL)
    request->router = g_object_ref (self->router);

  switch (soup_message_headers_get_encoding (headers))
    {
    case SOUP_ENCODING_CONTENT_LENGTH:
      if (soup_message_headers_get_content_length (headers) > DSD_HTTP_MAX_BODY_SIZE)
        {
          reject_oversized (front, request);
          return;
        }
      break;

    case SOUP_ENCODING_CHUNKED:
      g_signal_connect (msg, "got-chunk", G_CALLBACK (got_chunk_cb), front);
      break;

    default:
      break;
    }

  if (!parsed)
    dsd_request_respond_error (request, error);
  else if (request->route == NULL)
    respond_unrouted (request, allow);
  else if (!authenticate (self, request, &error))
    dsd_request_respond_error (request, error);
}

static void
run_route_handler (DsdRequest *request)
{
  request->route->handler (request, request->route->user_data);
}

static void
run_request (DsdRequest *request)
{
  g_autoptr(GError) error = NULL;

  if (request->route->websocket_handler == NULL)
    {
      run_route_handler (request);
      return;
    }

  if (!check_websocket_handshake (request))
    {
      g_set_error_literal (&error, DISPATCH_ERROR, DISPATCH_ERROR_INVALID_ARGUMENT,
                           "a websocket handshake is required");
      dsd_request_respond_error (request, error);
    }
  else if (request->route->handler != NULL)
    run_route_handler (request);
  else
    dsd_request_accept_websocket (request);
}

/* The admission (a shared rate limit) may answer later. */
static void
admit_and_run (DsdRequest *request)
{
  DsdHttpServer *self = request->server;

  if (self->admission == NULL)
    {
      run_request (request);
      return;
    }

  self->admission (request, self->admission_data);
}

static void
account_loaded_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(DsdRequest) request = user_data;
  g_autoptr(GError) error = NULL;

  if (g_atomic_int_get (&request->gone))
    return;

  if (!dsd_account_states_wait_finish (DSD_ACCOUNT_STATES (source), result, &error) ||
      dsd_account_states_check (DSD_ACCOUNT_STATES (source), request->principal,
                                &error) != DSD_ACCOUNT_ALLOWED)
    {
      if (error == NULL)
        g_set_error_literal (&error, DISPATCH_ERROR, DISPATCH_ERROR_UNAVAILABLE,
                             "could not check the access token, try again");
      dsd_request_respond_error (request, error);
      return;
    }

  admit_and_run (request);
}

/* A token's user must still exist and the token not be revoked: known within
 * seconds from the cache, or after waiting for its load. */
static gboolean
check_account (DsdHttpServer *self,
               DsdRequest    *request)
{
  g_autoptr(GError) error = NULL;

  if (self->accounts == NULL || request->principal == NULL)
    return TRUE;

  switch (dsd_account_states_check (self->accounts, request->principal, &error))
    {
    case DSD_ACCOUNT_ALLOWED:
      return TRUE;

    case DSD_ACCOUNT_REFUSED:
      dsd_request_respond_error (request, error);
      return FALSE;

    case DSD_ACCOUNT_UNKNOWN:
    default:
      dsd_account_states_wait_async (self->accounts, request->principal->user_id,
                                     account_loaded_cb, dsd_request_ref (request));
      return FALSE;
    }
}

/* On the main loop. */
static void
run_on_main (DsdRequest *request)
{
  DsdHttpServer *self = request->server;

  if (check_account (self, request))
    admit_and_run (request);
}

static void
run_on_main_cb (gpointer data)
{
  g_autoptr(DsdRequest) request = data;

  /* The client went away meanwhile, or the server is gone. */
  if (!g_atomic_int_get (&request->gone))
    run_on_main (request);
}

/* Runs with the whole body read, for requests the early handler let
 * through: hands them to the main loop, paused until they are answered. */
static void
handler_cb (SoupServer        *server,
            SoupServerMessage *msg,
            const char        *path,
            GHashTable        *query,
            gpointer           user_data)
{
  Front *front = user_data;
  DsdRequest *request = lookup_request (msg);

  g_return_if_fail (request != NULL && request->route != NULL);

  request->body = soup_message_body_flatten (soup_server_message_get_request_body (msg));

  if (!dsd_http_loop_is_current (front->server->main))
    {
      request->paused = TRUE;
      soup_server_message_pause (msg);
      dsd_http_loop_post (front->server->main, run_on_main_cb, dsd_request_ref (request));
      return;
    }

  run_on_main (request);
  /* Not answered yet: an async handler responds later. */
  if (!request->done && !request->applied)
    {
      request->paused = TRUE;
      soup_server_message_pause (msg);
    }
}

static void
request_finished_cb (SoupServer        *server,
                     SoupServerMessage *msg,
                     gpointer           user_data)
{
  Front *front = user_data;
  DsdRequest *request = lookup_request (msg);
  guint status;

  if (request == NULL)
    return;

  /* Not answered by a handler: either the connection layer refused the
   * request itself (a 4xx for badly framed chunks or a body too slow), or
   * the client went away first (nginx's 499). */
  status = request->applied ? request->applied_status : soup_server_message_get_status (msg);
  if (!request->applied && (status < 400 || status >= 500))
    status = 499;
  request_done (front, request, status);
}

/* A websocket connection on its way from the front to the main loop. */
typedef struct {
  DsdRequest *request;
  GIOStream  *stream;
  char       *origin;
} Upgrade;

/* On the main loop: the stream is ours from now on. */
static void
open_websocket_cb (gpointer data)
{
  Upgrade *upgrade = data;
  DsdRequest *request = upgrade->request;
  g_autoptr(SoupWebsocketConnection) connection = NULL;
  g_autoptr(DsdWsStream) transport = NULL;

  /* Our transport owns the socket's output queue (see dsd-ws-stream.h). */
  transport = dsd_ws_stream_new (upgrade->stream, WEBSOCKET_MAX_PAYLOAD);
  connection = soup_websocket_connection_new (G_IO_STREAM (transport), request->uri,
                                              SOUP_WEBSOCKET_CONNECTION_SERVER,
                                              upgrade->origin, NULL, NULL);
  soup_websocket_connection_set_max_incoming_payload_size (connection, WEBSOCKET_MAX_PAYLOAD);
  if (request->stream_end != NULL)
    {
      g_signal_connect_swapped (connection, "closed", G_CALLBACK (request->stream_end),
                                request->stream_end_data);
      request->stream_end = NULL;
    }
  request->route->websocket_handler (request, connection, request->route->user_data);

  g_object_unref (upgrade->stream);
  g_free (upgrade->origin);
  dsd_request_unref (request);
  g_free (upgrade);
}

/* On the front, once the 101 is on the wire: takes the connection from
 * libsoup for the main loop. */
static void
websocket_upgraded_cb (SoupServerMessage *msg,
                       gpointer           user_data)
{
  DsdRequest *request = user_data;
  Front *front = request->front;
  g_autoptr(GIOStream) stream = NULL;

  g_signal_handlers_disconnect_by_func (msg, websocket_upgraded_cb, user_data);

  stream = soup_server_message_steal_connection (msg);
  if (stream != NULL)
    {
      Upgrade *upgrade = g_new0 (Upgrade, 1);
      const char *origin = soup_message_headers_get_one (request->headers, "Origin");

      upgrade->request = dsd_request_ref (request);
      upgrade->stream = g_steal_pointer (&stream);
      upgrade->origin = g_strdup (origin);
      if (dsd_http_loop_is_current (front->server->main))
        open_websocket_cb (upgrade);
      else
        dsd_http_loop_post (front->server->main, open_websocket_cb, upgrade);
    }

  request_done (front, request, SOUP_STATUS_SWITCHING_PROTOCOLS);
}

static gboolean
check_websocket_handshake (DsdRequest *request)
{
  const char *upgrade = soup_message_headers_get_one (request->headers, "Upgrade");
  const char *key = soup_message_headers_get_one (request->headers, "Sec-WebSocket-Key");

  /* The front checks the whole handshake again before it answers 101. */
  return strcmp (request->method, SOUP_METHOD_GET) == 0 &&
         upgrade != NULL && g_ascii_strcasecmp (upgrade, "websocket") == 0 &&
         soup_message_headers_header_contains (request->headers, "Connection", "upgrade") &&
         key != NULL;
}

void
_dsd_http_server_accept_websocket (DsdRequest *request)
{
  /* Without extensions: compressing every frame for every client would
   * dominate the cost of fan-out. */
  if (!soup_websocket_server_process_handshake (request->msg, NULL, NULL, NULL, NULL))
    {
      request->status = soup_server_message_get_status (request->msg);
      _dsd_request_apply_response (request);
      return;
    }

  /* The connection is taken over once the 101 is on the wire. */
  g_signal_connect (request->msg, "wrote-informational",
                    G_CALLBACK (websocket_upgraded_cb), request);
  request->status = SOUP_STATUS_SWITCHING_PROTOCOLS;
  _dsd_request_apply_response (request);
}

/* On the main loop: the fronts report back. */
static void
finish_stop (DsdHttpServer *self)
{
  g_autoptr(GTask) task = g_steal_pointer (&self->stop_task);

  g_clear_handle_id (&self->stop_timeout_id, dsd_http_source_remove);
  g_task_return_boolean (task, TRUE);
}

static void
front_disconnected_cb (gpointer data)
{
  DsdHttpServer *self = data;

  if (--self->n_connected == 0)
    finish_stop (self);
}

/* On the front. */
static void
disconnect_front_cb (gpointer data)
{
  Front *front = data;
  GList *link;

  if (front->in_flight.length > 0)
    g_message ("Stopping with %u requests still in flight", front->in_flight.length);

  /* libsoup drops the I/O of whatever is still in flight without a signal;
   * their handlers' responses become no-ops. */
  soup_server_disconnect (front->soup);
  while ((link = front->in_flight.head) != NULL)
    request_done (front, link->data, 499);

  dsd_http_loop_post (front->server->main, front_disconnected_cb, front->server);
}

/* Runs func (front) on each front's loop. */
static void
post_to_fronts (DsdHttpServer   *self,
                DsdHttpLoopFunc  func)
{
  for (guint i = 0; i < self->fronts->len; i++)
    {
      Front *front = g_ptr_array_index (self->fronts, i);

      dsd_http_loop_post (front->loop, func, front);
    }
}

static void
disconnect_fronts (DsdHttpServer *self)
{
  if (self->disconnecting)
    return;

  self->disconnecting = TRUE;
  g_clear_handle_id (&self->stop_timeout_id, dsd_http_source_remove);
  self->n_connected = self->fronts->len;
  post_to_fronts (self, disconnect_front_cb);
}

static gboolean
stop_timeout_cb (gpointer user_data)
{
  DsdHttpServer *self = user_data;

  self->stop_timeout_id = 0;
  disconnect_fronts (self);

  return G_SOURCE_REMOVE;
}

static void
front_drained_cb (gpointer data)
{
  DsdHttpServer *self = data;

  if (--self->n_undrained == 0)
    disconnect_fronts (self);
}

/* On the front: stopping, with no request left in flight. */
static void
front_drained (Front *front)
{
  if (front->drained)
    return;

  front->drained = TRUE;
  dsd_http_loop_post (front->server->main, front_drained_cb, front->server);
}

/* On the front: no new connections; responses from now on close theirs. */
static void
stop_front_cb (gpointer data)
{
  Front *front = data;

  front->stopping = TRUE;
  dsd_http_connections_stop_accepting (front->connections);
  dsd_http_connections_close_waiting (front->connections);
  if (front->in_flight.length == 0)
    front_drained (front);
}

/* Several front loops listen on the same address, each with a socket of its
 * own, and the kernel spreads new connections over them (SO_REUSEPORT;
 * g_socket_bind() would turn it off for TCP). */
static gboolean
bind_reusing_port (GSocket         *socket,
                   GSocketAddress  *address,
                   GError         **error)
{
  struct sockaddr_storage native;
  gsize length = g_socket_address_get_native_size (address);

  if (!g_socket_set_option (socket, SOL_SOCKET, SO_REUSEADDR, 1, error) ||
      !g_socket_set_option (socket, SOL_SOCKET, SO_REUSEPORT, 1, error) ||
      !g_socket_address_to_native (address, &native, sizeof native, error))
    return FALSE;

  if (bind (g_socket_get_fd (socket), (struct sockaddr *) &native, length) != 0)
    {
      int saved_errno = errno;
      g_autofree char *text = g_socket_connectable_to_string (G_SOCKET_CONNECTABLE (address));

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   "Error binding to address %s: %s", text, g_strerror (saved_errno));
      return FALSE;
    }

  return TRUE;
}

static GSocket *
create_listen_socket (GSocketAddress  *address,
                      gboolean         reuse_port,
                      GError         **error)
{
  g_autoptr(GSocket) socket = NULL;

  socket = g_socket_new (g_socket_address_get_family (address), G_SOCKET_TYPE_STREAM,
                         G_SOCKET_PROTOCOL_TCP, error);
  if (socket == NULL)
    return NULL;

  if (!reuse_port)
    {
      /* allow_reuse sets SO_REUSEADDR. */
      if (!g_socket_bind (socket, address, TRUE, error))
        return NULL;
    }
  else if (!bind_reusing_port (socket, address, error))
    return NULL;

  g_socket_set_listen_backlog (socket, LISTEN_BACKLOG);
  if (!g_socket_listen (socket, error))
    return NULL;

  return g_steal_pointer (&socket);
}

static GList *
resolve_host (const char  *host,
              GError     **error)
{
  g_autoptr(GResolver) resolver = NULL;
  GInetAddress *address;

  address = g_inet_address_new_from_string (host);
  if (address != NULL)
    return g_list_prepend (NULL, address);

  resolver = g_resolver_get_default ();
  return g_resolver_lookup_by_name (resolver, host, NULL, error);
}

static guint16
get_socket_port (GSocket *socket)
{
  g_autoptr(GSocketAddress) address = g_socket_get_local_address (socket, NULL);

  if (address == NULL)
    return 0;

  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (address));
}

/* Made on the main thread with the front's context as thread-default, so
 * that its sources go there, before its thread runs. */
static Front *
front_new (DsdHttpServer *self,
           DsdHttpLoop   *loop,
           Front         *first)
{
  Front *front = g_new0 (Front, 1);

  front->server = self;
  front->loop = loop;
  g_queue_init (&front->in_flight);

  g_main_context_push_thread_default (dsd_http_loop_get_context (loop));
  /* Raw paths: we decode segments ourselves, so %2F never turns into "/". */
  front->soup = g_object_new (SOUP_TYPE_SERVER, "raw-paths", TRUE, NULL);
  front->connections = dsd_http_connections_new (front->soup);
  if (first != NULL)
    dsd_http_connections_share_counts (front->connections, first->connections);
  dsd_http_connections_set_limits (front->connections, &self->limits);
  soup_server_add_early_handler (front->soup, NULL, early_handler_cb, front, NULL);
  soup_server_add_handler (front->soup, NULL, handler_cb, front, NULL);
  g_signal_connect (front->soup, "request-finished", G_CALLBACK (request_finished_cb), front);
  g_signal_connect (front->soup, "request-aborted", G_CALLBACK (request_finished_cb), front);
  g_main_context_pop_thread_default (dsd_http_loop_get_context (loop));

  return front;
}

/* On the front's loop, or on the main thread once the front's is gone. */
static void
front_free (Front *front)
{
  GList *link;

  /* Requests still in flight live on with their handlers, detached. */
  while ((link = front->in_flight.head) != NULL)
    detach_request (front, link->data);

  g_clear_object (&front->connections);
  soup_server_remove_handler (front->soup, NULL);
  soup_server_disconnect (front->soup);
  g_clear_object (&front->soup);
  g_free (front);
}

static void
front_free_cb (gpointer data)
{
  front_free (data);
}

static void
dsd_http_server_dispose (GObject *object)
{
  DsdHttpServer *self = (DsdHttpServer *)object;

  /* Each front is freed on its own loop, which then stops. */
  for (guint i = 0; self->fronts != NULL && i < self->fronts->len; i++)
    {
      Front *front = g_ptr_array_index (self->fronts, i);
      DsdHttpLoop *loop = front->loop;

      if (loop == self->main)
        front_free (front);
      else
        {
          if (self->started)
            dsd_http_loop_post (loop, front_free_cb, front);
          else
            front_free (front);
          dsd_http_loop_free (loop);
        }
    }
  g_clear_pointer (&self->fronts, g_ptr_array_unref);
  g_clear_pointer (&self->main, dsd_http_loop_free);

  g_clear_handle_id (&self->stop_timeout_id, dsd_http_source_remove);
  g_clear_pointer (&self->sockets, g_ptr_array_unref);
  g_clear_object (&self->router);
  g_clear_object (&self->tokens);
  g_clear_object (&self->accounts);
  g_clear_object (&self->metrics);

  G_OBJECT_CLASS (dsd_http_server_parent_class)->dispose (object);
}

static void
dsd_http_server_class_init (DsdHttpServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = dsd_http_server_dispose;

  request_quark = g_quark_from_static_string ("dsd-http-server-request");
}

static void
dsd_http_server_init (DsdHttpServer *self)
{
  static const DsdHttpLimits defaults = DSD_HTTP_LIMITS_INIT;

  self->limits = defaults;
  self->main = dsd_http_loop_new_current ();
  self->sockets = g_ptr_array_new_with_free_func (g_object_unref);
}

void
dsd_http_tls_init (void)
{
  g_setenv ("G_TLS_GNUTLS_PRIORITY", DSD_HTTP_TLS_PRIORITY, FALSE);
}

DsdHttpServer *
dsd_http_server_new (DsdRouter      *router,
                     DsdTokenIssuer *tokens,
                     DsdMetrics     *metrics)
{
  static const char *request_labels[] = { "route", "method", "status", NULL };
  static const char *duration_labels[] = { "route", "method", NULL };
  DsdHttpServer *self;

  g_return_val_if_fail (DSD_IS_ROUTER (router), NULL);
  g_return_val_if_fail (DSD_IS_TOKEN_ISSUER (tokens), NULL);
  g_return_val_if_fail (!metrics || DSD_IS_METRICS (metrics), NULL);

  self = g_object_new (DSD_TYPE_HTTP_SERVER, NULL);
  self->router = g_object_ref (router);
  self->tokens = g_object_ref (tokens);

  if (metrics != NULL)
    {
      self->metrics = g_object_ref (metrics);
      dsd_metrics_register_counter (metrics, REQUESTS_METRIC,
                                    "HTTP requests by route pattern, method and status",
                                    request_labels);
      dsd_metrics_register_histogram (metrics, DURATION_METRIC,
                                      "HTTP request latency by route pattern and method",
                                      duration_labels,
                                      duration_bounds, G_N_ELEMENTS (duration_bounds));
    }

  return self;
}

void
dsd_http_server_set_accounts (DsdHttpServer    *self,
                              DsdAccountStates *accounts)
{
  g_return_if_fail (DSD_IS_HTTP_SERVER (self));
  g_return_if_fail (DSD_IS_ACCOUNT_STATES (accounts));

  g_set_object (&self->accounts, accounts);
}

void
dsd_http_server_set_threads (DsdHttpServer *self,
                             guint          n_threads)
{
  g_return_if_fail (DSD_IS_HTTP_SERVER (self));
  g_return_if_fail (self->fronts == NULL);

  self->n_threads = n_threads;
}

static void
make_fronts (DsdHttpServer *self)
{
  self->fronts = g_ptr_array_new ();
  if (self->n_threads == 0)
    {
      g_ptr_array_add (self->fronts, front_new (self, self->main, NULL));
      return;
    }

  for (guint i = 0; i < self->n_threads; i++)
    g_ptr_array_add (self->fronts,
                     front_new (self, dsd_http_loop_new_thread (),
                                i > 0 ? g_ptr_array_index (self->fronts, 0) : NULL));
}

static gboolean
listen_on (DsdHttpServer   *self,
           GSocketAddress  *address,
           GTlsCertificate *certificate,
           GError         **error)
{
  gboolean reuse_port = self->n_threads > 1;
  g_autoptr(GSocketAddress) bound = g_object_ref (address);

  for (guint i = 0; i < self->fronts->len; i++)
    {
      Front *front = g_ptr_array_index (self->fronts, i);
      GMainContext *context = dsd_http_loop_get_context (front->loop);
      g_autoptr(GSocket) socket = create_listen_socket (bound, reuse_port, error);
      gboolean added;

      if (socket == NULL)
        return FALSE;

      /* The others bind the port the first one got. */
      if (g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)) == 0)
        {
          GInetAddress *host = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (bound));

          g_object_unref (bound);
          bound = g_inet_socket_address_new (host, get_socket_port (socket));
        }

      g_main_context_push_thread_default (context);
      added = dsd_http_connections_add_socket (front->connections, socket, certificate, error);
      g_main_context_pop_thread_default (context);
      if (!added)
        return FALSE;
      g_ptr_array_add (self->sockets, g_steal_pointer (&socket));
    }

  return TRUE;
}

gboolean
dsd_http_server_listen (DsdHttpServer  *self,
                        const char     *address,
                        const char     *tls_cert_file,
                        const char     *tls_key_file,
                        GError        **error)
{
  g_autoptr(GSocketConnectable) connectable = NULL;
  g_autolist(GInetAddress) addresses = NULL;
  g_autoptr(GTlsCertificate) certificate = NULL;
  guint16 port;

  g_return_val_if_fail (DSD_IS_HTTP_SERVER (self), FALSE);
  g_return_val_if_fail (address != NULL, FALSE);
  g_return_val_if_fail (!self->stopping, FALSE);

  if (self->started)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           "HTTP front threads are running already: listen once");
      return FALSE;
    }

  if ((tls_cert_file == NULL) != (tls_key_file == NULL))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           "TLS needs both a certificate and a key file");
      return FALSE;
    }

  if (tls_cert_file != NULL)
    {
      certificate = g_tls_certificate_new_from_files (tls_cert_file, tls_key_file, error);
      if (certificate == NULL)
        return FALSE;
    }

  connectable = g_network_address_parse (address, DEFAULT_PORT, error);
  if (connectable == NULL)
    return FALSE;

  port = g_network_address_get_port (G_NETWORK_ADDRESS (connectable));
  addresses = resolve_host (g_network_address_get_hostname (G_NETWORK_ADDRESS (connectable)),
                            error);
  if (addresses == NULL)
    return FALSE;

  if (self->fronts == NULL)
    make_fronts (self);

  for (const GList *l = addresses; l != NULL; l = l->next)
    {
      g_autoptr(GSocketAddress) socket_address = g_inet_socket_address_new (l->data, port);
      guint first = self->sockets->len;

      if (!listen_on (self, socket_address, certificate, error))
        {
          g_prefix_error (error, "Could not listen on %s: ", address);
          return FALSE;
        }

      /* With port 0, every address of the name gets the first one's port. */
      if (port == 0)
        port = get_socket_port (g_ptr_array_index (self->sockets, first));
    }

  self->https |= certificate != NULL;

  /* The fronts' threads run from here on. */
  for (guint i = 0; self->n_threads > 0 && i < self->fronts->len; i++)
    {
      Front *front = g_ptr_array_index (self->fronts, i);
      g_autofree char *name = g_strdup_printf ("dsd-http-%u", i);

      dsd_http_loop_start (front->loop, name);
    }
  self->started = self->n_threads > 0;

  return TRUE;
}

typedef struct {
  Front        *front;
  DsdHttpLimits limits;
} SetLimits;

static void
set_limits_cb (gpointer data)
{
  SetLimits *set = data;

  dsd_http_connections_set_limits (set->front->connections, &set->limits);
  g_free (set);
}

void
dsd_http_server_set_limits (DsdHttpServer       *self,
                            const DsdHttpLimits *limits)
{
  g_return_if_fail (DSD_IS_HTTP_SERVER (self));

  self->limits = *limits;
  for (guint i = 0; self->fronts != NULL && i < self->fronts->len; i++)
    {
      SetLimits *set = g_new (SetLimits, 1);

      set->front = g_ptr_array_index (self->fronts, i);
      set->limits = *limits;
      if (self->started)
        dsd_http_loop_post (set->front->loop, set_limits_cb, set);
      else
        set_limits_cb (set);
    }
}

guint
dsd_http_server_get_port (DsdHttpServer *self)
{
  g_return_val_if_fail (DSD_IS_HTTP_SERVER (self), 0);

  if (self->sockets->len == 0)
    return 0;

  return get_socket_port (g_ptr_array_index (self->sockets, 0));
}

void
dsd_http_server_stop_async (DsdHttpServer       *self,
                            guint                timeout_ms,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (DSD_IS_HTTP_SERVER (self));
  g_return_if_fail (self->stop_task == NULL && !self->stopping);

  task = g_task_new (self, NULL, callback, user_data);
  g_task_set_source_tag (task, dsd_http_server_stop_async);
  self->stop_task = g_steal_pointer (&task);
  self->stopping = TRUE;

  if (self->fronts == NULL)
    {
      finish_stop (self);
      return;
    }

  /* Each front reports back once its requests are done; past timeout_ms the
   * rest are cut. */
  self->n_undrained = self->fronts->len;
  self->stop_timeout_id = dsd_http_timeout_add (timeout_ms, stop_timeout_cb, self);
  post_to_fronts (self, stop_front_cb);
}
void
dsd_http_server_stop_finish (DsdHttpServer *self,
                             GAsyncResult  *result)
{
  g_return_if_fail (DSD_IS_HTTP_SERVER (self));
  g_return_if_fail (g_task_is_valid (result, self));
  g_return_if_fail (g_task_get_source_tag (G_TASK (result)) == dsd_http_server_stop_async);

  g_task_propagate_boolean (G_TASK (result), NULL);
}

void
dsd_http_server_set_admission (DsdHttpServer    *self,
                               DsdHttpAdmission  func,
                               gpointer          user_data)
{
  g_return_if_fail (DSD_IS_HTTP_SERVER (self));

  self->admission = func;
  self->admission_data = user_data;
}

void
dsd_http_server_admit (DsdRequest *request)
{
  g_return_if_fail (request != NULL);

  /* The client went away meanwhile: nothing to run. */
  if (g_atomic_int_get (&request->gone))
    return;

  run_request (request);
}
