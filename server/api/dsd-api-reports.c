/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-api"

#include <libpq-fe.h>
#include <string.h>

#include "dispatch-limits.h"
#include "dsd-api.h"

/*
 * GET /api/v1/reports/figures: the figures of a period by hour or day and by
 * zone, team or driver (dispatch.report_rows, docs/reports.md), as JSON or
 * CSV, as far as the caller's scope reaches;
 * GET /api/v1/reports/orders: the orders created in a period, as CSV;
 * GET /api/v1/reports/demand: their pickups counted per grid cell
 * (dispatch.report_demand), in the caller's scope, as JSON.
 * The first two are streamed a page at a time (dsd_api_respond_paged():
 * DISPATCH_REPORT_PAGE_BUCKETS buckets of a report, DISPATCH_EXPORT_BATCH_ROWS
 * orders).
 */

#define HOUR_US (G_USEC_PER_SEC * (gint64) 3600)

static const char figures_json_sql[] =
  "SELECT * FROM dispatch.report_json_page($1::jsonb, $2::timestamptz, $3::timestamptz, $4,"
  " $5, $6, $7::integer)";
static const char figures_page_sql[] =
  "SELECT * FROM dispatch.report_page($1::jsonb, $2::timestamptz, $3::timestamptz, $4, $5,"
  " $6, $7::integer)";
static const char orders_page_sql[] =
  "SELECT * FROM dispatch.report_orders_page($1::jsonb, $2::timestamptz, $3::timestamptz, $4,"
  " $5::integer)";

/* format=csv or json (default json, or csv when Accept asks for text/csv). */
static gboolean
wants_csv (DsdRequest  *request,
           gboolean    *out_csv,
           GError     **error)
{
  const char *format = dsd_request_get_query (request, "format");
  const char *accept = dsd_request_get_header (request, "Accept");

  if (format == NULL)
    {
      *out_csv = accept != NULL && strstr (accept, "text/csv") != NULL;
      return TRUE;
    }
  if (g_str_equal (format, "csv") || g_str_equal (format, "json"))
    {
      *out_csv = g_str_equal (format, "csv");
      return TRUE;
    }
  dispatch_set_field_error (error, DISPATCH_ERROR_INVALID_ARGUMENT, "format",
                            "format must be json or csv");
  return FALSE;
}

/* from and to (dsd_api_get_period) are whole UTC hours, or an error. */
static gboolean
check_whole_hours (const char  *from,
                   const char  *to,
                   GError     **error)
{
  gint64 from_us = 0;
  gint64 to_us = 0;
  const char *name;

  dispatch_parse_timestamp (from, &from_us);
  dispatch_parse_timestamp (to, &to_us);
  if (from_us % HOUR_US == 0 && to_us % HOUR_US == 0)
    return TRUE;
  name = from_us % HOUR_US != 0 ? "from" : "to";
  dispatch_set_field_error (error, DISPATCH_ERROR_INVALID_ARGUMENT, name,
                            "%s must be a whole hour (UTC)", name);
  return FALSE;
}

/* group_by: a unit (hour, day), a dimension (zone, team, driver) or both,
 * comma-separated; out_unit NULL: the whole period as one row, out_dim
 * NULL: everything together. Neither: by day. */
static gboolean
get_group (DsdRequest  *request,
           const char **out_unit,
           const char **out_dim,
           GError     **error)
{
  static const char * const units[] = { "hour", "day", NULL };
  static const char * const dims[] = { "zone", "team", "driver", NULL };
  const char *group = dsd_request_get_query (request, "group_by");
  g_auto(GStrv) parts = g_strsplit (group != NULL ? group : "day", ",", 3);

  *out_unit = NULL;
  *out_dim = NULL;
  for (guint i = 0; parts[i] != NULL; i++)
    {
      for (guint u = 0; units[u] != NULL && *out_unit == NULL; u++)
        if (g_str_equal (parts[i], units[u]))
          *out_unit = units[u];
      for (guint d = 0; dims[d] != NULL && *out_dim == NULL; d++)
        if (g_str_equal (parts[i], dims[d]))
          *out_dim = dims[d];
      if (i > 1 || (*out_unit == NULL && *out_dim == NULL) ||
          (i == 1 && (*out_unit == NULL || *out_dim == NULL)))
        {
          dispatch_set_field_error (error, DISPATCH_ERROR_INVALID_ARGUMENT, "group_by",
                                    "group_by must be hour or day, zone, team or driver, "
                                    "or a unit and a dimension (day,zone)");
          return FALSE;
        }
    }
  return TRUE;
}

