/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dc-window.h"

G_BEGIN_DECLS

/* Asks for a phone order (pickup and dropoff with their coordinates, which
 * start at the map's centre, contact, priority, notes) and creates it with
 * POST /api/v1/orders; the new order opens. */
void dc_new_order_present (DcWindow *window);

G_END_DECLS
