/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dsd-context.h"
#include "dsd-event-ring.h"
#include "dsd-router.h"
#include "dsd-ws-clients.h"

G_BEGIN_DECLS

/*
 * GET /api/v1/stream (dispatcher, admin), docs/openapi.json, tag Streams:
 * {"type":"snapshot","seq","orders","drivers"} (from DsdSnapshotStore),
 * then every event from the bus, state events in seq order and each once.
 * ?since=SEQ resumes from a ring of the last 4096 state events (filled from
 * the database at start) without a snapshot, else a new snapshot.
 * {"type":"viewport","bbox":[min_lat,min_lon,max_lat,max_lon]|null} limits
 * driver.location. A client more than 128 KiB behind gets its locations
 * coalesced (latest per driver, {"type":"driver.locations","items":[…]}, at
 * most every 100 ms); state events are never dropped, and a client whose
 * backlog passes 4 MiB (plus its snapshot) is closed with 1013 and resumes
 * with ?since.
 */
#define DSD_TYPE_DISPATCHER_STREAM (dsd_dispatcher_stream_get_type ())
G_DECLARE_FINAL_TYPE (DsdDispatcherStream, dsd_dispatcher_stream, DSD, DISPATCHER_STREAM, GObject)

DsdDispatcherStream *dsd_dispatcher_stream_new         (DsdContext          *context);
void                 dsd_dispatcher_stream_register    (DsdDispatcherStream *self,
                                                        DsdRouter           *router);
DsdWsClients        *dsd_dispatcher_stream_get_clients (DsdDispatcherStream *self);
/* The resume ring (every state event, as the bus delivered them), for the
 * other streams that resume: valid as long as the stream. */
DsdEventRing        *dsd_dispatcher_stream_get_ring    (DsdDispatcherStream *self);

G_END_DECLS
