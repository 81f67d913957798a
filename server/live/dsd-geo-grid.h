/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * A uniform latitude/longitude grid of points for radius queries (the fleet's
 * spatial index). Cells are DSD_GEO_GRID_CELL_DEG degrees square and kept in
 * a hash table, so only occupied cells cost memory. A query visits the cells
 * of the circle's bounding box (wrapping across the antimeridian; every
 * longitude when the circle reaches a pole), or every occupied cell when that
 * is fewer, and measures great-circle distances exactly.
 *
 * Items are embedded in the caller's structures and must stay at one address
 * while in the grid. Not thread-safe.
 */
#define DSD_GEO_GRID_CELL_DEG 0.01

typedef struct _DsdGeoGrid DsdGeoGrid;

typedef struct {
  double   lat;
  double   lon;
  /*< private >*/
  gpointer cell;
  guint    slot;
} DsdGeoGridItem;

/* Called for each item within the radius, with its distance; return FALSE to stop. */
typedef gboolean (*DsdGeoGridFunc) (DsdGeoGridItem *item,
                                    double          distance_m,
                                    gpointer        user_data);

DsdGeoGrid *dsd_geo_grid_new         (void);
void        dsd_geo_grid_free        (DsdGeoGrid     *self);
/* Adds item at (lat, lon), or moves it there if it is in the grid already. */
void        dsd_geo_grid_place       (DsdGeoGrid     *self,
                                      DsdGeoGridItem *item,
                                      double          lat,
                                      double          lon);
guint       dsd_geo_grid_get_n_items (DsdGeoGrid     *self);
guint       dsd_geo_grid_get_n_cells (DsdGeoGrid     *self);
void        dsd_geo_grid_query       (DsdGeoGrid     *self,
                                      double          lat,
                                      double          lon,
                                      double          radius_m,
                                      DsdGeoGridFunc  func,
                                      gpointer        user_data);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DsdGeoGrid, dsd_geo_grid_free)

G_END_DECLS
