/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-api"

#include <libpq-fe.h>
#include <string.h>

#include "dispatch-csv.h"
#include "dispatch-limits.h"
#include "dsd-api.h"
#include "dsd-pg-pool.h"

/*
 * GET /api/v1/reports/figures: the figures of a period by hour, day or
 * driver (dispatch.report_rows, docs/reports.md), as JSON or CSV;
 * GET /api/v1/reports/orders: the orders created in a period, as CSV;
 * GET /api/v1/reports/demand: their pickups counted per grid cell
 * (dispatch.report_demand), in the caller's scope, as JSON.
 * The first two are streamed a page at a time (DISPATCH_REPORT_PAGE_BUCKETS buckets
 * of a report, DISPATCH_EXPORT_BATCH_ROWS orders): each page query takes the
 * key of the previous page's last row (its last column, not written) and
 * the next page is fetched once the previous one has gone out. A page that
 * is not full is the last.
 */

#define TEXTOID 25
#define VARCHAROID 1043

static const char figures_json_sql[] =
  "SELECT * FROM dispatch.report_json_page($1::timestamptz, $2::timestamptz, $3, $4,"
  " $5::integer)";
static const char figures_page_sql[] =
  "SELECT * FROM dispatch.report_page($1::timestamptz, $2::timestamptz, $3, $4, $5::integer)";
static const char orders_page_sql[] =
  "SELECT * FROM dispatch.report_orders_page($1::timestamptz, $2::timestamptz, $3, $4::integer)";

/* One streamed answer on its way out. */
typedef struct {
  DsdRequest *request;
  DsdPgPool  *pool;
  const char *sql;
  GPtrArray  *params;      /* the query's own, the key after which to start, the page size */
  int         page_rows;
  char       *json_head;   /* JSON: what comes before the rows; NULL: CSV */
  guint       rows_sent;
  gboolean    header_sent;
} Export;

static void
export_free (Export *export)
{
  dsd_request_unref (export->request);
  g_object_unref (export->pool);
  g_ptr_array_unref (export->params);
  g_free (export->json_head);
  g_free (export);
}

static void fetch_page (Export *export);

static void
page_drained_cb (DsdRequest *request,
                 gpointer    user_data)
{
  fetch_page (user_data);
}

static void
append_header (GString        *out,
               const PGresult *rows)
{
  for (int c = 0; c + 1 < PQnfields (rows); c++)
    dispatch_csv_append_field (out, PQfname (rows, c), FALSE, c == 0);
  dispatch_csv_end_record (out);
}

/* JSON: column 0 of each row is one element of "rows". */
static void
append_json_rows (Export      *export,
                  GString        *out,
                  const PGresult *rows)
{
  for (int r = 0; r < PQntuples (rows); r++)
    {
      if (export->rows_sent++ > 0)
        g_string_append_c (out, ',');
      g_string_append_len (out, PQgetvalue (rows, r, 0), PQgetlength (rows, r, 0));
    }
}

static void
append_csv_rows (GString        *out,
                 const PGresult *rows)
{
  for (int r = 0; r < PQntuples (rows); r++)
    {
      for (int c = 0; c + 1 < PQnfields (rows); c++)
        {
          Oid type = PQftype (rows, c);

          dispatch_csv_append_field (out, PQgetvalue (rows, r, c),
                                     type == TEXTOID || type == VARCHAROID, c == 0);
        }
      dispatch_csv_end_record (out);
    }
}

