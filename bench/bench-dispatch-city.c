/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Dispatch policies on a simulated city (TARGETS P8): the engine's batch
 * matching against greedy nearest-driver, on the identical trace.
 *
 * The city: a 12 km square (around Berlin's centre); orders arrive as a
 * Poisson process whose rate follows the scenario's profile (hours at a
 * rate per hour, one segment after the other); 60% of pickups lie around a
 * few hot spots (restaurants, σ 700 m), the rest anywhere; dropoffs are a
 * normal step (σ 2 km) from the pickup. Drivers are bikes, scooters and cars
 * at their vehicle's urban speed (dispatch_vehicle_speed_mps, ± 15% each)
 * over a road detour of 1.3 × the great circle. A driver takes one order at
 * a time: drive to the pickup, 90 s there, drive to the dropoff, 60 s
 * there, then wait where it is. Everything runs in 1 s steps from one seed,
 * so both policies see the same orders at the same times and the same
 * drivers at the same starting points.
 *
 * Policies (both rank drivers by the engine's estimate, dsd_dispatch_eta):
 *   greedy  every second, the waiting orders in arrival order each take the
 *           idle driver with the least estimated pickup time
 *   engine  what dispatchd does (dsd-match.h): an arriving order or a freed
 *           driver is matched at once when the choice is clearly best, and
 *           every --interval seconds all waiting orders × idle drivers are
 *           matched exactly at minimum total cost
 *
 * Pickup wait = the driver's arrival at the pickup − the order's arrival,
 * over the orders that arrive after a 30 minute warm-up, pooled over
 * --seeds traces per scenario; orders still waiting when the simulation
 * ends (2 h after the last arrival) count as unserved.
 *
 * Output: a Markdown table, then one line per scenario for scripts:
 *   result<TAB>NAME<TAB>PROFILE<TAB>greedy mean<TAB>engine mean<TAB>greedy p95<TAB>engine p95
 *
 * Several orders per trip (docs/trips.md), a second table on the same
 * traces: drivers follow a route of stops (a leg at a time, their position
 * interpolated along it; 90 s at a pickup, 60 s at a dropoff) and every
 * --interval seconds the waiting orders are matched exactly with the
 * engine's cost (dsd_route_insertion_cost: what the driver's route grows by,
 * planned by dsd-route-plan.h from where it is, refused beyond an order's
 * DISPATCH_TRIP_MAX_DELAY_S bound of 600 s) to the drivers holding fewer than
 * the maximum, one order per driver per round: "single" with a maximum of 1
 * against "trips" with --trip-max (default 3). Time to delivery = the
 * dropoff − the order's arrival (after the warm-up); driver-hours per
 * delivered order = the time drivers hold at least one order, over every
 * order delivered.
 *   trips<TAB>NAME<TAB>single mean<TAB>trips mean<TAB>single p95<TAB>trips p95
 *        <TAB>single h/order<TAB>trips h/order
 *
 * Scenarios (--scenario NAME=PROFILE, repeatable; default these four):
 *   quiet       3:250                drivers mostly idle
 *   steady      3:380                busy, demand below supply
 *   lunch-rush  1:300,1:560,1.5:300  an hour of demand above supply
 *   saturated   3:480                demand at supply all along
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "dispatch-geo.h"
#include "dsd-dispatch-engine.h"
#include "dsd-eta-tracker.h"
#include "dsd-match.h"
#include "dsd-route-plan.h"

#define CENTRE_LAT 52.52
#define CENTRE_LON 13.40
#define HALF_SIDE_M 6000.0
#define ROAD_DETOUR 1.3
#define PICKUP_SERVICE_S 90.0
#define DROPOFF_SERVICE_S 60.0
#define N_HOT_SPOTS 6
#define HOT_SHARE 0.6
#define HOT_SIGMA_M 700.0
#define DROPOFF_SIGMA_M 2000.0
#define WARMUP_S 1800.0
#define DRAIN_S 7200.0
#define TRIP_MAX_DELAY_S 600.0

static int first_seed = 1;
static int n_seeds = 8;
static int n_drivers = 150;
static char **scenarios = NULL;
static int interval_s = 5;
static int trip_max = 3;

static const GOptionEntry entries[] = {
  { "seed", 's', 0, G_OPTION_ARG_INT, &first_seed, "First trace seed (default 1)", "SEED" },
  { "seeds", 'n', 0, G_OPTION_ARG_INT, &n_seeds, "Traces per scenario (default 8)", "N" },
  { "drivers", 'd', 0, G_OPTION_ARG_INT, &n_drivers, "Drivers (default 150)", "N" },
  { "scenario", 'S', 0, G_OPTION_ARG_STRING_ARRAY, &scenarios,
    "A scenario: its name and arrival profile, hours at a rate per hour (repeatable)",
    "NAME=H:R[,H:R...]" },
  { "interval", 'i', 0, G_OPTION_ARG_INT, &interval_s,
    "Seconds between batch rounds (default 5, as DISPATCH_BATCH_INTERVAL_S)", "S" },
  { "trip-max", 't', 0, G_OPTION_ARG_INT, &trip_max,
    "Orders per trip of the batching policy (default 3, as DISPATCH_TRIP_MAX_ORDERS)", "N" },
  { NULL }
};

