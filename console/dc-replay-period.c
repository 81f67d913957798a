/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdio.h>

#include "dc-replay-period.h"

static gint64
usec_of (GDateTime *time)
{
  return g_date_time_to_unix (time) * G_USEC_PER_SEC + g_date_time_get_microsecond (time);
}

/* "HH:MM" or "YYYY-MM-DD HH:MM" in local time; NULL otherwise. */
static GDateTime *
parse_start (const char *text,
             GDateTime  *now)
{
  int year, month, day, hour, minute;
  char rest;
  g_autoptr(GDateTime) today = g_date_time_to_local (now);
  g_autoptr(GDateTime) start = NULL;

  if (sscanf (text, "%4d-%2d-%2d %2d:%2d%c", &year, &month, &day, &hour, &minute, &rest) == 5)
    return g_date_time_new_local (year, month, day, hour, minute, 0);
  if (sscanf (text, "%2d:%2d%c", &hour, &minute, &rest) != 2)
    return NULL;
  start = g_date_time_new_local (g_date_time_get_year (today), g_date_time_get_month (today),
                                 g_date_time_get_day_of_month (today), hour, minute, 0);
  if (start != NULL && g_date_time_compare (start, now) > 0)
    return g_date_time_add_days (start, -1);
  return g_steal_pointer (&start);
}

gboolean
dc_replay_period_parse (const char *start,
                        guint       hours,
                        GDateTime  *now,
                        gint64     *out_from,
                        gint64     *out_to)
{
  g_autofree char *text = g_strstrip (g_strdup (start != NULL ? start : ""));
  g_autoptr(GDateTime) from = NULL;
  gint64 now_us = usec_of (now);
  gint64 length = (gint64) hours * 3600 * G_USEC_PER_SEC;

  if (*text == '\0')
    {
      *out_from = now_us - length;
      *out_to = now_us;
      return TRUE;
    }
  from = parse_start (text, now);
  if (from == NULL || usec_of (from) >= now_us)
    return FALSE;
  *out_from = usec_of (from);
  *out_to = MIN (*out_from + length, now_us);
  return TRUE;
}
