/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * DsdNotifyError:
 * @DSD_NOTIFY_ERROR_FAILED: this attempt failed (timeout, refused connection,
 *   non-2xx answer, temporary SMTP failure): worth retrying
 * @DSD_NOTIFY_ERROR_REJECTED: the notification can never be delivered as it is
 *   (malformed recipient, permanent SMTP refusal, event gone): no retry
 *
 * How a notification attempt failed; the message is what the delivery record
 * shows as last_error.
 */
typedef enum {
  DSD_NOTIFY_ERROR_FAILED,
  DSD_NOTIFY_ERROR_REJECTED,
} DsdNotifyError;

#define DSD_NOTIFY_ERROR (dsd_notify_error_quark ())

GQuark dsd_notify_error_quark (void);

G_END_DECLS
