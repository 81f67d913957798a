/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "dispatch-error.h"
#include "dsd-http-server.h"
#include "dsd-ws-client.h"
#include "dsd-ws-stream.h"

#define SECRET "0123456789abcdef0123456789abcdef"
#define OTHER_SECRET "fedcba9876543210fedcba9876543210"
#define MIB (1024 * 1024)
/* base64url of {"alg":"none","typ":"JWT"} */
#define ALG_NONE_HEADER "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0"

/* Self-signed for CN=127.0.0.1, valid until 2126. */
static const char tls_certificate[] =
  "-----BEGIN CERTIFICATE-----\n"
  "MIIBgDCCASWgAwIBAgIUH5tmUQbnvTVGCtM1Y6FLXxmTE8AwCgYIKoZIzj0EAwIw\n"
  "FDESMBAGA1UEAwwJMTI3LjAuMC4xMCAXDTI2MTEyMjAwMzc0NFoYDzIxMjYxMDI5\n"
  "MDAzNzQ0WjAUMRIwEAYDVQQDDAkxMjcuMC4wLjEwWTATBgcqhkjOPQIBBggqhkjO\n"
  "PQMBBwNCAARR1+MNW8u8H8IewEazJFthz4SvI8kNPSKEoHMCiOJqvYeDU6VGgS5m\n"
  "8w0NTSrWtOU1PmSeEDwd2S+p+9Rykrmyo1MwUTAdBgNVHQ4EFgQU3yeDDPvRJ3aC\n"
  "KiBJCxUf3rY3J24wHwYDVR0jBBgwFoAU3yeDDPvRJ3aCKiBJCxUf3rY3J24wDwYD\n"
  "VR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNJADBGAiEAhYyjtYFPy8hhuOurME5L\n"
  "myFmTYb+USK3taS3oT877n4CIQDXhCoo6yNeTkTFAyDeP/LiDtuVDfDIwb5phra7\n"
  "qC/x5Q==\n"
  "-----END CERTIFICATE-----\n";
static const char tls_key[] =
  "-----BEGIN PRIVATE KEY-----\n"
  "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgo2e4tpdlEb9Mlneg\n"
  "KD3fg1dlE+QqT/Z6q5TtZNAAaPahRANCAARR1+MNW8u8H8IewEazJFthz4SvI8kN\n"
  "PSKEoHMCiOJqvYeDU6VGgS5m8w0NTSrWtOU1PmSeEDwd2S+p+9Rykrmy\n"
  "-----END PRIVATE KEY-----\n";

typedef struct {
  DsdRouter               *router;
  DsdClock                *clock;
  DsdTokenIssuer          *tokens;
  DsdMetrics              *metrics;
  DsdHttpServer           *server;
  SoupSession             *session;
  guint                    port;
  char                    *admin_token;
  char                    *dispatcher_token;
  char                    *customer_token;

  /* /hold keeps its request here until the test answers it */
  DsdRequest              *held;
  gboolean                 holding;
  /* the server side of the last accepted websocket */
  SoupWebsocketConnection *server_socket;
} Fixture;

typedef struct {
  guint               status;
  SoupMessageHeaders *headers;
  GBytes             *body;
  JsonObject         *json;
} Response;

typedef struct {
  SoupMessage *msg;
  GBytes      *body;
  GError      *error;
  gboolean     done;
} Exchange;

static void
response_free (Response *response)
{
  g_clear_pointer (&response->headers, soup_message_headers_unref);
  g_clear_pointer (&response->body, g_bytes_unref);
  g_clear_pointer (&response->json, json_object_unref);
  g_free (response);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Response, response_free)

static gboolean
keep_waking (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

/* Iterates the default context until *flag is set, with a deadline. */
static void
wait_until (const gboolean *flag)
{
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  guint tick = g_timeout_add (50, keep_waking, NULL);

  while (!g_atomic_int_get (flag))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }

  g_source_remove (tick);
}

/* Until the server's metrics hold that line. */
static void
wait_for_metric (Fixture    *f,
                 const char *line)
{
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  guint tick = g_timeout_add (50, keep_waking, NULL);

  for (;;)
    {
      g_autofree char *text = dsd_metrics_render (f->metrics);

      if (strstr (text, line) != NULL)
        break;
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }

  g_source_remove (tick);
}

/* Dispatches what is ready (closing connections, idle callbacks) without
 * waiting for anything. */
static void
drain (void)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

/* Route handlers */

/* Responds with an object of string members; NULL values become null. */
static void
respond_strings (DsdRequest *request,
                 guint       status,
                 ...)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  const char *member;
  va_list args;

  json_builder_begin_object (builder);
  va_start (args, status);
  while ((member = va_arg (args, const char *)) != NULL)
    {
      const char *value = va_arg (args, const char *);

      json_builder_set_member_name (builder, member);
      if (value != NULL)
        json_builder_add_string_value (builder, value);
      else
        json_builder_add_null_value (builder);
    }
  va_end (args);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  dsd_request_respond_json (request, status, root);
}

static const char *
caller_role (DsdRequest *request)
{
  const DsdPrincipal *principal = dsd_request_get_principal (request);

  return principal != NULL ? dsd_role_to_string (principal->role) : NULL;
}

static void
order_cb (DsdRequest *request,
          gpointer    user_data)
{
  respond_strings (request, 200,
                   "id", dsd_request_get_param (request, "id"),
                   "role", caller_role (request),
                   NULL);
}

static void
search_cb (DsdRequest *request,
           gpointer    user_data)
{
  respond_strings (request, 200, "literal", "search", NULL);
}

static void
create_order_cb (DsdRequest *request,
                 gpointer    user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = NULL;
  JsonObject *object;

  object = dsd_request_get_json_object (request, &error);
  if (object == NULL)
    {
      dsd_request_respond_error (request, error);
      return;
    }

  node = json_node_init_object (json_node_alloc (), object);
  dsd_request_respond_json (request, 201, node);
}

static void
public_cb (DsdRequest *request,
           gpointer    user_data)
{
  respond_strings (request, 200, "role", caller_role (request), NULL);
}

static void
trail_cb (DsdRequest *request,
          gpointer    user_data)
{
  respond_strings (request, 200,
                   "driver_id", dsd_request_get_param (request, "driver_id"),
                   "limit", dsd_request_get_query (request, "limit"),
                   "q", dsd_request_get_query (request, "q"),
                   "route", dsd_request_get_route (request),
                   NULL);
}

static void
length_cb (DsdRequest *request,
           gpointer    user_data)
{
  g_autofree char *length = NULL;

  length = g_strdup_printf ("%" G_GSIZE_FORMAT, g_bytes_get_size (dsd_request_get_body (request)));
  respond_strings (request, 200, "length", length, NULL);
}

static gboolean
slow_timeout_cb (gpointer user_data)
{
  g_autoptr(DsdRequest) request = user_data;

  respond_strings (request, 200, "slow", "done", NULL);
  return G_SOURCE_REMOVE;
}

static void
slow_cb (DsdRequest *request,
         gpointer    user_data)
{
  g_timeout_add (50, slow_timeout_cb, dsd_request_ref (request));
}

static void
hold_cb (DsdRequest *request,
         gpointer    user_data)
{
  Fixture *f = user_data;

  f->held = dsd_request_ref (request);
  f->holding = TRUE;
}

