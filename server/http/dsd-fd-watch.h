/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * Input readiness of many sockets through one epoll instance per main
 * context.
 *
 * GLib 2.74 keeps a context's polled descriptors in a list, takes those of
 * every source it dispatches out of that list and puts them back (a walk of
 * the whole list each time) and hands the whole list to poll() on every
 * iteration. With 10,000 idle websockets each carrying its own socket source,
 * that walk was 90 % of the server's CPU and the loop fell behind
 * (bench-memory). A watch made here adds no descriptor to the context: the
 * context polls one epoll descriptor, and the watches of the sockets it
 * reports readable are made ready.
 *
 * dsd_fd_watch_source_new() returns a source for @pollable, a stream reading
 * the socket @fd, perhaps through buffers of its own: it dispatches when made,
 * then while @fd is readable, has hung up or failed, and again after any
 * dispatch that leaves @pollable readable (data buffered above the socket),
 * calling a GPollableSourceFunc with @pollable, like g_pollable_source_new().
 * It must be attached to the thread-default context of the thread that
 * creates it, and used there only. Closing @fd while the source exists is
 * fine (the kernel drops it from the epoll set).
 */
GSource *dsd_fd_watch_source_new (int                   fd,
                                  GPollableInputStream *pollable);

G_END_DECLS
