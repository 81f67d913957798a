/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <shumate/shumate.h>

#include "dc-replay-model.h"

G_BEGIN_DECLS

#define DC_TYPE_REPLAY_LAYER (dc_replay_layer_get_type ())

G_DECLARE_FINAL_TYPE (DcReplayLayer, dc_replay_layer, DC, REPLAY_LAYER, ShumateLayer)

/*
 * DcReplayLayer:
 *
 * A replay at one time on the map: each driver where it was, with its trail
 * of the minutes before; each order that exists then, in the colour of its
 * status, at its pickup until it is picked up and at its dropoff after
 * (orders ended more than a few minutes before are left out), joined to its
 * driver while it has one.
 */
DcReplayLayer *dc_replay_layer_new      (ShumateViewport *viewport);
/* @model: (nullable) (transfer none): must outlive its use here */
void           dc_replay_layer_set_model (DcReplayLayer  *self,
                                          DcReplayModel  *model);
void           dc_replay_layer_set_time  (DcReplayLayer  *self,
                                          gint64          t);

G_END_DECLS
