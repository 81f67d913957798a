/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "dc-context.h"
#include "dc-driver.h"
#include "dc-order.h"

G_BEGIN_DECLS

#define DC_TYPE_ORDER_DETAIL (dc_order_detail_get_type ())

G_DECLARE_FINAL_TYPE (DcOrderDetail, dc_order_detail, DC, ORDER_DETAIL, GtkWidget)

/*
 * DcOrderDetail:
 *
 * Everything about one order: status and ETA, the stops, its driver and why
 * they were chosen, the drivers who could take it, and its timeline. Its
 * buttons activate "win.assign-order", "win.unassign-order",
 * "win.cancel-order" and "win.close-detail".
 */
DcOrderDetail *dc_order_detail_new       (DcContext     *context);
void           dc_order_detail_set_order (DcOrderDetail *self,
                                          DcOrder       *order);
/* Returns: (transfer none) (nullable): the order shown */
DcOrder       *dc_order_detail_get_order (DcOrderDetail *self);
/* Returns: (transfer none) (nullable): the first candidate as the list shows
 * it now */
DcDriver      *dc_order_detail_get_top_candidate (DcOrderDetail *self);

G_END_DECLS
