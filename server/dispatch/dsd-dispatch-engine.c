/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-dispatch"

#include <math.h>
#include <string.h>

#include "dispatch-geo.h"
#include "dispatch-json.h"
#include "dsd-dispatch-engine.h"
#include "dsd-eta-tracker.h"
#include "dsd-match.h"
#include "dsd-order-book.h"
#include "dsd-pickup-time.h"

/* Pending orders one round looks at (the longest waiting). */
#define ROUND_LIMIT "20000"
/* Above this many open orders the immediate path leaves everything to the
 * rounds: one immediate decision plans against every open order. */
#define MAX_IMMEDIATE_ORDERS 1000
/* From this many orders a round lists the available drivers once (build_match). */
#define ALL_AVAILABLE_MIN_ORDERS 64
#define BACKOFF_MAX_S 60
#define EXPLAINED_CANDIDATES 5
#define EXPIRY_SLACK_MS 100

#define ATTEMPTS_METRIC "dispatch_assignment_attempts_total"
#define SUCCESS_METRIC "dispatch_assignment_success_total"
#define LATENCY_METRIC "dispatch_assignment_latency_seconds"
#define PENDING_METRIC "dispatch_pending_orders"
#define ROUNDS_METRIC "dispatch_rounds_total"

/* engine_round()'s rows with each order's load, dropoff and times (dsd-order-book.c's
 * columns) */
static const char round_sql[] =
  "SELECT r.*, o.load_weight_kg, o.load_volume_l, o.dropoff_lat, o.dropoff_lon, "
  "(extract(epoch FROM o.ready_at) * 1000000)::bigint, "
  "(extract(epoch FROM o.deliver_before) * 1000000)::bigint "
  "FROM dispatch.engine_round($1::int, $2::int, $3::int) r "
  "LEFT JOIN dispatch.orders o ON o.id = r.id::uuid";
static const char assign_sql[] =
  "SELECT dispatch.auto_assign($1, $2, $3::jsonb, $4::int)::text";

static const double latency_bounds[] = {
  0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800,
};

/* An assignment or offer of ours that the fleet's count of the driver's
 * orders may not include yet: the call is under way, or its driver.updated
 * has not come through the bus. Once applied, it is forgotten when that
 * event comes, or at the end of the next round that started after it (the
 * bus of this instance may never carry the event when another instance's
 * relay publishes it; a count that is briefly too low only costs a refused
 * call, dispatch.auto_assign() checks capacity itself). */
typedef struct {
  char   *driver_id;
  guint   applied_before_round;   /* rounds started when it applied; G_MAXUINT: under way */
} Unconfirmed;

struct _DsdDispatchEngine {
  GObject         parent_instance;

  DsdPgPool      *pool;
  DsdEventBus    *bus;
  DsdMetrics     *metrics;
  DsdFleet       *fleet;
  DsdClock       *clock;
  DsdEtaTracker  *tracker;

  /* settings */
  DsdMatchParams  params;
  guint           offer_timeout_s;
  guint           batch_interval_s;
  guint           alert_after_s;
  gint64          location_max_age_us;
  guint           schedule_lead_s;
  guint           ready_max_wait_s;
  guint           at_risk_margin_s;
  guint           trip_max_orders;
  double          trip_max_delay_s;

  /* state */
  DsdOrderBook   *book;
  GHashTable     *unconfirmed;            /* order id → Unconfirmed */
  GHashTable     *unconfirmed_by_driver;  /* driver id → count (GUINT_TO_POINTER) */
  gboolean        running;
  gboolean        decide_on_bus;  /* FALSE: a consumer group calls consider() */
  guint           rounds_started;
  gboolean        round_running;
  gboolean        round_again;
  gboolean        round_failing;
  guint           round_source;
  guint           expiry_source;
  gint64          expiry_us;
};

G_DEFINE_FINAL_TYPE (DsdDispatchEngine, dsd_dispatch_engine, G_TYPE_OBJECT)

/* One dispatch.auto_assign() call. */
typedef struct {
  DsdDispatchEngine *self;
  char              *order_id;
  char              *driver_id;
  const char        *method;
  gint64             pending_since_us;
} Call;

static void start_round     (DsdDispatchEngine *self);
static void schedule_expiry (DsdDispatchEngine *self);

static void
call_free (Call *call)
{
  g_object_unref (call->self);
  g_free (call->order_id);
  g_free (call->driver_id);
  g_free (call);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Call, call_free)

static void
unconfirmed_free (Unconfirmed *unconfirmed)
{
  g_free (unconfirmed->driver_id);
  g_free (unconfirmed);
}

static guint
count_unconfirmed (DsdDispatchEngine *self,
                   const char        *driver_id)
{
  return GPOINTER_TO_UINT (g_hash_table_lookup (self->unconfirmed_by_driver, driver_id));
}

static void
set_unconfirmed_count (DsdDispatchEngine *self,
                       const char        *driver_id,
                       guint              n)
{
  if (n == 0)
    g_hash_table_remove (self->unconfirmed_by_driver, driver_id);
  else
    g_hash_table_insert (self->unconfirmed_by_driver, g_strdup (driver_id), GUINT_TO_POINTER (n));
}

