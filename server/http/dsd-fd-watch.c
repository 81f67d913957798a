/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-http"

#include "config.h"

#include <errno.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "dsd-fd-watch.h"

/* Readiness reports taken from the kernel per dispatch at most; the rest
 * come on the next iteration (the epoll set is level-triggered). */
#define MAX_EVENTS 256

/* One per main context with watches: a source polling the epoll descriptor. */
typedef struct {
  GSource       source;
  GMainContext *context;    /* not referenced: the key in hubs */
  int           epoll_fd;
  GHashTable   *by_fd;      /* fd → GPtrArray of Watch (usually one) */
  guint         n_watches;
} Hub;

typedef struct {
  GSource  source;
  Hub     *hub;
  int                   fd;
  GPollableInputStream *pollable;
} Watch;

G_LOCK_DEFINE_STATIC (hubs);
static GHashTable *hubs;  /* GMainContext → Hub */

static gboolean
hub_dispatch (GSource     *source,
              GSourceFunc  callback,
              gpointer     user_data)
{
  Hub *hub = (Hub *) source;
  struct epoll_event events[MAX_EVENTS];
  int n = epoll_wait (hub->epoll_fd, events, MAX_EVENTS, 0);

  for (int i = 0; i < n; i++)
    {
      GPtrArray *watches = g_hash_table_lookup (hub->by_fd, GINT_TO_POINTER (events[i].data.fd));

      /* A descriptor closed and reused meanwhile only gets a spurious wake-up. */
      for (guint w = 0; watches != NULL && w < watches->len; w++)
        g_source_set_ready_time (g_ptr_array_index (watches, w), 0);
    }

  return G_SOURCE_CONTINUE;
}

static void
hub_finalize (GSource *source)
{
  Hub *hub = (Hub *) source;

  close (hub->epoll_fd);
  g_hash_table_unref (hub->by_fd);
}

static GSourceFuncs hub_funcs = {
  .dispatch = hub_dispatch,
  .finalize = hub_finalize,
};

/* Returns: (transfer none): the hub of @context, made when it has none. */
static Hub *
hub_get (GMainContext *context)
{
  Hub *hub;

  G_LOCK (hubs);
  if (hubs == NULL)
    hubs = g_hash_table_new (NULL, NULL);

  hub = g_hash_table_lookup (hubs, context);
  if (hub == NULL)
    {
      int epoll_fd = epoll_create1 (EPOLL_CLOEXEC);

      if (epoll_fd < 0)
        g_error ("epoll_create1: %s", g_strerror (errno));

      hub = (Hub *) g_source_new (&hub_funcs, sizeof (Hub));
      g_source_set_static_name (&hub->source, "DsdFdWatch epoll");
      hub->context = context;
      hub->epoll_fd = epoll_fd;
      hub->by_fd = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) g_ptr_array_unref);
      g_source_add_unix_fd (&hub->source, epoll_fd, G_IO_IN);
      g_source_attach (&hub->source, context);
      g_hash_table_insert (hubs, context, hub);
    }
  G_UNLOCK (hubs);

  return hub;
}

static void
hub_add (Hub   *hub,
         Watch *watch)
{
  GPtrArray *watches = g_hash_table_lookup (hub->by_fd, GINT_TO_POINTER (watch->fd));
  struct epoll_event event = { .events = EPOLLIN, .data.fd = watch->fd };

  if (watches == NULL)
    {
      watches = g_ptr_array_new ();
      g_hash_table_insert (hub->by_fd, GINT_TO_POINTER (watch->fd), watches);
    }
  g_ptr_array_add (watches, watch);
  hub->n_watches++;

  /* Added again when the descriptor of a watch still here was closed and
   * its number reused (closing dropped it from the set). */
  if (epoll_ctl (hub->epoll_fd, EPOLL_CTL_ADD, watch->fd, &event) < 0 && errno != EEXIST)
    g_warning ("epoll_ctl ADD %d: %s", watch->fd, g_strerror (errno));
}

static void
hub_remove (Hub   *hub,
            Watch *watch)
{
  GPtrArray *watches = g_hash_table_lookup (hub->by_fd, GINT_TO_POINTER (watch->fd));

  g_ptr_array_remove_fast (watches, watch);
  if (watches->len == 0)
    {
      /* Fails harmlessly when the descriptor is closed already. */
      epoll_ctl (hub->epoll_fd, EPOLL_CTL_DEL, watch->fd, NULL);
      g_hash_table_remove (hub->by_fd, GINT_TO_POINTER (watch->fd));
    }

  if (--hub->n_watches > 0)
    return;

  G_LOCK (hubs);
  g_hash_table_remove (hubs, hub->context);
  G_UNLOCK (hubs);
  g_source_destroy (&hub->source);
  g_source_unref (&hub->source);
}

static gboolean
watch_dispatch (GSource     *source,
                GSourceFunc  callback,
                gpointer     user_data)
{
  Watch *watch = (Watch *) source;
  gboolean keep;

  g_source_set_ready_time (source, -1);
  if (callback == NULL)
    return G_SOURCE_CONTINUE;

  keep = ((GPollableSourceFunc) (void (*) (void)) callback) (G_OBJECT (watch->pollable),
                                                            user_data);
  /* Input read into a buffer above the socket is not the kernel's to report. */
  if (keep && !g_source_is_destroyed (source) &&
      g_pollable_input_stream_is_readable (watch->pollable))
    g_source_set_ready_time (source, 0);

  return keep;
}

static void
watch_finalize (GSource *source)
{
  Watch *watch = (Watch *) source;

  hub_remove (watch->hub, watch);
  g_object_unref (watch->pollable);
}

static GSourceFuncs watch_funcs = {
  .dispatch = watch_dispatch,
  .finalize = watch_finalize,
};

GSource *
dsd_fd_watch_source_new (int                   fd,
                         GPollableInputStream *pollable)
{
  g_autoptr(GMainContext) context = g_main_context_ref_thread_default ();
  Watch *watch;

  g_return_val_if_fail (fd >= 0, NULL);
  g_return_val_if_fail (G_IS_POLLABLE_INPUT_STREAM (pollable), NULL);

  watch = (Watch *) g_source_new (&watch_funcs, sizeof (Watch));
  g_source_set_static_name (&watch->source, "DsdFdWatch");
  watch->hub = hub_get (context);
  watch->fd = fd;
  watch->pollable = g_object_ref (pollable);
  hub_add (watch->hub, watch);
  /* What is buffered already is read first. */
  g_source_set_ready_time (&watch->source, 0);

  return &watch->source;
}
