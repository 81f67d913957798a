/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * The period to replay, @hours long (µs since the epoch): from the start the
 * dispatcher typed in @start, local time, "HH:MM" (today, or yesterday when
 * that is still to come) or "YYYY-MM-DD HH:MM", and ending @hours later but
 * not after @now; or, when @start is empty, the @hours up to @now. FALSE
 * when @start is not such a time or not before @now.
 */
gboolean dc_replay_period_parse (const char *start,
                                 guint       hours,
                                 GDateTime  *now,
                                 gint64     *out_from,
                                 gint64     *out_to);

G_END_DECLS