static void
forget_unconfirmed (DsdDispatchEngine *self,
                    const char        *order_id)
{
  Unconfirmed *unconfirmed = g_hash_table_lookup (self->unconfirmed, order_id);

  if (unconfirmed == NULL)
    return;

  set_unconfirmed_count (self, unconfirmed->driver_id,
                         count_unconfirmed (self, unconfirmed->driver_id) - 1);
  g_hash_table_remove (self->unconfirmed, order_id);
}

static void
add_unconfirmed (DsdDispatchEngine *self,
                 const char        *order_id,
                 const char        *driver_id)
{
  Unconfirmed *unconfirmed = g_new0 (Unconfirmed, 1);

  forget_unconfirmed (self, order_id);
  unconfirmed->driver_id = g_strdup (driver_id);
  unconfirmed->applied_before_round = G_MAXUINT;
  g_hash_table_insert (self->unconfirmed, g_strdup (order_id), unconfirmed);
  set_unconfirmed_count (self, driver_id, count_unconfirmed (self, driver_id) + 1);
}

/* At the end of round number `round`: what applied before it started is in
 * the database's counts by now. */
static void
prune_unconfirmed (DsdDispatchEngine *self,
                   guint              round)
{
  g_autoptr(GPtrArray) settled = g_ptr_array_new_with_free_func (g_free);
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, self->unconfirmed);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      if (((Unconfirmed *) value)->applied_before_round < round)
        g_ptr_array_add (settled, g_strdup (key));
    }

  for (guint i = 0; i < settled->len; i++)
    forget_unconfirmed (self, g_ptr_array_index (settled, i));
}

/* Orders the driver holds: active, offered, and given by us a moment ago. */
static guint
count_held (DsdDispatchEngine    *self,
            const DsdFleetDriver *driver)
{
  return driver->n_active + dsd_order_book_count_offers (self->book, driver->id) +
         count_unconfirmed (self, driver->id);
}

/* The orders automation lets the driver hold at once. */
static guint
trip_limit (DsdDispatchEngine    *self,
            const DsdFleetDriver *driver)
{
  return MIN (driver->capacity, self->trip_max_orders);
}

/* A driver is given one order at a time (docs/trips.md): a busy one only
 * once the fleet counts everything it holds (no offer or assignment of ours
 * in flight), so that its load and the stops the new order joins are known,
 * and one per round, so that two orders that fit alone never go together
 * beyond the vehicle's limits or an order's bounds. */
static gboolean
is_available (DsdDispatchEngine    *self,
              const DsdFleetDriver *driver,
              gint64                now_us)
{
  guint held = count_held (self, driver);

  return driver->online && driver->auto_dispatch && driver->has_location &&
         now_us - driver->recorded_at_us <= self->location_max_age_us &&
         held < trip_limit (self, driver) &&
         (held == 0 || held == driver->n_active);
}

/* Whether the order's load fits in what the driver carries (always, without limits). */
static gboolean
load_fits (const DsdPendingOrder *order,
           const DsdFleetDriver  *driver)
{
  return driver->load_weight_kg + order->weight_kg <= driver->max_weight_kg &&
         driver->load_volume_l + order->volume_l <= driver->max_volume_l;
}

typedef struct {
  DsdDispatchEngine     *self;
  const DsdPendingOrder *order;
  gint64                 now_us;
} CandidateFilter;

/* What the order and its zone allow: not excluded, one of the zone's
 * drivers if it names them, within the zone's maximum pickup distance. */
static gboolean
order_allows (const DsdPendingOrder *order,
              const DsdFleetDriver  *driver)
{
  return dsd_order_book_allows (order, driver->id) && load_fits (order, driver) &&
         (order->max_pickup_m <= 0 ||
          dispatch_haversine_m (order->lat, order->lon, driver->lat, driver->lon) <=
          order->max_pickup_m);
}

static gboolean
candidate_filter_cb (const DsdFleetDriver *driver,
                     gpointer              user_data)
{
  CandidateFilter *filter = user_data;

  return is_available (filter->self, driver, filter->now_us) &&
         order_allows (filter->order, driver);
}

typedef struct {
  DsdDispatchEngine *self;
  gint64             now_us;
} AvailableFilter;

static gboolean
available_filter_cb (const DsdFleetDriver *driver,
                     gpointer              user_data)
{
  AvailableFilter *filter = user_data;

  return is_available (filter->self, driver, filter->now_us);
}

/* A driver's route before it takes an order. */
typedef struct {
  DsdRouteOrder orders[DSD_ROUTE_MAX_ORDERS];
  int           n;            /* -1: unknown (below) */
  DsdRoutePlan  plan;         /* the best sequence of their stops */
} Route;

typedef struct {
  DsdDispatchEngine *self;
  gint64             now_us;
  GHashTable        *routes;  /* DsdFleetDriver → Route */
} Planning;

static const Route *
planning_route (Planning             *planning,
                const DsdFleetDriver *driver)
{
  Route *route = g_hash_table_lookup (planning->routes, driver);
  DsdRouteParams params;

  if (route != NULL)
    return route;

  route = g_new0 (Route, 1);
  g_hash_table_insert (planning->routes, (gpointer) driver, route);
  route->n = dsd_eta_tracker_get_route_orders (planning->self->tracker, driver->id,
                                               planning->now_us, route->orders,
                                               DSD_ROUTE_MAX_ORDERS - 1);
  /* The tracker has not seen all of them: instances that share no bus see
   * only the events their own relay publishes (docs/cluster.md). */
  if (route->n != (int) driver->n_active)
    route->n = -1;
  if (route->n > 0 &&
      dsd_eta_route_params (driver, planning->self->trip_max_delay_s, &params))
    dsd_route_plan (&params, route->orders, route->n, &route->plan);
  return route;
}

