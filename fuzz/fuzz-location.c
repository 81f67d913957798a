/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The location ingest fast paths: POST bodies (one point or a batch) and
 * driver-stream frames. Each must read what the strict path reads, or leave
 * the input to it: an input a scanner takes that the strict path refuses, or
 * reads differently, aborts. */
#include <string.h>

#include "dispatch-json.h"
#include "dsd-location-scanner.h"

#define MAX_POINTS 1000
#define NOW_US ((gint64) 1700000000 * G_USEC_PER_SEC)

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

static void
assert_same (const DispatchLocationPoint *a,
             const DispatchLocationPoint *b)
{
  g_assert (memcmp (&a->lat, &b->lat, sizeof a->lat) == 0);
  g_assert (memcmp (&a->lon, &b->lon, sizeof a->lon) == 0);
  g_assert (a->flags == b->flags && a->recorded_at_us == b->recorded_at_us);
  g_assert (!(a->flags & DISPATCH_LOCATION_HAS_HEADING) || a->heading == b->heading);
  g_assert (!(a->flags & DISPATCH_LOCATION_HAS_SPEED) || a->speed_mps == b->speed_mps);
  g_assert (!(a->flags & DISPATCH_LOCATION_HAS_ACCURACY) || a->accuracy_m == b->accuracy_m);
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  const char *text = (const char *) data;
  g_autoptr(GArray) points = dsd_location_scan (text, size, MAX_POINTS, NOW_US);
  g_autoptr(JsonObject) object = NULL;
  g_autoptr(GArray) strict = NULL;
  DispatchLocationPoint point, strict_point;
  gboolean is_frame = dsd_location_scan_frame (text, size, NOW_US, &point);
  const char *type = NULL;

  if (points == NULL && !is_frame)
    return 0;

  object = dispatch_json_parse_object (text, size, NULL);
  g_assert (object != NULL);

  if (points != NULL)
    {
      strict = dispatch_location_points_from_body (object, MAX_POINTS, NOW_US, NULL);
      g_assert (strict != NULL && strict->len == points->len);
      for (guint i = 0; i < points->len; i++)
        assert_same (&g_array_index (points, DispatchLocationPoint, i),
                     &g_array_index (strict, DispatchLocationPoint, i));
    }

  if (is_frame)
    {
      g_assert (dispatch_json_get_string (object, NULL, "type", DISPATCH_JSON_REQUIRED, 0,
                                          &type, NULL));
      g_assert (g_str_equal (type, "location"));
      g_assert (dispatch_location_point_from_json (object, NULL, NOW_US, &strict_point, NULL));
      assert_same (&point, &strict_point);
    }

  return 0;
}
