/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-api"

#include "dispatch-limits.h"
#include "dsd-api.h"
#include "dsd-password.h"
#include "dsd-pg-pool.h"
#include "dsd-rate-limiter.h"
#include "dsd-token-issuer.h"

#define LOGIN_FAILURES_PER_USERNAME 10
#define LOGIN_FAILURE_WINDOW_S (5 * 60)
#define LOGINS_PER_CLIENT 300
#define LOGIN_CLIENT_WINDOW_S 60

static const char credentials_sql[] =
  "SELECT dispatch.user_credentials($1)::text";

/* The endpoint's state, owned by the router. */
typedef struct {
  DsdContext     *context;
  /* Failed logins per username (docs/openapi.json: 10 within 5 minutes → 429). */
  DsdRateLimiter *failures;
  /* Login attempts per client address. */
  DsdRateLimiter *clients;
} AuthApi;

static void
auth_api_free (gpointer data)
{
  AuthApi *api = data;

  g_object_unref (api->failures);
  g_object_unref (api->clients);
  g_free (api);
}

typedef struct {
  DsdRequest *request;
  AuthApi    *api;
  char       *username;
  char       *password;
  JsonObject *user;        /* the credentials row, NULL for an unknown user */
} Login;

static void
login_free (Login *login)
{
  dsd_request_unref (login->request);
  g_free (login->username);
  if (login->password != NULL)
    memset (login->password, 0, strlen (login->password));
  g_free (login->password);
  g_clear_pointer (&login->user, json_object_unref);
  g_free (login);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Login, login_free)

static const char *
user_string (JsonObject *user,
             const char *member)
{
  JsonNode *node = json_object_get_member (user, member);

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return NULL;

  return json_node_get_string (node);
}

static void
respond_too_many (DsdRequest *request,
                  guint       retry_after_s)
{
  g_autoptr(GError) error = NULL;

  g_set_error_literal (&error, DISPATCH_ERROR, DISPATCH_ERROR_RATE_LIMITED,
                       "too many login attempts, try again later");
  dsd_request_set_retry_after (request, retry_after_s);
  dsd_request_respond_error (request, error);
}

static void
fail_login (Login *login)
{
  g_autoptr(GError) error = NULL;
  DsdRateLimiter *failures = login->api->failures;
  guint retry_after_s = 0;

  if (!dsd_rate_limiter_hit (failures, login->username, &retry_after_s))
    {
      respond_too_many (login->request, retry_after_s);
      return;
    }

  g_set_error_literal (&error, DISPATCH_ERROR, DISPATCH_ERROR_UNAUTHENTICATED,
                       "invalid username or password");
  dsd_request_respond_error (login->request, error);
}

static void
succeed_login (Login *login)
{
  DsdTokenIssuer *tokens = dsd_context_get (login->api->context, DSD_TYPE_TOKEN_ISSUER);
  g_autoptr(DsdPrincipal) principal = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *token = NULL;
  DsdRole role = 0;
  const char *driver_id = user_string (login->user, "driver_id");
  const char *customer_id = user_string (login->user, "customer_id");

  if (!dsd_role_from_string (user_string (login->user, "role"), &role))
    g_assert_not_reached ();

  principal = dsd_principal_new (role, user_string (login->user, "id"), login->username,
                                 driver_id, customer_id);
  token = dsd_token_issuer_issue (tokens, principal,
                                  json_object_get_int_member_with_default (
                                    login->user, "tokens_valid_after_s", 0));
  dsd_rate_limiter_reset (login->api->failures, login->username);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "access_token");
  json_builder_add_string_value (builder, token);
  json_builder_set_member_name (builder, "token_type");
  json_builder_add_string_value (builder, "Bearer");
  json_builder_set_member_name (builder, "expires_in");
  json_builder_add_int_value (builder, dsd_token_issuer_get_lifetime (tokens));
  json_builder_set_member_name (builder, "role");
  json_builder_add_string_value (builder, dsd_role_to_string (role));
  json_builder_set_member_name (builder, "user_id");
  json_builder_add_string_value (builder, principal->user_id);
  if (driver_id != NULL)
    {
      json_builder_set_member_name (builder, "driver_id");
      json_builder_add_string_value (builder, driver_id);
    }
  if (customer_id != NULL)
    {
      json_builder_set_member_name (builder, "customer_id");
      json_builder_add_string_value (builder, customer_id);
    }
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  dsd_request_respond_json (login->request, 200, root);
}

