/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * The most recent state events (by seq, gap-free) as the text clients get,
 * for resuming streams with ?since=SEQ without a new snapshot. Holds at most
 * capacity events; an event that does not follow the newest one (a gap: the
 * ring missed events) starts the ring over.
 */
typedef struct _DsdEventRing DsdEventRing;

DsdEventRing *dsd_event_ring_new          (guint          capacity);
void          dsd_event_ring_free         (DsdEventRing  *self);
/* Appends seq (ignored when not newer than the newest). */
void          dsd_event_ring_append       (DsdEventRing  *self,
                                           gint64         seq,
                                           GBytes        *text);
/* Adds older events in front, newest of them first, while they are
 * consecutive and there is room; returns FALSE at the first one that does not
 * fit, so the caller can stop. Events not older than the oldest held are
 * skipped (TRUE). */
gboolean      dsd_event_ring_prepend      (DsdEventRing  *self,
                                           gint64         seq,
                                           GBytes        *text);
/* The newest seq, 0 when empty. */
gint64        dsd_event_ring_get_last_seq (DsdEventRing  *self);
/* Whether every event after since is in the ring (since at or after the
 * newest counts: nothing is missing). */
gboolean      dsd_event_ring_covers       (DsdEventRing  *self,
                                           gint64         since);
/* The events after since, oldest first: GBytes (transfer container). */
GPtrArray    *dsd_event_ring_get_since    (DsdEventRing  *self,
                                           gint64         since);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DsdEventRing, dsd_event_ring_free)

G_END_DECLS
