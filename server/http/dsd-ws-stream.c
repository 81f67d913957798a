/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-ws"

#include "config.h"

#include <string.h>

#include "dsd-fd-watch.h"
#include "dsd-http-closing.h"
#include "dsd-ws-stream.h"

/* Vectors per writev: two per frame (header, payload). */
#define MAX_VECTORS 128
/* How long a close waits for the queue to reach the peer and for its answer. */
#define CLOSE_TIMEOUT_MS 2000
#define DRAIN_BUFFER_SIZE 4096
#define CLOSE_POLICY_VIOLATION 1008
#define CLOSE_TOO_BIG 1009
/* Pings a client may send per window; a client over it is closed with 1008.
 * (Browsers send none; libraries' keepalives one every few seconds.) */
#define MAX_PINGS_PER_WINDOW 50
#define PING_WINDOW_US (10 * G_USEC_PER_SEC)
/* Control frame payloads are at most 125 bytes, two of them the code. */
#define CLOSE_REASON_MAX 123

#define OPCODE_CONTINUATION 0x0
#define OPCODE_TEXT 0x1
#define OPCODE_CLOSE 0x8
#define OPCODE_PING 0x9
#define OPCODE_PONG 0xa
#define IS_CONTROL(opcode) (((opcode) & 0x8) != 0)

/* One frame on its way out: our header (empty for the frames libsoup writes
 * whole) and the rest of the frame. */
typedef struct {
  GBytes *payload;
  guint8  header[10];
  guint8  header_len;
  guint8  opcode;
} Frame;

/* A double-ended queue of frames in a power-of-two ring. */
typedef struct {
  Frame *items;
  guint  capacity;
  guint  head;
  guint  length;
} FrameQueue;

/* Where the input is in the client's frame stream. */
typedef struct {
  guint8  header[14];
  guint   header_len;
  guint64 payload_left;
  guint64 message_size;
  gboolean peer_closed;   /* a close frame came */
  gint64  ping_window_start_us;
  guint   pings_in_window;
} InputParser;

typedef enum {
  INPUT_OK,
  INPUT_TOO_BIG,        /* a data frame or message over max_message_size */
  INPUT_PING_FLOOD,     /* over MAX_PINGS_PER_WINDOW */
} InputVerdict;

struct _DsdWsStream {
  GIOStream              parent_instance;

  GIOStream             *base;
  GPollableInputStream  *base_input;
  GPollableOutputStream *base_output;
  GInputStream          *input;
  GOutputStream         *output;

  /* Output */
  FrameQueue             frames;
  gsize                  head_written;   /* bytes of the first frame already written */
  gsize                  queued;         /* bytes of all frames not yet written */
  gsize                  low_water;
  gboolean               above_low_water;
  GMainContext          *context;        /* where it was made; NULL once disposed */
  GSource               *write_source;   /* to write on the next iteration, made when needed */
  GSource               *writable_source;/* while the socket is full */
  gboolean               close_queued;
  gushort                close_code;
  gboolean               done;           /* failed or closing: nothing more is written */

  /* Input */
  InputParser            parser;
  gsize                  max_message_size;
  gboolean               input_ended;
  GSource               *input_source;   /* the reader's latest, for end_input() */
  DsdFdWatch            *fd_watch;       /* plain TCP: its socket; NULL: TLS or no socket */
  gboolean               input_blocked;  /* the last read would have blocked */
  gint64                 last_input_us;

  /* Closing */
  GTask                 *close_task;
  guint                  close_timeout_id;
  GCancellable          *drain_cancellable; /* while reading what the peer still sends */
  guint8                *drain_buffer;
};

G_DEFINE_FINAL_TYPE (DsdWsStream, dsd_ws_stream, G_TYPE_IO_STREAM)

