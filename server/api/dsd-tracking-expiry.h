/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * Public tracking links end (docs/windows.md): the public tracking object
 * stops carrying the driver when the order ends ("ended_at"), and
 * DISPATCH_TRACKING_EXPIRY_S after that the link answers 410 Gone.
 *
 * text: a public tracking object. FALSE with DISPATCH_ERROR_GONE when its
 * order ended at least expiry_s before now_us.
 */
gboolean dsd_tracking_expiry_check (const char  *text,
                                    gsize        length,
                                    gint64       now_us,
                                    guint        expiry_s,
                                    GError     **error);

G_END_DECLS
