/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdio.h>

#include "dc-local-time.h"

GDateTime *
dc_local_time_new (gint64 usec)
{
  g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (usec / G_USEC_PER_SEC);

  return utc != NULL ? g_date_time_to_local (utc) : NULL;
}

gboolean
dc_local_time_same_day (gint64 a_usec,
                        gint64 b_usec)
{
  g_autoptr(GDateTime) a = dc_local_time_new (a_usec);
  g_autoptr(GDateTime) b = dc_local_time_new (b_usec);

  return a != NULL && b != NULL && g_date_time_get_year (a) == g_date_time_get_year (b) &&
         g_date_time_get_day_of_year (a) == g_date_time_get_day_of_year (b);
}

gboolean
dc_local_time_parse (const char *text,
                     gint64      now_usec,
                     gint64     *usec)
{
  g_autoptr(GDateTime) now = dc_local_time_new (now_usec);
  g_autoptr(GTimeZone) zone = g_time_zone_new_local ();
  g_autoptr(GDateTime) then = NULL;
  int year, month, day, hour, minute, end = -1;

  g_return_val_if_fail (text != NULL && usec != NULL, FALSE);

  if (sscanf (text, " %4d-%2d-%2d %2d:%2d %n", &year, &month, &day, &hour, &minute, &end) != 5 ||
      end < 0 || text[end] != '\0')
    {
      end = -1;
      if (now == NULL || sscanf (text, " %2d:%2d %n", &hour, &minute, &end) != 2 || end < 0 ||
          text[end] != '\0')
        return FALSE;
      g_date_time_get_ymd (now, &year, &month, &day);
    }

  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 ||
      !(then = g_date_time_new (zone, year, month, day, hour, minute, 0)))
    return FALSE;

  *usec = g_date_time_to_unix (then) * G_USEC_PER_SEC;
  return TRUE;
}

char *
dc_local_time_format (gint64      usec,
                      gint64      now_usec,
                      const char *other_day)
{
  g_autoptr(GDateTime) then = dc_local_time_new (usec);

  if (then == NULL)
    return g_strdup ("");
  if (dc_local_time_same_day (usec, now_usec))
    return g_date_time_format (then, "%H:%M");

  return g_date_time_format (then, other_day);
}
