/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>
#include <shumate/shumate.h>

#include "dc-context.h"
#include "dc-driver.h"
#include "dc-heat-layer.h"
#include "dc-order.h"

G_BEGIN_DECLS

#define DC_TYPE_MAP_VIEW (dc_map_view_get_type ())

G_DECLARE_FINAL_TYPE (DcMapView, dc_map_view, DC, MAP_VIEW, GtkWidget)

/*
 * DcMapView:
 *
 * The live map: tiles from the "tile-url" setting over a grid backdrop,
 * open orders, drivers, and for the selection its route and trail. A click
 * selects the nearest driver or order ("win.select-driver",
 * "win.select-order"); an order dropped on a driver assigns it
 * ("win.assign-order"). The visible area goes to the stream, debounced.
 * Over the tiles, when switched on, the demand heat (dc-heat-layer.h).
 */
DcMapView *dc_map_view_new                 (DcContext *context);
void       dc_map_view_set_selected_order  (DcMapView *self,
                                            DcOrder   *order);
void       dc_map_view_set_selected_driver (DcMapView *self,
                                            DcDriver  *driver);
/* Pans to the selection. */
void       dc_map_view_show_selection      (DcMapView *self);
/* Shows the demand heat layer (its switch in the "Demand" popover). */
void         dc_map_view_set_heat_shown  (DcMapView *self,
                                          gboolean   shown);
DcHeatLayer *dc_map_view_get_heat_layer  (DcMapView *self);

/* While @picking, the next click on the map emits ::place-picked (latitude,
 * longitude) instead of selecting a marker, and picking ends. */
void       dc_map_view_set_picking_place   (DcMapView *self,
                                            gboolean   picking);

ShumateViewport *dc_map_view_get_viewport   (DcMapView *self);
/* Replay: @layer is drawn instead of the live orders, drivers and the
 * selection's route and trail; NULL returns to live. */
void       dc_map_view_set_replay_layer    (DcMapView    *self,
                                            ShumateLayer *layer);

G_END_DECLS
