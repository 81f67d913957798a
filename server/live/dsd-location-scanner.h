/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dispatch-location.h"

G_BEGIN_DECLS

/*
 * The fast way in for location bodies, which are most of what the server
 * parses: a plain JSON subset is read here straight into points (several
 * times faster than json-glib's parser and JsonObjects), with the same values
 * json-glib would produce, checked with dispatch_location_point_is_valid().
 *
 * Accepted: one point object, or {"points":[…]} with 1..max_points of them;
 * members among lat, lon, heading, speed_mps, accuracy_m, recorded_at, each at
 * most once; values null, numbers, or strings of printable ASCII without
 * escapes; JSON whitespace. Anything else, and any point the validation
 * refuses, gives NULL: the caller then takes the strict path
 * (dispatch_json_parse_object + dispatch_location_points_from_json), which
 * accepts what it accepts and words the errors. So this never accepts what
 * the strict path refuses, and never reads a value differently
 * (tests/test-location-scanner.c).
 *
 * Returns: (transfer full) (nullable) (element-type DispatchLocationPoint)
 */
GArray *dsd_location_scan (const char *data,
                           gsize       length,
                           guint       max_points,
                           gint64      now_us);

/*
 * A driver-stream location frame read the same way: {"type":"location"} and
 * the members of one point, in any order. FALSE for anything else (the
 * caller then parses the frame and words the error); point is then
 * undefined.
 */
gboolean dsd_location_scan_frame (const char            *data,
                                  gsize                  length,
                                  gint64                 now_us,
                                  DispatchLocationPoint *point);

G_END_DECLS
