/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-bus"

#include "dsd-event-bus.h"

struct _DsdEventBus {
  GObject parent_instance;
  gint64   last_seq;
  gboolean up;
};

G_DEFINE_FINAL_TYPE (DsdEventBus, dsd_event_bus, G_TYPE_OBJECT)

enum {
  EVENT,
  N_SIGNALS
};

static guint signals[N_SIGNALS];
static GQuark state_detail;
static GQuark location_detail;

static void
dsd_event_bus_class_init (DsdEventBusClass *klass)
{
  /* A typed marshaller: this runs for every location point received. */
  signals[EVENT] =
    g_signal_new ("event",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST | G_SIGNAL_DETAILED,
                  0, NULL, NULL, g_cclosure_marshal_VOID__BOXED,
                  G_TYPE_NONE, 1,
                  DSD_TYPE_EVENT | G_SIGNAL_TYPE_STATIC_SCOPE);
  g_signal_set_va_marshaller (signals[EVENT], G_TYPE_FROM_CLASS (klass),
                              g_cclosure_marshal_VOID__BOXEDv);
  state_detail = g_quark_from_static_string ("state");
  location_detail = g_quark_from_static_string ("location");
}

static void
dsd_event_bus_init (DsdEventBus *self)
{
  self->up = TRUE;
}

DsdEventBus *
dsd_event_bus_new (void)
{
  return g_object_new (DSD_TYPE_EVENT_BUS, NULL);
}

void
dsd_event_bus_publish (DsdEventBus *self,
                       DsdEvent    *event)
{
  gint64 seq;

  g_return_if_fail (DSD_IS_EVENT_BUS (self));
  g_return_if_fail (event != NULL);

  seq = dsd_event_get_seq (event);
  if (seq > 0)
    {
      /* The relay numbers events; a repeat after a reconnect is dropped here
       * so subscribers see each seq once and in order. */
      if (seq <= self->last_seq)
        return;
      self->last_seq = seq;
    }

  g_signal_emit (self, signals[EVENT], seq > 0 ? state_detail : location_detail, event);
}

gboolean
dsd_event_bus_is_up (DsdEventBus *self)
{
  g_return_val_if_fail (DSD_IS_EVENT_BUS (self), FALSE);

  return self->up;
}

void
dsd_event_bus_set_up (DsdEventBus *self,
                      gboolean     up)
{
  g_return_if_fail (DSD_IS_EVENT_BUS (self));

  self->up = up;
}
