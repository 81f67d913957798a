/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/*
 * Lenient readers of the server's objects, over the strict readers of
 * dispatch-json.h: absent, null or mistyped members give the fallback, so a
 * newer server with more or different optional fields never breaks the
 * console.
 */
const char *dc_json_string    (JsonObject *object,
                               const char *member);
double      dc_json_double    (JsonObject *object,
                               const char *member,
                               double      fallback);
gint64      dc_json_int       (JsonObject *object,
                               const char *member,
                               gint64      fallback);
gboolean    dc_json_boolean   (JsonObject *object,
                               const char *member,
                               gboolean    fallback);
JsonObject *dc_json_object    (JsonObject *object,
                               const char *member);
JsonArray  *dc_json_array     (JsonObject *object,
                               const char *member);
/* Microseconds since the epoch, or 0. */
gint64      dc_json_timestamp (JsonObject *object,
                               const char *member);

G_END_DECLS
