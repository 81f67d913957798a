/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "dc-driver.h"

G_BEGIN_DECLS

#define DC_TYPE_DRIVER_ROW (dc_driver_row_get_type ())

G_DECLARE_FINAL_TYPE (DcDriverRow, dc_driver_row, DC, DRIVER_ROW, GtkWidget)

/* One driver in the list; an order dropped on it is assigned to them. */
void      dc_driver_row_set_driver (DcDriverRow *self,
                                    DcDriver    *driver);

G_END_DECLS
