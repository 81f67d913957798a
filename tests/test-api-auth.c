/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdlib.h>

#include "dsd-pg-pool.h"
#include "dsd-token-issuer.h"
#include "test-server.h"
#include "test-utils.h"
#include "test-websocket.h"

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

#define SECRET "revocation-test-secret-0123456789abcdef"
#define PASSWORD "first-password"

/* A new user (role) who logs in: its id, username and token. */
static char *
new_user (const char  *role,
          char       **out_username,
          char       **out_token)
{
  g_autofree char *username = dsd_test_unique_name (role);
  g_autofree char *body = g_strdup_printf ("{\"username\":\"%s\",\"password\":\"%s\","
                                           "\"role\":\"%s\"}", username, PASSWORD, role);
  g_autoptr(DsdTestResponse) created = NULL;

  created = dsd_test_request (server, "POST", "/api/v1/users",
                              dsd_test_server_get_admin_token (server), body, NULL);
  g_assert_cmpuint (created->status, ==, 201);
  g_assert_false (json_object_get_boolean_member (dsd_test_response_object (created),
                                                  "disabled"));
  *out_token = dsd_test_login (server, username, PASSWORD);
  *out_username = g_steal_pointer (&username);

  return g_strdup (dsd_test_response_string (created, "id"));
}

static guint
status_of (const char *token)
{
  g_autoptr(DsdTestResponse) response = dsd_test_request (server, "GET", "/api/v1/orders",
                                                          token, NULL, NULL);

  g_assert_true (response->status == 200 || response->status == 401);
  if (response->status == 401)
    g_assert_cmpstr (dsd_test_response_error_code (response), ==, "unauthenticated");

  return response->status;
}

static gboolean
token_refused (gpointer token)
{
  return status_of (token) == 401;
}

/* A token signed with the server's secret for a user that does not exist. */
static void
test_unknown_subject (void)
{
  g_autoptr(GBytes) secret = g_bytes_new_static (SECRET, strlen (SECRET));
  g_autoptr(DsdClock) clock = dsd_clock_new ();
  g_autoptr(DsdTokenIssuer) issuer = dsd_token_issuer_new (clock, secret, 600);
  g_autoptr(DsdPrincipal) ghost = NULL;
  g_autoptr(DsdPrincipal) not_uuid = NULL;
  g_autofree char *ghost_token = NULL;
  g_autofree char *not_uuid_token = NULL;
  g_autofree char *uuid = g_uuid_string_random ();

  ghost = dsd_principal_new (DSD_ROLE_ADMIN, uuid, "ghost", NULL, NULL);
  ghost_token = dsd_token_issuer_issue (issuer, ghost, 0);
  g_assert_cmpuint (status_of (ghost_token), ==, 401);
  not_uuid = dsd_principal_new (DSD_ROLE_ADMIN, "admin", "admin", NULL, NULL);
  not_uuid_token = dsd_token_issuer_issue (issuer, not_uuid, 0);
  g_assert_cmpuint (status_of (not_uuid_token), ==, 401);
}

