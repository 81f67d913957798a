/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* tests/data/console-snapshot.json, a dispatcher stream snapshot of a small
 * fleet, with its times moved so that its notional "now" is the real now.
 * Returns: (transfer full) */
JsonObject *test_console_load_snapshot (void);
/* Compact JSON text of @object. Returns: (transfer full) */
char       *test_console_to_text       (JsonObject *object);

G_END_DECLS
