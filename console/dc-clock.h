/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define DC_TYPE_CLOCK (dc_clock_get_type ())

G_DECLARE_FINAL_TYPE (DcClock, dc_clock, DC, CLOCK, GObject)

/*
 * DcClock:
 *
 * The console's one ticking source: ::tick fires about once a second,
 * and everything that shows a relative time ("2 minutes ago") redraws
 * from it instead of keeping a timer of its own.
 */
DcClock *dc_clock_new (void);

G_END_DECLS
