/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * CSV per RFC 4180: fields separated by commas, records ended by CRLF, a
 * field holding a comma, quote, CR or LF quoted with its quotes doubled.
 * guard: the field is text that people typed; when it starts with =, +, -
 * or @ (a spreadsheet formula) it gets a leading apostrophe, so that a
 * spreadsheet shows it instead of running it.
 */
void dispatch_csv_append_field (GString    *out,
                                const char *field,
                                gboolean    guard,
                                gboolean    first);
void dispatch_csv_end_record   (GString    *out);

G_END_DECLS