static const char * const default_scenarios[] = {
  "quiet=3:250",
  "steady=3:380",
  "lunch-rush=1:300,1:560,1.5:300",
  "saturated=3:480",
  NULL
};

typedef struct {
  double hours;
  double rate_per_hour;
} Segment;

typedef struct {
  double created_s;
  double pickup_lat, pickup_lon;
  double dropoff_lat, dropoff_lon;
} TraceOrder;

typedef struct {
  DispatchVehicle vehicle;
  double          speed_mps;
  double          lat, lon;
} TraceDriver;

typedef struct {
  TraceOrder  *orders;
  guint        n_orders;
  TraceDriver *drivers;
  guint        n_drivers;
  double       end_s;        /* of arrivals */
} Trace;

typedef enum {
  IDLE,
  TO_PICKUP,
  AT_PICKUP,
  TO_DROPOFF,
  AT_DROPOFF,
} DriverState;

typedef struct {
  DsdFleetDriver fleet;      /* what the engine's estimate sees */
  double         speed_mps;  /* the truth */
  DriverState    state;
  double         until_s;
  guint          order;
} SimDriver;

typedef struct {
  const Trace *trace;
  SimDriver   *drivers;
  double      *pickup_at;    /* per order, NAN until the driver is there */
  double      *empty_m;      /* per order, the driver's road metres to the pickup */
  GArray      *waiting;      /* order indices, in arrival order */
  GArray      *freed;        /* drivers that became idle in this step */
  double       now;
  guint        n_immediate;
  guint        n_batch;
} Sim;

/* Pooled over the seeds of a scenario. */
typedef struct {
  GArray *waits;             /* double, seconds */
  double  empty_m;
  guint   n_measured;
  guint   n_unserved;
  guint   n_immediate;
  guint   n_batch;
} Result;

static double
normal (GRand *rand)
{
  double u = g_rand_double_range (rand, DBL_MIN, 1.0);

  return sqrt (-2.0 * log (u)) * cos (2 * G_PI * g_rand_double (rand));
}

static double
metres_to_lat (double m)
{
  return m / (DISPATCH_EARTH_RADIUS_M * G_PI / 180.0);
}

static double
metres_to_lon (double m)
{
  return metres_to_lat (m) / cos (CENTRE_LAT * G_PI / 180.0);
}

/* (x, y) metres from the centre, clamped into the city. */
static void
place (double  x,
       double  y,
       double *lat,
       double *lon)
{
  *lat = CENTRE_LAT + metres_to_lat (CLAMP (y, -HALF_SIDE_M, HALF_SIDE_M));
  *lon = CENTRE_LON + metres_to_lon (CLAMP (x, -HALF_SIDE_M, HALF_SIDE_M));
}

static Trace *
trace_new (const GArray *profile,
           guint         seed)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);
  g_autoptr(GArray) orders = g_array_new (FALSE, FALSE, sizeof (TraceOrder));
  double hot_x[N_HOT_SPOTS], hot_y[N_HOT_SPOTS];
  Trace *trace = g_new0 (Trace, 1);

  for (guint h = 0; h < N_HOT_SPOTS; h++)
    {
      hot_x[h] = g_rand_double_range (rand, -0.7, 0.7) * HALF_SIDE_M;
      hot_y[h] = g_rand_double_range (rand, -0.7, 0.7) * HALF_SIDE_M;
    }

  trace->n_drivers = n_drivers;
  trace->drivers = g_new0 (TraceDriver, n_drivers);
  for (int d = 0; d < n_drivers; d++)
    {
      TraceDriver *driver = &trace->drivers[d];
      guint kind = g_rand_int_range (rand, 0, 10);

      driver->vehicle = kind < 4 ? DISPATCH_VEHICLE_BIKE
                        : kind < 7 ? DISPATCH_VEHICLE_SCOOTER : DISPATCH_VEHICLE_CAR;
      driver->speed_mps = dispatch_vehicle_speed_mps (driver->vehicle) *
                          g_rand_double_range (rand, 0.85, 1.15);
      place (g_rand_double_range (rand, -HALF_SIDE_M, HALF_SIDE_M),
             g_rand_double_range (rand, -HALF_SIDE_M, HALF_SIDE_M), &driver->lat, &driver->lon);
    }

  /* Piecewise constant Poisson: memoryless, so each segment starts afresh. */
  for (guint i = 0; i < profile->len; i++)
    {
      const Segment *segment = &g_array_index (profile, Segment, i);
      double t = trace->end_s;
      double end = trace->end_s + segment->hours * 3600.0;

      for (;;)
        {
          TraceOrder order;
          double x, y;

          t += -log (g_rand_double_range (rand, DBL_MIN, 1.0)) * 3600.0 / segment->rate_per_hour;
          if (t >= end)
            break;

          if (g_rand_double (rand) < HOT_SHARE)
            {
              guint h = g_rand_int_range (rand, 0, N_HOT_SPOTS);

              x = hot_x[h] + HOT_SIGMA_M * normal (rand);
              y = hot_y[h] + HOT_SIGMA_M * normal (rand);
            }
          else
            {
              x = g_rand_double_range (rand, -HALF_SIDE_M, HALF_SIDE_M);
              y = g_rand_double_range (rand, -HALF_SIDE_M, HALF_SIDE_M);
            }

          order.created_s = t;
          place (x, y, &order.pickup_lat, &order.pickup_lon);
          place (x + DROPOFF_SIGMA_M * normal (rand), y + DROPOFF_SIGMA_M * normal (rand),
                 &order.dropoff_lat, &order.dropoff_lon);
          g_array_append_val (orders, order);
        }
      trace->end_s = end;
    }

  trace->n_orders = orders->len;
  trace->orders = (TraceOrder *) (gpointer) g_array_free (g_steal_pointer (&orders), FALSE);
  return trace;
}

