/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdlib.h>

#include "test-server.h"

static DsdTestServer *server;

static DsdTestResponse *
login (const char *username,
       const char *password)
{
  g_autofree char *body = g_strdup_printf ("{\"username\":\"%s\",\"password\":\"%s\"}",
                                           username, password);

  return dsd_test_request (server, "POST", "/api/v1/auth/token", NULL, body, NULL);
}

static void
test_token (void)
{
  g_autoptr(DsdTestResponse) good = login ("admin", "test-admin-password");
  g_autoptr(DsdTestResponse) bad = login ("admin", "wrong-password");
  g_autoptr(DsdTestResponse) unknown = login ("nobody-here", "whatever-password");
  g_autoptr(DsdTestResponse) malformed = NULL;
  JsonObject *token;

  g_assert_cmpuint (good->status, ==, 200);
  token = dsd_test_response_object (good);
  g_assert_cmpstr (json_object_get_string_member (token, "token_type"), ==, "Bearer");
  g_assert_cmpstr (json_object_get_string_member (token, "role"), ==, "admin");
  g_assert_cmpint (json_object_get_int_member (token, "expires_in"), >, 0);
  g_assert_nonnull (json_object_get_string_member (token, "user_id"));

  dsd_test_assert_error (bad, 401, "unauthenticated", NULL);
  dsd_test_assert_error (unknown, 401, "unauthenticated", NULL);

  malformed = dsd_test_request (server, "POST", "/api/v1/auth/token", NULL,
                                "{\"username\":\"admin\"}", NULL);
  dsd_test_assert_error (malformed, 400, "invalid_argument", "password");
}

static void
test_users (void)
{
  const char *admin = dsd_test_server_get_admin_token (server);
  g_autofree char *dispatcher = dsd_test_create_user (server, "dispatcher", NULL, NULL);
  g_autofree char *name = dsd_test_unique_name ("courier");
  g_autofree char *body = g_strdup_printf ("{\"username\":\"%s\",\"password\":\"long-enough\","
                                           "\"role\":\"driver\"}", name);
  g_autoptr(DsdTestResponse) created = NULL;
  g_autoptr(DsdTestResponse) taken = NULL;
  g_autoptr(DsdTestResponse) forbidden = NULL;
  g_autoptr(DsdTestResponse) short_password = NULL;
  g_autoptr(DsdTestResponse) bad_role = NULL;
  g_autoptr(DsdTestResponse) driver = NULL;
  g_autoptr(DsdTestResponse) logged_in = NULL;
  g_autoptr(DsdTestResponse) list = NULL;
  g_autofree char *driver_path = NULL;
  JsonObject *user;

  created = dsd_test_request (server, "POST", "/api/v1/users", admin, body, NULL);
  g_assert_cmpuint (created->status, ==, 201);
  user = dsd_test_response_object (created);
  g_assert_cmpstr (json_object_get_string_member (user, "username"), ==, name);
  g_assert_cmpstr (json_object_get_string_member (user, "role"), ==, "driver");
  g_assert_false (json_object_has_member (user, "password"));
  g_assert_false (json_object_has_member (user, "password_hash"));
  g_assert_null (strstr (created->text, "argon2"));

  /* A driver user without driver_id got a driver record. */
  driver_path = g_strdup_printf ("/api/v1/drivers/%s",
                                 json_object_get_string_member (user, "driver_id"));
  driver = dsd_test_request (server, "GET", driver_path, admin, NULL, NULL);
  g_assert_cmpuint (driver->status, ==, 200);

  logged_in = login (name, "long-enough");
  g_assert_cmpuint (logged_in->status, ==, 200);
  g_assert_cmpstr (dsd_test_response_string (logged_in, "driver_id"), ==,
                   json_object_get_string_member (user, "driver_id"));

  taken = dsd_test_request (server, "POST", "/api/v1/users", admin, body, NULL);
  dsd_test_assert_error (taken, 409, "conflict", NULL);

  forbidden = dsd_test_request (server, "POST", "/api/v1/users", dispatcher, body, NULL);
  dsd_test_assert_error (forbidden, 403, "permission_denied", NULL);

  short_password = dsd_test_request (server, "POST", "/api/v1/users", admin,
                                     "{\"username\":\"shorty\",\"password\":\"123\","
                                     "\"role\":\"customer\"}", NULL);
  dsd_test_assert_error (short_password, 400, "invalid_argument", "password");

  bad_role = dsd_test_request (server, "POST", "/api/v1/users", admin,
                               "{\"username\":\"someone\",\"password\":\"long-enough\","
                               "\"role\":\"king\"}", NULL);
  dsd_test_assert_error (bad_role, 400, "invalid_argument", "role");

  list = dsd_test_request (server, "GET", "/api/v1/users?limit=500", admin, NULL, NULL);
  g_assert_cmpuint (list->status, ==, 200);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (
                      dsd_test_response_object (list), "users")), >=, 3);
}

static void
test_login_rate_limit (void)
{
  g_autofree char *name = dsd_test_unique_name ("target");
  g_autofree char *body = g_strdup_printf ("{\"username\":\"%s\",\"password\":\"right-password\","
                                           "\"role\":\"customer\"}", name);
  g_autoptr(DsdTestResponse) created = NULL;
  g_autoptr(DsdTestResponse) limited = NULL;
  g_autoptr(DsdTestResponse) even_right = NULL;
  const char *retry_after;

  created = dsd_test_request (server, "POST", "/api/v1/users",
                              dsd_test_server_get_admin_token (server), body, NULL);
  g_assert_cmpuint (created->status, ==, 201);

  for (guint i = 0; i < 10; i++)
    {
      g_autoptr(DsdTestResponse) failed = login (name, "wrong-password");

      dsd_test_assert_error (failed, 401, "unauthenticated", NULL);
    }

  limited = login (name, "wrong-password");
  dsd_test_assert_error (limited, 429, "rate_limited", NULL);
  retry_after = soup_message_headers_get_one (limited->headers, "Retry-After");
  g_assert_nonnull (retry_after);
  g_assert_cmpint (atoi (retry_after), >, 0);

  even_right = login (name, "right-password");
  dsd_test_assert_error (even_right, 429, "rate_limited", NULL);
}

static void
test_bearer_errors (void)
{
  g_autoptr(DsdTestResponse) missing = NULL;
  g_autoptr(DsdTestResponse) garbage = NULL;
  g_autoptr(DsdTestResponse) scheme = NULL;

  missing = dsd_test_request (server, "GET", "/api/v1/orders", NULL, NULL, NULL);
  dsd_test_assert_error (missing, 401, "unauthenticated", NULL);

  garbage = dsd_test_request (server, "GET", "/api/v1/orders", "eyJhbGciOiJub25lIn0.e30.", NULL,
                              NULL);
  dsd_test_assert_error (garbage, 401, "unauthenticated", NULL);

  scheme = dsd_test_request (server, "GET", "/api/v1/orders", NULL, NULL,
                             "Authorization", "Basic YWRtaW46YWRtaW4=", NULL);
  dsd_test_assert_error (scheme, 401, "unauthenticated", NULL);
}

int
main (int   argc,
      char *argv[])
{
  int status;

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/auth/token", test_token);
  g_test_add_func ("/auth/users", test_users);
  g_test_add_func ("/auth/login-rate-limit", test_login_rate_limit);
  g_test_add_func ("/auth/bearer-errors", test_bearer_errors);

  server = dsd_test_server_start (NULL);
  status = g_test_run ();
  dsd_test_server_free (server);

  return status;
}
