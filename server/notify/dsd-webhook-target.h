/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * Where webhooks may point (docs/openapi.json, tag Webhooks): http and https URLs without
 * credentials whose host's addresses are all acceptable. Link-local and
 * cloud-metadata addresses (169.254.0.0/16, fe80::/10), unspecified,
 * multicast and broadcast addresses are always refused; loopback and private
 * ranges (127.0.0.0/8, ::1, 10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7)
 * only pass with allow_private. IPv6 forms of an IPv4 address count as that
 * address: IPv4-compatible (::a.b.c.d), mapped (::ffff:0:0/96), NAT64
 * (64:ff9b::/96; the local-use 64:ff9b:1::/48 is private), 6to4 (2002::/16)
 * and Teredo (2001::/32, its server and its client address).
 *
 * Every error is DISPATCH_ERROR_INVALID_ARGUMENT on field "url", worded for
 * the API client.
 */

/* Checks the URL's form. Returns: (transfer full): the parsed URL. */
GUri     *dsd_webhook_target_parse          (const char          *url,
                                             GError             **error);
gboolean  dsd_webhook_target_check_address  (GInetAddress        *address,
                                             gboolean             allow_private,
                                             GError             **error);
/* Resolves the host of a URL from dsd_webhook_target_parse() (no lookup for
 * an address literal) and checks every address it has. */
void      dsd_webhook_target_resolve_async  (GUri                *uri,
                                             gboolean             allow_private,
                                             GCancellable        *cancellable,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data);
gboolean  dsd_webhook_target_resolve_finish (GAsyncResult        *result,
                                             GError             **error);

G_END_DECLS