static void
trace_free (Trace *trace)
{
  g_free (trace->orders);
  g_free (trace->drivers);
  g_free (trace);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Trace, trace_free)

static double
road_m (double lat1,
        double lon1,
        double lat2,
        double lon2)
{
  return ROAD_DETOUR * dispatch_haversine_m (lat1, lon1, lat2, lon2);
}

static void
sim_init (Sim         *sim,
          const Trace *trace)
{
  sim->trace = trace;
  sim->drivers = g_new0 (SimDriver, trace->n_drivers);
  sim->pickup_at = g_new (double, trace->n_orders);
  sim->empty_m = g_new0 (double, trace->n_orders);
  sim->waiting = g_array_new (FALSE, FALSE, sizeof (guint));
  sim->freed = g_array_new (FALSE, FALSE, sizeof (guint));

  for (guint o = 0; o < trace->n_orders; o++)
    sim->pickup_at[o] = NAN;

  for (guint d = 0; d < trace->n_drivers; d++)
    {
      SimDriver *driver = &sim->drivers[d];

      driver->fleet.id = "";
      driver->fleet.name = "";
      driver->fleet.vehicle = trace->drivers[d].vehicle;
      driver->fleet.capacity = 1;
      driver->fleet.online = TRUE;
      driver->fleet.auto_dispatch = TRUE;
      driver->fleet.has_location = TRUE;
      driver->fleet.lat = trace->drivers[d].lat;
      driver->fleet.lon = trace->drivers[d].lon;
      driver->fleet.heading = NAN;
      driver->fleet.speed_mps = NAN;
      driver->fleet.observed_speed_mps = NAN;
      driver->speed_mps = trace->drivers[d].speed_mps;
    }
}

static void
sim_clear (Sim *sim)
{
  g_free (sim->drivers);
  g_free (sim->pickup_at);
  g_free (sim->empty_m);
  g_array_unref (sim->waiting);
  g_array_unref (sim->freed);
}

static void
assign (Sim   *sim,
        guint  waiting_index,
        guint  d)
{
  guint o = g_array_index (sim->waiting, guint, waiting_index);
  const TraceOrder *order = &sim->trace->orders[o];
  SimDriver *driver = &sim->drivers[d];
  double metres = road_m (driver->fleet.lat, driver->fleet.lon,
                          order->pickup_lat, order->pickup_lon);

  g_assert (driver->state == IDLE);
  driver->state = TO_PICKUP;
  driver->order = o;
  driver->until_s = sim->now + metres / driver->speed_mps;
  sim->empty_m[o] = metres;
  g_array_remove_index (sim->waiting, waiting_index);
}

/* Moves every driver on to now; drivers that become idle go to sim->freed. */
static void
advance (Sim *sim)
{
  g_array_set_size (sim->freed, 0);

  for (guint d = 0; d < sim->trace->n_drivers; d++)
    {
      SimDriver *driver = &sim->drivers[d];

      while (driver->state != IDLE && driver->until_s <= sim->now)
        {
          const TraceOrder *order = &sim->trace->orders[driver->order];

          switch (driver->state)
            {
            case TO_PICKUP:
              sim->pickup_at[driver->order] = driver->until_s;
              driver->fleet.lat = order->pickup_lat;
              driver->fleet.lon = order->pickup_lon;
              driver->state = AT_PICKUP;
              driver->until_s += PICKUP_SERVICE_S;
              break;
            case AT_PICKUP:
              driver->state = TO_DROPOFF;
              driver->until_s += road_m (order->pickup_lat, order->pickup_lon,
                                         order->dropoff_lat, order->dropoff_lon) /
                                 driver->speed_mps;
              break;
            case TO_DROPOFF:
              driver->fleet.lat = order->dropoff_lat;
              driver->fleet.lon = order->dropoff_lon;
              driver->state = AT_DROPOFF;
              driver->until_s += DROPOFF_SERVICE_S;
              break;
            case AT_DROPOFF:
              driver->state = IDLE;
              g_array_append_val (sim->freed, d);
              break;
            case IDLE:
            default:
              g_assert_not_reached ();
            }
        }
    }
}

