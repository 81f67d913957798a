/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dsd-account-states.h"
#include "dsd-context.h"
#include "dsd-router.h"

G_BEGIN_DECLS

/*
 * Every websocket stream of the server: the dispatcher stream, the order and
 * public tracking streams and the driver stream (see their headers).
 * Stopping closes every stream client with 1001 and completes once they are
 * gone (or after a few seconds).
 *
 * With the account states set, the clients signed in as a user are checked
 * every second: those whose token was revoked are closed with 4401
 * (DSD_WS_CLOSE_REVOKED), those whose user's team scope changed since they
 * connected (a dispatcher added to or removed from a team, a team's zones or
 * drivers changed) with 4409 (DSD_WS_CLOSE_SCOPE_CHANGED) so that they
 * reconnect to the new scope. The states come from the tables shared by
 * every instance, so a change made through any instance closes the user's
 * streams on all of them within a few seconds.
 */
#define DSD_TYPE_STREAMS (dsd_streams_get_type ())
G_DECLARE_FINAL_TYPE (DsdStreams, dsd_streams, DSD, STREAMS, GObject)

DsdStreams *dsd_streams_new          (DsdContext          *context);
void        dsd_streams_register     (DsdStreams          *self,
                                      DsdRouter           *router);
void        dsd_streams_set_accounts (DsdStreams          *self,
                                      DsdAccountStates    *accounts);
void        dsd_streams_stop_async   (DsdStreams          *self,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data);
void        dsd_streams_stop_finish  (DsdStreams          *self,
                                      GAsyncResult        *result);

G_END_DECLS
