/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dc-point-layer.h"

G_BEGIN_DECLS

#define DC_TYPE_ORDER_LAYER (dc_order_layer_get_type ())

G_DECLARE_FINAL_TYPE (DcOrderLayer, dc_order_layer, DC, ORDER_LAYER, DcPointLayer)

/* Each open order at its next stop (the pickup until it is picked up, then
 * the dropoff), coloured by status; the selected order shows both. */
DcOrderLayer *dc_order_layer_new (ShumateViewport *viewport,
                                  DcStore         *orders);

G_END_DECLS
