/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include <dispatch-error.h>

#include "dc-download.h"

#define ERROR_BODY_MAX (64 * 1024)

typedef struct
{
  SoupMessage *message;
  GInputStream *body;
  GFile *file;
  GOutputStream *out;
} Download;

static void
download_free (Download *download)
{
  g_clear_object (&download->message);
  g_clear_object (&download->body);
  g_clear_object (&download->file);
  g_clear_object (&download->out);
  g_free (download);
}

/* Closes the file without committing it, and removes what was written. */
static void
download_fail (GTask  *task,
               GError *error)
{
  Download *download = g_task_get_task_data (task);

  if (download->out != NULL)
    {
      g_autoptr(GCancellable) abort = g_cancellable_new ();

      g_cancellable_cancel (abort);
      g_output_stream_close (download->out, abort, NULL);
      g_file_delete (download->file, NULL, NULL);
    }
  g_task_return_error (task, error);
}

static void
download_closed_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!g_output_stream_close_finish (G_OUTPUT_STREAM (object), result, &error))
    download_fail (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

/* The file is committed only once the whole body is in: a cut connection
 * (the server's sign of a failed export) fails the splice first. */
static void
download_spliced_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (g_output_stream_splice_finish (G_OUTPUT_STREAM (object), result, &error) < 0)
    download_fail (task, error);
  else
    g_output_stream_close_async (G_OUTPUT_STREAM (object), G_PRIORITY_DEFAULT,
                                 g_task_get_cancellable (task), download_closed_cb,
                                 g_object_ref (task));
}

static void
download_opened_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Download *download = g_task_get_task_data (task);
  GError *error = NULL;

  download->out = G_OUTPUT_STREAM (g_file_replace_finish (G_FILE (object), result, &error));
  if (download->out == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  g_output_stream_splice_async (download->out, download->body,
                                G_OUTPUT_STREAM_SPLICE_CLOSE_SOURCE,
                                G_PRIORITY_DEFAULT, g_task_get_cancellable (task),
                                download_spliced_cb, g_object_ref (task));
}

static void
download_error_body_cb (GObject      *object,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Download *download = g_task_get_task_data (task);
  g_autoptr(GBytes) bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (object), result,
                                                              NULL);

  if (bytes == NULL)
    bytes = g_bytes_new (NULL, 0);
  g_task_return_error (task, dc_client_error_from_response (download->message, bytes));
}

static void
download_sent_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  DcClient *client = g_task_get_source_object (task);
  Download *download = g_task_get_task_data (task);
  GError *error = NULL;
  guint status;

  download->body = soup_session_send_finish (SOUP_SESSION (object), result, &error);
  if (download->body == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  status = soup_message_get_status (download->message);
  if (!SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      if (status == SOUP_STATUS_UNAUTHORIZED)
        dc_client_expire (client);
      g_input_stream_read_bytes_async (download->body, ERROR_BODY_MAX, G_PRIORITY_DEFAULT,
                                       g_task_get_cancellable (task), download_error_body_cb,
                                       g_object_ref (task));
      return;
    }

  g_file_replace_async (download->file, NULL, FALSE, G_FILE_CREATE_REPLACE_DESTINATION,
                        G_PRIORITY_DEFAULT, g_task_get_cancellable (task), download_opened_cb,
                        g_object_ref (task));
}

void
dc_download_async (DcClient            *client,
                   const char          *path,
                   GFile               *file,
                   GCancellable        *cancellable,
                   GAsyncReadyCallback  callback,
                   gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Download *download;

  g_return_if_fail (DC_IS_CLIENT (client));
  g_return_if_fail (path != NULL && path[0] == '/');
  g_return_if_fail (G_IS_FILE (file));

  task = g_task_new (client, cancellable, callback, user_data);
  g_task_set_source_tag (task, dc_download_async);
  if (!dc_client_get_authenticated (client))
    {
      g_task_return_new_error (task, DISPATCH_ERROR, DISPATCH_ERROR_UNAUTHENTICATED,
                               _("Not signed in"));
      return;
    }

  download = g_new0 (Download, 1);
  download->file = g_object_ref (file);
  g_task_set_task_data (task, download, (GDestroyNotify) download_free);
  if ((download->message = dc_client_new_message (client, SOUP_METHOD_GET, path)) == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               _("“%s” is not a valid server address"),
                               dc_client_get_server_url (client));
      return;
    }
  soup_session_send_async (dc_client_get_soup_session (client), download->message,
                           G_PRIORITY_DEFAULT, cancellable, download_sent_cb,
                           g_steal_pointer (&task));
}

gboolean
dc_download_finish (DcClient      *client,
                    GAsyncResult  *result,
                    GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, client), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
