/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dc-window.h"

G_BEGIN_DECLS

/*
 * The order form. Without @order_id: a phone order (pickup and dropoff with
 * coordinates typed or picked on the map, starting at the map's centre;
 * items as "2 SKU, SKU"; contact, priority, notes; ready time and delivery
 * window in local time, "14:30" or "2026-12-24 14:30"), created with
 * POST /api/v1/orders; the new order opens. With @order_id: what may still
 * change of that order (places, contact, priority, notes, times), read with
 * GET and saved with PATCH /api/v1/orders/{id}, which gets only the times
 * that were changed.
 */
void dc_order_form_present (DcWindow   *window,
                            const char *order_id);

G_END_DECLS