enum {
  DRAINED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void schedule_write (DsdWsStream *self);
static void drain_input (DsdWsStream *self);
static void finish_close (DsdWsStream *self);

/* The child streams ---------------------------------------------------------
 *
 * They belong to the DsdWsStream and reach it through owner, which is cleared
 * when it goes away (a pollable source may keep a child alive a little longer).
 */

#define DSD_TYPE_WS_INPUT (dsd_ws_input_get_type ())
G_DECLARE_FINAL_TYPE (DsdWsInput, dsd_ws_input, DSD, WS_INPUT, GInputStream)

#define DSD_TYPE_WS_OUTPUT (dsd_ws_output_get_type ())
G_DECLARE_FINAL_TYPE (DsdWsOutput, dsd_ws_output, DSD, WS_OUTPUT, GOutputStream)

struct _DsdWsInput {
  GInputStream  parent_instance;
  DsdWsStream  *owner;
};

struct _DsdWsOutput {
  GOutputStream  parent_instance;
  DsdWsStream   *owner;
};

static void dsd_ws_input_pollable_init (GPollableInputStreamInterface *iface);
static void dsd_ws_output_pollable_init (GPollableOutputStreamInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (DsdWsInput, dsd_ws_input, G_TYPE_INPUT_STREAM,
                               G_IMPLEMENT_INTERFACE (G_TYPE_POLLABLE_INPUT_STREAM,
                                                      dsd_ws_input_pollable_init))

G_DEFINE_FINAL_TYPE_WITH_CODE (DsdWsOutput, dsd_ws_output, G_TYPE_OUTPUT_STREAM,
                               G_IMPLEMENT_INTERFACE (G_TYPE_POLLABLE_OUTPUT_STREAM,
                                                      dsd_ws_output_pollable_init))

static gboolean
set_closed_error (GError **error)
{
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CLOSED, "The websocket stream is closed");
  return FALSE;
}

/* Frame queue ---------------------------------------------------------------- */

static Frame *
queue_nth (FrameQueue *queue,
           guint       n)
{
  return &queue->items[(queue->head + n) & (queue->capacity - 1)];
}

static void
queue_reserve_one (FrameQueue *queue)
{
  Frame *items;
  guint capacity;

  if (queue->length < queue->capacity)
    return;

  capacity = MAX (queue->capacity * 2, 16);
  items = g_new (Frame, capacity);
  for (guint i = 0; i < queue->length; i++)
    items[i] = *queue_nth (queue, i);

  g_free (queue->items);
  queue->items = items;
  queue->capacity = capacity;
  queue->head = 0;
}

static Frame *
queue_push_tail (FrameQueue *queue)
{
  queue_reserve_one (queue);
  queue->length++;
  return queue_nth (queue, queue->length - 1);
}

static Frame *
queue_push_head (FrameQueue *queue)
{
  queue_reserve_one (queue);
  queue->head = (queue->head - 1) & (queue->capacity - 1);
  queue->length++;
  return queue_nth (queue, 0);
}

/* Removes the first frame and returns it (with its payload reference). */
static Frame
queue_pop_head (FrameQueue *queue)
{
  Frame frame = *queue_nth (queue, 0);

  queue->head = (queue->head + 1) & (queue->capacity - 1);
  queue->length--;
  return frame;
}

static void
queue_clear (FrameQueue *queue)
{
  for (guint i = 0; i < queue->length; i++)
    g_bytes_unref (queue_nth (queue, i)->payload);

  g_free (queue->items);
  *queue = (FrameQueue) { 0 };
}

static gsize
frame_size (const Frame *frame)
{
  return frame->header_len + g_bytes_get_size (frame->payload);
}

/* Output ------------------------------------------------------------------- */

static void
update_low_water (DsdWsStream *self)
{
  if (self->queued > self->low_water)
    {
      self->above_low_water = TRUE;
    }
  else if (self->above_low_water)
    {
      self->above_low_water = FALSE;
      g_signal_emit (self, signals[DRAINED], 0);
    }
}

/* Drops whole frames that have not started to be written; keep_control spares
 * pings, pongs and close frames. */
static void
discard_frames (DsdWsStream *self,
                gboolean     keep_control)
{
  FrameQueue kept = { 0 };
  guint first = self->head_written > 0 ? 1 : 0;

  for (guint i = 0; i < self->frames.length; i++)
    {
      Frame *frame = queue_nth (&self->frames, i);

      if (i < first || (keep_control && IS_CONTROL (frame->opcode)))
        {
          *queue_push_tail (&kept) = *frame;
        }
      else
        {
          self->queued -= frame_size (frame);
          g_bytes_unref (frame->payload);
        }
    }

  g_free (self->frames.items);
  self->frames = kept;
}

/* Nothing more will be written: the connection failed or is being closed. */
static void
stop_writing (DsdWsStream *self)
{
  self->done = TRUE;
  queue_clear (&self->frames);
  self->head_written = 0;
  self->queued = 0;

  if (self->writable_source != NULL)
    {
      g_source_destroy (self->writable_source);
      g_clear_pointer (&self->writable_source, g_source_unref);
    }
}

static void
fail (DsdWsStream  *self,
      const GError *error)
{
  g_debug ("Websocket write failed: %s", error->message);

  stop_writing (self);
  if (self->close_task != NULL)
    finish_close (self);
}

static void
add_vector (GOutputVector *vectors,
            guint         *n_vectors,
            gsize         *total,
            const guint8  *data,
            gsize          length,
            gsize         *skip)
{
  if (*skip >= length)
    {
      *skip -= length;
      return;
    }

  vectors[*n_vectors].buffer = data + *skip;
  vectors[*n_vectors].size = length - *skip;
  *total += length - *skip;
  *skip = 0;
  (*n_vectors)++;
}

/* Accounts for n written bytes from the front of the queue. */
static void
consume (DsdWsStream *self,
         gsize        n)
{
  self->queued -= n;

  while (n > 0)
    {
      gsize rest = frame_size (queue_nth (&self->frames, 0)) - self->head_written;

      if (n < rest)
        {
          self->head_written += n;
          return;
        }

      n -= rest;
      self->head_written = 0;
      g_bytes_unref (queue_pop_head (&self->frames).payload);
    }
}

static gboolean
writable_cb (GObject  *stream,
             gpointer  user_data)
{
  DsdWsStream *self = user_data;

  g_clear_pointer (&self->writable_source, g_source_unref);
  schedule_write (self);

  return G_SOURCE_REMOVE;
}

static void
write_queued (DsdWsStream *self)
{
  while (self->frames.length > 0 && !self->done)
    {
      GOutputVector vectors[MAX_VECTORS];
      g_autoptr(GError) error = NULL;
      guint n_vectors = 0;
      gsize skip = self->head_written;
      gsize total = 0;
      gsize written = 0;
      GPollableReturn result;

      for (guint i = 0; i < self->frames.length && n_vectors + 2 <= MAX_VECTORS; i++)
        {
          Frame *frame = queue_nth (&self->frames, i);
          gsize size;
          const guint8 *data = g_bytes_get_data (frame->payload, &size);

          add_vector (vectors, &n_vectors, &total, frame->header, frame->header_len, &skip);
          add_vector (vectors, &n_vectors, &total, data, size, &skip);
        }

      result = g_pollable_output_stream_writev_nonblocking (self->base_output, vectors, n_vectors,
                                                            &written, NULL, &error);
      if (result == G_POLLABLE_RETURN_FAILED)
        {
          fail (self, error);
          return;
        }

      consume (self, written);

      if (result == G_POLLABLE_RETURN_WOULD_BLOCK || written < total)
        {
          self->writable_source = g_pollable_output_stream_create_source (self->base_output,
                                                                          NULL);
          g_source_set_callback (self->writable_source, G_SOURCE_FUNC (writable_cb), self, NULL);
          g_source_attach (self->writable_source, g_main_context_get_thread_default ());
          break;
        }
    }

  if (self->close_task != NULL && self->frames.length == 0)
    drain_input (self);
  else
    update_low_water (self);
}

static gboolean
write_source_dispatch (GSource     *source,
                       GSourceFunc  callback,
                       gpointer     user_data)
{
  return callback (user_data);
}

static GSourceFuncs write_source_funcs = {
  .dispatch = write_source_dispatch,
};

static gboolean
write_cb (gpointer user_data)
{
  DsdWsStream *self = user_data;

  g_clear_pointer (&self->write_source, g_source_unref);
  write_queued (self);
  return G_SOURCE_REMOVE;
}

/* Writing waits for the end of the current main-loop iteration, so that the
 * frames of a burst of events leave in one writev. The source exists only
 * while a write is due: every source of a context costs each iteration of its
 * loop a little, which thousands of idle streams would add up. */
static void
schedule_write (DsdWsStream *self)
{
  if (self->writable_source != NULL || self->write_source != NULL || self->context == NULL)
    return;

  self->write_source = g_source_new (&write_source_funcs, sizeof (GSource));
  g_source_set_static_name (self->write_source, "DsdWsStream write");
  g_source_set_ready_time (self->write_source, 0);
  g_source_set_callback (self->write_source, write_cb, self, NULL);
  g_source_attach (self->write_source, self->context);
}

static void
push_frame (DsdWsStream *self,
            const Frame *frame,
            gboolean     urgent)
{
  if (!urgent)
    {
      *queue_push_tail (&self->frames) = *frame;
    }
  else if (self->head_written > 0)
    {
      /* Ahead of everything but the frame that is partly on the wire. */
      Frame started = queue_pop_head (&self->frames);

      *queue_push_head (&self->frames) = *frame;
      *queue_push_head (&self->frames) = started;
    }
  else
    {
      *queue_push_head (&self->frames) = *frame;
    }

  self->queued += frame_size (frame);
  update_low_water (self);
  schedule_write (self);
}

/* Pongs go to the head of the queue, behind a frame partly on the wire. */
static gboolean
replace_queued_pong (DsdWsStream *self,
                     GBytes      *payload)
{
  guint first = self->head_written > 0 ? 1 : 0;

  for (guint i = first; i < MIN (self->frames.length, first + 2); i++)
    {
      Frame *queued = queue_nth (&self->frames, i);

      if (queued->opcode != OPCODE_PONG)
        continue;

      self->queued -= frame_size (queued);
      g_bytes_unref (queued->payload);
      queued->payload = payload;
      self->queued += frame_size (queued);
      update_low_water (self);
      return TRUE;
    }

  return FALSE;
}

/* A frame libsoup wrote through our output stream (always one whole frame
 * per call: it writes frame by frame and we never take less). */
static gssize
queue_libsoup_frame (DsdWsStream  *self,
                     const void   *buffer,
                     gsize         count,
                     GError      **error)
{
  const guint8 *bytes = buffer;
  Frame frame = { 0 };

  if (self->done)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE, "The connection failed");
      return -1;
    }
  if (count == 0)
    return 0;

  frame.opcode = bytes[0] & 0x0f;

  /* Our own close frame went first (dsd_ws_stream_close()): a second one
   * would break the protocol. */
  if (frame.opcode == OPCODE_CLOSE && self->close_queued)
    return count;

  frame.payload = g_bytes_new (buffer, count);
  if (frame.opcode == OPCODE_CLOSE)
    {
      /* Unmasked server frame: two header bytes, then the code. */
      if (count >= 4 && self->close_code == 0)
        self->close_code = (bytes[2] << 8) | bytes[3];
      self->close_queued = TRUE;
    }

  /* A pong still waiting answers the newer ping instead (RFC 6455 §5.5.3):
   * a client that pings without reading queues one pong at most. */
  if (frame.opcode == OPCODE_PONG && replace_queued_pong (self, frame.payload))
    return count;

  /* Pings and pongs go first; a close frame goes after what is queued. */
  push_frame (self, &frame, IS_CONTROL (frame.opcode) && frame.opcode != OPCODE_CLOSE);

  return count;
}