/* A DsdMatchCostFunc: dsd_route_insertion_cost(), what the driver's route
 * grows by when it takes the order (for an idle driver its whole trip),
 * INFINITY beyond an order's bounds (its window, DISPATCH_TRIP_MAX_DELAY_S).
 * A driver whose orders the engine does not all know is costed as without
 * trips: the pickup time plus held_penalty_s per order it holds. */
static double
cost_cb (gpointer order_data,
         gpointer driver_data,
         double   eta_s,
         gpointer user_data)
{
  const DsdPendingOrder *order = order_data;
  const DsdFleetDriver *driver = driver_data;
  Planning *planning = user_data;
  const Route *route = planning_route (planning, driver);
  DsdRouteOrder orders[DSD_ROUTE_MAX_ORDERS];
  DsdRouteParams params;

  if (!dsd_eta_route_params (driver, planning->self->trip_max_delay_s, &params))
    return INFINITY;
  if (route->n < 0)
    return eta_s + planning->self->params.held_penalty_s * driver->n_active;

  memcpy (orders, route->orders, route->n * sizeof (DsdRouteOrder));
  dsd_eta_route_order (&orders[route->n], FALSE, order->lat, order->lon, order->dropoff_lat,
                       order->dropoff_lon, order->ready_at_us, order->deliver_before_us,
                       planning->now_us);
  return dsd_route_insertion_cost (&params, orders, route->n, &route->plan);
}

/* What the order and its zone allow (order_allows), and not sent to wait
 * long at a pickup that is not ready. */
static gboolean
allow_cb (gpointer order_data,
          gpointer driver_data,
          gpointer user_data)
{
  const DsdPendingOrder *order = order_data;
  const Planning *planning = user_data;

  return order_allows (order, driver_data) &&
         dsd_pickup_time_allows (order->pickup_at_us, planning->now_us,
                                 dsd_dispatch_eta (driver_data, order->lat, order->lon, NULL),
                                 planning->self->ready_max_wait_s);
}

/* Seconds the order has waited for a driver: since it became pending, or
 * since it entered dispatch when it was scheduled. */
static double
waited_s (DsdDispatchEngine     *self,
          const DsdPendingOrder *order,
          gint64                 now_us)
{
  gint64 since = MAX (order->pending_since_us,
                      dsd_pickup_time_open_at_us (order->pickup_at_us, self->schedule_lead_s));

  return MAX (now_us - since, 0) / (double) G_USEC_PER_SEC;
}

static void
add_match_driver (DsdDispatchEngine    *self,
                  DsdMatch             *match,
                  GHashTable           *added,
                  const DsdFleetDriver *driver)
{
  guint held = count_held (self, driver);

  if (g_hash_table_contains (added, driver))
    return;

  g_hash_table_add (added, (gpointer) driver);
  dsd_match_add_driver (match, driver->lat, driver->lon, 1, held, (gpointer) driver);
}

/*
 * The planning problem: orders (DsdPendingOrder) against the available
 * drivers among the k nearest candidates of each of sources, plus extra
 * (nullable). Driver data are DsdFleetDriver pointers, valid until the main
 * loop runs again.
 */
static DsdMatch *
build_match (DsdDispatchEngine    *self,
             GPtrArray            *orders,
             GPtrArray            *sources,
             const DsdFleetDriver *extra,
             gint64                now_us)
{
  Planning planning = {
    self, now_us, g_hash_table_new_full (NULL, NULL, NULL, g_free),
  };
  DsdMatch *match = dsd_match_new (&self->params, dsd_dispatch_eta, allow_cb, &planning);
  g_autoptr(GHashTable) added = g_hash_table_new (NULL, NULL);
  g_autofree const DsdFleetDriver **found = g_new (const DsdFleetDriver *, self->params.k);
  g_autoptr(GPtrArray) available = NULL;

  for (guint i = 0; i < orders->len; i++)
    {
      DsdPendingOrder *order = g_ptr_array_index (orders, i);

      dsd_match_add_order (match, order->lat, order->lon, waited_s (self, order, now_us),
                           order->priority, order);
    }

  /* A search around each order finds its k nearest available drivers, but
   * scans every driver between them: with many orders and few drivers free
   * (a backlog, a fleet of busy or paused drivers) that is the whole fleet
   * for each order. So for many orders the available drivers are listed
   * once, and when they are no more than the orders they all go to the
   * match, which pairs orders and drivers on its own grid. */
  if (sources != NULL && sources->len >= ALL_AVAILABLE_MIN_ORDERS)
    {
      AvailableFilter filter = { self, now_us };

      available = dsd_fleet_list (self->fleet, available_filter_cb, &filter);
      if (available->len > sources->len)
        g_clear_pointer (&available, g_ptr_array_unref);
    }

  for (guint i = 0; available != NULL && i < available->len; i++)
    add_match_driver (self, match, added, g_ptr_array_index (available, i));

  for (guint i = 0; available == NULL && sources != NULL && i < sources->len; i++)
    {
      DsdPendingOrder *order = g_ptr_array_index (sources, i);
      CandidateFilter filter = { self, order, now_us };
      guint n;

      n = dsd_fleet_nearest (self->fleet, order->lat, order->lon, self->params.max_pickup_m,
                             self->params.k, candidate_filter_cb, &filter, found, NULL);
      for (guint j = 0; j < n; j++)
        add_match_driver (self, match, added, found[j]);
    }

  if (extra != NULL)
    add_match_driver (self, match, added, extra);

  /* allow_cb and cost_cb run here only */
  dsd_match_set_cost_func (match, cost_cb);
  dsd_match_connect (match);
  g_hash_table_unref (planning.routes);
  return match;
}

