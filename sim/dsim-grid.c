/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsim"

#include <math.h>

#include "dsim-grid.h"

#define METRES_PER_DEGREE (DISPATCH_EARTH_RADIUS_M * G_PI / 180.0)

gboolean
dsim_grid_init (DsimGrid           *self,
                const DispatchBBox *bbox,
                double              block_m)
{
  double centre_lat = (bbox->min_lat + bbox->max_lat) / 2;

  self->bbox = *bbox;
  self->block_m = block_m;
  self->lat_step = block_m / METRES_PER_DEGREE;
  self->lon_step = block_m / (METRES_PER_DEGREE * cos (centre_lat * G_PI / 180.0));
  self->n_rows = (int) floor ((bbox->max_lat - bbox->min_lat) / self->lat_step) + 1;
  self->n_cols = (int) floor ((bbox->max_lon - bbox->min_lon) / self->lon_step) + 1;

  return self->n_rows >= 2 && self->n_cols >= 2;
}

DispatchLatLon
dsim_grid_position (const DsimGrid *self,
                    DsimNode        node)
{
  return (DispatchLatLon) {
    .lat = self->bbox.min_lat + node.row * self->lat_step,
    .lon = self->bbox.min_lon + node.col * self->lon_step,
  };
}

DsimNode
dsim_grid_nearest (const DsimGrid *self,
                   double          lat,
                   double          lon)
{
  int row = (int) lround ((lat - self->bbox.min_lat) / self->lat_step);
  int col = (int) lround ((lon - self->bbox.min_lon) / self->lon_step);

  return (DsimNode) {
    .row = CLAMP (row, 0, self->n_rows - 1),
    .col = CLAMP (col, 0, self->n_cols - 1),
  };
}

DsimNode
dsim_grid_random_node (const DsimGrid *self,
                       GRand          *rng)
{
  int row = g_rand_int_range (rng, 0, self->n_rows);
  int col = g_rand_int_range (rng, 0, self->n_cols);

  return (DsimNode) { .row = row, .col = col };
}

DsimNode
dsim_grid_random_nearby (const DsimGrid *self,
                         DsimNode        centre,
                         int             radius,
                         GRand          *rng)
{
  int row = g_rand_int_range (rng, MAX (centre.row - radius, 0),
                              MIN (centre.row + radius, self->n_rows - 1) + 1);
  int col = g_rand_int_range (rng, MAX (centre.col - radius, 0),
                              MIN (centre.col + radius, self->n_cols - 1) + 1);

  return (DsimNode) { .row = row, .col = col };
}

double
dsim_grid_distance_m (const DsimGrid *self,
                      DsimNode        a,
                      DsimNode        b)
{
  return (abs (a.row - b.row) + abs (a.col - b.col)) * self->block_m;
}

static void
append_node (DsimRoute      *route,
             const DsimGrid *self,
             DsimNode        node)
{
  dsim_route_append (route, node, dsim_grid_position (self, node));
}

DsimRoute *
dsim_grid_plan (const DsimGrid *self,
                DispatchLatLon  start,
                DsimNode        ahead,
                DsimNode        to,
                GRand          *rng)
{
  DsimRoute *route = dsim_route_new (start, ahead, dsim_grid_position (self, ahead));
  gboolean rows_first = g_rand_boolean (rng);
  DsimNode corner = ahead;

  /* Two straight legs on one axis around a leg on the other (a leg may be
   * empty): a few turns, like a driver who knows the city. */
  if (rows_first)
    {
      corner.row = g_rand_int_range (rng, MIN (ahead.row, to.row), MAX (ahead.row, to.row) + 1);
      append_node (route, self, corner);
      corner.col = to.col;
    }
  else
    {
      corner.col = g_rand_int_range (rng, MIN (ahead.col, to.col), MAX (ahead.col, to.col) + 1);
      append_node (route, self, corner);
      corner.row = to.row;
    }
  append_node (route, self, corner);
  append_node (route, self, to);

  return route;
}