/* fin: the last frame of its message */
static void
encode_header (Frame    *frame,
               guint8    opcode,
               gboolean  fin,
               gsize     length)
{
  frame->opcode = opcode;
  frame->header[0] = (fin ? 0x80 : 0) | opcode;

  if (length < 126)
    {
      frame->header[1] = length;
      frame->header_len = 2;
    }
  else if (length <= G_MAXUINT16)
    {
      frame->header[1] = 126;
      frame->header[2] = length >> 8;
      frame->header[3] = length & 0xff;
      frame->header_len = 4;
    }
  else
    {
      frame->header[1] = 127;
      for (guint i = 0; i < 8; i++)
        frame->header[2 + i] = ((guint64) length >> (56 - 8 * i)) & 0xff;
      frame->header_len = 10;
    }
}

/* Input -------------------------------------------------------------------- */

static guint
header_length (const guint8 *header)
{
  guint length = 2;

  switch (header[1] & 0x7f)
    {
    case 126:
      length += 2;
      break;
    case 127:
      length += 8;
      break;
    default:
      break;
    }

  /* Client frames are masked (libsoup refuses the others). */
  if (header[1] & 0x80)
    length += 4;

  return length;
}

static guint64
payload_length (const guint8 *header)
{
  guint64 length = header[1] & 0x7f;

  if (length == 126)
    return ((guint64) header[2] << 8) | header[3];

  if (length == 127)
    {
      length = 0;
      for (guint i = 0; i < 8; i++)
        length = (length << 8) | header[2 + i];
    }

  return length;
}

