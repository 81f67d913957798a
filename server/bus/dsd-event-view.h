/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dsd-event.h"
#include "dsd-principal.h"

G_BEGIN_DECLS

/*
 * What of an event each role may see: the one place that says so, for every
 * way an event reaches someone (the order events endpoint, the driver stream;
 * the dispatcher stream and webhooks are staff's and admin's).
 *
 * Staff (admin, dispatcher) see events whole. Drivers and customers do not see
 * the assignment engine's explanation, the "assignment" member of
 * order.assigned / order.offer: it names other drivers (candidates with their
 * ETAs and costs) and counts the fleet (orders_considered, drivers_considered).
 * Drivers do not see an order's tracking_token either: the public tracking
 * page it opens shows the delivery PIN (proof of delivery).
 */

/* Removes from an event's data what role may not see; TRUE if anything was. */
gboolean  dsd_event_view_redact   (JsonObject *data,
                                   DsdRole     role);
/* Returns: (transfer full): the envelope as role may see it (the event's own
 * when nothing is hidden from role). */
GBytes   *dsd_event_view_envelope (DsdEvent   *event,
                                   DsdRole     role);

G_END_DECLS