static void
page_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Export *export = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) out = g_string_new (NULL);
  g_autoptr(GBytes) chunk = NULL;
  PGresult *rows = dsd_pg_pool_query_finish (export->pool, result, &error);
  int n;

  if (rows == NULL)
    {
      /* Before the first byte the error still gets its envelope; later the
       * connection is cut, so the client never takes a partial file for a whole. */
      if (!export->header_sent)
        dsd_request_respond_error (export->request, error);
      else
        {
          g_warning ("CSV export stopped: %s", error->message);
          dsd_request_stream_abort (export->request);
        }
      export_free (export);
      return;
    }

  n = PQntuples (rows);
  if (!export->header_sent)
    {
      dsd_request_stream_begin (export->request, 200, export->json_head != NULL
                                                      ? "application/json"
                                                      : "text/csv; charset=utf-8");
      if (export->json_head != NULL)
        g_string_append (out, export->json_head);
      else
        append_header (out, rows);
      export->header_sent = TRUE;
    }
  if (export->json_head != NULL)
    append_json_rows (export, out, rows);
  else
    append_csv_rows (out, rows);
  if (n < export->page_rows && export->json_head != NULL)
    g_string_append (out, "]}");
  if (n > 0)
    {
      g_free (g_ptr_array_index (export->params, export->params->len - 2));
      g_ptr_array_index (export->params, export->params->len - 2) =
        g_strdup (PQgetvalue (rows, n - 1, PQnfields (rows) - 1));
    }
  PQclear (rows);

  chunk = g_string_free_to_bytes (g_steal_pointer (&out));
  if (n < export->page_rows || !dsd_request_stream_is_open (export->request))
    {
      dsd_request_stream_write (export->request, chunk, NULL, NULL);
      dsd_request_stream_end (export->request);
      export_free (export);
      return;
    }
  dsd_request_stream_write (export->request, chunk, page_drained_cb, export);
}

static void
fetch_page (Export *export)
{
  if (export->header_sent && !dsd_request_stream_is_open (export->request))
    {
      export_free (export);
      return;
    }
  dsd_pg_pool_query_async (export->pool, export->sql, export->params->len,
                           (const char * const *) export->params->pdata, NULL, page_cb, export);
}

/* Streams sql(params..., after key, page_rows) as CSV, or with json_head
 * (taken) as the JSON object it opens, the rows' array closed at the end. */
static void
respond_paged (DsdRequest         *request,
               DsdContext         *context,
               char               *json_head,
               int                 page_rows,
               const char         *sql,
               int                 n_params,
               const char * const *params)
{
  Export *export = g_new0 (Export, 1);

  export->request = dsd_request_ref (request);
  export->pool = g_object_ref (dsd_context_get (context, DSD_TYPE_PG_POOL));
  export->sql = sql;
  export->page_rows = page_rows;
  export->json_head = json_head;
  export->params = g_ptr_array_new_with_free_func (g_free);
  for (int i = 0; i < n_params; i++)
    g_ptr_array_add (export->params, g_strdup (params[i]));
  g_ptr_array_add (export->params, NULL);
  g_ptr_array_add (export->params, g_strdup_printf ("%d", page_rows));
  fetch_page (export);
}

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

/* from and to (required, from < to, at most max_days apart), normalised. */
static gboolean
get_period (DsdRequest  *request,
            guint        max_days,
            char       **out_from,
            char       **out_to,
            GError     **error)
{
  gint64 from_us = 0;
  gint64 to_us = 0;

  if (!dsd_api_get_time_query (request, "from", out_from, error) ||
      !dsd_api_get_time_query (request, "to", out_to, error))
    return FALSE;
  if (*out_from == NULL || *out_to == NULL)
    {
      const char *name = *out_from == NULL ? "from" : "to";

      dispatch_set_field_error (error, DISPATCH_ERROR_INVALID_ARGUMENT, name,
                                "%s is required", name);
      return FALSE;
    }
  dispatch_parse_timestamp (*out_from, &from_us);
  dispatch_parse_timestamp (*out_to, &to_us);
  if (to_us <= from_us)
    {
      dispatch_set_field_error (error, DISPATCH_ERROR_INVALID_ARGUMENT, "to",
                                "to must be after from");
      return FALSE;
    }
  if (to_us - from_us > (gint64) max_days * G_USEC_PER_SEC * 86400)
    {
      dispatch_set_field_error (error, DISPATCH_ERROR_INVALID_ARGUMENT, "to",
                                "the period must be at most %u days", max_days);
      return FALSE;
    }
  return TRUE;
}

/* group_by: hour, day or driver; zone and team are reserved for when the
 * server has zones and teams. */