static void
cut_when_drained (DsdRequest *request,
                  gpointer    user_data)
{
  dsd_request_stream_abort (request);
}

static gboolean
write_first_part_cb (gpointer user_data)
{
  g_autoptr(DsdRequest) request = user_data;
  g_autoptr(GBytes) chunk = g_bytes_new_static ("first part\n", 11);

  dsd_request_stream_write (request, chunk, cut_when_drained, NULL);
  return G_SOURCE_REMOVE;
}

/* A streamed answer whose producer fails after its first chunk, which comes
 * later, as a database's would. */
static void
streamed_cut_cb (DsdRequest *request,
                 gpointer    user_data)
{
  dsd_request_stream_begin (request, 200, "text/plain");
  g_idle_add (write_first_part_cb, dsd_request_ref (request));
}

static void
boom_cb (DsdRequest *request,
         gpointer    user_data)
{
  g_autoptr(GError) error = NULL;

  g_set_error_literal (&error, G_IO_ERROR, G_IO_ERROR_FAILED, "secret detail");
  dsd_request_respond_error (request, error);
}

static void
limited_cb (DsdRequest *request,
            gpointer    user_data)
{
  g_autoptr(GError) error = NULL;

  dispatch_set_field_error (&error, DISPATCH_ERROR_RATE_LIMITED, "username", "slow down");
  dsd_request_set_retry_after (request, 7);
  dsd_request_respond_error (request, error);
}

static gboolean
stream_check_idle_cb (gpointer user_data)
{
  g_autoptr(DsdRequest) request = user_data;
  g_autoptr(GError) error = NULL;

  if (g_strcmp0 (dsd_request_get_param (request, "id"), "missing") != 0)
    {
      dsd_request_accept_websocket (request);
      return G_SOURCE_REMOVE;
    }

  g_set_error_literal (&error, DISPATCH_ERROR, DISPATCH_ERROR_NOT_FOUND, "no such order");
  dsd_request_respond_error (request, error);
  return G_SOURCE_REMOVE;
}

/* An async check, as "may this caller see this order" would be. */
static void
stream_check_cb (DsdRequest *request,
                 gpointer    user_data)
{
  g_idle_add (stream_check_idle_cb, dsd_request_ref (request));
}

static void
stream_cb (DsdRequest              *request,
           SoupWebsocketConnection *connection,
           gpointer                 user_data)
{
  Fixture *f = user_data;
  g_autofree char *greeting = NULL;

  greeting = g_strdup_printf ("hello %s %s",
                              dsd_request_get_param (request, "id"), caller_role (request));
  g_set_object (&f->server_socket, connection);
  soup_websocket_connection_send_text (connection, greeting);
}

/* Fixture */

static char *
issue_token (DsdTokenIssuer *tokens,
             DsdRole         role)
{
  g_autoptr(DsdPrincipal) principal = NULL;

  principal = dsd_principal_new (role, "user-1", "someone", NULL,
                                 role == DSD_ROLE_CUSTOMER ? "customer-1" : NULL);
  return dsd_token_issuer_issue (tokens, principal, 0);
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GBytes) secret = g_bytes_new_static (SECRET, strlen (SECRET));
  g_autoptr(GError) error = NULL;

  f->router = dsd_router_new ();
  dsd_router_add (f->router, "GET", "/api/v1/orders/{id}", DSD_ROLES_ANY, order_cb, f);
  dsd_router_add (f->router, "GET", "/api/v1/orders/search", DSD_ROLES_STAFF, search_cb, f);
  dsd_router_add (f->router, "POST", "/api/v1/orders", DSD_ROLES_ANY, create_order_cb, f);
  dsd_router_add (f->router, "POST", "/api/v1/length", 0, length_cb, f);
  dsd_router_add (f->router, "GET", "/", 0, public_cb, f);
  dsd_router_add (f->router, "GET", "/public", 0, public_cb, f);
  dsd_router_add (f->router, "GET", "/api/v1/admin", DSD_ROLE_ADMIN, public_cb, f);
  dsd_router_add (f->router, "GET", "/api/v1/drivers/{driver_id}/trail", 0, trail_cb, f);
  dsd_router_add (f->router, "GET", "/slow", 0, slow_cb, f);
  dsd_router_add (f->router, "GET", "/hold", 0, hold_cb, f);
  dsd_router_add (f->router, "GET", "/boom", 0, boom_cb, f);
  dsd_router_add (f->router, "GET", "/streamed-cut", 0, streamed_cut_cb, f);
  dsd_router_add (f->router, "GET", "/limited", 0, limited_cb, f);
  dsd_router_add_websocket (f->router, "/api/v1/orders/{id}/stream", DSD_ROLES_ANY,
                            stream_check_cb, stream_cb, f);
  dsd_router_add_websocket (f->router, "/api/v1/stream", DSD_ROLES_STAFF, NULL, stream_cb, f);

  f->clock = dsd_clock_new_frozen (g_get_real_time ());
  f->tokens = dsd_token_issuer_new (f->clock, secret, 3600);
  f->metrics = dsd_metrics_new ();
  f->server = dsd_http_server_new (f->router, f->tokens, f->metrics);
  /* data: the front threads */
  dsd_http_server_set_threads (f->server, GPOINTER_TO_UINT (data));
  dsd_http_server_listen (f->server, "127.0.0.1:0", NULL, NULL, &error);
  g_assert_no_error (error);
  f->port = dsd_http_server_get_port (f->server);
  g_assert_cmpuint (f->port, >, 0);

  f->session = soup_session_new_with_options ("timeout", 20, NULL);
  f->admin_token = issue_token (f->tokens, DSD_ROLE_ADMIN);
  f->dispatcher_token = issue_token (f->tokens, DSD_ROLE_DISPATCHER);
  f->customer_token = issue_token (f->tokens, DSD_ROLE_CUSTOMER);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_clear_pointer (&f->held, dsd_request_unref);
  g_clear_object (&f->server_socket);
  g_clear_object (&f->session);
  g_clear_object (&f->server);
  g_clear_object (&f->metrics);
  g_clear_object (&f->tokens);
  g_clear_object (&f->clock);
  g_clear_object (&f->router);
  g_free (f->admin_token);
  g_free (f->dispatcher_token);
  g_free (f->customer_token);

  /* Let closing connections and idle callbacks finish. */
  drain ();
}

/* Client side */

static void
sent_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  Exchange *exchange = user_data;

  exchange->body = soup_session_send_and_read_finish (SOUP_SESSION (object), result,
                                                      &exchange->error);
  exchange->done = TRUE;
}

static void
start_exchange (Fixture     *f,
                SoupMessage *msg,
                Exchange    *exchange)
{
  exchange->msg = msg;
  soup_session_send_and_read_async (f->session, msg, G_PRIORITY_DEFAULT, NULL,
                                    sent_cb, exchange);
}

