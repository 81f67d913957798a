/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <string.h>
#include <sys/resource.h>
#include <gio/gunixsocketaddress.h>

#include "test-server.h"
#include "test-utils.h"

static DsdTestServer *server;
/* The open-files limits the server was started with (soft lowered). */
static struct rlimit started_with;
/* Where the server says READY=1 (systemd's Type=notify protocol). */
static GSocket *notify_socket;

static void
test_health_and_ready (void)
{
  g_autoptr(DsdTestResponse) health = NULL;
  g_autoptr(DsdTestResponse) ready = NULL;
  JsonObject *components;

  health = dsd_test_request (server, "GET", "/healthz", NULL, NULL, NULL);
  g_assert_cmpuint (health->status, ==, 200);

  ready = dsd_test_request (server, "GET", "/readyz", NULL, NULL, NULL);
  g_assert_cmpuint (ready->status, ==, 200);
  g_assert_cmpstr (dsd_test_response_string (ready, "status"), ==, "ready");
  components = json_object_get_object_member (dsd_test_response_object (ready), "components");
  g_assert_cmpstr (json_object_get_string_member (components, "database"), ==, "up");
  g_assert_cmpstr (json_object_get_string_member (components, "bus"), ==, "up");
  g_assert_cmpstr (json_object_get_string_member (components, "cache"), ==, "up");
}

/* The front loop that wrote a response counts it just after: with front
 * threads, the next request may come first. */
static gboolean
orders_counted_cb (gpointer user_data)
{
  DsdTestResponse **metrics = user_data;

  g_clear_pointer (metrics, dsd_test_response_free);
  *metrics = dsd_test_request (server, "GET", "/metrics", NULL, NULL, NULL);
  return strstr ((*metrics)->text, "route=\"/api/v1/orders\"") != NULL;
}

static void
test_metrics (void)
{
  g_autofree char *customer = dsd_test_create_user (server, "customer", NULL, NULL);
  g_autoptr(DsdTestResponse) order = NULL;
  g_autoptr(DsdTestResponse) metrics = NULL;
  const char *content_type;

  order = dsd_test_request (server, "POST", "/api/v1/orders", customer,
                            "{\"pickup\":{\"lat\":1,\"lon\":1},\"dropoff\":{\"lat\":2,\"lon\":2}}",
                            NULL);
  g_assert_cmpuint (order->status, ==, 201);

  g_assert_true (dsd_test_poll_until (orders_counted_cb, &metrics, 20, 10000));
  g_assert_cmpuint (metrics->status, ==, 200);
  content_type = soup_message_headers_get_content_type (metrics->headers, NULL);
  g_assert_cmpstr (content_type, ==, "text/plain");
  g_assert_nonnull (strstr (metrics->text, "# TYPE dispatch_http_requests_total counter"));
  g_assert_nonnull (strstr (metrics->text, "dispatch_http_request_duration_seconds_bucket"));
  g_assert_nonnull (strstr (metrics->text, "dispatch_orders{status=\"pending\"}"));
  g_assert_true (g_str_has_suffix (metrics->text, "\n"));
}

static void
test_openapi (void)
{
  g_autoptr(DsdTestResponse) document = NULL;
  JsonObject *paths;

  document = dsd_test_request (server, "GET", "/api/v1/openapi.json", NULL, NULL, NULL);
  g_assert_cmpuint (document->status, ==, 200);
  g_assert_true (g_str_has_prefix (dsd_test_response_string (document, "openapi"), "3."));
  paths = json_object_get_object_member (dsd_test_response_object (document), "paths");
  g_assert_true (json_object_has_member (paths, "/api/v1/orders"));
  g_assert_true (json_object_has_member (paths, "/api/v1/orders/{id}/assign"));
  g_assert_true (json_object_has_member (paths, "/api/v1/drivers/{id}/location"));
}

