/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdlib.h>
#include <string.h>

#include "dsd-http-connections.h"

#define BODY "connections-test-body\n"
#define REQUEST "GET / HTTP/1.1\r\nHost: test\r\n\r\n"
#define DEADLINE_S 10

typedef struct {
  SoupServer         *soup;
  DsdHttpConnections *connections;
  guint               port;
  guint               finished;
  GPtrArray          *held;      /* messages kept after their response */
} Fixture;

/* Larger than a socket buffer: written over several main-loop iterations. */
#define BIG_BODY_SIZE (256 * 1024)

/* As an asynchronous handler answers: from a later main-loop iteration. */
/* The paused request's answer, in a later main-loop turn. */
static gboolean
respond_body_later_cb (gpointer user_data)
{
  g_autoptr(SoupServerMessage) msg = user_data;

  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_STATIC, BODY, strlen (BODY));
  soup_server_message_unpause (msg);

  return G_SOURCE_REMOVE;
}

static gboolean
respond_later_cb (gpointer user_data)
{
  g_autoptr(SoupServerMessage) msg = user_data;

  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  if (g_random_boolean ())
    soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_STATIC, BODY, strlen (BODY));
  else
    soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_TAKE,
                                      g_malloc0 (BIG_BODY_SIZE), BIG_BODY_SIZE);
  soup_server_message_unpause (msg);

  return G_SOURCE_REMOVE;
}

static void
handler_cb (SoupServer        *server,
            SoupServerMessage *msg,
            const char        *path,
            GHashTable        *query,
            gpointer           user_data)
{
  if (strcmp (path, "/no-content") == 0)
    {
      soup_server_message_set_status (msg, SOUP_STATUS_NO_CONTENT, NULL);
      return;
    }

  /* As an asynchronous handler whose call outlives its answer. */
  if (strcmp (path, "/held") == 0)
    g_ptr_array_add (((Fixture *) user_data)->held, g_object_ref (msg));

  if (strcmp (path, "/paused") == 0)
    {
      soup_server_message_pause (msg);
      g_idle_add (respond_body_later_cb, g_object_ref (msg));
      return;
    }

  if (strcmp (path, "/stress") == 0 && g_random_boolean ())
    {
      soup_server_message_pause (msg);
      g_idle_add (respond_later_cb, g_object_ref (msg));
      return;
    }

  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_STATIC, BODY, strlen (BODY));
}

static void
request_finished_cb (SoupServer        *server,
                     SoupServerMessage *msg,
                     gpointer           user_data)
{
  Fixture *f = user_data;

  f->finished++;
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GError) error = NULL;

  f->held = g_ptr_array_new_with_free_func (g_object_unref);
  f->soup = soup_server_new (NULL, NULL);
  soup_server_add_handler (f->soup, NULL, handler_cb, f, NULL);
  g_signal_connect (f->soup, "request-finished", G_CALLBACK (request_finished_cb), f);
  f->connections = dsd_http_connections_new (f->soup);

  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                         &error);
  g_assert_no_error (error);
  g_socket_bind (socket, address, TRUE, &error);
  g_assert_no_error (error);
  g_socket_set_listen_backlog (socket, 4096);
  g_socket_listen (socket, &error);
  g_assert_no_error (error);
  dsd_http_connections_add_socket (f->connections, socket, NULL, &error);
  g_assert_no_error (error);

  bound = g_socket_get_local_address (socket, &error);
  g_assert_no_error (error);
  f->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_clear_object (&f->connections);
  g_clear_object (&f->soup);
  g_clear_pointer (&f->held, g_ptr_array_unref);
}

static gboolean
keep_waking (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

/* Runs the server's side until the client socket has input or a hang-up. */
static void
wait_readable (GSocket *client)
{
  gint64 deadline = g_get_monotonic_time () + DEADLINE_S * G_USEC_PER_SEC;
  guint tick = g_timeout_add (20, keep_waking, NULL);

  while (g_socket_condition_check (client, G_IO_IN | G_IO_HUP | G_IO_ERR) == 0)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }

  g_source_remove (tick);
}

