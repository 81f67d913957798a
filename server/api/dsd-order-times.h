/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/*
 * The time members of an order to create (docs/windows.md): "ready_at",
 * "deliver_after", "deliver_before", each an optional RFC 3339 date-time at
 * most DISPATCH_ORDER_MAX_AHEAD_S after now_us. The window must not be
 * reversed (deliver_after before deliver_before), must not have ended
 * (deliver_before after now) and the pickup must be ready before it ends.
 * Writes the members present, normalised to UTC, into builder; with
 * keep_nulls (a PATCH: null clears a time) members given as null too, as null.
 * The checks see only the members in body: a PATCH's merge with the stored
 * times is checked again by dispatch.order_patch.
 */
gboolean dsd_order_times_read (JsonObject   *body,
                               gint64        now_us,
                               gboolean      keep_nulls,
                               JsonBuilder  *builder,
                               GError      **error);

G_END_DECLS
