/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/*
 * The e-mail a customer gets about their order, built with GMime: MIME 1.0,
 * multipart/alternative with a plain text and a simple HTML part (UTF-8,
 * base64), RFC 2047 encoded words where a header needs them, Date,
 * Message-ID and the public tracking link.
 * Texts are translatable (gettext domain GETTEXT_PACKAGE, the server's locale).
 *
 * template: created | assigned | picked_up | delivered | cancelled | failed
 * order: the order object of the event (contact.name, status_reason and
 *   delivery_pin, which the notifier adds while the delivery wants its PIN,
 *   are used)
 * from: DISPATCH_MAIL_FROM, "addr@example.org" or "Name <addr@example.org>"
 *
 * Errors: DSD_NOTIFY_ERROR_REJECTED for an unknown template or an address
 * that is not valid (dispatch_email_address_is_valid()).
 */
GBytes   *dsd_mail_message_build       (const char  *template_name,
                                        JsonObject  *order,
                                        const char  *from,
                                        const char  *to,
                                        const char  *tracking_url,
                                        GError     **error);

/* The address of "addr" or "Name <addr>" (one RFC 5322 mailbox); NULL if it
 * is none or dispatch_email_address_is_valid() refuses it. */
char     *dsd_mail_mailbox_address     (const char  *mailbox);

/*
 * An order e-mail still to be built, for a worker thread: the event envelope
 * it is about, the template, the recipient, the public URL and the order's
 * delivery PIN (nullable), copied on creation and never changed, so that
 * whichever thread builds it shares nothing. dsd_mail_draft_build() parses
 * the envelope, adds the PIN to the order ("delivery_pin"), links the
 * order's tracking page (<public_url>/track/<token>) and builds the message
 * with dsd_mail_message_build(). Errors: those of the envelope's parsing,
 * DSD_NOTIFY_ERROR_REJECTED for an order without a tracking token and as
 * dsd_mail_message_build().
 */
typedef struct _DsdMailDraft DsdMailDraft;

DsdMailDraft *dsd_mail_draft_new    (const char    *template_name,
                                     const char    *envelope,
                                     gsize          length,
                                     const char    *to,
                                     const char    *public_url,
                                     const char    *delivery_pin);
void          dsd_mail_draft_free   (DsdMailDraft  *draft);
const char   *dsd_mail_draft_get_to (DsdMailDraft  *draft);
GBytes       *dsd_mail_draft_build  (DsdMailDraft  *draft,
                                     const char    *from,
                                     GError       **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DsdMailDraft, dsd_mail_draft_free)

G_END_DECLS