/* TRUE when this ping is one too many in its window. */
static gboolean
count_ping (InputParser *parser)
{
  gint64 now = g_get_monotonic_time ();

  if (now - parser->ping_window_start_us >= PING_WINDOW_US)
    {
      parser->ping_window_start_us = now;
      parser->pings_in_window = 0;
    }

  return ++parser->pings_in_window > MAX_PINGS_PER_WINDOW;
}

/* Follows the frames in data. */
static InputVerdict
inspect_input (DsdWsStream  *self,
               const guint8 *data,
               gsize         length)
{
  InputParser *parser = &self->parser;

  while (length > 0)
    {
      guint64 payload;
      guint8 opcode;

      if (parser->payload_left > 0)
        {
          gsize skip = MIN (length, parser->payload_left);

          parser->payload_left -= skip;
          data += skip;
          length -= skip;
          continue;
        }

      parser->header[parser->header_len++] = *data++;
      length--;
      if (parser->header_len < 2 || parser->header_len < header_length (parser->header))
        continue;

      payload = payload_length (parser->header);
      opcode = parser->header[0] & 0x0f;
      parser->header_len = 0;
      parser->payload_left = payload;

      if (opcode == OPCODE_CLOSE)
        parser->peer_closed = TRUE;
      if (opcode == OPCODE_PING && count_ping (parser))
        return INPUT_PING_FLOOD;
      if (IS_CONTROL (opcode))
        continue;
      if (payload > self->max_message_size)
        return INPUT_TOO_BIG;

      /* Opcode 0 continues the message, any other starts one. */
      parser->message_size = (opcode == 0 ? parser->message_size : 0) + payload;
      if (parser->message_size > self->max_message_size)
        return INPUT_TOO_BIG;
    }

  return INPUT_OK;
}

