/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

#define DC_TYPE_CLIENT (dc_client_get_type ())

G_DECLARE_FINAL_TYPE (DcClient, dc_client, DC, CLIENT, GObject)

/*
 * DcClient:
 *
 * The REST side of the API: the signed-in session (server, user, bearer
 * token and its expiry) and JSON requests. Failed requests carry the
 * server's error envelope as a DISPATCH_ERROR; a 401 or a passed expiry ends
 * the session and emits ::session-expired.
 */
DcClient    *dc_client_new                 (void);
SoupSession *dc_client_get_soup_session    (DcClient            *self);
const char  *dc_client_get_server_url      (DcClient            *self);
const char  *dc_client_get_username        (DcClient            *self);
const char  *dc_client_get_token           (DcClient            *self);
gboolean     dc_client_get_authenticated   (DcClient            *self);
/* Starts a session with a token from earlier; NULL or an expired @token
 * ends it. */
void         dc_client_set_session         (DcClient            *self,
                                            const char          *server_url,
                                            const char          *username,
                                            const char          *token);
void         dc_client_expire              (DcClient            *self);
void         dc_client_sign_in_async       (DcClient            *self,
                                            const char          *server_url,
                                            const char          *username,
                                            const char          *password,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data);
gboolean     dc_client_sign_in_finish      (DcClient            *self,
                                            GAsyncResult        *result,
                                            GError             **error);
/* @path is below the server root, e.g. "/api/v1/orders/ID/assign"; @body
 * may be NULL. */
void         dc_client_request_async       (DcClient            *self,
                                            const char          *method,
                                            const char          *path,
                                            JsonNode            *body,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data);
/* Returns: (transfer full): the response object */
JsonObject  *dc_client_request_finish      (DcClient            *self,
                                            GAsyncResult        *result,
                                            GError             **error);
/* GETs @path and gives its body as it came, e.g. an image. */
void         dc_client_fetch_bytes_async   (DcClient            *self,
                                            const char          *path,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data);
/* Returns: (transfer full): the response body */
GBytes      *dc_client_fetch_bytes_finish  (DcClient            *self,
                                            GAsyncResult        *result,
                                            GError             **error);
/* The handshake request of the dispatcher stream; @since < 0 asks for a
 * snapshot. Returns: (transfer full) */
SoupMessage *dc_client_new_stream_message  (DcClient            *self,
                                            gint64               since);

/* An authenticated request of @path for the caller to send and read itself
 * (a long answer read as it comes); NULL when the server address is not
 * valid. Returns: (transfer full) (nullable) */
SoupMessage *dc_client_new_message         (DcClient            *self,
                                            const char          *method,
                                            const char          *path);
/* The error a failed response's body (the server's error envelope) tells. */
GError      *dc_client_error_from_response (SoupMessage         *message,
                                            GBytes              *bytes);
G_END_DECLS