static double
round_tenth (double value)
{
  return round (value * 10.0) / 10.0;
}

static void
add_candidate_json (JsonBuilder             *builder,
                    DsdMatch                *match,
                    const DsdMatchCandidate *candidate)
{
  const DsdFleetDriver *driver = dsd_match_get_driver_data (match, candidate->driver);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "driver_id");
  json_builder_add_string_value (builder, driver->id);
  json_builder_set_member_name (builder, "eta_s");
  json_builder_add_double_value (builder, round_tenth (candidate->eta_s));
  json_builder_set_member_name (builder, "cost_s");
  json_builder_add_double_value (builder, round_tenth (candidate->cost_s));
  json_builder_end_object (builder);
}

/* Why this driver (the "assignment" member of order.assigned / order.offer;
 * docs/architecture.md, "Assignment engine"). */
static char *
explain (DsdDispatchEngine *self,
         DsdMatch          *match,
         guint              order_index,
         guint              driver_index,
         const char        *method,
         double             cost_s,
         gint64             now_us)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  const DsdPendingOrder *order = dsd_match_get_order_data (match, order_index);
  const DsdFleetDriver *driver = dsd_match_get_driver_data (match, driver_index);
  const DsdMatchCandidate *candidates;
  guint n;

  candidates = dsd_match_get_candidates (match, order_index, &n);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "method");
  json_builder_add_string_value (builder, method);
  json_builder_set_member_name (builder, "driver_id");
  json_builder_add_string_value (builder, driver->id);
  for (guint i = 0; i < n; i++)
    {
      if (candidates[i].driver == driver_index)
        {
          json_builder_set_member_name (builder, "eta_s");
          json_builder_add_double_value (builder, round_tenth (candidates[i].eta_s));
        }
    }
  json_builder_set_member_name (builder, "cost_s");
  json_builder_add_double_value (builder, round_tenth (cost_s));
  json_builder_set_member_name (builder, "waited_s");
  json_builder_add_double_value (builder, round_tenth (waited_s (self, order, now_us)));
  json_builder_set_member_name (builder, "orders_considered");
  json_builder_add_int_value (builder, dsd_match_get_n_orders (match));
  json_builder_set_member_name (builder, "drivers_considered");
  json_builder_add_int_value (builder, dsd_match_get_n_drivers (match));
  json_builder_set_member_name (builder, "candidates");
  json_builder_begin_array (builder);
  for (guint i = 0; i < MIN (n, EXPLAINED_CANDIDATES); i++)
    add_candidate_json (builder, match, &candidates[i]);
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  return json_generator_to_data (generator, NULL);
}

static void
assigned_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(Call) call = user_data;
  DsdDispatchEngine *self = call->self;
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) rows = NULL;
  g_autoptr(JsonObject) answer = NULL;
  const char *labels[] = { call->method, NULL };
  DsdPendingOrder *order;
  JsonObject *state = NULL;
  gboolean applied = FALSE;
  gboolean offered;
  const char *reason = NULL;

  rows = dsd_pg_pool_query_finish (DSD_PG_POOL (source), result, &error);
  order = dsd_order_book_lookup (self->book, call->order_id);
  if (order != NULL)
    order->in_flight = FALSE;

  if (rows != NULL && PQntuples (rows) == 1 && !PQgetisnull (rows, 0, 0))
    answer = dispatch_json_parse_object (PQgetvalue (rows, 0, 0), -1, &error);
  if (answer == NULL ||
      !dispatch_json_get_boolean (answer, NULL, "applied", DISPATCH_JSON_REQUIRED, &applied,
                                  NULL))
    {
      g_debug ("Assigning order %s failed: %s", call->order_id,
               error != NULL ? error->message : "unexpected answer");
      forget_unconfirmed (self, call->order_id);
      return;
    }

  dispatch_json_get_string (answer, NULL, "reason", DISPATCH_JSON_NULLABLE, 0, &reason, NULL);
  dispatch_json_get_object (answer, NULL, "order", DISPATCH_JSON_NULLABLE, &state, NULL);
  /* (the order's zone may set its own offer timeout) */
  offered = state != NULL && json_object_has_member (state, "offer") &&
            !json_object_get_null_member (state, "offer");

  if (applied)
    {
      dsd_metrics_counter_add (self->metrics, SUCCESS_METRIC, labels, 1);
      dsd_metrics_histogram_observe (self->metrics, LATENCY_METRIC, labels,
                                     (dsd_clock_get_real_us (self->clock) -
                                      call->pending_since_us) / (double) G_USEC_PER_SEC);
      g_debug ("Order %s %s driver %s (%s)", call->order_id,
               offered ? "offered to" : "assigned to", call->driver_id, call->method);
      /* An offer is counted by the book from now on; an assignment by the
       * fleet once its driver.updated comes through. */
      if (offered)
        {
          forget_unconfirmed (self, call->order_id);
        }
      else
        {
          Unconfirmed *unconfirmed = g_hash_table_lookup (self->unconfirmed, call->order_id);

          if (unconfirmed != NULL)
            unconfirmed->applied_before_round = self->rounds_started;
        }
    }
  else
    {
      g_debug ("Order %s not given to driver %s: %s", call->order_id, call->driver_id,
               reason != NULL ? reason : "?");
      forget_unconfirmed (self, call->order_id);
      if (order != NULL && g_strcmp0 (reason, "excluded") == 0)
        dsd_order_book_exclude (self->book, order, call->driver_id);
    }

  if (state != NULL)
    dsd_order_book_apply_order (self->book, state);
  if (self->running)
    schedule_expiry (self);
}