/* Queues a close frame behind what is queued; nothing is queued after it. */
static void
queue_close (DsdWsStream *self,
             gushort      code,
             const char  *reason)
{
  guint8 payload[CLOSE_REASON_MAX + 2];
  gsize reason_length = reason != NULL ? MIN (strlen (reason), CLOSE_REASON_MAX) : 0;
  Frame frame = { 0 };

  if (self->close_queued || self->done)
    return;

  payload[0] = code >> 8;
  payload[1] = code & 0xff;
  memcpy (payload + 2, reason, reason_length);

  encode_header (&frame, OPCODE_CLOSE, TRUE, reason_length + 2);
  frame.payload = g_bytes_new (payload, reason_length + 2);
  self->close_queued = TRUE;
  self->close_code = code;
  push_frame (self, &frame, FALSE);
}

/* libsoup reads the end of the stream and closes: wake its input up. */
static void
end_input (DsdWsStream *self)
{
  self->input_ended = TRUE;

  if (self->input_source != NULL && !g_source_is_destroyed (self->input_source))
    g_source_set_ready_time (self->input_source, 0);
}

static gssize
after_read (DsdWsStream *self,
            void        *buffer,
            gssize       n_read)
{
  if (n_read <= 0)
    return n_read;

  self->last_input_us = g_get_monotonic_time ();
  switch (inspect_input (self, buffer, n_read))
    {
    case INPUT_OK:
      return n_read;

    case INPUT_TOO_BIG:
      g_debug ("Websocket message over %" G_GSIZE_FORMAT " bytes", self->max_message_size);
      discard_frames (self, FALSE);
      queue_close (self, CLOSE_TOO_BIG, "message too big");
      break;

    case INPUT_PING_FLOOD:
      g_debug ("Websocket client over %u pings in %d s", MAX_PINGS_PER_WINDOW,
               (int) (PING_WINDOW_US / G_USEC_PER_SEC));
      discard_frames (self, FALSE);
      queue_close (self, CLOSE_POLICY_VIOLATION, "too many pings");
      break;

    default:
      g_assert_not_reached ();
    }

  end_input (self);
  return 0;
}

/* DsdWsInput ---------------------------------------------------------------- */

static gssize
dsd_ws_input_read_nonblocking (GPollableInputStream  *pollable,
                               void                  *buffer,
                               gsize                  count,
                               GError               **error)
{
  DsdWsStream *owner = DSD_WS_INPUT (pollable)->owner;

  GError *local_error = NULL;
  gssize n_read;

  if (owner == NULL)
    return set_closed_error (error);
  if (owner->input_ended)
    return 0;

  n_read = g_pollable_input_stream_read_nonblocking (owner->base_input, buffer, count, NULL,
                                                     &local_error);
  owner->input_blocked = g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
  if (local_error != NULL)
    g_propagate_error (error, local_error);

  return after_read (owner, buffer, n_read);
}

static gboolean
dsd_ws_input_can_poll (GPollableInputStream *pollable)
{
  return TRUE;
}

static gboolean
dsd_ws_input_is_readable (GPollableInputStream *pollable)
{
  DsdWsStream *owner = DSD_WS_INPUT (pollable)->owner;

  return owner == NULL || owner->input_ended ||
         g_pollable_input_stream_is_readable (owner->base_input);
}

static GSource *
dsd_ws_input_create_source (GPollableInputStream *pollable,
                            GCancellable         *cancellable)
{
  DsdWsStream *owner = DSD_WS_INPUT (pollable)->owner;
  g_autoptr(GSource) child = NULL;
  GSource *source;

  if (owner == NULL || owner->input_ended)
    {
      source = g_pollable_source_new (G_OBJECT (pollable));
      g_source_set_ready_time (source, 0);
      return source;
    }

  if (cancellable == NULL && owner->fd_watch != NULL)
    {
      /* Plain TCP: no descriptor of its own in the main context. */
      source = dsd_fd_watch_create_source (owner->fd_watch, pollable, !owner->input_blocked);
    }
  else
    {
      /* TLS keeps decrypted input of its own: ask it. */
      child = g_pollable_input_stream_create_source (owner->base_input, NULL);
      source = g_pollable_source_new_full (pollable, child, cancellable);
    }
  /* Kept to wake the reader up when we end the input. */
  g_clear_pointer (&owner->input_source, g_source_unref);
  owner->input_source = g_source_ref (source);

  return source;
}

