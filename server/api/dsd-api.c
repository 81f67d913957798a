/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-api"

#include <math.h>

#include "dispatch-limits.h"
#include "dsd-api.h"
#include "dsd-pg-pool.h"

typedef struct {
  DsdRequest *request;
  guint       status;
} QueryCall;

static void
query_call_free (QueryCall *call)
{
  dsd_request_unref (call->request);
  g_free (call);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (QueryCall, query_call_free)

static void
respond_query_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(QueryCall) call = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) rows = NULL;

  const char *text;
  gsize length;

  rows = dsd_pg_pool_query_finish (DSD_PG_POOL (source), result, &error);
  text = dsd_api_query_value (rows, &length, &error);
  if (text == NULL)
    {
      dsd_request_respond_error (call->request, error);
      return;
    }

  dsd_request_respond_json_text (call->request, call->status, text, length);
}

const char *
dsd_api_query_value (PGresult  *rows,
                     gsize     *length,
                     GError   **error)
{
  if (rows == NULL)
    return NULL;

  if (PQntuples (rows) == 1 && PQnfields (rows) == 1 && PQgetisnull (rows, 0, 0))
    {
      g_set_error_literal (error, DISPATCH_ERROR, DISPATCH_ERROR_NOT_FOUND, "not found");
      return NULL;
    }

  if (PQntuples (rows) != 1 || PQnfields (rows) != 1)
    {
      g_critical ("Query answered %d rows × %d columns, expected one value",
                  PQntuples (rows), PQnfields (rows));
      g_set_error_literal (error, DISPATCH_ERROR, DISPATCH_ERROR_INTERNAL, "internal error");
      return NULL;
    }

  *length = PQgetlength (rows, 0, 0);
  return PQgetvalue (rows, 0, 0);
}

void
dsd_api_respond_query (DsdRequest         *request,
                       DsdContext         *context,
                       guint               status,
                       const char         *sql,
                       int                 n_params,
                       const char * const *params)
{
  DsdPgPool *pool = dsd_context_get (context, DSD_TYPE_PG_POOL);
  const char *method = dsd_request_get_method (request);
  QueryCall *call = g_new0 (QueryCall, 1);

  call->request = dsd_request_ref (request);
  call->status = status;
  /* Whatever is not a read may have committed events: wake the relay at once. */
  if (g_str_equal (method, "GET") || g_str_equal (method, "HEAD"))
    dsd_pg_pool_query_async (pool, sql, n_params, params, NULL, respond_query_cb, call);
  else
    dsd_pg_pool_write_async (pool, sql, n_params, params, NULL, respond_query_cb, call);
}

void
dsd_api_respond_id_flag (DsdRequest *request,
                         DsdContext *context,
                         const char *member,
                         const char *sql)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *actor = dsd_request_dup_actor_json (request);
  gboolean value = FALSE;
  JsonObject *body;

  body = dsd_request_get_json_object (request, &error);
  if (body == NULL ||
      !dispatch_json_get_boolean (body, NULL, member, DISPATCH_JSON_REQUIRED, &value, &error))
    {
      dsd_request_respond_error (request, error);
      return;
    }

  dsd_api_respond_query (request, context, 200, sql, 3,
                         (const char * const[]) {
                           actor, dsd_request_get_param (request, "id"), value ? "t" : "f"
                         });
}

void
dsd_api_respond_page (DsdRequest *request,
                      DsdContext *context,
                      const char *sql,
                      const char *id)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *actor = dsd_request_dup_actor_json (request);
  g_autofree char *limit_text = NULL;
  const char *next = dsd_request_get_query (request, "next");
  int limit;

  if (!dsd_api_get_limit (request, &limit, &error))
    {
      dsd_request_respond_error (request, error);
      return;
    }

  limit_text = g_strdup_printf ("%d", limit);
  if (id == NULL)
    dsd_api_respond_query (request, context, 200, sql, 3,
                           (const char * const[]) { actor, limit_text, next });
  else
    dsd_api_respond_query (request, context, 200, sql, 4,
                           (const char * const[]) { actor, id, limit_text, next });
}

static void
deleted_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(DsdRequest) request = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) rows = NULL;

  rows = dsd_pg_pool_query_finish (DSD_PG_POOL (source), result, &error);
  if (rows == NULL)
    {
      dsd_request_respond_error (request, error);
      return;
    }

  dsd_request_respond_no_content (request);
}

