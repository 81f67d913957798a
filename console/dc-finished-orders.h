/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dc-client.h"
#include "dc-store.h"
#include "dc-stream.h"

G_BEGIN_DECLS

#define DC_TYPE_FINISHED_ORDERS (dc_finished_orders_get_type ())

G_DECLARE_FINAL_TYPE (DcFinishedOrders, dc_finished_orders, DC, FINISHED_ORDERS, GObject)

/*
 * DcFinishedOrders:
 *
 * Today's finished orders (delivered, cancelled, failed since local
 * midnight), beside the open ones of the stream's store: loaded on demand
 * with GET /api/v1/orders?status=…&closed_since=…&q=…, the search done by
 * the server, and joined by each order the stream sees finish.
 */
DcFinishedOrders *dc_finished_orders_new       (DcClient         *client,
                                                DcStream         *stream);
DcStore          *dc_finished_orders_get_store (DcFinishedOrders *self);
/* Replaces the list with the server's finished orders of today that match
 * @query (NULL or "": all of them, newest first, up to a page). */
void              dc_finished_orders_load      (DcFinishedOrders *self,
                                                const char       *query);
/* Adds @order if it is finished (as the stream says, or the answer to this
 * console's own action, which comes first); FALSE if it is still open. */
gboolean          dc_finished_orders_add       (DcFinishedOrders *self,
                                                JsonObject       *order);
void              dc_finished_orders_clear     (DcFinishedOrders *self);

G_END_DECLS
