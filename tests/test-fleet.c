/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <math.h>

#include "dispatch-geo.h"
#include "dispatch-json.h"
#include "dsd-event-bus.h"
#include "dsd-fleet.h"
#include "dsd-geo-grid.h"

#define CITY_LAT 52.52
#define CITY_LON 13.405

typedef struct {
  DsdGeoGridItem item;
  guint          index;
} Point;

typedef struct {
  double lat;
  double lon;
  double radius_m;
  guint  k;
} Probe;

static gint64 next_seq = 1;

static char *
driver_id (guint i)
{
  return g_strdup_printf ("00000000-0000-4000-8000-%012x", i);
}

static void
publish (DsdEventBus *bus,
         const char  *type,
         gint64       seq,
         const char  *data)
{
  g_autofree char *id = g_uuid_string_random ();
  g_autofree char *envelope = NULL;
  g_autoptr(DsdEvent) event = NULL;
  g_autoptr(GError) error = NULL;

  envelope = g_strdup_printf ("{\"id\":\"%s\",\"seq\":%" G_GINT64_FORMAT ",\"type\":\"%s\","
                              "\"occurred_at\":\"2026-01-01T00:00:00Z\",\"data\":%s}",
                              id, seq, type, data);
  event = dsd_event_new_from_json (envelope, -1, &error);
  g_assert_no_error (error);
  dsd_event_bus_publish (bus, event);
}

static void
publish_driver (DsdEventBus *bus,
                guint        i,
                gboolean     online,
                guint        n_active)
{
  g_autofree char *id = driver_id (i);
  g_autoptr(GString) active = g_string_new ("[");
  g_autofree char *data = NULL;

  for (guint j = 0; j < n_active; j++)
    g_string_append_printf (active, "%s\"order-%u\"", j ? "," : "", j);
  g_string_append_c (active, ']');

  data = g_strdup_printf ("{\"id\":\"%s\",\"name\":\"Driver %u\",\"phone\":null,"
                          "\"vehicle\":\"bike\",\"capacity\":2,\"online\":%s,\"state\":\"idle\","
                          "\"location\":null,\"active_orders\":%s}",
                          id, i, online ? "true" : "false", active->str);
  publish (bus, "driver.updated", next_seq++, data);
}

static void
publish_location (DsdEventBus *bus,
                  guint        i,
                  double       lat,
                  double       lon,
                  gint64       recorded_at_us,
                  const char  *speed)
{
  g_autofree char *id = driver_id (i);
  g_autofree char *at = dispatch_format_timestamp (recorded_at_us);
  g_autofree char *data = NULL;
  char lat_text[G_ASCII_DTOSTR_BUF_SIZE], lon_text[G_ASCII_DTOSTR_BUF_SIZE];

  data = g_strdup_printf ("{\"driver_id\":\"%s\",\"lat\":%s,\"lon\":%s,\"heading\":null,"
                          "\"speed_mps\":%s,\"recorded_at\":\"%s\"}",
                          id, g_ascii_dtostr (lat_text, sizeof lat_text, lat),
                          g_ascii_dtostr (lon_text, sizeof lon_text, lon), speed, at);
  publish (bus, "driver.location", 0, data);
}

/* Uniform on the sphere, or clustered where grids go wrong: the poles, the
 * antimeridian, and a city. */
static DispatchLatLon
random_position (GRand *rand)
{
  switch (g_rand_int_range (rand, 0, 4))
    {
    case 0:
      return (DispatchLatLon) {
        .lat = g_rand_boolean (rand) ? g_rand_double_range (rand, 89.0, 90.0)
                                     : g_rand_double_range (rand, -90.0, -89.0),
        .lon = g_rand_double_range (rand, -180.0, 180.0),
      };
    case 1:
      return (DispatchLatLon) {
        .lat = g_rand_double_range (rand, -60.0, 60.0),
        .lon = g_rand_boolean (rand) ? g_rand_double_range (rand, 179.5, 180.0)
                                     : g_rand_double_range (rand, -180.0, -179.5),
      };
    case 2:
      return (DispatchLatLon) {
        .lat = CITY_LAT + g_rand_double_range (rand, -0.1, 0.1),
        .lon = CITY_LON + g_rand_double_range (rand, -0.15, 0.15),
      };
    default:
      return (DispatchLatLon) {
        .lat = asin (g_rand_double_range (rand, -1.0, 1.0)) * 180.0 / G_PI,
        .lon = g_rand_double_range (rand, -180.0, 180.0),
      };
    }
}

