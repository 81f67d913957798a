/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Nearest-driver queries of DsdFleet (its geo grid) in a 30 km × 30 km city
 * of 20,000 online drivers, against the reference measured in the same run:
 * a linear scan computing the distance to every driver. Also the cost of
 * applying one driver.location event (envelope parsing included) against
 * parsing the same envelope alone. Moved here from test-fleet, which checks
 * the answers; this only measures.
 *
 *   bench-fleet [--drivers N] [--queries N] [--seed S]
 */
#include <stdio.h>

#include "dispatch-geo.h"
#include "dispatch-json.h"
#include "dsd-event-bus.h"
#include "dsd-fleet.h"

#define CITY_LAT 52.52
#define CITY_LON 13.405
#define CITY_HALF_LAT 0.135
#define CITY_HALF_LON 0.22

static int n_drivers = 20000;
static int n_queries = 2000;
static int seed = 3;

/* The envelope of a driver.updated (online) or driver.location event. */
static char *
new_envelope (guint         i,
              gint64        seq,
              const double *position,
              gint64        recorded_at_us)
{
  g_autofree char *id = g_strdup_printf ("00000000-0000-4000-8000-%012x", i);
  g_autofree char *data = NULL;

  if (position == NULL)
    data = g_strdup_printf ("{\"id\":\"%s\",\"name\":\"Driver %u\",\"phone\":null,"
                            "\"vehicle\":\"bike\",\"capacity\":2,\"online\":true,"
                            "\"state\":\"idle\",\"location\":null,\"active_orders\":[]}", id, i);
  else
    {
      g_autofree char *at = dispatch_format_timestamp (recorded_at_us);
      char lat[G_ASCII_DTOSTR_BUF_SIZE], lon[G_ASCII_DTOSTR_BUF_SIZE];

      data = g_strdup_printf ("{\"driver_id\":\"%s\",\"lat\":%s,\"lon\":%s,\"heading\":null,"
                              "\"speed_mps\":7.5,\"recorded_at\":\"%s\"}", id,
                              g_ascii_dtostr (lat, sizeof lat, position[0]),
                              g_ascii_dtostr (lon, sizeof lon, position[1]), at);
    }
  return g_strdup_printf ("{\"id\":\"%012x\",\"seq\":%" G_GINT64_FORMAT ",\"type\":\"%s\","
                          "\"occurred_at\":\"2026-01-01T00:00:00Z\",\"data\":%s}", i, seq,
                          position == NULL ? "driver.updated" : "driver.location", data);
}

static DsdEvent *
parse_event (const char *envelope)
{
  g_autoptr(GError) error = NULL;
  DsdEvent *event = dsd_event_new_from_json (envelope, -1, &error);

  g_assert_no_error (error);
  return event;
}

static void
publish (DsdEventBus *bus,
         const char  *envelope)
{
  g_autoptr(DsdEvent) event = parse_event (envelope);

  dsd_event_bus_publish (bus, event);
}

static void
random_position (GRand  *rand,
                 double *out)
{
  out[0] = CITY_LAT + g_rand_double_range (rand, -CITY_HALF_LAT, CITY_HALF_LAT);
  out[1] = CITY_LON + g_rand_double_range (rand, -CITY_HALF_LON, CITY_HALF_LON);
}

/* The reference: distance to every driver, keep the k nearest within radius. */
static guint
scan_nearest (const double *positions,
              double        lat,
              double        lon,
              double        radius_m,
              guint         k,
              double       *best)
{
  guint n = 0;

  for (int i = 0; i < n_drivers; i++)
    {
      double d = dispatch_haversine_m (lat, lon, positions[2 * i], positions[2 * i + 1]);
      guint at;

      if (d > radius_m || (n == k && d >= best[n - 1]))
        continue;
      at = n < k ? n++ : n - 1;
      while (at > 0 && best[at - 1] > d)
        {
          best[at] = best[at - 1];
          at--;
        }
      best[at] = d;
    }

  return n;
}

