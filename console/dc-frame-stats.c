/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "dc-frame-stats.h"

typedef struct
{
  GArray *intervals;  /* double, ms */
  GArray *work;       /* double, ms */
  gint64 last_frame;
  gint64 frame_start;
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

static void
summarize (GArray  *values,
           GString *out,
           const char *name)
{
  double sum = 0;

  g_array_sort (values, compare_doubles);
  for (guint i = 0; i < values->len; i++)
    sum += g_array_index (values, double, i);

  g_string_append_printf (out, "\"%s\":{\"mean\":%.2f,\"p95\":%.2f,\"max\":%.2f}", name,
                          values->len ? sum / values->len : 0.0,
                          values->len ? g_array_index (values, double,
                                                       (guint) (values->len * 0.95)) : 0.0,
                          values->len ? g_array_index (values, double, values->len - 1) : 0.0);
}

static gboolean
report_cb (gpointer user_data)
{
  FrameStats *stats = user_data;
  g_autoptr(GString) line = g_string_new ("{\"frame_stats\":{");

  g_string_append_printf (line, "\"frames\":%u,\"fps\":%.1f,", stats->work->len,
                          (double) stats->work->len / stats->period_s);
  summarize (stats->intervals, line, "interval_ms");
  g_string_append_c (line, ',');
  summarize (stats->work, line, "work_ms");
  g_string_append (line, "}}\n");

  fputs (line->str, stdout);
  fflush (stdout);

  g_array_set_size (stats->intervals, 0);
  g_array_set_size (stats->work, 0);

  return G_SOURCE_CONTINUE;
}

static void
before_paint_cb (GdkFrameClock *clock,
                 FrameStats    *stats)
{
  gint64 now = g_get_monotonic_time ();

  if (stats->last_frame != 0)
    {
      double interval = (now - stats->last_frame) / 1000.0;

      g_array_append_val (stats->intervals, interval);
    }
  stats->last_frame = now;
  stats->frame_start = now;
}

static void
after_paint_cb (GdkFrameClock *clock,
                FrameStats    *stats)
{
  double work;

  if (stats->frame_start == 0)
    return;

  work = (g_get_monotonic_time () - stats->frame_start) / 1000.0;
  g_array_append_val (stats->work, work);
}

static void
realize_cb (GtkWidget  *widget,
            FrameStats *stats)
{
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
  g_clear_signal_handler (&stats->before_handler, stats->clock);
  g_clear_signal_handler (&stats->after_handler, stats->clock);
  stats->clock = NULL;
  stats->last_frame = 0;
}

static void
frame_stats_free (gpointer data)
{
  FrameStats *stats = data;

  g_clear_handle_id (&stats->report_source, g_source_remove);
  g_array_unref (stats->intervals);
  g_array_unref (stats->work);
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
  stats->period_s = (guint) period;
  stats->report_source = g_timeout_add_seconds (stats->period_s, report_cb, stats);
  g_object_set_data_full (G_OBJECT (widget), "dc-frame-stats", stats, frame_stats_free);

  g_signal_connect (widget, "realize", G_CALLBACK (realize_cb), stats);
  g_signal_connect (widget, "unrealize", G_CALLBACK (unrealize_cb), stats);
  if (gtk_widget_get_realized (widget))
    realize_cb (widget, stats);
}
