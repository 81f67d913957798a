/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <shumate/shumate.h>

#include "dc-route.h"

G_BEGIN_DECLS

#define DC_TYPE_STOP_LAYER (dc_stop_layer_get_type ())

G_DECLARE_FINAL_TYPE (DcStopLayer, dc_stop_layer, DC, STOP_LAYER, ShumateLayer)

/* The stops of @route, numbered in driving order: a pickup is a square, a
 * dropoff a circle. Redrawn when the route changes; nothing while it is
 * empty or while the layer is hidden. */
DcStopLayer *dc_stop_layer_new (ShumateViewport *viewport,
                                DcRoute         *route);

G_END_DECLS
