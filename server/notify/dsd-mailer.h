/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "dsd-mail-message.h"

G_BEGIN_DECLS

#define DSD_MAIL_TIMEOUT_S 30

/*
 * Sends order e-mails over SMTP (SMTP_URL: smtp://[user:pass@]host:port,
 * STARTTLS when the server offers it, or smtps:// for TLS from the start;
 * credentials percent-encoded) with libcurl. Each send builds its message
 * (dsd_mail_draft_build(), GMime) and runs curl's blocking transfer on a
 * GTask worker thread, so that neither runs on the main loop: at most
 * DSD_MAILER_MAX_THREADS at once, the rest waiting in a queue on the main
 * thread and started in the order they came; each transfer bounded by
 * DSD_MAIL_TIMEOUT_S, and stopped early when cancelled.
 *
 * Errors: DSD_NOTIFY_ERROR_REJECTED when the message cannot be built (see
 * dsd_mail_draft_build()) or the server refused it for good (5xx),
 * DSD_NOTIFY_ERROR_FAILED for anything worth retrying, G_IO_ERROR_CANCELLED.
 * The API is main-thread only.
 */
#define DSD_MAILER_MAX_THREADS 4

#define DSD_TYPE_MAILER (dsd_mailer_get_type ())
G_DECLARE_FINAL_TYPE (DsdMailer, dsd_mailer, DSD, MAILER, GObject)

/* from: the From mailbox ("addr" or "Name <addr>"); G_IO_ERROR_INVALID_ARGUMENT
 * when the URL or the sender is not usable. */
DsdMailer  *dsd_mailer_new         (const char          *smtp_url,
                                    const char          *from,
                                    GError             **error);
const char *dsd_mailer_get_from    (DsdMailer           *self);
/* The server, without credentials, for logs. */
const char *dsd_mailer_get_server  (DsdMailer           *self);
/* Takes draft. */
void        dsd_mailer_send_async  (DsdMailer           *self,
                                    DsdMailDraft        *draft,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data);
gboolean    dsd_mailer_send_finish (DsdMailer           *self,
                                    GAsyncResult        *result,
                                    GError             **error);

G_END_DECLS
