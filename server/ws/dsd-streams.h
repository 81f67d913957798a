/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dsd-context.h"
#include "dsd-router.h"

G_BEGIN_DECLS

/*
 * Every websocket stream of the server: the dispatcher stream, the order and
 * public tracking streams and the driver stream (see their headers).
 * Stopping closes every stream client with 1001 and completes once they are
 * gone (or after a few seconds).
 */
#define DSD_TYPE_STREAMS (dsd_streams_get_type ())
G_DECLARE_FINAL_TYPE (DsdStreams, dsd_streams, DSD, STREAMS, GObject)

DsdStreams *dsd_streams_new         (DsdContext          *context);
void        dsd_streams_register    (DsdStreams          *self,
                                     DsdRouter           *router);
void        dsd_streams_stop_async  (DsdStreams          *self,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data);
void        dsd_streams_stop_finish (DsdStreams          *self,
                                     GAsyncResult        *result);

G_END_DECLS
