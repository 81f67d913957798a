/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * Orders that are not "now": the engine's rules for an order's planned
 * pickup (the order's "pickup_at": its ready_at, or the pickup that reaches
 * the dropoff when its delivery window opens, whichever is later), free of
 * I/O and of the clock so that tests give the times.
 *
 * - An order enters dispatch lead_s before its planned pickup (scheduled
 *   orders wait in the book until then).
 * - A driver is only given it when it would reach the pickup at most
 *   max_wait_s before the planned pickup: sent so as to arrive near the
 *   ready time, not to wait at the counter. A driver who would arrive late
 *   is allowed (the order is ready; the cost model prefers the nearer).
 *
 * Times are Unix microseconds; pickup_at_us 0 means "as soon as possible".
 */

gboolean dsd_pickup_time_is_open     (gint64 pickup_at_us,
                                      gint64 now_us,
                                      guint  lead_s);
gboolean dsd_pickup_time_allows      (gint64 pickup_at_us,
                                      gint64 now_us,
                                      double eta_s,
                                      guint  max_wait_s);
/* When the order enters dispatch (pickup_at_us − lead_s), or 0 for "now". */
gint64   dsd_pickup_time_open_at_us  (gint64 pickup_at_us,
                                      guint  lead_s);

G_END_DECLS
