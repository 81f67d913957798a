/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/*
 * With DISPATCH_CONSOLE_FRAME_STATS=N in the environment (N seconds, 1 or
 * more; "1" logs every second), prints one JSON line per period on stdout:
 *
 *   {"frame_stats":{"frames":…,"fps":…,"interval_ms":{"mean","p95","max"},
 *    "work_ms":{"mean","p95","max"}}}
 *
 * interval: time between the frame clock's frames; work: time from the
 * start of a frame's update phase to the end of its paint (layout,
 * snapshot and rendering). bench/ reads these to measure the console.
 */
void dc_frame_stats_attach_from_env (GtkWidget *widget);

G_END_DECLS
