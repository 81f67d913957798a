/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-api"

#include <libpq-fe.h>

#include "dispatch-csv.h"
#include "dsd-api.h"
#include "dsd-pg-pool.h"

/*
 * Answers streamed a page at a time (reports, exports, history): each page
 * query takes the key of the previous page's last row (its last column, not
 * written) and the next page is fetched once the previous one has gone out.
 * A page that is not full is the last.
 */

#define TEXTOID 25
#define VARCHAROID 1043

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
          g_warning ("streamed answer stopped: %s", error->message);
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

void
dsd_api_respond_paged (DsdRequest         *request,
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

gboolean
dsd_api_get_period (DsdRequest  *request,
                    guint        max_hours,
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
  if (to_us - from_us > (gint64) max_hours * G_USEC_PER_SEC * 3600)
    {
      if (max_hours % 24 == 0 && max_hours > 24)
        dispatch_set_field_error (error, DISPATCH_ERROR_INVALID_ARGUMENT, "to",
                                  "the period must be at most %u days", max_hours / 24);
      else
        dispatch_set_field_error (error, DISPATCH_ERROR_INVALID_ARGUMENT, "to",
                                  "the period must be at most %u hours", max_hours);
      return FALSE;
    }
  return TRUE;
}
