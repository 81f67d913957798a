/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-notify"

#include "config.h"

#include <libsoup/soup.h>

#include "dsd-notify-error.h"
#include "dsd-webhook-sender.h"
#include "dsd-webhook-target.h"

/* The notifier keeps at most a few dozen deliveries in flight; a slow target
 * must not hold back the others. */
#define MAX_CONNS 64
#define MAX_CONNS_PER_HOST 16

struct _DsdWebhookSender {
  GObject      parent_instance;

  SoupSession *session;
  gboolean     allow_private;
};

G_DEFINE_FINAL_TYPE (DsdWebhookSender, dsd_webhook_sender, G_TYPE_OBJECT)

/* One attempt. Its own cancellable stops the request on the caller's
 * cancellation, the time limit and a refused peer address alike; the flags
 * tell them apart. */
typedef struct {
  SoupMessage  *message;
  GCancellable *cancellable;
  GCancellable *caller_cancellable;
  gulong        caller_handler;
  guint         timeout_source;
  gboolean      timed_out;
  GError       *refusal;
} Delivery;

static void
delivery_free (Delivery *delivery)
{
  g_clear_handle_id (&delivery->timeout_source, g_source_remove);
  if (delivery->caller_cancellable != NULL)
    g_cancellable_disconnect (delivery->caller_cancellable, delivery->caller_handler);
  g_clear_object (&delivery->caller_cancellable);
  g_clear_object (&delivery->cancellable);
  g_clear_object (&delivery->message);
  g_clear_error (&delivery->refusal);
  g_free (delivery);
}

static void
caller_cancelled_cb (GCancellable *caller,
                     GCancellable *own)
{
  g_cancellable_cancel (own);
}

static gboolean
timeout_cb (gpointer user_data)
{
  Delivery *delivery = user_data;

  delivery->timeout_source = 0;
  delivery->timed_out = TRUE;
  g_cancellable_cancel (delivery->cancellable);
  return G_SOURCE_REMOVE;
}

/* The peer of every new connection, before anything is written to it. */
static void
network_event_cb (SoupMessage        *message,
                  GSocketClientEvent  event,
                  GIOStream          *connection,
                  gpointer            user_data)
{
  GTask *task = user_data;
  DsdWebhookSender *self = g_task_get_source_object (task);
  Delivery *delivery = g_task_get_task_data (task);
  g_autoptr(GSocketAddress) remote = NULL;
  GError *error = NULL;

  if ((event != G_SOCKET_CLIENT_CONNECTING && event != G_SOCKET_CLIENT_CONNECTED) ||
      !G_IS_SOCKET_CONNECTION (connection) || delivery->refusal != NULL)
    return;

  remote = g_socket_connection_get_remote_address (G_SOCKET_CONNECTION (connection), NULL);
  if (!G_IS_INET_SOCKET_ADDRESS (remote))
    {
      if (event == G_SOCKET_CLIENT_CONNECTING)
        return;
      error = g_error_new_literal (DSD_NOTIFY_ERROR, DSD_NOTIFY_ERROR_FAILED,
                                   "peer address unknown");
    }
  else
    {
      GInetAddress *address = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (remote));

      if (dsd_webhook_target_check_address (address, self->allow_private, &error))
        return;
    }

  delivery->refusal = error;
  g_cancellable_cancel (delivery->cancellable);
}

static void
closed_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_input_stream_close_finish (G_INPUT_STREAM (source), result, NULL);
}

static void
sent_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Delivery *delivery = g_task_get_task_data (task);
  g_autoptr(GInputStream) stream = NULL;
  g_autoptr(GError) error = NULL;
  guint status;

  g_signal_handlers_disconnect_by_data (delivery->message, task);
  stream = soup_session_send_finish (SOUP_SESSION (source), result, &error);

  if (stream == NULL)
    {
      if (delivery->refusal != NULL)
        g_task_return_new_error (task, DSD_NOTIFY_ERROR, DSD_NOTIFY_ERROR_FAILED,
                                 "address refused: %s", delivery->refusal->message);
      else if (delivery->timed_out)
        g_task_return_new_error (task, DSD_NOTIFY_ERROR, DSD_NOTIFY_ERROR_FAILED,
                                 "timeout after %d s", DSD_WEBHOOK_TIMEOUT_S);
      else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_task_return_error (task, g_steal_pointer (&error));
      else
        g_task_return_new_error (task, DSD_NOTIFY_ERROR, DSD_NOTIFY_ERROR_FAILED,
                                 "%s", error->message);
      return;
    }

  /* The answer's body is of no interest, and reading it would let a target
   * make us buffer without bound. */
  g_input_stream_close_async (stream, G_PRIORITY_DEFAULT, NULL, closed_cb, NULL);

  status = soup_message_get_status (delivery->message);
  if (SOUP_STATUS_IS_SUCCESSFUL (status))
    g_task_return_boolean (task, TRUE);
  else if (SOUP_STATUS_IS_REDIRECTION (status))
    g_task_return_new_error (task, DSD_NOTIFY_ERROR, DSD_NOTIFY_ERROR_FAILED,
                             "HTTP %u (redirects are not followed)", status);
  else
    g_task_return_new_error (task, DSD_NOTIFY_ERROR, DSD_NOTIFY_ERROR_FAILED,
                             "HTTP %u", status);
}

