/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-http"

#include "dsd-http-connections.h"
#include "dsd-request-private.h"

/*
 * Streamed responses: libsoup writes the chunks appended to the response
 * body and pauses the message when it has written them all; each write
 * appends one chunk and unpauses, and ::wrote-chunk (or the end of the
 * message) hands the turn back to the producer. The producer runs on the main
 * loop, the message lives on its front loop: chunks go there, the turn comes
 * back (docs/architecture.md, "The HTTP front").
 */

/* On the main loop. */
static void
call_drained (DsdRequest *self)
{
  DsdRequestDrainedFunc drained = self->drained;

  if (drained == NULL)
    return;
  self->drained = NULL;
  drained (self, self->drained_data);
}

static void
drained_cb (gpointer data)
{
  DsdRequest *self = data;

  call_drained (self);
  dsd_request_unref (self);
}

void
_dsd_request_detached (DsdRequest *self)
{
  if (g_thread_self () == self->main_thread)
    {
      call_drained (self);
      dsd_request_unref (self);
    }
  /* Not quietly: the last reference may call the stream-end callback
   * (a refused websocket frees its stream slot). */
  else
    dsd_http_loop_post (self->main_loop, drained_cb, self);
}

/* On the front: the turn goes back to the producer. */
static void
hand_back (DsdRequest *self)
{
  if (g_thread_self () == self->main_thread)
    call_drained (self);
  else
    dsd_http_loop_post (self->main_loop, drained_cb, dsd_request_ref (self));
}

static void
wrote_chunk_cb (SoupServerMessage *msg,
                gpointer           user_data)
{
  hand_back (user_data);
}

static void
finished_cb (SoupServerMessage *msg,
             gpointer           user_data)
{
  DsdRequest *self = user_data;

  g_atomic_int_set (&self->stream_closed, TRUE);
  hand_back (self);
}

static void
apply_begin (DsdRequest *self)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (self->msg);

  soup_message_headers_set_encoding (headers, SOUP_ENCODING_CHUNKED);
  soup_message_body_set_accumulate (soup_server_message_get_response_body (self->msg), FALSE);
  /* Disconnected when the front lets go of the message. */
  g_signal_connect (self->msg, "wrote-chunk", G_CALLBACK (wrote_chunk_cb), self);
  g_signal_connect (self->msg, "finished", G_CALLBACK (finished_cb), self);
  _dsd_request_apply_response (self);
}

void
dsd_request_stream_begin (DsdRequest *self,
                          guint       status,
                          const char *content_type)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (!self->responded);

  soup_message_headers_replace (_dsd_request_get_response_headers (self),
                                "Content-Type", content_type);
  self->streaming = TRUE;
  self->responded = TRUE;
  self->status = status;
  _dsd_request_to_front (self, apply_begin);
}

gboolean
dsd_request_stream_is_open (DsdRequest *self)
{
  g_return_val_if_fail (self != NULL, FALSE);

  return self->streaming && !g_atomic_int_get (&self->stream_closed) &&
         !g_atomic_int_get (&self->gone);
}

static void
apply_write (DsdRequest *self)
{
  g_autoptr(GBytes) chunk = g_steal_pointer (&self->chunk);

  if (g_atomic_int_get (&self->stream_closed))
    {
      hand_back (self);
      return;
    }
  soup_message_body_append_bytes (soup_server_message_get_response_body (self->msg), chunk);
  soup_server_message_unpause (self->msg);
}

void
dsd_request_stream_write (DsdRequest            *self,
                          GBytes                *chunk,
                          DsdRequestDrainedFunc  drained,
                          gpointer               user_data)
{
  g_return_if_fail (self != NULL && self->streaming);
  g_return_if_fail (self->drained == NULL);

  self->drained = drained;
  self->drained_data = user_data;
  if (!dsd_request_stream_is_open (self) || g_bytes_get_size (chunk) == 0)
    {
      call_drained (self);
      return;
    }
  /* The front had the last one before it handed the turn back. */
  g_assert (self->chunk == NULL);
  self->chunk = g_bytes_ref (chunk);
  _dsd_request_to_front (self, apply_write);
}

static void
apply_end (DsdRequest *self)
{
  if (g_atomic_int_get (&self->stream_closed))
    return;
  soup_message_body_complete (soup_server_message_get_response_body (self->msg));
  soup_server_message_unpause (self->msg);
}

void
dsd_request_stream_end (DsdRequest *self)
{
  g_return_if_fail (self != NULL && self->streaming);

  if (!dsd_request_stream_is_open (self))
    return;
  _dsd_request_to_front (self, apply_end);
}

static void
apply_abort (DsdRequest *self)
{
  if (g_atomic_int_get (&self->stream_closed))
    return;
  /* The client sees the connection end before the last chunk; libsoup's
   * attempt to write that chunk fails and ends the message. */
  dsd_http_connections_cut (self->msg);
  apply_end (self);
}

void
dsd_request_stream_abort (DsdRequest *self)
{
  g_return_if_fail (self != NULL && self->streaming);

  if (!dsd_request_stream_is_open (self))
    return;
  _dsd_request_to_front (self, apply_abort);
}
