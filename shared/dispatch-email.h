/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

gboolean dispatch_email_address_is_valid (const char *address);

G_END_DECLS
