/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <math.h>

#include "dispatch-geo.h"

#define DEG_TO_RAD(d) ((d) * G_PI / 180.0)
#define RAD_TO_DEG(r) ((r) * 180.0 / G_PI)

/* Added around bounding boxes (≈ 0.1 mm) so that rounding never leaves a
 * point on the circle's edge outside. */
#define BBOX_SLACK_DEG 1e-9

/* Into [0, 360). */
static double
normalize_bearing (double degrees)
{
  double result = fmod (degrees, 360.0);

  if (result < 0)
    result += 360.0;
  /* -1e-15 + 360 rounds to 360. */
  if (result >= 360.0)
    result = 0.0;
  return result;
}

/* Into [-180, 180). */
static double
normalize_longitude (double degrees)
{
  return normalize_bearing (degrees + 180.0) - 180.0;
}

/**
 * dispatch_lat_lon_is_valid:
 * @lat: latitude in degrees
 * @lon: longitude in degrees
 *
 * Returns: %TRUE if both are finite, @lat in [-90, 90] and @lon in [-180, 180]
 */
gboolean
dispatch_lat_lon_is_valid (double lat,
                           double lon)
{
  /* Comparisons with NaN are false, so NaN fails too. */
  return lat >= -90.0 && lat <= 90.0 && lon >= -180.0 && lon <= 180.0;
}

/**
 * dispatch_haversine_m:
 * @lat1: latitude of the first point, degrees
 * @lon1: longitude of the first point, degrees
 * @lat2: latitude of the second point, degrees
 * @lon2: longitude of the second point, degrees
 *
 * The great-circle distance on a sphere of radius %DISPATCH_EARTH_RADIUS_M
 * (the ellipsoid differs by up to 0.5%).
 *
 * Returns: the distance in metres
 */
double
dispatch_haversine_m (double lat1,
                      double lon1,
                      double lat2,
                      double lon2)
{
  double dlat = DEG_TO_RAD (lat2 - lat1);
  double dlon = DEG_TO_RAD (lon2 - lon1);
  double a = sin (dlat / 2) * sin (dlat / 2) +
             cos (DEG_TO_RAD (lat1)) * cos (DEG_TO_RAD (lat2)) * sin (dlon / 2) * sin (dlon / 2);

  /* Rounding can push antipodal points just past 1. */
  return 2.0 * DISPATCH_EARTH_RADIUS_M * asin (sqrt (CLAMP (a, 0.0, 1.0)));
}

/**
 * dispatch_bearing_deg:
 * @lat1: latitude of the start, degrees
 * @lon1: longitude of the start, degrees
 * @lat2: latitude of the end, degrees
 * @lon2: longitude of the end, degrees
 *
 * Returns: the initial great-circle bearing from the start to the end in
 *   degrees clockwise from north, in [0, 360); 0 for identical points
 */
double
dispatch_bearing_deg (double lat1,
                      double lon1,
                      double lat2,
                      double lon2)
{
  double phi1 = DEG_TO_RAD (lat1);
  double phi2 = DEG_TO_RAD (lat2);
  double dlon = DEG_TO_RAD (lon2 - lon1);
  double y = sin (dlon) * cos (phi2);
  double x = cos (phi1) * sin (phi2) - sin (phi1) * cos (phi2) * cos (dlon);

  return normalize_bearing (RAD_TO_DEG (atan2 (y, x)));
}

/**
 * dispatch_destination:
 * @lat: latitude of the start, degrees
 * @lon: longitude of the start, degrees
 * @bearing_deg: initial bearing, degrees clockwise from north
 * @distance_m: distance to travel along the great circle, metres
 *
 * Returns: the point reached, longitude in [-180, 180)
 */
DispatchLatLon
dispatch_destination (double lat,
                      double lon,
                      double bearing_deg,
                      double distance_m)
{
  double phi1 = DEG_TO_RAD (lat);
  double lambda1 = DEG_TO_RAD (lon);
  double theta = DEG_TO_RAD (bearing_deg);
  double delta = distance_m / DISPATCH_EARTH_RADIUS_M;
  double sin_phi2 = sin (phi1) * cos (delta) + cos (phi1) * sin (delta) * cos (theta);
  double phi2 = asin (CLAMP (sin_phi2, -1.0, 1.0));
  double lambda2 = lambda1 + atan2 (sin (theta) * sin (delta) * cos (phi1),
                                    cos (delta) - sin (phi1) * sin_phi2);

  return (DispatchLatLon) {
    .lat = RAD_TO_DEG (phi2),
    .lon = normalize_longitude (RAD_TO_DEG (lambda2)),
  };
}

/**
 * dispatch_bbox_around:
 * @lat: latitude of the centre, degrees
 * @lon: longitude of the centre, degrees
 * @radius_m: radius in metres (negative counts as 0)
 *
 * The smallest latitude/longitude box holding the circle (the longitude span
 * is the circle's tangent meridians, not the span at the centre's latitude).
 * When the circle reaches a pole or crosses the antimeridian the longitudes
 * become the full [-180, 180], so the box never wraps.
 *
 * Returns: the box
 */
DispatchBBox
dispatch_bbox_around (double lat,
                      double lon,
                      double radius_m)
{
  double angular = MAX (radius_m, 0.0) / DISPATCH_EARTH_RADIUS_M;
  double dlat = RAD_TO_DEG (angular) + BBOX_SLACK_DEG;
  DispatchBBox bbox = {
    .min_lat = lat - dlat,
    .max_lat = lat + dlat,
    .min_lon = -180.0,
    .max_lon = 180.0,
  };

  if (bbox.min_lat > -90.0 && bbox.max_lat < 90.0)
    {
      /* No pole inside, so sin (angular) < cos (lat). */
      double dlon = RAD_TO_DEG (asin (sin (angular) / cos (DEG_TO_RAD (lat)))) + BBOX_SLACK_DEG;

      if (lon - dlon >= -180.0 && lon + dlon <= 180.0)
        {
          bbox.min_lon = lon - dlon;
          bbox.max_lon = lon + dlon;
        }
    }

  bbox.min_lat = MAX (bbox.min_lat, -90.0);
  bbox.max_lat = MIN (bbox.max_lat, 90.0);
  return bbox;
}

/**
 * dispatch_bbox_contains:
 * @bbox: a box
 * @lat: latitude, degrees
 * @lon: longitude, degrees
 *
 * Edges are inside. A box with @min_lon greater than @max_lon (e.g. a map
 * viewport across the antimeridian) spans from @min_lon east to @max_lon.
 *
 * Returns: %TRUE if the point is inside @bbox
 */
gboolean
dispatch_bbox_contains (const DispatchBBox *bbox,
                        double              lat,
                        double              lon)
{
  g_return_val_if_fail (bbox != NULL, FALSE);

  /* Written so that NaN is outside. */
  if (!(lat >= bbox->min_lat && lat <= bbox->max_lat))
    return FALSE;
  if (bbox->min_lon <= bbox->max_lon)
    return lon >= bbox->min_lon && lon <= bbox->max_lon;
  return lon >= bbox->min_lon || lon <= bbox->max_lon;
}
