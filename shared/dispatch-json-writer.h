/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * JSON values appended to a GString without printf, for text built on hot
 * paths (the driver.location envelope is built for every point received).
 * Each appends one valid JSON token that json-glib reads back as the same
 * value (tests/test-json-writer.c).
 */
void dispatch_json_append_string    (GString    *out,
                                     const char *text);
void dispatch_json_append_double    (GString    *out,
                                     double      value);
/* The times RFC 3339 text can hold: 0001-01-01T00:00:00Z to
 * 9999-12-31T23:59:59.999999Z, in microseconds since the Unix epoch. */
#define DISPATCH_TIMESTAMP_MIN_US G_GINT64_CONSTANT (-62135596800000000)
#define DISPATCH_TIMESTAMP_MAX_US G_GINT64_CONSTANT (253402300799999999)

/* Unquoted: the text of dispatch_format_timestamp(). */
void dispatch_json_append_timestamp (GString    *out,
                                     gint64      usec);

G_END_DECLS
