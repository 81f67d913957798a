/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <string.h>

#include "dispatch-error.h"
#include "dispatch-limits.h"
#include "dispatch-username.h"

/**
 * dispatch_username_validate:
 * @username: a user name
 * @error: DISPATCH_ERROR_INVALID_ARGUMENT on field "username"
 *
 * The one rule for user names, of the API and of dispatchctl: 1 to
 * %DISPATCH_USERNAME_MAX_LENGTH ASCII letters, digits and . _ @ -.
 *
 * Returns: %TRUE if @username is one
 */
gboolean
dispatch_username_validate (const char  *username,
                            GError     **error)
{
  g_return_val_if_fail (username != NULL, FALSE);

  for (const char *c = username; *c != '\0'; c++)
    {
      if (!g_ascii_isalnum (*c) && strchr ("._@-", *c) == NULL)
        {
          dispatch_set_field_error (error, DISPATCH_ERROR_INVALID_ARGUMENT, "username",
                                    "username may contain letters, digits and . _ @ - only");
          return FALSE;
        }
    }

  if (*username == '\0' || strlen (username) > DISPATCH_USERNAME_MAX_LENGTH)
    {
      dispatch_set_field_error (error, DISPATCH_ERROR_INVALID_ARGUMENT, "username",
                                "username must be 1 to %d characters",
                                DISPATCH_USERNAME_MAX_LENGTH);
      return FALSE;
    }

  return TRUE;
}
