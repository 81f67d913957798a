/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "test-server.h"

static DsdTestServer *server;

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

  metrics = dsd_test_request (server, "GET", "/metrics", NULL, NULL, NULL);
  g_assert_cmpuint (metrics->status, ==, 200);
  content_type = soup_message_headers_get_content_type (metrics->headers, NULL);
  g_assert_cmpstr (content_type, ==, "text/plain");
  g_assert_nonnull (strstr (metrics->text, "# TYPE dispatch_http_requests_total counter"));
  g_assert_nonnull (strstr (metrics->text, "route=\"/api/v1/orders\""));
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

int
main (int   argc,
      char *argv[])
{
  int status;

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/ops/health-and-ready", test_health_and_ready);
  g_test_add_func ("/ops/metrics", test_metrics);
  g_test_add_func ("/ops/openapi", test_openapi);
  g_test_add_func ("/ops/routing-errors", test_routing_errors);

  server = dsd_test_server_start (NULL);
  status = g_test_run ();
  dsd_test_server_free (server);

  return status;
}
