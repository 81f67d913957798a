/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

#include "dispatch-enums.h"

G_BEGIN_DECLS

/* The vocabulary of the API, shared by server, console and simulator. The
 * wire names are the nicks, registered with GObject by glib-mkenums from this
 * header (DISPATCH_TYPE_ORDER_STATUS...). */

typedef enum {
  DISPATCH_ORDER_PENDING,
  DISPATCH_ORDER_ASSIGNED,
  DISPATCH_ORDER_PICKED_UP, /*< nick=picked_up >*/
  DISPATCH_ORDER_DELIVERED,
  DISPATCH_ORDER_CANCELLED,
  DISPATCH_ORDER_FAILED,
} DispatchOrderStatus;

typedef enum {
  DISPATCH_DRIVER_OFFLINE,
  DISPATCH_DRIVER_IDLE,
  DISPATCH_DRIVER_BUSY,
} DispatchDriverState;

typedef enum {
  DISPATCH_VEHICLE_BIKE,
  DISPATCH_VEHICLE_SCOOTER,
  DISPATCH_VEHICLE_CAR,
  DISPATCH_VEHICLE_VAN,
} DispatchVehicle;

typedef enum {
  DISPATCH_EVENT_ORDER_CREATED,      /*< nick=order.created >*/
  DISPATCH_EVENT_ORDER_UPDATED,      /*< nick=order.updated >*/
  DISPATCH_EVENT_ORDER_ASSIGNED,     /*< nick=order.assigned >*/
  DISPATCH_EVENT_ORDER_OFFER,        /*< nick=order.offer >*/
  DISPATCH_EVENT_ORDER_UNASSIGNABLE, /*< nick=order.unassignable >*/
  DISPATCH_EVENT_DRIVER_UPDATED,     /*< nick=driver.updated >*/
  DISPATCH_EVENT_DRIVER_LOCATION,    /*< nick=driver.location >*/
  DISPATCH_EVENT_ALERT,
  DISPATCH_EVENT_ORDER_AT_RISK,        /*< nick=order.at_risk >*/
  DISPATCH_EVENT_ORDER_ARRIVING,       /*< nick=order.arriving >*/
  DISPATCH_EVENT_ORDER_ARRIVED_AT_STOP, /*< nick=order.arrived_at_stop >*/
  DISPATCH_EVENT_DRIVER_ROUTE,          /*< nick=driver.route >*/
} DispatchEventType;

/* The wire names of an enum type above (or of another enum or flags type
 * whose nicks are wire names): NULL-terminated, in value order, owned by the
 * type for the process' lifetime. */
const char * const *dispatch_enum_names (GType type);

const char *dispatch_order_status_to_string   (DispatchOrderStatus  status);
gboolean    dispatch_order_status_from_string (const char          *str,
                                               DispatchOrderStatus *status);
gboolean    dispatch_order_status_is_terminal (DispatchOrderStatus  status);

const char *dispatch_driver_state_to_string   (DispatchDriverState  state);
gboolean    dispatch_driver_state_from_string (const char          *str,
                                               DispatchDriverState *state);
const char *dispatch_vehicle_to_string        (DispatchVehicle      vehicle);
gboolean    dispatch_vehicle_from_string      (const char          *str,
                                               DispatchVehicle     *vehicle);
/* Typical urban speed of a vehicle type, m/s (used by ETA and the simulator). */
double      dispatch_vehicle_speed_mps        (DispatchVehicle      vehicle);
const char *dispatch_event_type_to_string     (DispatchEventType    type);
gboolean    dispatch_event_type_from_string   (const char          *str,
                                               DispatchEventType   *type);

G_END_DECLS
