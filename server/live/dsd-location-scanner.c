/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-live"

#include <errno.h>
#include <math.h>
#include <string.h>

#include "dispatch-json.h"
#include "dsd-location-scanner.h"

static const char * const members[] = {
  "lat", "lon", "heading", "speed_mps", "accuracy_m", "recorded_at", NULL
};

typedef struct {
  const char *p;
  const char *end;
} Scanner;

static void
skip_space (Scanner *s)
{
  while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
    s->p++;
}

/* Skips whitespace, then consumes c if it is next. */
static gboolean
accept (Scanner *s,
        char     c)
{
  skip_space (s);
  if (s->p < s->end && *s->p == c)
    {
      s->p++;
      return TRUE;
    }
  return FALSE;
}

/* A string of printable ASCII without escapes; (start, length) into the data. */
static gboolean
scan_string (Scanner     *s,
             const char **start,
             gsize       *length)
{
  if (!accept (s, '"'))
    return FALSE;

  *start = s->p;
  while (s->p < s->end && *s->p != '"')
    {
      if (*s->p < 0x20 || *s->p > 0x7e || *s->p == '\\')
        return FALSE;
      s->p++;
    }
  if (s->p == s->end)
    return FALSE;

  *length = s->p - *start;
  s->p++;
  return TRUE;
}

static gboolean
scan_digits (Scanner *s)
{
  const char *start = s->p;

  while (s->p < s->end && g_ascii_isdigit (*s->p))
    s->p++;
  return s->p > start;
}

/* RFC 8259 number grammar. Without fraction and exponent it is an integer
 * (within gint64, as the strict parser requires, then converted as
 * dispatch_json_get_double converts it), else a finite double: the values
 * json-glib gives. */
static gboolean
scan_number (Scanner *s,
             double  *out)
{
  const char *start = s->p;
  gboolean integer = TRUE;
  char text[64];

  if (s->p < s->end && *s->p == '-')
    s->p++;
  if (s->p < s->end && *s->p == '0')
    s->p++;
  else if (s->p >= s->end || *s->p < '1' || *s->p > '9' || !scan_digits (s))
    return FALSE;

  if (s->p < s->end && *s->p == '.')
    {
      s->p++;
      integer = FALSE;
      if (!scan_digits (s))
        return FALSE;
    }
  if (s->p < s->end && (*s->p == 'e' || *s->p == 'E'))
    {
      s->p++;
      integer = FALSE;
      if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
        s->p++;
      if (!scan_digits (s))
        return FALSE;
    }

  /* Copied: the body is not NUL-terminated. */
  if ((gsize) (s->p - start) >= sizeof text)
    return FALSE;
  memcpy (text, start, s->p - start);
  text[s->p - start] = '\0';

  errno = 0;
  if (integer)
    *out = (double) g_ascii_strtoll (text, NULL, 10);
  else
    *out = g_ascii_strtod (text, NULL);

  return integer ? errno == 0 : isfinite (*out);
}

static gboolean
scan_null (Scanner *s)
{
  skip_space (s);
  if (s->end - s->p < 4 || memcmp (s->p, "null", 4) != 0)
    return FALSE;

  s->p += 4;
  return TRUE;
}

/* One member's value into the point; null leaves an optional member absent. */
static gboolean
scan_member (Scanner               *s,
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

  if (member >= G_N_ELEMENTS (numbers))
    {
      /* recorded_at: an RFC 3339 string, or null for "now". */
      if (scan_null (s))
        return TRUE;
      if (!scan_string (s, &start, &length) || length >= sizeof text)
        return FALSE;
      memcpy (text, start, length);
      text[length] = '\0';
      return dispatch_parse_timestamp (text, &point->recorded_at_us);
    }

  /* lat and lon are required: null is refused. */
  if (flags[member] != 0 && scan_null (s))
    return TRUE;

  skip_space (s);
  point->flags |= flags[member];
  return scan_number (s, numbers[member]);
}

/* One point object, valid as dispatch_location_point_from_json() sees it. */
static gboolean
scan_point (Scanner               *s,
            gint64                 now_us,
            DispatchLocationPoint *point)
{
  guint seen = 0;

  *point = (DispatchLocationPoint) { .recorded_at_us = now_us };

  if (!accept (s, '{'))
    return FALSE;

  if (!accept (s, '}'))
    {
      do
        {
          const char *name;
          gsize length;
          guint i;

          if (!scan_string (s, &name, &length))
            return FALSE;

          for (i = 0; members[i] != NULL; i++)
            {
              if (strlen (members[i]) == length && memcmp (members[i], name, length) == 0)
                break;
            }
          if (members[i] == NULL || (seen & (1u << i)) != 0 || !accept (s, ':') ||
              !scan_member (s, i, point))
            return FALSE;

          seen |= 1u << i;
        }
      while (accept (s, ','));

      if (!accept (s, '}'))
        return FALSE;
    }

  /* lat and lon (the first two members) are required. */
  return (seen & 3) == 3 && dispatch_location_point_is_valid (point, now_us);
}

/* At s, after the opening brace: "points" and its array, then the closing brace. */
static gboolean
scan_batch (Scanner *s,
            guint    max_points,
            gint64   now_us,
            GArray  *points)
{
  const char *name;
  gsize length;

  if (!scan_string (s, &name, &length) || length != strlen ("points") ||
      memcmp (name, "points", length) != 0 || !accept (s, ':') || !accept (s, '['))
    return FALSE;

  do
    {
      DispatchLocationPoint point;

      if (points->len == max_points || !scan_point (s, now_us, &point))
        return FALSE;
      g_array_append_val (points, point);
    }
  while (accept (s, ','));

  return accept (s, ']') && accept (s, '}');
}

GArray *
dsd_location_scan (const char *data,
                   gsize       length,
                   guint       max_points,
                   gint64      now_us)
{
  g_autoptr(GArray) points = g_array_new (FALSE, FALSE, sizeof (DispatchLocationPoint));
  Scanner s = { data, data + length };
  Scanner batch;
  DispatchLocationPoint point;

  g_return_val_if_fail (data != NULL || length == 0, NULL);

  if (!accept (&s, '{'))
    return NULL;

  /* {"points": …} or else a single point. */
  batch = s;
  skip_space (&batch);
  if (batch.end - batch.p >= 8 && memcmp (batch.p, "\"points\"", 8) == 0)
    {
      if (!scan_batch (&batch, max_points, now_us, points))
        return NULL;
      s = batch;
    }
  else
    {
      s.p--;
      if (!scan_point (&s, now_us, &point))
        return NULL;
      g_array_append_val (points, point);
    }

  skip_space (&s);
  return s.p == s.end ? g_steal_pointer (&points) : NULL;
}
