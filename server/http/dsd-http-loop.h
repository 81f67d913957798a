/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * A main loop that other threads can post calls to: either the calling
 * thread's own (the thread-default context at creation, run by its owner), or
 * a thread of its own with a GMainContext of its own (docs/architecture.md,
 * "The HTTP front").
 *
 * Posted calls run on the loop's thread in the order they were posted, from
 * one GSource of high priority; posting takes a mutex and wakes the context, never waits for the
 * loop. The queue has no cap of its own: what posts to it keeps its count
 * bounded (the HTTP front posts at most a few calls per request in flight,
 * and requests in flight are bounded by the connection caps).
 */
typedef struct _DsdHttpLoop DsdHttpLoop;

typedef void (*DsdHttpLoopFunc) (gpointer data);

/* The calling thread's thread-default context. */
DsdHttpLoop  *dsd_http_loop_new_current (void);
/* A new context, for a thread of its own: make its objects with the context
 * pushed as thread-default, then start the thread, named name, which runs it
 * until dsd_http_loop_free(). */
DsdHttpLoop  *dsd_http_loop_new_thread  (void);
void          dsd_http_loop_start       (DsdHttpLoop     *self,
                                         const char      *name);
/* Stops and joins the loop's thread, if it has one, then runs the calls
 * still queued on the calling thread (the loop's thread is gone by then). */
void          dsd_http_loop_free        (DsdHttpLoop     *self);
GMainContext *dsd_http_loop_get_context (DsdHttpLoop     *self);
/* The thread that runs the loop (NULL before dsd_http_loop_start()). */
GThread      *dsd_http_loop_get_owner   (DsdHttpLoop     *self);
/* Whether the calling thread is the loop's. */
gboolean      dsd_http_loop_is_current  (DsdHttpLoop     *self);
void          dsd_http_loop_post        (DsdHttpLoop     *self,
                                         DsdHttpLoopFunc  func,
                                         gpointer         data);


/* g_timeout_add()/g_idle_add() on the calling thread's thread-default
 * context, and the g_source_remove() for their ids (which only looks in the
 * global default context); removing an id no longer there does nothing.
 * The HTTP layer's objects live on the front loop that made them. */
guint         dsd_http_timeout_add      (guint            interval_ms,
                                         GSourceFunc      func,
                                         gpointer         data);
guint         dsd_http_idle_add         (gint             priority,
                                         GSourceFunc      func,
                                         gpointer         data);
void          dsd_http_source_remove    (guint            id);

G_END_DECLS