void
dsd_api_respond_delete (DsdRequest *request,
                        DsdContext *context,
                        const char *sql)
{
  g_autofree char *actor = dsd_request_dup_actor_json (request);

  dsd_pg_pool_query_async (dsd_context_get (context, DSD_TYPE_PG_POOL), sql, 2,
                           (const char * const[]) {
                             actor, dsd_request_get_param (request, "id")
                           },
                           NULL, deleted_cb, dsd_request_ref (request));
}

typedef struct {
  DsdContext           *context;
  const DsdApiResource *resource;
} ResourceRoutes;

static void
put_resource_cb (DsdRequest *request,
                 gpointer    user_data)
{
  ResourceRoutes *routes = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *actor = dsd_request_dup_actor_json (request);
  g_autofree char *text = NULL;
  const char *id = dsd_request_get_param (request, "id");
  JsonObject *body;

  body = dsd_request_get_json_object (request, &error);
  if (body == NULL || (text = routes->resource->read (body, &error)) == NULL)
    {
      dsd_request_respond_error (request, error);
      return;
    }

  dsd_api_respond_query (request, routes->context, id == NULL ? 201 : 200,
                         routes->resource->put_sql, 3, (const char * const[]) { actor, id, text });
}

static void
list_resource_cb (DsdRequest *request,
                  gpointer    user_data)
{
  ResourceRoutes *routes = user_data;

  dsd_api_respond_page (request, routes->context, routes->resource->list_sql, NULL);
}

static void
get_resource_cb (DsdRequest *request,
                 gpointer    user_data)
{
  ResourceRoutes *routes = user_data;
  g_autofree char *actor = dsd_request_dup_actor_json (request);

  dsd_api_respond_query (request, routes->context, 200, routes->resource->get_sql, 2,
                         (const char * const[]) { actor, dsd_request_get_param (request, "id") });
}

static void
delete_resource_cb (DsdRequest *request,
                    gpointer    user_data)
{
  ResourceRoutes *routes = user_data;

  dsd_api_respond_delete (request, routes->context, routes->resource->delete_sql);
}

void
dsd_api_register_resource (DsdRouter            *router,
                           DsdContext           *context,
                           const DsdApiResource *resource)
{
  ResourceRoutes *routes = g_new0 (ResourceRoutes, 1);
  g_autofree char *item = g_strconcat (resource->collection, "/{id}", NULL);

  routes->context = context;
  routes->resource = resource;
  g_object_set_data_full (G_OBJECT (router), resource->collection, routes, g_free);

  dsd_router_add (router, "POST", resource->collection, DSD_ROLE_ADMIN, put_resource_cb, routes);
  dsd_router_add (router, "GET", resource->collection, DSD_ROLE_ADMIN, list_resource_cb, routes);
  dsd_router_add (router, "GET", item, DSD_ROLE_ADMIN, get_resource_cb, routes);
  dsd_router_add (router, "PUT", item, DSD_ROLE_ADMIN, put_resource_cb, routes);
  dsd_router_add (router, "DELETE", item, DSD_ROLE_ADMIN, delete_resource_cb, routes);
}

gboolean
dsd_api_get_limit (DsdRequest  *request,
                   int         *out_limit,
                   GError     **error)
{
  const char *text = dsd_request_get_query (request, "limit");
  gint64 value;

  if (text == NULL)
    {
      *out_limit = DSD_API_DEFAULT_LIMIT;
      return TRUE;
    }

  if (!g_ascii_string_to_signed (text, 10, G_MININT64, G_MAXINT64, &value, NULL) || value <= 0)
    {
      dispatch_set_field_error (error, DISPATCH_ERROR_INVALID_ARGUMENT, "limit",
                                "limit must be a positive integer");
      return FALSE;
    }

  *out_limit = MIN (value, DSD_API_MAX_LIMIT);
  return TRUE;
}

gboolean
dsd_api_get_int_query (DsdRequest  *request,
                       const char  *name,
                       gint64       min,
                       gint64       max,
                       gint64       default_value,
                       gint64      *out,
                       GError     **error)
{
  const char *text = dsd_request_get_query (request, name);

  *out = default_value;
  if (text == NULL || g_ascii_string_to_signed (text, 10, min, max, out, NULL))
    return TRUE;

  dispatch_set_field_error (error, DISPATCH_ERROR_INVALID_ARGUMENT, name,
                            "%s must be an integer from %" G_GINT64_FORMAT " to %" G_GINT64_FORMAT,
                            name, min, max);
  return FALSE;
}

