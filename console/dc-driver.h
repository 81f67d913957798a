/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <dispatch-model.h>

#include "dc-entity.h"

G_BEGIN_DECLS

/* The filter menu of the driver list, in the order of its labels. */
typedef enum {
  DC_DRIVER_CATEGORY_ALL,
  DC_DRIVER_CATEGORY_IDLE,
  DC_DRIVER_CATEGORY_BUSY,
  DC_DRIVER_CATEGORY_OFFLINE,
} DcDriverCategory;

#define DC_TYPE_DRIVER (dc_driver_get_type ())

G_DECLARE_FINAL_TYPE (DcDriver, dc_driver, DC, DRIVER, DcEntity)

const char          *dc_driver_get_name         (DcDriver   *self);
/* Returns: (nullable) */
const char          *dc_driver_get_phone        (DcDriver   *self);
/* FALSE when a dispatcher paused the driver from automatic dispatch. */
gboolean             dc_driver_get_auto_dispatch (DcDriver  *self);
DispatchVehicle      dc_driver_get_vehicle      (DcDriver   *self);
DispatchDriverState  dc_driver_get_state        (DcDriver   *self);
int                  dc_driver_get_capacity     (DcDriver   *self);
/* Number of active orders. */
int                  dc_driver_get_load         (DcDriver   *self);
/* The vehicle's limits (0: none) and its active orders' load, kg and L;
 * FALSE when the vehicle has no limit. */
gboolean             dc_driver_get_limits       (DcDriver   *self,
                                                 double     *max_weight_kg,
                                                 double     *max_volume_l,
                                                 double     *weight_kg,
                                                 double     *volume_l);
gboolean             dc_driver_has_location     (DcDriver   *self);
double               dc_driver_get_lat          (DcDriver   *self);
double               dc_driver_get_lon          (DcDriver   *self);
/* The live position in Web Mercator world units (dc-projection.h), kept
 * with the position for the map. Returns FALSE when there is none. */
gboolean             dc_driver_get_world_position (DcDriver *self,
                                                   double   *world_x,
                                                   double   *world_y);
/* Degrees clockwise from north, or a negative value when unknown. */
double               dc_driver_get_heading      (DcDriver   *self);
/* Time of the live position, microseconds since the epoch, or 0. */
gint64               dc_driver_get_recorded_at  (DcDriver   *self);
/* Applies a location point (a "location" member or driver.location data);
 * older points than the current one are ignored. Returns whether the
 * position moved. */
gboolean             dc_driver_apply_location   (DcDriver   *self,
                                                 JsonObject *point);

G_END_DECLS