static void
test_routing_errors (void)
{
  g_autoptr(DsdTestResponse) missing = NULL;
  g_autoptr(DsdTestResponse) method = NULL;

  missing = dsd_test_request (server, "GET", "/api/v1/nothing-here",
                              dsd_test_server_get_admin_token (server), NULL, NULL);
  dsd_test_assert_error (missing, 404, "not_found", NULL);

  method = dsd_test_request (server, "DELETE", "/api/v1/orders",
                             dsd_test_server_get_admin_token (server), NULL, NULL);
  dsd_test_assert_error (method, 405, "method_not_allowed", NULL);
  g_assert_nonnull (soup_message_headers_get_one (method->headers, "Allow"));
}

/* Ready means the API answers: READY=1 comes after /readyz could say ready. */
static void
test_service_notify (void)
{
  g_autoptr(GString) received = g_string_new (NULL);
  char buffer[512];
  gssize n;

  while ((n = g_socket_receive (notify_socket, buffer, sizeof buffer, NULL, NULL)) > 0)
    g_string_append_len (received, buffer, n);

  g_test_message ("%s", received->str);
  g_assert_true (g_str_has_prefix (received->str, "READY=1\n"));
  g_assert_nonnull (strstr (received->str, "STATUS=Serving on http://"));
}

static GSocket *
bind_notify_socket (const char *path)
{
  g_autoptr(GSocketAddress) address = g_unix_socket_address_new (path);
  g_autoptr(GError) error = NULL;
  GSocket *socket = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_DATAGRAM,
                                  G_SOCKET_PROTOCOL_DEFAULT, &error);

  g_assert_no_error (error);
  g_assert_true (g_socket_bind (socket, address, FALSE, &error));
  g_assert_no_error (error);
  g_socket_set_blocking (socket, FALSE);

  return socket;
}

/* "Max open files <soft> <hard> files" of /proc/PID/limits. */
static void
read_descriptor_limit (int      pid,
                       guint64 *soft,
                       guint64 *hard)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/limits", pid);
  g_autofree char *text = NULL;
  const char *line;

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  line = strstr (text, "Max open files");
  g_assert_nonnull (line);
  g_assert_cmpint (sscanf (line, "Max open files %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT,
                           soft, hard), ==, 2);
}

/* Started with a soft limit of 1024, the server raised it to the hard one. */
static void
test_descriptor_limit (void)
{
  guint64 soft, hard;

  if (started_with.rlim_cur == started_with.rlim_max)
    {
      g_test_skip ("the hard open-files limit is too low to lower the soft one");
      return;
    }

  read_descriptor_limit (dsd_test_server_get_pid (server), &soft, &hard);
  g_assert_cmpuint (hard, ==, started_with.rlim_max);
  g_assert_cmpuint (soft, ==, hard);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  g_autofree char *env = NULL;
  int status;

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/ops/health-and-ready", test_health_and_ready);
  g_test_add_func ("/ops/metrics", test_metrics);
  g_test_add_func ("/ops/openapi", test_openapi);
  g_test_add_func ("/ops/routing-errors", test_routing_errors);

  g_test_add_func ("/ops/service-notify", test_service_notify);
  g_test_add_func ("/ops/descriptor-limit", test_descriptor_limit);

  dir = dsd_test_make_tmp_dir ("notify");
  path = g_build_filename (dir, "notify", NULL);
  env = g_strconcat ("NOTIFY_SOCKET=", path, NULL);
  notify_socket = bind_notify_socket (path);
  /* The server inherits a low soft limit (as from a login shell) and must raise it. */
  g_assert_cmpint (getrlimit (RLIMIT_NOFILE, &started_with), ==, 0);
  if (started_with.rlim_max > 1024)
    {
      struct rlimit low = { 1024, started_with.rlim_max };

      g_assert_cmpint (setrlimit (RLIMIT_NOFILE, &low), ==, 0);
      started_with.rlim_cur = 1024;
    }
  server = dsd_test_server_start ((const char * const[]) { env, NULL });
  status = g_test_run ();
  dsd_test_server_free (server);
  g_object_unref (notify_socket);
  dsd_test_remove_tree (dir);

  return status;
}
