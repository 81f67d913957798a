/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "test-server.h"

#define STOCK 7
#define BUYERS 24

static DsdTestServer *server;

static char *
order_with (const char *sku,
            guint       quantity)
{
  return g_strdup_printf ("{\"pickup\":{\"lat\":1,\"lon\":1},\"dropoff\":{\"lat\":1.01,\"lon\":1},"
                          "\"items\":[{\"sku\":\"%s\",\"quantity\":%u}]}", sku, quantity);
}

static void
put_stock (const char *sku,
           gint64      quantity,
           guint       expected_status)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/inventory/%s", sku);
  g_autofree char *body = g_strdup_printf ("{\"quantity\":%" G_GINT64_FORMAT ",\"name\":\"Item\"}",
                                           quantity);
  g_autoptr(DsdTestResponse) response = NULL;

  response = dsd_test_request (server, "PUT", path, dsd_test_server_get_admin_token (server),
                               body, NULL);
  g_assert_cmpuint (response->status, ==, expected_status);
}

static void
assert_stock (const char *sku,
              gint64      quantity,
              gint64      reserved)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/inventory/%s", sku);
  g_autoptr(DsdTestResponse) response = NULL;
  JsonObject *item;

  response = dsd_test_request (server, "GET", path, dsd_test_server_get_admin_token (server),
                               NULL, NULL);
  g_assert_cmpuint (response->status, ==, 200);
  item = dsd_test_response_object (response);
  g_assert_cmpstr (json_object_get_string_member (item, "sku"), ==, sku);
  g_assert_cmpint (json_object_get_int_member (item, "quantity"), ==, quantity);
  g_assert_cmpint (json_object_get_int_member (item, "reserved"), ==, reserved);
  g_assert_cmpint (json_object_get_int_member (item, "available"), ==, quantity - reserved);
}

static void
test_put_get_errors (void)
{
  g_autofree char *sku = dsd_test_unique_name ("sku");
  g_autofree char *path = g_strdup_printf ("/api/v1/inventory/%s", sku);
  g_autofree char *dispatcher = dsd_test_create_user (server, "dispatcher", NULL, NULL);
  g_autoptr(DsdTestResponse) unknown = NULL;
  g_autoptr(DsdTestResponse) negative = NULL;
  g_autoptr(DsdTestResponse) not_admin = NULL;

  unknown = dsd_test_request (server, "GET", "/api/v1/inventory/never-stocked",
                              dsd_test_server_get_admin_token (server), NULL, NULL);
  dsd_test_assert_error (unknown, 404, "not_found", NULL);

  negative = dsd_test_request (server, "PUT", path, dsd_test_server_get_admin_token (server),
                               "{\"quantity\":-1}", NULL);
  dsd_test_assert_error (negative, 400, "invalid_argument", "quantity");

  not_admin = dsd_test_request (server, "PUT", path, dispatcher, "{\"quantity\":5}", NULL);
  dsd_test_assert_error (not_admin, 403, "permission_denied", NULL);

  put_stock (sku, 10, 200);
  assert_stock (sku, 10, 0);
}