/* Sends the decision: order_index of match to driver_index. */
static void
give (DsdDispatchEngine *self,
      DsdMatch          *match,
      guint              order_index,
      guint              driver_index,
      const char        *method,
      double             cost_s,
      gint64             now_us)
{
  DsdPendingOrder *order = dsd_match_get_order_data (match, order_index);
  const DsdFleetDriver *driver = dsd_match_get_driver_data (match, driver_index);
  g_autofree char *explanation = explain (self, match, order_index, driver_index, method,
                                          cost_s, now_us);
  g_autofree char *timeout = g_strdup_printf ("%u", self->offer_timeout_s);
  const char *labels[] = { method, NULL };
  Call *call = g_new0 (Call, 1);

  call->self = g_object_ref (self);
  call->order_id = g_strdup (order->id);
  call->driver_id = g_strdup (driver->id);
  call->method = method;
  call->pending_since_us = order->pending_since_us;

  order->in_flight = TRUE;
  order->failed_tries = 0;
  add_unconfirmed (self, order->id, driver->id);
  dsd_metrics_counter_add (self->metrics, ATTEMPTS_METRIC, labels, 1);

  dsd_pg_pool_write_async (self->pool, assign_sql, 4,
                           (const char * const[]) { order->id, driver->id, explanation, timeout },
                           NULL, assigned_cb, call);
}

/* No driver in reach: search again later, sooner while the order is new. */
static void
back_off (DsdDispatchEngine *self,
          DsdPendingOrder   *order,
          gint64             now_us)
{
  guint delay_s;

  order->failed_tries++;
  delay_s = MIN ((guint64) self->batch_interval_s << MIN (order->failed_tries - 1, 16),
                 BACKOFF_MAX_S);
  order->next_try_us = now_us + delay_s * G_USEC_PER_SEC;
}

static int
index_of (GPtrArray *orders,
          gpointer   order)
{
  guint index;

  return g_ptr_array_find (orders, order, &index) ? (int) index : -1;
}

/* The immediate path for one order: give it to its driver if that is clearly best. */
static void
try_order (DsdDispatchEngine *self,
           DsdPendingOrder   *order)
{
  gint64 now_us = dsd_clock_get_real_us (self->clock);
  CandidateFilter filter = { self, order, now_us };
  g_autoptr(GPtrArray) open = NULL;
  g_autoptr(GPtrArray) sources = NULL;
  g_autoptr(DsdMatch) match = NULL;
  const DsdMatchCandidate *candidates;
  const DsdFleetDriver *nearest;
  int index, pick;
  guint n;

  if (order->in_flight || order->offer_driver_id != NULL ||
      dsd_order_book_get_n_pending (self->book) > MAX_IMMEDIATE_ORDERS)
    return;

  /* Its zone's rules come with a round: the round places it. */
  if (order->unsettled)
    {
      start_round (self);
      return;
    }

  /* Most orders of a busy intake find nobody free: say so before planning. */
  if (dsd_fleet_nearest (self->fleet, order->lat, order->lon, self->params.max_pickup_m, 1,
                         candidate_filter_cb, &filter, &nearest, NULL) == 0)
    {
      back_off (self, order, now_us);
      return;
    }

  open = dsd_order_book_list_open (self->book, now_us, TRUE);
  index = index_of (open, order);
  if (index < 0)
    return;

  sources = g_ptr_array_new ();
  g_ptr_array_add (sources, order);
  match = build_match (self, open, sources, NULL, now_us);
  candidates = dsd_match_get_candidates (match, index, &n);
  pick = dsd_match_pick_for_order (match, index);
  if (pick >= 0)
    give (self, match, index, pick, "immediate", candidates[0].cost_s, now_us);
}

