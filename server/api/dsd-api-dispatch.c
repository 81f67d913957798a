/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-api"

#include "dsd-api.h"

static const char auto_dispatch_sql[] =
  "SELECT dispatch.driver_set_auto_dispatch($1::jsonb, $2, $3::boolean)::text";

/* POST /drivers/{id}/auto-dispatch {"auto_dispatch": bool}: pauses or resumes
 * automatic dispatch for the driver. */
static void
set_auto_dispatch_cb (DsdRequest *request,
                      gpointer    user_data)
{
  dsd_api_respond_id_flag (request, user_data, "auto_dispatch", auto_dispatch_sql);
}

void
dsd_api_register_dispatch (DsdRouter  *router,
                           DsdContext *context)
{
  dsd_router_add (router, "POST", "/api/v1/drivers/{id}/auto-dispatch", DSD_ROLES_STAFF,
                  set_auto_dispatch_cb, context);
}
