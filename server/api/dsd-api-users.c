/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-api"

#include "dispatch-limits.h"
#include "dispatch-model.h"
#include "dispatch-username.h"
#include "dsd-api.h"
#include "dsd-account-states.h"
#include "dsd-password.h"
#include "dsd-pg-pool.h"
#include "dsd-rate-limiter.h"

static const char create_sql[] =
  "SELECT dispatch.user_create($1, $2, $3, $4, $5)::text";
static const char list_sql[] =
  "SELECT dispatch.user_list($1::int, $2)::text";
static const char set_disabled_sql[] =
  "SELECT dispatch.user_set_disabled($1, $2, $3)::text";
static const char sign_out_sql[] =
  "SELECT dispatch.user_sign_out($1)::text";
static const char credentials_sql[] =
  "SELECT dispatch.user_credentials($1)::text";
static const char set_password_sql[] =
  "SELECT dispatch.user_set_password($1, $2)::text";


typedef struct {
  DsdRequest *request;
  DsdContext *context;
  char       *username;
  char       *role;
  char       *driver_id;
  char       *customer_id;
} CreateUser;

static void
create_user_free (CreateUser *create)
{
  dsd_request_unref (create->request);
  g_free (create->username);
  g_free (create->role);
  g_free (create->driver_id);
  g_free (create->customer_id);
  g_free (create);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CreateUser, create_user_free)

/* Wrong current passwords per username, as failed logins are counted. */
#define PASSWORD_FAILURES_PER_USERNAME 10
#define PASSWORD_FAILURE_WINDOW_S      (5 * 60)

/* The routes that change a user's sign-in state. */
typedef struct {
  DsdContext     *context;
  DsdRateLimiter *password_failures;
} AccountsApi;

/* A change to a user's sign-in state, and afterwards a password change's steps. */
typedef struct {
  DsdRequest  *request;
  AccountsApi *api;
  char        *user_id;
  char        *new_password;
} AccountChange;

static void
account_change_free (AccountChange *change)
{
  dsd_request_unref (change->request);
  g_free (change->user_id);
  if (change->new_password != NULL)
    memset (change->new_password, 0, strlen (change->new_password));
  g_free (change->new_password);
  g_free (change);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AccountChange, account_change_free)

static void
accounts_api_free (gpointer data)
{
  AccountsApi *api = data;

  g_object_unref (api->password_failures);
  g_free (api);
}

static AccountChange *
account_change_new (DsdRequest  *request,
                    AccountsApi *api,
                    const char  *user_id)
{
  AccountChange *change = g_new0 (AccountChange, 1);

  change->request = dsd_request_ref (request);
  change->api = api;
  change->user_id = g_strdup (user_id);

  return change;
}

static void
password_hashed_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(CreateUser) create = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *hash = dsd_password_hash_finish (result, &error);

  if (hash == NULL)
    {
      dsd_request_respond_error (create->request, error);
      return;
    }

  dsd_api_respond_query (create->request, create->context, 201, create_sql, 5,
                         (const char * const[]) {
                           create->username, hash, create->role,
                           create->driver_id, create->customer_id
                         });
}

