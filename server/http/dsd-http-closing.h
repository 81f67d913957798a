/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * Closing a client connection without losing what we write last.
 *
 * Closing a socket that still has unread input makes the kernel send a
 * reset, which can destroy a response before the client reads it. So we
 * write the response (if any), end our side of the connection (TCP
 * half-close, so that the client sees the end and closes too), then read and
 * discard what the client still sends until it closes, for at most
 * DSD_HTTP_CLOSING_TIMEOUT_MS and DSD_HTTP_CLOSING_MAX_BYTES, and close.
 */
#define DSD_HTTP_CLOSING_TIMEOUT_MS 2000
#define DSD_HTTP_CLOSING_MAX_BYTES (8 * 1024 * 1024)

/* The socket connection under stream's wrappers (SoupIOStream, TLS); *tls
 * (nullable) tells whether TLS is among them. NULL when the streams end in
 * something else than a socket connection. */
GSocketConnection *dsd_http_get_socket_connection (GIOStream *stream,
                                                   gboolean  *tls);

/* Takes over stream; response: bytes to write first, NULL for none. */
void               dsd_http_close_gracefully      (GIOStream  *stream,
                                                   const char *response);

G_END_DECLS
