/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-api"

#include "dsd-api.h"
#include "dsd-tracking-expiry.h"

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

static gboolean
check_expiry (const char  *text,
              gsize        length,
              DsdContext  *context,
              GError     **error)
{
  return dsd_tracking_expiry_check (text, length,
                                    dsd_clock_get_real_us (dsd_context_get_clock (context)),
                                    dsd_context_get_config (context)->tracking_expiry_s, error);
}

static void
public_tracking_cb (DsdRequest *request,
                    gpointer    user_data)
{
  const char *token = dsd_request_get_param (request, "token");

  dsd_api_respond_cached_checked (request, user_data, "track", NULL, token, TRACKING_TTL_S,
                                  check_expiry, public_sql, 1, (const char * const[]) { token });
}

void
dsd_api_register_tracking (DsdRouter  *router,
                           DsdContext *context)
{
  dsd_router_add (router, "GET", "/api/v1/orders/{id}/tracking", DSD_ROLES_ANY,
                  tracking_cb, context);
  dsd_router_add (router, "GET", "/api/v1/track/{token}", 0, public_tracking_cb, context);
}