static void
figures_cb (DsdRequest *request,
            gpointer    user_data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *from = NULL;
  g_autofree char *to = NULL;
  g_autofree char *actor = dsd_request_dup_actor_json (request);
  const char *unit = NULL;
  const char *dim = NULL;
  gboolean csv = FALSE;
  char *head;

  if (!get_group (request, &unit, &dim, &error) ||
      !dsd_api_get_period (request,
                           24 * (g_strcmp0 (unit, "hour") == 0 ? DISPATCH_REPORT_HOURLY_MAX_DAYS
                                                               : DISPATCH_REPORT_MAX_DAYS),
                           &from, &to, &error) ||
      !check_whole_hours (from, to, &error) ||
      !wants_csv (request, &csv, &error))
    {
      dsd_request_respond_error (request, error);
      return;
    }

  head = csv ? NULL : g_strdup_printf ("{\"from\":\"%s\",\"to\":\"%s\",\"group_by\":\"%s%s%s\","
                                       "\"rows\":[", from, to, unit != NULL ? unit : "",
                                       unit != NULL && dim != NULL ? "," : "",
                                       dim != NULL ? dim : "");
  dsd_api_respond_paged (request, user_data, head, DISPATCH_REPORT_PAGE_BUCKETS,
                         csv ? figures_page_sql : figures_json_sql, 5,
                         (const char * const[]) { actor, from, to, unit, dim });
}

static void
orders_cb (DsdRequest *request,
           gpointer    user_data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *from = NULL;
  g_autofree char *to = NULL;
  g_autofree char *actor = NULL;

  if (!dsd_api_get_period (request, 24 * DISPATCH_REPORT_MAX_DAYS, &from, &to, &error))
    {
      dsd_request_respond_error (request, error);
      return;
    }

  /* A dispatcher scoped to teams exports their teams' orders only. */
  actor = dsd_request_dup_actor_json (request);
  dsd_api_respond_paged (request, user_data, NULL, DISPATCH_EXPORT_BATCH_ROWS,
                         orders_page_sql, 3, (const char * const[]) { actor, from, to });
}

static void
demand_cb (DsdRequest *request,
           gpointer    user_data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *from = NULL;
  g_autofree char *to = NULL;
  g_autofree char *cell = NULL;
  gint64 cell_m = 0;
  g_autofree char *actor = NULL;
  g_autofree char *max_cells = g_strdup_printf ("%d", DISPATCH_DEMAND_MAX_CELLS);

  if (!dsd_api_get_period (request, 24 * DISPATCH_REPORT_MAX_DAYS, &from, &to, &error) ||
      !dsd_api_get_int_query (request, "cell", DISPATCH_DEMAND_MIN_CELL_M,
                              DISPATCH_DEMAND_MAX_CELL_M, DISPATCH_DEMAND_DEFAULT_CELL_M, &cell_m,
                              &error))
    {
      dsd_request_respond_error (request, error);
      return;
    }

  actor = dsd_request_dup_actor_json (request);
  cell = g_strdup_printf ("%" G_GINT64_FORMAT, cell_m);
  dsd_api_respond_query (request, user_data, 200,
                         "SELECT dispatch.report_demand($1::jsonb, $2::timestamptz,"
                         " $3::timestamptz, $4::integer, $5::integer)",
                         5, (const char * const[]) { actor, from, to, cell, max_cells });
}

void
dsd_api_register_reports (DsdRouter  *router,
                          DsdContext *context)
{
  dsd_router_add (router, "GET", "/api/v1/reports/figures", DSD_ROLES_STAFF, figures_cb,
                  context);
  dsd_router_add (router, "GET", "/api/v1/reports/orders", DSD_ROLES_STAFF, orders_cb, context);
  dsd_router_add (router, "GET", "/api/v1/reports/demand", DSD_ROLES_STAFF, demand_cb, context);
}
