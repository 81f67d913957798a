/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "dc-order.h"

G_BEGIN_DECLS

#define DC_TYPE_ORDER_ROW (dc_order_row_get_type ())

G_DECLARE_FINAL_TYPE (DcOrderRow, dc_order_row, DC, ORDER_ROW, GtkWidget)

/* One order in the list; dragging it carries the order id, to drop on a
 * driver (in the list or on the map). */
void     dc_order_row_set_order (DcOrderRow *self,
                                 DcOrder    *order);

G_END_DECLS
