/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* An order's status in a replay, in the order of its life. */
typedef enum
{
  DC_REPLAY_PENDING,
  DC_REPLAY_ASSIGNED,
  DC_REPLAY_PICKED_UP,
  DC_REPLAY_DELIVERED,
  DC_REPLAY_FAILED,
  DC_REPLAY_CANCELLED,
  DC_REPLAY_N_STATUSES
} DcReplayStatus;

typedef struct
{
  gint64 t;       /* µs since the epoch */
  double lat;
  double lon;
} DcReplayPoint;

/* An order from t on; driver: an index of the model's drivers or -1. */
typedef struct
{
  gint64         t;
  DcReplayStatus status;
  int            driver;
  double         pickup_lat;
  double         pickup_lon;
  double         dropoff_lat;
  double         dropoff_lon;
} DcReplayOrderState;

typedef struct _DcReplayModel DcReplayModel;

/*
 * DcReplayModel:
 *
 * The history of a period (GET /api/v1/history) for replay, and what it
 * shows at any time t of the period: where each driver was and its trail,
 * and each order's state. Frames are added oldest first, as the server sends
 * them. Pure data: no GTK, usable from a worker thread while loading.
 */
DcReplayModel *dc_replay_model_new          (gint64          from,
                                             gint64          to);
void           dc_replay_model_free         (DcReplayModel  *self);
/* Reads a whole answer: its from, to and frames. */
DcReplayModel *dc_replay_model_new_from_history (JsonObject  *history,
                                                 GError     **error);
gboolean       dc_replay_model_add_frame    (DcReplayModel  *self,
                                             JsonObject     *frame,
                                             GError        **error);
gint64         dc_replay_model_get_from     (DcReplayModel  *self);
gint64         dc_replay_model_get_to       (DcReplayModel  *self);
guint          dc_replay_model_get_n_drivers (DcReplayModel *self);
guint          dc_replay_model_get_n_orders (DcReplayModel  *self);
const char    *dc_replay_model_get_driver_id (DcReplayModel *self,
                                              guint          driver);
const char    *dc_replay_model_get_order_id (DcReplayModel  *self,
                                             guint          order);

/* The positions of @driver recorded in [@t - @trail, @t], oldest first (the
 * last is where it was at @t); returns how many (0: none known then).
 * @points: (out) (transfer none) */
guint          dc_replay_model_get_trail    (DcReplayModel        *self,
                                             guint                 driver,
                                             gint64                t,
                                             gint64                trail,
                                             const DcReplayPoint **points);
/* The state of @order at @t; NULL before it appears. */
const DcReplayOrderState *dc_replay_model_get_order_at (DcReplayModel *self,
                                                        guint          order,
                                                        gint64         t);
/* How many orders are in each status at @t (@counts: DC_REPLAY_N_STATUSES). */
void           dc_replay_model_count_at     (DcReplayModel  *self,
                                             gint64          t,
                                             guint          *counts);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DcReplayModel, dc_replay_model_free)

G_END_DECLS
