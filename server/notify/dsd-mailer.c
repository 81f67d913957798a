/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-notify"

#include <curl/curl.h>

#include "dsd-mail-message.h"
#include "dsd-mailer.h"
#include "dsd-notify-error.h"

#define CONNECT_TIMEOUT_S 10

struct _DsdMailer {
  GObject  parent_instance;

  char    *url;            /* with credentials: for curl only */
  char    *server;         /* without: for logs */
  char    *from;
  char    *from_address;

  GQueue   waiting;        /* GTask *: sends beyond DSD_MAILER_MAX_THREADS */
  guint    n_running;
};

G_DEFINE_FINAL_TYPE (DsdMailer, dsd_mailer, G_TYPE_OBJECT)

/* What a worker thread needs, copied so that it shares nothing mutable. */
typedef struct {
  char         *url;
  char         *from;
  char         *from_address;
  DsdMailDraft *draft;
  GBytes       *message;        /* built by the worker */
  gsize         offset;
  GCancellable *cancellable;
} Send;

static void
send_free (Send *send)
{
  g_free (send->url);
  g_free (send->from);
  g_free (send->from_address);
  dsd_mail_draft_free (send->draft);
  g_clear_pointer (&send->message, g_bytes_unref);
  g_clear_object (&send->cancellable);
  g_free (send);
}

static void start_next (DsdMailer *self);

static size_t
read_cb (char   *buffer,
         size_t  size,
         size_t  n_items,
         void   *user_data)
{
  Send *send = user_data;
  gsize length;
  const char *data = g_bytes_get_data (send->message, &length);
  gsize n = MIN (size * n_items, length - send->offset);

  memcpy (buffer, data + send->offset, n);
  send->offset += n;
  return n;
}

static int
progress_cb (void       *user_data,
             curl_off_t  dltotal,
             curl_off_t  dlnow,
             curl_off_t  ultotal,
             curl_off_t  ulnow)
{
  Send *send = user_data;

  return g_cancellable_is_cancelled (send->cancellable) ? 1 : 0;
}

