/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dsd-arrival-watch.h"
#include "dsd-event-bus.h"
#include "dsd-fleet.h"
#include "dsd-pg-pool.h"
#include "dsd-route-plan.h"

G_BEGIN_DECLS

/*
 * ETA of every active (assigned / picked up) order along its driver's route:
 * the driver's open stops in the order dsd-route-plan.h picks (docs/trips.md),
 * each leg the great-circle distance times a detour factor over a speed per
 * vehicle type, refined by the driver's observed speed, a dwell at each
 * pickup, waiting for a pickup's ready_at. Recomputed when the driver moves
 * or its orders change; ::eta-changed (const char *order_id, int
 * eta_seconds) is emitted, and the order row's eta_seconds written, only when
 * it changes meaningfully (not for every point).
 *
 * Each driver's route (its sequence of stops and their ETAs) is stored with
 * dispatch.driver_routes_set(), which emits driver.route when the sequence
 * changes. A driver holding more than DSD_ROUTE_MAX_ORDERS orders (a
 * dispatcher may exceed automation's limits) is not planned: its stops go in
 * the order the orders were assigned, each ETA as if the order were alone.
 */
#define DSD_TYPE_ETA_TRACKER (dsd_eta_tracker_get_type ())
G_DECLARE_FINAL_TYPE (DsdEtaTracker, dsd_eta_tracker, DSD, ETA_TRACKER, GObject)

DsdEtaTracker *dsd_eta_tracker_new (DsdFleet      *fleet,
                                    DsdEventBus   *bus,
                                    DsdPgPool     *pool);
/* The bound on an order's extra delay the routes are planned with
 * (DISPATCH_TRIP_MAX_DELAY_S; default 600). */
void           dsd_eta_tracker_set_max_delay (DsdEtaTracker *self,
                                              guint          max_delay_s);
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

/* The planning of the driver's stops from its live position (its speed, the
 * dwell at a pickup); FALSE without a position. */
gboolean       dsd_eta_route_params (const DsdFleetDriver *driver,
                                     double                max_delay_s,
                                     DsdRouteParams       *params);
/* An order as the route planner takes it at now_us (wall clock): ready_at_us
 * and deliver_before_us wall clock, 0 when the order has none. */
void           dsd_eta_route_order  (DsdRouteOrder *order,
                                     gboolean       picked_up,
                                     double         pickup_lat,
                                     double         pickup_lon,
                                     double         dropoff_lat,
                                     double         dropoff_lon,
                                     gint64         ready_at_us,
                                     gint64         deliver_before_us,
                                     gint64         now_us);
/* The driver's active orders as the planner takes them (into orders, at
 * most max): how many, or -1 when it holds more than max. */
int            dsd_eta_tracker_get_route_orders (DsdEtaTracker *self,
                                                 const char    *driver_id,
                                                 gint64         now_us,
                                                 DsdRouteOrder *orders,
                                                 guint          max);

G_END_DECLS
