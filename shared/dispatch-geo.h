/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define DISPATCH_EARTH_RADIUS_M 6371008.8

typedef struct {
  double lat;
  double lon;
} DispatchLatLon;

typedef struct {
  double min_lat;
  double min_lon;
  double max_lat;
  double max_lon;
} DispatchBBox;

gboolean dispatch_lat_lon_is_valid  (double lat,
                                     double lon);
/* Great-circle distance in metres. */
double   dispatch_haversine_m       (double lat1,
                                     double lon1,
                                     double lat2,
                                     double lon2);
/* Initial bearing from point 1 to 2, degrees in [0, 360). */
double   dispatch_bearing_deg       (double lat1,
                                     double lon1,
                                     double lat2,
                                     double lon2);
/* The point at distance_m along bearing_deg from (lat, lon). */
DispatchLatLon dispatch_destination (double lat,
                                     double lon,
                                     double bearing_deg,
                                     double distance_m);
/* A box that contains every point within radius_m of the centre (poles and
 * the antimeridian clamp to the full range). */
DispatchBBox dispatch_bbox_around   (double lat,
                                     double lon,
                                     double radius_m);
gboolean dispatch_bbox_contains     (const DispatchBBox *bbox,
                                     double              lat,
                                     double              lon);

G_END_DECLS
