/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "dispatch-location.h"

G_BEGIN_DECLS

/*
 * One event as subscribers see it: the wire envelope
 * {"id","seq","type","occurred_at","data"} as text (sent as-is to sockets and
 * webhooks) and parsed (for routing). State events have seq > 0; location
 * events have seq 0. Immutable once created; refcounted, shareable.
 */
typedef struct _DsdEvent DsdEvent;

#define DSD_TYPE_EVENT (dsd_event_get_type ())

GType       dsd_event_get_type      (void) G_GNUC_CONST;
/* Parses an envelope; NULL if it is not one. */
DsdEvent   *dsd_event_new_from_json (const char  *envelope,
                                     gssize       length,
                                     GError     **error);
/* The driver.location event of a point (no seq, a new id, occurred now):
 * its envelope is written straight from the point, its data object is only
 * built if someone asks for it. */
DsdEvent   *dsd_event_new_location  (const char                  *driver_id,
                                     const DispatchLocationPoint *point);
DsdEvent   *dsd_event_ref           (DsdEvent    *self);
void        dsd_event_unref         (DsdEvent    *self);

gint64      dsd_event_get_seq       (DsdEvent    *self);
const char *dsd_event_get_id        (DsdEvent    *self);
const char *dsd_event_get_type_name (DsdEvent    *self);
/* The "data" member. */
JsonObject *dsd_event_get_data      (DsdEvent    *self);
/* The "data" member as JSON text: (transfer full); a slice of the envelope
 * for a point's event. */
GBytes     *dsd_event_dup_data_text (DsdEvent    *self);
/* The position a driver.location event carries (no accuracy); NULL for
 * other events and a location event without a readable position. */
const DispatchLocationPoint *
            dsd_event_get_location  (DsdEvent    *self);
/* The order or driver the event is about, when it is about one. */
const char *dsd_event_get_order_id  (DsdEvent    *self);
const char *dsd_event_get_driver_id (DsdEvent    *self);
/* The aggregate the event is about (its Kafka key): the order, else the
 * driver; NULL when neither. */
const char *dsd_event_get_key       (DsdEvent    *self);
/* The envelope as JSON text. */
GBytes     *dsd_event_get_envelope  (DsdEvent    *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DsdEvent, dsd_event_unref)

G_END_DECLS
