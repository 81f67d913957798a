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

G_END_DECLS
