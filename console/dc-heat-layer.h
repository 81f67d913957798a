/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <shumate/shumate.h>

#include "dc-client.h"

G_BEGIN_DECLS

#define DC_TYPE_HEAT_LAYER (dc_heat_layer_get_type ())

G_DECLARE_FINAL_TYPE (DcHeatLayer, dc_heat_layer, DC, HEAT_LAYER, ShumateLayer)

/*
 * DcHeatLayer:
 *
 * Demand: where the orders of the last days were picked up, as cells of a
 * grid (GET /api/v1/reports/demand, in the dispatcher's scope) shaded from
 * yellow to red by their share of the fullest cell. Hidden until loaded;
 * :status says what it shows ("123 pickups"), that it is loading, or why
 * it failed.
 */
DcHeatLayer *dc_heat_layer_new         (ShumateViewport *viewport,
                                        DcClient        *client);
/* Loads the pickups of the last @days days and shows them. */
void         dc_heat_layer_load        (DcHeatLayer     *self,
                                        guint            days);
/* Hides the layer and forgets its cells. */
void         dc_heat_layer_clear       (DcHeatLayer     *self);
const char  *dc_heat_layer_get_status  (DcHeatLayer     *self);
/* Pickups in the cells shown; -1 while there are none loaded. */
gint64       dc_heat_layer_get_total   (DcHeatLayer     *self);
guint        dc_heat_layer_get_n_cells (DcHeatLayer     *self);

G_END_DECLS
