/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "dc-client.h"

G_BEGIN_DECLS

/*
 * Fills @list with the proof of delivery of the order @order_id, from
 * GET /api/v1/orders/{id}/proof: a row for each thing its delivery requires
 * or has (the PIN entered, locked or still to come; the photo and the
 * signature as thumbnails, loaded from the API, that open larger when
 * clicked). The rows replace the list's once the answer is there.
 */
void dc_proof_rows_load (GtkListBox   *list,
                         DcClient     *client,
                         const char   *order_id,
                         GCancellable *cancellable);

G_END_DECLS
