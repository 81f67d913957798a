/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "dispatch-model.h"

const char * const dispatch_order_status_names[] = {
  [DISPATCH_ORDER_PENDING] = "pending",
  [DISPATCH_ORDER_ASSIGNED] = "assigned",
  [DISPATCH_ORDER_PICKED_UP] = "picked_up",
  [DISPATCH_ORDER_DELIVERED] = "delivered",
  [DISPATCH_ORDER_CANCELLED] = "cancelled",
  [DISPATCH_ORDER_FAILED] = "failed",
  NULL
};

const char * const dispatch_driver_state_names[] = {
  [DISPATCH_DRIVER_OFFLINE] = "offline",
  [DISPATCH_DRIVER_IDLE] = "idle",
  [DISPATCH_DRIVER_BUSY] = "busy",
  NULL
};

const char * const dispatch_vehicle_names[] = {
  [DISPATCH_VEHICLE_BIKE] = "bike",
  [DISPATCH_VEHICLE_SCOOTER] = "scooter",
  [DISPATCH_VEHICLE_CAR] = "car",
  [DISPATCH_VEHICLE_VAN] = "van",
  NULL
};

const char * const dispatch_event_type_names[] = {
  [DISPATCH_EVENT_ORDER_CREATED] = "order.created",
  [DISPATCH_EVENT_ORDER_UPDATED] = "order.updated",
  [DISPATCH_EVENT_ORDER_ASSIGNED] = "order.assigned",
  [DISPATCH_EVENT_ORDER_OFFER] = "order.offer",
  [DISPATCH_EVENT_ORDER_UNASSIGNABLE] = "order.unassignable",
  [DISPATCH_EVENT_DRIVER_UPDATED] = "driver.updated",
  [DISPATCH_EVENT_DRIVER_LOCATION] = "driver.location",
  [DISPATCH_EVENT_ALERT] = "alert",
  NULL
};

/* Average door-to-door speeds in city traffic, stops and junctions included
 * (not cruising speeds): a courier bike ≈ 16 km/h, a 50 cc scooter ≈ 25 km/h
 * (filters through traffic), a car ≈ 30 km/h, a van ≈ 27 km/h (slower to
 * park and turn). ETA errs late rather than early with these. */
static const double vehicle_speeds_mps[] = {
  [DISPATCH_VEHICLE_BIKE] = 4.5,
  [DISPATCH_VEHICLE_SCOOTER] = 7.0,
  [DISPATCH_VEHICLE_CAR] = 8.5,
  [DISPATCH_VEHICLE_VAN] = 7.5,
};

G_STATIC_ASSERT (G_N_ELEMENTS (vehicle_speeds_mps) == G_N_ELEMENTS (dispatch_vehicle_names) - 1);

/* The index of @str in the NULL-terminated @names. */
static gboolean
lookup_name (const char * const *names,
             const char         *str,
             guint              *value)
{
  if (str == NULL)
    return FALSE;

  for (guint i = 0; names[i] != NULL; i++)
    {
      if (g_str_equal (names[i], str))
        {
          *value = i;
          return TRUE;
        }
    }

  return FALSE;
}

/**
 * dispatch_order_status_to_string:
 * @status: an order status
 *
 * Returns: (transfer none): the wire name, e.g. "picked_up"
 */
const char *
dispatch_order_status_to_string (DispatchOrderStatus status)
{
  g_return_val_if_fail ((guint) status <= DISPATCH_ORDER_FAILED, NULL);

  return dispatch_order_status_names[status];
}

/**
 * dispatch_order_status_from_string:
 * @str: (nullable): a wire name
 * @status: (out): where to store the status
 *
 * Returns: %TRUE if @str names a status
 */
gboolean
dispatch_order_status_from_string (const char          *str,
                                   DispatchOrderStatus *status)
{
  guint value;

  g_return_val_if_fail (status != NULL, FALSE);

  if (!lookup_name (dispatch_order_status_names, str, &value))
    return FALSE;
  *status = value;
  return TRUE;
}