static Response *
finish_exchange (Exchange *exchange)
{
  Response *response = g_new0 (Response, 1);
  const char *content_type;

  wait_until (&exchange->done);
  g_assert_no_error (exchange->error);

  response->status = soup_message_get_status (exchange->msg);
  response->headers = soup_message_headers_ref (soup_message_get_response_headers (exchange->msg));
  response->body = g_steal_pointer (&exchange->body);

  content_type = soup_message_headers_get_content_type (response->headers, NULL);
  if (g_strcmp0 (content_type, "application/json") == 0 && g_bytes_get_size (response->body) > 0)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();
      g_autoptr(GError) error = NULL;
      gsize size;
      const char *data = g_bytes_get_data (response->body, &size);

      json_parser_load_from_data (parser, data, size, &error);
      g_assert_no_error (error);
      g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));
      response->json = json_object_ref (json_node_get_object (json_parser_get_root (parser)));
    }

  g_object_unref (exchange->msg);
  return response;
}

static SoupMessage *
new_message (Fixture    *f,
             const char *method,
             const char *path,
             const char *token)
{
  g_autofree char *uri = g_strdup_printf ("http://127.0.0.1:%u%s", f->port, path);
  SoupMessage *msg = soup_message_new (method, uri);

  g_assert_nonnull (msg);
  if (token != NULL)
    {
      g_autofree char *value = g_strdup_printf ("Bearer %s", token);

      soup_message_headers_replace (soup_message_get_request_headers (msg),
                                    "Authorization", value);
    }

  return msg;
}

static Response *
send_message (Fixture     *f,
              SoupMessage *msg)
{
  Exchange exchange = { 0 };

  start_exchange (f, msg, &exchange);
  return finish_exchange (&exchange);
}

static Response *
request (Fixture    *f,
         const char *method,
         const char *path,
         const char *token)
{
  return send_message (f, new_message (f, method, path, token));
}

static Response *
request_with_body (Fixture    *f,
                   const char *path,
                   const char *token,
                   const char *content_type,
                   const char *body,
                   gsize       length)
{
  SoupMessage *msg = new_message (f, "POST", path, token);
  g_autoptr(GBytes) bytes = g_bytes_new (body, length);

  soup_message_set_request_body_from_bytes (msg, content_type, bytes);
  return send_message (f, msg);
}

static const char *
member_string (Response   *response,
               const char *member)
{
  g_assert_nonnull (response->json);
  return json_object_get_string_member_with_default (response->json, member, NULL);
}

static void
assert_error (Response   *response,
              guint       status,
              const char *code)
{
  JsonObject *error;

  g_assert_cmpuint (response->status, ==, status);
  g_assert_nonnull (response->json);
  error = json_object_get_object_member (response->json, "error");
  g_assert_nonnull (error);
  g_assert_cmpstr (json_object_get_string_member (error, "code"), ==, code);
  g_assert_nonnull (json_object_get_string_member (error, "message"));
}

/* A client on its own thread, for requests SoupSession will not send: it
 * writes the text as is and reads one response (headers plus Content-Length). */
typedef struct {
  guint16   port;
  char     *request;
  GString  *response;
  gboolean  done;
} RawClient;

static gboolean
raw_response_complete (GString *response)
{
  const char *end = strstr (response->str, "\r\n\r\n");
  const char *chunked;
  const char *length;

  if (end == NULL)
    return FALSE;

  /* A chunked body: until its last chunk, or the end of the connection. */
  chunked = strstr (response->str, "Transfer-Encoding: chunked\r\n");
  if (chunked != NULL && chunked < end)
    return strstr (end + 4, "\r\n0\r\n\r\n") != NULL;

  length = strstr (response->str, "Content-Length: ");
  if (length == NULL || length > end)
    return TRUE;

  return response->len >= (gsize) (end + 4 - response->str) + strtoul (length + 16, NULL, 10);
}

static gpointer
raw_client_thread (gpointer data)
{
  RawClient *raw = data;
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GError) error = NULL;
  GInputStream *input;
  char buffer[4096];
  gssize n;

  connection = g_socket_client_connect_to_host (client, "127.0.0.1", raw->port, NULL, &error);
  g_assert_no_error (error);

  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)),
                             raw->request, strlen (raw->request), NULL, NULL, &error);
  g_assert_no_error (error);

  input = g_io_stream_get_input_stream (G_IO_STREAM (connection));
  while (!raw_response_complete (raw->response) &&
         (n = g_input_stream_read (input, buffer, sizeof buffer - 1, NULL, &error)) > 0)
    g_string_append_len (raw->response, buffer, n);
  g_assert_no_error (error);

  g_atomic_int_set (&raw->done, TRUE);
  g_main_context_wakeup (NULL);

  return NULL;
}

static char *
raw_exchange (Fixture    *f,
              const char *request_text)
{
  RawClient raw = { f->port, g_strdup (request_text), g_string_new (NULL), FALSE };
  GThread *thread = g_thread_new ("raw-client", raw_client_thread, &raw);

  wait_until (&raw.done);
  g_thread_join (thread);
  g_free (raw.request);

  return g_string_free (raw.response, FALSE);
}

/* Tests */

static void
test_routing (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(Response) by_id = NULL;
  g_autoptr(Response) literal = NULL;
  g_autoptr(Response) literal_forbidden = NULL;
  g_autoptr(Response) decoded = NULL;
  g_autoptr(Response) encoded_slash = NULL;
  g_autoptr(Response) bad_utf8 = NULL;
  g_autoptr(Response) dot_dot = NULL;
  g_autoptr(Response) query = NULL;
  g_autoptr(Response) empty_segment = NULL;

  by_id = request (f, "GET", "/api/v1/orders/o-17", f->customer_token);
  g_assert_cmpuint (by_id->status, ==, 200);
  g_assert_cmpstr (member_string (by_id, "id"), ==, "o-17");
  g_assert_cmpstr (member_string (by_id, "role"), ==, "customer");

  /* The literal segment wins even where its roles refuse the caller. */
  literal = request (f, "GET", "/api/v1/orders/search", f->dispatcher_token);
  g_assert_cmpuint (literal->status, ==, 200);
  g_assert_cmpstr (member_string (literal, "literal"), ==, "search");
  literal_forbidden = request (f, "GET", "/api/v1/orders/search", f->customer_token);
  assert_error (literal_forbidden, 403, "permission_denied");

  decoded = request (f, "GET", "/api/v1/orders/a%20b%C3%A9", f->admin_token);
  g_assert_cmpuint (decoded->status, ==, 200);
  g_assert_cmpstr (member_string (decoded, "id"), ==, "a b\xc3\xa9");

  encoded_slash = request (f, "GET", "/api/v1/orders/a%2Fb", f->admin_token);
  assert_error (encoded_slash, 400, "invalid_argument");
  bad_utf8 = request (f, "GET", "/api/v1/orders/%FF%FE", f->admin_token);
  assert_error (bad_utf8, 400, "invalid_argument");
  /* URI parsing resolves dot segments, encoded or not. */
  dot_dot = request (f, "GET", "/api/v1/orders/%2E%2E", f->admin_token);
  assert_error (dot_dot, 404, "not_found");
  empty_segment = request (f, "GET", "/api/v1/orders/", f->admin_token);
  assert_error (empty_segment, 404, "not_found");

  query = request (f, "GET", "/api/v1/drivers/d%2D1/trail?limit=5&q=a+b%26c", NULL);
  g_assert_cmpuint (query->status, ==, 200);
  g_assert_cmpstr (member_string (query, "driver_id"), ==, "d-1");
  g_assert_cmpstr (member_string (query, "limit"), ==, "5");
  g_assert_cmpstr (member_string (query, "q"), ==, "a b&c");
  g_assert_cmpstr (member_string (query, "route"), ==, "/api/v1/drivers/{driver_id}/trail");
}

