/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include <dispatch-error.h>

#include "dc-format.h"
#include "dc-local-time.h"

#define METERS_PER_MILE 1609.344
#define FEET_PER_METER  3.28084

char *
dc_format_distance (double  meters,
                    DcUnits units)
{
  if (units == DC_UNITS_IMPERIAL)
    {
      double miles = meters / METERS_PER_MILE;

      if (miles < 0.1)
        /* Translators: a distance in feet */
        return g_strdup_printf (_("%.0f ft"), meters * FEET_PER_METER);
      /* Translators: a distance in miles */
      return g_strdup_printf (_("%.1f mi"), miles);
    }

  if (meters < 1000)
    /* Translators: a distance in metres */
    return g_strdup_printf (_("%.0f m"), meters);
  /* Translators: a distance in kilometres */
  return g_strdup_printf (_("%.1f km"), meters / 1000);
}

char *
dc_format_duration (gint64 seconds)
{
  gint64 minutes = (seconds + 30) / 60;

  if (seconds < 60)
    /* Translators: a short duration in seconds */
    return g_strdup_printf (_("%d s"), (int) MAX (seconds, 0));
  if (minutes < 60)
    /* Translators: a duration in minutes */
    return g_strdup_printf (_("%d min"), (int) minutes);
  /* Translators: a duration in hours and minutes, e.g. "1 h 05 min" */
  return g_strdup_printf (_("%d h %02d min"), (int) (minutes / 60), (int) (minutes % 60));
}

char *
dc_format_age (gint64 then_usec,
               gint64 now_usec)
{
  gint64 seconds = (now_usec - then_usec) / G_USEC_PER_SEC;

  if (then_usec == 0)
    return g_strdup (_("never"));
  if (seconds < 5)
    return g_strdup (_("just now"));
  if (seconds < 60)
    return g_strdup_printf (ngettext ("%d second ago", "%d seconds ago", (gulong) seconds),
                            (int) seconds);
  if (seconds < 3600)
    return g_strdup_printf (ngettext ("%d minute ago", "%d minutes ago",
                                      (gulong) (seconds / 60)),
                            (int) (seconds / 60));
  return g_strdup_printf (ngettext ("%d hour ago", "%d hours ago", (gulong) (seconds / 3600)),
                          (int) (seconds / 3600));
}

char *
dc_format_clock_time (gint64 usec)
{
  g_autoptr(GDateTime) local = dc_local_time_new (usec);

  return local != NULL ? g_date_time_format (local, "%H:%M:%S") : g_strdup ("");
}

char *
dc_format_time_of_day (gint64 usec,
                       gint64 now_usec)
{
  /* Translators: a time on another day, strftime format: weekday and time, e.g. "Tue 14:30" */
  return dc_local_time_format (usec, now_usec, C_("time of day", "%a %H:%M"));
}

char *
dc_format_window (gint64 after_usec,
                  gint64 before_usec,
                  gint64 now_usec)
{
  g_autofree char *from = after_usec != 0 ? dc_format_time_of_day (after_usec, now_usec) : NULL;
  g_autofree char *to = before_usec != 0 ? dc_format_time_of_day (before_usec, now_usec) : NULL;

  if (from != NULL && to != NULL)
    /* Translators: a delivery window, e.g. "14:00–14:30" */
    return g_strdup_printf (C_("delivery window", "%s–%s"), from, to);
  if (to != NULL)
    /* Translators: a delivery window with no start, e.g. "by 14:30" */
    return g_strdup_printf (C_("delivery window", "by %s"), to);
  if (from != NULL)
    /* Translators: a delivery window with no end, e.g. "from 14:00" */
    return g_strdup_printf (C_("delivery window", "from %s"), from);

  return NULL;
}

const char *
dc_format_order_status (DispatchOrderStatus status)
{
  switch (status)
    {
    case DISPATCH_ORDER_PENDING:
      return C_("order status", "Waiting");
    case DISPATCH_ORDER_ASSIGNED:
      return C_("order status", "Assigned");
    case DISPATCH_ORDER_PICKED_UP:
      return C_("order status", "Picked up");
    case DISPATCH_ORDER_DELIVERED:
      return C_("order status", "Delivered");
    case DISPATCH_ORDER_CANCELLED:
      return C_("order status", "Cancelled");
    case DISPATCH_ORDER_FAILED:
      return C_("order status", "Failed");
    default:
      return "";
    }
}

const char *
dc_format_driver_state (DispatchDriverState state)
{
  switch (state)
    {
    case DISPATCH_DRIVER_OFFLINE:
      return C_("driver state", "Offline");
    case DISPATCH_DRIVER_IDLE:
      return C_("driver state", "Idle");
    case DISPATCH_DRIVER_BUSY:
      return C_("driver state", "Busy");
    default:
      return "";
    }
}

