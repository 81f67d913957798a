/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-core"

#include "dsd-clock.h"

/* Where a frozen clock's monotonic time starts: any positive value will do. */
#define FROZEN_MONOTONIC_START_US (G_USEC_PER_SEC * 1000)

struct _DsdClock {
  GObject   parent_instance;

  gboolean  frozen;
  GMutex    mutex;         /* guards the two below */
  gint64    real_us;       /* frozen clocks only */
  gint64    monotonic_us;
};

G_DEFINE_FINAL_TYPE (DsdClock, dsd_clock, G_TYPE_OBJECT)

static void
dsd_clock_finalize (GObject *object)
{
  DsdClock *self = DSD_CLOCK (object);

  g_mutex_clear (&self->mutex);

  G_OBJECT_CLASS (dsd_clock_parent_class)->finalize (object);
}

static void
dsd_clock_class_init (DsdClockClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = dsd_clock_finalize;
}

static void
dsd_clock_init (DsdClock *self)
{
  g_mutex_init (&self->mutex);
}

DsdClock *
dsd_clock_new (void)
{
  return g_object_new (DSD_TYPE_CLOCK, NULL);
}

DsdClock *
dsd_clock_new_frozen (gint64 real_us)
{
  DsdClock *self = g_object_new (DSD_TYPE_CLOCK, NULL);

  self->frozen = TRUE;
  self->real_us = real_us;
  self->monotonic_us = FROZEN_MONOTONIC_START_US;

  return self;
}

gint64
dsd_clock_get_monotonic_us (DsdClock *self)
{
  gint64 us;

  g_return_val_if_fail (DSD_IS_CLOCK (self), 0);

  if (!self->frozen)
    return g_get_monotonic_time ();

  g_mutex_lock (&self->mutex);
  us = self->monotonic_us;
  g_mutex_unlock (&self->mutex);

  return us;
}

gint64
dsd_clock_get_real_us (DsdClock *self)
{
  gint64 us;

  g_return_val_if_fail (DSD_IS_CLOCK (self), 0);

  if (!self->frozen)
    return g_get_real_time ();

  g_mutex_lock (&self->mutex);
  us = self->real_us;
  g_mutex_unlock (&self->mutex);

  return us;
}

void
dsd_clock_advance (DsdClock *self,
                   gint64    us)
{
  g_return_if_fail (DSD_IS_CLOCK (self));
  g_return_if_fail (self->frozen);
  g_return_if_fail (us >= 0);

  g_mutex_lock (&self->mutex);
  self->real_us += us;
  self->monotonic_us += us;
  g_mutex_unlock (&self->mutex);
}
