/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * URLs from users and operators: webhook targets (API input), SMTP_URL, and
 * DATABASE_URL as libpq parses it.
 */
#include <libpq-fe.h>

#include "dsd-mailer.h"
#include "dsd-webhook-target.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autofree char *url = g_strndup ((const char *) data, size);
  g_autoptr(GUri) webhook = NULL;
  g_autoptr(DsdMailer) mailer = NULL;
  PQconninfoOption *options;
  char *message = NULL;

  webhook = dsd_webhook_target_parse (url, NULL);
  mailer = dsd_mailer_new (url, "dispatch@example.org", NULL);

  options = PQconninfoParse (url, &message);
  g_clear_pointer (&options, PQconninfoFree);
  g_clear_pointer (&message, PQfreemem);

  return 0;
}
