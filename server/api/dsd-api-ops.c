/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-api"

#include "dispatch-model.h"
#include "dsd-api.h"
#include "dsd-cache.h"
#include "dsd-event-bus.h"
#include "dsd-pg-pool.h"

#define ORDERS_GAUGE "dispatch_orders"

static const char counts_sql[] = "SELECT dispatch.order_counts()::text";
static const char ping_sql[] = "SELECT 1";

#define READY_TIMEOUT_MS 1000

static void
healthz_cb (DsdRequest *request,
            gpointer    user_data)
{
  static const char body[] = "{\"status\":\"ok\"}";

  dsd_request_respond_json_text (request, 200, body, sizeof body - 1);
}

static void
respond_ready (DsdRequest *request,
               DsdContext *context,
               gboolean    database_up)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "status");
  json_builder_add_string_value (builder, database_up ? "ready" : "not_ready");
  json_builder_set_member_name (builder, "components");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "database");
  json_builder_add_string_value (builder, database_up ? "up" : "down");
  /* The in-process bus is part of this process and always up; Kafka is up
   * while it answers metadata requests. Serving goes on without it (events
   * wait in the outbox), so it does not make the instance unready. */
  json_builder_set_member_name (builder, "bus");
  json_builder_add_string_value (builder,
                                 dsd_event_bus_is_up (dsd_context_get (context, DSD_TYPE_EVENT_BUS))
                                 ? "up" : "down");
  /* The cache is optional: Redis down, the instance serves from PostgreSQL
   * and counts limits locally (R3). */
  json_builder_set_member_name (builder, "cache");
  json_builder_add_string_value (builder,
                                 dsd_cache_is_up (dsd_context_get (context, DSD_TYPE_CACHE))
                                 ? "up" : "down");
  json_builder_end_object (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  if (!database_up)
    dsd_request_set_retry_after (request, 1);
  dsd_request_respond_json (request, database_up ? 200 : 503, root);
}

/* A real query answers within READY_TIMEOUT_MS, or the database is "down"
 * (a stopped server keeps its connections open: the pool alone would not know). */
typedef struct {
  DsdRequest *request;
  DsdContext *context;
  guint       timeout_id;
  gboolean    answered;
} ReadyCheck;

static void
ready_check_clear (ReadyCheck *check)
{
  dsd_request_unref (check->request);
}

static void
ready_check_release (gpointer data)
{
  g_rc_box_release_full (data, (GDestroyNotify) ready_check_clear);
}

static void
ready_check_answer (ReadyCheck *check,
                    gboolean    database_up)
{
  if (check->answered)
    return;

  check->answered = TRUE;
  g_clear_handle_id (&check->timeout_id, g_source_remove);
  respond_ready (check->request, check->context, database_up);
}

static gboolean
ready_timeout_cb (gpointer user_data)
{
  ReadyCheck *check = user_data;

  check->timeout_id = 0;
  ready_check_answer (check, FALSE);

  return G_SOURCE_REMOVE;
}

static void
pinged_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  ReadyCheck *check = user_data;
  g_autoptr(PGresult) rows = dsd_pg_pool_query_finish (DSD_PG_POOL (source), result, NULL);

  ready_check_answer (check, rows != NULL);
  ready_check_release (check);
}

static void
readyz_cb (DsdRequest *request,
           gpointer    user_data)
{
  DsdContext *context = user_data;
  ReadyCheck *check = g_rc_box_new0 (ReadyCheck);

  check->request = dsd_request_ref (request);
  check->context = context;
  check->timeout_id = g_timeout_add_full (G_PRIORITY_DEFAULT, READY_TIMEOUT_MS,
                                          ready_timeout_cb, g_rc_box_acquire (check),
                                          ready_check_release);
  dsd_pg_pool_query_async (dsd_context_get (context, DSD_TYPE_PG_POOL), ping_sql, 0, NULL, NULL,
                           pinged_cb, check);
}

static void
respond_metrics (DsdRequest *request,
                 DsdContext *context)
{
  g_autofree char *text = dsd_metrics_render (dsd_context_get_metrics (context));
  gsize length = strlen (text);
  g_autoptr(GBytes) body = g_bytes_new_take (g_steal_pointer (&text), length);

  dsd_request_respond_bytes (request, 200, "text/plain; version=0.0.4; charset=utf-8", body);
}

typedef struct {
  DsdRequest *request;
  DsdContext *context;
} MetricsCall;

static void
metrics_call_free (MetricsCall *call)
{
  dsd_request_unref (call->request);
  g_free (call);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MetricsCall, metrics_call_free)

static void
counts_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(MetricsCall) call = user_data;
  DsdMetrics *metrics = dsd_context_get_metrics (call->context);
  g_autoptr(PGresult) rows = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) counts = NULL;

  rows = dsd_pg_pool_query_finish (DSD_PG_POOL (source), result, &error);
  if (rows != NULL && PQntuples (rows) == 1)
    counts = dispatch_json_parse_object (PQgetvalue (rows, 0, 0), -1, &error);

  /* Without the database the gauge is left out rather than shown stale. */
  dsd_metrics_gauge_clear (metrics, ORDERS_GAUGE);
  for (const char * const *status_name = dispatch_enum_names (DISPATCH_TYPE_ORDER_STATUS);
       counts != NULL && *status_name != NULL; status_name++)
    {
      const char *status = *status_name;
      const char *labels[] = { status, NULL };

      if (json_object_has_member (counts, status))
        dsd_metrics_gauge_set (metrics, ORDERS_GAUGE, labels,
                               json_object_get_int_member (counts, status));
    }

  respond_metrics (call->request, call->context);
}

static void
metrics_cb (DsdRequest *request,
            gpointer    user_data)
{
  MetricsCall *call = g_new0 (MetricsCall, 1);

  call->request = dsd_request_ref (request);
  call->context = user_data;
  dsd_pg_pool_query_async (dsd_context_get (call->context, DSD_TYPE_PG_POOL), counts_sql, 0,
                           NULL, NULL, counts_cb, call);
}

static void
openapi_cb (DsdRequest *request,
            gpointer    user_data)
{
  g_autoptr(GBytes) document = NULL;

  document = g_resources_lookup_data ("/io/github/dispatchd/server/openapi.json",
                                      G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
  g_assert (document != NULL);
  dsd_request_respond_bytes (request, 200, "application/json", document);
}

void
dsd_api_register_ops (DsdRouter  *router,
                      DsdContext *context)
{
  const char *labels[] = { "status", NULL };

  dsd_metrics_register_gauge (dsd_context_get_metrics (context), ORDERS_GAUGE,
                              "Orders by status", labels);

  dsd_router_add (router, "GET", "/healthz", 0, healthz_cb, context);
  dsd_router_add (router, "GET", "/readyz", 0, readyz_cb, context);
  dsd_router_add (router, "GET", "/metrics", 0, metrics_cb, context);
  dsd_router_add (router, "GET", "/api/v1/openapi.json", 0, openapi_cb, context);
}