static void
test_bad_query (Fixture       *f,
                gconstpointer  data)
{
  g_autofree char *bad_escape = NULL;
  g_autoptr(Response) bad_utf8 = NULL;

  /* SoupMessage refuses to send this one, and libsoup's server answers it
   * (with an empty 400) before any handler runs. */
  bad_escape = raw_exchange (f, "GET /api/v1/drivers/d1/trail?limit=%zz HTTP/1.1\r\n"
                                "Host: 127.0.0.1\r\n"
                                "Connection: close\r\n"
                                "\r\n");
  g_assert_true (g_str_has_prefix (bad_escape, "HTTP/1.1 400 "));

  bad_utf8 = request (f, "GET", "/api/v1/drivers/d1/trail?limit=%C3%28", NULL);
  assert_error (bad_utf8, 400, "invalid_argument");
}

static void
test_methods (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(Response) root = NULL;
  g_autoptr(Response) trailing_slash = NULL;
  g_autoptr(Response) not_found = NULL;
  g_autoptr(Response) wrong_method = NULL;
  g_autoptr(Response) options = NULL;
  g_autoptr(Response) head = NULL;

  root = request (f, "GET", "/", NULL);
  g_assert_cmpuint (root->status, ==, 200);
  trailing_slash = request (f, "GET", "/public/", NULL);
  assert_error (trailing_slash, 404, "not_found");

  not_found = request (f, "GET", "/api/v1/nothing-here", f->admin_token);
  assert_error (not_found, 404, "not_found");
  g_assert_cmpstr (soup_message_headers_get_content_type (not_found->headers, NULL), ==,
                   "application/json");

  wrong_method = request (f, "DELETE", "/api/v1/orders/search", f->admin_token);
  assert_error (wrong_method, 405, "method_not_allowed");
  g_assert_cmpstr (soup_message_headers_get_one (wrong_method->headers, "Allow"), ==,
                   "GET, HEAD, OPTIONS");

  options = request (f, "OPTIONS", "/api/v1/orders", NULL);
  g_assert_cmpuint (options->status, ==, 204);
  g_assert_cmpstr (soup_message_headers_get_one (options->headers, "Allow"), ==,
                   "POST, OPTIONS");

  head = request (f, "HEAD", "/api/v1/orders/o-1", f->admin_token);
  g_assert_cmpuint (head->status, ==, 200);
  g_assert_cmpuint (g_bytes_get_size (head->body), ==, 0);
  g_assert_cmpint (soup_message_headers_get_content_length (head->headers), >, 0);
}

static void
test_auth (Fixture       *f,
           gconstpointer  data)
{
  g_autoptr(GBytes) other_secret = g_bytes_new_static (OTHER_SECRET, strlen (OTHER_SECRET));
  g_autoptr(DsdTokenIssuer) other_issuer = dsd_token_issuer_new (f->clock, other_secret, 3600);
  g_autoptr(DsdTokenIssuer) short_issuer = NULL;
  g_autofree char *foreign_token = issue_token (other_issuer, DSD_ROLE_ADMIN);
  g_autofree char *short_token = NULL;
  g_autofree char *none_token = NULL;
  g_auto(GStrv) parts = NULL;
  g_autoptr(GBytes) secret = g_bytes_new_static (SECRET, strlen (SECRET));
  g_autoptr(Response) missing = NULL;
  g_autoptr(Response) garbage = NULL;
  g_autoptr(Response) foreign = NULL;
  g_autoptr(Response) alg_none = NULL;
  g_autoptr(Response) basic = NULL;
  g_autoptr(Response) expired = NULL;
  g_autoptr(Response) forbidden = NULL;
  g_autoptr(Response) allowed = NULL;
  g_autoptr(Response) public_anonymous = NULL;
  g_autoptr(Response) public_known = NULL;
  g_autoptr(Response) public_bad_token = NULL;
  SoupMessage *msg;

  missing = request (f, "GET", "/api/v1/orders/o-1", NULL);
  assert_error (missing, 401, "unauthenticated");
  g_assert_cmpstr (soup_message_headers_get_one (missing->headers, "WWW-Authenticate"), ==,
                   "Bearer");

  garbage = request (f, "GET", "/api/v1/orders/o-1", "not.a.token");
  assert_error (garbage, 401, "unauthenticated");

  foreign = request (f, "GET", "/api/v1/orders/o-1", foreign_token);
  assert_error (foreign, 401, "unauthenticated");

  /* Our own valid claims, re-headed as alg "none" with no signature. */
  parts = g_strsplit (f->admin_token, ".", -1);
  none_token = g_strdup_printf ("%s.%s.", ALG_NONE_HEADER, parts[1]);
  alg_none = request (f, "GET", "/api/v1/orders/o-1", none_token);
  assert_error (alg_none, 401, "unauthenticated");

  msg = new_message (f, "GET", "/api/v1/orders/o-1", NULL);
  soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization",
                                "Basic YWRtaW46YWRtaW4=");
  basic = send_message (f, msg);
  assert_error (basic, 401, "unauthenticated");

  forbidden = request (f, "GET", "/api/v1/admin", f->dispatcher_token);
  assert_error (forbidden, 403, "permission_denied");
  allowed = request (f, "GET", "/api/v1/admin", f->admin_token);
  g_assert_cmpuint (allowed->status, ==, 200);

  /* Public routes take no token, but a token they get must be valid. */
  public_anonymous = request (f, "GET", "/public", NULL);
  g_assert_cmpuint (public_anonymous->status, ==, 200);
  g_assert_true (json_object_get_null_member (public_anonymous->json, "role"));
  public_known = request (f, "GET", "/public", f->dispatcher_token);
  g_assert_cmpstr (member_string (public_known, "role"), ==, "dispatcher");
  public_bad_token = request (f, "GET", "/public", foreign_token);
  assert_error (public_bad_token, 401, "unauthenticated");

  /* Expiry: a one-second token, after it ran out. */
  short_issuer = dsd_token_issuer_new (f->clock, secret, 1);
  short_token = issue_token (short_issuer, DSD_ROLE_ADMIN);
  dsd_clock_advance (f->clock, 2 * G_USEC_PER_SEC);
  expired = request (f, "GET", "/api/v1/orders/o-1", short_token);
  assert_error (expired, 401, "unauthenticated");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (expired->json,
                                                                                 "error"),
                                                  "message"), ==, "access token expired");
}

static void
test_errors (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(Response) boom = NULL;
  g_autoptr(Response) limited = NULL;
  JsonObject *error;

  /* The detail goes to the log, never to the client. */
  g_test_expect_message ("dsd-http", G_LOG_LEVEL_WARNING, "*secret detail*");
  boom = request (f, "GET", "/boom", NULL);
  g_test_assert_expected_messages ();
  assert_error (boom, 500, "internal");
  error = json_object_get_object_member (boom->json, "error");
  g_assert_null (strstr (json_object_get_string_member (error, "message"), "secret"));

  limited = request (f, "GET", "/limited", NULL);
  assert_error (limited, 429, "rate_limited");
  g_assert_cmpstr (soup_message_headers_get_one (limited->headers, "Retry-After"), ==, "7");
  error = json_object_get_object_member (limited->json, "error");
  g_assert_cmpstr (json_object_get_string_member (error, "field"), ==, "username");
}

