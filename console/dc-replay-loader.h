/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dc-client.h"
#include "dc-replay-model.h"

G_BEGIN_DECLS

/* How far loading has come: the part of the period received, 0 to 1. */
typedef void (*DcReplayProgress) (double   fraction,
                                  gpointer user_data);

/*
 * Loads the history of [@from, @to) (µs since the epoch) from
 * GET /api/v1/history, read as it streams in (@progress on the main loop as
 * frames arrive) and parsed on a worker thread: the main loop never waits.
 * An answer over DC_REPLAY_MAX_BYTES is refused.
 */
#define DC_REPLAY_MAX_BYTES (512 * 1024 * 1024)

void           dc_replay_load_async  (DcClient            *client,
                                      gint64               from,
                                      gint64               to,
                                      DcReplayProgress     progress,
                                      gpointer             progress_data,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data);
/* Returns: (transfer full): the history */
DcReplayModel *dc_replay_load_finish (GAsyncResult        *result,
                                      GError             **error);

G_END_DECLS