static void
greedy_step (Sim *sim)
{
  for (guint w = 0; w < sim->waiting->len;)
    {
      const TraceOrder *order = &sim->trace->orders[g_array_index (sim->waiting, guint, w)];
      double best_eta = INFINITY;
      int best = -1;

      for (guint d = 0; d < sim->trace->n_drivers; d++)
        {
          SimDriver *driver = &sim->drivers[d];
          double eta;

          if (driver->state != IDLE ||
              dispatch_haversine_m (driver->fleet.lat, driver->fleet.lon, order->pickup_lat,
                                    order->pickup_lon) > 20000.0)
            continue;

          eta = dsd_dispatch_eta (&driver->fleet, order->pickup_lat, order->pickup_lon, NULL);
          if (eta < best_eta)
            {
              best_eta = eta;
              best = d;
            }
        }

      if (best < 0)
        break;
      assign (sim, w, best);
    }
}

/* The engine's problem for this instant: waiting orders × idle drivers. */
static DsdMatch *
build_match (Sim   *sim,
             guint *driver_of_index)
{
  DsdMatchParams params;
  DsdMatch *match;

  dsd_match_params_init (&params);
  match = dsd_match_new (&params, dsd_dispatch_eta, NULL, NULL);

  for (guint w = 0; w < sim->waiting->len; w++)
    {
      const TraceOrder *order = &sim->trace->orders[g_array_index (sim->waiting, guint, w)];

      dsd_match_add_order (match, order->pickup_lat, order->pickup_lon,
                           sim->now - order->created_s, 0, NULL);
    }

  for (guint d = 0; d < sim->trace->n_drivers; d++)
    {
      SimDriver *driver = &sim->drivers[d];

      if (driver->state == IDLE)
        driver_of_index[dsd_match_add_driver (match, driver->fleet.lat, driver->fleet.lon,
                                              1, 0, &driver->fleet)] = d;
    }

  dsd_match_connect (match);
  return match;
}

/* The immediate path for one waiting order (its index in sim->waiting). */
static void
try_immediate (Sim   *sim,
               guint  waiting_index)
{
  g_autofree guint *driver_of_index = g_new (guint, sim->trace->n_drivers);
  g_autoptr(DsdMatch) match = build_match (sim, driver_of_index);
  int pick = dsd_match_pick_for_order (match, waiting_index);

  if (pick >= 0)
    {
      assign (sim, waiting_index, driver_of_index[pick]);
      sim->n_immediate++;
    }
}

static void
engine_freed (Sim   *sim,
              guint  d)
{
  g_autofree guint *driver_of_index = g_new (guint, sim->trace->n_drivers);
  g_autoptr(DsdMatch) match = NULL;
  int index = -1;
  int best;

  if (sim->drivers[d].state != IDLE || sim->waiting->len == 0)
    return;

  match = build_match (sim, driver_of_index);
  for (guint i = 0; i < dsd_match_get_n_drivers (match); i++)
    {
      if (driver_of_index[i] == d)
        index = i;
    }
  best = dsd_match_best_order (match, index);
  g_clear_pointer (&match, dsd_match_free);
  if (best >= 0)
    try_immediate (sim, best);
}

static void
engine_batch (Sim *sim)
{
  g_autofree guint *driver_of_index = g_new (guint, sim->trace->n_drivers);
  g_autoptr(DsdMatch) match = build_match (sim, driver_of_index);
  guint n = sim->waiting->len;
  g_autofree int *assignment = g_new (int, MAX (n, 1));

  dsd_match_solve (match, assignment, NULL);
  /* Backwards, so that removing from sim->waiting keeps the earlier indices. */
  for (guint w = n; w-- > 0;)
    {
      if (assignment[w] >= 0)
        {
          assign (sim, w, driver_of_index[assignment[w]]);
          sim->n_batch++;
        }
    }
}

/* Several orders per trip ----------------------------------------------- */

typedef struct {
  guint    order;
  gboolean dropoff;
} TripStop;

typedef struct {
  DsdFleetDriver fleet;        /* where it is now, as the planner sees it */
  double         speed_mps;    /* the truth */
  TripStop       stops[DSD_ROUTE_MAX_STOPS];
  guint          n_stops;      /* ahead, in driving order; stops[0] the one under way */
  gboolean       at_stop;      /* serving stops[0] until until_s, else driving to it */
  double         until_s;
  double         from_lat, from_lon, from_s;  /* the leg under way */
  double         busy_since_s;
} TripDriver;

typedef struct {
  const Trace *trace;
  TripDriver  *drivers;
  double      *pickup_at;      /* per order, NAN until picked up */
  double      *delivered_at;   /* per order, NAN until delivered */
  GArray      *waiting;
  double       now;
  double       busy_s;
  guint        max_orders;
  guint        n_batched;      /* orders given to a driver that held some */
} TripSim;

typedef struct {
  GArray *deliveries;          /* double, seconds from arrival to dropoff */
  double  busy_s;
  guint   n_delivered;         /* all of them, for the driver-hours */
  guint   n_measured;
  guint   n_unserved;
  guint   n_batched;
  guint   n_assigned;
} TripResult;