static Probe
random_probe (GRand *rand)
{
  static const double radii[] = { 0, 50, 500, 2000, 20000, 300000, 3e6, 2.1e7 };
  DispatchLatLon at = random_position (rand);

  return (Probe) {
    .lat = at.lat,
    .lon = at.lon,
    .radius_m = radii[g_rand_int_range (rand, 0, G_N_ELEMENTS (radii))] *
                g_rand_double_range (rand, 0.5, 1.5),
    .k = g_rand_int_range (rand, 1, 30),
  };
}

static gboolean
mark_cb (DsdGeoGridItem *item,
         double          distance_m,
         gpointer        user_data)
{
  GArray *found = user_data;
  Point *point = (Point *) item;

  g_array_index (found, gboolean, point->index) = TRUE;
  return TRUE;
}

static void
test_grid_vs_brute_force (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (7);
  g_autoptr(DsdGeoGrid) grid = dsd_geo_grid_new ();
  g_autoptr(GArray) found = g_array_new (FALSE, TRUE, sizeof (gboolean));
  const guint n_points = 4000;
  g_autofree Point *points = g_new0 (Point, n_points);

  g_array_set_size (found, n_points);
  for (guint i = 0; i < n_points; i++)
    {
      DispatchLatLon at = random_position (rand);

      points[i].index = i;
      dsd_geo_grid_place (grid, &points[i].item, at.lat, at.lon);
    }
  /* Exactly on the poles and the antimeridian, too. */
  dsd_geo_grid_place (grid, &points[0].item, 90.0, 0.0);
  dsd_geo_grid_place (grid, &points[1].item, -90.0, 45.0);
  dsd_geo_grid_place (grid, &points[2].item, 10.0, 180.0);
  dsd_geo_grid_place (grid, &points[3].item, 10.0, -180.0);
  g_assert_cmpuint (dsd_geo_grid_get_n_items (grid), ==, n_points);

  for (guint q = 0; q < 600; q++)
    {
      Probe probe = random_probe (rand);
      guint n_expected = 0;

      memset (found->data, 0, n_points * sizeof (gboolean));
      dsd_geo_grid_query (grid, probe.lat, probe.lon, probe.radius_m, mark_cb, found);

      for (guint i = 0; i < n_points; i++)
        {
          double d = dispatch_haversine_m (probe.lat, probe.lon,
                                           points[i].item.lat, points[i].item.lon);
          gboolean inside = d <= probe.radius_m;

          n_expected += inside;
          if (inside != g_array_index (found, gboolean, i))
            g_error ("query (%.6f, %.6f) r=%.1f: point %u (%.6f, %.6f) at %.3f m %s",
                     probe.lat, probe.lon, probe.radius_m, i, points[i].item.lat,
                     points[i].item.lon, d, inside ? "missed" : "wrongly found");
        }
      if (q < 5)
        g_test_message ("query r=%.0f m: %u points", probe.radius_m, n_expected);
    }
}