static void
run_pending (void)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static GSocket *
connect_client (Fixture *f)
{
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, f->port);
  g_autoptr(GSocket) client = NULL;
  g_autoptr(GError) error = NULL;

  client = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                         &error);
  g_assert_no_error (error);
  /* Completes from the listen backlog, before the server accepts. */
  g_socket_connect (client, address, NULL, &error);
  g_assert_no_error (error);
  g_socket_set_blocking (client, FALSE);

  return g_steal_pointer (&client);
}

static void
send_text (GSocket    *client,
           const char *text)
{
  g_autoptr(GError) error = NULL;
  gssize sent;

  sent = g_socket_send (client, text, strlen (text), NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (sent, ==, strlen (text));
}

static guint
count_responses (const char *text)
{
  guint n = 0;

  for (const char *p = text; (p = strstr (p, "\r\n\r\n" BODY)) != NULL; p++)
    n++;

  return n;
}

/* Reads whole responses until n have come, or the server closes. */
static char *
read_responses (GSocket  *client,
                guint     n,
                gboolean *closed)
{
  g_autoptr(GString) text = g_string_new (NULL);

  *closed = FALSE;
  while (count_responses (text->str) < n)
    {
      g_autoptr(GError) error = NULL;
      char buffer[4096];
      gssize n_read;

      wait_readable (client);
      n_read = g_socket_receive (client, buffer, sizeof buffer, NULL, &error);
      g_assert_no_error (error);
      if (n_read == 0)
        {
          *closed = TRUE;
          break;
        }
      g_string_append_len (text, buffer, n_read);
    }

  return g_string_free (g_steal_pointer (&text), FALSE);
}

static void
expect_responses (GSocket *client,
                  guint    n)
{
  g_autofree char *text = NULL;
  gboolean closed;

  text = read_responses (client, n, &closed);
  g_assert_false (closed);
  g_assert_cmpuint (count_responses (text), ==, n);
}

/* The server closed its side: the client reads the end of the stream. */
static void
expect_closed_by_server (GSocket *client)
{
  g_autoptr(GError) error = NULL;
  char buffer[64];

  wait_readable (client);
  g_assert_cmpint (g_socket_receive (client, buffer, sizeof buffer, NULL, &error), ==, 0);
  g_assert_no_error (error);
}

static void
expect_open (GSocket *client)
{
  run_pending ();
  g_assert_cmpuint (g_socket_condition_check (client, G_IO_IN | G_IO_HUP | G_IO_ERR), ==, 0);
}

static guint
count_descriptors (void)
{
  g_autoptr(GDir) dir = g_dir_open ("/proc/self/fd", 0, NULL);
  guint n = 0;

  g_assert_nonnull (dir);
  while (g_dir_read_name (dir) != NULL)
    n++;

  return n;
}

/* One keep-alive connection: requests, then the client's close while idle. */
static void
keep_alive_then_client_close (Fixture *f)
{
  g_autoptr(GSocket) client = connect_client (f);
  g_autoptr(GError) error = NULL;

  send_text (client, REQUEST);
  expect_responses (client, 1);
  send_text (client, REQUEST);
  expect_responses (client, 1);
  expect_open (client);

  g_socket_shutdown (client, FALSE, TRUE, &error);
  g_assert_no_error (error);
  expect_closed_by_server (client);
}

/* libsoup 3.2 alone keeps such a connection open forever (CLOSE_WAIT). */
static void
test_client_close (Fixture       *f,
                   gconstpointer  data)
{
  guint descriptors;

  keep_alive_then_client_close (f);
  g_assert_cmpuint (f->finished, ==, 2);

  run_pending ();
  descriptors = count_descriptors ();
  for (guint i = 0; i < 20; i++)
    keep_alive_then_client_close (f);
  run_pending ();

  g_assert_cmpuint (count_descriptors (), ==, descriptors);
  g_assert_cmpuint (f->finished, ==, 2 + 20 * 2);
}

static void
test_pipelined (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GSocket) client = connect_client (f);
  g_autoptr(GError) error = NULL;

  send_text (client, REQUEST REQUEST REQUEST);
  expect_responses (client, 3);
  expect_open (client);

  send_text (client, REQUEST);
  expect_responses (client, 1);
  g_assert_cmpuint (f->finished, ==, 4);

  g_socket_shutdown (client, FALSE, TRUE, &error);
  g_assert_no_error (error);
  expect_closed_by_server (client);
}

