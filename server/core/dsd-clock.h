/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/*
 * Time as a dependency (the idea of GNOME Calendar's GcalClock): code that
 * expires or rate-limits things reads the time from the clock it was given,
 * so that tests move time instead of sleeping. dsd_clock_new() follows the
 * system's clocks; dsd_clock_new_frozen() stands still until advanced.
 * Thread-safe.
 */
#define DSD_TYPE_CLOCK (dsd_clock_get_type ())
G_DECLARE_FINAL_TYPE (DsdClock, dsd_clock, DSD, CLOCK, GObject)

DsdClock *dsd_clock_new              (void);
/* A clock that stands at real_us (microseconds since the epoch) and moves
 * only by dsd_clock_advance(). */
DsdClock *dsd_clock_new_frozen       (gint64    real_us);
/* Like g_get_monotonic_time() and g_get_real_time(). */
gint64    dsd_clock_get_monotonic_us (DsdClock *self);
gint64    dsd_clock_get_real_us      (DsdClock *self);
/* Moves both times of a frozen clock forward by us. */
void      dsd_clock_advance          (DsdClock *self,
                                      gint64    us);

G_END_DECLS
