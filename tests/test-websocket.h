/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "test-server.h"

G_BEGIN_DECLS

/*
 * Websocket clients for integration tests.
 *
 * DsdTestWebsocket: a libsoup client (soup_session_websocket_connect_async)
 * driven by the thread-default main context; received text frames wait in a
 * queue for dsd_test_websocket_next() and friends, which iterate the context
 * until a frame arrives or the deadline passes.
 *
 * The raw functions speak the protocol by hand on a blocking socket, for what
 * a well-behaved client library refuses to do (invalid UTF-8, fragments over
 * the limit) or for a client that stops reading.
 */
typedef struct _DsdTestWebsocket DsdTestWebsocket;

/* path may carry a query; token (nullable) goes into the Authorization
 * header. NULL when the server refuses the upgrade; *out_status (optional)
 * receives the HTTP status of the answer. */
DsdTestWebsocket *dsd_test_websocket_connect        (DsdTestServer    *server,
                                                     const char       *path,
                                                     const char       *token,
                                                     guint            *out_status);
/* The same for any ws:// or http:// URL (no server of ours behind it). */
DsdTestWebsocket *dsd_test_websocket_connect_url    (const char       *url,
                                                     const char       *token,
                                                     guint            *out_status);
void              dsd_test_websocket_free           (DsdTestWebsocket *self);
void              dsd_test_websocket_send           (DsdTestWebsocket *self,
                                                     const char       *text);
void              dsd_test_websocket_send_binary    (DsdTestWebsocket *self,
                                                     gconstpointer     data,
                                                     gsize             length);
/* The next text frame as an object, or NULL if none came within timeout_ms. */
JsonObject       *dsd_test_websocket_next           (DsdTestWebsocket *self,
                                                     guint             timeout_ms);
/* The next frame with this "type", dropping frames of other types; NULL on timeout. */
JsonObject       *dsd_test_websocket_next_of_type   (DsdTestWebsocket *self,
                                                     const char       *type,
                                                     guint             timeout_ms);
gboolean          dsd_test_websocket_is_open        (DsdTestWebsocket *self);
/* Waits for the connection to close; the close code the server sent, 0 if
 * none or if it is still open after timeout_ms. */
gushort           dsd_test_websocket_wait_closed    (DsdTestWebsocket *self,
                                                     guint             timeout_ms);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DsdTestWebsocket, dsd_test_websocket_free)

/* Raw -------------------------------------------------------------------- */

/* Connects and upgrades (asserting 101); receive_buffer > 0 shrinks the
 * socket's receive buffer first. Reads time out after 10 s. */
GSocketConnection *dsd_test_raw_websocket_open       (DsdTestServer      *server,
                                                      const char         *path,
                                                      const char         *token,
                                                      int                 receive_buffer);
/* Writes one masked frame. */
void               dsd_test_raw_websocket_send_frame (GSocketConnection  *connection,
                                                      guint8              opcode,
                                                      gboolean            fin,
                                                      gconstpointer       data,
                                                      gsize               length);
/* Reads frames until a close frame and returns its code; 0 when the
 * connection ends (or times out) first. *n_data_frames (optional) counts the
 * data frames read on the way. */
gushort            dsd_test_raw_websocket_read_close (GSocketConnection  *connection,
                                                      guint              *n_data_frames);

G_END_DECLS
