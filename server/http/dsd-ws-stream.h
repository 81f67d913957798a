/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * The transport under a server-side SoupWebsocketConnection: a GIOStream
 * over the upgraded connection that owns everything written to the socket.
 *
 * Output: every frame (ours from dsd_ws_stream_send_text(), libsoup's pings,
 * pongs and close frames through the output stream, which never blocks) goes
 * into one queue that is written with writev once per main-loop iteration, so
 * a burst of events costs one system call per client, payloads are shared
 * between clients (no copies), and the bytes a client has not read yet are
 * known exactly (dsd_ws_stream_get_queued()). libsoup's own queue stays empty.
 *
 * Input: passed through to libsoup, watched by a frame-header parser that
 * enforces max_message_size over the sum of a fragmented message's frames
 * (libsoup 3.2 limits single frames only): an oversized message or frame gets
 * a close frame 1009 and the input ends. So does a client that sends more
 * than 50 pings in 10 s, with 1008. A pong not yet written answers a newer
 * ping instead of queueing another (RFC 6455 §5.5.3), so a client that pings
 * without reading costs one pong of queue at most.
 *
 * Closing (libsoup closes its io-stream) writes what is queued, then reads
 * what the peer still sends until its close frame or end (closing a socket
 * with unread input would reset it and could destroy our close frame), for
 * at most two seconds in all, then closes the connection.
 */
#define DSD_TYPE_WS_STREAM (dsd_ws_stream_get_type ())
G_DECLARE_FINAL_TYPE (DsdWsStream, dsd_ws_stream, DSD, WS_STREAM, GIOStream)

/* base: the upgraded connection; its streams must be pollable. */
DsdWsStream *dsd_ws_stream_new            (GIOStream   *base,
                                           gsize        max_message_size);
/* Queues one text frame (payload: valid UTF-8, referenced, not copied).
 * Ignored once a close frame is queued or the connection failed. */
void         dsd_ws_stream_send_text      (DsdWsStream *self,
                                           GBytes      *payload);
/* Queues one frame of a text message sent in parts (RFC 6455 §5.4): the first
 * part as a text frame, the others as continuation frames, the last one with
 * FIN. The UTF-8 of the whole message must be valid; between the first and the
 * last part only parts of the same message may be sent (control frames go
 * between them by themselves). */
void         dsd_ws_stream_send_text_part (DsdWsStream *self,
                                           GBytes      *payload,
                                           gboolean     first,
                                           gboolean     last);
/* Queues a ping (empty payload); the peer's pong counts as input. */
void         dsd_ws_stream_send_ping      (DsdWsStream *self);
/* Bytes queued and not yet written to the socket. */
gsize        dsd_ws_stream_get_queued     (DsdWsStream *self);
/* Drops the queued frames that have not started to be written. */
void         dsd_ws_stream_discard_queued (DsdWsStream *self);
/* Queues a close frame (reason: at most 123 bytes are sent) behind what is
 * queued and ends the input, so that libsoup closes the connection; the queue
 * is still written for a bounded time. */
void         dsd_ws_stream_close          (DsdWsStream *self,
                                           gushort      code,
                                           const char  *reason);
/* ::drained is emitted when the queued bytes fall to low_water or below
 * after having been above it. */
void         dsd_ws_stream_set_low_water  (DsdWsStream *self,
                                           gsize        low_water);
/* Monotonic time of the last bytes received from the peer. */
gint64       dsd_ws_stream_get_last_input_time (DsdWsStream *self);
/* The close code this side queued (0 before any). */
gushort      dsd_ws_stream_get_close_code (DsdWsStream *self);

G_END_DECLS
