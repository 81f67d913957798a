/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include <dispatch-model.h>

#include "dc-order.h"

G_BEGIN_DECLS

/* Same order as the "units" setting. */
typedef enum {
  DC_UNITS_METRIC,
  DC_UNITS_IMPERIAL,
} DcUnits;

/* Texts for people: "1.2 km", "4 min", "12 s ago". */
char *dc_format_distance     (double   meters,
                              DcUnits  units);
char *dc_format_duration     (gint64   seconds);
char *dc_format_age          (gint64   then_usec,
                              gint64   now_usec);
char *dc_format_clock_time   (gint64   usec);
/* A planned time in local time, "14:30", with the weekday when it is not on
 * the day of @now_usec: "Tue 14:30". */
char *dc_format_time_of_day  (gint64   usec,
                              gint64   now_usec);
/* A delivery window (0 for an open end): "14:00–14:30", "by 14:30",
 * "from 14:00"; NULL when both ends are open. */
char *dc_format_window       (gint64   after_usec,
                              gint64   before_usec,
                              gint64   now_usec);

/* Enum values as a person reads them, e.g. "Picked up", "Scooter". */
const char *dc_format_order_status (DispatchOrderStatus status);
const char *dc_format_driver_state (DispatchDriverState state);
const char *dc_format_vehicle      (DispatchVehicle     vehicle);

/* Why a delivery failed (the server's FailureReasonCode), e.g. "Customer
 * absent"; a code this console does not know yet comes back as it is. */
const char *dc_format_failure_reason (const char *code);
/* An order's or a driver's load, e.g. "12.5 kg · 40 L"; with limits of 0 or
 * less the part stands alone, else "12.5 / 20 kg". */
char *dc_format_load (double weight_kg,
                      double volume_l,
                      double max_weight_kg,
                      double max_volume_l);

/* What went wrong, for people and in their language: the server's error
 * code or the kind of transport failure, never the raw message. */
const char *dc_format_error (const GError *error);

/* The style class of an order's status marks: "late", "at-risk" (an open
 * order the server says may miss its window), "waiting", "assigned",
 * "picked-up", … */
const char *dc_format_order_css_class (DcOrder *order);
/* The text of an order's status badge: "Late", "At risk" or its status. */
const char *dc_format_order_badge     (DcOrder *order);

G_END_DECLS
