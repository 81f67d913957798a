/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/*
 * With DISPATCH_CONSOLE_FRAME_STATS=N in the environment (N seconds, 1 or
 * more; "1" logs every second), prints one JSON line per period on stdout:
 *
 *   {"frame_stats":{"ticks":…,"frames":…,"fps":…,
 *    "interval_ms":{"mean","p50","p95","p99","max"},
 *    "work_ms":{…},"cpu_ms":{…},"runq_ms":{…},"blocked_ms":{…},"rss_kb":…}}
 *
 * ticks: cycles of the frame clock; frames: those that painted the window
 * (the others only ran animations or layout); interval: time between
 * painted frames; work: time from the start of a painted frame's update
 * phase to the end of its paint (layout, snapshot and rendering); cpu: the
 * CPU time all threads of the process spent in that span (software GL
 * renders on threads of its own; on a busy machine this tells the work
 * from the waiting); runq: the time the main thread, ready to run, waited
 * for a CPU in that span (from the scheduler's statistics); blocked: the
 * rest of the span that the main thread was neither on a CPU nor waiting
 * for one (waiting for the renderer's threads or the X server); rss_kb:
 * resident memory at the end of the period.
 * bench/ reads these to measure the console.
 */
void dc_frame_stats_attach_from_env (GtkWidget *widget);

G_END_DECLS
