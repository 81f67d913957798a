/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "dispatch-error.h"

G_BEGIN_DECLS

/*
 * Strict JSON input: every failure is a DISPATCH_ERROR_INVALID_ARGUMENT with a
 * clear message and the dotted field path (prefix + member, e.g. "pickup.lat",
 * "items[2].quantity"). Absent optional members leave *out untouched and
 * return TRUE; JSON null counts as absent only with DISPATCH_JSON_NULLABLE
 * (so REQUIRED | NULLABLE rejects null with "… is required").
 *
 * NON_EMPTY applies to strings and arrays, EXCLUSIVE_MAX to doubles (the
 * range becomes [min, max)); the other getters ignore them.
 */
typedef enum {
  DISPATCH_JSON_OPTIONAL = 0,
  DISPATCH_JSON_REQUIRED = 1 << 0,
  DISPATCH_JSON_NULLABLE = 1 << 1,
  DISPATCH_JSON_NON_EMPTY = 1 << 2,
  DISPATCH_JSON_EXCLUSIVE_MAX = 1 << 3,
} DispatchJsonFlags;

/* Deepest nesting of objects and arrays dispatch_json_parse_object() accepts
 * (json-glib recurses without a limit and overflows the stack). */
#define DISPATCH_JSON_MAX_DEPTH 64

/* Parses text strictly per RFC 8259 (no comments, single quotes, hex numbers,
 * leading zeros or trailing text, which json-glib would accept): rejects
 * invalid UTF-8, malformed JSON, nesting deeper than DISPATCH_JSON_MAX_DEPTH,
 * "\u0000" in strings, integers outside gint64, non-object roots, and
 * numbers that are not finite (e.g. 1e999). Returns: (transfer full). */
JsonObject *dispatch_json_parse_object (const char        *data,
                                        gssize             length,
                                        GError           **error);

gboolean dispatch_json_get_string  (JsonObject        *object,
                                    const char        *prefix,
                                    const char        *member,
                                    DispatchJsonFlags  flags,
                                    gsize              max_length,
                                    const char       **out,
                                    GError           **error);
/* Finite number within [min, max]. */
gboolean dispatch_json_get_double  (JsonObject        *object,
                                    const char        *prefix,
                                    const char        *member,
                                    DispatchJsonFlags  flags,
                                    double             min,
                                    double             max,
                                    double            *out,
                                    GError           **error);
/* Integer (no fraction, no exponent overflow) within [min, max]. */
gboolean dispatch_json_get_int     (JsonObject        *object,
                                    const char        *prefix,
                                    const char        *member,
                                    DispatchJsonFlags  flags,
                                    gint64             min,
                                    gint64             max,
                                    gint64            *out,
                                    GError           **error);
gboolean dispatch_json_get_boolean (JsonObject        *object,
                                    const char        *prefix,
                                    const char        *member,
                                    DispatchJsonFlags  flags,
                                    gboolean          *out,
                                    GError           **error);
/* String that is one of the NULL-terminated allowed values. */
gboolean dispatch_json_get_enum    (JsonObject        *object,
                                    const char        *prefix,
                                    const char        *member,
                                    DispatchJsonFlags  flags,
                                    const char * const *allowed,
                                    const char       **out,
                                    GError           **error);
gboolean dispatch_json_get_object  (JsonObject        *object,
                                    const char        *prefix,
                                    const char        *member,
                                    DispatchJsonFlags  flags,
                                    JsonObject       **out,
                                    GError           **error);
gboolean dispatch_json_get_array   (JsonObject        *object,
                                    const char        *prefix,
                                    const char        *member,
                                    DispatchJsonFlags  flags,
                                    guint              max_length,
                                    JsonArray        **out,
                                    GError           **error);
/* RFC 3339 timestamp string → microseconds since the epoch (UTC). */
gboolean dispatch_json_get_timestamp (JsonObject      *object,
                                    const char        *prefix,
                                    const char        *member,
                                    DispatchJsonFlags  flags,
                                    gint64            *out_usec,
                                    GError           **error);

/* "prefix.member" or "member"; "prefix[index]" for arrays. */
char    *dispatch_json_path        (const char        *prefix,
                                    const char        *member);
char    *dispatch_json_index_path  (const char        *prefix,
                                    guint              index);

/* RFC 3339 UTC with microseconds, "2026-11-22T10:00:00.123456Z" (years 1–9999). */
char    *dispatch_format_timestamp (gint64             usec);
/* Strict RFC 3339 date-time with "Z" or an explicit "±HH:MM" offset. */
gboolean dispatch_parse_timestamp  (const char        *text,
                                    gint64            *out_usec);

/* Serialises compactly. */
char    *dispatch_json_to_string   (JsonNode          *node,
                                    gsize             *length);
/* Valid JSON text without the whitespace between its tokens (PostgreSQL
 * prints jsonb with a space after every ':' and ','), as a GBytes. */
GBytes  *dispatch_json_compact     (const char        *text,
                                    gsize              length);

G_END_DECLS
