/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "dispatch-model.h"

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

G_STATIC_ASSERT (G_N_ELEMENTS (vehicle_speeds_mps) == DISPATCH_VEHICLE_VAN + 1);

G_LOCK_DEFINE_STATIC (names);

static const char *
enum_to_string (GType type,
                int   value)
{
  g_autoptr(GEnumClass) klass = g_type_class_ref (type);
  GEnumValue *found = g_enum_get_value (klass, value);

  g_return_val_if_fail (found != NULL, NULL);

  /* The class stays alive: the types are static and their nicks too. */
  return found->value_nick;
}

static gboolean
enum_from_string (GType       type,
                  const char *str,
                  int        *value)
{
  g_autoptr(GEnumClass) klass = NULL;
  GEnumValue *found;

  if (str == NULL)
    return FALSE;

  klass = g_type_class_ref (type);
  if ((found = g_enum_get_value_by_nick (klass, str)) == NULL)
    return FALSE;

  *value = found->value;
  return TRUE;
}

/**
 * dispatch_enum_names:
 * @type: an enum or flags type whose nicks are wire names (those of this
 *   header, the server's roles)
 *
 * Returns: (transfer none) (array zero-terminated=1): the nicks of @type's
 *   values in value order
 */
const char * const *
dispatch_enum_names (GType type)
{
  static GQuark quark;
  GStrv names;

  g_return_val_if_fail (G_TYPE_IS_ENUM (type) || G_TYPE_IS_FLAGS (type), NULL);

  G_LOCK (names);
  if (quark == 0)
    quark = g_quark_from_static_string ("dispatch-enum-names");
  names = g_type_get_qdata (type, quark);
  if (names == NULL)
    {
      /* The class is kept, like the names that point into it. */
      gpointer klass = g_type_class_ref (type);
      guint n_values = G_IS_ENUM_CLASS (klass) ? G_ENUM_CLASS (klass)->n_values
                                               : G_FLAGS_CLASS (klass)->n_values;

      names = g_new0 (char *, n_values + 1);
      for (guint i = 0; i < n_values; i++)
        names[i] = (char *) (G_IS_ENUM_CLASS (klass) ? G_ENUM_CLASS (klass)->values[i].value_nick
                                                     : G_FLAGS_CLASS (klass)->values[i].value_nick);
      g_type_set_qdata (type, quark, names);
    }
  G_UNLOCK (names);

  return (const char * const *) names;
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
  return enum_to_string (DISPATCH_TYPE_ORDER_STATUS, status);
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
  int value;

  g_return_val_if_fail (status != NULL, FALSE);

  if (!enum_from_string (DISPATCH_TYPE_ORDER_STATUS, str, &value))
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
  return enum_to_string (DISPATCH_TYPE_DRIVER_STATE, state);
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
  int value;

  g_return_val_if_fail (state != NULL, FALSE);

  if (!enum_from_string (DISPATCH_TYPE_DRIVER_STATE, str, &value))
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
  return enum_to_string (DISPATCH_TYPE_VEHICLE, vehicle);
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
  int value;

  g_return_val_if_fail (vehicle != NULL, FALSE);

  if (!enum_from_string (DISPATCH_TYPE_VEHICLE, str, &value))
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
  return enum_to_string (DISPATCH_TYPE_EVENT_TYPE, type);
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
  int value;

  g_return_val_if_fail (type != NULL, FALSE);

  if (!enum_from_string (DISPATCH_TYPE_EVENT_TYPE, str, &value))
    return FALSE;
  *type = value;
  return TRUE;
}
