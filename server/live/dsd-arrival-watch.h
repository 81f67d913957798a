/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dsd-fleet.h"
#include "dsd-pg-pool.h"

G_BEGIN_DECLS

/*
 * Arrival alerts (docs/windows.md): the ETA tracker hands every new position
 * of a driver with an active order to the watch, with the stop the driver is
 * heading for (the pickup while assigned, the dropoff once picked up).
 *
 * - "arriving": the ETA to the stop is at most alert_s (0: not by time) or the
 *   distance at most alert_m (0: not by distance): order.arriving.
 * - "arrived": inside radius_m of the stop and slower than speed_mps (the
 *   point's speed, or the observed one): order.arrived_at_stop. The status
 *   does not change.
 *
 * dispatch.order_stop_alert() raises each once per order and stop, whatever
 * instance or repetition asks; the watch remembers what it asked for so that
 * a driver waiting at a stop does not ask at every point.
 */
#define DSD_TYPE_ARRIVAL_WATCH (dsd_arrival_watch_get_type ())
G_DECLARE_FINAL_TYPE (DsdArrivalWatch, dsd_arrival_watch, DSD, ARRIVAL_WATCH, GObject)

DsdArrivalWatch *dsd_arrival_watch_new    (DsdPgPool            *pool,
                                           guint                 alert_s,
                                           guint                 alert_m,
                                           guint                 radius_m,
                                           double                speed_mps);
/* eta_s: the driver's ETA to the stop. */
void             dsd_arrival_watch_check  (DsdArrivalWatch      *self,
                                           const char           *order_id,
                                           const DsdFleetDriver *driver,
                                           gboolean              to_dropoff,
                                           double                stop_lat,
                                           double                stop_lon,
                                           double                eta_s);
/* The order is no longer active with that driver. */
void             dsd_arrival_watch_forget (DsdArrivalWatch      *self,
                                           const char           *order_id);

G_END_DECLS
