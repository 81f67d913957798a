/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "dc-context.h"
#include "dc-map-view.h"
#include "dc-replay-model.h"

G_BEGIN_DECLS

#define DC_TYPE_REPLAY_BAR (dc_replay_bar_get_type ())

G_DECLARE_FINAL_TYPE (DcReplayBar, dc_replay_bar, DC, REPLAY_BAR, GtkBox)

/*
 * DcReplayBar:
 *
 * Replay mode, above the map: a past period (1, 3 or 24 hours, ending now
 * or from a start typed in) loaded from the server's history with its
 * progress, then a timeline to scrub, play and pause at 1×, 10× or 60×, the
 * orders in each status at the time shown, and the way back to live. While it runs the map
 * shows the replay (DcReplayLayer) instead of the live fleet.
 */
DcReplayBar   *dc_replay_bar_new        (DcContext   *context,
                                         DcMapView   *map_view);
/* Enters replay and loads the period chosen (at first the last hour). */
void           dc_replay_bar_start      (DcReplayBar *self);
/* Back to live. */
void           dc_replay_bar_stop       (DcReplayBar *self);
gboolean       dc_replay_bar_get_active (DcReplayBar *self);
/* The history loaded, NULL while loading or after a failure. */
DcReplayModel *dc_replay_bar_get_model  (DcReplayBar *self);
/* The time shown, µs since the epoch; setting it moves the timeline. */
gint64         dc_replay_bar_get_time   (DcReplayBar *self);
void           dc_replay_bar_set_time   (DcReplayBar *self,
                                         gint64       t);
/* Plays from the time shown at the speed chosen, or pauses. */
void           dc_replay_bar_play       (DcReplayBar *self,
                                         gboolean     playing);
/* What the bar says of the time shown (the orders in each status). */
const char    *dc_replay_bar_get_summary (DcReplayBar *self);

G_END_DECLS
