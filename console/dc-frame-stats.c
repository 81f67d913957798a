/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "dc-frame-stats.h"

typedef struct
{
  GArray *intervals;  /* double, ms */
  GArray *work;       /* double, ms */
  GArray *cpu;        /* double, ms */
  GArray *runq;       /* double, ms */
  GArray *blocked;    /* double, ms */
  guint ticks;
  gint64 last_paint;
  gint64 frame_start;
  gint64 frame_start_cpu;
  gint64 frame_start_thread_cpu;
  gint64 frame_start_runq;
  gboolean painted;
  GdkSurface *surface;
  gulong render_hook;
  gulong before_handler;
  gulong after_handler;
  GdkFrameClock *clock;
  guint period_s;
  guint report_source;
} FrameStats;

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double da = *(const double *) a;
  double db = *(const double *) b;

  return (da > db) - (da < db);
}

static double
percentile (GArray *sorted,
            double  fraction)
{
  if (sorted->len == 0)
    return 0;

  return g_array_index (sorted, double, MIN ((guint) (sorted->len * fraction), sorted->len - 1));
}

static void
summarize (GArray     *values,
           GString    *out,
           const char *name)
{
  double sum = 0;

  g_array_sort (values, compare_doubles);
  for (guint i = 0; i < values->len; i++)
    sum += g_array_index (values, double, i);

  g_string_append_printf (out,
                          "\"%s\":{\"mean\":%.2f,\"p50\":%.2f,\"p95\":%.2f,\"p99\":%.2f,"
                          "\"max\":%.2f}",
                          name, values->len ? sum / values->len : 0.0,
                          percentile (values, 0.50), percentile (values, 0.95),
                          percentile (values, 0.99), percentile (values, 1.0));
}

/* CPU time of every thread of the process (the renderer may use more than
 * one), microseconds. */
static gint64
process_cpu_usec (void)
{
  struct timespec now;

  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &now);

  return (gint64) now.tv_sec * G_USEC_PER_SEC + now.tv_nsec / 1000;
}

/* The calling thread's time on a CPU, and the time it waited for one (from
 * the scheduler's statistics, 0 where there are none), microseconds. */
static void
thread_sched_usec (gint64 *on_cpu,
                   gint64 *runq)
{
  g_autofree char *schedstat = NULL;
  guint64 wait_ns = 0;
  struct timespec now;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &now);
  *on_cpu = (gint64) now.tv_sec * G_USEC_PER_SEC + now.tv_nsec / 1000;
  if (g_file_get_contents ("/proc/thread-self/schedstat", &schedstat, NULL, NULL))
    sscanf (schedstat, "%*u %" G_GUINT64_FORMAT, &wait_ns);
  *runq = (gint64) (wait_ns / 1000);
}

/* Resident set from /proc; 0 where there is none. */
static guint64
rss_kb (void)
{
  g_autofree char *statm = NULL;
  guint64 pages = 0;

  if (g_file_get_contents ("/proc/self/statm", &statm, NULL, NULL))
    sscanf (statm, "%*u %" G_GUINT64_FORMAT, &pages);

  return pages * (guint64) sysconf (_SC_PAGESIZE) / 1024;
}

static gboolean
report_cb (gpointer user_data)
{
  FrameStats *stats = user_data;
  g_autoptr(GString) line = g_string_new ("{\"frame_stats\":{");

  g_string_append_printf (line, "\"ticks\":%u,\"frames\":%u,\"fps\":%.1f,", stats->ticks,
                          stats->work->len, (double) stats->work->len / stats->period_s);
  summarize (stats->intervals, line, "interval_ms");
  g_string_append_c (line, ',');
  summarize (stats->work, line, "work_ms");
  g_string_append_c (line, ',');
  summarize (stats->cpu, line, "cpu_ms");
  g_string_append_c (line, ',');
  summarize (stats->runq, line, "runq_ms");
  g_string_append_c (line, ',');
  summarize (stats->blocked, line, "blocked_ms");
  g_string_append_printf (line, ",\"rss_kb\":%" G_GUINT64_FORMAT "}}\n", rss_kb ());

  fputs (line->str, stdout);
  fflush (stdout);

  stats->ticks = 0;
  g_array_set_size (stats->intervals, 0);
  g_array_set_size (stats->work, 0);
  g_array_set_size (stats->cpu, 0);
  g_array_set_size (stats->runq, 0);
  g_array_set_size (stats->blocked, 0);

  return G_SOURCE_CONTINUE;
}

/* An emission hook rather than a handler: GTK's own handler of ::render
 * stops the emission, so a handler connected after it would never run. */