/* The immediate path for a driver with room: its best order, if that pairing is clear. */
static void
try_driver (DsdDispatchEngine    *self,
            const DsdFleetDriver *driver)
{
  gint64 now_us = dsd_clock_get_real_us (self->clock);
  g_autoptr(GPtrArray) open = NULL;
  g_autoptr(DsdMatch) match = NULL;
  int best;

  if (!is_available (self, driver, now_us))
    return;

  if (dsd_order_book_get_n_pending (self->book) > MAX_IMMEDIATE_ORDERS)
    return;

  open = dsd_order_book_list_open (self->book, now_us, TRUE);
  if (open->len == 0)
    return;

  /* The orders in its reach that wait out a backoff (they found every
   * driver busy, and a busy driver takes one order at a time) go to the next
   * round even when this one is not clearly theirs. */
  for (guint i = 0; i < open->len; i++)
    {
      DsdPendingOrder *order = g_ptr_array_index (open, i);

      if (order->next_try_us > now_us && order_allows (order, driver) &&
          dispatch_haversine_m (order->lat, order->lon, driver->lat, driver->lon) <=
          self->params.max_pickup_m)
        order->next_try_us = 0;
    }

  match = build_match (self, open, NULL, driver, now_us);
  if (dsd_match_get_n_drivers (match) == 0)
    return;

  best = dsd_match_best_order (match, 0);
  g_clear_pointer (&match, dsd_match_free);
  if (best >= 0)
    try_order (self, g_ptr_array_index (open, best));
}

/* The batch decision over every open order. */
static void
match_all (DsdDispatchEngine *self)
{
  gint64 now_us = dsd_clock_get_real_us (self->clock);
  g_autoptr(GPtrArray) open = dsd_order_book_list_open (self->book, now_us, FALSE);
  g_autoptr(DsdMatch) match = NULL;
  g_autofree int *assignment = NULL;
  g_autofree double *cost = NULL;

  if (open->len == 0)
    return;

  match = build_match (self, open, open, NULL, now_us);
  assignment = g_new (int, open->len);
  cost = g_new (double, open->len);
  dsd_match_solve (match, assignment, cost);

  for (guint i = 0; i < open->len; i++)
    {
      guint n;

      if (assignment[i] >= 0)
        give (self, match, i, assignment[i], "batch", cost[i], now_us);
      else if (dsd_match_get_candidates (match, i, &n) != NULL && n == 0)
        back_off (self, g_ptr_array_index (open, i), now_us);
      else
        ((DsdPendingOrder *) g_ptr_array_index (open, i))->failed_tries = 0;
    }
}

static gboolean
expiry_cb (gpointer user_data)
{
  DsdDispatchEngine *self = user_data;

  self->expiry_source = 0;
  self->expiry_us = 0;
  start_round (self);
  return G_SOURCE_REMOVE;
}

/* A round shortly after the next offer expires: it withdraws the offer and
 * moves on to the next candidate. */
static void
schedule_expiry (DsdDispatchEngine *self)
{
  gint64 next = dsd_order_book_next_expiry_us (self->book);
  gint64 delay_ms;

  if (next == G_MAXINT64 || (self->expiry_source != 0 && self->expiry_us <= next))
    return;

  g_clear_handle_id (&self->expiry_source, g_source_remove);
  delay_ms = MAX (next - dsd_clock_get_real_us (self->clock), 0) / 1000 + EXPIRY_SLACK_MS;
  self->expiry_us = next;
  self->expiry_source = g_timeout_add (MIN (delay_ms, G_MAXUINT), expiry_cb, self);
}

static void
round_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(DsdDispatchEngine) self = user_data;
  guint round = self->rounds_started;
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) rows = NULL;

  rows = dsd_pg_pool_query_finish (DSD_PG_POOL (source), result, &error);
  self->round_running = FALSE;
  if (!self->running)
    return;

  if (rows == NULL || !dsd_order_book_merge_round (self->book, rows))
    {
      if (!self->round_failing)
        g_warning ("Dispatch round failed: %s (retrying every %u s)",
                   error != NULL ? error->message : "unexpected rows", self->batch_interval_s);
      self->round_failing = TRUE;
      return;
    }
  if (self->round_failing)
    g_message ("Dispatch rounds work again");
  self->round_failing = FALSE;

  dsd_metrics_gauge_set (self->metrics, PENDING_METRIC, NULL,
                         dsd_order_book_get_n_pending (self->book));
  prune_unconfirmed (self, round);
  match_all (self);
  schedule_expiry (self);
  dsd_metrics_counter_add (self->metrics, ROUNDS_METRIC, NULL, 1);

  if (self->round_again)
    {
      self->round_again = FALSE;
      start_round (self);
    }
}

static void
start_round (DsdDispatchEngine *self)
{
  g_autofree char *alert = g_strdup_printf ("%u", self->alert_after_s);
  g_autofree char *at_risk = g_strdup_printf ("%u", self->at_risk_margin_s);

  if (!self->running)
    return;

  if (self->round_running)
    {
      self->round_again = TRUE;
      return;
    }

  self->round_running = TRUE;
  self->rounds_started++;
  dsd_pg_pool_write_async (self->pool, round_sql, 3,
                           (const char * const[]) { alert, ROUND_LIMIT, at_risk }, NULL,
                           round_cb, g_object_ref (self));
}

static gboolean
round_timeout_cb (gpointer user_data)
{
  start_round (user_data);
  return G_SOURCE_CONTINUE;
}

/* driver.updated: assignments of ours the driver's active_orders now show
 * are counted by the fleet. */