static void
test_reserve_release_consume (void)
{
  g_autofree char *sku = dsd_test_unique_name ("sku");
  g_autofree char *customer = dsd_test_create_user (server, "customer", NULL, NULL);
  g_autofree char *driver_id = NULL;
  g_autofree char *driver = dsd_test_create_online_driver (server, 1, 1, &driver_id);
  g_autofree char *three = order_with (sku, 3);
  g_autofree char *too_many = order_with (sku, 8);
  g_autoptr(DsdTestResponse) first = NULL;
  g_autoptr(DsdTestResponse) second = NULL;
  g_autoptr(DsdTestResponse) refused = NULL;
  g_autoptr(DsdTestResponse) cancelled = NULL;
  g_autoptr(DsdTestResponse) assigned = NULL;
  g_autoptr(DsdTestResponse) picked = NULL;
  g_autoptr(DsdTestResponse) delivered = NULL;
  g_autoptr(DsdTestResponse) listed = NULL;
  g_autofree char *cancel = NULL;
  g_autofree char *assign = NULL;
  g_autofree char *status = NULL;
  g_autofree char *assign_body = g_strdup_printf ("{\"driver_id\":\"%s\"}", driver_id);
  const char *admin = dsd_test_server_get_admin_token (server);

  put_stock (sku, 10, 200);

  first = dsd_test_request (server, "POST", "/api/v1/orders", customer, three, NULL);
  g_assert_cmpuint (first->status, ==, 201);
  second = dsd_test_request (server, "POST", "/api/v1/orders", customer, three, NULL);
  g_assert_cmpuint (second->status, ==, 201);
  assert_stock (sku, 10, 6);

  refused = dsd_test_request (server, "POST", "/api/v1/orders", customer, too_many, NULL);
  dsd_test_assert_error (refused, 409, "insufficient_inventory", NULL);
  assert_stock (sku, 10, 6);

  /* Below the reservations → conflict. */
  put_stock (sku, 5, 409);

  cancel = g_strdup_printf ("/api/v1/orders/%s/cancel", dsd_test_response_string (first, "id"));
  cancelled = dsd_test_request (server, "POST", cancel, customer, NULL, NULL);
  g_assert_cmpuint (cancelled->status, ==, 200);
  assert_stock (sku, 10, 3);

  assign = g_strdup_printf ("/api/v1/orders/%s/assign", dsd_test_response_string (second, "id"));
  status = g_strdup_printf ("/api/v1/orders/%s/status", dsd_test_response_string (second, "id"));
  assigned = dsd_test_request (server, "POST", assign, admin, assign_body, NULL);
  g_assert_cmpuint (assigned->status, ==, 200);
  picked = dsd_test_request (server, "POST", status, driver, "{\"status\":\"picked_up\"}", NULL);
  g_assert_cmpuint (picked->status, ==, 200);
  delivered = dsd_test_request (server, "POST", status, driver, "{\"status\":\"delivered\"}",
                                NULL);
  g_assert_cmpuint (delivered->status, ==, 200);
  assert_stock (sku, 7, 0);

  /* No order was created for the refused request. */
  listed = dsd_test_request (server, "GET", "/api/v1/orders?limit=500", customer, NULL, NULL);
  g_assert_cmpint (json_array_get_length (json_object_get_array_member (
                     dsd_test_response_object (listed), "orders")), ==, 2);
}

static void
test_concurrent_reservations (void)
{
  g_autofree char *sku = dsd_test_unique_name ("sku");
  g_autofree char *body = order_with (sku, 1);
  g_autofree char *customer = dsd_test_create_user (server, "customer", NULL, NULL);
  g_autoptr(GPtrArray) responses = NULL;
  const char *paths[BUYERS], *tokens[BUYERS], *bodies[BUYERS];
  guint created = 0, refused = 0;

  put_stock (sku, STOCK, 200);

  for (guint i = 0; i < BUYERS; i++)
    {
      paths[i] = "/api/v1/orders";
      tokens[i] = customer;
      bodies[i] = body;
    }

  responses = dsd_test_request_concurrently (server, "POST", paths, tokens, bodies, BUYERS);

  for (guint i = 0; i < BUYERS; i++)
    {
      DsdTestResponse *response = responses->pdata[i];

      if (response->status == 201)
        created++;
      else
        {
          dsd_test_assert_error (response, 409, "insufficient_inventory", NULL);
          refused++;
        }
    }

  g_assert_cmpuint (created, ==, STOCK);
  g_assert_cmpuint (refused, ==, BUYERS - STOCK);
  assert_stock (sku, STOCK, STOCK);
}

int
main (int   argc,
      char *argv[])
{
  int status;

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/inventory/put-get-errors", test_put_get_errors);
  g_test_add_func ("/inventory/reserve-release-consume", test_reserve_release_consume);
  g_test_add_func ("/inventory/concurrent-reservations", test_concurrent_reservations);

  server = dsd_test_server_start (NULL);
  status = g_test_run ();
  dsd_test_server_free (server);

  return status;
}