static void
test_body_limit_content_length (Fixture       *f,
                                gconstpointer  data)
{
  g_autofree char *raw_request = NULL;
  g_autofree char *raw_response = NULL;
  g_autofree char *big = g_malloc0 (2 * MIB);
  g_autoptr(Response) sent = NULL;

  /* Claims 2 MiB and sends a few bytes: the answer cannot wait for the rest,
   * which never comes. */
  raw_request = g_strdup_printf ("POST /api/v1/orders HTTP/1.1\r\n"
                                 "Host: 127.0.0.1\r\n"
                                 "Authorization: Bearer %s\r\n"
                                 "Content-Type: application/json\r\n"
                                 "Content-Length: %d\r\n"
                                 "\r\n"
                                 "{\"a\":", f->admin_token, 2 * MIB);
  raw_response = raw_exchange (f, raw_request);
  g_assert_true (g_str_has_prefix (raw_response, "HTTP/1.1 413 "));
  g_assert_nonnull (strstr (raw_response, "Connection: close\r\n"));
  g_assert_nonnull (strstr (raw_response, "\"code\":\"payload_too_large\""));

  /* A client that sends its whole body before reading still gets the 413. */
  memset (big, ' ', 2 * MIB);
  sent = request_with_body (f, "/api/v1/orders", f->admin_token, "application/json",
                            big, 2 * MIB);
  assert_error (sent, 413, "payload_too_large");
}

static void
test_body_limit_chunked (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(GBytes) big = g_bytes_new_take (g_malloc0 (MIB + 1), MIB + 1);
  g_autoptr(GBytes) small = g_bytes_new_take (g_malloc0 (100000), 100000);
  g_autoptr(GInputStream) big_stream = g_memory_input_stream_new_from_bytes (big);
  g_autoptr(GInputStream) small_stream = g_memory_input_stream_new_from_bytes (small);
  g_autoptr(Response) too_big = NULL;
  g_autoptr(Response) fine = NULL;
  SoupMessage *msg;

  /* Without a length the client sends chunks. */
  msg = new_message (f, "POST", "/api/v1/length", NULL);
  soup_message_set_request_body (msg, "application/octet-stream", small_stream, -1);
  fine = send_message (f, msg);
  g_assert_cmpuint (fine->status, ==, 200);
  g_assert_cmpstr (member_string (fine, "length"), ==, "100000");

  msg = new_message (f, "POST", "/api/v1/length", NULL);
  soup_message_set_request_body (msg, "application/octet-stream", big_stream, -1);
  too_big = send_message (f, msg);
  assert_error (too_big, 413, "payload_too_large");
}

/* Framing we cannot read safely: 400 and closed at once, body unread; a
 * chunk that never ends: closed at the body timeout. */
static void
test_malformed_framing (Fixture       *f,
                        gconstpointer  data)
{
  const char *framings[] = {
    "Content-Length: 5\r\nContent-Length: 7\r\n",
    "Content-Length: -1\r\n",
    "Content-Length: +5\r\n",
    "Content-Length: 99999999999999999999\r\n",
    "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n",
  };
  g_autofree char *chunked = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (framings); i++)
    {
      g_autofree char *raw_request = NULL;
      g_autofree char *raw_response = NULL;

      raw_request = g_strdup_printf ("POST /api/v1/length HTTP/1.1\r\n"
                                     "Host: 127.0.0.1\r\n"
                                     "%s"
                                     "\r\n"
                                     "hello", framings[i]);
      raw_response = raw_exchange (f, raw_request);
      g_assert_true (g_str_has_prefix (raw_response, "HTTP/1.1 400 "));
      g_assert_nonnull (strstr (raw_response, "Connection: close\r\n"));
      g_assert_nonnull (strstr (raw_response, "\"code\":\"invalid_argument\""));
    }

  dsd_http_server_set_limits (f->server, &(DsdHttpLimits) { 10000, 200, 10000, 100, 100 });
  chunked = raw_exchange (f, "POST /api/v1/length HTTP/1.1\r\n"
                             "Host: 127.0.0.1\r\n"
                             "Transfer-Encoding: chunked\r\n"
                             "\r\n"
                             "5\r\n"
                             "abc");
  g_assert_cmpstr (chunked, ==, "");
}

/* Badly framed chunks: 400 (413 for one chunk over the body limit) and closed
 * as soon as the bad bytes arrive, not at the body timeout (which the test's
 * own deadline is shorter than); a well framed body is read as before. */
static void
test_malformed_chunks (Fixture       *f,
                       gconstpointer  data)
{
  static const struct {
    const char *body;
    guint       status;
  } cases[] = {
    { "ffffffffffffffff\r\nabc", 400 },
    { "1ffffffffffffffff\r\nabc", 400 },
    { "8000000000000000\r\nabc", 400 },
    { "zz\r\nhello\r\n0\r\n\r\n", 400 },
    { "-5\r\nhello\r\n0\r\n\r\n", 400 },
    { "\r\nhello\r\n0\r\n\r\n", 400 },
    { "5\r\nhello world\r\n0\r\n\r\n", 400 },
    { "5\rhello\r\n0\r\n\r\n", 400 },
    { "5\r\nhello\r\n0\r\nX-Trailer: 1\r\n\r\n", 400 },
    { "200000\r\nabc", 413 },
  };
  g_autofree char *fine = NULL;
  g_autofree char *flood = NULL;
  g_autofree char *flood_request = NULL;
  g_autofree char *flood_response = NULL;
  g_autofree char *metrics = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *raw_request = NULL;
      g_autofree char *raw_response = NULL;
      g_autofree char *status = g_strdup_printf ("HTTP/1.1 %u ", cases[i].status);

      raw_request = g_strdup_printf ("POST /api/v1/length HTTP/1.1\r\n"
                                     "Host: 127.0.0.1\r\n"
                                     "Transfer-Encoding: chunked\r\n"
                                     "\r\n"
                                     "%s", cases[i].body);
      raw_response = raw_exchange (f, raw_request);
      g_assert_true (g_str_has_prefix (raw_response, status));
      g_assert_nonnull (strstr (raw_response, "Connection: close\r\n"));
    }

  /* Counted with the status the client got, not as a client gone away
   * (by the front loop, once its response is out). */
  wait_for_metric (f, "dispatch_http_requests_total{route=\"/api/v1/length\","
                      "method=\"POST\",status=\"400\"} 9\n");
  wait_for_metric (f, "dispatch_http_requests_total{route=\"/api/v1/length\","
                      "method=\"POST\",status=\"413\"} 1\n");
  metrics = dsd_metrics_render (f->metrics);
  g_assert_null (strstr (metrics, "status=\"499\""));

  /* A client that sends on before reading still gets the answer: what it
   * sends after the bad bytes is read and dropped while closing. */
  flood = g_malloc (6 * MIB + 1);
  memset (flood, 'a', 6 * MIB);
  flood[6 * MIB] = '\0';
  flood_request = g_strdup_printf ("POST /api/v1/length HTTP/1.1\r\n"
                                   "Host: 127.0.0.1\r\n"
                                   "Transfer-Encoding: chunked\r\n"
                                   "\r\n"
                                   "zz\r\n%s", flood);
  flood_response = raw_exchange (f, flood_request);
  g_assert_true (g_str_has_prefix (flood_response, "HTTP/1.1 400 "));

  /* Extensions and LF line ends are fine. */
  fine = raw_exchange (f, "POST /api/v1/length HTTP/1.1\r\n"
                          "Host: 127.0.0.1\r\n"
                          "Transfer-Encoding: chunked\r\n"
                          "\r\n"
                          "5;name=value\r\nhello\r\n3\nabc\n0\r\n\r\n");
  g_assert_true (g_str_has_prefix (fine, "HTTP/1.1 200 "));
  g_assert_nonnull (strstr (fine, "{\"length\":\"8\"}"));
}