static void
stop_place (const TripSim *sim,
            TripStop       stop,
            double        *lat,
            double        *lon)
{
  const TraceOrder *order = &sim->trace->orders[stop.order];

  *lat = stop.dropoff ? order->dropoff_lat : order->pickup_lat;
  *lon = stop.dropoff ? order->dropoff_lon : order->pickup_lon;
}

/* Sets off from where the driver is towards stops[0]. */
static void
trip_start_leg (TripSim    *sim,
                TripDriver *driver)
{
  double lat, lon;

  stop_place (sim, driver->stops[0], &lat, &lon);
  driver->from_lat = driver->fleet.lat;
  driver->from_lon = driver->fleet.lon;
  driver->from_s = sim->now;
  driver->at_stop = FALSE;
  driver->until_s = sim->now + road_m (driver->fleet.lat, driver->fleet.lon, lat, lon) /
                               driver->speed_mps;
}

static void
trip_sim_init (TripSim     *sim,
               const Trace *trace,
               guint        max_orders)
{
  sim->trace = trace;
  sim->max_orders = max_orders;
  sim->drivers = g_new0 (TripDriver, trace->n_drivers);
  sim->pickup_at = g_new (double, trace->n_orders);
  sim->delivered_at = g_new (double, trace->n_orders);
  sim->waiting = g_array_new (FALSE, FALSE, sizeof (guint));

  for (guint o = 0; o < trace->n_orders; o++)
    sim->pickup_at[o] = sim->delivered_at[o] = NAN;

  for (guint d = 0; d < trace->n_drivers; d++)
    {
      TripDriver *driver = &sim->drivers[d];

      driver->fleet = (DsdFleetDriver) {
        .id = "", .name = "", .vehicle = trace->drivers[d].vehicle, .capacity = max_orders,
        .online = TRUE, .auto_dispatch = TRUE, .has_location = TRUE,
        .lat = trace->drivers[d].lat, .lon = trace->drivers[d].lon,
        .heading = NAN, .speed_mps = NAN, .observed_speed_mps = NAN,
      };
      driver->speed_mps = trace->drivers[d].speed_mps;
    }
}

static void
trip_sim_clear (TripSim *sim)
{
  g_free (sim->drivers);
  g_free (sim->pickup_at);
  g_free (sim->delivered_at);
  g_array_unref (sim->waiting);
}

/* Moves every driver on to now. */
static void
trip_advance (TripSim *sim)
{
  for (guint d = 0; d < sim->trace->n_drivers; d++)
    {
      TripDriver *driver = &sim->drivers[d];

      while (driver->n_stops > 0 && driver->until_s <= sim->now)
        {
          TripStop stop = driver->stops[0];

          if (!driver->at_stop)
            {
              stop_place (sim, stop, &driver->fleet.lat, &driver->fleet.lon);
              if (stop.dropoff)
                sim->delivered_at[stop.order] = driver->until_s;
              else
                sim->pickup_at[stop.order] = driver->until_s;
              driver->at_stop = TRUE;
              driver->until_s += stop.dropoff ? DROPOFF_SERVICE_S : PICKUP_SERVICE_S;
              continue;
            }

          driver->n_stops--;
          memmove (driver->stops, driver->stops + 1, driver->n_stops * sizeof (TripStop));
          if (driver->n_stops > 0)
            {
              double leave = driver->until_s;

              trip_start_leg (sim, driver);
              driver->from_s = leave;
              driver->until_s -= sim->now - leave;
            }
          else
            {
              driver->at_stop = FALSE;
              sim->busy_s += driver->until_s - driver->busy_since_s;
            }
        }

      if (driver->n_stops > 0 && !driver->at_stop && driver->until_s > driver->from_s)
        {
          double lat, lon;
          double f = CLAMP ((sim->now - driver->from_s) / (driver->until_s - driver->from_s),
                            0.0, 1.0);

          stop_place (sim, driver->stops[0], &lat, &lon);
          driver->fleet.lat = driver->from_lat + f * (lat - driver->from_lat);
          driver->fleet.lon = driver->from_lon + f * (lon - driver->from_lon);
        }
    }
}

/* The driver's orders as the planner takes them (orders[i] is order ids[i]);
 * the stop it is serving is left out (a pickup there counts as done). */
static guint
trip_orders (const TripSim    *sim,
             const TripDriver *driver,
             DsdRouteOrder    *orders,
             guint            *ids)
{
  guint n = 0;

  for (guint s = driver->at_stop ? 1 : 0; s < driver->n_stops; s++)
    {
      const TraceOrder *order = &sim->trace->orders[driver->stops[s].order];
      gboolean known = FALSE;

      for (guint i = 0; i < n; i++)
        known = known || ids[i] == driver->stops[s].order;
      if (known)
        continue;

      ids[n] = driver->stops[s].order;
      dsd_eta_route_order (&orders[n], driver->stops[s].dropoff, order->pickup_lat,
                           order->pickup_lon, order->dropoff_lat, order->dropoff_lon, 0, 0, 0);
      n++;
    }
  return n;
}

