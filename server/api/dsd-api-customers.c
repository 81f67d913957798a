/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-api"

#include "dsd-api.h"

/* One customer's personal data (admin): export and erasure
 * (data/sql/functions/15-personal-data.sql). */

static const char export_sql[] = "SELECT dispatch.customer_data($1::jsonb, $2)::text";
static const char erase_sql[] = "SELECT dispatch.customer_erase($1::jsonb, $2)::text";

static void
respond (DsdRequest *request,
         DsdContext *context,
         const char *sql)
{
  g_autofree char *actor = dsd_request_dup_actor_json (request);

  dsd_api_respond_query (request, context, 200, sql, 2,
                         (const char * const[]) { actor, dsd_request_get_param (request, "id") });
}

static void
export_cb (DsdRequest *request,
           gpointer    user_data)
{
  respond (request, user_data, export_sql);
}

static void
erase_cb (DsdRequest *request,
          gpointer    user_data)
{
  respond (request, user_data, erase_sql);
}

void
dsd_api_register_customers (DsdRouter  *router,
                            DsdContext *context)
{
  dsd_router_add (router, "GET", "/api/v1/customers/{id}/personal-data", DSD_ROLE_ADMIN,
                  export_cb, context);
  dsd_router_add (router, "DELETE", "/api/v1/customers/{id}/personal-data", DSD_ROLE_ADMIN,
                  erase_cb, context);
}
