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
 * iteration; libsoup's websockets also make a new input source after every
 * read. With 10,000 idle websockets each polling its own socket, those walks
 * were 90 % of the server's CPU and the loop fell behind (bench-memory). A
 * socket watched here adds no descriptor to the context: the context polls
 * one epoll descriptor, and the sources of the sockets it reports readable
 * are made ready.
 *
 * A DsdFdWatch registers @fd in the epoll set of the thread-default context
 * of the thread that makes it, for its lifetime; it must be used and freed
 * in that thread. Closing @fd before freeing the watch is fine (the kernel
 * drops it from the set).
 *
 * dsd_fd_watch_create_source() returns a source for @pollable, a stream
 * reading the socket perhaps through buffers of its own, like
 * g_pollable_input_stream_create_source(): it dispatches while the socket is
 * readable, has hung up or failed, at once when @ready (input may be
 * buffered above the socket: TRUE unless the stream's last read would have
 * blocked), and again after a dispatch that keeps the source and leaves
 * @pollable readable. Its callback is a GPollableSourceFunc called with
 * @pollable. A watch wakes its newest source only.
 */
typedef struct _DsdFdWatch DsdFdWatch;

DsdFdWatch *dsd_fd_watch_new           (int                   fd);
void        dsd_fd_watch_free          (DsdFdWatch           *self);
GSource    *dsd_fd_watch_create_source (DsdFdWatch           *self,
                                        GPollableInputStream *pollable,
                                        gboolean              ready);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DsdFdWatch, dsd_fd_watch_free)

G_END_DECLS