static guint
trip_held (const TripDriver *driver)
{
  guint n = 0;

  for (guint s = 0; s < driver->n_stops; s++)
    n += driver->stops[s].dropoff;
  return n;
}

static double
trip_cost_cb (gpointer order_data,
              gpointer driver_data,
              double   eta_s,
              gpointer user_data)
{
  TripSim *sim = user_data;
  TripDriver *driver = driver_data;
  const TraceOrder *order = order_data;
  DsdRouteOrder orders[DSD_ROUTE_MAX_ORDERS];
  guint ids[DSD_ROUTE_MAX_ORDERS];
  DsdRouteParams params;
  DsdRoutePlan plan;
  guint n = trip_orders (sim, driver, orders, ids);

  dsd_eta_route_params (&driver->fleet, TRIP_MAX_DELAY_S, &params);
  dsd_route_plan (&params, orders, n, &plan);
  dsd_eta_route_order (&orders[n], FALSE, order->pickup_lat, order->pickup_lon,
                       order->dropoff_lat, order->dropoff_lon, 0, 0, 0);
  return dsd_route_insertion_cost (&params, orders, n, &plan);
}

/* Gives the order to the driver and plans its stops again. */
static void
trip_give (TripSim    *sim,
           TripDriver *driver,
           guint       o)
{
  DsdRouteOrder orders[DSD_ROUTE_MAX_ORDERS];
  guint ids[DSD_ROUTE_MAX_ORDERS];
  DsdRouteParams params;
  DsdRoutePlan plan;
  TripStop first = driver->stops[0];
  gboolean serving = driver->n_stops > 0 && driver->at_stop;
  guint n;

  if (driver->n_stops == 0)
    driver->busy_since_s = sim->now;
  else
    sim->n_batched++;

  n = trip_orders (sim, driver, orders, ids);
  ids[n] = o;
  dsd_eta_route_order (&orders[n], FALSE, sim->trace->orders[o].pickup_lat,
                       sim->trace->orders[o].pickup_lon, sim->trace->orders[o].dropoff_lat,
                       sim->trace->orders[o].dropoff_lon, 0, 0, 0);
  dsd_eta_route_params (&driver->fleet, TRIP_MAX_DELAY_S, &params);
  dsd_route_plan (&params, orders, n + 1, &plan);

  driver->n_stops = 0;
  if (serving)
    driver->stops[driver->n_stops++] = first;
  for (guint s = 0; s < plan.n_stops; s++)
    driver->stops[driver->n_stops++] = (TripStop) { ids[plan.stops[s].order],
                                                    plan.stops[s].dropoff };

  if (!serving && (first.order != driver->stops[0].order ||
                   first.dropoff != driver->stops[0].dropoff || n == 0))
    trip_start_leg (sim, driver);
}

static void
trip_round (TripSim *sim)
{
  guint n_fleet = sim->trace->n_drivers;
  g_autofree guint *driver_of_index = g_new (guint, n_fleet);
  DsdMatchParams params;
  g_autoptr(DsdMatch) match = NULL;
  g_autofree int *assignment = g_new (int, MAX (sim->waiting->len, 1));
  guint n = sim->waiting->len;

  dsd_match_params_init (&params);
  match = dsd_match_new (&params, dsd_dispatch_eta, NULL, sim);
  dsd_match_set_cost_func (match, trip_cost_cb);
  for (guint w = 0; w < n; w++)
    {
      const TraceOrder *order = &sim->trace->orders[g_array_index (sim->waiting, guint, w)];

      dsd_match_add_order (match, order->pickup_lat, order->pickup_lon,
                           sim->now - order->created_s, 0, (gpointer) order);
    }
  for (guint d = 0; d < n_fleet; d++)
    {
      TripDriver *driver = &sim->drivers[d];
      guint held = trip_held (driver);

      if (held < sim->max_orders)
        driver_of_index[dsd_match_add_driver (match, driver->fleet.lat, driver->fleet.lon, 1,
                                              held, driver)] = d;
    }
  dsd_match_connect (match);
  dsd_match_solve (match, assignment, NULL);

  for (guint w = n; w-- > 0;)
    {
      if (assignment[w] < 0)
        continue;
      trip_give (sim, &sim->drivers[driver_of_index[assignment[w]]],
                 g_array_index (sim->waiting, guint, w));
      g_array_remove_index (sim->waiting, w);
    }
}

/* The batching policy with at most max_orders per driver on one trace. */
static void
run_trips (const Trace *trace,
           guint        max_orders,
           TripResult  *result)
{
  TripSim sim = { 0 };
  guint next = 0;
  double end = trace->end_s + DRAIN_S;
  guint assigned = 0;

  trip_sim_init (&sim, trace, max_orders);
  for (sim.now = 0; sim.now < end; sim.now += 1.0)
    {
      trip_advance (&sim);
      for (; next < trace->n_orders && trace->orders[next].created_s <= sim.now; next++)
        g_array_append_val (sim.waiting, next);
      if ((guint64) sim.now % interval_s == 0 && sim.waiting->len > 0)
        {
          guint before = sim.waiting->len;

          trip_round (&sim);
          assigned += before - sim.waiting->len;
        }
    }

  for (guint o = 0; o < trace->n_orders; o++)
    {
      double delivery;

      if (!isnan (sim.delivered_at[o]))
        result->n_delivered++;
      if (trace->orders[o].created_s < WARMUP_S)
        continue;
      result->n_measured++;
      if (isnan (sim.delivered_at[o]))
        {
          result->n_unserved++;
          continue;
        }
      delivery = sim.delivered_at[o] - trace->orders[o].created_s;
      g_array_append_val (result->deliveries, delivery);
    }
  result->busy_s += sim.busy_s;
  result->n_batched += sim.n_batched;
  result->n_assigned += assigned;
  trip_sim_clear (&sim);
}

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