static void
test_grid_moves (void)
{
  g_autoptr(DsdGeoGrid) grid = dsd_geo_grid_new ();
  g_autoptr(GArray) found = g_array_new (FALSE, TRUE, sizeof (gboolean));
  Point points[3] = { { .index = 0 }, { .index = 1 }, { .index = 2 } };

  g_array_set_size (found, 3);
  dsd_geo_grid_place (grid, &points[0].item, CITY_LAT, CITY_LON);
  dsd_geo_grid_place (grid, &points[1].item, CITY_LAT, CITY_LON + 0.0001);
  dsd_geo_grid_place (grid, &points[2].item, -CITY_LAT, -CITY_LON);
  g_assert_cmpuint (dsd_geo_grid_get_n_cells (grid), ==, 2);

  /* Within the cell, then out of it: the emptied cell goes away. */
  dsd_geo_grid_place (grid, &points[2].item, -CITY_LAT + 0.00001, -CITY_LON);
  g_assert_cmpuint (dsd_geo_grid_get_n_cells (grid), ==, 2);
  dsd_geo_grid_place (grid, &points[2].item, CITY_LAT + 0.02, CITY_LON);
  g_assert_cmpuint (dsd_geo_grid_get_n_cells (grid), ==, 2);
  g_assert_cmpuint (dsd_geo_grid_get_n_items (grid), ==, 3);

  /* The slot of a moved-out item is taken by another one, still found. */
  dsd_geo_grid_place (grid, &points[0].item, 0.0, 0.0);
  dsd_geo_grid_query (grid, CITY_LAT, CITY_LON, 100.0, mark_cb, found);
  g_assert_false (g_array_index (found, gboolean, 0));
  g_assert_true (g_array_index (found, gboolean, 1));
  g_assert_false (g_array_index (found, gboolean, 2));
  memset (found->data, 0, 3 * sizeof (gboolean));
  dsd_geo_grid_query (grid, 0.0, 0.0, 1.0, mark_cb, found);
  g_assert_true (g_array_index (found, gboolean, 0));
  g_assert_false (g_array_index (found, gboolean, 1));
  g_assert_cmpuint (dsd_geo_grid_get_n_cells (grid), ==, 3);
}

typedef struct {
  guint   index;
  double  distance_m;
} Ranked;

static int
compare_ranked (gconstpointer a,
                gconstpointer b)
{
  const Ranked *x = a;
  const Ranked *y = b;

  if (x->distance_m != y->distance_m)
    return x->distance_m < y->distance_m ? -1 : 1;
  return x->index < y->index ? -1 : x->index > y->index;
}

static gboolean
online_only (const DsdFleetDriver *driver,
             gpointer              user_data)
{
  return driver->online;
}

static void
test_nearest_vs_brute_force (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (11);
  g_autoptr(DsdEventBus) bus = dsd_event_bus_new ();
  g_autoptr(DsdFleet) fleet = dsd_fleet_new (bus);
  const guint n_drivers = 3000;
  g_autofree DispatchLatLon *at = g_new0 (DispatchLatLon, n_drivers);
  g_autofree gboolean *online = g_new0 (gboolean, n_drivers);
  gint64 now = g_get_real_time ();

  for (guint i = 0; i < n_drivers; i++)
    {
      at[i] = random_position (rand);
      online[i] = g_rand_int_range (rand, 0, 3) != 0;
      publish_driver (bus, i, online[i], 0);
      publish_location (bus, i, at[i].lat, at[i].lon, now, "null");
    }
  g_assert_cmpuint (dsd_fleet_get_n_drivers (fleet), ==, n_drivers);

  for (guint q = 0; q < 400; q++)
    {
      Probe probe = random_probe (rand);
      gboolean filtered = q % 2 == 1;
      g_autoptr(GArray) expected = g_array_new (FALSE, FALSE, sizeof (Ranked));
      g_autofree const DsdFleetDriver **drivers = g_new0 (const DsdFleetDriver *, probe.k);
      g_autofree double *distances = g_new0 (double, probe.k);
      guint n;

      for (guint i = 0; i < n_drivers; i++)
        {
          Ranked r = { i, dispatch_haversine_m (probe.lat, probe.lon, at[i].lat, at[i].lon) };

          if (r.distance_m <= probe.radius_m && (!filtered || online[i]))
            g_array_append_val (expected, r);
        }
      g_array_sort (expected, compare_ranked);

      n = dsd_fleet_nearest (fleet, probe.lat, probe.lon, probe.radius_m, probe.k,
                             filtered ? online_only : NULL, NULL, drivers, distances);
      g_assert_cmpuint (n, ==, MIN (probe.k, expected->len));
      for (guint i = 0; i < n; i++)
        {
          Ranked r = g_array_index (expected, Ranked, i);
          g_autofree char *id = driver_id (r.index);

          g_assert_cmpstr (drivers[i]->id, ==, id);
          g_assert_cmpfloat (distances[i], ==, r.distance_m);
          if (filtered)
            g_assert_true (drivers[i]->online);
        }
    }
}