static void
create_user_cb (DsdRequest *request,
                gpointer    user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CreateUser) create = NULL;
  const char *username = NULL, *password = NULL, *role = NULL;
  const char *driver_id = NULL, *customer_id = NULL;
  JsonObject *body;

  body = dsd_request_get_json_object (request, &error);
  if (body == NULL ||
      !dispatch_json_get_string (body, NULL, "username", DISPATCH_JSON_REQUIRED,
                                 DISPATCH_USERNAME_MAX_LENGTH, &username, &error) ||
      !dispatch_username_validate (username, &error) ||
      !dispatch_json_get_string (body, NULL, "password", DISPATCH_JSON_REQUIRED,
                                 DISPATCH_PASSWORD_MAX_LENGTH, &password, &error) ||
      !dispatch_json_get_enum (body, NULL, "role", DISPATCH_JSON_REQUIRED,
                               dispatch_enum_names (DSD_TYPE_ROLE),
                               &role, &error) ||
      !dispatch_json_get_string (body, NULL, "driver_id", DISPATCH_JSON_NULLABLE,
                                 DISPATCH_ID_MAX_LENGTH,
                                 &driver_id, &error) ||
      !dispatch_json_get_string (body, NULL, "customer_id", DISPATCH_JSON_NULLABLE,
                                 DISPATCH_ID_MAX_LENGTH,
                                 &customer_id, &error))
    {
      dsd_request_respond_error (request, error);
      return;
    }

  if (g_utf8_strlen (password, -1) < DISPATCH_PASSWORD_MIN_LENGTH)
    {
      dispatch_set_field_error (&error, DISPATCH_ERROR_INVALID_ARGUMENT, "password",
                                "password must be at least %d characters",
                                DISPATCH_PASSWORD_MIN_LENGTH);
    }
  else if (driver_id != NULL && !g_str_equal (role, "driver"))
    {
      dispatch_set_field_error (&error, DISPATCH_ERROR_INVALID_ARGUMENT, "driver_id",
                                "driver_id is only for users with role driver");
    }
  else if (customer_id != NULL && !g_str_equal (role, "customer"))
    {
      dispatch_set_field_error (&error, DISPATCH_ERROR_INVALID_ARGUMENT, "customer_id",
                                "customer_id is only for users with role customer");
    }

  if (error != NULL)
    {
      dsd_request_respond_error (request, error);
      return;
    }

  create = g_new0 (CreateUser, 1);
  create->request = dsd_request_ref (request);
  create->context = user_data;
  create->username = g_strdup (username);
  create->role = g_strdup (role);
  create->driver_id = g_strdup (driver_id);
  create->customer_id = g_strdup (customer_id);

  dsd_password_hash_async (password, NULL, password_hashed_cb, g_steal_pointer (&create));
}

static void
list_users_cb (DsdRequest *request,
               gpointer    user_data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *limit_text = NULL;
  int limit;

  if (!dsd_api_get_limit (request, &limit, &error))
    {
      dsd_request_respond_error (request, error);
      return;
    }

  limit_text = g_strdup_printf ("%d", limit);
  dsd_api_respond_query (request, user_data, 200, list_sql, 2,
                         (const char * const[]) {
                           limit_text, dsd_request_get_query (request, "next")
                         });
}

/* Committed: this instance forgets what it knew of the user at once (others
 * reload within seconds), then answers with the user. */
static void
account_changed_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(AccountChange) change = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) rows = NULL;

  rows = dsd_pg_pool_query_finish (DSD_PG_POOL (source), result, &error);
  if (rows == NULL)
    {
      dsd_request_respond_error (change->request, error);
      return;
    }

  dsd_account_states_forget (dsd_context_get (change->api->context, DSD_TYPE_ACCOUNT_STATES),
                             change->user_id);
  dsd_request_respond_json_text (change->request, 200,
                                 PQgetvalue (rows, 0, 0), PQgetlength (rows, 0, 0));
}

static void
change_account (AccountChange      *change,
                const char         *sql,
                int                 n_params,
                const char * const *params)
{
  dsd_pg_pool_query_async (dsd_context_get (change->api->context, DSD_TYPE_PG_POOL), sql,
                           n_params, params,
                           NULL, account_changed_cb, change);
}

/* PATCH /users/{id} {"disabled": bool} (admin). */
static void
update_user_cb (DsdRequest *request,
                gpointer    user_data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *actor = dsd_request_dup_actor_json (request);
  const char *user_id = dsd_request_get_param (request, "id");
  gboolean disabled = FALSE;
  JsonObject *body;

  body = dsd_request_get_json_object (request, &error);
  if (body == NULL ||
      !dispatch_json_get_boolean (body, NULL, "disabled", DISPATCH_JSON_REQUIRED, &disabled,
                                  &error))
    {
      dsd_request_respond_error (request, error);
      return;
    }

  change_account (account_change_new (request, user_data, user_id), set_disabled_sql, 3,
                  (const char * const[]) { actor, user_id, disabled ? "t" : "f" });
}