/* Worker thread: the message, then one SMTP transaction. */
static void
send_in_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  Send *send = task_data;
  char error_text[CURL_ERROR_SIZE] = "";
  struct curl_slist *recipients = NULL;
  CURL *curl = NULL;
  GError *error = NULL;
  long response = 0;
  CURLcode code;

  send->message = dsd_mail_draft_build (send->draft, send->from, &error);
  if (send->message == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  curl = curl_easy_init ();
  if (curl == NULL)
    {
      g_task_return_new_error (task, DSD_NOTIFY_ERROR, DSD_NOTIFY_ERROR_FAILED,
                               "SMTP: cannot create a transfer");
      return;
    }

  recipients = curl_slist_append (recipients, dsd_mail_draft_get_to (send->draft));
  curl_easy_setopt (curl, CURLOPT_URL, send->url);
  curl_easy_setopt (curl, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  curl_easy_setopt (curl, CURLOPT_USE_SSL, (long) CURLUSESSL_TRY);
  curl_easy_setopt (curl, CURLOPT_MAIL_FROM, send->from_address);
  curl_easy_setopt (curl, CURLOPT_MAIL_RCPT, recipients);
  curl_easy_setopt (curl, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt (curl, CURLOPT_READFUNCTION, read_cb);
  curl_easy_setopt (curl, CURLOPT_READDATA, send);
  curl_easy_setopt (curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t) g_bytes_get_size (send->message));
  curl_easy_setopt (curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt (curl, CURLOPT_CONNECTTIMEOUT, (long) CONNECT_TIMEOUT_S);
  curl_easy_setopt (curl, CURLOPT_TIMEOUT, (long) DSD_MAIL_TIMEOUT_S);
  curl_easy_setopt (curl, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt (curl, CURLOPT_XFERINFOFUNCTION, progress_cb);
  curl_easy_setopt (curl, CURLOPT_XFERINFODATA, send);
  curl_easy_setopt (curl, CURLOPT_ERRORBUFFER, error_text);

  code = curl_easy_perform (curl);
  curl_easy_getinfo (curl, CURLINFO_RESPONSE_CODE, &response);
  curl_slist_free_all (recipients);
  curl_easy_cleanup (curl);

  if (code == CURLE_OK)
    g_task_return_boolean (task, TRUE);
  else if (code == CURLE_ABORTED_BY_CALLBACK)
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "cancelled");
  else
    g_task_return_new_error (task, DSD_NOTIFY_ERROR,
                             response >= 500 && response < 600 ? DSD_NOTIFY_ERROR_REJECTED
                                                               : DSD_NOTIFY_ERROR_FAILED,
                             response > 0 ? "SMTP: %s (reply %ld)" : "SMTP: %s",
                             *error_text != '\0' ? error_text : curl_easy_strerror (code),
                             response);
}

/* Main thread: a worker finished; hand its result on and start a waiting send. */
static void
thread_done_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  DsdMailer *self = DSD_MAILER (source);
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  self->n_running--;
  if (g_task_propagate_boolean (G_TASK (result), &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);

  start_next (self);
}

static void
start_next (DsdMailer *self)
{
  while (self->n_running < DSD_MAILER_MAX_THREADS && !g_queue_is_empty (&self->waiting))
    {
      g_autoptr(GTask) task = g_queue_pop_head (&self->waiting);
      g_autoptr(GTask) worker = NULL;
      Send *send = g_task_get_task_data (task);

      if (g_task_return_error_if_cancelled (task))
        continue;

      /* The caller's task, and with it send, lives until thread_done_cb. */
      worker = g_task_new (self, NULL, thread_done_cb, g_object_ref (task));
      g_task_set_source_tag (worker, send_in_thread);
      g_task_set_task_data (worker, send, NULL);
      self->n_running++;
      g_task_run_in_thread (worker, send_in_thread);
    }
}

static void
dsd_mailer_finalize (GObject *object)
{
  DsdMailer *self = DSD_MAILER (object);

  g_assert (g_queue_is_empty (&self->waiting));
  g_free (self->url);
  g_free (self->server);
  g_free (self->from);
  g_free (self->from_address);

  G_OBJECT_CLASS (dsd_mailer_parent_class)->finalize (object);
}

static void
dsd_mailer_class_init (DsdMailerClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = dsd_mailer_finalize;
}

static void
dsd_mailer_init (DsdMailer *self)
{
  g_queue_init (&self->waiting);
}

DsdMailer *
dsd_mailer_new (const char  *smtp_url,
                const char  *from,
                GError     **error)
{
  static gsize curl_initialized = 0;
  g_autoptr(GUri) uri = NULL;
  g_autofree char *from_address = NULL;
  DsdMailer *self;
  const char *scheme;

  g_return_val_if_fail (smtp_url != NULL && from != NULL, NULL);

  uri = g_uri_parse (smtp_url, G_URI_FLAGS_HAS_PASSWORD | G_URI_FLAGS_ENCODED, NULL);
  scheme = uri != NULL ? g_uri_get_scheme (uri) : NULL;
  if (scheme == NULL || (!g_str_equal (scheme, "smtp") && !g_str_equal (scheme, "smtps")) ||
      g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0')
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           "SMTP_URL must be smtp://[user:pass@]host:port or smtps://…");
      return NULL;
    }

  from_address = dsd_mail_mailbox_address (from);
  if (from_address == NULL || strpbrk (from, "\r\n") != NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "DISPATCH_MAIL_FROM “%s” is not an e-mail address", from);
      return NULL;
    }

  /* curl_global_init must run once, before any thread uses curl. */
  if (g_once_init_enter (&curl_initialized))
    g_once_init_leave (&curl_initialized, curl_global_init (CURL_GLOBAL_DEFAULT) + 1);

  self = g_object_new (DSD_TYPE_MAILER, NULL);
  self->url = g_strdup (smtp_url);
  self->server = g_uri_to_string_partial (uri, G_URI_HIDE_USERINFO);
  self->from = g_strdup (from);
  self->from_address = g_steal_pointer (&from_address);

  return self;
}

const char *
dsd_mailer_get_from (DsdMailer *self)
{
  g_return_val_if_fail (DSD_IS_MAILER (self), NULL);

  return self->from;
}

const char *
dsd_mailer_get_server (DsdMailer *self)
{
  g_return_val_if_fail (DSD_IS_MAILER (self), NULL);

  return self->server;
}

void
dsd_mailer_send_async (DsdMailer           *self,
                       DsdMailDraft        *draft,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Send *send;

  g_return_if_fail (DSD_IS_MAILER (self));
  g_return_if_fail (draft != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, dsd_mailer_send_async);

  send = g_new0 (Send, 1);
  send->url = g_strdup (self->url);
  send->from = g_strdup (self->from);
  send->from_address = g_strdup (self->from_address);
  send->draft = draft;
  send->cancellable = cancellable != NULL ? g_object_ref (cancellable) : g_cancellable_new ();
  g_task_set_task_data (task, send, (GDestroyNotify) send_free);

  g_queue_push_tail (&self->waiting, g_steal_pointer (&task));
  start_next (self);
}

gboolean
dsd_mailer_send_finish (DsdMailer     *self,
                        GAsyncResult  *result,
                        GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
