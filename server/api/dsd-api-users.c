/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-api"

#include "dispatch-limits.h"
#include "dispatch-model.h"
#include "dispatch-username.h"
#include "dsd-api.h"
#include "dsd-password.h"

static const char create_sql[] =
  "SELECT dispatch.user_create($1, $2, $3, $4, $5)::text";
static const char list_sql[] =
  "SELECT dispatch.user_list($1::int, $2)::text";


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

void
dsd_api_register_users (DsdRouter  *router,
                        DsdContext *context)
{
  dsd_router_add (router, "POST", "/api/v1/users", DSD_ROLE_ADMIN, create_user_cb, context);
  dsd_router_add (router, "GET", "/api/v1/users", DSD_ROLE_ADMIN, list_users_cb, context);
}
