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

typedef struct _ReadySource ReadySource;

/* One per main context with watches: a source polling the epoll descriptor. */
typedef struct {
  GSource       source;
  GMainContext *context;    /* not referenced: the key in hubs */
  int           epoll_fd;
  GHashTable   *by_fd;      /* fd → GPtrArray of DsdFdWatch (two while a closed
                             * descriptor's number is reused) */
  guint         n_watches;
} Hub;

struct _DsdFdWatch {
  Hub         *hub;
  int          fd;
  ReadySource *source;      /* the newest, not referenced; NULL: none */
};

struct _ReadySource {
  GSource               source;
  DsdFdWatch           *watch;      /* NULL once the watch is gone */
  GPollableInputStream *pollable;
};

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
        {
          DsdFdWatch *watch = g_ptr_array_index (watches, w);

          if (watch->source != NULL)
            g_source_set_ready_time (&watch->source->source, 0);
        }
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
hub_release (Hub *hub)
{
  if (--hub->n_watches > 0)
    return;

  G_LOCK (hubs);
  g_hash_table_remove (hubs, hub->context);
  G_UNLOCK (hubs);
  g_source_destroy (&hub->source);
  g_source_unref (&hub->source);
}

DsdFdWatch *
dsd_fd_watch_new (int fd)
{
  g_autoptr(GMainContext) context = g_main_context_ref_thread_default ();
  struct epoll_event event = { .events = EPOLLIN, .data.fd = fd };
  DsdFdWatch *self;
  GPtrArray *watches;

  g_return_val_if_fail (fd >= 0, NULL);

  self = g_new0 (DsdFdWatch, 1);
  self->hub = hub_get (context);
  self->fd = fd;
  self->hub->n_watches++;

  watches = g_hash_table_lookup (self->hub->by_fd, GINT_TO_POINTER (fd));
  if (watches == NULL)
    {
      watches = g_ptr_array_new ();
      g_hash_table_insert (self->hub->by_fd, GINT_TO_POINTER (fd), watches);
    }
  g_ptr_array_add (watches, self);

  /* A watch of a closed descriptor with this number may still be here:
   * closing dropped that socket from the set, so this adds the new one.
   * EEXIST only when one socket is watched twice, which is harmless. */
  if (epoll_ctl (self->hub->epoll_fd, EPOLL_CTL_ADD, fd, &event) < 0 && errno != EEXIST)
    g_warning ("epoll_ctl ADD %d: %s", fd, g_strerror (errno));

  return self;
}

void
dsd_fd_watch_free (DsdFdWatch *self)
{
  GPtrArray *watches;

  if (self == NULL)
    return;

  if (self->source != NULL)
    self->source->watch = NULL;

  watches = g_hash_table_lookup (self->hub->by_fd, GINT_TO_POINTER (self->fd));
  g_ptr_array_remove_fast (watches, self);
  if (watches->len == 0)
    {
      /* Fails harmlessly when the descriptor is closed already. */
      epoll_ctl (self->hub->epoll_fd, EPOLL_CTL_DEL, self->fd, NULL);
      g_hash_table_remove (self->hub->by_fd, GINT_TO_POINTER (self->fd));
    }

  hub_release (self->hub);
  g_free (self);
}

static gboolean
ready_source_dispatch (GSource     *source,
                       GSourceFunc  callback,
                       gpointer     user_data)
{
  ReadySource *ready = (ReadySource *) source;
  gboolean keep;

  g_source_set_ready_time (source, -1);
  if (callback == NULL)
    return G_SOURCE_CONTINUE;

  keep = ((GPollableSourceFunc) (void (*) (void)) callback) (G_OBJECT (ready->pollable),
                                                            user_data);
  /* Input read into a buffer above the socket is not the kernel's to report. */
  if (keep && !g_source_is_destroyed (source) &&
      g_pollable_input_stream_is_readable (ready->pollable))
    g_source_set_ready_time (source, 0);

  return keep;
}

static void
ready_source_finalize (GSource *source)
{
  ReadySource *ready = (ReadySource *) source;

  if (ready->watch != NULL && ready->watch->source == ready)
    ready->watch->source = NULL;
  g_object_unref (ready->pollable);
}

static GSourceFuncs ready_source_funcs = {
  .dispatch = ready_source_dispatch,
  .finalize = ready_source_finalize,
};

GSource *
dsd_fd_watch_create_source (DsdFdWatch           *self,
                            GPollableInputStream *pollable,
                            gboolean              ready)
{
  ReadySource *source;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (G_IS_POLLABLE_INPUT_STREAM (pollable), NULL);

  source = (ReadySource *) g_source_new (&ready_source_funcs, sizeof (ReadySource));
  g_source_set_static_name (&source->source, "DsdFdWatch");
  source->watch = self;
  source->pollable = g_object_ref (pollable);
  if (self->source != NULL)
    self->source->watch = NULL;
  self->source = source;
  if (ready)
    g_source_set_ready_time (&source->source, 0);

  return &source->source;
}
