/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-api"

#include "dispatch-limits.h"
#include "dsd-api.h"

static const char put_sql[] =
  "SELECT dispatch.inventory_put($1::jsonb, $2, $3::bigint, $4)::text";
static const char get_sql[] =
  "SELECT dispatch.inventory_get($1::jsonb, $2)::text";

static void
put_item_cb (DsdRequest *request,
             gpointer    user_data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *actor = dsd_request_dup_actor_json (request);
  g_autofree char *quantity_text = NULL;
  const char *sku = dsd_request_get_param (request, "sku");
  const char *name = NULL;
  gint64 quantity = 0;
  JsonObject *body;

  body = dsd_request_get_json_object (request, &error);
  if (body == NULL ||
      !dispatch_json_get_int (body, NULL, "quantity", DISPATCH_JSON_REQUIRED, 0, DISPATCH_STOCK_MAX,
                              &quantity, &error) ||
      !dispatch_json_get_string (body, NULL, "name", DISPATCH_JSON_NULLABLE,
                                 DISPATCH_NAME_MAX_LENGTH,
                                 &name, &error))
    {
      dsd_request_respond_error (request, error);
      return;
    }

  if (g_utf8_strlen (sku, -1) > DISPATCH_SKU_MAX_LENGTH)
    {
      dispatch_set_field_error (&error, DISPATCH_ERROR_INVALID_ARGUMENT, "sku",
                                "sku must be at most %d characters", DISPATCH_SKU_MAX_LENGTH);
      dsd_request_respond_error (request, error);
      return;
    }

  quantity_text = g_strdup_printf ("%" G_GINT64_FORMAT, quantity);
  dsd_api_respond_query (request, user_data, 200, put_sql, 4,
                         (const char * const[]) { actor, sku, quantity_text, name });
}

static void
get_item_cb (DsdRequest *request,
             gpointer    user_data)
{
  g_autofree char *actor = dsd_request_dup_actor_json (request);

  dsd_api_respond_query (request, user_data, 200, get_sql, 2,
                         (const char * const[]) { actor, dsd_request_get_param (request, "sku") });
}

void
dsd_api_register_inventory (DsdRouter  *router,
                            DsdContext *context)
{
  dsd_router_add (router, "PUT", "/api/v1/inventory/{sku}", DSD_ROLE_ADMIN, put_item_cb, context);
  dsd_router_add (router, "GET", "/api/v1/inventory/{sku}", DSD_ROLES_STAFF, get_item_cb, context);
}
