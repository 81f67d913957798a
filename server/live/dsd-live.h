/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dsd-context.h"

G_BEGIN_DECLS

/*
 * Brings up the live subsystem of a context before the server serves: loads
 * the fleet from the database, then the ETA tracker's active orders, then
 * starts the location ingest path.
 */
void     dsd_live_start_async  (DsdContext          *context,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data);
gboolean dsd_live_start_finish (GAsyncResult        *result,
                                GError             **error);

G_END_DECLS