static void
verified_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(Login) login = user_data;

  g_autoptr(GError) error = NULL;

  if (!dsd_password_verify_finish (result))
    {
      fail_login (login);
      return;
    }

  /* Only said to whoever knows the password. */
  if (json_object_get_boolean_member_with_default (login->user, "disabled", FALSE))
    {
      g_set_error_literal (&error, DISPATCH_ERROR, DISPATCH_ERROR_PERMISSION_DENIED,
                           "this account is disabled");
      dsd_request_respond_error (login->request, error);
      return;
    }

  succeed_login (login);
}

static void
decoy_hashed_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(Login) login = user_data;
  g_autofree char *unused = dsd_password_hash_finish (result, NULL);

  fail_login (login);
}

static void
credentials_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(Login) login = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) rows = NULL;
  const char *password;
  const char *hash;

  rows = dsd_pg_pool_query_finish (DSD_PG_POOL (source), result, &error);
  if (rows == NULL)
    {
      dsd_request_respond_error (login->request, error);
      return;
    }

  if (PQntuples (rows) != 1 || PQgetisnull (rows, 0, 0))
    {
      /* Unknown user: spend the same time as a real check, so response
       * times do not tell which usernames exist. */
      password = login->password;
      dsd_password_hash_async (password, NULL, decoy_hashed_cb, g_steal_pointer (&login));
      return;
    }

  login->user = dispatch_json_parse_object (PQgetvalue (rows, 0, 0), PQgetlength (rows, 0, 0),
                                            &error);
  g_assert (login->user != NULL);
  hash = user_string (login->user, "password_hash");
  password = login->password;
  dsd_password_verify_async (hash, password, NULL, verified_cb, g_steal_pointer (&login));
}

static void
issue_token_cb (DsdRequest *request,
                gpointer    user_data)
{
  AuthApi *api = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(Login) login = NULL;
  const char *username = NULL, *password = NULL;
  guint retry_after_s = 0;
  JsonObject *body;

  body = dsd_request_get_json_object (request, &error);
  if (body == NULL ||
      !dispatch_json_get_string (body, NULL, "username", DISPATCH_JSON_REQUIRED,
                                 DISPATCH_USERNAME_MAX_LENGTH, &username, &error) ||
      !dispatch_json_get_string (body, NULL, "password", DISPATCH_JSON_REQUIRED,
                                 DISPATCH_PASSWORD_MAX_LENGTH, &password, &error))
    {
      dsd_request_respond_error (request, error);
      return;
    }

  if (!dsd_rate_limiter_check (api->failures, username,
                               &retry_after_s) ||
      !dsd_rate_limiter_hit (api->clients,
                             dsd_request_get_peer (request), &retry_after_s))
    {
      respond_too_many (request, retry_after_s);
      return;
    }

  login = g_new0 (Login, 1);
  login->request = dsd_request_ref (request);
  login->api = api;
  login->username = g_strdup (username);
  login->password = g_strdup (password);

  dsd_pg_pool_query_async (dsd_context_get (api->context, DSD_TYPE_PG_POOL), credentials_sql,
                           1, (const char * const[]) { username }, NULL,
                           credentials_cb, g_steal_pointer (&login));
}

void
dsd_api_register_auth (DsdRouter  *router,
                       DsdContext *context)
{
  AuthApi *api = g_new0 (AuthApi, 1);

  api->context = context;
  api->failures = dsd_rate_limiter_new (dsd_context_get_clock (context),
                                        LOGIN_FAILURES_PER_USERNAME, LOGIN_FAILURE_WINDOW_S);
  api->clients = dsd_rate_limiter_new (dsd_context_get_clock (context), LOGINS_PER_CLIENT,
                                       LOGIN_CLIENT_WINDOW_S);
  g_object_set_data_full (G_OBJECT (router), "dsd-api-auth", api, auth_api_free);
  dsd_router_add (router, "POST", "/api/v1/auth/token", 0, issue_token_cb, api);
}