static void
confirm_assignments (DsdDispatchEngine *self,
                     DsdEvent          *event)
{
  JsonArray *active = NULL;

  if (!dispatch_json_get_array (dsd_event_get_data (event), NULL, "active_orders",
                                DISPATCH_JSON_NULLABLE, G_MAXUINT, &active, NULL) ||
      active == NULL)
    return;

  for (guint i = 0; i < json_array_get_length (active); i++)
    {
      JsonNode *node = json_array_get_element (active, i);

      if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
        forget_unconfirmed (self, json_node_get_string (node));
    }
}

/* Whether the order object still has the driver: assigned to it or picked
 * up by it, or pending with a live offer to it. */
static gboolean
order_holds_driver (JsonObject *order,
                    const char *driver_id)
{
  const char *status = NULL;
  const char *holder = NULL;
  JsonObject *offer = NULL;

  dispatch_json_get_string (order, NULL, "status", DISPATCH_JSON_NULLABLE, 0, &status, NULL);
  if (g_strcmp0 (status, "assigned") == 0 || g_strcmp0 (status, "picked_up") == 0)
    dispatch_json_get_string (order, NULL, "driver_id", DISPATCH_JSON_NULLABLE, 0, &holder,
                              NULL);
  else if (g_strcmp0 (status, "pending") == 0 &&
           dispatch_json_get_object (order, NULL, "offer", DISPATCH_JSON_NULLABLE, &offer,
                                     NULL) && offer != NULL)
    dispatch_json_get_string (offer, "offer", "driver_id", DISPATCH_JSON_NULLABLE, 0, &holder,
                              NULL);

  return g_strcmp0 (holder, driver_id) == 0;
}

/* An order event: an assignment of ours that the order no longer reflects
 * (cancelled, unassigned, reassigned) stops counting against the driver,
 * unless our call is still under way (its answer settles it). */
static void
settle_assignment (DsdDispatchEngine *self,
                   DsdEvent          *event)
{
  const char *order_id = dsd_event_get_order_id (event);
  Unconfirmed *unconfirmed;

  unconfirmed = order_id != NULL ? g_hash_table_lookup (self->unconfirmed, order_id) : NULL;
  if (unconfirmed != NULL && unconfirmed->applied_before_round != G_MAXUINT &&
      !order_holds_driver (dsd_event_get_data (event), unconfirmed->driver_id))
    forget_unconfirmed (self, order_id);
}

/* The immediate decision an event may call for. */
static void
decide (DsdDispatchEngine *self,
        DsdEvent          *event)
{
  const char *type = dsd_event_get_type_name (event);

  if (g_str_equal (type, "driver.updated"))
    {
      const char *driver_id = dsd_event_get_driver_id (event);
      const DsdFleetDriver *driver;

      driver = driver_id != NULL ? dsd_fleet_lookup (self->fleet, driver_id) : NULL;
      if (driver != NULL)
        try_driver (self, driver);
    }
  else if (g_str_has_prefix (type, "order."))
    {
      const char *order_id = dsd_event_get_order_id (event);
      DsdPendingOrder *order = order_id != NULL ? dsd_order_book_lookup (self->book, order_id)
                                                : NULL;

      if (order != NULL && !order->in_flight && order->offer_driver_id == NULL)
        try_order (self, order);
    }
}

static void
event_cb (DsdEventBus *bus,
          DsdEvent    *event,
          gpointer     user_data)
{
  DsdDispatchEngine *self = user_data;
  const char *type = dsd_event_get_type_name (event);

  if (!self->running)
    return;

  if (g_str_equal (type, "driver.updated"))
    {
      confirm_assignments (self, event);
      if (self->decide_on_bus)
        decide (self, event);
    }
  else if (g_str_has_prefix (type, "order."))
    {
      settle_assignment (self, event);
      if (dsd_order_book_apply_event (self->book, event) == DSD_ORDER_BOOK_PENDING)
        {
          if (self->decide_on_bus)
            decide (self, event);
          schedule_expiry (self);
        }
    }
}

static void
dsd_dispatch_engine_dispose (GObject *object)
{
  DsdDispatchEngine *self = DSD_DISPATCH_ENGINE (object);

  dsd_dispatch_engine_stop (self);
  g_clear_object (&self->pool);
  g_clear_object (&self->bus);
  g_clear_object (&self->metrics);
  g_clear_object (&self->fleet);
  g_clear_object (&self->clock);
  g_clear_object (&self->tracker);

  G_OBJECT_CLASS (dsd_dispatch_engine_parent_class)->dispose (object);
}

static void
dsd_dispatch_engine_finalize (GObject *object)
{
  DsdDispatchEngine *self = DSD_DISPATCH_ENGINE (object);

  g_clear_pointer (&self->book, dsd_order_book_free);
  g_clear_pointer (&self->unconfirmed, g_hash_table_unref);
  g_clear_pointer (&self->unconfirmed_by_driver, g_hash_table_unref);

  G_OBJECT_CLASS (dsd_dispatch_engine_parent_class)->finalize (object);
}

static void
dsd_dispatch_engine_class_init (DsdDispatchEngineClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = dsd_dispatch_engine_dispose;
  object_class->finalize = dsd_dispatch_engine_finalize;
}