static void
test_disable (void)
{
  const char *admin = dsd_test_server_get_admin_token (server);
  g_autofree char *username = NULL, *token = NULL;
  g_autofree char *id = new_user ("dispatcher", &username, &token);
  g_autofree char *path = g_strdup_printf ("/api/v1/users/%s", id);
  g_autoptr(DsdTestResponse) disabled = NULL;
  g_autoptr(DsdTestResponse) refused_login = NULL;
  g_autoptr(DsdTestResponse) enabled = NULL;
  g_autoptr(DsdTestResponse) by_dispatcher = NULL;
  g_autoptr(DsdTestResponse) self_disable = NULL;
  g_autoptr(DsdTestResponse) bad_body = NULL;
  g_autoptr(DsdTestResponse) unknown = NULL;
  g_autoptr(DsdTestResponse) admin_me = NULL;
  g_autofree char *admin_path = NULL;
  g_autofree char *admin_id = NULL, *admin_name = NULL, *admin_token = NULL;
  g_autofree char *fresh = NULL;

  g_assert_cmpuint (status_of (token), ==, 200);
  by_dispatcher = dsd_test_request (server, "PATCH", path, token, "{\"disabled\":true}", NULL);
  dsd_test_assert_error (by_dispatcher, 403, "permission_denied", NULL);
  bad_body = dsd_test_request (server, "PATCH", path, admin, "{\"disabled\":\"yes\"}", NULL);
  dsd_test_assert_error (bad_body, 400, "invalid_argument", "disabled");
  unknown = dsd_test_request (server, "PATCH", "/api/v1/users/0b6e3c1e-1111-4111-8111-111111111111",
                              admin, "{\"disabled\":true}", NULL);
  dsd_test_assert_error (unknown, 404, "not_found", NULL);

  /* Refused at once on this instance, and at sign-in (after the password). */
  disabled = dsd_test_request (server, "PATCH", path, admin, "{\"disabled\":true}", NULL);
  g_assert_cmpuint (disabled->status, ==, 200);
  g_assert_true (json_object_get_boolean_member (dsd_test_response_object (disabled),
                                                 "disabled"));
  g_assert_cmpuint (status_of (token), ==, 401);
  refused_login = login (username, PASSWORD);
  dsd_test_assert_error (refused_login, 403, "permission_denied", NULL);

  /* Enabled again: new sign-ins work, the old token stays revoked. */
  enabled = dsd_test_request (server, "PATCH", path, admin, "{\"disabled\":false}", NULL);
  g_assert_cmpuint (enabled->status, ==, 200);
  fresh = dsd_test_login (server, username, PASSWORD);
  g_assert_cmpuint (status_of (fresh), ==, 200);
  g_assert_cmpuint (status_of (token), ==, 401);

  /* "me" is the caller; no admin can lock themselves out. */
  admin_id = new_user ("admin", &admin_name, &admin_token);
  admin_me = dsd_test_request (server, "POST", "/api/v1/users/me/sign-out", admin_token, "{}",
                               NULL);
  g_assert_cmpuint (admin_me->status, ==, 200);
  g_assert_cmpstr (dsd_test_response_string (admin_me, "id"), ==, admin_id);
  g_assert_cmpuint (status_of (admin_token), ==, 401);
  g_free (admin_token);
  admin_token = dsd_test_login (server, admin_name, PASSWORD);
  admin_path = g_strdup_printf ("/api/v1/users/%s", admin_id);
  self_disable = dsd_test_request (server, "PATCH", admin_path, admin_token,
                                   "{\"disabled\":true}", NULL);
  dsd_test_assert_error (self_disable, 409, "conflict", "disabled");
}

