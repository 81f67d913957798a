/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dsd-context.h"
#include "dsd-router.h"
#include "dsd-tracked-order.h"
#include "dsd-ws-clients.h"

G_BEGIN_DECLS

/*
 * GET /api/v1/orders/{id}/stream (owner customer, dispatcher, admin; someone
 * else's order is 404 before the upgrade) and the public
 * GET /api/v1/track/{token}/stream (no token; unknown → 404): only
 * {"type":"tracking","data":<tracking object>} frames (dsd-tracked-order.h),
 * the first on connect, then whenever the status, the driver's position or
 * the ETA changes. The database is read once per connection, before the
 * upgrade (dispatch.order_tracking, dispatch.track_public_order); after that
 * the objects are built from order events, the fleet and the ETA tracker,
 * once per change for all clients of an order. A client more than 64 KiB
 * behind skips to the latest object when it catches up. After a terminal
 * status the last object is followed by close 1000.
 */
#define DSD_TYPE_TRACKING_STREAM (dsd_tracking_stream_get_type ())
G_DECLARE_FINAL_TYPE (DsdTrackingStream, dsd_tracking_stream, DSD, TRACKING_STREAM, GObject)

DsdTrackingStream *dsd_tracking_stream_new         (DsdContext         *context);
void               dsd_tracking_stream_register    (DsdTrackingStream  *self,
                                                    DsdRouter          *router);
DsdWsClients      *dsd_tracking_stream_get_clients (DsdTrackingStream  *self,
                                                    DsdTrackingVariant  variant);

G_END_DECLS
