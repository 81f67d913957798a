/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-api"

#include "dsd-api.h"

static const char tracking_sql[] =
  "SELECT dispatch.order_tracking($1::jsonb, $2)::text";
static const char public_sql[] =
  "SELECT dispatch.track_public($1)::text";

static void
tracking_cb (DsdRequest *request,
             gpointer    user_data)
{
  g_autofree char *actor = dsd_request_dup_actor_json (request);

  dsd_api_respond_query (request, user_data, 200, tracking_sql, 2,
                         (const char * const[]) { actor, dsd_request_get_param (request, "id") });
}

static void
public_tracking_cb (DsdRequest *request,
                    gpointer    user_data)
{
  dsd_api_respond_query (request, user_data, 200, public_sql, 1,
                         (const char * const[]) { dsd_request_get_param (request, "token") });
}

void
dsd_api_register_tracking (DsdRouter  *router,
                           DsdContext *context)
{
  dsd_router_add (router, "GET", "/api/v1/orders/{id}/tracking", DSD_ROLES_ANY,
                  tracking_cb, context);
  dsd_router_add (router, "GET", "/api/v1/track/{token}", 0, public_tracking_cb, context);
}
