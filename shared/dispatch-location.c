/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <math.h>

#include "dispatch-json.h"
#include "dispatch-location.h"

/* An optional number (JSON null counts as absent); sets @flag when present. */
static gboolean
get_optional_double (JsonObject             *object,
                     const char             *prefix,
                     const char             *member,
                     DispatchJsonFlags       flags,
                     double                  min,
                     double                  max,
                     DispatchLocationFlags   flag,
                     DispatchLocationPoint  *point,
                     double                 *out,
                     GError                **error)
{
  double value = NAN;

  if (!dispatch_json_get_double (object, prefix, member, flags | DISPATCH_JSON_NULLABLE,
                                 min, max, &value, error))
    return FALSE;

  if (!isnan (value))
    {
      *out = value;
      point->flags |= flag;
    }
  return TRUE;
}

static void
add_optional_double (JsonBuilder                 *builder,
                     const DispatchLocationPoint *point,
                     DispatchLocationFlags        flag,
                     const char                  *member,
                     double                       value)
{
  if (point->flags & flag)
    {
      json_builder_set_member_name (builder, member);
      json_builder_add_double_value (builder, value);
    }
}

/**
 * dispatch_location_point_from_json:
 * @object: a location point object
 * @prefix: (nullable): path of @object for messages, e.g. "points[3]"
 * @now_us: the current time, microseconds since the epoch
 * @out: (out caller-allocates): the point
 * @error: return location for a #GError
 *
 * Validates a point as docs/openapi.json describes it: `lat` and `lon` are required,
 * `heading`, `speed_mps` and `accuracy_m` optional (null counts as absent),
 * `recorded_at` an optional RFC 3339 time that defaults to @now_us. Other
 * members are ignored. Errors carry the field path and are
 * %DISPATCH_ERROR_INVALID_ARGUMENT, except a `recorded_at` more than
 * %DISPATCH_LOCATION_MAX_FUTURE_USEC ahead of @now_us: that well-formed but
 * unacceptable point is %DISPATCH_ERROR_UNPROCESSABLE (422 in docs/openapi.json).
 * On error @out is left untouched.
 *
 * Returns: %TRUE if @object is a valid point
 */
gboolean
dispatch_location_point_from_json (JsonObject             *object,
                                   const char             *prefix,
                                   gint64                  now_us,
                                   DispatchLocationPoint  *out,
                                   GError                **error)
{
  DispatchLocationPoint point = { .recorded_at_us = now_us };

  g_return_val_if_fail (object != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  if (!dispatch_json_get_double (object, prefix, "lat", DISPATCH_JSON_REQUIRED,
                                 -90.0, 90.0, &point.lat, error) ||
      !dispatch_json_get_double (object, prefix, "lon", DISPATCH_JSON_REQUIRED,
                                 -180.0, 180.0, &point.lon, error) ||
      !get_optional_double (object, prefix, "heading", DISPATCH_JSON_EXCLUSIVE_MAX,
                            0.0, 360.0, DISPATCH_LOCATION_HAS_HEADING,
                            &point, &point.heading, error) ||
      !get_optional_double (object, prefix, "speed_mps", DISPATCH_JSON_OPTIONAL,
                            0.0, DISPATCH_LOCATION_MAX_SPEED_MPS, DISPATCH_LOCATION_HAS_SPEED,
                            &point, &point.speed_mps, error) ||
      !get_optional_double (object, prefix, "accuracy_m", DISPATCH_JSON_OPTIONAL,
                            0.0, DISPATCH_LOCATION_MAX_ACCURACY_M,
                            DISPATCH_LOCATION_HAS_ACCURACY,
                            &point, &point.accuracy_m, error) ||
      !dispatch_json_get_timestamp (object, prefix, "recorded_at", DISPATCH_JSON_NULLABLE,
                                    &point.recorded_at_us, error))
    return FALSE;

  if (point.recorded_at_us - now_us > DISPATCH_LOCATION_MAX_FUTURE_USEC)
    {
      g_autofree char *path = dispatch_json_path (prefix, "recorded_at");

      dispatch_set_field_error (error, DISPATCH_ERROR_UNPROCESSABLE, path,
                                "%s is more than 5 minutes in the future", path);
      return FALSE;
    }

  *out = point;
  return TRUE;
}

/**
 * dispatch_location_point_is_valid:
 * @point: a point read by other means than dispatch_location_point_from_json()
 * @now_us: the current time, microseconds since the epoch
 *
 * The ranges dispatch_location_point_from_json() enforces, for readers that
 * fill a #DispatchLocationPoint themselves (and leave the error messages to
 * it): finite members within their ranges, @recorded_at_us at most
 * %DISPATCH_LOCATION_MAX_FUTURE_USEC ahead of @now_us.
 *
 * Returns: %TRUE if dispatch_location_point_from_json() would accept the point
 */
gboolean
dispatch_location_point_is_valid (const DispatchLocationPoint *point,
                                  gint64                       now_us)
{
  g_return_val_if_fail (point != NULL, FALSE);

  /* Written so that NaN fails. */
  return point->lat >= -90.0 && point->lat <= 90.0 &&
         point->lon >= -180.0 && point->lon <= 180.0 &&
         (!(point->flags & DISPATCH_LOCATION_HAS_HEADING) ||
          (point->heading >= 0.0 && point->heading < 360.0)) &&
         (!(point->flags & DISPATCH_LOCATION_HAS_SPEED) ||
          (point->speed_mps >= 0.0 && point->speed_mps <= DISPATCH_LOCATION_MAX_SPEED_MPS)) &&
         (!(point->flags & DISPATCH_LOCATION_HAS_ACCURACY) ||
          (point->accuracy_m >= 0.0 &&
           point->accuracy_m <= DISPATCH_LOCATION_MAX_ACCURACY_M)) &&
         point->recorded_at_us - now_us <= DISPATCH_LOCATION_MAX_FUTURE_USEC;
}

/**
 * dispatch_location_point_to_json:
 * @point: a point
 * @builder: a builder where a value may be added
 *
 * Adds the object `{"lat","lon","heading"?,"speed_mps"?,"accuracy_m"?,
 * "recorded_at"}`, with the optional members only when flagged.
 */
void
dispatch_location_point_to_json (const DispatchLocationPoint *point,
                                 JsonBuilder                 *builder)
{
  g_autofree char *recorded_at = NULL;

  g_return_if_fail (point != NULL);
  g_return_if_fail (JSON_IS_BUILDER (builder));

  recorded_at = dispatch_format_timestamp (point->recorded_at_us);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "lat");
  json_builder_add_double_value (builder, point->lat);
  json_builder_set_member_name (builder, "lon");
  json_builder_add_double_value (builder, point->lon);
  add_optional_double (builder, point, DISPATCH_LOCATION_HAS_HEADING, "heading", point->heading);
  add_optional_double (builder, point, DISPATCH_LOCATION_HAS_SPEED, "speed_mps",
                       point->speed_mps);
  add_optional_double (builder, point, DISPATCH_LOCATION_HAS_ACCURACY, "accuracy_m",
                       point->accuracy_m);
  json_builder_set_member_name (builder, "recorded_at");
  json_builder_add_string_value (builder, recorded_at);
  json_builder_end_object (builder);
}

