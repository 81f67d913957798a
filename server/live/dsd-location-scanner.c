/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-live"

#include <math.h>
#include <string.h>

#include "dispatch-json.h"
#include "dispatch-json-scanner.h"
#include "dsd-location-scanner.h"

/* The point's members, then a frame's "type"; with their lengths, compared
 * first (every member name of every point is looked up here). */
#define MEMBER(name) { name, sizeof name - 1 }
static const struct {
  const char *name;
  gsize       length;
} members[] = {
  MEMBER ("lat"), MEMBER ("lon"), MEMBER ("heading"), MEMBER ("speed_mps"),
  MEMBER ("accuracy_m"), MEMBER ("recorded_at"), MEMBER ("type"),
};
#undef MEMBER
#define RECORDED_AT 5
#define TYPE 6

/* A plain decimal (-?digits[.digits], at most 15 digits in all) read
 * exactly: its digits as an integer below 2^53 and a power of ten up to
 * 10^22 are both exact doubles, so their quotient is the correctly rounded
 * value, the one strtod gives (Clinger's fast path). The scanner has
 * checked the syntax. FALSE for anything else. */
static gboolean
read_short_decimal (const char *text,
                    gsize       length,
                    double     *out)
{
  static const double powers[] = {
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
  };
  gboolean negative = length > 0 && text[0] == '-';
  gint64 mantissa = 0;
  guint n_digits = 0;
  guint n_decimals = 0;
  gboolean point = FALSE;

  for (gsize i = negative ? 1 : 0; i < length; i++)
    {
      if (text[i] == '.' && !point)
        point = TRUE;
      else if (g_ascii_isdigit (text[i]) && ++n_digits <= 15)
        {
          mantissa = mantissa * 10 + (text[i] - '0');
          n_decimals += point;
        }
      else
        return FALSE;
    }

  if (n_digits == 0 || n_digits > 15)
    return FALSE;
  /* An integer converts as an integer: "-0" is 0, not -0.0. */
  if (!point)
    *out = (double) (negative ? -mantissa : mantissa);
  else
    *out = (negative ? -1.0 : 1.0) * ((double) mantissa / powers[n_decimals]);
  return TRUE;
}

/* A number as json-glib gives it: an integer (within gint64) converted as
 * dispatch_json_get_double converts it, else a finite double. */
static gboolean
scan_number (DispatchJsonScanner *s,
             double              *out)
{
  const char *start;
  gsize length;
  gboolean integral;
  char text[64];

  if (!dispatch_json_scanner_number (s, &start, &length, &integral))
    return FALSE;
  if (read_short_decimal (start, length, out))
    return TRUE;

  /* Copied: the body is not NUL-terminated. */
  if (length >= sizeof text)
    return FALSE;
  memcpy (text, start, length);
  text[length] = '\0';

  if (integral)
    *out = (double) g_ascii_strtoll (text, NULL, 10);
  else
    *out = g_ascii_strtod (text, NULL);

  return isfinite (*out);
}

/* One member's value into the point; null leaves an optional member absent. */
static gboolean
scan_member (DispatchJsonScanner   *s,
             guint                  member,
             DispatchLocationPoint *point)
{
  static const DispatchLocationFlags flags[] = {
    0, 0, DISPATCH_LOCATION_HAS_HEADING, DISPATCH_LOCATION_HAS_SPEED,
    DISPATCH_LOCATION_HAS_ACCURACY,
  };
  double *numbers[] = {
    &point->lat, &point->lon, &point->heading, &point->speed_mps, &point->accuracy_m,
  };
  const char *start;
  gsize length;
  char text[64];

  if (member == TYPE)
    {
      /* A driver-stream frame's type: only "location" is read here. */
      return dispatch_json_scanner_ascii_string (s, &start, &length) &&
             length == strlen ("location") && memcmp (start, "location", length) == 0;
    }

  if (member == RECORDED_AT)
    {
      /* recorded_at: an RFC 3339 string, or null for "now". */
      if (dispatch_json_scanner_literal (s, "null"))
        return TRUE;
      if (!dispatch_json_scanner_ascii_string (s, &start, &length) || length >= sizeof text)
        return FALSE;
      memcpy (text, start, length);
      text[length] = '\0';
      return dispatch_parse_timestamp (text, &point->recorded_at_us);
    }

  /* lat and lon are required: null is refused. */
  if (flags[member] != 0 && dispatch_json_scanner_literal (s, "null"))
    return TRUE;

  point->flags |= flags[member];
  return scan_number (s, numbers[member]);
}

