/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dsd-event.h"

G_BEGIN_DECLS

/*
 * Puts state events that arrive out of order (from several partitions, and
 * repeated after a relay failover) back into seq order: each seq is emitted
 * once, in order, with no gap. Events after a missing seq wait (at most
 * capacity of them); the owner repairs a gap that stays open (from the
 * database) by pushing the missing events.
 */
typedef struct _DsdSeqMerger DsdSeqMerger;

typedef void (*DsdSeqMergerEmit) (DsdEvent *event,
                                  gpointer  user_data);

/* delivered: the last seq already seen (the next emitted is delivered + 1). */
DsdSeqMerger *dsd_seq_merger_new              (gint64            delivered,
                                               guint             capacity,
                                               DsdSeqMergerEmit  emit,
                                               gpointer          user_data);
void          dsd_seq_merger_free             (DsdSeqMerger     *self);
/* Emits it and whatever now follows, holds it, or drops it (seen already). */
void          dsd_seq_merger_push             (DsdSeqMerger     *self,
                                               DsdEvent         *event);
gint64        dsd_seq_merger_get_delivered    (DsdSeqMerger     *self);
/* Since when (monotonic µs) the next seq has been missing; 0 without a gap. */
gint64        dsd_seq_merger_get_gap_since    (DsdSeqMerger     *self);
gboolean      dsd_seq_merger_is_full          (DsdSeqMerger     *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DsdSeqMerger, dsd_seq_merger_free)

G_END_DECLS
