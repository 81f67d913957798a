/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dsd-context.h"
#include "dsd-scope.h"

G_BEGIN_DECLS

/*
 * What the dispatcher stream's snapshot lists, kept rendered in memory: every
 * open order (oldest first) and every driver (by name), each as the JSON the
 * database renders (dispatch.order_json, dispatch.driver_json). Loaded once at
 * start in pages (dispatch.stream_store_orders/_drivers, after the seq of
 * dispatch.stream_snapshot_seq), then kept by the bus's events, which carry
 * full objects: order.created and order.updated (an ended order leaves),
 * driver.updated; a driver's location follows driver.location (the newest
 * point), an order's eta_seconds the ETA tracker. So a snapshot is a walk
 * over memory.
 *
 * Its seq: state events are applied in seq order, each once; the store's seq
 * is the last one applied (or the loaded one). Every object reflects at least
 * every event up to it (a page of the load can reflect later ones, as the
 * database's snapshot did); the events after it carry full objects, so a
 * client applying them ends up right. While a page is being read, state
 * events wait and are applied after it, so a page never hides a newer event.
 *
 * Differences from the database's rendering: a driver's last_seen_at and
 * location.accuracy_m are as of its last driver.updated (location events
 * carry neither); an order's offer is shown until the order.updated that
 * ends it (the database hides an expired one at once).
 */
#define DSD_TYPE_SNAPSHOT_STORE (dsd_snapshot_store_get_type ())
G_DECLARE_FINAL_TYPE (DsdSnapshotStore, dsd_snapshot_store, DSD, SNAPSHOT_STORE, GObject)

/* A snapshot taken at one moment: the objects' rendered JSON, referenced,
 * so the store can change meanwhile. */
typedef struct _DsdSnapshotView DsdSnapshotView;

/* Starts loading (::load-finished (gboolean ok) at the end of each attempt;
 * a failed one is tried again a second later). */
DsdSnapshotStore *dsd_snapshot_store_new       (DsdContext       *context);
gboolean          dsd_snapshot_store_is_loaded (DsdSnapshotStore *self);
/* scope NULL: everything; else a scoped dispatcher's orders and drivers.
 * Only once loaded. */
DsdSnapshotView  *dsd_snapshot_store_freeze    (DsdSnapshotStore *self,
                                                const DsdScope   *scope);

gint64            dsd_snapshot_view_get_seq    (DsdSnapshotView  *view);
/* Appends the next part of {"type":"snapshot","seq","orders":[…],"drivers":[…]}
 * to out, until out is at least size bytes long or the message ends; returns
 * FALSE once the message is whole. */
gboolean          dsd_snapshot_view_render     (DsdSnapshotView  *view,
                                                GString          *out,
                                                gsize             size);
void              dsd_snapshot_view_free       (DsdSnapshotView  *view);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DsdSnapshotView, dsd_snapshot_view_free)

G_END_DECLS