gboolean
dsd_api_get_idempotency (DsdRequest  *request,
                         const char  *normalized_body,
                         const char **out_key,
                         char       **out_hash,
                         GError     **error)
{
  const char *key = dsd_request_get_header (request, "Idempotency-Key");
  g_autoptr(GChecksum) checksum = NULL;
  const char *path;

  *out_key = NULL;
  *out_hash = NULL;

  if (key == NULL)
    return TRUE;

  if (*key == '\0' || strlen (key) > DISPATCH_IDEMPOTENCY_KEY_MAX_LENGTH || !g_str_is_ascii (key))
    {
      dispatch_set_field_error (error, DISPATCH_ERROR_INVALID_ARGUMENT, "Idempotency-Key",
                                "Idempotency-Key must be 1 to %d ASCII characters",
                                DISPATCH_IDEMPOTENCY_KEY_MAX_LENGTH);
      return FALSE;
    }

  path = dsd_request_get_path (request);
  checksum = g_checksum_new (G_CHECKSUM_SHA256);
  g_checksum_update (checksum, (const guchar *) dsd_request_get_method (request), -1);
  g_checksum_update (checksum, (const guchar *) " ", 1);
  g_checksum_update (checksum, (const guchar *) path, -1);
  g_checksum_update (checksum, (const guchar *) "\n", 1);
  g_checksum_update (checksum, (const guchar *) normalized_body, -1);

  *out_key = key;
  *out_hash = g_strdup (g_checksum_get_string (checksum));
  return TRUE;
}

char *
dsd_api_builder_to_string (JsonBuilder *builder)
{
  g_autoptr(JsonNode) root = json_builder_get_root (builder);

  return dispatch_json_to_string (root, NULL);
}

gboolean
dsd_api_copy_string (JsonObject         *object,
                     const char         *prefix,
                     const char         *member,
                     DispatchJsonFlags   flags,
                     gsize               max_length,
                     JsonBuilder        *builder,
                     GError            **error)
{
  const char *value = NULL;

  if (!dispatch_json_get_string (object, prefix, member, flags | DISPATCH_JSON_NULLABLE,
                                 max_length, &value, error))
    return FALSE;

  json_builder_set_member_name (builder, member);
  if (value != NULL)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);

  return TRUE;
}

gboolean
dsd_api_get_time_query (DsdRequest  *request,
                        const char  *name,
                        char       **out,
                        GError     **error)
{
  const char *text = dsd_request_get_query (request, name);
  gint64 usec;

  if (text == NULL)
    return TRUE;

  if (!dispatch_parse_timestamp (text, &usec))
    {
      dispatch_set_field_error (error, DISPATCH_ERROR_INVALID_ARGUMENT, name,
                                "%s must be an RFC 3339 time", name);
      return FALSE;
    }

  *out = dispatch_format_timestamp (usec);
  return TRUE;
}

gboolean
dsd_api_copy_double (JsonObject   *object,
                     const char   *prefix,
                     const char   *member,
                     double        min,
                     double        max,
                     JsonBuilder  *builder,
                     GError      **error)
{
  double value = NAN;

  if (!dispatch_json_get_double (object, prefix, member, DISPATCH_JSON_NULLABLE, min, max,
                                 &value, error))
    return FALSE;

  if (!isnan (value))
    {
      json_builder_set_member_name (builder, member);
      json_builder_add_double_value (builder, value);
    }

  return TRUE;
}

void
dsd_api_register_all (DsdRouter  *router,
                      DsdContext *context)
{
  dsd_api_register_ops (router, context);
  dsd_api_register_auth (router, context);
  dsd_api_register_users (router, context);
  dsd_api_register_drivers (router, context);
  dsd_api_register_dispatch (router, context);
  dsd_api_register_orders (router, context);
  dsd_api_register_proof (router, context);
  dsd_api_register_inventory (router, context);
  dsd_api_register_tracking (router, context);
  dsd_api_register_webhooks (router, context);
  dsd_api_register_zones (router, context);
  dsd_api_register_teams (router, context);
  dsd_api_register_customers (router, context);
  dsd_api_register_reports (router, context);
  dsd_api_register_history (router, context);
}