/* One point object, valid as dispatch_location_point_from_json() sees it;
 * a frame's has its "type" too. */
static gboolean
scan_point (DispatchJsonScanner   *s,
            gboolean               frame,
            gint64                 now_us,
            DispatchLocationPoint *point)
{
  guint seen = 0;
  guint required = frame ? 1u << 0 | 1u << 1 | 1u << TYPE : 1u << 0 | 1u << 1;

  *point = (DispatchLocationPoint) { .recorded_at_us = now_us };

  if (!dispatch_json_scanner_accept (s, '{'))
    return FALSE;

  if (!dispatch_json_scanner_accept (s, '}'))
    {
      do
        {
          const char *name;
          gsize length;
          guint i;

          if (!dispatch_json_scanner_ascii_string (s, &name, &length))
            return FALSE;

          for (i = 0; i < G_N_ELEMENTS (members); i++)
            {
              if (members[i].length == length && memcmp (members[i].name, name, length) == 0)
                break;
            }
          if (i == G_N_ELEMENTS (members) || (i == TYPE && !frame) || (seen & (1u << i)) != 0 ||
              !dispatch_json_scanner_accept (s, ':') || !scan_member (s, i, point))
            return FALSE;

          seen |= 1u << i;
        }
      while (dispatch_json_scanner_accept (s, ','));

      if (!dispatch_json_scanner_accept (s, '}'))
        return FALSE;
    }

  return (seen & required) == required && dispatch_location_point_is_valid (point, now_us);
}

/* At s, after the opening brace: "points" and its array, then the closing brace. */
static gboolean
scan_batch (DispatchJsonScanner *s,
            guint                max_points,
            gint64               now_us,
            GArray              *points)
{
  const char *name;
  gsize length;

  if (!dispatch_json_scanner_ascii_string (s, &name, &length) || length != strlen ("points") ||
      memcmp (name, "points", length) != 0 || !dispatch_json_scanner_accept (s, ':') ||
      !dispatch_json_scanner_accept (s, '['))
    return FALSE;

  do
    {
      DispatchLocationPoint point;

      if (points->len == max_points || !scan_point (s, FALSE, now_us, &point))
        return FALSE;
      g_array_append_val (points, point);
    }
  while (dispatch_json_scanner_accept (s, ','));

  return dispatch_json_scanner_accept (s, ']') && dispatch_json_scanner_accept (s, '}');
}

GArray *
dsd_location_scan (const char *data,
                   gsize       length,
                   guint       max_points,
                   gint64      now_us)
{
  g_autoptr(GArray) points = g_array_new (FALSE, FALSE, sizeof (DispatchLocationPoint));
  DispatchJsonScanner s;
  DispatchJsonScanner batch;
  DispatchLocationPoint point;

  g_return_val_if_fail (data != NULL || length == 0, NULL);

  dispatch_json_scanner_init (&s, data, length);
  if (!dispatch_json_scanner_accept (&s, '{'))
    return NULL;

  /* {"points": …} or else a single point. */
  batch = s;
  dispatch_json_scanner_skip_space (&batch);
  if (batch.end - batch.pos >= 8 && memcmp (batch.pos, "\"points\"", 8) == 0)
    {
      if (!scan_batch (&batch, max_points, now_us, points))
        return NULL;
      s = batch;
    }
  else
    {
      s.pos--;
      if (!scan_point (&s, FALSE, now_us, &point))
        return NULL;
      g_array_append_val (points, point);
    }

  dispatch_json_scanner_skip_space (&s);
  return s.pos == s.end ? g_steal_pointer (&points) : NULL;
}

gboolean
dsd_location_scan_frame (const char            *data,
                         gsize                  length,
                         gint64                 now_us,
                         DispatchLocationPoint *point)
{
  DispatchJsonScanner s;

  g_return_val_if_fail (data != NULL || length == 0, FALSE);
  g_return_val_if_fail (point != NULL, FALSE);

  dispatch_json_scanner_init (&s, data, length);
  if (!scan_point (&s, TRUE, now_us, point))
    return FALSE;

  dispatch_json_scanner_skip_space (&s);
  return s.pos == s.end;
}