/* A client that keeps requests queued is served a few, then closed. */
static void
test_pipelined_bound (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(GSocket) client = connect_client (f);
  g_autofree char *text = NULL;
  g_autoptr(GString) requests = g_string_new (NULL);
  gboolean closed;

  for (guint i = 0; i < 12; i++)
    g_string_append (requests, REQUEST);
  send_text (client, requests->str);

  text = read_responses (client, 12, &closed);
  g_assert_true (closed);
  g_assert_cmpuint (count_responses (text), >=, 2);
  g_assert_cmpuint (count_responses (text), <, 12);
  g_assert_nonnull (strstr (text, "Connection: close\r\n"));
}

/* libsoup alone closes the connection after a 204. */
static void
test_no_content (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(GSocket) client = connect_client (f);
  g_autofree char *text = NULL;
  gboolean closed;

  send_text (client, "GET /no-content HTTP/1.1\r\nHost: test\r\n\r\n" REQUEST);
  text = read_responses (client, 1, &closed);
  g_assert_false (closed);
  g_assert_true (g_str_has_prefix (text, "HTTP/1.1 204 No Content\r\n"));
  expect_open (client);
  g_assert_cmpuint (f->finished, ==, 2);
}

static void
test_server_close (Fixture       *f,
                   gconstpointer  data)
{
  const char *requests[] = {
    "GET / HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n",
    "GET / HTTP/1.0\r\n\r\n",
  };

  for (guint i = 0; i < G_N_ELEMENTS (requests); i++)
    {
      g_autoptr(GSocket) client = connect_client (f);

      send_text (client, requests[i]);
      expect_responses (client, 1);
      expect_closed_by_server (client);
    }

  g_assert_cmpuint (f->finished, ==, 2);
}

static void
test_stop_accepting (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, f->port);
  g_autoptr(GSocket) accepted = connect_client (f);
  g_autoptr(GSocket) refused = NULL;
  g_autoptr(GError) error = NULL;

  send_text (accepted, REQUEST);
  expect_responses (accepted, 1);

  dsd_http_connections_stop_accepting (f->connections);

  refused = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                          &error);
  g_assert_no_error (error);
  g_assert_false (g_socket_connect (refused, address, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED);

  /* A connection from before carries on. */
  send_text (accepted, REQUEST);
  expect_responses (accepted, 1);
}

static void
set_limits (Fixture *f,
            guint    header_timeout_ms,
            guint    body_timeout_ms,
            guint    idle_timeout_ms,
            guint    max_connections,
            guint    max_connections_per_client)
{
  dsd_http_connections_set_limits (f->connections, &(DsdHttpLimits) {
    header_timeout_ms, body_timeout_ms, idle_timeout_ms, max_connections,
    max_connections_per_client,
  });
}

/* Runs the server's side until it counts n_open open connections, and
 * n_waiting of them waiting for a request (-1: any number). */
static void
wait_counts (Fixture *f,
             int      n_open,
             int      n_waiting)
{
  gint64 deadline = g_get_monotonic_time () + DEADLINE_S * G_USEC_PER_SEC;
  guint tick = g_timeout_add (20, keep_waking, NULL);

  while ((n_open >= 0 && dsd_http_connections_get_n_open (f->connections) != (guint) n_open) ||
         (n_waiting >= 0 &&
          dsd_http_connections_get_n_waiting (f->connections) != (guint) n_waiting))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }

  g_source_remove (tick);
}

/* An idle keep-alive connection is closed once its idle timeout passes, and
 * responses say when. */
static void
test_idle_timeout (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(GSocket) client = NULL;
  g_autofree char *text = NULL;
  gboolean closed;

  set_limits (f, 10000, 10000, 100, 100, 100);
  client = connect_client (f);
  send_text (client, REQUEST);
  text = read_responses (client, 1, &closed);
  g_assert_false (closed);
  g_assert_nonnull (strstr (text, "\r\nKeep-Alive: timeout=0\r\n"));
  g_assert_cmpuint (dsd_http_connections_get_n_waiting (f->connections), ==, 1);

  expect_closed_by_server (client);
  g_clear_object (&client);
  wait_counts (f, 0, -1);
  g_assert_cmpuint (dsd_http_connections_get_n_waiting (f->connections), ==, 0);
}