/**
 * dispatch_location_points_from_json:
 * @points: an array of location point objects
 * @prefix: path of @points for messages, e.g. "points"
 * @now_us: the current time, microseconds since the epoch
 * @error: return location for a #GError
 *
 * Validates every element as dispatch_location_point_from_json() does; an
 * element that is not an object is %DISPATCH_ERROR_INVALID_ARGUMENT at
 * "prefix[i]".
 *
 * Returns: (transfer full) (element-type DispatchLocationPoint) (nullable):
 *   the points in order, or %NULL on error
 */
GArray *
dispatch_location_points_from_json (JsonArray   *points,
                                    const char  *prefix,
                                    gint64       now_us,
                                    GError     **error)
{
  g_autoptr(GArray) out = NULL;
  guint n;

  g_return_val_if_fail (points != NULL, NULL);
  g_return_val_if_fail (prefix != NULL, NULL);

  n = json_array_get_length (points);
  out = g_array_sized_new (FALSE, FALSE, sizeof (DispatchLocationPoint), n);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *path = dispatch_json_index_path (prefix, i);
      JsonNode *node = json_array_get_element (points, i);
      DispatchLocationPoint point;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        {
          dispatch_set_field_error (error, DISPATCH_ERROR_INVALID_ARGUMENT, path,
                                    "%s must be an object", path);
          return NULL;
        }

      if (!dispatch_location_point_from_json (json_node_get_object (node), path, now_us,
                                              &point, error))
        return NULL;

      g_array_append_val (out, point);
    }

  return g_steal_pointer (&out);
}

/**
 * dispatch_location_points_from_body:
 * @body: a request body: one point, or `{"points":[…]}`
 * @max_points: most points a batch may hold
 * @now_us: the current time, microseconds since the epoch
 * @error: return location for a #GError
 *
 * The points of `POST /drivers/{id}/location` (docs/openapi.json): a batch must hold 1 to
 * @max_points points, each validated as dispatch_location_point_from_json()
 * does, with field paths like "points[3].lat".
 *
 * Returns: (transfer full) (element-type DispatchLocationPoint) (nullable):
 *   the points in order, or %NULL on error
 */
GArray *
dispatch_location_points_from_body (JsonObject  *body,
                                    guint        max_points,
                                    gint64       now_us,
                                    GError     **error)
{
  g_autoptr(GArray) single = NULL;
  JsonArray *points = NULL;
  DispatchLocationPoint point;

  g_return_val_if_fail (body != NULL, NULL);

  if (!dispatch_json_get_array (body, NULL, "points", DISPATCH_JSON_NON_EMPTY, max_points,
                                &points, error))
    return NULL;

  if (points != NULL)
    return dispatch_location_points_from_json (points, "points", now_us, error);

  if (!dispatch_location_point_from_json (body, NULL, now_us, &point, error))
    return NULL;

  single = g_array_sized_new (FALSE, FALSE, sizeof (DispatchLocationPoint), 1);
  g_array_append_val (single, point);
  return g_steal_pointer (&single);
}
