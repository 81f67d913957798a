/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-api"

#include "dsd-api.h"

static const char tracking_sql[] =
  "SELECT dispatch.order_tracking($1::jsonb, $2)::text";
static const char public_sql[] =
  "SELECT dispatch.track_public($1)::text";

/* Cached tracking objects are invalidated by the order's events; the
 * driver's position and the ETA in them (moved without an order event) may be
 * this old. The live streams carry every position. */
#define TRACKING_TTL_S 5

static void
tracking_cb (DsdRequest *request,
             gpointer    user_data)
{
  g_autofree char *actor = dsd_request_dup_actor_json (request);
  const char *id = dsd_request_get_param (request, "id");

  dsd_api_respond_cached (request, user_data, "tracking", id, id, TRACKING_TTL_S, tracking_sql,
                          2, (const char * const[]) { actor, id });
}

static void
public_tracking_cb (DsdRequest *request,
                    gpointer    user_data)
{
  const char *token = dsd_request_get_param (request, "token");

  dsd_api_respond_cached (request, user_data, "track", NULL, token, TRACKING_TTL_S, public_sql,
                          1, (const char * const[]) { token });
}

void
dsd_api_register_tracking (DsdRouter  *router,
                           DsdContext *context)
{
  dsd_router_add (router, "GET", "/api/v1/orders/{id}/tracking", DSD_ROLES_ANY,
                  tracking_cb, context);
  dsd_router_add (router, "GET", "/api/v1/track/{token}", 0, public_tracking_cb, context);
}