/* A streamed answer cut midway: the client gets what went out and then the
 * end of the connection, never the last chunk that would make the part look
 * whole; the request is counted. */
static void
test_streamed_cut (Fixture       *f,
                   gconstpointer  data)
{
  g_autofree char *text = NULL;
  g_autoptr(Response) after = NULL;

  text = raw_exchange (f, "GET /streamed-cut HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  g_assert_true (g_str_has_prefix (text, "HTTP/1.1 200 "));
  g_assert_nonnull (strstr (text, "Transfer-Encoding: chunked\r\n"));
  g_assert_nonnull (strstr (text, "first part\n"));
  g_assert_null (strstr (text, "\r\n0\r\n\r\n"));

  wait_for_metric (f, "dispatch_http_requests_total{route=\"/streamed-cut\","
                      "method=\"GET\",status=\"200\"} 1\n");

  after = request (f, "GET", "/public", NULL);
  g_assert_cmpuint (after->status, ==, 200);
}

static void
test_json_body (Fixture       *f,
                gconstpointer  data)
{
  static const char valid[] = "{\"pickup\":{\"lat\":1.5}}";
  static const char bad_utf8[] = "{\"name\":\"\xff\xfe\"}";
  g_autofree char *no_length_request = NULL;
  g_autofree char *no_length_response = NULL;
  g_autoptr(Response) created = NULL;
  g_autoptr(Response) with_charset = NULL;
  g_autoptr(Response) latin1 = NULL;
  g_autoptr(Response) plain = NULL;
  g_autoptr(Response) malformed = NULL;
  g_autoptr(Response) invalid_utf8 = NULL;
  g_autoptr(Response) array = NULL;
  g_autoptr(Response) empty = NULL;

  created = request_with_body (f, "/api/v1/orders", f->admin_token, "application/json",
                               valid, strlen (valid));
  g_assert_cmpuint (created->status, ==, 201);
  g_assert_true (json_object_has_member (created->json, "pickup"));

  with_charset = request_with_body (f, "/api/v1/orders", f->admin_token,
                                    "application/json; charset=UTF-8", valid, strlen (valid));
  g_assert_cmpuint (with_charset->status, ==, 201);

  latin1 = request_with_body (f, "/api/v1/orders", f->admin_token,
                              "application/json; charset=latin1", valid, strlen (valid));
  assert_error (latin1, 415, "unsupported_media_type");
  plain = request_with_body (f, "/api/v1/orders", f->admin_token, "text/plain",
                             valid, strlen (valid));
  assert_error (plain, 415, "unsupported_media_type");

  malformed = request_with_body (f, "/api/v1/orders", f->admin_token, "application/json",
                                 "{\"a\":", 5);
  assert_error (malformed, 400, "invalid_argument");
  invalid_utf8 = request_with_body (f, "/api/v1/orders", f->admin_token, "application/json",
                                    bad_utf8, strlen (bad_utf8));
  assert_error (invalid_utf8, 400, "invalid_argument");
  array = request_with_body (f, "/api/v1/orders", f->admin_token, "application/json", "[]", 2);
  assert_error (array, 400, "invalid_argument");
  empty = request_with_body (f, "/api/v1/orders", f->admin_token, "application/json", "", 0);
  assert_error (empty, 400, "invalid_argument");

  /* No Content-Length and no chunks: libsoup reads no body, we answer 411. */
  no_length_request = g_strdup_printf ("POST /api/v1/orders HTTP/1.1\r\n"
                                       "Host: 127.0.0.1\r\n"
                                       "Authorization: Bearer %s\r\n"
                                       "Content-Type: application/json\r\n"
                                       "Connection: close\r\n"
                                       "\r\n", f->admin_token);
  no_length_response = raw_exchange (f, no_length_request);
  g_assert_true (g_str_has_prefix (no_length_response, "HTTP/1.1 411 "));
  g_assert_nonnull (strstr (no_length_response, "\"code\":\"length_required\""));
}

static void
test_async_handler (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(Response) slow = NULL;

  slow = request (f, "GET", "/slow", NULL);
  g_assert_cmpuint (slow->status, ==, 200);
  g_assert_cmpstr (member_string (slow, "slow"), ==, "done");
}

static void
stopped_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  dsd_http_server_stop_finish (DSD_HTTP_SERVER (object), result);
  *(gboolean *) user_data = TRUE;
}

/* Until connecting is refused: the front loops stop listening on their own
 * threads. */
static void
wait_until_refused (Fixture *f)
{
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  g_autoptr(GSocketClient) client = g_socket_client_new ();

  for (;;)
    {
      g_autoptr(GSocketConnection) connection = NULL;
      g_autoptr(GError) error = NULL;

      connection = g_socket_client_connect_to_host (client, "127.0.0.1", f->port, NULL, &error);
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED))
        return;
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, FALSE);
    }
}

static void
test_graceful_stop (Fixture       *f,
                    gconstpointer  data)
{
  Exchange exchange = { 0 };
  g_autoptr(Response) held = NULL;
  gboolean stopped = FALSE;

  start_exchange (f, new_message (f, "GET", "/hold", NULL), &exchange);
  wait_until (&f->holding);

  dsd_http_server_stop_async (f->server, 10000, stopped_cb, &stopped);
  wait_until_refused (f);
  g_assert_false (stopped);

  respond_strings (f->held, 200, "held", "released", NULL);
  held = finish_exchange (&exchange);
  g_assert_cmpuint (held->status, ==, 200);
  g_assert_cmpstr (member_string (held, "held"), ==, "released");

  wait_until (&stopped);
}

static void
test_stop_timeout (Fixture       *f,
                   gconstpointer  data)
{
  Exchange exchange = { 0 };
  gboolean stopped = FALSE;

  start_exchange (f, new_message (f, "GET", "/hold", NULL), &exchange);
  wait_until (&f->holding);

  /* Stops with the request still held. */
  dsd_http_server_stop_async (f->server, 200, stopped_cb, &stopped);
  wait_until (&stopped);
  g_assert_nonnull (f->held);

  /* The server hung up on the client; answering late is harmless. */
  wait_until (&exchange.done);
  g_assert_nonnull (exchange.error);
  g_clear_error (&exchange.error);
  g_object_unref (exchange.msg);
  respond_strings (f->held, 200, "held", "too late", NULL);
  drain ();
}

/* The client leaves while its request is with the handler (on the main
 * loop, the message paused on its front, which notices only when it
 * writes): the late answer ends the request, the server carries on. (A
 * request the front ends while the handler has it: /stop-timeout.) */
