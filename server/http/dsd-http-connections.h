/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

/*
 * The client connections of a SoupServer: accepted here and handed to
 * libsoup one request at a time.
 *
 * libsoup 3.2 handles only the first request of a connection fully. When a
 * client closes a keep-alive connection while it is idle between requests,
 * the server never notices: the descriptor stays open (CLOSE_WAIT) and the
 * connection's objects stay in the SoupServer until it is disposed, ≈ 1.9 KiB
 * and one descriptor per client connection (fixed upstream in 3.3, commit
 * d20c6601664624116f3dc43f21c7ec4a186cf8d3). Its listener also never drops
 * its reference to an accepted GSocket (344 bytes each). So we accept
 * ourselves, and after each keep-alive response take the connection back and
 * give it to libsoup as a new one (soup_server_accept_iostream), whose first
 * request includes noticing the client's close.
 *
 * The server's "request-finished" / "request-aborted" signals are emitted for
 * those requests as libsoup would. Between two requests a connection may sit
 * in libsoup or, for one main-loop iteration, here.
 */
#define DSD_TYPE_HTTP_CONNECTIONS (dsd_http_connections_get_type ())
G_DECLARE_FINAL_TYPE (DsdHttpConnections, dsd_http_connections, DSD, HTTP_CONNECTIONS, GObject)

DsdHttpConnections *dsd_http_connections_new            (SoupServer          *soup);
/* socket: bound and listening. TLS with certificate (it must have its key). */
gboolean            dsd_http_connections_add_socket     (DsdHttpConnections  *self,
                                                         GSocket             *socket,
                                                         GTlsCertificate     *certificate,
                                                         GError             **error);
/* Closes the listening sockets; connections already accepted carry on. */
void                dsd_http_connections_stop_accepting (DsdHttpConnections  *self);

G_END_DECLS
