/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <string.h>

#include "dispatch-email.h"
#include "dispatch-limits.h"

/**
 * dispatch_email_address_is_valid:
 * @address: (nullable): an e-mail address
 *
 * The one rule for e-mail addresses: the order intake accepts exactly the
 * addresses the mailer can write into a header safely. "local@domain" in
 * UTF-8, at most %DISPATCH_EMAIL_MAX_LENGTH bytes, with no whitespace,
 * controls, quotes, angle brackets or other header specials.
 *
 * Returns: %TRUE if @address is one
 */
gboolean
dispatch_email_address_is_valid (const char *address)
{
  const char *at;

  if (address == NULL || strlen (address) > DISPATCH_EMAIL_MAX_LENGTH ||
      !g_utf8_validate (address, -1, NULL))
    return FALSE;

  for (const char *c = address; *c != '\0'; c++)
    {
      if (g_ascii_iscntrl (*c) || strchr (" \"<>(),;:\\[]", *c) != NULL)
        return FALSE;
    }

  at = strrchr (address, '@');
  return at != NULL && at != address && at[1] != '\0';
}
