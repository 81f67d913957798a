/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * argon2id password hashes (libsodium crypto_pwhash_str, interactive limits).
 * Hashing costs ~64 MiB and tens of milliseconds, so the async variants run on
 * a worker thread (GTask); the sync ones are for dispatchctl.
 */
gboolean dsd_password_init          (GError             **error);
char    *dsd_password_hash          (const char          *password,
                                     GError             **error);
gboolean dsd_password_verify        (const char          *hash,
                                     const char          *password);
void     dsd_password_hash_async    (const char          *password,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data);
char    *dsd_password_hash_finish   (GAsyncResult        *result,
                                     GError             **error);
/* hash may be NULL (no such user): a dummy hash is checked instead, so the
 * answer (FALSE) takes as long as for a wrong password. */
void     dsd_password_verify_async  (const char          *hash,
                                     const char          *password,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data);
gboolean dsd_password_verify_finish (GAsyncResult        *result);

G_END_DECLS