/* {id} of /users/{id}/...: "me" is the caller; other users are the admin's only. */
static const char *
resolve_user_id (DsdRequest  *request,
                 GError     **error)
{
  const DsdPrincipal *principal = dsd_request_get_principal (request);
  const char *user_id = dsd_request_get_param (request, "id");

  if (g_str_equal (user_id, "me"))
    return principal->user_id;

  if (principal->role != DSD_ROLE_ADMIN && !g_str_equal (user_id, principal->user_id))
    {
      g_set_error_literal (error, DISPATCH_ERROR, DISPATCH_ERROR_PERMISSION_DENIED,
                           "only an admin may act on another user");
      return NULL;
    }

  return user_id;
}

/* POST /users/{id}/sign-out: every token of the user issued until now is refused. */
static void
sign_out_cb (DsdRequest *request,
             gpointer    user_data)
{
  g_autoptr(GError) error = NULL;
  const char *user_id = resolve_user_id (request, &error);

  if (user_id == NULL)
    {
      dsd_request_respond_error (request, error);
      return;
    }

  change_account (account_change_new (request, user_data, user_id), sign_out_sql, 1,
                  (const char * const[]) { user_id });
}

static void
new_password_hashed_cb (GObject      *source,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  g_autoptr(AccountChange) change = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *hash = dsd_password_hash_finish (result, &error);
  const char *params[2];

  if (hash == NULL)
    {
      dsd_request_respond_error (change->request, error);
      return;
    }

  params[0] = change->user_id;
  params[1] = hash;
  change_account (g_steal_pointer (&change), set_password_sql, 2, params);
}

static void
current_password_verified_cb (GObject      *source,
                              GAsyncResult *result,
                              gpointer      user_data)
{
  g_autoptr(AccountChange) change = user_data;
  g_autoptr(GError) error = NULL;
  const DsdPrincipal *principal = dsd_request_get_principal (change->request);
  DsdRateLimiter *failures = change->api->password_failures;
  const char *password;
  guint retry_after_s = 0;

  if (!dsd_password_verify_finish (result))
    {
      if (!dsd_rate_limiter_hit (failures, principal->username, &retry_after_s))
        {
          g_set_error_literal (&error, DISPATCH_ERROR, DISPATCH_ERROR_RATE_LIMITED,
                               "too many wrong passwords, try again later");
          dsd_request_set_retry_after (change->request, retry_after_s);
        }
      else
        {
          dispatch_set_field_error (&error, DISPATCH_ERROR_PERMISSION_DENIED,
                                    "current_password", "current_password is wrong");
        }
      dsd_request_respond_error (change->request, error);
      return;
    }

  password = change->new_password;
  dsd_password_hash_async (password, NULL, new_password_hashed_cb, g_steal_pointer (&change));
}

static void
credentials_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(AccountChange) change = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) rows = NULL;
  g_autoptr(JsonObject) user = NULL;
  JsonObject *body = dsd_request_get_json_object (change->request, NULL);
  const char *current = json_object_get_string_member (body, "current_password");

  rows = dsd_pg_pool_query_finish (DSD_PG_POOL (source), result, &error);
  if (rows != NULL && (PQntuples (rows) != 1 || PQgetisnull (rows, 0, 0)))
    g_set_error_literal (&error, DISPATCH_ERROR, DISPATCH_ERROR_UNAUTHENTICATED,
                         "the token's user does not exist");
  if (error == NULL)
    user = dispatch_json_parse_object (PQgetvalue (rows, 0, 0), PQgetlength (rows, 0, 0),
                                       &error);
  if (user == NULL)
    {
      dsd_request_respond_error (change->request, error);
      return;
    }

  dsd_password_verify_async (json_object_get_string_member (user, "password_hash"), current,
                             NULL, current_password_verified_cb, g_steal_pointer (&change));
}

/* POST /users/me/password {"current_password","new_password"}: the caller's
 * own, proven with the current one; every earlier token is refused after. */