static void
dsd_webhook_sender_dispose (GObject *object)
{
  DsdWebhookSender *self = DSD_WEBHOOK_SENDER (object);

  if (self->session != NULL)
    soup_session_abort (self->session);
  g_clear_object (&self->session);

  G_OBJECT_CLASS (dsd_webhook_sender_parent_class)->dispose (object);
}

static void
dsd_webhook_sender_class_init (DsdWebhookSenderClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = dsd_webhook_sender_dispose;
}

static void
dsd_webhook_sender_init (DsdWebhookSender *self)
{
  /* Direct connections only: through a proxy the peer address says nothing
   * about the target. */
  g_autoptr(GProxyResolver) direct = g_simple_proxy_resolver_new (NULL, NULL);

  self->session = soup_session_new_with_options ("timeout", DSD_WEBHOOK_TIMEOUT_S,
                                                 "max-conns", MAX_CONNS,
                                                 "max-conns-per-host", MAX_CONNS_PER_HOST,
                                                 "proxy-resolver", direct,
                                                 "user-agent", "dispatchd/" PACKAGE_VERSION,
                                                 NULL);
}

DsdWebhookSender *
dsd_webhook_sender_new (gboolean allow_private)
{
  DsdWebhookSender *self = g_object_new (DSD_TYPE_WEBHOOK_SENDER, NULL);

  self->allow_private = allow_private;
  return self;
}

void
dsd_webhook_sender_deliver_async (DsdWebhookSender    *self,
                                  const char          *url,
                                  const char          *secret,
                                  const char          *event_id,
                                  GBytes              *body,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *signature = NULL;
  SoupMessageHeaders *headers;
  Delivery *delivery;

  g_return_if_fail (DSD_IS_WEBHOOK_SENDER (self));
  g_return_if_fail (url != NULL && secret != NULL && event_id != NULL && body != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, dsd_webhook_sender_deliver_async);

  delivery = g_new0 (Delivery, 1);
  g_task_set_task_data (task, delivery, (GDestroyNotify) delivery_free);

  delivery->message = soup_message_new ("POST", url);
  if (delivery->message == NULL)
    {
      g_task_return_new_error (task, DSD_NOTIFY_ERROR, DSD_NOTIFY_ERROR_REJECTED,
                               "invalid URL");
      return;
    }

  soup_message_add_flags (delivery->message, SOUP_MESSAGE_NO_REDIRECT);
  signature = dsd_webhook_sign (secret, body);
  headers = soup_message_get_request_headers (delivery->message);
  soup_message_headers_replace (headers, "X-Dispatch-Signature", signature);
  soup_message_headers_replace (headers, "X-Dispatch-Event-Id", event_id);
  soup_message_set_request_body_from_bytes (delivery->message, "application/json", body);

  delivery->cancellable = g_cancellable_new ();
  if (cancellable != NULL)
    {
      delivery->caller_cancellable = g_object_ref (cancellable);
      delivery->caller_handler = g_cancellable_connect (cancellable,
                                                        G_CALLBACK (caller_cancelled_cb),
                                                        delivery->cancellable, NULL);
    }
  delivery->timeout_source = g_timeout_add_seconds (DSD_WEBHOOK_TIMEOUT_S, timeout_cb, delivery);
  g_signal_connect (delivery->message, "network-event", G_CALLBACK (network_event_cb), task);

  soup_session_send_async (self->session, delivery->message, G_PRIORITY_DEFAULT,
                           delivery->cancellable, sent_cb, g_steal_pointer (&task));
}

gboolean
dsd_webhook_sender_deliver_finish (DsdWebhookSender  *self,
                                   GAsyncResult      *result,
                                   GError           **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

char *
dsd_webhook_sign (const char *secret,
                  GBytes     *body)
{
  g_autoptr(GBytes) key = g_bytes_new_static (secret, strlen (secret));
  g_autofree char *hex = g_compute_hmac_for_bytes (G_CHECKSUM_SHA256, key, body);

  return g_strconcat ("sha256=", hex, NULL);
}
