/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "dispatch-json.h"
#include "dc-replay-loader.h"

#define CHUNK_BYTES (64 * 1024)
/* Each frame opens with its time (jsonb writes the shortest key first). */
#define FRAME_TIME "{\"t\": \""

typedef struct
{
  DcClient         *client;
  SoupMessage      *message;
  GInputStream     *stream;
  GByteArray       *body;
  gint64            from;
  gint64            to;
  DcReplayProgress  progress;
  gpointer          progress_data;
} Load;

static void
load_free (Load *load)
{
  g_clear_object (&load->client);
  g_clear_object (&load->message);
  g_clear_object (&load->stream);
  g_clear_pointer (&load->body, g_byte_array_unref);
  g_free (load);
}

/* The time of the last frame that began in @chunk, as part of the period. */
static void
report_progress (Load   *load,
                 GBytes *chunk)
{
  gsize length;
  const char *data = g_bytes_get_data (chunk, &length);
  const char *last = g_strrstr_len (data, length, FRAME_TIME);
  gsize start = last != NULL ? (gsize) (last - data) + strlen (FRAME_TIME) : length;
  g_autofree char *text = NULL;
  gint64 t = 0;

  if (load->progress == NULL || start + 27 > length)
    return;
  text = g_strndup (data + start, 27);
  if (dispatch_parse_timestamp (text, &t))
    load->progress (CLAMP ((double) (t - load->from) / (load->to - load->from), 0, 1),
                    load->progress_data);
}

static void
parse_thread (GTask        *task,
              gpointer      source,
              gpointer      task_data,
              GCancellable *cancellable)
{
  Load *load = task_data;
  g_autoptr(JsonObject) history = NULL;
  GError *error = NULL;
  DcReplayModel *model;

  history = dispatch_json_parse_object ((const char *) load->body->data, load->body->len, &error);
  if (history == NULL || (model = dc_replay_model_new_from_history (history, &error)) == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  g_task_return_pointer (task, model, (GDestroyNotify) dc_replay_model_free);
}

static void read_next (GTask *task);

static void
read_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Load *load = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) chunk = g_input_stream_read_bytes_finish (G_INPUT_STREAM (object), result,
                                                              &error);
  guint status = soup_message_get_status (load->message);

  if (chunk == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (g_bytes_get_size (chunk) > 0)
    {
      if (load->body->len + g_bytes_get_size (chunk) > DC_REPLAY_MAX_BYTES)
        {
          g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                                   _("This period holds too much history: choose a shorter "
                                     "one"));
          return;
        }
      g_byte_array_append (load->body, g_bytes_get_data (chunk, NULL), g_bytes_get_size (chunk));
      if (SOUP_STATUS_IS_SUCCESSFUL (status))
        report_progress (load, chunk);
      read_next (g_steal_pointer (&task));
      return;
    }

  if (!SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      g_autoptr(GBytes) body = g_byte_array_free_to_bytes (g_steal_pointer (&load->body));

      g_task_return_error (task, dc_client_error_from_response (load->message, body));
      return;
    }
  g_task_run_in_thread (task, parse_thread);
}

static void
read_next (GTask *task)
{
  Load *load = g_task_get_task_data (task);

  g_input_stream_read_bytes_async (load->stream, CHUNK_BYTES, G_PRIORITY_DEFAULT,
                                   g_task_get_cancellable (task), read_cb, task);
}

static void
sent_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Load *load = g_task_get_task_data (task);
  GError *error = NULL;

  if (!(load->stream = soup_session_send_finish (SOUP_SESSION (object), result, &error)))
    {
      g_task_return_error (task, error);
      return;
    }
  read_next (g_steal_pointer (&task));
}

void
dc_replay_load_async (DcClient            *client,
                      gint64               from,
                      gint64               to,
                      DcReplayProgress     progress,
                      gpointer             progress_data,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (client, cancellable, callback, user_data);
  /* whole seconds, rounded up, so that the last moments are in */
  g_autoptr(GDateTime) from_time = g_date_time_new_from_unix_utc ((from + G_USEC_PER_SEC - 1) /
                                                                  G_USEC_PER_SEC);
  g_autoptr(GDateTime) to_time = g_date_time_new_from_unix_utc ((to + G_USEC_PER_SEC - 1) /
                                                                G_USEC_PER_SEC);
  g_autofree char *from_text = g_date_time_format_iso8601 (from_time);
  g_autofree char *to_text = g_date_time_format_iso8601 (to_time);
  g_autofree char *path = g_strdup_printf ("/api/v1/history?from=%s&to=%s", from_text,
                                           to_text);
  Load *load = g_new0 (Load, 1);

  g_task_set_source_tag (task, dc_replay_load_async);
  load->client = g_object_ref (client);
  load->body = g_byte_array_new ();
  load->from = from_time != NULL ? g_date_time_to_unix (from_time) * G_USEC_PER_SEC : from;
  load->to = to_time != NULL ? g_date_time_to_unix (to_time) * G_USEC_PER_SEC : to;
  load->progress = progress;
  load->progress_data = progress_data;
  g_task_set_task_data (task, load, (GDestroyNotify) load_free);

  if (!(load->message = dc_client_new_message (client, SOUP_METHOD_GET, path)))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               _("“%s” is not a valid server address"),
                               dc_client_get_server_url (client));
      return;
    }
  soup_session_send_async (dc_client_get_soup_session (client), load->message,
                           G_PRIORITY_DEFAULT, cancellable, sent_cb, g_steal_pointer (&task));
}

DcReplayModel *
dc_replay_load_finish (GAsyncResult  *result,
                       GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}
