/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "dc-clock.h"

struct _DcClock
{
  GObject parent_instance;

  guint source;
};

G_DEFINE_FINAL_TYPE (DcClock, dc_clock, G_TYPE_OBJECT)

enum {
  TICK,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static gboolean
tick_cb (gpointer user_data)
{
  g_signal_emit (user_data, signals[TICK], 0);

  return G_SOURCE_CONTINUE;
}

static void
dc_clock_dispose (GObject *object)
{
  DcClock *self = (DcClock *)object;

  g_clear_handle_id (&self->source, g_source_remove);

  G_OBJECT_CLASS (dc_clock_parent_class)->dispose (object);
}

static void
dc_clock_class_init (DcClockClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = dc_clock_dispose;

  signals[TICK] = g_signal_new ("tick", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
dc_clock_init (DcClock *self)
{
  /* Seconds-granularity sources are merged with the system's other wakeups. */
  self->source = g_timeout_add_seconds (1, tick_cb, self);
}

DcClock *
dc_clock_new (void)
{
  return g_object_new (DC_TYPE_CLOCK, NULL);
}
