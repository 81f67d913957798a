/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The order of a driver's stops (dsd-route-plan.h): valid sequences, the
 * bounds respected, and on random small instances the same optimum as a
 * simple brute force written independently here.
 */
#include <math.h>

#include "dsd-route-plan.h"

#define SPEED_MPS 7.0
#define DWELL_S 120.0
#define INSTANCES 200
#define TOLERANCE_S 1e-6

/* Points are metres on a plane: lat = y, lon = x. */
static double
plane_travel (double   from_lat,
              double   from_lon,
              double   to_lat,
              double   to_lon,
              gpointer user_data)
{
  return hypot (to_lat - from_lat, to_lon - from_lon) / SPEED_MPS;
}

static void
params_init (DsdRouteParams *params,
             double          max_delay_s)
{
  *params = (DsdRouteParams) {
    .start_lat = 0, .start_lon = 0, .dwell_s = DWELL_S, .max_delay_s = max_delay_s,
    .travel = plane_travel,
  };
}

static DsdRouteOrder
order_at (double pickup_y,
          double pickup_x,
          double dropoff_y,
          double dropoff_x)
{
  return (DsdRouteOrder) {
    .pickup_lat = pickup_y, .pickup_lon = pickup_x,
    .dropoff_lat = dropoff_y, .dropoff_lon = dropoff_x,
    .ready_s = -INFINITY, .deadline_s = INFINITY,
  };
}

/* The brute force's cost of one sequence: lateness, duration, deliveries. */
typedef struct {
  double lateness;
  double duration;
  double deliveries;
} Cost;

static double
distance_s (double ay, double ax, double by, double bx)
{
  return sqrt ((ay - by) * (ay - by) + (ax - bx) * (ax - bx)) / SPEED_MPS;
}

/* Independently: the latest delivery of the order, from its solo delivery. */
static double
brute_latest (const DsdRouteOrder *o,
              double               max_delay_s)
{
  double solo;

  if (o->picked_up)
    solo = distance_s (0, 0, o->dropoff_lat, o->dropoff_lon);
  else
    solo = fmax (distance_s (0, 0, o->pickup_lat, o->pickup_lon), o->ready_s) + DWELL_S +
           distance_s (o->pickup_lat, o->pickup_lon, o->dropoff_lat, o->dropoff_lon);
  return fmin (solo + max_delay_s, fmax (o->deadline_s, solo));
}

/* seq: stop tokens; token t < n is order t's first stop, t ≥ n order t − n's
 * dropoff (of an order not picked up yet). FALSE when not a valid sequence. */
static gboolean
brute_simulate (const DsdRouteOrder *orders,
                guint                n,
                const guint         *seq,
                guint                n_stops,
                double               max_delay_s,
                Cost                *cost)
{
  gboolean picked[8] = { FALSE };
  gboolean delivered[8] = { FALSE };
  double y = 0, x = 0, t = 0;

  *cost = (Cost) { 0 };
  for (guint s = 0; s < n_stops; s++)
    {
      guint i = seq[s] % n;
      gboolean first = seq[s] < n;
      const DsdRouteOrder *o = &orders[i];
      gboolean is_pickup = first && !o->picked_up;

      if (!first && o->picked_up)
        return FALSE;   /* a picked-up order has one stop */
      if (is_pickup)
        {
          if (picked[i])
            return FALSE;
          t += distance_s (y, x, o->pickup_lat, o->pickup_lon);
          t = fmax (t, o->ready_s) + DWELL_S;
          y = o->pickup_lat;
          x = o->pickup_lon;
          picked[i] = TRUE;
        }
      else
        {
          if (delivered[i] || (!o->picked_up && !picked[i]))
            return FALSE;
          t += distance_s (y, x, o->dropoff_lat, o->dropoff_lon);
          y = o->dropoff_lat;
          x = o->dropoff_lon;
          delivered[i] = TRUE;
          cost->deliveries += t;
          cost->lateness += fmax (t - brute_latest (o, max_delay_s), 0);
        }
    }
  for (guint i = 0; i < n; i++)
    if (!delivered[i])
      return FALSE;
  cost->duration = t;
  return TRUE;
}

static gboolean
cost_less (const Cost *a,
           const Cost *b)
{
  if (fabs (a->lateness - b->lateness) > TOLERANCE_S)
    return a->lateness < b->lateness;
  if (fabs (a->duration - b->duration) > TOLERANCE_S)
    return a->duration < b->duration;
  return a->deliveries < b->deliveries - TOLERANCE_S;
}

