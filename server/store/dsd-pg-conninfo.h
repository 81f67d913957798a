/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * conninfo (key=value or URI) as a key=value string with `setting` added to
 * the server options it already carries (libpq "options", e.g.
 * "-c dispatch.outbox_notify=off"). NULL with UNAVAILABLE when conninfo does
 * not parse.
 */
char *dsd_pg_conninfo_add_option (const char  *conninfo,
                                  const char  *setting,
                                  GError     **error);

G_END_DECLS
