/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dsd-context.h"
#include "dsd-event-ring.h"
#include "dsd-router.h"
#include "dsd-ws-clients.h"

G_BEGIN_DECLS

/*
 * GET /api/v1/drivers/{id}/stream (that driver, or an admin; anyone else 403;
 * an unknown driver 404).
 * Out: {"type":"snapshot","seq","orders","drivers"} (dispatch.driver_stream_
 * snapshot(): the orders the driver holds or is offered, and [the driver]),
 * then in seq order the bus envelopes that concern the driver: order.offer,
 * order.assigned and order.updated (any order.* event) of the orders offered
 * or assigned to it and of those it just lost (reassigned, offer withdrawn),
 * and driver.updated of its own record. ?since=SEQ resumes from the
 * dispatcher stream's ring (without a snapshot) when it still has the events.
 * In: {"type":"location",…point} frames, validated as REST points are and
 * handed to the location ingest; a refused point comes back as an error
 * frame. Nothing is dropped: a driver whose backlog passes 256 KiB is closed
 * with 1013.
 */
#define DSD_TYPE_DRIVER_STREAM (dsd_driver_stream_get_type ())
G_DECLARE_FINAL_TYPE (DsdDriverStream, dsd_driver_stream, DSD, DRIVER_STREAM, GObject)

/* ring: the dispatcher stream's, which must outlive this stream */
DsdDriverStream *dsd_driver_stream_new         (DsdContext      *context,
                                                DsdEventRing    *ring);
void             dsd_driver_stream_register    (DsdDriverStream *self,
                                                DsdRouter       *router);
DsdWsClients    *dsd_driver_stream_get_clients (DsdDriverStream *self);

G_END_DECLS
