/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dsd-request.h"

G_BEGIN_DECLS

typedef void (*DsdRouteHandler) (DsdRequest *request,
                                 gpointer    user_data);

/* Called once the 101 response is written. The connection is unreffed when
 * this returns: take a reference to keep it. The request stays valid during
 * the call (principal, params, query); ref it to keep it longer. */
typedef void (*DsdWebsocketHandler) (DsdRequest              *request,
                                     SoupWebsocketConnection *connection,
                                     gpointer                 user_data);

/*
 * Method + path pattern dispatch. Patterns are literal segments and
 * {name} placeholders ("/api/v1/orders/{id}/assign"); literal segments win over
 * placeholders. A path that matches with another method → 405
 * method_not_allowed with Allow; no match → 404 not_found.
 * allowed_roles == 0 marks a public route (no token needed, a token if present is
 * still verified); otherwise a valid bearer token (or ?access_token= when
 * the route is a websocket) is required (401 unauthenticated) and the caller's
 * role must be in allowed_roles (403 permission_denied).
 * HEAD is served by the GET route unless one is registered; OPTIONS on an
 * existing path without an OPTIONS route gets 204 with Allow.
 */
#define DSD_TYPE_ROUTER (dsd_router_get_type ())
G_DECLARE_FINAL_TYPE (DsdRouter, dsd_router, DSD, ROUTER, GObject)

DsdRouter *dsd_router_new (void);
void       dsd_router_add (DsdRouter       *self,
                           const char      *method,
                           const char      *pattern,
                           guint            allowed_roles,
                           DsdRouteHandler  handler,
                           gpointer         user_data);

/*
 * A websocket endpoint (GET pattern). Routing, the token (header or
 * ?access_token=) and the roles are checked before the handshake, exactly as
 * for dsd_router_add(); a request that is not a websocket handshake gets 400.
 * Then, with the request paused:
 *  - check == NULL: the upgrade is accepted at once;
 *  - otherwise check (request, user_data) runs and must end, now or later from
 *    an async callback, in either dsd_request_accept_websocket() or a
 *    dsd_request_respond_*() call (e.g. 404 for an order the caller may not see),
 *    which refuses the upgrade with a normal HTTP response.
 * After the 101 is written, handler (request, connection, user_data) runs.
 * Frames and whole (fragmented) messages are limited to 64 KiB (close 1009);
 * no extensions are negotiated. The connection's io-stream is a DsdWsStream
 * (dsd-ws-stream.h): send through it to get batched, accounted output.
 */
void       dsd_router_add_websocket (DsdRouter           *self,
                                     const char          *pattern,
                                     guint                allowed_roles,
                                     DsdRouteHandler      check,
                                     DsdWebsocketHandler  handler,
                                     gpointer             user_data);

/* "METHOD /pattern" of every route, in the order they were added (for the
 * authorisation matrix test: every route must have its row). */
GStrv      dsd_router_list          (DsdRouter           *self);

G_END_DECLS