static gboolean
get_group (DsdRequest  *request,
           const char **out_group,
           GError     **error)
{
  const char *group = dsd_request_get_query (request, "group_by");

  if (group == NULL)
    group = "day";
  if (g_str_equal (group, "zone") || g_str_equal (group, "team"))
    {
      dispatch_set_field_error (error, DISPATCH_ERROR_INVALID_ARGUMENT, "group_by",
                                "group_by=%s is not available yet", group);
      return FALSE;
    }
  if (!g_str_equal (group, "hour") && !g_str_equal (group, "day") &&
      !g_str_equal (group, "driver"))
    {
      dispatch_set_field_error (error, DISPATCH_ERROR_INVALID_ARGUMENT, "group_by",
                                "group_by must be hour, day or driver");
      return FALSE;
    }
  *out_group = group;
  return TRUE;
}

static void
figures_cb (DsdRequest *request,
            gpointer    user_data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *from = NULL;
  g_autofree char *to = NULL;
  const char *group = NULL;
  gboolean csv = FALSE;
  char *head;

  if (!get_group (request, &group, &error) ||
      !get_period (request,
                   g_str_equal (group, "hour") ? DISPATCH_REPORT_HOURLY_MAX_DAYS
                                               : DISPATCH_REPORT_MAX_DAYS,
                   &from, &to, &error) ||
      !wants_csv (request, &csv, &error))
    {
      dsd_request_respond_error (request, error);
      return;
    }

  head = csv ? NULL : g_strdup_printf ("{\"from\":\"%s\",\"to\":\"%s\",\"group_by\":\"%s\","
                                       "\"rows\":[", from, to, group);
  respond_paged (request, user_data, head, DISPATCH_REPORT_PAGE_BUCKETS,
                 csv ? figures_page_sql : figures_json_sql, 3,
                 (const char * const[]) { from, to, group });
}

static void
orders_cb (DsdRequest *request,
           gpointer    user_data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *from = NULL;
  g_autofree char *to = NULL;

  if (!get_period (request, DISPATCH_REPORT_MAX_DAYS, &from, &to, &error))
    {
      dsd_request_respond_error (request, error);
      return;
    }

  respond_paged (request, user_data, NULL, DISPATCH_EXPORT_BATCH_ROWS, orders_page_sql, 2,
                 (const char * const[]) { from, to });
}

/* cell: metres, DISPATCH_DEMAND_MIN_CELL_M..MAX, default DEFAULT. */
static gboolean
get_cell (DsdRequest  *request,
          char       **out_cell,
          GError     **error)
{
  const char *text = dsd_request_get_query (request, "cell");
  gint64 cell = DISPATCH_DEMAND_DEFAULT_CELL_M;

  if (text != NULL &&
      !g_ascii_string_to_signed (text, 10, DISPATCH_DEMAND_MIN_CELL_M,
                                 DISPATCH_DEMAND_MAX_CELL_M, &cell, NULL))
    {
      dispatch_set_field_error (error, DISPATCH_ERROR_INVALID_ARGUMENT, "cell",
                                "cell must be an integer within [%d, %d]",
                                DISPATCH_DEMAND_MIN_CELL_M, DISPATCH_DEMAND_MAX_CELL_M);
      return FALSE;
    }
  *out_cell = g_strdup_printf ("%" G_GINT64_FORMAT, cell);
  return TRUE;
}

static void
demand_cb (DsdRequest *request,
           gpointer    user_data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *from = NULL;
  g_autofree char *to = NULL;
  g_autofree char *cell = NULL;
  g_autofree char *actor = NULL;
  g_autofree char *max_cells = g_strdup_printf ("%d", DISPATCH_DEMAND_MAX_CELLS);

  if (!get_period (request, DISPATCH_REPORT_MAX_DAYS, &from, &to, &error) ||
      !get_cell (request, &cell, &error))
    {
      dsd_request_respond_error (request, error);
      return;
    }

  actor = dsd_request_dup_actor_json (request);
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