/* µs per query of both, with the same query places. */
static void
compare_queries (DsdFleet     *fleet,
                 const double *positions,
                 double        radius_m,
                 guint         k,
                 const char   *what)
{
  g_autofree const DsdFleetDriver **found = g_new0 (const DsdFleetDriver *, k);
  g_autofree double *best = g_new0 (double, k);
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed + 1);
  g_autofree double *places = g_new (double, 2 * n_queries);
  guint64 n_fleet = 0, n_scan = 0;
  gint64 start;
  double fleet_us, scan_us;

  for (int q = 0; q < n_queries; q++)
    random_position (rand, &places[2 * q]);

  start = g_get_monotonic_time ();
  for (int q = 0; q < n_queries; q++)
    n_fleet += dsd_fleet_nearest (fleet, places[2 * q], places[2 * q + 1], radius_m, k,
                                  NULL, NULL, found, NULL);
  fleet_us = (g_get_monotonic_time () - start) / (double) n_queries;

  start = g_get_monotonic_time ();
  for (int q = 0; q < n_queries; q++)
    n_scan += scan_nearest (positions, places[2 * q], places[2 * q + 1], radius_m, k, best);
  scan_us = (g_get_monotonic_time () - start) / (double) n_queries;

  if (n_fleet != n_scan)
    g_error ("%s: the fleet found %" G_GUINT64_FORMAT ", the scan %" G_GUINT64_FORMAT,
             what, n_fleet, n_scan);
  printf ("%-18s %8.1f found  fleet %8.1f µs  scan %8.1f µs  ratio %.3f\n", what,
          n_fleet / (double) n_queries, fleet_us, scan_us, fleet_us / scan_us);
}

int
main (int   argc,
      char *argv[])
{
  GOptionEntry entries[] = {
    { "drivers", 0, 0, G_OPTION_ARG_INT, &n_drivers, "Drivers in the city", "N" },
    { "queries", 0, 0, G_OPTION_ARG_INT, &n_queries, "Queries of each kind", "N" },
    { "seed", 0, 0, G_OPTION_ARG_INT, &seed, "Random seed", "S" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GRand) rand = NULL;
  g_autoptr(DsdEventBus) bus = dsd_event_bus_new ();
  g_autoptr(DsdFleet) fleet = dsd_fleet_new (bus);
  g_autoptr(GPtrArray) moves = g_ptr_array_new_with_free_func (g_free);
  g_autofree double *positions = NULL;
  gint64 now = g_get_real_time ();
  gint64 start;
  double apply_us, parse_us;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) || n_drivers < 1 || n_queries < 1)
    {
      fprintf (stderr, "%s\n", error != NULL ? error->message : "N must be at least 1");
      return 2;
    }

  rand = g_rand_new_with_seed (seed);
  positions = g_new (double, 2 * n_drivers);
  for (int i = 0; i < n_drivers; i++)
    {
      g_autofree char *online = new_envelope (i, i + 1, NULL, 0);
      g_autofree char *location = NULL;

      random_position (rand, &positions[2 * i]);
      location = new_envelope (i, 0, &positions[2 * i], now);
      publish (bus, online);
      publish (bus, location);
    }

  printf ("%d drivers, %d queries each\n", n_drivers, n_queries);
  compare_queries (fleet, positions, G_MAXDOUBLE, 10, "k = 10 nearest");
  compare_queries (fleet, positions, 1000, n_drivers, "all within 1 km");
  compare_queries (fleet, positions, 5000, n_drivers, "all within 5 km");

  /* Every driver moves once; the reference parses the same envelopes. */
  for (int i = 0; i < n_drivers; i++)
    {
      double position[2];

      random_position (rand, position);
      g_ptr_array_add (moves, new_envelope (i, 0, position, now + G_USEC_PER_SEC));
    }
  for (guint round = 0; round < 2; round++)   /* the first round warms up */
    {
      start = g_get_monotonic_time ();
      for (guint i = 0; i < moves->len; i++)
        dsd_event_unref (parse_event (g_ptr_array_index (moves, i)));
    }
  parse_us = (g_get_monotonic_time () - start) / (double) n_drivers;

  start = g_get_monotonic_time ();
  for (guint i = 0; i < moves->len; i++)
    publish (bus, g_ptr_array_index (moves, i));
  apply_us = (g_get_monotonic_time () - start) / (double) n_drivers;
  printf ("%-18s fleet %8.2f µs  parse alone %8.2f µs  ratio %.2f\n", "driver.location",
          apply_us, parse_us, apply_us / parse_us);

  return 0;
}
