/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* @usec (since the epoch) as a local date and time; NULL out of range. */
GDateTime *dc_local_time_new      (gint64 usec);
/* Whether both fall on the same local day. */
gboolean   dc_local_time_same_day (gint64 a_usec,
                                   gint64 b_usec);

/*
 * Times of day as a dispatcher types them in the order form, in local time:
 * "14:30" (on the day of @now_usec) or "2026-12-08 14:30". Parsing returns
 * FALSE for anything else. Formatting writes "14:30" for a time on the day
 * of @now_usec, else the strftime format @other_day (the form's
 * DC_LOCAL_TIME_DATED reads back).
 */
#define DC_LOCAL_TIME_DATED "%Y-%m-%d %H:%M"

gboolean  dc_local_time_parse  (const char *text,
                                gint64      now_usec,
                                gint64     *usec);
char     *dc_local_time_format (gint64      usec,
                                gint64      now_usec,
                                const char *other_day);

G_END_DECLS
