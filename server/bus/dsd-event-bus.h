/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

#include "dsd-event.h"

G_BEGIN_DECLS

/*
 * The in-process bus: everything committed (state events, in seq order, from
 * the outbox relay) and every live location (from the ingest path) is emitted
 * as ::event (DsdEvent *) on the main context. Subscribers connect with
 * g_signal_connect_object, to "event::state" for the state events only (seq
 * > 0), "event::location" for the locations only (seq 0, driver.location),
 * or "event" for both.
 */
#define DSD_TYPE_EVENT_BUS (dsd_event_bus_get_type ())
G_DECLARE_FINAL_TYPE (DsdEventBus, dsd_event_bus, DSD, EVENT_BUS, GObject)

DsdEventBus *dsd_event_bus_new          (void);
void         dsd_event_bus_publish      (DsdEventBus *self,
                                         DsdEvent    *event);
/* Whether the backend that feeds the bus reaches what it needs (Kafka in
 * cluster mode); TRUE unless the backend says otherwise. */
gboolean     dsd_event_bus_is_up        (DsdEventBus *self);
void         dsd_event_bus_set_up       (DsdEventBus *self,
                                         gboolean     up);

G_END_DECLS