static void
dsd_dispatch_engine_init (DsdDispatchEngine *self)
{
  self->book = dsd_order_book_new ();
  self->decide_on_bus = TRUE;
  self->unconfirmed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                             (GDestroyNotify) unconfirmed_free);
  self->unconfirmed_by_driver = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

DsdDispatchEngine *
dsd_dispatch_engine_new (DsdContext *context,
                         DsdFleet   *fleet)
{
  static const char *method_labels[] = { "method", NULL };
  DsdConfig *config;
  DsdDispatchEngine *self;

  g_return_val_if_fail (DSD_IS_CONTEXT (context), NULL);
  g_return_val_if_fail (DSD_IS_FLEET (fleet), NULL);

  config = dsd_context_get_config (context);
  self = g_object_new (DSD_TYPE_DISPATCH_ENGINE, NULL);
  self->pool = g_object_ref (dsd_context_get (context, DSD_TYPE_PG_POOL));
  self->bus = g_object_ref (dsd_context_get (context, DSD_TYPE_EVENT_BUS));
  self->metrics = g_object_ref (dsd_context_get_metrics (context));
  self->fleet = g_object_ref (fleet);
  self->clock = g_object_ref (dsd_context_get_clock (context));
  self->tracker = g_object_ref (dsd_context_get (context, DSD_TYPE_ETA_TRACKER));

  dsd_match_params_init (&self->params);
  self->params.max_pickup_m = config->max_pickup_km * 1000.0;
  self->offer_timeout_s = config->offer_timeout_s;
  self->batch_interval_s = config->batch_interval_s;
  self->alert_after_s = config->unassigned_alert_s;
  self->location_max_age_us = (gint64) config->location_max_age_s * G_USEC_PER_SEC;
  self->schedule_lead_s = config->schedule_lead_s;
  self->ready_max_wait_s = config->ready_max_wait_s;
  self->at_risk_margin_s = config->at_risk_margin_s;
  self->trip_max_orders = config->trip_max_orders;
  self->trip_max_delay_s = config->trip_max_delay_s;
  dsd_order_book_set_schedule_lead (self->book, self->schedule_lead_s);

  dsd_metrics_register_counter (self->metrics, ATTEMPTS_METRIC,
                                "Automatic assignments and offers sent to the database, "
                                "by method (immediate, batch)", method_labels);
  dsd_metrics_register_counter (self->metrics, SUCCESS_METRIC,
                                "Automatic assignments and offers the database applied, "
                                "by method", method_labels);
  dsd_metrics_register_histogram (self->metrics, LATENCY_METRIC,
                                  "Seconds from an order becoming pending to its automatic "
                                  "assignment or offer, by method", method_labels,
                                  latency_bounds, G_N_ELEMENTS (latency_bounds));
  dsd_metrics_register_gauge (self->metrics, PENDING_METRIC,
                              "Pending orders at the engine's last round", NULL);
  dsd_metrics_register_counter (self->metrics, ROUNDS_METRIC,
                                "Engine rounds completed (housekeeping, refresh, batch match)",
                                NULL);

  return self;
}

void
dsd_dispatch_engine_start (DsdDispatchEngine *self)
{
  g_return_if_fail (DSD_IS_DISPATCH_ENGINE (self));
  g_return_if_fail (!self->running);

  self->running = TRUE;
  if (self->offer_timeout_s > 0)
    g_message ("Assignment engine: a round every %u s, offers expire after %u s",
               self->batch_interval_s, self->offer_timeout_s);
  else
    g_message ("Assignment engine: a round every %u s, assignments without offers",
               self->batch_interval_s);
  g_signal_connect_object (self->bus, "event::state", G_CALLBACK (event_cb), self, 0);
  self->round_source = g_timeout_add_seconds (self->batch_interval_s, round_timeout_cb, self);
  start_round (self);
}

void
dsd_dispatch_engine_set_decide_on_bus (DsdDispatchEngine *self,
                                       gboolean           decide_on_bus)
{
  g_return_if_fail (DSD_IS_DISPATCH_ENGINE (self));

  self->decide_on_bus = decide_on_bus;
}

gboolean
dsd_dispatch_engine_consider (DsdDispatchEngine  *self,
                              DsdEvent           *event,
                              GError            **error)
{
  g_return_val_if_fail (DSD_IS_DISPATCH_ENGINE (self), FALSE);

  if (!self->running)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
                           "the assignment engine is not running");
      return FALSE;
    }

  /* The bus may not have brought it yet; applying twice changes nothing. */
  if (g_str_has_prefix (dsd_event_get_type_name (event), "order."))
    dsd_order_book_apply_event (self->book, event);
  decide (self, event);
  return TRUE;
}

void
dsd_dispatch_engine_stop (DsdDispatchEngine *self)
{
  g_return_if_fail (DSD_IS_DISPATCH_ENGINE (self));

  if (!self->running)
    return;

  self->running = FALSE;
  g_signal_handlers_disconnect_by_data (self->bus, self);
  g_clear_handle_id (&self->round_source, g_source_remove);
  g_clear_handle_id (&self->expiry_source, g_source_remove);
}

double
dsd_dispatch_eta (gpointer fleet_driver,
                  double   to_lat,
                  double   to_lon,
                  gpointer user_data)
{
  return dsd_eta_estimate_s (fleet_driver, to_lat, to_lon);
}
