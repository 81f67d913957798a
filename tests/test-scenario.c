/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-test"

#include "test-scenario.h"

#define DRIVER_PASSWORD "maria-password"

JsonObject *
dsd_test_call (DsdTestServer *server,
               const char    *token,
               const char    *method,
               const char    *path,
               const char    *body,
               guint          status)
{
  g_autoptr(DsdTestResponse) response = NULL;

  response = dsd_test_request (server, method, path, token, body, NULL);
  if (response->status != status)
    g_error ("%s %s: expected %u, got %u %s", method, path, status, response->status,
             response->text);

  return json_object_ref (dsd_test_response_object (response));
}

void
dsd_test_post_ok (DsdTestServer *server,
                  const char    *path,
                  const char    *token,
                  const char    *body)
{
  g_autoptr(DsdTestResponse) response = dsd_test_request (server, "POST", path, token, body,
                                                          NULL);

  if (response->status != 200)
    g_error ("POST %s: %u %s", path, response->status, response->text);
}

void
dsd_test_post_location (DsdTestServer *server,
                        const char    *driver_id,
                        const char    *token,
                        double         lat,
                        double         lon)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/drivers/%s/location", driver_id);
  g_autofree char *body = NULL;
  g_autoptr(DsdTestResponse) response = NULL;
  char lat_text[G_ASCII_DTOSTR_BUF_SIZE], lon_text[G_ASCII_DTOSTR_BUF_SIZE];

  body = g_strdup_printf ("{\"lat\":%s,\"lon\":%s}",
                          g_ascii_dtostr (lat_text, sizeof lat_text, lat),
                          g_ascii_dtostr (lon_text, sizeof lon_text, lon));
  response = dsd_test_request (server, "POST", path, token, body, NULL);
  if (response->status != 202)
    g_error ("POST %s: %u %s", path, response->status, response->text);
}

JsonObject *
dsd_test_create_order (DsdTestServer *server,
                       const char    *token,
                       const char    *extra_members)
{
  g_autofree char *body = NULL;
  g_autoptr(DsdTestResponse) response = NULL;

  body = g_strdup_printf ("{\"pickup\":{\"lat\":52.5219,\"lon\":13.4132,\"address\":\"A\"},"
                          "\"dropoff\":{\"lat\":52.5096,\"lon\":13.3760}%s}",
                          extra_members ? extra_members : "");
  response = dsd_test_request (server, "POST", "/api/v1/orders", token, body, NULL);
  if (response->status != 201)
    g_error ("Creating an order failed: %u %s", response->status, response->text);

  return json_object_ref (dsd_test_response_object (response));
}

char *
dsd_test_create_named_driver (DsdTestServer  *server,
                              double          lat,
                              double          lon,
                              char          **out_driver_id)
{
  const char *admin = dsd_test_server_get_admin_token (server);
  g_autofree char *username = dsd_test_unique_name ("maria");
  g_autoptr(DsdTestResponse) driver = NULL;
  g_autoptr(DsdTestResponse) user = NULL;
  g_autofree char *body = NULL;
  g_autofree char *online = NULL;
  g_autofree char *token = NULL;

  driver = dsd_test_request (server, "POST", "/api/v1/drivers", admin,
                             "{\"name\":\"Maria Lopez\",\"vehicle\":\"scooter\"}", NULL);
  g_assert_cmpuint (driver->status, ==, 201);
  *out_driver_id = g_strdup (dsd_test_response_string (driver, "id"));

  body = g_strdup_printf ("{\"username\":\"%s\",\"password\":\"" DRIVER_PASSWORD "\","
                          "\"role\":\"driver\",\"driver_id\":\"%s\"}", username, *out_driver_id);
  user = dsd_test_request (server, "POST", "/api/v1/users", admin, body, NULL);
  g_assert_cmpuint (user->status, ==, 201);
  token = dsd_test_login (server, username, DRIVER_PASSWORD);

  online = g_strdup_printf ("/api/v1/drivers/%s/online", *out_driver_id);
  dsd_test_post_ok (server, online, token, "{\"online\":true}");
  dsd_test_post_location (server, *out_driver_id, token, lat, lon);

  return g_steal_pointer (&token);
}

char *
dsd_test_add_online_driver (DsdTestServer *server,
                            const char    *body,
                            double         lat,
                            double         lon)
{
  const char *admin = dsd_test_server_get_admin_token (server);
  g_autoptr(DsdTestResponse) driver = NULL;
  g_autofree char *online = NULL;
  const char *id;

  driver = dsd_test_request (server, "POST", "/api/v1/drivers", admin, body, NULL);
  if (driver->status != 201)
    g_error ("POST /api/v1/drivers: expected 201, got %u %s", driver->status, driver->text);
  id = dsd_test_response_string (driver, "id");

  online = g_strdup_printf ("/api/v1/drivers/%s/online", id);
  dsd_test_post_ok (server, online, admin, "{\"online\":true}");
  dsd_test_post_location (server, id, admin, lat, lon);

  return g_strdup (id);
}

void
dsd_test_assign (DsdTestServer *server,
                 const char    *order_id,
                 const char    *driver_id)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/orders/%s/assign", order_id);
  g_autofree char *body = g_strdup_printf ("{\"driver_id\":\"%s\"}", driver_id);

  dsd_test_post_ok (server, path, dsd_test_server_get_admin_token (server), body);
}
