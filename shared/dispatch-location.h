/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "dispatch-limits.h"

G_BEGIN_DECLS

/* How far ahead of the server's clock a recorded_at may be (docs/openapi.json: 5 minutes). */
#define DISPATCH_LOCATION_MAX_FUTURE_USEC (5 * 60 * G_USEC_PER_SEC)

/**
 * DispatchLocationFlags:
 * @DISPATCH_LOCATION_HAS_HEADING: @heading is set
 * @DISPATCH_LOCATION_HAS_SPEED: @speed_mps is set
 * @DISPATCH_LOCATION_HAS_ACCURACY: @accuracy_m is set
 *
 * Which optional members of a #DispatchLocationPoint are present.
 */
typedef enum {
  DISPATCH_LOCATION_HAS_HEADING = 1 << 0,
  DISPATCH_LOCATION_HAS_SPEED = 1 << 1,
  DISPATCH_LOCATION_HAS_ACCURACY = 1 << 2,
} DispatchLocationFlags;

/**
 * DispatchLocationPoint:
 * @lat: latitude, degrees in [-90, 90]
 * @lon: longitude, degrees in [-180, 180]
 * @heading: degrees clockwise from north in [0, 360), if flagged
 * @speed_mps: metres per second in [0, 100], if flagged
 * @accuracy_m: horizontal accuracy in metres in [0, 100000], if flagged
 * @recorded_at_us: when the device took the fix, microseconds since the epoch
 * @flags: #DispatchLocationFlags
 *
 * One position report of a driver.
 */
typedef struct {
  double lat;
  double lon;
  double heading;
  double speed_mps;
  double accuracy_m;
  gint64 recorded_at_us;
  guint8 flags;
} DispatchLocationPoint;

gboolean dispatch_location_point_from_json (JsonObject                  *object,
                                            const char                  *prefix,
                                            gint64                       now_us,
                                            DispatchLocationPoint       *out,
                                            GError                     **error);
void     dispatch_location_point_to_json   (const DispatchLocationPoint *point,
                                            JsonBuilder                 *builder);
gboolean dispatch_location_point_is_valid  (const DispatchLocationPoint *point,
                                            gint64                       now_us);
GArray  *dispatch_location_points_from_json (JsonArray                  *points,
                                            const char                  *prefix,
                                            gint64                       now_us,
                                            GError                     **error);
GArray  *dispatch_location_points_from_body (JsonObject                 *body,
                                            guint                        max_points,
                                            gint64                       now_us,
                                            GError                     **error);

G_END_DECLS
