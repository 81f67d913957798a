/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "dsim-account.h"

G_BEGIN_DECLS

/*
 * The simulator's only way to the server: its public REST API and websockets.
 * A call answers with the response's JSON object, or fails with a
 * DISPATCH_ERROR decoded from the error envelope (G_IO_ERROR for transport
 * failures). Transport failures, 429 and 503 are retried with backoff (with
 * the same Idempotency-Key, so a retried POST never acts twice); a 401 logs
 * the account in again once and repeats the call.
 */
#define DSIM_TYPE_API (dsim_api_get_type ())
G_DECLARE_FINAL_TYPE (DsimApi, dsim_api, DSIM, API, GObject)

DsimApi    *dsim_api_new             (const char          *base_url);
/* HTTP requests sent so far (retries included). */
guint64     dsim_api_get_n_requests  (DsimApi             *self);

/* account: (nullable) the caller, NULL for public endpoints;
 * body: (nullable) the JSON body; idempotency_key: (nullable). */
void        dsim_api_call_async      (DsimApi             *self,
                                      DsimAccount         *account,
                                      const char          *method,
                                      const char          *path,
                                      JsonNode            *body,
                                      const char          *idempotency_key,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data);
/* The same with a body that is not JSON (an image upload), without an
 * Idempotency-Key; finished with dsim_api_call_finish(). */
void        dsim_api_call_bytes_async (DsimApi            *self,
                                      DsimAccount         *account,
                                      const char          *method,
                                      const char          *path,
                                      const char          *content_type,
                                      GBytes              *body,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data);
/* Returns: (transfer full): the response object. */
JsonObject *dsim_api_call_finish     (DsimApi             *self,
                                      GAsyncResult        *result,
                                      GError             **error);

/* Gets a token for the account's username and password and records the
 * token, role and ids in the account. */
void        dsim_api_login_async     (DsimApi             *self,
                                      DsimAccount         *account,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data);
gboolean    dsim_api_login_finish    (DsimApi             *self,
                                      GAsyncResult        *result,
                                      GError             **error);

/* Opens a websocket at path with the account's token. */
void        dsim_api_websocket_async (DsimApi             *self,
                                      DsimAccount         *account,
                                      const char          *path,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data);
/* Returns: (transfer full) */
SoupWebsocketConnection *dsim_api_websocket_finish (DsimApi       *self,
                                      GAsyncResult        *result,
                                      GError             **error);

G_END_DECLS
