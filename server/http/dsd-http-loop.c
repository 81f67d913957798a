/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-http"

#include "config.h"

#include "dsd-http-loop.h"

typedef struct {
  DsdHttpLoopFunc func;
  gpointer        data;
} Call;

/* The source that runs posted calls. */
typedef struct {
  GSource  source;
  GMutex   mutex;
  GQueue   calls;
  gboolean woken;   /* the context has been woken for the calls queued */
} Mailbox;

struct _DsdHttpLoop
{
  GMainContext *context;
  Mailbox      *mailbox;
  GThread      *thread;       /* NULL for the current thread's loop */
  GThread      *owner;        /* the thread that runs it */
  gint          quit;         /* atomic */
};

static gboolean
mailbox_has_calls (Mailbox *mailbox)
{
  gboolean has_calls;

  g_mutex_lock (&mailbox->mutex);
  has_calls = mailbox->calls.length > 0;
  g_mutex_unlock (&mailbox->mutex);

  return has_calls;
}

static gboolean
mailbox_prepare (GSource *source,
                 gint    *timeout)
{
  *timeout = -1;
  return mailbox_has_calls ((Mailbox *) source);
}

static gboolean
mailbox_check (GSource *source)
{
  return mailbox_has_calls ((Mailbox *) source);
}

/* Runs the calls queued so far; those they post run at the next dispatch. */
static void
mailbox_run (Mailbox *mailbox)
{
  GQueue calls = G_QUEUE_INIT;
  Call *call;

  g_mutex_lock (&mailbox->mutex);
  calls = mailbox->calls;
  g_queue_init (&mailbox->calls);
  mailbox->woken = FALSE;
  g_mutex_unlock (&mailbox->mutex);

  while ((call = g_queue_pop_head (&calls)) != NULL)
    {
      call->func (call->data);
      g_free (call);
    }
}

static gboolean
mailbox_dispatch (GSource     *source,
                  GSourceFunc  callback,
                  gpointer     user_data)
{
  mailbox_run ((Mailbox *) source);
  return G_SOURCE_CONTINUE;
}

static void
mailbox_finalize (GSource *source)
{
  Mailbox *mailbox = (Mailbox *) source;

  g_assert (mailbox->calls.length == 0);
  g_mutex_clear (&mailbox->mutex);
}

static GSourceFuncs mailbox_funcs = {
  .prepare = mailbox_prepare,
  .check = mailbox_check,
  .dispatch = mailbox_dispatch,
  .finalize = mailbox_finalize,
};

static DsdHttpLoop *
loop_new (GMainContext *context)
{
  DsdHttpLoop *self = g_new0 (DsdHttpLoop, 1);

  self->context = context;
  self->mailbox = (Mailbox *) g_source_new (&mailbox_funcs, sizeof (Mailbox));
  g_mutex_init (&self->mailbox->mutex);
  g_queue_init (&self->mailbox->calls);
  g_source_set_name ((GSource *) self->mailbox, "dsd-http-loop");
  /* Before I/O that became ready at the same time: a call posted before a
   * client connects runs before its connection is accepted. */
  g_source_set_priority ((GSource *) self->mailbox, G_PRIORITY_HIGH);
  g_source_attach ((GSource *) self->mailbox, context);

  return self;
}

DsdHttpLoop *
dsd_http_loop_new_current (void)
{
  DsdHttpLoop *self = loop_new (g_main_context_ref_thread_default ());

  self->owner = g_thread_self ();

  return self;
}

static gpointer
thread_main (gpointer user_data)
{
  DsdHttpLoop *self = user_data;

  g_main_context_push_thread_default (self->context);
  while (!g_atomic_int_get (&self->quit))
    g_main_context_iteration (self->context, TRUE);
  g_main_context_pop_thread_default (self->context);

  return NULL;
}

DsdHttpLoop *
dsd_http_loop_new_thread (void)
{
  return loop_new (g_main_context_new ());
}

void
dsd_http_loop_start (DsdHttpLoop *self,
                     const char  *name)
{
  g_return_if_fail (self->owner == NULL);

  self->thread = g_thread_new (name, thread_main, self);
  self->owner = self->thread;
}

static void
quit_cb (gpointer data)
{
  DsdHttpLoop *self = data;

  g_atomic_int_set (&self->quit, TRUE);
}

void
dsd_http_loop_free (DsdHttpLoop *self)
{
  if (self->thread != NULL)
    {
      dsd_http_loop_post (self, quit_cb, self);
      g_thread_join (self->thread);
    }

  /* Calls may post further calls while they run. */
  while (mailbox_has_calls (self->mailbox))
    mailbox_run (self->mailbox);

  g_source_destroy ((GSource *) self->mailbox);
  g_source_unref ((GSource *) self->mailbox);
  g_main_context_unref (self->context);
  g_free (self);
}

GMainContext *
dsd_http_loop_get_context (DsdHttpLoop *self)
{
  return self->context;
}

GThread *
dsd_http_loop_get_owner (DsdHttpLoop *self)
{
  return self->owner;
}

gboolean
dsd_http_loop_is_current (DsdHttpLoop *self)
{
  return g_thread_self () == self->owner;
}

void
dsd_http_loop_post (DsdHttpLoop     *self,
                    DsdHttpLoopFunc  func,
                    gpointer         data)
{
  Call *call = g_new (Call, 1);
  gboolean woken;

  call->func = func;
  call->data = data;

  /* One wakeup until the loop takes the queue (all of it at once, under the
   * mutex). */
  g_mutex_lock (&self->mailbox->mutex);
  g_queue_push_tail (&self->mailbox->calls, call);
  woken = self->mailbox->woken;
  self->mailbox->woken = TRUE;
  g_mutex_unlock (&self->mailbox->mutex);

  if (!woken)
    g_main_context_wakeup (self->context);
}

static guint
attach_here (GSource     *source,
             GSourceFunc  func,
             gpointer     data)
{
  guint id;

  g_source_set_callback (source, func, data, NULL);
  id = g_source_attach (source, g_main_context_get_thread_default ());
  g_source_unref (source);

  return id;
}

guint
dsd_http_timeout_add (guint       interval_ms,
                      GSourceFunc func,
                      gpointer    data)
{
  return attach_here (g_timeout_source_new (interval_ms), func, data);
}

guint
dsd_http_idle_add (gint        priority,
                   GSourceFunc func,
                   gpointer    data)
{
  GSource *source = g_idle_source_new ();

  g_source_set_priority (source, priority);
  return attach_here (source, func, data);
}

void
dsd_http_source_remove (guint id)
{
  GMainContext *context = g_main_context_get_thread_default ();
  GSource *source = g_main_context_find_source_by_id (context, id);

  if (source != NULL)
    g_source_destroy (source);
}