static void
test_sign_out_and_password (void)
{
  g_autofree char *username = NULL, *token = NULL, *other_name = NULL, *other = NULL;
  g_autofree char *id = new_user ("customer", &username, &token);
  g_autofree char *other_id = new_user ("driver", &other_name, &other);
  g_autofree char *other_path = g_strdup_printf ("/api/v1/users/%s/sign-out", other_id);
  g_autofree char *own_path = g_strdup_printf ("/api/v1/users/%s/sign-out", id);
  g_autoptr(DsdTestResponse) foreign = NULL;
  g_autoptr(DsdTestResponse) signed_out = NULL;
  g_autoptr(DsdTestResponse) wrong = NULL;
  g_autoptr(DsdTestResponse) short_password = NULL;
  g_autoptr(DsdTestResponse) changed = NULL;
  g_autoptr(DsdTestResponse) old_login = NULL;
  g_autofree char *second = NULL;
  g_autofree char *third = NULL;

  /* Someone else's sessions are the admin's business only. */
  foreign = dsd_test_request (server, "POST", other_path, token, "{}", NULL);
  dsd_test_assert_error (foreign, 403, "permission_denied", NULL);
  g_assert_cmpuint (status_of (other), ==, 200);

  /* Sign out everywhere: a token from before is refused, a new sign-in works. */
  second = dsd_test_login (server, username, PASSWORD);
  signed_out = dsd_test_request (server, "POST", own_path, token, "{}", NULL);
  g_assert_cmpuint (signed_out->status, ==, 200);
  g_assert_cmpuint (status_of (token), ==, 401);
  g_assert_cmpuint (status_of (second), ==, 401);
  third = dsd_test_login (server, username, PASSWORD);
  g_assert_cmpuint (status_of (third), ==, 200);

  /* Password change: proven with the current one, revokes the tokens. */
  wrong = dsd_test_request (server, "POST", "/api/v1/users/me/password", third,
                            "{\"current_password\":\"not-it-at-all\","
                            "\"new_password\":\"second-password\"}", NULL);
  dsd_test_assert_error (wrong, 403, "permission_denied", "current_password");
  short_password = dsd_test_request (server, "POST", "/api/v1/users/me/password", third,
                                     "{\"current_password\":\"" PASSWORD "\","
                                     "\"new_password\":\"short\"}", NULL);
  dsd_test_assert_error (short_password, 400, "invalid_argument", "new_password");
  changed = dsd_test_request (server, "POST", "/api/v1/users/me/password", third,
                              "{\"current_password\":\"" PASSWORD "\","
                              "\"new_password\":\"second-password\"}", NULL);
  g_assert_cmpuint (changed->status, ==, 200);
  g_assert_cmpstr (dsd_test_response_string (changed, "id"), ==, id);
  g_assert_null (json_object_get_member (dsd_test_response_object (changed), "password_hash"));
  g_assert_cmpuint (status_of (third), ==, 401);
  old_login = login (username, PASSWORD);
  dsd_test_assert_error (old_login, 401, "unauthenticated", NULL);
  g_free (third);
  third = dsd_test_login (server, username, "second-password");
  g_assert_cmpuint (status_of (third), ==, 200);
}

/* A change made through another instance (here: straight in the shared
 * database) is seen within seconds without a query per request. */
static void
test_revoked_elsewhere (void)
{
  g_autoptr(DsdPgCluster) cluster = dsd_pg_cluster_new (dsd_test_server_get_data_dir (server));
  g_autofree char *username = NULL, *token = NULL;
  g_autofree char *id = new_user ("driver", &username, &token);
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) result = NULL;

  g_assert_cmpuint (status_of (token), ==, 200);
  result = dsd_pg_exec_sync (dsd_pg_cluster_get_conninfo (cluster),
                             "UPDATE dispatch.users SET disabled = true WHERE id = $1::uuid",
                             1, (const char * const[]) { id }, &error);
  g_assert_no_error (error);
  g_assert_true (dsd_test_run_until (token_refused, token, 10000));
}

/* A dispatcher's open /api/v1/stream on a server. */
static DsdTestWebsocket *
open_stream (DsdTestServer *on,
             const char    *token)
{
  DsdTestWebsocket *ws = dsd_test_websocket_connect (on, "/api/v1/stream", token, NULL);
  g_autoptr(JsonObject) snapshot = NULL;

  g_assert_nonnull (ws);
  snapshot = dsd_test_websocket_next_of_type (ws, "snapshot", 10000);
  g_assert_nonnull (snapshot);

  return ws;
}

/* Revocation closes the user's open streams with 4401, the others stay, on
 * this instance and on another one sharing the database. */