/* A connection that sends nothing, or half a request line, or its headers a
 * byte at a time (slowloris), is closed at the header timeout. */
static void
test_header_timeout (Fixture       *f,
                     gconstpointer  data)
{
  const char *starts[] = { "", "GET /half-a-request-li", "GET / HTTP/1.1\r\nHost: te" };

  set_limits (f, 200, 10000, 10000, 100, 100);
  for (guint i = 0; i < G_N_ELEMENTS (starts); i++)
    {
      g_autoptr(GSocket) client = connect_client (f);

      if (*starts[i] != '\0')
        send_text (client, starts[i]);
      expect_closed_by_server (client);
    }

  wait_counts (f, 0, -1);
  g_assert_cmpuint (f->finished, ==, 0);
}

static gboolean
trickle_cb (gpointer user_data)
{
  GSocket *client = user_data;

  /* Fails once the server has closed: then we are done. */
  return g_socket_send (client, "X", 1, NULL, NULL) == 1 ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

static void
test_slowloris (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GSocket) client = NULL;
  guint trickle;

  set_limits (f, 300, 10000, 10000, 100, 100);
  client = connect_client (f);
  send_text (client, "GET / HTTP/1.1\r\nX-Slow: ");
  trickle = g_timeout_add (20, trickle_cb, client);
  expect_closed_by_server (client);
  g_clear_handle_id (&trickle, g_source_remove);
  g_clear_object (&client);
  wait_counts (f, 0, -1);
}

/* A badly framed chunked body pipelined behind a good request answered
 * later (read ahead with it, so its framing fails before its headers are
 * parsed): the first is answered, the second gets 400 and the connection
 * closes, long before the body timeout. */
static void
test_badly_framed_pipelined (Fixture       *f,
                             gconstpointer  data)
{
  g_autoptr(GSocket) client = connect_client (f);
  g_autofree char *text = NULL;
  gboolean closed;

  set_limits (f, 10000, 600000, 10000, 100, 100);
  send_text (client, "GET /paused HTTP/1.1\r\nHost: test\r\n\r\n"
                     "POST / HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n"
                     "ffffffffffffffff\r\nabc");
  text = read_responses (client, 3, &closed);
  g_assert_true (closed);
  g_assert_cmpuint (count_responses (text), ==, 1);
  g_assert_nonnull (strstr (text, "HTTP/1.1 400 "));
  g_assert_nonnull (strstr (text, "\"code\":\"invalid_argument\""));
}

/* Headers in time, then not the whole body: closed at the body timeout. */
static void
test_body_timeout (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(GSocket) client = NULL;

  set_limits (f, 10000, 200, 10000, 100, 100);
  client = connect_client (f);
  send_text (client, "POST / HTTP/1.1\r\nHost: test\r\nContent-Length: 10\r\n\r\nabc");
  expect_closed_by_server (client);
  g_clear_object (&client);
  wait_counts (f, 0, -1);
}

/* Beyond the caps a connection gets 503 and is closed; counts go back to 0. */
static void
test_connection_caps (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(GPtrArray) clients = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint cap = 0; cap < 2; cap++)
    {
      g_autoptr(GSocket) refused = NULL;
      g_autofree char *text = NULL;
      gboolean closed;

      /* Per client first, then in total (all test clients share an address). */
      set_limits (f, 10000, 10000, 10000, cap == 0 ? 100 : 3, cap == 0 ? 3 : 100);
      for (guint i = 0; i < 3; i++)
        g_ptr_array_add (clients, connect_client (f));
      wait_counts (f, 3, -1);

      refused = connect_client (f);
      text = read_responses (refused, 1, &closed);
      g_assert_true (g_str_has_prefix (text, "HTTP/1.1 503 "));
      g_assert_nonnull (strstr (text, "\r\nRetry-After: "));
      g_assert_nonnull (strstr (text, "\"code\":\"unavailable\""));

      /* The others are served. */
      for (guint i = 0; i < clients->len; i++)
        {
          send_text (clients->pdata[i], REQUEST);
          expect_responses (clients->pdata[i], 1);
        }

      g_ptr_array_set_size (clients, 0);
      g_clear_object (&refused);
      wait_counts (f, 0, -1);
    }
}

