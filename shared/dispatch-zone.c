/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <math.h>

#include "dispatch-error.h"
#include "dispatch-json.h"
#include "dispatch-limits.h"
#include "dispatch-zone.h"

/* A ring as read: x = lon, y = lat; the closing position is not repeated. */
typedef struct {
  double *x;
  double *y;
  guint   n;
  char   *field;
} Ring;

typedef struct {
  GArray *rings;     /* Ring: the polygon being read */
  guint   positions; /* of the whole geometry so far */
} Reader;

static void
ring_clear (gpointer data)
{
  Ring *ring = data;

  g_free (ring->x);
  g_free (ring->y);
  g_free (ring->field);
}

static gboolean
fail (GError    **error,
      const char *field,
      const char *format,
      ...) G_GNUC_PRINTF (3, 4);

static gboolean
fail (GError    **error,
      const char *field,
      const char *format,
      ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  dispatch_set_field_error (error, DISPATCH_ERROR_INVALID_ARGUMENT, field, "%s %s", field,
                            message);
  return FALSE;
}

static JsonArray *
get_array (JsonNode   *node,
           const char *field,
           guint       min,
           guint       max,
           GError    **error)
{
  JsonArray *array = node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node)
                                                                  : NULL;

  if (array == NULL)
    fail (error, field, "must be an array");
  else if (json_array_get_length (array) < min)
    fail (error, field, "must have at least %u elements", min);
  else if (json_array_get_length (array) > max)
    fail (error, field, "must have at most %u elements", max);
  else
    return array;

  return NULL;
}

static gboolean
get_number (JsonArray  *position,
            guint       index,
            double      limit,
            const char *field,
            double     *out,
            GError    **error)
{
  JsonNode *node = json_array_get_element (position, index);
  GType type = JSON_NODE_HOLDS_VALUE (node) ? json_node_get_value_type (node) : G_TYPE_NONE;

  if ((type != G_TYPE_DOUBLE && type != G_TYPE_INT64) ||
      !isfinite (json_node_get_double (node)) || fabs (json_node_get_double (node)) > limit)
    {
      g_autofree char *path = dispatch_json_index_path (field, index);

      return fail (error, path, "must be a number within [-%g, %g]", limit, limit);
    }

  *out = json_node_get_double (node);
  return TRUE;
}

/* (b − a) × (c − a): > 0 when c is left of a→b, 0 on its line */
static double
orient (double ax, double ay, double bx, double by, double cx, double cy)
{
  return (bx - ax) * (cy - ay) - (by - ay) * (cx - ax);
}

/* c, on the line of a–b, lies within the segment's box */
static gboolean
on_segment (double ax, double ay, double bx, double by, double cx, double cy)
{
  return cx >= MIN (ax, bx) && cx <= MAX (ax, bx) && cy >= MIN (ay, by) && cy <= MAX (ay, by);
}

static int
sign (double value)
{
  return (value > 0) - (value < 0);
}

/* Whether the closed segments a–b and c–d have a point in common. */
static gboolean
segments_meet (const Ring *r, guint i, const Ring *s, guint j)
{
  double ax = r->x[i], ay = r->y[i], bx = r->x[(i + 1) % r->n], by = r->y[(i + 1) % r->n];
  double cx = s->x[j], cy = s->y[j], dx = s->x[(j + 1) % s->n], dy = s->y[(j + 1) % s->n];
  int o1 = sign (orient (ax, ay, bx, by, cx, cy));
  int o2 = sign (orient (ax, ay, bx, by, dx, dy));
  int o3 = sign (orient (cx, cy, dx, dy, ax, ay));
  int o4 = sign (orient (cx, cy, dx, dy, bx, by));

  if (MAX (ax, bx) < MIN (cx, dx) || MAX (cx, dx) < MIN (ax, bx) ||
      MAX (ay, by) < MIN (cy, dy) || MAX (cy, dy) < MIN (ay, by))
    return FALSE;
  if (o1 != o2 && o3 != o4 && o1 != 0 && o2 != 0 && o3 != 0 && o4 != 0)
    return TRUE;
  return (o1 == 0 && on_segment (ax, ay, bx, by, cx, cy)) ||
         (o2 == 0 && on_segment (ax, ay, bx, by, dx, dy)) ||
         (o3 == 0 && on_segment (cx, cy, dx, dy, ax, ay)) ||
         (o4 == 0 && on_segment (cx, cy, dx, dy, bx, by));
}

/* Edges i and i + 1 meet at their shared vertex only: they do not fold back. */
static gboolean
folds_back (const Ring *r, guint i)
{
  guint a = i, b = (i + 1) % r->n, c = (i + 2) % r->n;

  return orient (r->x[a], r->y[a], r->x[b], r->y[b], r->x[c], r->y[c]) == 0 &&
         (r->x[b] - r->x[a]) * (r->x[c] - r->x[b]) +
         (r->y[b] - r->y[a]) * (r->y[c] - r->y[b]) < 0;
}

static gboolean
check_simple (const Ring *r,
              GError    **error)
{
  double area = 0;

  for (guint i = 0; i < r->n; i++)
    {
      area += r->x[i] * r->y[(i + 1) % r->n] - r->x[(i + 1) % r->n] * r->y[i];
      if (folds_back (r, i))
        return fail (error, r->field, "folds back on itself at position %u", (i + 1) % r->n);

      /* edges that share no vertex (with 3 edges, every pair shares one) */
      for (guint j = i + 2; j < r->n; j++)
        if (!(i == 0 && j == r->n - 1) && segments_meet (r, i, r, j))
          return fail (error, r->field, "intersects itself (edges %u and %u)", i, j);
    }

  if (area == 0)
    return fail (error, r->field, "has no area");
  return TRUE;
}

