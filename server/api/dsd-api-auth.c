/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-api"

#include "dispatch-limits.h"
#include "dsd-api.h"
#include "dsd-cache.h"
#include "dsd-password.h"
#include "dsd-pg-pool.h"
#include "dsd-token-issuer.h"

static const char credentials_sql[] =
  "SELECT dispatch.user_credentials($1)::text";

/* docs/openapi.json: 10 failed logins for one username within 5 minutes →
 * 429. Counted in the shared cache, so they hold across instances. */
static const DsdLimit login_failures = { "login-failures", 10, 5 * 60 };
/* Login attempts per client address. */
static const DsdLimit login_clients = { "login-clients", 300, 60 };

typedef struct {
  DsdRequest *request;
  DsdContext *context;
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
failure_counted_cb (gboolean allowed,
                    guint    retry_after_s,
                    gpointer user_data)
{
  g_autoptr(Login) login = user_data;
  g_autoptr(GError) error = NULL;

  if (!allowed)
    {
      respond_too_many (login->request, retry_after_s);
      return;
    }

  g_set_error_literal (&error, DISPATCH_ERROR, DISPATCH_ERROR_UNAUTHENTICATED,
                       "invalid username or password");
  dsd_request_respond_error (login->request, error);
}

/* Takes login. */
static void
fail_login (Login *login)
{
  dsd_cache_limit_hit (dsd_context_get (login->context, DSD_TYPE_CACHE), &login_failures,
                       login->username, TRUE, failure_counted_cb, login);
}

static void
succeed_login (Login *login)
{
  DsdTokenIssuer *tokens = dsd_context_get (login->context, DSD_TYPE_TOKEN_ISSUER);
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
  dsd_cache_limit_reset (dsd_context_get (login->context, DSD_TYPE_CACHE), &login_failures,
                         login->username);

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
      fail_login (g_steal_pointer (&login));
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

  fail_login (g_steal_pointer (&login));
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
client_counted_cb (gboolean allowed,
                   guint    retry_after_s,
                   gpointer user_data)
{
  g_autoptr(Login) login = user_data;
  DsdPgPool *pool = dsd_context_get (login->context, DSD_TYPE_PG_POOL);
  const char *username = login->username;

  if (!allowed)
    {
      respond_too_many (login->request, retry_after_s);
      return;
    }

  dsd_pg_pool_query_async (pool, credentials_sql, 1, (const char * const[]) { username }, NULL,
                           credentials_cb, g_steal_pointer (&login));
}

static void
username_checked_cb (gboolean allowed,
                     guint    retry_after_s,
                     gpointer user_data)
{
  g_autoptr(Login) login = user_data;
  DsdCache *cache = dsd_context_get (login->context, DSD_TYPE_CACHE);
  const char *peer = dsd_request_get_peer (login->request);

  if (!allowed)
    {
      respond_too_many (login->request, retry_after_s);
      return;
    }

  dsd_cache_limit_hit (cache, &login_clients, peer, TRUE, client_counted_cb,
                       g_steal_pointer (&login));
}

static void
issue_token_cb (DsdRequest *request,
                gpointer    user_data)
{
  DsdContext *context = user_data;
  g_autoptr(GError) error = NULL;
  Login *login;
  const char *username = NULL, *password = NULL;
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

  login = g_new0 (Login, 1);
  login->request = dsd_request_ref (request);
  login->context = context;
  login->username = g_strdup (username);
  login->password = g_strdup (password);

  /* A username over its failures is refused without counting the client. */
  dsd_cache_limit_hit (dsd_context_get (context, DSD_TYPE_CACHE), &login_failures, username,
                       FALSE, username_checked_cb, login);
}

void
dsd_api_register_auth (DsdRouter  *router,
                       DsdContext *context)
{
  dsd_router_add (router, "POST", "/api/v1/auth/token", 0, issue_token_cb, context);
}
