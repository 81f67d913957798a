/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define DSD_WEBHOOK_TIMEOUT_S 10

/*
 * Delivers one webhook request (docs/openapi.json, tag Webhooks): a POST of the envelope
 * bytes as they are, Content-Type application/json, X-Dispatch-Event-Id and
 * X-Dispatch-Signature "sha256=<hex HMAC-SHA256 of the body keyed with the
 * secret>". Any 2xx is success. Redirects are not followed, no proxy is used,
 * and each new connection's peer address is checked against the target
 * policy (dsd-webhook-target.h) before the request is written, so a host name
 * that resolves elsewhere since registration (DNS rebinding) gets nothing.
 * The whole attempt is bounded by DSD_WEBHOOK_TIMEOUT_S.
 *
 * Errors: DSD_NOTIFY_ERROR_FAILED with a short description for the delivery
 * record ("HTTP 500", "timeout after 10 s", "address refused: …", libsoup's or
 * GIO's message), or G_IO_ERROR_CANCELLED. Main thread only.
 */
#define DSD_TYPE_WEBHOOK_SENDER (dsd_webhook_sender_get_type ())
G_DECLARE_FINAL_TYPE (DsdWebhookSender, dsd_webhook_sender, DSD, WEBHOOK_SENDER, GObject)

DsdWebhookSender *dsd_webhook_sender_new            (gboolean             allow_private);
void              dsd_webhook_sender_deliver_async  (DsdWebhookSender    *self,
                                                     const char          *url,
                                                     const char          *secret,
                                                     const char          *event_id,
                                                     GBytes              *body,
                                                     GCancellable        *cancellable,
                                                     GAsyncReadyCallback  callback,
                                                     gpointer             user_data);
gboolean          dsd_webhook_sender_deliver_finish (DsdWebhookSender    *self,
                                                     GAsyncResult        *result,
                                                     GError             **error);

/* "sha256=" and the lowercase hex HMAC-SHA256 of body keyed with the secret's bytes. */
char             *dsd_webhook_sign                  (const char          *secret,
                                                     GBytes              *body);

G_END_DECLS
