/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-bus"

#include "dsd-seq-merger.h"

struct _DsdSeqMerger {
  gint64            delivered;
  guint             capacity;
  GTree            *held;        /* seq → DsdEvent */
  gint64            gap_since;
  DsdSeqMergerEmit  emit;
  gpointer          user_data;
};

static int
compare_seq (gconstpointer a,
             gconstpointer b,
             gpointer      user_data)
{
  gint64 x = (gintptr) a, y = (gintptr) b;

  return x < y ? -1 : x > y;
}

DsdSeqMerger *
dsd_seq_merger_new (gint64            delivered,
                    guint             capacity,
                    DsdSeqMergerEmit  emit,
                    gpointer          user_data)
{
  DsdSeqMerger *self = g_new0 (DsdSeqMerger, 1);

  g_return_val_if_fail (capacity > 0, NULL);

  self->delivered = delivered;
  self->capacity = capacity;
  self->held = g_tree_new_full (compare_seq, NULL, NULL, (GDestroyNotify) dsd_event_unref);
  self->emit = emit;
  self->user_data = user_data;

  return self;
}

void
dsd_seq_merger_free (DsdSeqMerger *self)
{
  if (self == NULL)
    return;

  g_tree_destroy (self->held);
  g_free (self);
}

void
dsd_seq_merger_push (DsdSeqMerger *self,
                     DsdEvent     *event)
{
  gint64 seq = dsd_event_get_seq (event);
  GTreeNode *first;

  g_return_if_fail (seq > 0);

  if (seq <= self->delivered)
    return;

  if (seq != self->delivered + 1)
    {
      if ((guint) g_tree_nnodes (self->held) >= self->capacity ||
          g_tree_lookup_extended (self->held, (gpointer) (gintptr) seq, NULL, NULL))
        return;
      g_tree_insert (self->held, (gpointer) (gintptr) seq, dsd_event_ref (event));
      if (self->gap_since == 0)
        self->gap_since = g_get_monotonic_time ();
      return;
    }

  self->delivered = seq;
  self->emit (event, self->user_data);

  while ((first = g_tree_node_first (self->held)) != NULL &&
         (gintptr) g_tree_node_key (first) <= self->delivered + 1)
    {
      gint64 next = (gintptr) g_tree_node_key (first);
      DsdEvent *held = dsd_event_ref (g_tree_node_value (first));

      g_tree_remove (self->held, (gpointer) (gintptr) next);
      if (next == self->delivered + 1)
        {
          self->delivered = next;
          self->emit (held, self->user_data);
        }
      dsd_event_unref (held);
    }

  /* A gap that remains is a new one: its deadline starts now. */
  self->gap_since = g_tree_nnodes (self->held) > 0 ? g_get_monotonic_time () : 0;
}

gint64
dsd_seq_merger_get_delivered (DsdSeqMerger *self)
{
  return self->delivered;
}

gint64
dsd_seq_merger_get_gap_since (DsdSeqMerger *self)
{
  return self->gap_since;
}

gboolean
dsd_seq_merger_is_full (DsdSeqMerger *self)
{
  return (guint) g_tree_nnodes (self->held) >= self->capacity;
}
