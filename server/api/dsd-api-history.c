/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-api"

#include "dispatch-limits.h"
#include "dsd-api.h"

/*
 * GET /api/v1/history?from=&to=&step_s=: what happened in a period, for
 * replay: {"from","to","step_s","frames":[...]}, the frames oldest first
 * (dispatch.history_page, functions/18-history.sql), streamed
 * DISPATCH_HISTORY_PAGE_FRAMES at a time.
 */

static const char history_page_sql[] =
  "SELECT * FROM dispatch.history_page($1::jsonb, $2::timestamptz, $3::timestamptz,"
  " $4::integer, $5, $6::integer)";

static void
history_cb (DsdRequest *request,
            gpointer    user_data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *from = NULL;
  g_autofree char *to = NULL;
  g_autofree char *actor = NULL;
  g_autofree char *step_text = NULL;
  gint64 step = 0;

  if (!dsd_api_get_period (request, DISPATCH_HISTORY_MAX_HOURS, &from, &to, &error) ||
      !dsd_api_get_int_query (request, "step_s", DISPATCH_HISTORY_MIN_STEP_S,
                              DISPATCH_HISTORY_MAX_STEP_S, DISPATCH_HISTORY_STEP_S, &step,
                              &error))
    {
      dsd_request_respond_error (request, error);
      return;
    }

  actor = dsd_request_dup_actor_json (request);
  step_text = g_strdup_printf ("%" G_GINT64_FORMAT, step);
  dsd_api_respond_paged (request, user_data,
                         g_strdup_printf ("{\"from\":\"%s\",\"to\":\"%s\",\"step_s\":%s,"
                                          "\"frames\":[", from, to, step_text),
                         DISPATCH_HISTORY_PAGE_FRAMES, history_page_sql, 4,
                         (const char * const[]) { actor, from, to, step_text });
}

void
dsd_api_register_history (DsdRouter  *router,
                          DsdContext *context)
{
  dsd_router_add (router, "GET", "/api/v1/history", DSD_ROLES_STAFF, history_cb, context);
}