/* Every tuple of tokens (n_tokens ^ n_stops of them), the valid ones costed. */
static Cost
brute_best (const DsdRouteOrder *orders,
            guint                n,
            double               max_delay_s)
{
  guint n_stops = 0;
  guint n_tuples = 1;
  Cost best = { INFINITY, INFINITY, INFINITY };

  for (guint i = 0; i < n; i++)
    n_stops += orders[i].picked_up ? 1 : 2;
  for (guint s = 0; s < n_stops; s++)
    n_tuples *= 2 * n;

  for (guint code = 0; code < n_tuples; code++)
    {
      guint seq[8];
      guint rest = code;
      Cost cost;

      for (guint s = 0; s < n_stops; s++)
        {
          seq[s] = rest % (2 * n);
          rest /= 2 * n;
        }
      if (brute_simulate (orders, n, seq, n_stops, max_delay_s, &cost) &&
          cost_less (&cost, &best))
        best = cost;
    }
  return best;
}

/* The plan as a token sequence for brute_simulate. */
static Cost
simulate_plan (const DsdRouteOrder *orders,
               guint                n,
               const DsdRoutePlan  *plan,
               double               max_delay_s)
{
  guint seq[8];
  Cost cost;

  for (guint s = 0; s < plan->n_stops; s++)
    {
      guint i = plan->stops[s].order;

      seq[s] = plan->stops[s].dropoff && !orders[i].picked_up ? i + n : i;
    }
  g_assert_true (brute_simulate (orders, n, seq, plan->n_stops, max_delay_s, &cost));
  return cost;
}

static void
random_instance (GRand         *rand,
                 DsdRouteOrder *orders,
                 guint          n)
{
  for (guint i = 0; i < n; i++)
    {
      DsdRouteOrder *o = &orders[i];

      *o = order_at (g_rand_double_range (rand, -3000, 3000),
                     g_rand_double_range (rand, -3000, 3000),
                     g_rand_double_range (rand, -3000, 3000),
                     g_rand_double_range (rand, -3000, 3000));
      o->picked_up = g_rand_int_range (rand, 0, 4) == 0;
      if (g_rand_int_range (rand, 0, 3) == 0)
        o->ready_s = g_rand_double_range (rand, 0, 900);
      if (g_rand_int_range (rand, 0, 3) == 0)
        o->deadline_s = g_rand_double_range (rand, 300, 2400);
    }
}

/* 200 random instances of 1–3 orders: the plan is valid, its reported times
 * are what its sequence takes, and no sequence beats it. */
static void
test_brute_force (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (20261207);
  guint feasible = 0;

  for (guint k = 0; k < INSTANCES; k++)
    {
      DsdRouteOrder orders[3];
      guint n = g_rand_int_range (rand, 1, 4);
      double max_delay = g_rand_int_range (rand, 0, 2) == 0 ? 600 : INFINITY;
      DsdRouteParams params;
      DsdRoutePlan plan;
      Cost planned, best;

      random_instance (rand, orders, n);
      params_init (&params, max_delay);
      dsd_route_plan (&params, orders, n, &plan);

      planned = simulate_plan (orders, n, &plan, max_delay);
      g_assert_cmpfloat_with_epsilon (planned.lateness, plan.lateness_s, TOLERANCE_S);
      g_assert_cmpfloat_with_epsilon (planned.duration, plan.duration_s, TOLERANCE_S);
      g_assert_cmpfloat_with_epsilon (planned.deliveries, plan.deliveries_s, TOLERANCE_S);

      best = brute_best (orders, n, max_delay);
      g_assert_cmpfloat_with_epsilon (best.lateness, plan.lateness_s, TOLERANCE_S);
      g_assert_cmpfloat_with_epsilon (best.duration, plan.duration_s, TOLERANCE_S);
      g_assert_cmpfloat_with_epsilon (best.deliveries, plan.deliveries_s, TOLERANCE_S);
      if (plan.lateness_s == 0)
        feasible++;
    }
  /* the instances exercise both outcomes */
  g_assert_cmpuint (feasible, >, INSTANCES / 4);
  g_assert_cmpuint (feasible, <, INSTANCES);
}

/* Two orders from the same shop to neighbouring doors go together: both
 * pickups, then the dropoffs; with a delay bound of 0 the second order may
 * not wait for the first, and the plan says so (lateness > 0). */
static void
test_batch_and_bound (void)
{
  DsdRouteOrder orders[2] = {
    order_at (1000, 0, 3000, 0),
    order_at (1000, 0, 3000, 200),
  };
  DsdRouteParams params;
  DsdRoutePlan plan;
  double latest[2];

  params_init (&params, 600);
  dsd_route_plan (&params, orders, 2, &plan);
  g_assert_cmpuint (plan.n_stops, ==, 4);
  g_assert_false (plan.stops[0].dropoff);
  g_assert_false (plan.stops[1].dropoff);
  g_assert_true (plan.stops[2].dropoff);
  g_assert_true (plan.stops[3].dropoff);
  g_assert_cmpfloat (plan.lateness_s, ==, 0);
  dsd_route_latest (&params, orders, 2, latest);
  for (guint s = 0; s < plan.n_stops; s++)
    if (plan.stops[s].dropoff)
      g_assert_cmpfloat (plan.stops[s].arrive_s, <=, latest[plan.stops[s].order]);

  params_init (&params, 0);
  dsd_route_plan (&params, orders, 2, &plan);
  g_assert_cmpfloat (plan.lateness_s, >, 0);
}

