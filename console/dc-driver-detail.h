/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "dc-context.h"
#include "dc-driver.h"

G_BEGIN_DECLS

#define DC_TYPE_DRIVER_DETAIL (dc_driver_detail_get_type ())

G_DECLARE_FINAL_TYPE (DcDriverDetail, dc_driver_detail, DC, DRIVER_DETAIL, GtkWidget)

/*
 * DcDriverDetail:
 *
 * A driver's page: state and how long ago the last position came (ticking),
 * orders held against capacity, automatic dispatch on or off
 * ("win.set-auto-dispatch"), contact, the stops of the driver's route (the
 * context's DcRoute) and the driver's current and latest orders
 * ("win.select-order"). The map shows the driver's trail meanwhile.
 */
DcDriverDetail *dc_driver_detail_new        (DcContext      *context);
void            dc_driver_detail_set_driver (DcDriverDetail *self,
                                             DcDriver       *driver);

G_END_DECLS
