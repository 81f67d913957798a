/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The access token in the user's keyring, keyed by server and username. */
void   dc_credentials_store_async  (const char          *server_url,
                                    const char          *username,
                                    const char          *token,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data);
gboolean dc_credentials_store_finish (GAsyncResult      *result,
                                    GError             **error);
void   dc_credentials_lookup_async (const char          *server_url,
                                    const char          *username,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data);
/* Returns: (transfer full) (nullable): the token, NULL when none is kept */
char  *dc_credentials_lookup_finish (GAsyncResult       *result,
                                    GError             **error);
void   dc_credentials_clear_async  (const char          *server_url,
                                    const char          *username,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data);
gboolean dc_credentials_clear_finish (GAsyncResult      *result,
                                    GError             **error);

G_END_DECLS
