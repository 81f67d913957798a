/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-http"

#include "config.h"

#include "dsd-http-framed-stream.h"
#include "dsd-http-framing.h"
#include "dsd-http-loop.h"

/* The input: a pollable filter over the base stream's input. */
#define FRAMED_TYPE_INPUT (framed_input_get_type ())
G_DECLARE_FINAL_TYPE (FramedInput, framed_input, FRAMED, INPUT, GFilterInputStream)

struct _FramedInput
{
  GFilterInputStream   parent_instance;

  DsdHttpFramedStream *owner;    /* unowned: it owns us */
};

struct _DsdHttpFramedStream
{
  GIOStream       parent_instance;

  GIOStream      *base;
  GInputStream   *input;
  DsdHttpFraming *framing;
  GError         *error;
  gboolean        released;
  guint           failed_id;
};

static void framed_input_pollable_init (GPollableInputStreamInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (FramedInput, framed_input, G_TYPE_FILTER_INPUT_STREAM,
                               G_IMPLEMENT_INTERFACE (G_TYPE_POLLABLE_INPUT_STREAM,
                                                      framed_input_pollable_init))
G_DEFINE_FINAL_TYPE (DsdHttpFramedStream, dsd_http_framed_stream, G_TYPE_IO_STREAM)

enum {
  FAILED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static gboolean
emit_failed_cb (gpointer user_data)
{
  DsdHttpFramedStream *self = user_data;

  self->failed_id = 0;
  g_signal_emit (self, signals[FAILED], 0);

  return G_SOURCE_REMOVE;
}

/* Checks the nread bytes just read into buffer: how many to hand on, or -1
 * with error when none are. */
static gssize
check (FramedInput  *input,
       const void   *buffer,
       gssize        nread,
       GError      **error)
{
  DsdHttpFramedStream *self = input->owner;
  gsize good;

  if (nread <= 0 || self->released)
    return nread;

  good = dsd_http_framing_scan (self->framing, buffer, nread, &self->error);
  if (self->error != NULL && self->failed_id == 0)
    {
      g_debug ("Badly framed request: %s", self->error->message);
      self->failed_id = dsd_http_idle_add (G_PRIORITY_DEFAULT_IDLE, emit_failed_cb, self);
    }

  if (good > 0)
    return good;

  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK, "badly framed input");
  return -1;
}

/* Stopped at a badly framed byte, and not released. */
static gboolean
is_stopped (FramedInput *input)
{
  return input->owner->error != NULL && !input->owner->released;
}

static GInputStream *
base_input (FramedInput *input)
{
  return g_filter_input_stream_get_base_stream (G_FILTER_INPUT_STREAM (input));
}

static gssize
framed_input_read_nonblocking (GPollableInputStream  *pollable,
                               void                  *buffer,
                               gsize                  count,
                               GError               **error)
{
  FramedInput *input = FRAMED_INPUT (pollable);
  gssize nread;

  if (is_stopped (input))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK, "badly framed input");
      return -1;
    }

  nread = g_pollable_input_stream_read_nonblocking (G_POLLABLE_INPUT_STREAM (base_input (input)),
                                                    buffer, count, NULL, error);

  return check (input, buffer, nread, error);
}

static gssize
framed_input_read (GInputStream  *stream,
                   void          *buffer,
                   gsize          count,
                   GCancellable  *cancellable,
                   GError       **error)
{
  FramedInput *input = FRAMED_INPUT (stream);
  gssize nread;

  if (!is_stopped (input))
    {
      nread = g_input_stream_read (base_input (input), buffer, count, cancellable, error);
      if (nread < 0)
        return nread;
      nread = check (input, buffer, nread, NULL);
      if (nread >= 0)
        return nread;
    }

  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       input->owner->error->message);
  return -1;
}

static gboolean
framed_input_can_poll (GPollableInputStream *pollable)
{
  GInputStream *base = base_input (FRAMED_INPUT (pollable));

  return G_IS_POLLABLE_INPUT_STREAM (base) &&
         g_pollable_input_stream_can_poll (G_POLLABLE_INPUT_STREAM (base));
}

static gboolean
framed_input_is_readable (GPollableInputStream *pollable)
{
  FramedInput *input = FRAMED_INPUT (pollable);

  return !is_stopped (input) &&
         g_pollable_input_stream_is_readable (G_POLLABLE_INPUT_STREAM (base_input (input)));
}

/* Once the input stopped, a source that never fires. */
static GSource *
framed_input_create_source (GPollableInputStream *pollable,
                            GCancellable         *cancellable)
{
  FramedInput *input = FRAMED_INPUT (pollable);
  g_autoptr(GSource) base_source = NULL;

  if (is_stopped (input))
    return g_pollable_source_new (G_OBJECT (pollable));

  base_source = g_pollable_input_stream_create_source (
    G_POLLABLE_INPUT_STREAM (base_input (input)), NULL);

  return g_pollable_source_new_full (pollable, base_source, cancellable);
}

