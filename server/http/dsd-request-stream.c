/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-http"

#include "dsd-http-connections.h"
#include "dsd-request-private.h"

/*
 * Streamed responses: libsoup writes the chunks appended to the response
 * body and pauses the message when it has written them all; each write
 * appends one chunk and unpauses, and ::wrote-chunk (or the end of the
 * message) hands the turn back to the producer.
 */

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
wrote_chunk_cb (SoupServerMessage *msg,
                gpointer           user_data)
{
  call_drained (user_data);
}

static void
finished_cb (SoupServerMessage *msg,
             gpointer           user_data)
{
  DsdRequest *self = user_data;

  self->stream_closed = TRUE;
  call_drained (self);
}

void
dsd_request_stream_begin (DsdRequest *self,
                          guint       status,
                          const char *content_type)
{
  SoupMessageHeaders *headers;

  g_return_if_fail (self != NULL);
  g_return_if_fail (!self->responded);

  headers = soup_server_message_get_response_headers (self->msg);
  soup_message_headers_replace (headers, "Content-Type", content_type);
  soup_message_headers_set_encoding (headers, SOUP_ENCODING_CHUNKED);
  soup_message_body_set_accumulate (soup_server_message_get_response_body (self->msg), FALSE);
  self->streaming = TRUE;
  /* Disconnected when the request is freed (dsd_request_unref()). */
  g_signal_connect (self->msg, "wrote-chunk", G_CALLBACK (wrote_chunk_cb), self);
  g_signal_connect (self->msg, "finished", G_CALLBACK (finished_cb), self);
  _dsd_request_finish_response (self, status);
}

gboolean
dsd_request_stream_is_open (DsdRequest *self)
{
  g_return_val_if_fail (self != NULL, FALSE);

  return self->streaming && !self->stream_closed && !self->done;
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
  soup_message_body_append_bytes (soup_server_message_get_response_body (self->msg), chunk);
  soup_server_message_unpause (self->msg);
}

void
dsd_request_stream_end (DsdRequest *self)
{
  g_return_if_fail (self != NULL && self->streaming);

  if (!dsd_request_stream_is_open (self))
    return;
  soup_message_body_complete (soup_server_message_get_response_body (self->msg));
  soup_server_message_unpause (self->msg);
}

void
dsd_request_stream_abort (DsdRequest *self)
{
  g_return_if_fail (self != NULL && self->streaming);

  if (!dsd_request_stream_is_open (self))
    return;
  /* The client sees the connection end before the last chunk; libsoup's
   * attempt to write that chunk fails and ends the message. */
  dsd_http_connections_cut (self->msg);
  soup_message_body_complete (soup_server_message_get_response_body (self->msg));
  soup_server_message_unpause (self->msg);
}