static void
change_password_cb (DsdRequest *request,
                    gpointer    user_data)
{
  AccountsApi *api = user_data;
  const DsdPrincipal *principal = dsd_request_get_principal (request);
  g_autoptr(GError) error = NULL;
  g_autoptr(AccountChange) change = NULL;
  const char *current = NULL, *new_password = NULL;
  guint retry_after_s = 0;
  JsonObject *body;

  body = dsd_request_get_json_object (request, &error);
  if (body == NULL ||
      !dispatch_json_get_string (body, NULL, "current_password", DISPATCH_JSON_REQUIRED,
                                 DISPATCH_PASSWORD_MAX_LENGTH, &current, &error) ||
      !dispatch_json_get_string (body, NULL, "new_password", DISPATCH_JSON_REQUIRED,
                                 DISPATCH_PASSWORD_MAX_LENGTH, &new_password, &error))
    {
      dsd_request_respond_error (request, error);
      return;
    }

  if (g_utf8_strlen (new_password, -1) < DISPATCH_PASSWORD_MIN_LENGTH)
    {
      dispatch_set_field_error (&error, DISPATCH_ERROR_INVALID_ARGUMENT, "new_password",
                                "new_password must be at least %d characters",
                                DISPATCH_PASSWORD_MIN_LENGTH);
    }
  else if (principal->username == NULL)
    {
      g_set_error_literal (&error, DISPATCH_ERROR, DISPATCH_ERROR_UNAUTHENTICATED,
                           "sign in again to change the password");
    }
  else if (!dsd_rate_limiter_check (api->password_failures, principal->username,
                                    &retry_after_s))
    {
      g_set_error_literal (&error, DISPATCH_ERROR, DISPATCH_ERROR_RATE_LIMITED,
                           "too many wrong passwords, try again later");
      dsd_request_set_retry_after (request, retry_after_s);
    }

  if (error != NULL)
    {
      dsd_request_respond_error (request, error);
      return;
    }

  change = account_change_new (request, api, principal->user_id);
  change->new_password = g_strdup (new_password);
  dsd_pg_pool_query_async (dsd_context_get (api->context, DSD_TYPE_PG_POOL), credentials_sql, 1,
                           (const char * const[]) { principal->username }, NULL,
                           credentials_cb, g_steal_pointer (&change));
}

/* GET /api/v1/users/me: the caller and, for a dispatcher, its teams. */
static void
me_cb (DsdRequest *request,
       gpointer    user_data)
{
  g_autofree char *actor = dsd_request_dup_actor_json (request);

  dsd_api_respond_query (request, user_data, 200, "SELECT dispatch.user_me($1::jsonb)", 1,
                         (const char * const[]) { actor });
}

void
dsd_api_register_users (DsdRouter  *router,
                        DsdContext *context)
{
  AccountsApi *api = g_new0 (AccountsApi, 1);

  api->context = context;
  api->password_failures = dsd_rate_limiter_new (dsd_context_get_clock (context),
                                                 PASSWORD_FAILURES_PER_USERNAME,
                                                 PASSWORD_FAILURE_WINDOW_S);
  g_object_set_data_full (G_OBJECT (router), "dsd-api-users", api, accounts_api_free);

  dsd_router_add (router, "POST", "/api/v1/users", DSD_ROLE_ADMIN, create_user_cb, context);
  dsd_router_add (router, "GET", "/api/v1/users", DSD_ROLE_ADMIN, list_users_cb, context);
  dsd_router_add (router, "PATCH", "/api/v1/users/{id}", DSD_ROLE_ADMIN, update_user_cb, api);
  dsd_router_add (router, "POST", "/api/v1/users/{id}/sign-out", DSD_ROLES_ANY, sign_out_cb,
                  api);
  dsd_router_add (router, "POST", "/api/v1/users/me/password", DSD_ROLES_ANY,
                  change_password_cb, api);
  dsd_router_add (router, "GET", "/api/v1/users/me", DSD_ROLES_ANY, me_cb, context);
}
