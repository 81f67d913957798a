/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "dispatch-location.h"
#include "dsd-event-bus.h"
#include "dsd-fleet.h"
#include "dsd-metrics.h"
#include "dsd-pg-pool.h"

G_BEGIN_DECLS

/*
 * The fast path for driver locations (REST single/batch and websocket frames):
 * validated points move the driver's live position at once (newest point
 * wins: an older point only goes to history), are published on the bus as
 * driver.location events (seq 0), and are written to history in batches
 * (COPY on dedicated connections, on a size or time trigger) — never one
 * transaction per point (docs/live.md). When the history writer falls behind (database slow
 * or down), submit fails with DISPATCH_ERROR_UNAVAILABLE (503 + Retry-After)
 * instead of buffering without bound.
 */
#define DSD_TYPE_LOCATION_INGEST (dsd_location_ingest_get_type ())
G_DECLARE_FINAL_TYPE (DsdLocationIngest, dsd_location_ingest, DSD, LOCATION_INGEST, GObject)

DsdLocationIngest *dsd_location_ingest_new    (const char         *conninfo,
                                               DsdFleet           *fleet,
                                               DsdEventBus        *bus);
void               dsd_location_ingest_start  (DsdLocationIngest  *self);
/* Flushes what is buffered and stops (shutdown). */
void               dsd_location_ingest_stop_async  (DsdLocationIngest  *self,
                                                    GAsyncReadyCallback callback,
                                                    gpointer            user_data);
void               dsd_location_ingest_stop_finish (DsdLocationIngest  *self,
                                                    GAsyncResult       *result);
/* points: n_points validated points (dispatch_location_point_from_json).
 * Returns the number accepted. */
guint              dsd_location_ingest_submit (DsdLocationIngest           *self,
                                               const char                  *driver_id,
                                               const DispatchLocationPoint *points,
                                               guint                        n_points,
                                               GError                     **error);

/* The acknowledged path (REST): like submit(), but completes only once the
 * points are committed to history. Flushes are group commits: each one takes
 * everything that arrived while the previous one ran, so waiting costs one
 * flush, not one transaction per request. driver_id must be known to the
 * fleet (DISPATCH_ERROR_NOT_FOUND otherwise). A flush that fails completes
 * its requests with DISPATCH_ERROR_UNAVAILABLE; its points are retried, so a
 * client's retry may store a point twice, never lose one that was
 * acknowledged. */
void               dsd_location_ingest_submit_async  (DsdLocationIngest           *self,
                                                      const char                  *driver_id,
                                                      const DispatchLocationPoint *points,
                                                      guint                        n_points,
                                                      GCancellable                *cancellable,
                                                      GAsyncReadyCallback          callback,
                                                      gpointer                     user_data);
/* Returns the number of points accepted, or 0 with error. */
guint              dsd_location_ingest_submit_finish (DsdLocationIngest           *self,
                                                      GAsyncResult                *result,
                                                      GError                     **error);
/* Counts points, refusals, the backlog and the history lag in metrics
 * (registering the dispatch_location_* families). */
void               dsd_location_ingest_set_metrics   (DsdLocationIngest           *self,
                                                      DsdMetrics                  *metrics);

G_END_DECLS