static gboolean
render_hook_cb (GSignalInvocationHint *hint,
                guint                  n_values,
                const GValue          *values,
                gpointer               user_data)
{
  FrameStats *stats = user_data;

  if (g_value_get_object (&values[0]) == (gpointer) stats->surface)
    stats->painted = TRUE;

  return TRUE;
}

static void
before_paint_cb (GdkFrameClock *clock,
                 FrameStats    *stats)
{
  stats->frame_start = g_get_monotonic_time ();
  stats->frame_start_cpu = process_cpu_usec ();
  thread_sched_usec (&stats->frame_start_thread_cpu, &stats->frame_start_runq);
  stats->painted = FALSE;
}

static void
after_paint_cb (GdkFrameClock *clock,
                FrameStats    *stats)
{
  gint64 now = g_get_monotonic_time ();
  gint64 thread_cpu, runq;
  double work, cpu, waited, blocked;

  if (stats->frame_start == 0)
    return;

  stats->ticks++;
  if (!stats->painted)
    return;

  work = (now - stats->frame_start) / 1000.0;
  cpu = (process_cpu_usec () - stats->frame_start_cpu) / 1000.0;
  thread_sched_usec (&thread_cpu, &runq);
  waited = (runq - stats->frame_start_runq) / 1000.0;
  blocked = MAX (0.0, work - waited - (thread_cpu - stats->frame_start_thread_cpu) / 1000.0);
  g_array_append_val (stats->work, work);
  g_array_append_val (stats->cpu, cpu);
  g_array_append_val (stats->runq, waited);
  g_array_append_val (stats->blocked, blocked);
  if (stats->last_paint != 0)
    {
      double interval = (stats->frame_start - stats->last_paint) / 1000.0;

      g_array_append_val (stats->intervals, interval);
    }
  stats->last_paint = stats->frame_start;
}

static void
realize_cb (GtkWidget  *widget,
            FrameStats *stats)
{
  stats->surface = gtk_native_get_surface (gtk_widget_get_native (widget));
  stats->render_hook = g_signal_add_emission_hook (g_signal_lookup ("render", GDK_TYPE_SURFACE),
                                                   0, render_hook_cb, stats, NULL);
  stats->clock = gtk_widget_get_frame_clock (widget);
  stats->before_handler = g_signal_connect (stats->clock, "before-paint",
                                            G_CALLBACK (before_paint_cb), stats);
  stats->after_handler = g_signal_connect (stats->clock, "after-paint",
                                           G_CALLBACK (after_paint_cb), stats);
}

static void
unrealize_cb (GtkWidget  *widget,
              FrameStats *stats)
{
  if (stats->render_hook != 0)
    g_signal_remove_emission_hook (g_signal_lookup ("render", GDK_TYPE_SURFACE),
                                   stats->render_hook);
  stats->render_hook = 0;
  stats->surface = NULL;
  g_clear_signal_handler (&stats->before_handler, stats->clock);
  g_clear_signal_handler (&stats->after_handler, stats->clock);
  stats->clock = NULL;
  stats->last_paint = 0;
  stats->frame_start = 0;
}

static void
frame_stats_free (gpointer data)
{
  FrameStats *stats = data;

  g_clear_handle_id (&stats->report_source, g_source_remove);
  g_array_unref (stats->intervals);
  g_array_unref (stats->work);
  g_array_unref (stats->cpu);
  g_array_unref (stats->runq);
  g_array_unref (stats->blocked);
  g_free (stats);
}

void
dc_frame_stats_attach_from_env (GtkWidget *widget)
{
  const char *value = g_getenv ("DISPATCH_CONSOLE_FRAME_STATS");
  FrameStats *stats;
  int period;

  g_return_if_fail (GTK_IS_WIDGET (widget));

  if (value == NULL || (period = atoi (value)) < 1)
    return;

  stats = g_new0 (FrameStats, 1);
  stats->intervals = g_array_new (FALSE, FALSE, sizeof (double));
  stats->work = g_array_new (FALSE, FALSE, sizeof (double));
  stats->cpu = g_array_new (FALSE, FALSE, sizeof (double));
  stats->runq = g_array_new (FALSE, FALSE, sizeof (double));
  stats->blocked = g_array_new (FALSE, FALSE, sizeof (double));
  stats->period_s = (guint) period;
  stats->report_source = g_timeout_add_seconds (stats->period_s, report_cb, stats);
  g_object_set_data_full (G_OBJECT (widget), "dc-frame-stats", stats, frame_stats_free);

  g_signal_connect (widget, "realize", G_CALLBACK (realize_cb), stats);
  g_signal_connect (widget, "unrealize", G_CALLBACK (unrealize_cb), stats);
  if (gtk_widget_get_realized (widget))
    realize_cb (widget, stats);
}
