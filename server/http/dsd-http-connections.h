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
 * those requests as libsoup would.
 *
 * Between two requests (and from accept to the first byte) a connection
 * waits here, not in libsoup: it goes to libsoup once request bytes are
 * readable, and is closed after the idle timeout (the header timeout before
 * its first request) only when none are, with a
 * TCP half-close (dsd-http-closing.h), so that we never close a connection
 * under a request we have started to read. Responses announce the idle
 * timeout (Keep-Alive: timeout=N) so that clients stop reusing a connection
 * before we close it. From the first byte, a request has the header timeout
 * (from accept for the first request) to send its headers, then the body
 * timeout to send its body; past either,
 * the connection is closed. Connections are counted per client address and in
 * total from accept to their close (not to their last reference: libsoup
 * 3.2 keeps a closed connection's stream as long as its last message lives,
 * which an asynchronous handler may hold long after). Beyond a cap, the
 * longest-idle keep-alive connection (of that client, for the per-client cap)
 * is closed to make room: clients keep idle connections for reuse, and
 * libsoup's opens a new one for every POST. With none idle, a new connection
 * gets 503 (with Retry-After) and is closed.
 */
#define DSD_TYPE_HTTP_CONNECTIONS (dsd_http_connections_get_type ())
G_DECLARE_FINAL_TYPE (DsdHttpConnections, dsd_http_connections, DSD, HTTP_CONNECTIONS, GObject)

typedef struct {
  guint header_timeout_ms;          /* first byte of a request to its last header */
  guint body_timeout_ms;            /* last header to the end of the body */
  guint idle_timeout_ms;            /* a response to the next request's first byte */
  guint max_connections;            /* in total */
  guint max_connections_per_client; /* per client IP address */
} DsdHttpLimits;

/*
 * How long past its idle timeout an idle keep-alive connection is still
 * kept. Responses announce the idle timeout (Keep-Alive: timeout=N, whole
 * seconds); a client that reuses its connection up to that moment, as timed
 * from its own receipt of the response, must never find the connection
 * closed under it: a request it must not retry (POST) would fail. The grace
 * covers the time between our write and its read; clients that do not read
 * the header (libsoup's close idle connections after 60 s, as our default)
 * close theirs first too.
 */
#define DSD_HTTP_IDLE_GRACE_MS 1000

/* The defaults (docs/security.md). */
#define DSD_HTTP_LIMITS_INIT { 10000, 30000, 60000, 10000, 256 }

DsdHttpConnections *dsd_http_connections_new            (SoupServer          *soup);
void                dsd_http_connections_set_limits     (DsdHttpConnections  *self,
                                                         const DsdHttpLimits *limits);
/* Counts connections together with other (the HTTP front's loops share the
 * caps; each closes only its own idle connections to make room), before
 * any connection. */
void                dsd_http_connections_share_counts   (DsdHttpConnections  *self,
                                                         DsdHttpConnections  *other);
/* Open client connections: in total (of all that share the counts), and those
 * waiting for a request. */
guint               dsd_http_connections_get_n_open     (DsdHttpConnections  *self);
guint               dsd_http_connections_get_n_waiting  (DsdHttpConnections  *self);
/* Closes the connections waiting for a request (graceful stop). */
void                dsd_http_connections_close_waiting  (DsdHttpConnections  *self);
/* socket: bound and listening. TLS with certificate (it must have its key). */
gboolean            dsd_http_connections_add_socket     (DsdHttpConnections  *self,
                                                         GSocket             *socket,
                                                         GTlsCertificate     *certificate,
                                                         GError             **error);
/* Closes the listening sockets; connections already accepted carry on. */
void                dsd_http_connections_stop_accepting (DsdHttpConnections  *self);
/* Shuts msg's connection down at the socket, both ways, whatever libsoup is
 * doing with it: for an answer that must not reach the client whole. */
void                dsd_http_connections_cut            (SoupServerMessage   *msg);

G_END_DECLS
