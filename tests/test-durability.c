/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "test-server.h"

#define ORDERS_PER_ROUND 10
#define ROUNDS 3

/*
 * TARGETS R1: an order answered 201 survives kill -9 of the server, and a
 * retry with the same Idempotency-Key after the restart returns that order
 * instead of creating another.
 */
static void
test_kill_restart (void)
{
  DsdTestServer *server = dsd_test_server_start (NULL);
  g_autofree char *customer = dsd_test_create_user (server, "customer", NULL, NULL);
  g_autoptr(GPtrArray) acknowledged = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) keys = g_ptr_array_new_with_free_func (g_free);
  const char *body = "{\"pickup\":{\"lat\":1,\"lon\":1},\"dropoff\":{\"lat\":2,\"lon\":2}}";

  for (guint round = 0; round < ROUNDS; round++)
    {
      for (guint i = 0; i < ORDERS_PER_ROUND; i++)
        {
          g_autofree char *key = dsd_test_unique_name ("durable");
          g_autoptr(DsdTestResponse) response = NULL;

          response = dsd_test_request (server, "POST", "/api/v1/orders", customer, body,
                                       "Idempotency-Key", key, NULL);
          g_assert_cmpuint (response->status, ==, 201);
          g_ptr_array_add (acknowledged, g_strdup (dsd_test_response_string (response, "id")));
          g_ptr_array_add (keys, g_steal_pointer (&key));
        }

      dsd_test_server_stop (server, TRUE);
      dsd_test_server_restart (server);
    }

  for (guint i = 0; i < acknowledged->len; i++)
    {
      g_autofree char *path = g_strdup_printf ("/api/v1/orders/%s",
                                               (char *) acknowledged->pdata[i]);
      g_autoptr(DsdTestResponse) fetched = NULL;
      g_autoptr(DsdTestResponse) retried = NULL;

      fetched = dsd_test_request (server, "GET", path, customer, NULL, NULL);
      g_assert_cmpuint (fetched->status, ==, 200);

      retried = dsd_test_request (server, "POST", "/api/v1/orders", customer, body,
                                  "Idempotency-Key", keys->pdata[i], NULL);
      g_assert_cmpuint (retried->status, ==, 201);
      g_assert_cmpstr (dsd_test_response_string (retried, "id"), ==, acknowledged->pdata[i]);
    }

  {
    g_autoptr(DsdTestResponse) list = NULL;

    list = dsd_test_request (server, "GET", "/api/v1/orders?limit=500", customer, NULL, NULL);
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (
                        dsd_test_response_object (list), "orders")), ==, acknowledged->len);
  }

  dsd_test_server_free (server);
}

/* SIGTERM stops the server and its managed cluster cleanly. */
static void
test_graceful_stop (void)
{
  DsdTestServer *server = dsd_test_server_start (NULL);
  g_autofree char *log = NULL;

  dsd_test_server_stop (server, FALSE);
  log = dsd_test_server_get_log (server);
  g_assert_nonnull (strstr (log, "Stopped"));
  dsd_test_server_restart (server);
  dsd_test_server_free (server);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/durability/kill-restart", test_kill_restart);
  g_test_add_func ("/durability/graceful-stop", test_graceful_stop);

  return g_test_run ();
}