static gssize
dsd_ws_input_read (GInputStream  *stream,
                   void          *buffer,
                   gsize          count,
                   GCancellable  *cancellable,
                   GError       **error)
{
  DsdWsStream *owner = DSD_WS_INPUT (stream)->owner;

  if (owner == NULL)
    return set_closed_error (error);
  if (owner->input_ended)
    return 0;

  return after_read (owner, buffer,
                     g_input_stream_read (G_INPUT_STREAM (owner->base_input), buffer, count,
                                          cancellable, error));
}

static gboolean
dsd_ws_input_close (GInputStream  *stream,
                    GCancellable  *cancellable,
                    GError       **error)
{
  /* The connection is closed with the DsdWsStream. */
  return TRUE;
}

static void
dsd_ws_input_pollable_init (GPollableInputStreamInterface *iface)
{
  iface->can_poll = dsd_ws_input_can_poll;
  iface->is_readable = dsd_ws_input_is_readable;
  iface->create_source = dsd_ws_input_create_source;
  iface->read_nonblocking = dsd_ws_input_read_nonblocking;
}

static void
dsd_ws_input_class_init (DsdWsInputClass *klass)
{
  GInputStreamClass *stream_class = G_INPUT_STREAM_CLASS (klass);

  stream_class->read_fn = dsd_ws_input_read;
  stream_class->close_fn = dsd_ws_input_close;
}

static void
dsd_ws_input_init (DsdWsInput *self)
{
}

/* DsdWsOutput --------------------------------------------------------------- */

static gssize
dsd_ws_output_write_nonblocking (GPollableOutputStream  *pollable,
                                 const void             *buffer,
                                 gsize                   count,
                                 GError                **error)
{
  DsdWsStream *owner = DSD_WS_OUTPUT (pollable)->owner;

  if (owner == NULL)
    return set_closed_error (error);

  return queue_libsoup_frame (owner, buffer, count, error);
}

static gboolean
dsd_ws_output_can_poll (GPollableOutputStream *pollable)
{
  return TRUE;
}

static gboolean
dsd_ws_output_is_writable (GPollableOutputStream *pollable)
{
  /* Writes are queued, never refused. */
  return TRUE;
}

static GSource *
dsd_ws_output_create_source (GPollableOutputStream *pollable,
                             GCancellable          *cancellable)
{
  GSource *source = g_pollable_source_new (G_OBJECT (pollable));

  g_source_set_ready_time (source, 0);
  return source;
}

static gssize
dsd_ws_output_write (GOutputStream  *stream,
                     const void     *buffer,
                     gsize           count,
                     GCancellable   *cancellable,
                     GError        **error)
{
  return dsd_ws_output_write_nonblocking (G_POLLABLE_OUTPUT_STREAM (stream), buffer, count,
                                          error);
}

static gboolean
dsd_ws_output_close (GOutputStream  *stream,
                     GCancellable   *cancellable,
                     GError        **error)
{
  return TRUE;
}

static void
dsd_ws_output_pollable_init (GPollableOutputStreamInterface *iface)
{
  iface->can_poll = dsd_ws_output_can_poll;
  iface->is_writable = dsd_ws_output_is_writable;
  iface->create_source = dsd_ws_output_create_source;
  iface->write_nonblocking = dsd_ws_output_write_nonblocking;
}

static void
dsd_ws_output_class_init (DsdWsOutputClass *klass)
{
  GOutputStreamClass *stream_class = G_OUTPUT_STREAM_CLASS (klass);

  stream_class->write_fn = dsd_ws_output_write;
  stream_class->close_fn = dsd_ws_output_close;
}

static void
dsd_ws_output_init (DsdWsOutput *self)
{
}

/* DsdWsStream ------------------------------------------------------------- */

static void
base_closed_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!g_io_stream_close_finish (G_IO_STREAM (source), result, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
finish_close (DsdWsStream *self)
{
  GTask *task = g_steal_pointer (&self->close_task);

  g_clear_handle_id (&self->close_timeout_id, g_source_remove);
  stop_writing (self);
  g_io_stream_close_async (self->base, g_task_get_priority (task), NULL, base_closed_cb, task);
}

static void
drained_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  DsdWsStream *self = user_data;
  gssize n_read = g_input_stream_read_finish (G_INPUT_STREAM (source), result, NULL);

  g_clear_object (&self->drain_cancellable);
  if (n_read > 0)
    {
      inspect_input (self, self->drain_buffer, n_read);
      drain_input (self);
      return;
    }

  finish_close (self);
}

