/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The vocabulary of the API, shared by server, console and simulator. */

typedef enum {
  DISPATCH_ORDER_PENDING,
  DISPATCH_ORDER_ASSIGNED,
  DISPATCH_ORDER_PICKED_UP,
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
  DISPATCH_EVENT_ORDER_CREATED,
  DISPATCH_EVENT_ORDER_UPDATED,
  DISPATCH_EVENT_ORDER_ASSIGNED,
  DISPATCH_EVENT_ORDER_OFFER,
  DISPATCH_EVENT_ORDER_UNASSIGNABLE,
  DISPATCH_EVENT_DRIVER_UPDATED,
  DISPATCH_EVENT_DRIVER_LOCATION,
  DISPATCH_EVENT_ALERT,
} DispatchEventType;

/* NULL-terminated lists of the wire names, in enum order. */
extern const char * const dispatch_order_status_names[];
extern const char * const dispatch_driver_state_names[];
extern const char * const dispatch_vehicle_names[];
extern const char * const dispatch_event_type_names[];

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