static void
test_revoked_websockets (void)
{
  const char *admin = dsd_test_server_get_admin_token (server);
  g_autoptr(DsdPgCluster) cluster = dsd_pg_cluster_new (dsd_test_server_get_data_dir (server));
  g_autofree char *database_url = g_strconcat ("DATABASE_URL=",
                                               dsd_pg_cluster_get_conninfo (cluster), NULL);
  DsdTestServer *other = dsd_test_server_start ((const char * const[]) {
                                                  "DISPATCH_JWT_SECRET=" SECRET, database_url,
                                                  NULL
                                                });
  g_autofree char *name_a = NULL, *token_a = NULL, *name_b = NULL, *token_b = NULL;
  g_autofree char *name_c = NULL, *token_c = NULL, *name_d = NULL, *token_d = NULL;
  g_autofree char *name_e = NULL, *token_e = NULL;
  g_autofree char *id_a = new_user ("dispatcher", &name_a, &token_a);
  g_autofree char *id_b = new_user ("dispatcher", &name_b, &token_b);
  g_autofree char *id_c = new_user ("dispatcher", &name_c, &token_c);
  g_autofree char *id_d = new_user ("dispatcher", &name_d, &token_d);
  g_autofree char *id_e = new_user ("dispatcher", &name_e, &token_e);
  g_autofree char *path_a = g_strdup_printf ("/api/v1/users/%s", id_a);
  g_autofree char *path_d = g_strdup_printf ("/api/v1/users/%s", id_d);
  g_autoptr(DsdTestWebsocket) ws_a = open_stream (server, token_a);
  g_autoptr(DsdTestWebsocket) ws_b = open_stream (server, token_b);
  g_autoptr(DsdTestWebsocket) ws_c = open_stream (server, token_c);
  g_autoptr(DsdTestWebsocket) ws_d = open_stream (other, token_d);
  g_autoptr(DsdTestWebsocket) ws_e = open_stream (other, token_e);
  g_autoptr(DsdTestResponse) disabled = NULL;
  g_autoptr(DsdTestResponse) signed_out = NULL;
  g_autoptr(DsdTestResponse) changed = NULL;
  g_autoptr(DsdTestResponse) disabled_elsewhere = NULL;

  disabled = dsd_test_request (server, "PATCH", path_a, admin, "{\"disabled\":true}", NULL);
  g_assert_cmpuint (disabled->status, ==, 200);
  g_assert_cmpuint (dsd_test_websocket_wait_closed (ws_a, 10000), ==, 4401);

  signed_out = dsd_test_request (server, "POST", "/api/v1/users/me/sign-out", token_b, "{}",
                                 NULL);
  g_assert_cmpuint (signed_out->status, ==, 200);
  g_assert_cmpuint (dsd_test_websocket_wait_closed (ws_b, 10000), ==, 4401);

  changed = dsd_test_request (server, "POST", "/api/v1/users/me/password", token_c,
                              "{\"current_password\":\"" PASSWORD "\","
                              "\"new_password\":\"second-password\"}", NULL);
  g_assert_cmpuint (changed->status, ==, 200);
  g_assert_cmpuint (dsd_test_websocket_wait_closed (ws_c, 10000), ==, 4401);

  /* Disabled through this instance, closed on the other. */
  disabled_elsewhere = dsd_test_request (server, "PATCH", path_d, admin,
                                         "{\"disabled\":true}", NULL);
  g_assert_cmpuint (disabled_elsewhere->status, ==, 200);
  g_assert_cmpuint (dsd_test_websocket_wait_closed (ws_d, 10000), ==, 4401);

  g_assert_true (dsd_test_websocket_is_open (ws_e));
  g_assert_cmpuint (status_of (token_e), ==, 200);

  g_clear_pointer (&ws_d, dsd_test_websocket_free);
  g_clear_pointer (&ws_e, dsd_test_websocket_free);
  dsd_test_server_free (other);
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
  g_test_add_func ("/auth/revocation/unknown-subject", test_unknown_subject);
  g_test_add_func ("/auth/revocation/disable", test_disable);
  g_test_add_func ("/auth/revocation/sign-out-and-password", test_sign_out_and_password);
  g_test_add_func ("/auth/revocation/elsewhere", test_revoked_elsewhere);
  g_test_add_func ("/auth/revocation/websockets", test_revoked_websockets);

  server = dsd_test_server_start ((const char * const[]) {
                                    "DISPATCH_JWT_SECRET=" SECRET, NULL
                                  });
  status = g_test_run ();
  dsd_test_server_free (server);

  return status;
}
