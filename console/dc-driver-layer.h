/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dc-point-layer.h"

G_BEGIN_DECLS

#define DC_TYPE_DRIVER_LAYER (dc_driver_layer_get_type ())

G_DECLARE_FINAL_TYPE (DcDriverLayer, dc_driver_layer, DC, DRIVER_LAYER, DcPointLayer)

/* Drivers as dots coloured by state (idle green, busy blue, offline grey),
 * pointed the way they head. */
DcDriverLayer *dc_driver_layer_new (ShumateViewport *viewport,
                                    DcStore         *drivers);

G_END_DECLS