static void
test_updates (void)
{
  g_autoptr(DsdEventBus) bus = dsd_event_bus_new ();
  g_autoptr(DsdFleet) fleet = dsd_fleet_new (bus);
  g_autofree char *id = driver_id (1);
  const DsdFleetDriver *found[2];
  const DsdFleetDriver *driver;
  gint64 t0 = g_get_real_time ();

  publish_driver (bus, 1, TRUE, 2);
  driver = dsd_fleet_lookup (fleet, id);
  g_assert_nonnull (driver);
  g_assert_true (driver->online);
  g_assert_cmpuint (driver->n_active, ==, 2);
  g_assert_cmpuint (driver->capacity, ==, 2);
  g_assert_cmpint (driver->vehicle, ==, DISPATCH_VEHICLE_BIKE);
  g_assert_false (driver->has_location);
  g_assert_cmpuint (dsd_fleet_nearest (fleet, CITY_LAT, CITY_LON, 1e7, 1, NULL, NULL, found,
                                       NULL), ==, 0);

  /* Moves: the newest point wins; found at the new place only. */
  publish_location (bus, 1, CITY_LAT, CITY_LON, t0, "5.0");
  g_assert_true (driver->has_location);
  g_assert_cmpfloat (driver->observed_speed_mps, ==, 5.0);
  publish_location (bus, 1, CITY_LAT + 0.01, CITY_LON, t0 + 100 * G_USEC_PER_SEC, "null");
  g_assert_cmpfloat (driver->lat, ==, CITY_LAT + 0.01);
  /* 1.11 km in 100 s: 11.1 m/s, smoothed towards it from 5 m/s. */
  g_assert_cmpfloat (driver->observed_speed_mps, >, 5.0);
  g_assert_cmpfloat (driver->observed_speed_mps, <, 11.2);
  g_assert_cmpuint (dsd_fleet_nearest (fleet, CITY_LAT, CITY_LON, 500, 1, NULL, NULL, found,
                                       NULL), ==, 0);
  g_assert_cmpuint (dsd_fleet_nearest (fleet, CITY_LAT + 0.01, CITY_LON, 500, 1, NULL, NULL,
                                       found, NULL), ==, 1);

  /* Out of order: history only, the live position stays. */
  publish_location (bus, 1, 0.0, 0.0, t0 + 50 * G_USEC_PER_SEC, "null");
  g_assert_cmpfloat (driver->lat, ==, CITY_LAT + 0.01);
  g_assert_cmpint (driver->recorded_at_us, ==, t0 + 100 * G_USEC_PER_SEC);

  /* Far away, across the antimeridian. */
  publish_location (bus, 1, -16.5, 179.999, t0 + 200 * G_USEC_PER_SEC, "null");
  g_assert_cmpuint (dsd_fleet_nearest (fleet, -16.5, -179.999, 500, 1, NULL, NULL, found,
                                       NULL), ==, 1);
  g_assert_true (found[0] == driver);
  g_assert_cmpuint (dsd_fleet_nearest (fleet, CITY_LAT + 0.01, CITY_LON, 500, 1, NULL, NULL,
                                       found, NULL), ==, 0);

  /* State changes keep the position. */
  publish_driver (bus, 1, FALSE, 0);
  g_assert_false (driver->online);
  g_assert_cmpuint (driver->n_active, ==, 0);
  g_assert_true (driver->has_location);
  g_assert_cmpfloat (driver->lat, ==, -16.5);

  g_assert_null (dsd_fleet_lookup (fleet, "00000000-0000-4000-8000-00000000ffff"));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/fleet/grid/vs-brute-force", test_grid_vs_brute_force);
  g_test_add_func ("/fleet/grid/moves", test_grid_moves);
  g_test_add_func ("/fleet/nearest/vs-brute-force", test_nearest_vs_brute_force);
  g_test_add_func ("/fleet/updates", test_updates);

  return g_test_run ();
}
