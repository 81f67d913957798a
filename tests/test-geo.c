/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <math.h>

#include "dispatch-geo.h"

/* One degree of arc on the mean sphere. */
#define DEGREE_M (2 * G_PI * DISPATCH_EARTH_RADIUS_M / 360.0)

typedef struct {
  const char *name;
  double lat1, lon1, lat2, lon2;
  double expected_m;
  double tolerance;
} DistanceCase;

static void
test_haversine (void)
{
  static const DistanceCase cases[] = {
    /* Published city distances: the sphere must agree within 0.5%. */
    { "Paris-London", 48.8566, 2.3522, 51.5074, -0.1278, 343500, 0.005 },
    { "New York-Los Angeles", 40.7128, -74.0060, 34.0522, -118.2437, 3944000, 0.005 },
    { "Sydney-Auckland", -33.8688, 151.2093, -36.8485, 174.7633, 2156000, 0.005 },
    /* Exact geometry on the sphere. */
    { "one degree of longitude on the equator", 0, 0, 0, 1, DEGREE_M, 1e-9 },
    { "one degree of latitude", 10, 20, 11, 20, DEGREE_M, 1e-9 },
    { "equator to pole", 0, 0, 90, 0, 90 * DEGREE_M, 1e-9 },
    { "antipodes", 0, 0, 0, 180, 180 * DEGREE_M, 1e-9 },
    { "pole to pole", 90, 0, -90, 77, 180 * DEGREE_M, 1e-9 },
    { "across the antimeridian", 0, 179.5, 0, -179.5, DEGREE_M, 1e-9 },
    { "all longitudes meet at the pole", 90, -120, 90, 45, 0, 0 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const DistanceCase *c = &cases[i];
      double d = dispatch_haversine_m (c->lat1, c->lon1, c->lat2, c->lon2);
      double back = dispatch_haversine_m (c->lat2, c->lon2, c->lat1, c->lon1);

      g_test_message ("%s: %.3f m", c->name, d);
      g_assert_cmpfloat_with_epsilon (d, c->expected_m, c->expected_m * c->tolerance + 1e-6);
      g_assert_cmpfloat_with_epsilon (d, back, 1e-6);
    }

  g_assert_cmpfloat (dispatch_haversine_m (48.8566, 2.3522, 48.8566, 2.3522), ==, 0.0);
}

static void
test_bearing (void)
{
  static const struct {
    double lat1, lon1, lat2, lon2;
    double expected;
    double tolerance;
  } cases[] = {
    { 0, 0, 1, 0, 0, 1e-9 },
    { 0, 0, 0, 1, 90, 1e-9 },
    { 0, 0, -1, 0, 180, 1e-9 },
    { 0, 0, 0, -1, 270, 1e-9 },
    { 0, 179.5, 0, -179.5, 90, 1e-9 },
    { 0, -179.5, 0, 179.5, 270, 1e-9 },
    /* Paris to London heads north-north-west. */
    { 48.8566, 2.3522, 51.5074, -0.1278, 330.0, 0.5 },
    /* A great circle leaves 45° N heading further north than due east. */
    { 45, 0, 45, 90, 54.7356, 1e-3 },
    /* Identical points have no direction; 0 by convention. */
    { 12, 34, 12, 34, 0, 0 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      double b = dispatch_bearing_deg (cases[i].lat1, cases[i].lon1,
                                       cases[i].lat2, cases[i].lon2);

      g_test_message ("case %u: %.6f", i, b);
      g_assert_cmpfloat_with_epsilon (b, cases[i].expected, cases[i].tolerance + 1e-12);
    }
}

static void
test_bearing_range (void)
{
  for (int lat = -80; lat <= 80; lat += 20)
    for (int lon = -180; lon < 180; lon += 15)
      {
        double b = dispatch_bearing_deg (0.5, 0.5, lat, lon);

        g_assert_cmpfloat (b, >=, 0.0);
        g_assert_cmpfloat (b, <, 360.0);
      }

  /* Just west of due north must not come out as 360. */
  g_assert_cmpfloat (dispatch_bearing_deg (0, 0, 10, -1e-15), <, 360.0);
}

static void
test_destination (void)
{
  static const struct {
    double lat, lon, bearing, distance;
    double expected_lat, expected_lon;
  } cases[] = {
    { 0, 0, 90, DEGREE_M, 0, 1 },
    { 0, 0, 0, DEGREE_M, 1, 0 },
    { 0, 0, 180, 10 * DEGREE_M, -10, 0 },
    { 0, 0, 270, 45 * DEGREE_M, 0, -45 },
    { 0, 179.5, 90, DEGREE_M, 0, -179.5 },
    { 0, -179.5, 270, DEGREE_M, 0, 179.5 },
    { 10, 20, 123, 0, 10, 20 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      DispatchLatLon p = dispatch_destination (cases[i].lat, cases[i].lon,
                                               cases[i].bearing, cases[i].distance);

      g_test_message ("case %u: %.9f, %.9f", i, p.lat, p.lon);
      g_assert_cmpfloat_with_epsilon (p.lat, cases[i].expected_lat, 1e-9);
      g_assert_cmpfloat_with_epsilon (p.lon, cases[i].expected_lon, 1e-9);
    }
}

static void
test_destination_round_trip (void)
{
  static const double points[][2] = {
    { 48.8566, 2.3522 }, { 51.5074, -0.1278 }, { -33.8688, 151.2093 },
    { 64.1466, -21.9426 }, { -54.8019, -68.3030 }, { 35.6762, 139.6503 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (points); i++)
    for (guint j = 0; j < G_N_ELEMENTS (points); j++)
      {
        double bearing = dispatch_bearing_deg (points[i][0], points[i][1],
                                               points[j][0], points[j][1]);
        double distance = dispatch_haversine_m (points[i][0], points[i][1],
                                                points[j][0], points[j][1]);
        DispatchLatLon p = dispatch_destination (points[i][0], points[i][1], bearing, distance);

        g_assert_cmpfloat (dispatch_haversine_m (p.lat, p.lon, points[j][0], points[j][1]),
                           <, 0.01);
      }
}

/* Every point on the circle lies inside the box, and the box is no bigger
 * than it must be. */
static void
assert_bbox_fits_circle (double lat,
                         double lon,
                         double radius_m)
{
  DispatchBBox box = dispatch_bbox_around (lat, lon, radius_m);
  double min_lat = 90, max_lat = -90, min_lon = 180, max_lon = -180;

  for (guint i = 0; i < 36000; i++)
    {
      DispatchLatLon p = dispatch_destination (lat, lon, i / 100.0, radius_m);

      g_assert_true (dispatch_bbox_contains (&box, p.lat, p.lon));
      min_lat = MIN (min_lat, p.lat);
      max_lat = MAX (max_lat, p.lat);
      min_lon = MIN (min_lon, p.lon);
      max_lon = MAX (max_lon, p.lon);
    }

  g_assert_cmpfloat_with_epsilon (box.min_lat, min_lat, 1e-6);
  g_assert_cmpfloat_with_epsilon (box.max_lat, max_lat, 1e-6);
  g_assert_cmpfloat_with_epsilon (box.min_lon, min_lon, 1e-6);
  g_assert_cmpfloat_with_epsilon (box.max_lon, max_lon, 1e-6);
}

static void
test_bbox_around (void)
{
  DispatchBBox box = dispatch_bbox_around (48.8566, 2.3522, 5000);

  g_assert_cmpfloat_with_epsilon (box.max_lat - 48.8566, 5000 / DEGREE_M, 1e-8);
  g_assert_cmpfloat_with_epsilon (48.8566 - box.min_lat, 5000 / DEGREE_M, 1e-8);

  assert_bbox_fits_circle (48.8566, 2.3522, 5000);
  assert_bbox_fits_circle (-33.8688, 151.2093, 20000);
  /* Far north and wide, where the tangent meridians matter. */
  assert_bbox_fits_circle (60, 10, 1000000);
  assert_bbox_fits_circle (0, 0, 5000000);
}

static void
test_bbox_around_degenerate (void)
{
  DispatchBBox zero = dispatch_bbox_around (10, 20, 0);
  DispatchBBox negative = dispatch_bbox_around (10, 20, -5);

  g_assert_cmpfloat_with_epsilon (zero.min_lat, 10, 1e-8);
  g_assert_cmpfloat_with_epsilon (zero.max_lat, 10, 1e-8);
  g_assert_cmpfloat_with_epsilon (zero.min_lon, 20, 1e-8);
  g_assert_cmpfloat_with_epsilon (zero.max_lon, 20, 1e-8);
  g_assert_true (dispatch_bbox_contains (&zero, 10, 20));
  g_assert_false (dispatch_bbox_contains (&zero, 10, 20.0001));
  g_assert_cmpmem (&negative, sizeof negative, &zero, sizeof zero);
}

static void
test_bbox_around_clamps (void)
{
  static const struct {
    const char *name;
    double lat, lon, radius_m;
    double min_lat, min_lon, max_lat, max_lon;
  } cases[] = {
    { "north pole inside", 89.99, 45, 5000, 89.99 - 5000 / DEGREE_M, -180, 90, 180 },
    { "south pole inside", -89.99, -45, 5000, -90, -180, -89.99 + 5000 / DEGREE_M, 180 },
    { "at the pole", 90, 0, 0, 90, -180, 90, 180 },
    { "across the antimeridian eastwards", 10, 179.99, 5000,
      10 - 5000 / DEGREE_M, -180, 10 + 5000 / DEGREE_M, 180 },
    { "across the antimeridian westwards", -10, -179.99, 5000,
      -10 - 5000 / DEGREE_M, -180, -10 + 5000 / DEGREE_M, 180 },
    { "the whole planet", 0, 0, 30000000, -90, -180, 90, 180 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      DispatchBBox box = dispatch_bbox_around (cases[i].lat, cases[i].lon, cases[i].radius_m);

      g_test_message ("%s", cases[i].name);
      g_assert_cmpfloat_with_epsilon (box.min_lat, cases[i].min_lat, 1e-8);
      g_assert_cmpfloat_with_epsilon (box.min_lon, cases[i].min_lon, 1e-8);
      g_assert_cmpfloat_with_epsilon (box.max_lat, cases[i].max_lat, 1e-8);
      g_assert_cmpfloat_with_epsilon (box.max_lon, cases[i].max_lon, 1e-8);
    }

  /* A point just across the line is inside the clamped box. */
  {
    DispatchBBox box = dispatch_bbox_around (10, 179.99, 5000);

    g_assert_true (dispatch_bbox_contains (&box, 10, -179.99));
  }
}

static void
test_bbox_contains (void)
{
  static const DispatchBBox box = { 40, -10, 50, 10 };
  /* A viewport across the antimeridian: 170° E eastwards to 170° W. */
  static const DispatchBBox wrapped = { -10, 170, 10, -170 };
  static const struct {
    const DispatchBBox *box;
    double lat, lon;
    gboolean inside;
  } cases[] = {
    { &box, 45, 0, TRUE },
    { &box, 40, -10, TRUE },
    { &box, 50, 10, TRUE },
    { &box, 39.999, 0, FALSE },
    { &box, 50.001, 0, FALSE },
    { &box, 45, -10.001, FALSE },
    { &box, 45, 10.001, FALSE },
    { &box, NAN, 0, FALSE },
    { &box, 45, NAN, FALSE },
    { &wrapped, 0, NAN, FALSE },
    { &wrapped, 0, 175, TRUE },
    { &wrapped, 0, 180, TRUE },
    { &wrapped, 0, -180, TRUE },
    { &wrapped, 0, -175, TRUE },
    { &wrapped, 0, 0, FALSE },
    { &wrapped, 0, 169, FALSE },
    { &wrapped, 0, -169, FALSE },
    { &wrapped, 11, 175, FALSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_test_message ("case %u", i);
      g_assert_cmpint (dispatch_bbox_contains (cases[i].box, cases[i].lat, cases[i].lon),
                       ==, cases[i].inside);
    }
}

static void
test_lat_lon_is_valid (void)
{
  static const struct {
    double lat, lon;
    gboolean valid;
  } cases[] = {
    { 0, 0, TRUE },
    { 90, 180, TRUE },
    { -90, -180, TRUE },
    { 90.000001, 0, FALSE },
    { -90.000001, 0, FALSE },
    { 0, 180.000001, FALSE },
    { 0, -180.000001, FALSE },
    { NAN, 0, FALSE },
    { 0, NAN, FALSE },
    { INFINITY, 0, FALSE },
    { 0, -INFINITY, FALSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_test_message ("case %u", i);
      g_assert_cmpint (dispatch_lat_lon_is_valid (cases[i].lat, cases[i].lon),
                       ==, cases[i].valid);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/geo/haversine", test_haversine);
  g_test_add_func ("/geo/bearing", test_bearing);
  g_test_add_func ("/geo/bearing/range", test_bearing_range);
  g_test_add_func ("/geo/destination", test_destination);
  g_test_add_func ("/geo/destination/round-trip", test_destination_round_trip);
  g_test_add_func ("/geo/bbox/around", test_bbox_around);
  g_test_add_func ("/geo/bbox/around/degenerate", test_bbox_around_degenerate);
  g_test_add_func ("/geo/bbox/around/clamps", test_bbox_around_clamps);
  g_test_add_func ("/geo/bbox/contains", test_bbox_contains);
  g_test_add_func ("/geo/lat-lon-is-valid", test_lat_lon_is_valid);

  return g_test_run ();
}
