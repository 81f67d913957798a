/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dsd-account-states.h"
#include "dsd-metrics.h"
#include "dsd-ws-client.h"

G_BEGIN_DECLS

/*
 * The connected clients of one stream endpoint: they are counted
 * (dispatch_websocket_clients{stream}, and dispatch_websocket_closes_total
 * {stream,code} by the close code the server sent, "none" when the
 * connection just ended) and can all be closed at once (shutdown). A client
 * is referenced by the set until it closes. Property "n-clients" (notify).
 * A client signed in as a user can be closed when that user's tokens are
 * revoked (DSD_WS_CLOSE_REVOKED) or what the user may see changed since it
 * connected (DSD_WS_CLOSE_SCOPE_CHANGED; the account states' scope
 * fingerprint as it was when the client was added against the one now).
 */
#define DSD_TYPE_WS_CLIENTS (dsd_ws_clients_get_type ())
G_DECLARE_FINAL_TYPE (DsdWsClients, dsd_ws_clients, DSD, WS_CLIENTS, GObject)

/* Once per registry, before any set is created. */
void          dsd_ws_clients_register_metrics (DsdMetrics              *metrics);
/* stream: the label value, e.g. "dispatcher" (static string). */
DsdWsClients *dsd_ws_clients_new              (DsdMetrics              *metrics,
                                               const char              *stream);
/* principal (nullable: an anonymous client) is the client's token's.
 * Returns: (transfer none): the new client, owned by the set until it closes. */
DsdWsClient  *dsd_ws_clients_add              (DsdWsClients            *self,
                                               SoupWebsocketConnection *connection,
                                               const DsdPrincipal      *principal);
guint         dsd_ws_clients_get_n_clients    (DsdWsClients            *self);
void          dsd_ws_clients_close_all        (DsdWsClients            *self,
                                               gushort                  code,
                                               const char              *reason);
/* The account states the clients are checked against (set before clients
 * are added). */
void          dsd_ws_clients_set_accounts     (DsdWsClients            *self,
                                               DsdAccountStates        *accounts);
/* Closes with DSD_WS_CLOSE_REVOKED the clients whose token the account
 * states refuse now (user disabled or gone, token issued before a sign-out
 * everywhere or a password change), with DSD_WS_CLOSE_SCOPE_CHANGED those
 * whose user's scope fingerprint changed since they were added; starts
 * loading the states not known. */
void          dsd_ws_clients_close_revoked    (DsdWsClients            *self);

G_END_DECLS
