/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dc-client.h"
#include "dc-store.h"

G_BEGIN_DECLS

/*
 * Reads every driver's live position over REST (GET /api/v1/drivers, page
 * by page) and applies those newer than what @drivers holds. Positions are
 * not in the stream's event log, so a resumed stream replays the state
 * events it missed but not the positions sent meanwhile. Only positions are
 * taken (latest wins by recorded_at, so a late page cannot undo anything);
 * state comes from the stream alone.
 */
void     dc_location_refresh_async  (DcClient             *client,
                                     DcStore              *drivers,
                                     GCancellable         *cancellable,
                                     GAsyncReadyCallback   callback,
                                     gpointer              user_data);
/* Returns: the number of drivers whose position moved, or -1 on error */
gssize   dc_location_refresh_finish (GAsyncResult         *result,
                                     GError              **error);

G_END_DECLS
