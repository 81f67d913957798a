/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dispatch-model.h"
#include "dsim-context.h"

G_BEGIN_DECLS

/*
 * One simulated driver: shifts on and off, drives the street grid at its
 * vehicle's speed, takes the orders the server assigns (or accepts and
 * declines offers), waits at pickups and dropoffs and reports each step,
 * and reports its position. Its decisions come from its own seeded random
 * generator, so they do not depend on other drivers' timing.
 *
 * Each simulation step calls advance() (no I/O), then act_async() (sends what
 * was decided), then sync_async() (looks for new work when due).
 */
#define DSIM_TYPE_DRIVER (dsim_driver_get_type ())
G_DECLARE_FINAL_TYPE (DsimDriver, dsim_driver, DSIM, DRIVER, GObject)

/* account: logged in as the driver. */
DsimDriver  *dsim_driver_new          (DsimContext         *context,
                                       guint                index,
                                       DsimAccount         *account,
                                       DispatchVehicle      vehicle);
const char  *dsim_driver_get_id       (DsimDriver          *self);
/* Places the driver and decides its first shift; online: as the server has it. */
void         dsim_driver_start        (DsimDriver          *self,
                                       gboolean             online);
void         dsim_driver_advance      (DsimDriver          *self,
                                       double               now_s,
                                       double               dt_s);
void         dsim_driver_act_async    (DsimDriver          *self,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data);
void         dsim_driver_sync_async   (DsimDriver          *self,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data);
/* Ends the shift at once (the simulator stops). */
void         dsim_driver_stop_async   (DsimDriver          *self,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data);

gboolean     dsim_driver_is_online    (DsimDriver          *self);
gboolean     dsim_driver_is_busy      (DsimDriver          *self);
/* On shift, without work and not expecting any: the dispatcher may assign. */
gboolean     dsim_driver_is_available (DsimDriver          *self);
/* The intersection the driver is at or driving to. */
DsimNode     dsim_driver_get_node     (DsimDriver          *self);
/* The simulator's dispatcher assigned order_id: look for it at once. */
void         dsim_driver_expect_order (DsimDriver          *self,
                                       const char          *order_id);

G_END_DECLS
