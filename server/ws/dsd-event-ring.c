/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-ws"

#include "config.h"

#include "dsd-event-ring.h"

/* Consecutive seqs, so only the first is kept: item i has first_seq + i. */
struct _DsdEventRing {
  GBytes **items;
  guint    capacity;
  guint    head;
  guint    length;
  gint64   first_seq;
};

static GBytes **
nth (DsdEventRing *self,
     guint         n)
{
  return &self->items[(self->head + n) % self->capacity];
}

static void
clear (DsdEventRing *self)
{
  for (guint i = 0; i < self->length; i++)
    g_bytes_unref (*nth (self, i));

  self->head = 0;
  self->length = 0;
  self->first_seq = 0;
}

DsdEventRing *
dsd_event_ring_new (guint capacity)
{
  DsdEventRing *self;

  g_return_val_if_fail (capacity > 0, NULL);

  self = g_new0 (DsdEventRing, 1);
  self->capacity = capacity;
  self->items = g_new0 (GBytes *, capacity);

  return self;
}

void
dsd_event_ring_free (DsdEventRing *self)
{
  clear (self);
  g_free (self->items);
  g_free (self);
}

gint64
dsd_event_ring_get_last_seq (DsdEventRing *self)
{
  return self->length > 0 ? self->first_seq + self->length - 1 : 0;
}

void
dsd_event_ring_append (DsdEventRing *self,
                       gint64        seq,
                       GBytes       *text)
{
  g_return_if_fail (seq > 0);

  if (self->length > 0)
    {
      gint64 last = dsd_event_ring_get_last_seq (self);

      if (seq <= last)
        return;
      if (seq != last + 1)
        clear (self);
    }

  if (self->length == 0)
    self->first_seq = seq;

  if (self->length == self->capacity)
    {
      g_bytes_unref (*nth (self, 0));
      self->head = (self->head + 1) % self->capacity;
      self->first_seq++;
      self->length--;
    }

  *nth (self, self->length) = g_bytes_ref (text);
  self->length++;
}

gboolean
dsd_event_ring_prepend (DsdEventRing *self,
                        gint64        seq,
                        GBytes       *text)
{
  g_return_val_if_fail (seq > 0, FALSE);

  /* Already there, or newer than what the ring holds: the bus brings it. */
  if (self->length > 0 && seq >= self->first_seq)
    return TRUE;

  if (self->length == self->capacity || (self->length > 0 && seq != self->first_seq - 1))
    return FALSE;

  self->head = (self->head + self->capacity - 1) % self->capacity;
  *nth (self, 0) = g_bytes_ref (text);
  self->first_seq = seq;
  self->length++;

  return TRUE;
}

gboolean
dsd_event_ring_covers (DsdEventRing *self,
                       gint64        since)
{
  return self->length > 0 &&
         since >= self->first_seq - 1 &&
         since <= dsd_event_ring_get_last_seq (self);
}

GPtrArray *
dsd_event_ring_get_since (DsdEventRing *self,
                          gint64        since)
{
  GPtrArray *events;

  g_return_val_if_fail (dsd_event_ring_covers (self, since), NULL);

  events = g_ptr_array_new_full (dsd_event_ring_get_last_seq (self) - since, NULL);
  for (guint i = since - self->first_seq + 1; i < self->length; i++)
    g_ptr_array_add (events, *nth (self, i));

  return events;
}