/* Runs one policy on one trace and adds its figures to result. */
static void
run (const Trace *trace,
     gboolean     engine,
     Result      *result)
{
  Sim sim = { 0 };
  guint next = 0;
  double end = trace->end_s + DRAIN_S;

  sim_init (&sim, trace);

  for (sim.now = 0; sim.now < end; sim.now += 1.0)
    {
      advance (&sim);

      while (next < trace->n_orders && trace->orders[next].created_s <= sim.now)
        {
          g_array_append_val (sim.waiting, next);
          if (engine)
            try_immediate (&sim, sim.waiting->len - 1);
          next++;
        }

      if (!engine)
        {
          greedy_step (&sim);
          continue;
        }

      for (guint f = 0; f < sim.freed->len; f++)
        engine_freed (&sim, g_array_index (sim.freed, guint, f));

      if ((guint64) sim.now % interval_s == 0 && sim.waiting->len > 0)
        engine_batch (&sim);
    }

  for (guint o = 0; o < trace->n_orders; o++)
    {
      double wait;

      if (trace->orders[o].created_s < WARMUP_S)
        continue;
      result->n_measured++;
      if (isnan (sim.pickup_at[o]))
        {
          result->n_unserved++;
          continue;
        }
      wait = sim.pickup_at[o] - trace->orders[o].created_s;
      g_array_append_val (result->waits, wait);
      result->empty_m += sim.empty_m[o];
    }
  result->n_immediate += sim.n_immediate;
  result->n_batch += sim.n_batch;

  sim_clear (&sim);
}

static double
percentile (GArray *sorted,
            double  fraction)
{
  guint rank = (guint) ceil (fraction * sorted->len);

  return g_array_index (sorted, double, MAX (rank, 1) - 1);
}

static double
mean (GArray *values)
{
  double sum = 0;

  for (guint i = 0; i < values->len; i++)
    sum += g_array_index (values, double, i);

  return sum / values->len;
}

static void
print_trip_row (GString    *table,
                const char *scenario,
                const char *policy,
                TripResult *r)
{
  g_string_append_printf (table,
                          "| %-10s | %-8s | %6u | %7.1f | %7.1f | %8.3f | %8u | %7.1f %% |\n",
                          scenario, policy, r->n_measured, mean (r->deliveries),
                          percentile (r->deliveries, 0.95),
                          r->busy_s / 3600.0 / MAX (r->n_delivered, 1), r->n_unserved,
                          100.0 * r->n_batched / MAX (r->n_assigned, 1));
}

static void
print_row (const char *scenario,
           const char *policy,
           Result     *r)
{
  g_autofree char *how = NULL;

  if (r->n_immediate + r->n_batch > 0)
    how = g_strdup_printf ("%u/%u", r->n_immediate, r->n_batch);
  printf ("| %-10s | %-6s | %6u | %7.1f | %7.1f | %7.1f | %7.1f | %8.2f | %8u | %15s |\n",
          scenario, policy, r->n_measured, mean (r->waits), percentile (r->waits, 0.5),
          percentile (r->waits, 0.95), percentile (r->waits, 1.0),
          r->empty_m / r->waits->len / 1000.0, r->n_unserved, how != NULL ? how : "-");
}

