/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dsd-arrival-watch.h"
#include "dsd-event-bus.h"
#include "dsd-fleet.h"
#include "dsd-pg-pool.h"

G_BEGIN_DECLS

/*
 * ETA of every active (assigned / picked up) order: driver → pickup → dropoff
 * (or driver → dropoff once picked up), great-circle distance times a detour
 * factor over a speed per vehicle type, refined by the driver's observed
 * speed. Recomputed when the driver moves; ::eta-changed (const char
 * *order_id, int eta_seconds) is emitted, and the order row's eta_seconds
 * written, only when it changes meaningfully (not for every point).
 */
#define DSD_TYPE_ETA_TRACKER (dsd_eta_tracker_get_type ())
G_DECLARE_FINAL_TYPE (DsdEtaTracker, dsd_eta_tracker, DSD, ETA_TRACKER, GObject)

DsdEtaTracker *dsd_eta_tracker_new (DsdFleet      *fleet,
                                    DsdEventBus   *bus,
                                    DsdPgPool     *pool);
/* Hands every recomputed order to arrivals (arrival alerts). */
void           dsd_eta_tracker_set_arrival_watch (DsdEtaTracker   *self,
                                                  DsdArrivalWatch *arrivals);
/* Loads the active orders from the database (at start, before serving). */
void           dsd_eta_tracker_load_async  (DsdEtaTracker       *self,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data);
gboolean       dsd_eta_tracker_load_finish (DsdEtaTracker       *self,
                                            GAsyncResult        *result,
                                            GError             **error);
/* -1 when unknown (no driver, no location, terminal). */
int            dsd_eta_tracker_get (DsdEtaTracker *self,
                                    const char    *order_id);
/* The model (docs/eta.md), for callers that rank candidates (the dispatch
 * engine): seconds for the driver to reach (to_lat, to_lon) from its live
 * position; INFINITY when it has none. */
double         dsd_eta_estimate_s  (const DsdFleetDriver *driver,
                                    double                to_lat,
                                    double                to_lon);
/* The ETA of an order the driver holds: to the pickup, the dwell there and
 * on to the dropoff, or (picked_up) to the dropoff; INFINITY without a
 * position. */
double         dsd_eta_order_s     (const DsdFleetDriver *driver,
                                    gboolean              picked_up,
                                    double                pickup_lat,
                                    double                pickup_lon,
                                    double                dropoff_lat,
                                    double                dropoff_lon);

G_END_DECLS