static void
framed_input_pollable_init (GPollableInputStreamInterface *iface)
{
  iface->can_poll = framed_input_can_poll;
  iface->is_readable = framed_input_is_readable;
  iface->create_source = framed_input_create_source;
  iface->read_nonblocking = framed_input_read_nonblocking;
}

static void
framed_input_class_init (FramedInputClass *klass)
{
  G_INPUT_STREAM_CLASS (klass)->read_fn = framed_input_read;
}

static void
framed_input_init (FramedInput *self)
{
}

static GInputStream *
dsd_http_framed_stream_get_input_stream (GIOStream *stream)
{
  return DSD_HTTP_FRAMED_STREAM (stream)->input;
}

static GOutputStream *
dsd_http_framed_stream_get_output_stream (GIOStream *stream)
{
  return g_io_stream_get_output_stream (DSD_HTTP_FRAMED_STREAM (stream)->base);
}

static gboolean
dsd_http_framed_stream_close (GIOStream     *stream,
                              GCancellable  *cancellable,
                              GError       **error)
{
  return g_io_stream_close (DSD_HTTP_FRAMED_STREAM (stream)->base, cancellable, error);
}

static void
base_closed_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (g_io_stream_close_finish (G_IO_STREAM (source), result, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

/* The base's own (GIOStream's default would close it in a thread). */
static void
dsd_http_framed_stream_close_async (GIOStream           *stream,
                                    int                  io_priority,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  GTask *task = g_task_new (stream, cancellable, callback, user_data);

  g_task_set_source_tag (task, dsd_http_framed_stream_close_async);
  g_io_stream_close_async (DSD_HTTP_FRAMED_STREAM (stream)->base, io_priority, cancellable,
                           base_closed_cb, task);
}

static gboolean
dsd_http_framed_stream_close_finish (GIOStream     *stream,
                                     GAsyncResult  *result,
                                     GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
dsd_http_framed_stream_dispose (GObject *object)
{
  DsdHttpFramedStream *self = DSD_HTTP_FRAMED_STREAM (object);

  g_clear_handle_id (&self->failed_id, dsd_http_source_remove);

  G_OBJECT_CLASS (dsd_http_framed_stream_parent_class)->dispose (object);
}

static void
dsd_http_framed_stream_finalize (GObject *object)
{
  DsdHttpFramedStream *self = DSD_HTTP_FRAMED_STREAM (object);

  g_clear_object (&self->input);
  g_clear_object (&self->base);
  g_clear_pointer (&self->framing, dsd_http_framing_free);
  g_clear_error (&self->error);

  G_OBJECT_CLASS (dsd_http_framed_stream_parent_class)->finalize (object);
}

static void
dsd_http_framed_stream_class_init (DsdHttpFramedStreamClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GIOStreamClass *stream_class = G_IO_STREAM_CLASS (klass);

  /* (disposing a GIOStream closes it: the base must still be there) */
  object_class->dispose = dsd_http_framed_stream_dispose;
  object_class->finalize = dsd_http_framed_stream_finalize;
  stream_class->get_input_stream = dsd_http_framed_stream_get_input_stream;
  stream_class->get_output_stream = dsd_http_framed_stream_get_output_stream;
  stream_class->close_fn = dsd_http_framed_stream_close;
  stream_class->close_async = dsd_http_framed_stream_close_async;
  stream_class->close_finish = dsd_http_framed_stream_close_finish;

  signals[FAILED] = g_signal_new ("failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
dsd_http_framed_stream_init (DsdHttpFramedStream *self)
{
}

GIOStream *
dsd_http_framed_stream_new (GIOStream *base,
                            guint64    max_body)
{
  DsdHttpFramedStream *self;
  FramedInput *input;

  g_return_val_if_fail (G_IS_IO_STREAM (base), NULL);

  self = g_object_new (DSD_TYPE_HTTP_FRAMED_STREAM, NULL);
  self->base = g_object_ref (base);
  self->framing = dsd_http_framing_new (max_body);
  input = g_object_new (FRAMED_TYPE_INPUT,
                        "base-stream", g_io_stream_get_input_stream (base),
                        "close-base-stream", FALSE,
                        NULL);
  input->owner = self;
  self->input = G_INPUT_STREAM (input);

  return G_IO_STREAM (self);
}

GIOStream *
dsd_http_framed_stream_get_base (DsdHttpFramedStream *self)
{
  g_return_val_if_fail (DSD_IS_HTTP_FRAMED_STREAM (self), NULL);

  return self->base;
}

const GError *
dsd_http_framed_stream_get_error (DsdHttpFramedStream *self)
{
  g_return_val_if_fail (DSD_IS_HTTP_FRAMED_STREAM (self), NULL);

  return self->error;
}

void
dsd_http_framed_stream_release (DsdHttpFramedStream *self)
{
  g_return_if_fail (DSD_IS_HTTP_FRAMED_STREAM (self));

  self->released = TRUE;
}
