/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dsd-event-bus.h"
#include "dsd-pg-listener.h"
#include "dsd-pg-pool.h"

G_BEGIN_DECLS

/*
 * The in-process bus backend (DsdBusBackend, single node): moves committed
 * outbox rows onto the local bus. Woken right after this process commits
 * events (DsdPgPool::committed: in single-node mode the daemon's sessions do
 * not NOTIFY, which would serialise their commits), by NOTIFY dispatch_outbox
 * from other writers, and by a short poll for writers that do not notify; it
 * claims batches with
 * dispatch.relay_claim(), which numbers them (seq), and publishes them in
 * that order. One claim at a time per process; the SQL side serialises
 * claims across processes.
 */
#define DSD_TYPE_OUTBOX_RELAY (dsd_outbox_relay_get_type ())
G_DECLARE_FINAL_TYPE (DsdOutboxRelay, dsd_outbox_relay, DSD, OUTBOX_RELAY, GObject)

DsdOutboxRelay *dsd_outbox_relay_new   (DsdPgPool     *pool,
                                        DsdPgListener *listener,
                                        DsdEventBus   *bus);
void            dsd_outbox_relay_start (DsdOutboxRelay *self);
void            dsd_outbox_relay_stop  (DsdOutboxRelay *self);

G_END_DECLS
