/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <shumate/shumate.h>

G_BEGIN_DECLS

#define DC_TYPE_GRID_LAYER (dc_grid_layer_get_type ())

G_DECLARE_FINAL_TYPE (DcGridLayer, dc_grid_layer, DC, GRID_LAYER, ShumateLayer)

/* The tile grid over the window's background, under the tiles: without
 * tiles (offline, no tile server) the map still reads as a map that pans
 * and zooms, and the markers stay legible. */
DcGridLayer *dc_grid_layer_new (ShumateViewport *viewport);

G_END_DECLS
