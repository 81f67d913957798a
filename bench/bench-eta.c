/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The ETA model (docs/eta.md) against a synthetic city trace: drivers drive
 * on a street grid (blocks of 100 m, so routes are longer than great-circle
 * lines), stop at some junctions, dwell at the pickup, and report a point
 * every 5 s. The real DsdFleet smooths their speed from the points; at each
 * point the order's ETA is compared with the time the trace actually took to
 * the dropoff. The reference in the same run is the same model without the
 * observed speed (the vehicle's default speed only).
 *
 *   bench-eta [--trips N] [--seed S]
 */
#include <math.h>
#include <stdio.h>

#include "dispatch-geo.h"
#include "dispatch-json.h"
#include "dsd-eta-tracker.h"

#define CITY_LAT 52.52
#define CITY_LON 13.405
#define CITY_HALF_M 4000.0
#define BLOCK_M 100.0
#define STOP_PROBABILITY 0.15
#define POINT_INTERVAL_S 5
/* Cruising is faster than the door-to-door average the vehicle speeds are. */
#define CRUISE_FACTOR 1.3
#define START_US G_GINT64_CONSTANT (1800000000000000)

typedef struct {
  double x;
  double y;
} Point;

typedef struct {
  double t;          /* s since the trip's start */
  Point  at;
  double speed_mps;
  gboolean picked_up;
} Sample;

/* |predicted - actual| / actual in 0.1 % bins; the last one holds the rest. */
#define N_BINS 10000

typedef struct {
  guint  bins[N_BINS];
  double signed_sum;
  guint  n;
} Errors;

static DispatchLatLon
to_lat_lon (Point p)
{
  return (DispatchLatLon) {
    .lat = CITY_LAT + p.y / 111320.0,
    .lon = CITY_LON + p.x / (111320.0 * cos (CITY_LAT * G_PI / 180.0)),
  };
}

/* Drives from *at to to along the grid (east-west, then north-south),
 * recording a sample every POINT_INTERVAL_S. */
static void
drive (GRand    *rand,
       Point    *at,
       Point     to,
       double    cruise_mps,
       double   *t,
       gboolean  picked_up,
       GArray   *samples)
{
  for (guint leg = 0; leg < 2; leg++)
    {
      double *coord = leg == 0 ? &at->x : &at->y;
      double target = leg == 0 ? to.x : to.y;
      double direction = target > *coord ? 1 : -1;
      double stopped_until = 0;

      while (fabs (target - *coord) > 1e-6)
        {
          gboolean moving = *t >= stopped_until;
          double before = *coord;

          if (moving)
            {
              *coord += direction * MIN (cruise_mps, fabs (target - *coord));
              /* A junction: sometimes a red light or traffic. */
              if (floor (before / BLOCK_M) != floor (*coord / BLOCK_M) &&
                  g_rand_double (rand) < STOP_PROBABILITY)
                stopped_until = *t + 1 + g_rand_double_range (rand, 5, 25);
            }
          *t += 1;

          if ((gint64) *t % POINT_INTERVAL_S == 0)
            {
              Sample sample = { *t, *at, moving ? cruise_mps : 0, picked_up };

              g_array_append_val (samples, sample);
            }
        }
    }
}

static void
publish (DsdEventBus *bus,
         const char  *type,
         gint64       seq,
         const char  *data)
{
  g_autofree char *envelope = g_strdup_printf ("{\"id\":\"e\",\"seq\":%" G_GINT64_FORMAT ","
                                               "\"type\":\"%s\",\"occurred_at\":"
                                               "\"2026-01-01T00:00:00Z\",\"data\":%s}",
                                               seq, type, data);
  g_autoptr(DsdEvent) event = dsd_event_new_from_json (envelope, -1, NULL);

  g_assert (event != NULL);
  dsd_event_bus_publish (bus, event);
}

static void
record (Errors *errors,
        double  predicted,
        double  actual)
{
  double relative = fabs (predicted - actual) / actual;

  errors->bins[MIN ((guint) (relative * 1000), N_BINS - 1)]++;
  errors->signed_sum += (predicted - actual) / actual;
  errors->n++;
}

/* The upper edge of the bin holding the given fraction of the errors, in %. */
static double
percentile (const Errors *errors,
            double        fraction)
{
  guint seen = 0;

  for (guint i = 0; i < N_BINS; i++)
    {
      seen += errors->bins[i];
      if (seen >= fraction * errors->n)
        return (i + 1) / 10.0;
    }
  return INFINITY;
}

static void
print_row (const char   *what,
           const Errors *errors)
{
  printf ("| %s | %u | %.1f %% | %.1f %% | %+.1f %% |\n", what, errors->n,
          percentile (errors, 0.5), percentile (errors, 0.9),
          100 * errors->signed_sum / errors->n);
}

static Point
random_point (GRand *rand)
{
  return (Point) {
    g_rand_double_range (rand, -CITY_HALF_M, CITY_HALF_M),
    g_rand_double_range (rand, -CITY_HALF_M, CITY_HALF_M),
  };
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) options = g_option_context_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(DsdEventBus) bus = dsd_event_bus_new ();
  g_autoptr(DsdFleet) fleet = dsd_fleet_new (bus);
  g_autoptr(GRand) rand = NULL;
  int trips = 500, seed = 1;
  g_autofree Errors *model = g_new0 (Errors, 2);
  g_autofree Errors *reference = g_new0 (Errors, 2);
  const GOptionEntry entries[] = {
    { "trips", 'n', 0, G_OPTION_ARG_INT, &trips, "Trips (500)", "N" },
    { "seed", 's', 0, G_OPTION_ARG_INT, &seed, "Seed (1)", "S" },
    { NULL }
  };

  g_option_context_add_main_entries (options, entries, NULL);
  if (!g_option_context_parse (options, &argc, &argv, &error) || trips < 1)
    {
      g_printerr ("%s\n", error != NULL ? error->message : "--trips must be positive");
      return 2;
    }

  rand = g_rand_new_with_seed (seed);

  for (int trip = 0; trip < trips; trip++)
    {
      g_autofree char *id = g_strdup_printf ("00000000-0000-4000-8000-%012x", trip);
      g_autofree char *driver_data = NULL;
      g_autoptr(GArray) samples = g_array_new (FALSE, FALSE, sizeof (Sample));
      DispatchVehicle vehicle = g_rand_int_range (rand, 0, DISPATCH_VEHICLE_VAN + 1);
      /* Drivers differ: some are faster, some slower than the average. */
      double cruise = dispatch_vehicle_speed_mps (vehicle) * CRUISE_FACTOR *
                      g_rand_double_range (rand, 0.75, 1.25);
      Point at = random_point (rand), pickup = random_point (rand);
      Point dropoff = random_point (rand);
      DispatchLatLon p = to_lat_lon (pickup), d = to_lat_lon (dropoff);
      /* Each trip on its own day: a new driver, no speed carried over. */
      gint64 start_us = START_US + trip * G_USEC_PER_SEC * G_GINT64_CONSTANT (86400);
      const DsdFleetDriver *driver;
      double t = 0, delivered;

      driver_data = g_strdup_printf ("{\"id\":\"%s\",\"name\":\"d\",\"vehicle\":\"%s\","
                                     "\"capacity\":1,\"online\":true,\"location\":null,"
                                     "\"active_orders\":[]}",
                                     id, dispatch_vehicle_to_string (vehicle));
      publish (bus, "driver.updated", trip + 1, driver_data);
      driver = dsd_fleet_lookup (fleet, id);

      drive (rand, &at, pickup, cruise, &t, FALSE, samples);
      t += g_rand_double_range (rand, 60, 240);
      drive (rand, &at, dropoff, cruise, &t, TRUE, samples);
      delivered = t;

      for (guint i = 0; i < samples->len; i++)
        {
          Sample *s = &g_array_index (samples, Sample, i);
          DispatchLatLon here = to_lat_lon (s->at);
          g_autofree char *at_text = dispatch_format_timestamp (start_us +
                                                                (gint64) (s->t * 1e6));
          g_autofree char *data = NULL;
          DsdFleetDriver plain;
          double actual = delivered - s->t;

          data = g_strdup_printf ("{\"driver_id\":\"%s\",\"lat\":%.7f,\"lon\":%.7f,"
                                  "\"heading\":null,\"speed_mps\":%.2f,\"recorded_at\":\"%s\"}",
                                  id, here.lat, here.lon, s->speed_mps, at_text);
          publish (bus, "driver.location", 0, data);

          /* The last minute says little about a model (and divides by ~0). */
          if (actual < 60)
            continue;

          record (&model[s->picked_up],
                  dsd_eta_order_s (driver, s->picked_up, p.lat, p.lon, d.lat, d.lon), actual);
          plain = *driver;
          plain.observed_speed_mps = NAN;
          record (&reference[s->picked_up],
                  dsd_eta_order_s (&plain, s->picked_up, p.lat, p.lon, d.lat, d.lon), actual);
        }
    }

  printf ("| ETA error, %d synthetic trips (seed %d) | points | median | p90 | bias |\n",
          trips, seed);
  printf ("|---|---|---|---|---|\n");
  print_row ("model, before pickup", &model[0]);
  print_row ("model, after pickup", &model[1]);
  print_row ("reference: vehicle default speed only, before pickup", &reference[0]);
  print_row ("reference: vehicle default speed only, after pickup", &reference[1]);

  return 0;
}