static gboolean
check_apart (const Ring *r,
             const Ring *s,
             GError    **error)
{
  for (guint i = 0; i < r->n; i++)
    for (guint j = 0; j < s->n; j++)
      if (segments_meet (r, i, s, j))
        return fail (error, s->field, "crosses or touches %s", r->field);
  return TRUE;
}

static gboolean
read_ring (Reader      *reader,
           JsonNode    *node,
           const char  *field,
           JsonBuilder *builder,
           GError     **error)
{
  JsonArray *positions = get_array (node, field, 4, DISPATCH_ZONE_MAX_POSITIONS, error);
  Ring ring = { 0 };
  guint n;

  if (positions == NULL)
    return FALSE;

  n = json_array_get_length (positions);
  reader->positions += n;
  if (reader->positions > DISPATCH_ZONE_MAX_POSITIONS)
    return fail (error, field, "brings the zone over %u positions",
                 DISPATCH_ZONE_MAX_POSITIONS);

  ring.x = g_new (double, n);
  ring.y = g_new (double, n);
  ring.n = n - 1;
  ring.field = g_strdup (field);
  g_array_append_val (reader->rings, ring);

  json_builder_begin_array (builder);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *path = dispatch_json_index_path (field, i);
      JsonArray *position = get_array (json_array_get_element (positions, i), path, 2, 3, error);

      if (position == NULL ||
          !get_number (position, 0, 180, path, &ring.x[i], error) ||
          !get_number (position, 1, 90, path, &ring.y[i], error))
        return FALSE;
      if (i > 0 && ring.x[i] == ring.x[i - 1] && ring.y[i] == ring.y[i - 1])
        return fail (error, path, "repeats the position before it");

      json_builder_begin_array (builder);
      json_builder_add_double_value (builder, ring.x[i]);
      json_builder_add_double_value (builder, ring.y[i]);
      json_builder_end_array (builder);
    }
  json_builder_end_array (builder);

  if (ring.x[n - 1] != ring.x[0] || ring.y[n - 1] != ring.y[0])
    return fail (error, field, "must be closed (its last position equal to its first)");

  return check_simple (&g_array_index (reader->rings, Ring, reader->rings->len - 1), error);
}

static gboolean
read_polygon (Reader      *reader,
              JsonNode    *node,
              const char  *field,
              JsonBuilder *builder,
              GError     **error)
{
  JsonArray *rings = get_array (node, field, 1, DISPATCH_ZONE_MAX_RINGS, error);

  if (rings == NULL)
    return FALSE;

  g_array_set_size (reader->rings, 0);
  json_builder_begin_array (builder);
  for (guint i = 0; i < json_array_get_length (rings); i++)
    {
      g_autofree char *path = dispatch_json_index_path (field, i);

      if (!read_ring (reader, json_array_get_element (rings, i), path, builder, error))
        return FALSE;
      for (guint j = 0; j < i; j++)
        if (!check_apart (&g_array_index (reader->rings, Ring, j),
                          &g_array_index (reader->rings, Ring, i), error))
          return FALSE;
    }
  json_builder_end_array (builder);
  return TRUE;
}

gboolean
dispatch_zone_geometry_read (JsonObject   *body,
                             const char   *member,
                             JsonBuilder  *builder,
                             GError      **error)
{
  g_autoptr(GArray) rings = g_array_new (FALSE, TRUE, sizeof (Ring));
  g_autofree char *coordinates = g_strconcat (member, ".coordinates", NULL);
  Reader reader = { rings, 0 };
  JsonObject *geometry = NULL;
  const char *type = NULL;
  gboolean multi;
  JsonArray *polygons;

  g_array_set_clear_func (rings, ring_clear);
  if (!dispatch_json_get_object (body, NULL, member, DISPATCH_JSON_REQUIRED, &geometry, error) ||
      !dispatch_json_get_string (geometry, member, "type", DISPATCH_JSON_REQUIRED, 16, &type,
                                 error))
    return FALSE;

  multi = g_str_equal (type, "MultiPolygon");
  if (!multi && !g_str_equal (type, "Polygon"))
    {
      g_autofree char *path = g_strconcat (member, ".type", NULL);

      return fail (error, path, "must be \"Polygon\" or \"MultiPolygon\"");
    }

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, type);
  json_builder_set_member_name (builder, "coordinates");
  if (!multi)
    {
      if (!read_polygon (&reader, json_object_get_member (geometry, "coordinates"), coordinates,
                         builder, error))
        return FALSE;
    }
  else
    {
      polygons = get_array (json_object_get_member (geometry, "coordinates"), coordinates, 1,
                            DISPATCH_ZONE_MAX_POLYGONS, error);
      if (polygons == NULL)
        return FALSE;

      json_builder_begin_array (builder);
      for (guint i = 0; i < json_array_get_length (polygons); i++)
        {
          g_autofree char *path = dispatch_json_index_path (coordinates, i);

          if (!read_polygon (&reader, json_array_get_element (polygons, i), path, builder, error))
            return FALSE;
        }
      json_builder_end_array (builder);
    }
  json_builder_end_object (builder);
  return TRUE;
}