/* Everything is written: read what the peer still sends until its close
 * frame or its end, so that closing does not reset the connection (the
 * kernel would send RST for unread input, and the peer could lose our close
 * frame with it). */
static void
drain_input (DsdWsStream *self)
{
  g_assert (self->close_task != NULL);

  if (self->parser.peer_closed)
    {
      finish_close (self);
      return;
    }

  if (self->drain_buffer == NULL)
    self->drain_buffer = g_malloc (DRAIN_BUFFER_SIZE);
  self->drain_cancellable = g_cancellable_new ();
  g_input_stream_read_async (G_INPUT_STREAM (self->base_input), self->drain_buffer,
                             DRAIN_BUFFER_SIZE, g_task_get_priority (self->close_task),
                             self->drain_cancellable, drained_cb, self);
}

static gboolean
close_timeout_cb (gpointer user_data)
{
  DsdWsStream *self = user_data;

  self->close_timeout_id = 0;
  g_debug ("Websocket peer still busy after %d ms: closing (%" G_GSIZE_FORMAT " bytes unsent)",
           CLOSE_TIMEOUT_MS, self->queued);

  /* A pending read ends with the cancellation and closes. */
  if (self->drain_cancellable != NULL)
    g_cancellable_cancel (self->drain_cancellable);
  else
    finish_close (self);

  return G_SOURCE_REMOVE;
}

static void
dsd_ws_stream_close_async (GIOStream           *stream,
                           int                  io_priority,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  DsdWsStream *self = DSD_WS_STREAM (stream);
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, dsd_ws_stream_close_async);
  g_task_set_priority (task, io_priority);
  g_assert (self->close_task == NULL);
  self->close_task = task;

  if (self->done)
    {
      finish_close (self);
      return;
    }

  self->close_timeout_id = g_timeout_add (CLOSE_TIMEOUT_MS, close_timeout_cb, self);
  if (self->frames.length == 0)
    drain_input (self);
  else
    schedule_write (self);
}

static gboolean
dsd_ws_stream_close_finish (GIOStream     *stream,
                            GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, stream), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static gboolean
dsd_ws_stream_close_fn (GIOStream     *stream,
                        GCancellable  *cancellable,
                        GError       **error)
{
  return g_io_stream_close (DSD_WS_STREAM (stream)->base, cancellable, error);
}

static GInputStream *
dsd_ws_stream_get_input_stream (GIOStream *stream)
{
  return DSD_WS_STREAM (stream)->input;
}

static GOutputStream *
dsd_ws_stream_get_output_stream (GIOStream *stream)
{
  return DSD_WS_STREAM (stream)->output;
}

static void
dsd_ws_stream_dispose (GObject *object)
{
  DsdWsStream *self = DSD_WS_STREAM (object);

  if (self->write_source != NULL)
    {
      g_source_destroy (self->write_source);
      g_clear_pointer (&self->write_source, g_source_unref);
    }
  if (self->writable_source != NULL)
    {
      g_source_destroy (self->writable_source);
      g_clear_pointer (&self->writable_source, g_source_unref);
    }
  g_clear_pointer (&self->context, g_main_context_unref);
  if (self->input != NULL)
    DSD_WS_INPUT (self->input)->owner = NULL;
  if (self->output != NULL)
    DSD_WS_OUTPUT (self->output)->owner = NULL;

  queue_clear (&self->frames);
  g_clear_pointer (&self->input_source, g_source_unref);
  g_clear_pointer (&self->fd_watch, dsd_fd_watch_free);

  G_OBJECT_CLASS (dsd_ws_stream_parent_class)->dispose (object);
}

static void
dsd_ws_stream_finalize (GObject *object)
{
  DsdWsStream *self = DSD_WS_STREAM (object);

  g_clear_object (&self->input);
  g_clear_object (&self->output);
  g_clear_object (&self->base);
  g_free (self->drain_buffer);

  G_OBJECT_CLASS (dsd_ws_stream_parent_class)->finalize (object);
}

