/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dsim-route.h"

G_BEGIN_DECLS

/*
 * A Manhattan street grid laid over a city's bounding box, aligned to
 * latitude and longitude, with square blocks. Drivers only ever move along
 * its streets; places (pickups, dropoffs) are its intersections.
 */
typedef struct {
  DispatchBBox bbox;
  double       block_m;
  double       lat_step;   /* degrees between east-west streets */
  double       lon_step;   /* degrees between north-south streets */
  int          n_rows;
  int          n_cols;
} DsimGrid;

/* FALSE when the box is too small for two streets each way. */
gboolean       dsim_grid_init          (DsimGrid       *self,
                                        const DispatchBBox *bbox,
                                        double          block_m);
DispatchLatLon dsim_grid_position      (const DsimGrid *self,
                                        DsimNode        node);
DsimNode       dsim_grid_nearest       (const DsimGrid *self,
                                        double          lat,
                                        double          lon);
DsimNode       dsim_grid_random_node   (const DsimGrid *self,
                                        GRand          *rng);
/* A random intersection at most radius blocks away (along each axis). */
DsimNode       dsim_grid_random_nearby (const DsimGrid *self,
                                        DsimNode        centre,
                                        int             radius,
                                        GRand          *rng);
/* Along the streets. */
double         dsim_grid_distance_m    (const DsimGrid *self,
                                        DsimNode        a,
                                        DsimNode        b);
/* A route from start (driving towards the intersection ahead) to the
 * intersection to, with at most three turns, chosen with rng. */
DsimRoute     *dsim_grid_plan          (const DsimGrid *self,
                                        DispatchLatLon  start,
                                        DsimNode        ahead,
                                        DsimNode        to,
                                        GRand          *rng);

G_END_DECLS