static void
test_client_gone (Fixture       *f,
                  gconstpointer  data)
{
  static const char request_text[] = "GET /hold HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(Response) after = NULL;

  connection = g_socket_client_connect_to_host (client, "127.0.0.1", f->port, NULL, &error);
  g_assert_no_error (error);
  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)),
                             request_text, strlen (request_text), NULL, NULL, &error);
  g_assert_no_error (error);
  wait_until (&f->holding);

  g_io_stream_close (G_IO_STREAM (connection), NULL, &error);
  g_assert_no_error (error);
  respond_strings (f->held, 200, "held", "too late", NULL);
  g_clear_pointer (&f->held, dsd_request_unref);
  wait_for_metric (f, "dispatch_http_requests_total{route=\"/hold\",method=\"GET\"");

  after = request (f, "GET", "/public", NULL);
  g_assert_cmpuint (after->status, ==, 200);
}

typedef struct {
  SoupWebsocketConnection *connection;
  GError                  *error;
  char                    *first_message;
  gboolean                 done;
  gboolean                 got_message;
} WebsocketClient;

static void
websocket_message_cb (SoupWebsocketConnection *connection,
                      gint                     type,
                      GBytes                  *message,
                      gpointer                 user_data)
{
  WebsocketClient *client = user_data;

  if (client->first_message == NULL)
    client->first_message = g_strndup (g_bytes_get_data (message, NULL),
                                       g_bytes_get_size (message));
  client->got_message = TRUE;
}

static void
websocket_connected_cb (GObject      *object,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  WebsocketClient *client = user_data;

  client->connection = soup_session_websocket_connect_finish (SOUP_SESSION (object), result,
                                                              &client->error);
  if (client->connection != NULL)
    g_signal_connect (client->connection, "message",
                      G_CALLBACK (websocket_message_cb), client);
  client->done = TRUE;
}

/* Connects and returns the HTTP status of the handshake's answer. */
static guint
websocket_connect (Fixture         *f,
                   const char      *path,
                   const char      *token,
                   WebsocketClient *client)
{
  g_autoptr(SoupMessage) msg = new_message (f, "GET", path, token);

  soup_session_websocket_connect_async (f->session, msg, NULL, NULL, G_PRIORITY_DEFAULT, NULL,
                                        websocket_connected_cb, client);
  wait_until (&client->done);

  return soup_message_get_status (msg);
}

static void
websocket_client_clear (WebsocketClient *client)
{
  if (client->connection != NULL)
    soup_websocket_connection_close (client->connection, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
  g_clear_object (&client->connection);
  g_clear_error (&client->error);
  g_clear_pointer (&client->first_message, g_free);
}

static void
test_websocket (Fixture       *f,
                gconstpointer  data)
{
  g_autofree char *query_path = NULL;
  WebsocketClient client = { 0 };
  g_autoptr(Response) plain_get = NULL;

  /* Token in the query string, async check accepts. */
  query_path = g_strdup_printf ("/api/v1/orders/o-5/stream?access_token=%s", f->customer_token);
  g_assert_cmpuint (websocket_connect (f, query_path, NULL, &client), ==, 101);
  g_assert_no_error (client.error);
  wait_until (&client.got_message);
  g_assert_cmpstr (client.first_message, ==, "hello o-5 customer");
  g_assert_nonnull (f->server_socket);
  g_assert_cmpuint (soup_websocket_connection_get_max_incoming_payload_size (f->server_socket),
                    ==, 64 * 1024);
  websocket_client_clear (&client);
  memset (&client, 0, sizeof client);

  /* Token in the header, no check. */
  g_assert_cmpuint (websocket_connect (f, "/api/v1/stream", f->dispatcher_token, &client), ==,
                    101);
  g_assert_no_error (client.error);
  websocket_client_clear (&client);
  memset (&client, 0, sizeof client);

  /* Refused before the handshake: no token, wrong role, the check says 404. */
  g_assert_cmpuint (websocket_connect (f, "/api/v1/orders/o-5/stream", NULL, &client), ==, 401);
  g_assert_nonnull (client.error);
  websocket_client_clear (&client);
  memset (&client, 0, sizeof client);

  g_assert_cmpuint (websocket_connect (f, "/api/v1/stream", f->customer_token, &client), ==,
                    403);
  g_assert_nonnull (client.error);
  websocket_client_clear (&client);
  memset (&client, 0, sizeof client);

  g_assert_cmpuint (websocket_connect (f, "/api/v1/orders/missing/stream", f->admin_token,
                                       &client), ==, 404);
  g_assert_nonnull (client.error);
  websocket_client_clear (&client);

  /* Not a handshake at all. */
  plain_get = request (f, "GET", "/api/v1/stream", f->admin_token);
  assert_error (plain_get, 400, "invalid_argument");
}

static void
set_flag_cb (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
}

/* One liveness check for many clients: a peer silent for 20 s gets a ping
 * (its pong counts as input), one silent for 50 s is closed with 1001. */
static void
test_websocket_alive (Fixture       *f,
                      gconstpointer  data)
{
  WebsocketClient client = { 0 };
  g_autoptr(DsdWsClient) watched = NULL;
  DsdWsStream *stream;
  gboolean closed = FALSE;
  gint64 heard_us;
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  guint tick = g_timeout_add (50, keep_waking, NULL);

  g_assert_cmpuint (websocket_connect (f, "/api/v1/stream", f->dispatcher_token, &client), ==,
                    101);
  wait_until (&client.got_message);
  watched = dsd_ws_client_new (f->server_socket);
  stream = DSD_WS_STREAM (soup_websocket_connection_get_io_stream (f->server_socket));
  heard_us = dsd_ws_stream_get_last_input_time (stream);

  /* Heard from 19 s ago: nothing to do. */
  dsd_ws_client_check_alive (watched, heard_us + 19 * G_USEC_PER_SEC);
  g_assert_cmpuint (dsd_ws_stream_get_queued (stream), ==, 0);

  /* 21 s: a ping, which the client's library answers. */
  dsd_ws_client_check_alive (watched, heard_us + 21 * G_USEC_PER_SEC);
  g_assert_cmpuint (dsd_ws_stream_get_queued (stream), ==, 2);
  while (dsd_ws_stream_get_last_input_time (stream) == heard_us)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
  g_assert_true (dsd_ws_client_is_open (watched));

  /* Silent 51 s: closed as dead. */
  g_signal_connect_swapped (client.connection, "closed", G_CALLBACK (set_flag_cb), &closed);
  heard_us = dsd_ws_stream_get_last_input_time (stream);
  dsd_ws_client_check_alive (watched, heard_us + 51 * G_USEC_PER_SEC);
  wait_until (&closed);
  g_assert_cmpuint (soup_websocket_connection_get_close_code (client.connection), ==,
                    SOUP_WEBSOCKET_CLOSE_GOING_AWAY);

  g_source_remove (tick);
  g_clear_object (&client.connection);
  g_free (client.first_message);
}

static char *
write_test_file (const char *name,
                 const char *contents)
{
  g_autoptr(GError) error = NULL;
  char *path = g_build_filename (g_get_user_runtime_dir (), name, NULL);

  g_mkdir_with_parents (g_get_user_runtime_dir (), 0700);
  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);

  return path;
}

static gboolean
accept_any_certificate_cb (SoupMessage          *msg,
                           GTlsCertificate      *certificate,
                           GTlsCertificateFlags  errors,
                           gpointer              user_data)
{
  return TRUE;
}