/* A connection counts until it closes, not until its last reference goes:
 * libsoup keeps a closed connection's stream while its message lives. */
static void
test_count_closed (Fixture       *f,
                   gconstpointer  data)
{
  set_limits (f, 10000, 10000, 10000, 100, 3);
  for (guint i = 0; i < 6; i++)
    {
      g_autoptr(GSocket) client = connect_client (f);
      g_autofree char *text = NULL;
      gboolean closed;

      send_text (client, "GET /held HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n");
      text = read_responses (client, 1, &closed);
      g_assert_true (g_str_has_prefix (text, "HTTP/1.1 200 "));
      expect_closed_by_server (client);
      g_clear_object (&client);
      wait_counts (f, 0, -1);
    }

  g_assert_cmpuint (f->held->len, ==, 6);
}

/* At the per-client cap, a new connection takes the place of the client's
 * longest-idle keep-alive connection; one that has had no request yet is
 * not idle. */
static void
test_reclaim_idle (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(GPtrArray) clients = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GSocket) fresh = NULL;
  g_autoptr(GSocket) refused = NULL;
  g_autofree char *text = NULL;
  gboolean closed;

  set_limits (f, 10000, 10000, 10000, 100, 3);
  for (guint i = 0; i < 3; i++)
    {
      g_ptr_array_add (clients, connect_client (f));
      send_text (clients->pdata[i], REQUEST);
      expect_responses (clients->pdata[i], 1);
    }
  wait_counts (f, 3, -1);

  /* Takes the place of the first, which the server closes. */
  fresh = connect_client (f);
  expect_closed_by_server (clients->pdata[0]);
  for (guint i = 1; i < 3; i++)
    expect_open (clients->pdata[i]);
  g_ptr_array_remove_index (clients, 0);
  wait_counts (f, 3, -1);

  /* Two idle and one fresh: the next takes the place of an idle one. */
  g_ptr_array_add (clients, connect_client (f));
  expect_closed_by_server (clients->pdata[0]);
  g_ptr_array_remove_index (clients, 0);
  wait_counts (f, 3, -1);

  /* One idle: its place goes; then none is idle and the next is refused. */
  g_ptr_array_add (clients, connect_client (f));
  expect_closed_by_server (clients->pdata[0]);
  g_ptr_array_remove_index (clients, 0);
  wait_counts (f, 3, -1);
  refused = connect_client (f);
  text = read_responses (refused, 1, &closed);
  g_assert_true (g_str_has_prefix (text, "HTTP/1.1 503 "));

  /* The fresh ones are served. */
  send_text (fresh, REQUEST);
  expect_responses (fresh, 1);
  for (guint i = 0; i < clients->len; i++)
    {
      send_text (clients->pdata[i], REQUEST);
      expect_responses (clients->pdata[i], 1);
    }
}

/* One libsoup client, as the API's clients are: it opens a new connection
 * for each POST and keeps the idle ones (up to a minute), and reuses them
 * for GETs. A cap far below its number of requests refuses none of them,
 * and the server never counts more connections than are open. */
#define SESSION_REQUESTS 60
#define SESSION_CAP 8

static void
session_sent_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  guint *status = user_data;
  SoupMessage *message = soup_session_get_async_result_message (SOUP_SESSION (source), result);
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(GError) error = NULL;

  answer = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  g_assert_no_error (error);
  *status = soup_message_get_status (message);
}

static void
test_session_under_cap (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(SoupSession) session = NULL;
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u/", f->port);

  /* As the tests' sessions (test-server.c); with libsoup's default of 2 per
   * host it would close its idle ones itself. */
  session = soup_session_new_with_options ("timeout", DEADLINE_S, "max-conns", 1000,
                                           "max-conns-per-host", 1000, NULL);
  set_limits (f, 10000, 10000, 10000, 100, SESSION_CAP);
  for (guint i = 0; i < SESSION_REQUESTS; i++)
    {
      g_autoptr(SoupMessage) message = soup_message_new (i % 3 == 2 ? "GET" : "POST", url);
      g_autoptr(GBytes) body = g_bytes_new_static (BODY, strlen (BODY));
      gint64 deadline = g_get_monotonic_time () + DEADLINE_S * G_USEC_PER_SEC;
      guint status = 0;

      if (i % 3 != 2)
        soup_message_set_request_body_from_bytes (message, "text/plain", body);
      soup_session_send_and_read_async (session, message, G_PRIORITY_DEFAULT, NULL,
                                        session_sent_cb, &status);
      while (status == 0)
        {
          g_assert_cmpint (g_get_monotonic_time (), <, deadline);
          g_main_context_iteration (NULL, TRUE);
        }
      g_assert_cmpuint (status, ==, SOUP_STATUS_OK);
      g_assert_cmpuint (dsd_http_connections_get_n_open (f->connections), <=, SESSION_CAP);
    }

  g_clear_object (&session);
  wait_counts (f, 0, -1);
}

