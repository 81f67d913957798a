/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "dsd-request.h"

G_BEGIN_DECLS

/* Close codes libsoup has no name for. */
#define DSD_WS_CLOSE_TRY_AGAIN_LATER 1013
/* Private-use code (RFC 6455 §7.4.2), after HTTP's 401: the client's token
 * was revoked; reconnecting needs a new sign-in. */
#define DSD_WS_CLOSE_REVOKED 4401
/* Private-use code, after HTTP's 409: what the client's user may see (a
 * dispatcher's teams, their zones and drivers) changed since it connected;
 * reconnecting gets the new scope's snapshot. */
#define DSD_WS_CLOSE_SCOPE_CHANGED 4409

/*
 * One connected stream client (any of our websocket endpoints): sends text
 * frames through the connection's DsdWsStream, turns the client's frames into
 * calls of the frame handler, and keeps the protocol rules of docs/openapi.json:
 *  - a frame that is not a JSON object with a string "type", or that the
 *    handler refuses, gets {"type":"error","error":{…}} and the socket stays open;
 *  - binary frames → close 1003 (invalid UTF-8 → 1007 and oversized messages →
 *    1009 happen below, in libsoup and DsdWsStream);
 *  - a peer that sent nothing for 20 s gets a ping, and one that sends nothing
 *    (not even a pong) for 50 s is dead and closed, when its set checks it
 *    (dsd_ws_client_check_alive(): one timer for all, not one per client).
 * ::closed is emitted once, when the connection is gone.
 */
#define DSD_TYPE_WS_CLIENT (dsd_ws_client_get_type ())
G_DECLARE_FINAL_TYPE (DsdWsClient, dsd_ws_client, DSD, WS_CLIENT, GObject)

/* Handles one client frame; FALSE with error refuses it and the client gets
 * the error frame. */
typedef gboolean (*DsdWsFrameHandler) (DsdWsClient  *client,
                                       JsonObject   *frame,
                                       gpointer      user_data,
                                       GError      **error);

/* An optional fast reader of the same frames, tried on the raw text before
 * the JSON parse (for frames that arrive by the thousand): returns FALSE to
 * leave the frame to the parse and the handler (anything unusual, and every
 * malformed frame, whose error the handler's path words), TRUE when it took
 * the frame; *error set then refuses it as the handler would. */
typedef gboolean (*DsdWsFrameScanner) (DsdWsClient  *client,
                                       const char   *data,
                                       gsize         length,
                                       gpointer      user_data,
                                       GError      **error);

DsdWsClient *dsd_ws_client_new               (SoupWebsocketConnection *connection);
/* The one type of client frame the stream takes (every stream takes at most
 * one); frames of any other type get an error frame. */
void         dsd_ws_client_set_frame_handler (DsdWsClient             *self,
                                              const char              *type,
                                              DsdWsFrameHandler        handler,
                                              gpointer                 user_data);
/* The handler's fast reader (with the handler's user_data; a new handler
 * has none). */
void         dsd_ws_client_set_frame_scanner (DsdWsClient             *self,
                                              DsdWsFrameScanner        scanner);
gboolean     dsd_ws_client_is_open           (DsdWsClient             *self);
/* text: one JSON object (referenced, not copied). */
void         dsd_ws_client_send              (DsdWsClient             *self,
                                              GBytes                  *text);
/* One part of a text message sent in parts: see dsd_ws_stream_send_text_part(). */
void         dsd_ws_client_send_part         (DsdWsClient             *self,
                                              GBytes                  *text,
                                              gboolean                 first,
                                              gboolean                 last);
/* {"type":"error","error":<the API error envelope's object>} */
void         dsd_ws_client_send_error        (DsdWsClient             *self,
                                              const GError            *error);
/* Bytes sent and not yet taken by the client. */
gsize        dsd_ws_client_get_queued        (DsdWsClient             *self);
/* ::drained when the queue falls to low_water or below after being above it. */
void         dsd_ws_client_set_low_water     (DsdWsClient             *self,
                                              gsize                    low_water);
/* Closes after what is queued; discard drops the queued frames first (for a
 * client too far behind, whose backlog would only delay the close). */
void         dsd_ws_client_close             (DsdWsClient             *self,
                                              gushort                  code,
                                              const char              *reason,
                                              gboolean                 discard);
/* Pings the client or closes it as dead (see above); every 10 s or so. */
void         dsd_ws_client_check_alive       (DsdWsClient             *self,
                                              gint64                   now_us);
/* The close code this server sent (0: none, the connection just ended). */
gushort      dsd_ws_client_get_close_code    (DsdWsClient             *self);

/* {"type":"<type>",…} from a JSON object's text {…} (a snapshot or an error
 * envelope as the database or the REST layer write it). */
GBytes      *dsd_ws_frame_with_type          (const char              *type,
                                              const char              *object,
                                              gsize                    length);
/* ?since=SEQ of a stream request: -1 when absent; not an integer ≥ 0 → error. */
gboolean     dsd_ws_get_since                (DsdRequest              *request,
                                              gint64                  *since,
                                              GError                 **error);

G_END_DECLS
