/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

gboolean dispatch_username_validate (const char  *username,
                                     GError     **error);

G_END_DECLS