/**
 * dispatch_order_status_is_terminal:
 * @status: an order status
 *
 * Returns: %TRUE for delivered, cancelled and failed
 */
gboolean
dispatch_order_status_is_terminal (DispatchOrderStatus status)
{
  g_return_val_if_fail ((guint) status <= DISPATCH_ORDER_FAILED, FALSE);

  /* The transitions themselves are the database's (dispatch.order_action). */
  return status == DISPATCH_ORDER_DELIVERED || status == DISPATCH_ORDER_CANCELLED ||
         status == DISPATCH_ORDER_FAILED;
}

/**
 * dispatch_driver_state_to_string:
 * @state: a driver state
 *
 * Returns: (transfer none): the wire name, e.g. "idle"
 */
const char *
dispatch_driver_state_to_string (DispatchDriverState state)
{
  g_return_val_if_fail ((guint) state <= DISPATCH_DRIVER_BUSY, NULL);

  return dispatch_driver_state_names[state];
}

/**
 * dispatch_driver_state_from_string:
 * @str: (nullable): a wire name
 * @state: (out): where to store the state
 *
 * Returns: %TRUE if @str names a state
 */
gboolean
dispatch_driver_state_from_string (const char          *str,
                                   DispatchDriverState *state)
{
  guint value;

  g_return_val_if_fail (state != NULL, FALSE);

  if (!lookup_name (dispatch_driver_state_names, str, &value))
    return FALSE;
  *state = value;
  return TRUE;
}

/**
 * dispatch_vehicle_to_string:
 * @vehicle: a vehicle type
 *
 * Returns: (transfer none): the wire name, e.g. "scooter"
 */
const char *
dispatch_vehicle_to_string (DispatchVehicle vehicle)
{
  g_return_val_if_fail ((guint) vehicle <= DISPATCH_VEHICLE_VAN, NULL);

  return dispatch_vehicle_names[vehicle];
}

/**
 * dispatch_vehicle_from_string:
 * @str: (nullable): a wire name
 * @vehicle: (out): where to store the vehicle type
 *
 * Returns: %TRUE if @str names a vehicle type
 */
gboolean
dispatch_vehicle_from_string (const char      *str,
                              DispatchVehicle *vehicle)
{
  guint value;

  g_return_val_if_fail (vehicle != NULL, FALSE);

  if (!lookup_name (dispatch_vehicle_names, str, &value))
    return FALSE;
  *vehicle = value;
  return TRUE;
}

/**
 * dispatch_vehicle_speed_mps:
 * @vehicle: a vehicle type
 *
 * Returns: the average urban speed of @vehicle in metres per second
 */
double
dispatch_vehicle_speed_mps (DispatchVehicle vehicle)
{
  g_return_val_if_fail ((guint) vehicle <= DISPATCH_VEHICLE_VAN, 0.0);

  return vehicle_speeds_mps[vehicle];
}

/**
 * dispatch_event_type_to_string:
 * @type: an event type
 *
 * Returns: (transfer none): the wire name, e.g. "order.created"
 */
const char *
dispatch_event_type_to_string (DispatchEventType type)
{
  g_return_val_if_fail ((guint) type <= DISPATCH_EVENT_ALERT, NULL);

  return dispatch_event_type_names[type];
}

/**
 * dispatch_event_type_from_string:
 * @str: (nullable): a wire name
 * @type: (out): where to store the event type
 *
 * Returns: %TRUE if @str names an event type
 */
gboolean
dispatch_event_type_from_string (const char        *str,
                                 DispatchEventType *type)
{
  guint value;

  g_return_val_if_fail (type != NULL, FALSE);

  if (!lookup_name (dispatch_event_type_names, str, &value))
    return FALSE;
  *type = value;
  return TRUE;
}
