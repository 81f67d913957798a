/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

#include "dispatch-model.h"
#include "dsd-event-bus.h"
#include "dsd-pg-pool.h"

G_BEGIN_DECLS

/*
 * Live state of every driver, in memory, with a spatial index that answers
 * "k nearest" and "within R metres" in well under a millisecond for 20,000
 * drivers. Loaded from PostgreSQL at start, then kept current from the bus
 * (driver.updated state events, driver.location live points). Main thread only.
 */
typedef struct {
  const char          *id;             /* owned by the fleet, stable while the driver exists */
  const char          *name;
  DispatchVehicle      vehicle;
  guint                capacity;
  guint                n_active;       /* orders assigned or picked up */
  double               max_weight_kg;  /* vehicle limits, INFINITY when none */
  double               max_volume_l;
  double               load_weight_kg; /* of the active orders (drivers with limits) */
  double               load_volume_l;
  gboolean             online;
  gboolean             auto_dispatch;  /* FALSE: paused from automatic dispatch */
  gboolean             has_location;
  double               lat;
  double               lon;
  double               heading;        /* NAN when unknown */
  double               speed_mps;      /* NAN when unknown */
  gint64               recorded_at_us; /* of the live position */
  double               observed_speed_mps; /* smoothed from recent points, NAN until known */
} DsdFleetDriver;

/* Return TRUE to keep a candidate. */
typedef gboolean (*DsdFleetFilter) (const DsdFleetDriver *driver,
                                    gpointer              user_data);

#define DSD_TYPE_FLEET (dsd_fleet_get_type ())
G_DECLARE_FINAL_TYPE (DsdFleet, dsd_fleet, DSD, FLEET, GObject)

DsdFleet             *dsd_fleet_new          (DsdEventBus         *bus);
/* Loads every driver from the database (dispatch.stream_snapshot() or a
 * dedicated query); the fleet follows the bus from then on. */
void                  dsd_fleet_load_async   (DsdFleet            *self,
                                              DsdPgPool           *pool,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
gboolean              dsd_fleet_load_finish  (DsdFleet            *self,
                                              GAsyncResult        *result,
                                              GError             **error);
const DsdFleetDriver *dsd_fleet_lookup       (DsdFleet            *self,
                                              const char          *driver_id);
/* The driver from the fleet, or else from the database: a driver created an
 * instant ago may not have reached the fleet through the bus yet. Fails with
 * DISPATCH_ERROR_NOT_FOUND when there is no such driver. */
void                  dsd_fleet_fetch_async  (DsdFleet            *self,
                                              DsdPgPool           *pool,
                                              const char          *driver_id,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
const DsdFleetDriver *dsd_fleet_fetch_finish (DsdFleet            *self,
                                              GAsyncResult        *result,
                                              GError             **error);
guint                 dsd_fleet_get_n_drivers (DsdFleet           *self);
/* The drivers that pass filter (nullable), in no particular order. */
GPtrArray            *dsd_fleet_list         (DsdFleet            *self,
                                              DsdFleetFilter       filter,
                                              gpointer             user_data);
/* Up to k drivers with a location within max_radius_m of (lat, lon) that
 * pass filter (nullable), nearest first; out_drivers and out_distances_m hold
 * k entries. Returns how many were found. */
guint                 dsd_fleet_nearest      (DsdFleet            *self,
                                              double               lat,
                                              double               lon,
                                              double               max_radius_m,
                                              guint                k,
                                              DsdFleetFilter       filter,
                                              gpointer             user_data,
                                              const DsdFleetDriver **out_drivers,
                                              double              *out_distances_m);

/* Signals: ::driver-changed (const char *driver_id) after any change of a
 * driver's state or position. */

G_END_DECLS
