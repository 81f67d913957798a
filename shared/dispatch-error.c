/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "dispatch-error.h"

typedef struct {
  char *field;
} DispatchErrorPrivate;

static void
dispatch_error_private_init (DispatchErrorPrivate *priv)
{
  priv->field = NULL;
}

static void
dispatch_error_private_copy (const DispatchErrorPrivate *src,
                             DispatchErrorPrivate       *dest)
{
  dest->field = g_strdup (src->field);
}

static void
dispatch_error_private_clear (DispatchErrorPrivate *priv)
{
  g_clear_pointer (&priv->field, g_free);
}

G_DEFINE_EXTENDED_ERROR (DispatchError, dispatch_error)

static const struct {
  const char *code;
  guint status;
} error_table[] = {
  [DISPATCH_ERROR_INVALID_ARGUMENT] = { "invalid_argument", 400 },
  [DISPATCH_ERROR_UNAUTHENTICATED] = { "unauthenticated", 401 },
  [DISPATCH_ERROR_PERMISSION_DENIED] = { "permission_denied", 403 },
  [DISPATCH_ERROR_NOT_FOUND] = { "not_found", 404 },
  [DISPATCH_ERROR_METHOD_NOT_ALLOWED] = { "method_not_allowed", 405 },
  [DISPATCH_ERROR_CONFLICT] = { "conflict", 409 },
  [DISPATCH_ERROR_INVALID_TRANSITION] = { "invalid_transition", 409 },
  [DISPATCH_ERROR_INSUFFICIENT_INVENTORY] = { "insufficient_inventory", 409 },
  [DISPATCH_ERROR_LENGTH_REQUIRED] = { "length_required", 411 },
  [DISPATCH_ERROR_PAYLOAD_TOO_LARGE] = { "payload_too_large", 413 },
  [DISPATCH_ERROR_UNSUPPORTED_MEDIA_TYPE] = { "unsupported_media_type", 415 },
  [DISPATCH_ERROR_RATE_LIMITED] = { "rate_limited", 429 },
  [DISPATCH_ERROR_INTERNAL] = { "internal", 500 },
  [DISPATCH_ERROR_UNAVAILABLE] = { "unavailable", 503 },
  [DISPATCH_ERROR_UNPROCESSABLE] = { "invalid_argument", 422 },
  [DISPATCH_ERROR_GONE] = { "gone", 410 },
};

/**
 * dispatch_error_code_to_string:
 * @code: an error code
 *
 * Returns: (transfer none): the wire name of @code, e.g. `"not_found"`
 */
const char *
dispatch_error_code_to_string (DispatchError code)
{
  if ((guint) code >= G_N_ELEMENTS (error_table))
    return "internal";
  return error_table[code].code;
}

/**
 * dispatch_error_code_from_string:
 * @str: a wire error code
 * @code: (out): where to store the code
 *
 * Returns: %TRUE if @str names a known code
 */
gboolean
dispatch_error_code_from_string (const char    *str,
                                 DispatchError *code)
{
  g_return_val_if_fail (code != NULL, FALSE);

  if (str == NULL)
    return FALSE;

  for (guint i = 0; i < G_N_ELEMENTS (error_table); i++)
    {
      if (g_str_equal (str, error_table[i].code))
        {
          *code = i;
          return TRUE;
        }
    }

  return FALSE;
}

/**
 * dispatch_error_code_http_status:
 * @code: an error code
 *
 * Returns: the HTTP status the API answers @code with
 */
guint
dispatch_error_code_http_status (DispatchError code)
{
  if ((guint) code >= G_N_ELEMENTS (error_table))
    return 500;
  return error_table[code].status;
}

/**
 * dispatch_set_field_error:
 * @error: (nullable): return location for a #GError
 * @code: the error code
 * @field: (nullable): dotted path of the offending input field, e.g. `"pickup.lat"`
 * @format: printf-style message, shown to API clients
 *
 * Sets @error to a %DISPATCH_ERROR carrying @field.
 */
void
dispatch_set_field_error (GError        **error,
                          DispatchError   code,
                          const char     *field,
                          const char     *format,
                          ...)
{
  g_autofree char *message = NULL;
  GError *new_error;
  va_list args;

  if (error == NULL)
    return;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  new_error = g_error_new_literal (DISPATCH_ERROR, code, message);
  dispatch_error_set_field (new_error, field);
  g_propagate_error (error, new_error);
}

/**
 * dispatch_error_get_field:
 * @error: a #GError
 *
 * Returns: (nullable) (transfer none): the field path of a %DISPATCH_ERROR, if any
 */
const char *
dispatch_error_get_field (const GError *error)
{
  g_return_val_if_fail (error != NULL, NULL);

  if (error->domain != DISPATCH_ERROR)
    return NULL;

  return dispatch_error_get_private (error)->field;
}

/**
 * dispatch_error_set_field:
 * @error: a %DISPATCH_ERROR
 * @field: (nullable): dotted path of the offending field
 */
void
dispatch_error_set_field (GError     *error,
                          const char *field)
{
  DispatchErrorPrivate *priv;

  g_return_if_fail (error != NULL);
  g_return_if_fail (error->domain == DISPATCH_ERROR);

  priv = dispatch_error_get_private (error);
  g_free (priv->field);
  priv->field = g_strdup (field);
}
