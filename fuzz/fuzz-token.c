/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Bearer tokens (JWT, HS256) as every authenticated request presents them. */
#include "dsd-token-issuer.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  static DsdTokenIssuer *issuer;
  g_autofree char *token = g_strndup ((const char *) data, size);
  g_autoptr(GError) error = NULL;
  DsdPrincipal *principal;

  if (issuer == NULL)
    {
      g_autoptr(GBytes) secret = g_bytes_new_static ("fuzzing-secret-fuzzing-secret-0123", 34);
      g_autoptr(DsdClock) clock = dsd_clock_new_frozen ((gint64) 1700000000 * G_USEC_PER_SEC);

      issuer = dsd_token_issuer_new (clock, secret, 3600);
    }

  principal = dsd_token_issuer_verify (issuer, token, &error);
  g_assert ((principal == NULL) != (error == NULL));
  g_clear_pointer (&principal, dsd_principal_unref);

  return 0;
}