/* Many clients at once, each reusing one keep-alive connection for requests
 * a client must not retry (POST): none may find its connection closed under
 * it. Half of the responses come from a later main-loop iteration, as those
 * of asynchronous handlers do, some too large for one write. */
#define STRESS_CLIENTS 32
#define STRESS_REQUESTS 40
#define STRESS_DEADLINE_S 120

typedef struct {
  Fixture     *f;
  SoupSession *session;
  char        *url;
  guint        sent;
  guint        failed;
  char        *first_error;
  guint       *running;
} StressClient;

static void stress_send (StressClient *client);

static void
stress_sent_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  StressClient *client = user_data;
  g_autoptr(SoupMessage) message = soup_session_get_async_result_message (SOUP_SESSION (source),
                                                                          result);
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(GError) error = NULL;

  g_object_ref (message);
  answer = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  if ((error != NULL || soup_message_get_status (message) != SOUP_STATUS_OK) &&
      client->failed++ == 0)
    client->first_error = g_strdup_printf ("request %u: %s (status %u)", client->sent,
                                           error ? error->message : "-",
                                           soup_message_get_status (message));

  if (++client->sent < STRESS_REQUESTS)
    stress_send (client);
  else
    (*client->running)--;
}

static void
stress_send (StressClient *client)
{
  g_autoptr(SoupMessage) message = soup_message_new (client->sent % 2 == 0 ? "POST" : "PUT", client->url);
  g_autoptr(GBytes) body = g_bytes_new_static (BODY, strlen (BODY));

  soup_message_set_request_body_from_bytes (message, "text/plain", body);
  soup_session_send_and_read_async (client->session, message, G_PRIORITY_DEFAULT, NULL,
                                    stress_sent_cb, client);
}

static void
test_keep_alive_stress (Fixture       *f,
                        gconstpointer  data)
{
  StressClient clients[STRESS_CLIENTS] = { 0 };
  gint64 deadline = g_get_monotonic_time () + STRESS_DEADLINE_S * G_USEC_PER_SEC;
  guint running = STRESS_CLIENTS;
  guint n_failed = 0;

  for (guint i = 0; i < STRESS_CLIENTS; i++)
    {
      clients[i].f = f;
      clients[i].running = &running;
      clients[i].url = g_strdup_printf ("http://127.0.0.1:%u/stress", f->port);
      clients[i].session = soup_session_new_with_options ("timeout", DEADLINE_S,
                                                          "max-conns-per-host", 1, NULL);
      stress_send (&clients[i]);
    }

  while (running > 0)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }

  for (guint i = 0; i < STRESS_CLIENTS; i++)
    {
      if (clients[i].failed > 0)
        g_test_message ("client %u: %u failed, first: %s", i, clients[i].failed,
                        clients[i].first_error);
      n_failed += clients[i].failed;
      g_free (clients[i].first_error);
      g_free (clients[i].url);
      g_object_unref (clients[i].session);
    }

  g_assert_cmpuint (n_failed, ==, 0);
}

/* Many clients at once, each keeping its keep-alive connection exactly as
 * long as the responses' Keep-Alive header allows, timed from its receipt of
 * the response, and then reusing it for a request it must not retry (POST):
 * none may find its connection closed under it. (Without the grace after
 * the idle timeout, the server closed each one as it was being reused.) */
#define ANNOUNCED_CLIENTS 32
#define ANNOUNCED_ROUNDS 3
#define POST_REQUEST "POST / HTTP/1.1\r\nHost: test\r\nContent-Length: 2\r\n\r\n{}"

