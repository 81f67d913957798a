/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * DispatchError:
 * @DISPATCH_ERROR_INVALID_ARGUMENT: malformed or out-of-range input (400/422)
 * @DISPATCH_ERROR_UNAUTHENTICATED: missing or invalid credentials (401)
 * @DISPATCH_ERROR_PERMISSION_DENIED: the caller's role may never do this (403)
 * @DISPATCH_ERROR_NOT_FOUND: no such resource, or not visible to the caller (404)
 * @DISPATCH_ERROR_METHOD_NOT_ALLOWED: the path exists, the method does not (405)
 * @DISPATCH_ERROR_CONFLICT: the request conflicts with current state (409)
 * @DISPATCH_ERROR_INVALID_TRANSITION: an order status change the state machine forbids (409)
 * @DISPATCH_ERROR_INSUFFICIENT_INVENTORY: not enough stock to reserve (409)
 * @DISPATCH_ERROR_LENGTH_REQUIRED: a body without a length (411)
 * @DISPATCH_ERROR_PAYLOAD_TOO_LARGE: body over the limit (413)
 * @DISPATCH_ERROR_UNSUPPORTED_MEDIA_TYPE: body is not JSON (415)
 * @DISPATCH_ERROR_RATE_LIMITED: too many requests (429)
 * @DISPATCH_ERROR_INTERNAL: a bug or unexpected failure (500)
 * @DISPATCH_ERROR_UNAVAILABLE: a dependency is down or overloaded (503)
 * @DISPATCH_ERROR_UNPROCESSABLE: well-formed input whose value cannot be accepted,
 *   such as a location recorded in the future; wire code "invalid_argument" (422)
 * @DISPATCH_ERROR_GONE: existed but is no longer available, such as an expired
 *   public tracking link (410)
 *
 * The API's error codes. Each maps to one wire code string and one HTTP status,
 * and a #GError of this domain can carry the offending field's path.
 */
typedef enum {
  DISPATCH_ERROR_INVALID_ARGUMENT,
  DISPATCH_ERROR_UNAUTHENTICATED,
  DISPATCH_ERROR_PERMISSION_DENIED,
  DISPATCH_ERROR_NOT_FOUND,
  DISPATCH_ERROR_METHOD_NOT_ALLOWED,
  DISPATCH_ERROR_CONFLICT,
  DISPATCH_ERROR_INVALID_TRANSITION,
  DISPATCH_ERROR_INSUFFICIENT_INVENTORY,
  DISPATCH_ERROR_LENGTH_REQUIRED,
  DISPATCH_ERROR_PAYLOAD_TOO_LARGE,
  DISPATCH_ERROR_UNSUPPORTED_MEDIA_TYPE,
  DISPATCH_ERROR_RATE_LIMITED,
  DISPATCH_ERROR_INTERNAL,
  DISPATCH_ERROR_UNAVAILABLE,
  DISPATCH_ERROR_UNPROCESSABLE,
  DISPATCH_ERROR_GONE,
} DispatchError;

#define DISPATCH_ERROR (dispatch_error_quark ())

GQuark       dispatch_error_quark            (void);

const char  *dispatch_error_code_to_string   (DispatchError code);
gboolean     dispatch_error_code_from_string (const char   *str,
                                              DispatchError *code);
guint        dispatch_error_code_http_status (DispatchError code);

void         dispatch_set_field_error        (GError      **error,
                                              DispatchError code,
                                              const char   *field,
                                              const char   *format,
                                              ...) G_GNUC_PRINTF (4, 5);
const char  *dispatch_error_get_field        (const GError *error);
void         dispatch_error_set_field        (GError       *error,
                                              const char   *field);

G_END_DECLS
