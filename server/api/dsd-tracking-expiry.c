/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-api"

#include "dispatch-error.h"
#include "dispatch-json.h"
#include "dsd-tracking-expiry.h"

gboolean
dsd_tracking_expiry_check (const char  *text,
                           gsize        length,
                           gint64       now_us,
                           guint        expiry_s,
                           GError     **error)
{
  g_autoptr(JsonObject) tracking = dispatch_json_parse_object (text, length, NULL);
  gint64 ended_us = 0;

  /* The server's own rendering: without a valid "ended_at" it has not ended. */
  if (tracking == NULL ||
      !dispatch_json_get_timestamp (tracking, NULL, "ended_at", DISPATCH_JSON_NULLABLE,
                                    &ended_us, NULL) ||
      ended_us == 0 || now_us - ended_us < (gint64) expiry_s * G_USEC_PER_SEC)
    return TRUE;

  g_set_error_literal (error, DISPATCH_ERROR, DISPATCH_ERROR_GONE,
                       "this tracking link has expired: the delivery has ended");
  return FALSE;
}