typedef struct {
  GSocket *socket;
  gint64   reuse_at;    /* monotonic µs: the response's arrival + its timeout */
} AnnouncedClient;

static gint
by_reuse_time (gconstpointer a,
               gconstpointer b)
{
  const AnnouncedClient *x = a, *y = b;

  return (x->reuse_at > y->reuse_at) - (x->reuse_at < y->reuse_at);
}

/* The seconds of the Keep-Alive header of the one response in text. */
static gint64
announced_timeout_s (const char *text)
{
  const char *header = strstr (text, "\r\nKeep-Alive: timeout=");

  g_assert_nonnull (header);
  return g_ascii_strtoll (header + strlen ("\r\nKeep-Alive: timeout="), NULL, 10);
}

static gboolean
wake_cb (gpointer user_data)
{
  return G_SOURCE_REMOVE;
}

/* Runs the server's side until the monotonic clock reaches when. */
static void
run_until_time (gint64 when)
{
  GSource *wake = g_timeout_source_new (0);

  g_source_set_ready_time (wake, when);
  g_source_set_callback (wake, wake_cb, NULL, NULL);
  g_source_attach (wake, NULL);
  while (g_get_monotonic_time () < when)
    g_main_context_iteration (NULL, TRUE);
  g_source_destroy (wake);
  g_source_unref (wake);
}

static void
test_reuse_at_announced_timeout (Fixture       *f,
                                 gconstpointer  data)
{
  AnnouncedClient clients[ANNOUNCED_CLIENTS] = { 0 };

  set_limits (f, 10000, 10000, 1000, 1000, 1000);
  for (guint i = 0; i < ANNOUNCED_CLIENTS; i++)
    {
      clients[i].socket = connect_client (f);
      send_text (clients[i].socket, POST_REQUEST);
    }

  for (guint round = 0; round < ANNOUNCED_ROUNDS; round++)
    {
      for (guint i = 0; i < ANNOUNCED_CLIENTS; i++)
        {
          g_autofree char *text = NULL;
          gboolean closed;

          text = read_responses (clients[i].socket, 1, &closed);
          g_assert_false (closed);
          g_assert_cmpuint (count_responses (text), ==, 1);
          clients[i].reuse_at = g_get_monotonic_time () +
                                announced_timeout_s (text) * G_USEC_PER_SEC;
        }

      /* Each reuses its connection at the last moment it was told. */
      qsort (clients, ANNOUNCED_CLIENTS, sizeof clients[0], by_reuse_time);
      for (guint i = 0; i < ANNOUNCED_CLIENTS; i++)
        {
          run_until_time (clients[i].reuse_at);
          send_text (clients[i].socket, POST_REQUEST);
        }
    }

  for (guint i = 0; i < ANNOUNCED_CLIENTS; i++)
    {
      expect_responses (clients[i].socket, 1);
      g_object_unref (clients[i].socket);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

#define ADD(path, test) g_test_add (path, Fixture, NULL, fixture_setup, test, fixture_teardown)
  ADD ("/http-connections/client-close", test_client_close);
  ADD ("/http-connections/pipelined", test_pipelined);
  ADD ("/http-connections/pipelined-bound", test_pipelined_bound);
  ADD ("/http-connections/badly-framed-pipelined", test_badly_framed_pipelined);
  ADD ("/http-connections/no-content", test_no_content);
  ADD ("/http-connections/server-close", test_server_close);
  ADD ("/http-connections/stop-accepting", test_stop_accepting);
  ADD ("/http-connections/keep-alive-stress", test_keep_alive_stress);
  ADD ("/http-connections/idle-timeout", test_idle_timeout);
  ADD ("/http-connections/reuse-at-announced-timeout", test_reuse_at_announced_timeout);
  ADD ("/http-connections/header-timeout", test_header_timeout);
  ADD ("/http-connections/slowloris", test_slowloris);
  ADD ("/http-connections/body-timeout", test_body_timeout);
  ADD ("/http-connections/connection-caps", test_connection_caps);
  ADD ("/http-connections/count-closed", test_count_closed);
  ADD ("/http-connections/reclaim-idle", test_reclaim_idle);
  ADD ("/http-connections/session-under-cap", test_session_under_cap);
#undef ADD

  return g_test_run ();
}
