/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * A TCP connection that says when its socket closes.
 *
 * Closing any stream wrapped around it (SoupIOStream, TLS) closes it too,
 * and so does dropping its last reference unclosed. Objects that outlive
 * the close may keep a reference to it for long (libsoup 3.2's
 * SoupServerConnection keeps its stream until its last message is gone), so
 * what counts open sockets must go by the close, not by the reference.
 */
#define DSD_TYPE_HTTP_TCP_CONNECTION (dsd_http_tcp_connection_get_type ())
G_DECLARE_FINAL_TYPE (DsdHttpTcpConnection, dsd_http_tcp_connection, DSD, HTTP_TCP_CONNECTION,
                      GTcpConnection)

/* A connection on socket; closed(data) is called once, when it closes
 * (GIOStream's dispose closes a connection left open), on the thread that
 * made the connection (from an idle when another thread closes it). */
DsdHttpTcpConnection *dsd_http_tcp_connection_new (GSocket        *socket,
                                                   GDestroyNotify  closed,
                                                   gpointer        data);

G_END_DECLS