static void
dsd_ws_stream_class_init (DsdWsStreamClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GIOStreamClass *stream_class = G_IO_STREAM_CLASS (klass);

  object_class->dispose = dsd_ws_stream_dispose;
  object_class->finalize = dsd_ws_stream_finalize;

  stream_class->get_input_stream = dsd_ws_stream_get_input_stream;
  stream_class->get_output_stream = dsd_ws_stream_get_output_stream;
  stream_class->close_fn = dsd_ws_stream_close_fn;
  stream_class->close_async = dsd_ws_stream_close_async;
  stream_class->close_finish = dsd_ws_stream_close_finish;

  signals[DRAINED] =
    g_signal_new ("drained",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);
}

static void
dsd_ws_stream_init (DsdWsStream *self)
{
  self->last_input_us = g_get_monotonic_time ();
}

DsdWsStream *
dsd_ws_stream_new (GIOStream *base,
                   gsize      max_message_size)
{
  DsdWsStream *self;
  GInputStream *input = g_io_stream_get_input_stream (base);
  GOutputStream *output = g_io_stream_get_output_stream (base);
  GSocketConnection *connection;
  gboolean tls;

  g_return_val_if_fail (G_IS_POLLABLE_INPUT_STREAM (input), NULL);
  g_return_val_if_fail (G_IS_POLLABLE_OUTPUT_STREAM (output), NULL);

  self = g_object_new (DSD_TYPE_WS_STREAM, NULL);
  self->base = g_object_ref (base);
  self->base_input = G_POLLABLE_INPUT_STREAM (input);
  self->base_output = G_POLLABLE_OUTPUT_STREAM (output);
  self->max_message_size = max_message_size;

  self->input = g_object_new (DSD_TYPE_WS_INPUT, NULL);
  DSD_WS_INPUT (self->input)->owner = self;
  self->output = g_object_new (DSD_TYPE_WS_OUTPUT, NULL);
  DSD_WS_OUTPUT (self->output)->owner = self;

  self->context = g_main_context_ref_thread_default ();

  /* libsoup makes an input source after every read: the socket under the
   * wrappers is found once. TLS keeps decrypted input above the socket. */
  connection = dsd_http_get_socket_connection (base, &tls);
  if (connection != NULL && !tls)
    self->fd_watch = dsd_fd_watch_new (g_socket_get_fd (g_socket_connection_get_socket (
                                                          connection)));

  return self;
}

void
dsd_ws_stream_send_text (DsdWsStream *self,
                         GBytes      *payload)
{
  dsd_ws_stream_send_text_part (self, payload, TRUE, TRUE);
}

void
dsd_ws_stream_send_text_part (DsdWsStream *self,
                              GBytes      *payload,
                              gboolean     first,
                              gboolean     last)
{
  Frame frame = { 0 };

  g_return_if_fail (DSD_IS_WS_STREAM (self));
  g_return_if_fail (payload != NULL);

  if (self->close_queued || self->done)
    return;

  encode_header (&frame, first ? OPCODE_TEXT : OPCODE_CONTINUATION, last,
                 g_bytes_get_size (payload));
  frame.payload = g_bytes_ref (payload);
  push_frame (self, &frame, FALSE);
}

void
dsd_ws_stream_send_ping (DsdWsStream *self)
{
  Frame frame = { 0 };

  g_return_if_fail (DSD_IS_WS_STREAM (self));

  if (self->close_queued || self->done)
    return;

  encode_header (&frame, OPCODE_PING, TRUE, 0);
  frame.payload = g_bytes_new_static ("", 0);
  push_frame (self, &frame, FALSE);
}

gsize
dsd_ws_stream_get_queued (DsdWsStream *self)
{
  g_return_val_if_fail (DSD_IS_WS_STREAM (self), 0);

  return self->queued;
}

void
dsd_ws_stream_discard_queued (DsdWsStream *self)
{
  g_return_if_fail (DSD_IS_WS_STREAM (self));

  discard_frames (self, TRUE);
  update_low_water (self);
}

void
dsd_ws_stream_close (DsdWsStream *self,
                     gushort      code,
                     const char  *reason)
{
  g_return_if_fail (DSD_IS_WS_STREAM (self));

  queue_close (self, code, reason);
  end_input (self);
}

void
dsd_ws_stream_set_low_water (DsdWsStream *self,
                             gsize        low_water)
{
  g_return_if_fail (DSD_IS_WS_STREAM (self));

  self->low_water = low_water;
  update_low_water (self);
}

gint64
dsd_ws_stream_get_last_input_time (DsdWsStream *self)
{
  g_return_val_if_fail (DSD_IS_WS_STREAM (self), 0);

  return self->last_input_us;
}

gushort
dsd_ws_stream_get_close_code (DsdWsStream *self)
{
  g_return_val_if_fail (DSD_IS_WS_STREAM (self), 0);

  return self->close_code;
}