/* "NAME=H:R[,H:R...]" */
static gboolean
parse_scenario (const char  *text,
                char       **out_name,
                GArray     **out_profile)
{
  g_auto(GStrv) halves = g_strsplit (text, "=", 2);
  g_auto(GStrv) segments = NULL;
  g_autoptr(GArray) profile = g_array_new (FALSE, FALSE, sizeof (Segment));

  if (g_strv_length (halves) != 2 || *halves[0] == '\0')
    return FALSE;

  segments = g_strsplit (halves[1], ",", -1);
  for (guint i = 0; segments[i] != NULL; i++)
    {
      Segment segment;
      char *end = NULL;

      segment.hours = g_ascii_strtod (segments[i], &end);
      if (end == NULL || *end != ':')
        return FALSE;
      segment.rate_per_hour = g_ascii_strtod (end + 1, &end);
      if (*end != '\0' || !(segment.hours > 0) || !(segment.rate_per_hour > 0))
        return FALSE;
      g_array_append_val (profile, segment);
    }

  if (profile->len == 0)
    return FALSE;

  *out_name = g_strdup (halves[0]);
  *out_profile = g_steal_pointer (&profile);
  return TRUE;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = g_option_context_new ("- dispatch policies on a city");
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) verdicts = g_string_new (NULL);
  g_autoptr(GString) results = g_string_new (NULL);
  g_autoptr(GString) trips = g_string_new (NULL);
  const char * const *list;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  if (n_drivers < 1 || n_seeds < 1 || interval_s < 1)
    {
      g_printerr ("--drivers, --seeds and --interval must be positive\n");
      return 2;
    }
  if (trip_max < 1 || trip_max > DSD_ROUTE_MAX_ORDERS)
    {
      g_printerr ("--trip-max must be from 1 to %d\n", DSD_ROUTE_MAX_ORDERS);
      return 2;
    }
  list = scenarios != NULL ? (const char * const *) scenarios : default_scenarios;

  printf ("City: 12 km square, %d drivers (40%% bikes, 30%% scooters, 30%% cars), "
          "seeds %d..%d pooled,\n30 min warm-up, engine batch round every %d s. "
          "Pickup wait in seconds.\n\n",
          n_drivers, first_seed, first_seed + n_seeds - 1, interval_s);
  printf ("| scenario   | policy | orders | mean    | p50     | p95     | max     | empty km "
          "| unserved | immediate/batch |\n");
  printf ("|------------|--------|-------:|--------:|--------:|--------:|--------:|---------:"
          "|---------:|----------------:|\n");

  for (guint i = 0; list[i] != NULL; i++)
    {
      g_autofree char *name = NULL;
      g_autoptr(GArray) profile = NULL;
      Result greedy = { g_array_new (FALSE, FALSE, sizeof (double)) };
      Result engine = { g_array_new (FALSE, FALSE, sizeof (double)) };
      TripResult single = { g_array_new (FALSE, FALSE, sizeof (double)) };
      TripResult batched = { g_array_new (FALSE, FALSE, sizeof (double)) };
      double mean_ratio, p95_ratio;

      if (!parse_scenario (list[i], &name, &profile))
        {
          g_printerr ("invalid scenario “%s”: expected NAME=H:R[,H:R...]\n", list[i]);
          return 2;
        }

      for (int s = 0; s < n_seeds; s++)
        {
          g_autoptr(Trace) trace = trace_new (profile, first_seed + s);

          run (trace, FALSE, &greedy);
          run (trace, TRUE, &engine);
          run_trips (trace, 1, &single);
          run_trips (trace, trip_max, &batched);
        }

      g_array_sort (single.deliveries, compare_doubles);
      g_array_sort (batched.deliveries, compare_doubles);
      print_trip_row (trips, name, "single", &single);
      print_trip_row (trips, name, "trips", &batched);
      g_string_append_printf (results, "trips\t%s\t%.1f\t%.1f\t%.1f\t%.1f\t%.4f\t%.4f\n",
                              name, mean (single.deliveries), mean (batched.deliveries),
                              percentile (single.deliveries, 0.95),
                              percentile (batched.deliveries, 0.95),
                              single.busy_s / 3600.0 / MAX (single.n_delivered, 1),
                              batched.busy_s / 3600.0 / MAX (batched.n_delivered, 1));
      g_array_unref (single.deliveries);
      g_array_unref (batched.deliveries);

      g_array_sort (greedy.waits, compare_doubles);
      g_array_sort (engine.waits, compare_doubles);
      mean_ratio = mean (engine.waits) / mean (greedy.waits);
      p95_ratio = percentile (engine.waits, 0.95) / percentile (greedy.waits, 0.95);
      print_row (name, "greedy", &greedy);
      print_row (name, "engine", &engine);
      printf ("| %-10s | ratio  |        | %7.3f |         | %7.3f |         |          "
              "|          |                 |\n", "", mean_ratio, p95_ratio);
      g_string_append_printf (verdicts, "  %-10s mean %.3f, p95 %.3f: %s\n", name,
                              mean_ratio, p95_ratio,
                              mean_ratio <= 0.8 && p95_ratio <= 1.0 ? "met" : "not met");
      g_string_append_printf (results, "result\t%s\t%s\t%.1f\t%.1f\t%.1f\t%.1f\n", name,
                              strchr (list[i], '=') + 1, mean (greedy.waits), mean (engine.waits),
                              percentile (greedy.waits, 0.95), percentile (engine.waits, 0.95));
      g_array_unref (greedy.waits);
      g_array_unref (engine.waits);
    }

  printf ("\nSeveral orders per trip: rounds every %d s, single (1 order per driver) against "
          "trips (up to %d,\n600 s bound on an order's extra delay). Time to delivery in "
          "seconds; driver-hours\nwith an order held, per delivered order.\n\n",
          interval_s, trip_max);
  printf ("| scenario   | policy   | orders | mean    | p95     | h/order  | unserved "
          "| batched   |\n");
  printf ("|------------|----------|-------:|--------:|--------:|---------:|---------:"
          "|----------:|\n");
  printf ("%s", trips->str);
  printf ("\nP8 (engine / greedy: mean <= 0.80, p95 <= 1.00):\n%s\n%s", verdicts->str,
          results->str);
  return 0;
}
