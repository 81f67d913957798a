/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <libsecret/secret.h>

#include "dc-credentials.h"

static const SecretSchema *
token_schema (void)
{
  static const SecretSchema schema = {
    APPLICATION_ID ".Token", SECRET_SCHEMA_NONE,
    {
      { "server", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { "username", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { NULL, 0 },
    },
    0, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  };

  return &schema;
}

void
dc_credentials_store_async (const char          *server_url,
                            const char          *username,
                            const char          *token,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autofree char *label = NULL;

  /* Translators: the label of the keyring item, e.g. "Dispatch token for
   * anna on https://dispatch.example.com" */
  label = g_strdup_printf (_("Dispatch token for %s on %s"), username, server_url);
  secret_password_store (token_schema (), SECRET_COLLECTION_DEFAULT, label, token,
                         cancellable, callback, user_data,
                         "server", server_url, "username", username, NULL);
}

gboolean
dc_credentials_store_finish (GAsyncResult  *result,
                             GError       **error)
{
  return secret_password_store_finish (result, error);
}

void
dc_credentials_lookup_async (const char          *server_url,
                             const char          *username,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  secret_password_lookup (token_schema (), cancellable, callback, user_data,
                          "server", server_url, "username", username, NULL);
}

char *
dc_credentials_lookup_finish (GAsyncResult  *result,
                              GError       **error)
{
  return secret_password_lookup_finish (result, error);
}

void
dc_credentials_clear_async (const char          *server_url,
                            const char          *username,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  secret_password_clear (token_schema (), cancellable, callback, user_data,
                         "server", server_url, "username", username, NULL);
}

gboolean
dc_credentials_clear_finish (GAsyncResult  *result,
                             GError       **error)
{
  return secret_password_clear_finish (result, error);
}