/* A picked-up order has only its dropoff; a ready time makes the driver wait. */
static void
test_picked_up_and_ready (void)
{
  DsdRouteOrder orders[2] = {
    order_at (0, 0, 700, 0),
    order_at (700, 0, 1400, 0),
  };
  DsdRouteParams params;
  DsdRoutePlan plan;

  orders[0].picked_up = TRUE;
  orders[1].ready_s = 1000;
  params_init (&params, INFINITY);
  dsd_route_plan (&params, orders, 2, &plan);
  g_assert_cmpuint (plan.n_stops, ==, 3);
  g_assert_cmpuint (plan.stops[0].order, ==, 0);
  g_assert_true (plan.stops[0].dropoff);
  g_assert_cmpfloat_with_epsilon (plan.stops[0].arrive_s, 100, TOLERANCE_S);
  /* waits until 1000, dwells 120, drives 100 s */
  g_assert_cmpfloat_with_epsilon (plan.duration_s, 1220, TOLERANCE_S);
}

/* A deadline decides the order even when it makes the route longer. */
static void
test_window_first (void)
{
  DsdRouteOrder orders[2] = {
    order_at (0, 0, 7000, 0),
    order_at (0, 0, -700, 0),
  };
  DsdRouteParams params;
  DsdRoutePlan plan;

  orders[0].picked_up = TRUE;
  orders[1].picked_up = TRUE;
  params_init (&params, INFINITY);
  dsd_route_plan (&params, orders, 2, &plan);
  /* shortest: the near door first */
  g_assert_cmpuint (plan.stops[0].order, ==, 1);

  orders[0].deadline_s = 1000;
  dsd_route_plan (&params, orders, 2, &plan);
  g_assert_cmpuint (plan.stops[0].order, ==, 0);
  g_assert_cmpfloat (plan.lateness_s, ==, 0);
}

/* The largest instance enumerates every valid sequence. */
static void
test_largest (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (7);
  DsdRouteOrder orders[DSD_ROUTE_MAX_ORDERS];
  DsdRouteParams params;
  DsdRoutePlan plan;

  random_instance (rand, orders, DSD_ROUTE_MAX_ORDERS);
  for (guint i = 0; i < DSD_ROUTE_MAX_ORDERS; i++)
    orders[i].picked_up = FALSE;
  params_init (&params, 600);
  dsd_route_plan (&params, orders, DSD_ROUTE_MAX_ORDERS, &plan);
  g_assert_cmpuint (plan.n_stops, ==, DSD_ROUTE_MAX_STOPS);
  (void) simulate_plan (orders, DSD_ROUTE_MAX_ORDERS, &plan, 600);
}

/* dsd_route_insertion_cost(), the engine's cost of one more order: finite
 * exactly when some sequence of all the stops keeps every order within its
 * window and the delay bound (the brute force says), and then what the
 * route's duration and deliveries grow by. 200 random instances, fixed seed. */
static void
test_insertion_bounds (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (1207);
  guint refused = 0;

  for (guint k = 0; k < INSTANCES; k++)
    {
      DsdRouteOrder orders[3];
      guint n = g_rand_int_range (rand, 0, 3);
      DsdRouteParams params;
      DsdRoutePlan base;
      Cost best, alone = { 0 };
      double cost;

      random_instance (rand, orders, n + 1);
      orders[n].picked_up = FALSE;
      params_init (&params, 600);
      dsd_route_plan (&params, orders, n, &base);
      cost = dsd_route_insertion_cost (&params, orders, n, n > 0 ? &base : NULL);
      best = brute_best (orders, n + 1, 600);
      if (n > 0)
        alone = brute_best (orders, n, 600);

      if (!isfinite (cost))
        {
          g_assert_cmpfloat (best.lateness, >, TOLERANCE_S);
          refused++;
          continue;
        }
      g_assert_cmpfloat_with_epsilon (best.lateness, 0, TOLERANCE_S);
      g_assert_cmpfloat_with_epsilon (cost,
                                       best.duration - alone.duration +
                                       DSD_ROUTE_DELIVERY_WEIGHT *
                                       (best.deliveries - alone.deliveries),
                                       1e-6 * MAX (1.0, fabs (cost)));
    }
  g_assert_cmpuint (refused, >, 0);
  g_assert_cmpuint (refused, <, INSTANCES);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/route-plan/brute-force", test_brute_force);
  g_test_add_func ("/route-plan/batch-and-bound", test_batch_and_bound);
  g_test_add_func ("/route-plan/picked-up-and-ready", test_picked_up_and_ready);
  g_test_add_func ("/route-plan/window-first", test_window_first);
  g_test_add_func ("/route-plan/largest", test_largest);
  g_test_add_func ("/route-plan/insertion-bounds", test_insertion_bounds);

  return g_test_run ();
}