const char *
dc_format_vehicle (DispatchVehicle vehicle)
{
  switch (vehicle)
    {
    case DISPATCH_VEHICLE_BIKE:
      return C_("vehicle", "Bike");
    case DISPATCH_VEHICLE_SCOOTER:
      return C_("vehicle", "Scooter");
    case DISPATCH_VEHICLE_CAR:
      return C_("vehicle", "Car");
    case DISPATCH_VEHICLE_VAN:
      return C_("vehicle", "Van");
    default:
      return "";
    }
}

const char *
dc_format_failure_reason (const char *code)
{
  static const struct { const char *code; const char *label; } reasons[] = {
    { "customer_absent", N_("Customer absent") },
    { "wrong_address", N_("Wrong address") },
    { "refused", N_("Refused by the recipient") },
    { "damaged", N_("Goods damaged") },
    { "unsafe_location", N_("Unsafe place to deliver") },
    { "vehicle_problem", N_("Vehicle problem") },
    { "pin_locked", N_("PIN entered wrong too often") },
    { "other", N_("Other reason") },
  };

  for (guint i = 0; i < G_N_ELEMENTS (reasons); i++)
    if (g_strcmp0 (code, reasons[i].code) == 0)
      return _(reasons[i].label);

  return code;
}

/* "12.5 kg" or "12.5 / 20 kg" */
static char *
format_amount (double      amount,
               double      limit,
               const char *unit)
{
  if (limit > 0)
    /* Translators: load of a vehicle and its limit, e.g. "12.5 / 20 kg" */
    return g_strdup_printf (_("%g / %g %s"), amount, limit, unit);

  /* Translators: a weight or volume, e.g. "12.5 kg" */
  return g_strdup_printf (_("%g %s"), amount, unit);
}

char *
dc_format_load (double weight_kg,
                double volume_l,
                double max_weight_kg,
                double max_volume_l)
{
  /* Translators: unit symbols of kilograms and litres */
  g_autofree char *weight = format_amount (weight_kg, max_weight_kg, C_("unit", "kg"));
  g_autofree char *volume = format_amount (volume_l, max_volume_l, C_("unit", "L"));

  /* Translators: weight · volume */
  return g_strdup_printf (_("%s · %s"), weight, volume);
}

const char *
dc_format_order_css_class (DcOrder *order)
{
  static const char * const classes[] = {
    [DISPATCH_ORDER_PENDING] = "waiting",
    [DISPATCH_ORDER_ASSIGNED] = "assigned",
    [DISPATCH_ORDER_PICKED_UP] = "picked-up",
    [DISPATCH_ORDER_DELIVERED] = "delivered",
    [DISPATCH_ORDER_CANCELLED] = "cancelled",
    [DISPATCH_ORDER_FAILED] = "failed",
  };

  g_return_val_if_fail (DC_IS_ORDER (order), "");

  if (dc_order_get_late (order))
    return "late";
  if (dc_order_get_at_risk (order) &&
      !dispatch_order_status_is_terminal (dc_order_get_status (order)))
    return "at-risk";

  return classes[dc_order_get_status (order)];
}

const char *
dc_format_order_badge (DcOrder *order)
{
  const char *look = dc_format_order_css_class (order);

  if (g_str_equal (look, "late"))
    return _("Late");
  if (g_str_equal (look, "at-risk"))
    /* Translators: an order that may miss its delivery window */
    return _("At risk");

  return dc_format_order_status (dc_order_get_status (order));
}

const char *
dc_format_error (const GError *error)
{
  g_return_val_if_fail (error != NULL, NULL);

  if (error->domain == DISPATCH_ERROR)
    switch ((DispatchError) error->code)
      {
      case DISPATCH_ERROR_UNAUTHENTICATED:
        return _("Wrong username or password, or the session has ended");
      case DISPATCH_ERROR_PERMISSION_DENIED:
        return _("Your account may not do this");
      case DISPATCH_ERROR_NOT_FOUND:
        return _("It no longer exists on the server");
      case DISPATCH_ERROR_CONFLICT:
        return _("Someone changed it meanwhile, or the driver is offline");
      case DISPATCH_ERROR_INVALID_TRANSITION:
        return _("The order has moved on; this no longer applies");
      case DISPATCH_ERROR_RATE_LIMITED:
        return _("Too many attempts; wait a moment and try again");
      case DISPATCH_ERROR_UNAVAILABLE:
        return _("The server is busy; try again in a moment");
      case DISPATCH_ERROR_INVALID_ARGUMENT:
      case DISPATCH_ERROR_UNPROCESSABLE:
        return _("The server did not accept these values");
      default:
        return _("The server could not handle the request");
      }

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    return _("The server did not answer in time");
  if (g_error_matches (error, G_RESOLVER_ERROR, G_RESOLVER_ERROR_NOT_FOUND))
    return _("No server has that name");
  if (error->domain == G_TLS_ERROR)
    return _("The secure connection to the server failed");

  return _("Could not reach the server; check the address and the network");
}