static void
subprocess_done_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_subprocess_wait_finish (G_SUBPROCESS (object), result, NULL);
  *(gboolean *) user_data = TRUE;
}

/* Whether openssl s_client completes a handshake with these options (the
 * server runs in this process, on the main loop). */
static gboolean
s_client_connects (guint        port,
                   const char  *version,
                   const char  *ciphers)
{
  g_autofree char *address = g_strdup_printf ("127.0.0.1:%u", port);
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  gboolean done = FALSE;

  /* SECLEVEL=0: OpenSSL 3 would refuse TLS 1.1 itself, before the server. */
  process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                              G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error,
                              "openssl", "s_client", "-connect", address, version,
                              "-cipher", ciphers, NULL);
  g_assert_no_error (error);
  g_output_stream_close (g_subprocess_get_stdin_pipe (process), NULL, NULL);
  g_subprocess_wait_async (process, NULL, subprocess_done_cb, &done);
  wait_until (&done);

  return g_subprocess_get_if_exited (process) && g_subprocess_get_exit_status (process) == 0;
}

static void
test_tls (Fixture       *f,
          gconstpointer  data)
{
  g_autofree char *cert_file = write_test_file ("cert.pem", tls_certificate);
  g_autofree char *key_file = write_test_file ("key.pem", tls_key);
  g_autoptr(DsdHttpServer) server = dsd_http_server_new (f->router, f->tokens, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *uri = NULL;
  g_autofree char *authorization = NULL;
  g_autofree char *openssl = NULL;
  guint64 connection_id = 0;
  SoupMessage *msg;

#ifdef __SANITIZE_ADDRESS__
  /* LeakSanitizer (GCC 12) crashes at exit scanning the dynamic TLS that
   * GnuTLS leaves in GLib's worker threads; the test passes under ASan with
   * ASAN_OPTIONS=detect_leaks=0. */
  if (g_strrstr (g_getenv ("ASAN_OPTIONS") ?: "", "detect_leaks=0") == NULL)
    {
      g_test_skip ("LeakSanitizer cannot scan GnuTLS threads");
      return;
    }
#endif

  dsd_http_server_set_threads (server, GPOINTER_TO_UINT (data));
  g_assert_false (dsd_http_server_listen (server, "127.0.0.1:0", cert_file, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  dsd_http_server_listen (server, "127.0.0.1:0", cert_file, key_file, &error);
  g_assert_no_error (error);

  uri = g_strdup_printf ("https://127.0.0.1:%u/api/v1/orders/o-9",
                         dsd_http_server_get_port (server));
  authorization = g_strdup_printf ("Bearer %s", f->admin_token);

  /* Twice, on one kept-alive connection. */
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(Response) response = NULL;

      msg = soup_message_new ("GET", uri);
      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization",
                                    authorization);
      g_signal_connect (msg, "accept-certificate", G_CALLBACK (accept_any_certificate_cb),
                        NULL);

      response = send_message (f, g_object_ref (msg));
      g_assert_cmpuint (response->status, ==, 200);
      g_assert_cmpstr (member_string (response, "id"), ==, "o-9");
      g_assert_cmpstr (soup_message_headers_get_one (response->headers,
                                                     "Strict-Transport-Security"), ==,
                       DSD_HTTP_HSTS);
      if (i == 0)
        connection_id = soup_message_get_connection_id (msg);
      g_assert_cmpuint (soup_message_get_connection_id (msg), ==, connection_id);
      g_object_unref (msg);
    }

  /* TLS 1.2 minimum, no static RSA key exchange, no CBC. */
  openssl = g_find_program_in_path ("openssl");
  if (openssl == NULL)
    return;
  g_assert_true (s_client_connects (dsd_http_server_get_port (server), "-tls1_2",
                                    "DEFAULT@SECLEVEL=0"));
  g_assert_true (s_client_connects (dsd_http_server_get_port (server), "-tls1_3",
                                    "DEFAULT@SECLEVEL=0"));
  g_assert_false (s_client_connects (dsd_http_server_get_port (server), "-tls1_1",
                                     "DEFAULT@SECLEVEL=0"));
  g_assert_false (s_client_connects (dsd_http_server_get_port (server), "-tls1",
                                     "DEFAULT@SECLEVEL=0"));
  g_assert_false (s_client_connects (dsd_http_server_get_port (server), "-tls1_2",
                                     "AES128-SHA@SECLEVEL=0"));
  g_assert_false (s_client_connects (dsd_http_server_get_port (server), "-tls1_2",
                                     "ECDHE-RSA-AES128-SHA256@SECLEVEL=0"));
}

static void
test_metrics (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(Response) first = NULL;
  g_autoptr(Response) second = NULL;
  g_autoptr(Response) missing = NULL;
  g_autofree char *text = NULL;

  first = request (f, "GET", "/api/v1/orders/a", f->admin_token);
  second = request (f, "GET", "/api/v1/orders/b", f->admin_token);
  missing = request (f, "GET", "/nowhere", NULL);

  /* Counted by the front loop once the response is out. */
  wait_for_metric (f, "dispatch_http_requests_total{route=\"/api/v1/orders/{id}\","
                      "method=\"GET\",status=\"200\"} 2\n");
  wait_for_metric (f, "dispatch_http_requests_total{route=\"unmatched\","
                      "method=\"GET\",status=\"404\"} 1\n");
  wait_for_metric (f, "dispatch_http_request_duration_seconds_count{"
                      "route=\"/api/v1/orders/{id}\",method=\"GET\"} 2\n");
  text = dsd_metrics_render (f->metrics);
  g_assert_nonnull (strstr (text, "# TYPE dispatch_http_requests_total counter\n"));
}

int
main (int   argc,
      char *argv[])
{
  /* glib-networking's GNOME proxy resolver aborts without the desktop
   * schemas; the client talks to loopback only. */
  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
  dsd_http_tls_init ();
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  /* Each test with the main loop reading HTTP, then with two front threads. */
  for (guint threads = 0; threads <= 2; threads += 2)
    {
      const char *prefix = threads == 0 ? "/router" : "/router/threads";

#define ADD(name, test) \
  { \
    g_autofree char *path = g_strconcat (prefix, name, NULL); \
    g_test_add (path, Fixture, GUINT_TO_POINTER (threads), fixture_setup, test, \
                fixture_teardown); \
  }
      ADD ("/routing", test_routing);
      ADD ("/bad-query", test_bad_query);
      ADD ("/methods", test_methods);
      ADD ("/auth", test_auth);
      ADD ("/errors", test_errors);
      ADD ("/body-limit/content-length", test_body_limit_content_length);
      ADD ("/body-limit/chunked", test_body_limit_chunked);
      ADD ("/malformed-framing", test_malformed_framing);
      ADD ("/malformed-chunks", test_malformed_chunks);
      ADD ("/streamed-cut", test_streamed_cut);
      ADD ("/json-body", test_json_body);
      ADD ("/async-handler", test_async_handler);
      ADD ("/graceful-stop", test_graceful_stop);
      ADD ("/stop-timeout", test_stop_timeout);
      ADD ("/websocket", test_websocket);
      ADD ("/websocket-alive", test_websocket_alive);
      ADD ("/tls", test_tls);
      ADD ("/metrics", test_metrics);
      ADD ("/client-gone", test_client_gone);
#undef ADD
    }

  return g_test_run ();
}
