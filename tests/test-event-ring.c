/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <string.h>

#include "dsd-event-ring.h"

static GBytes *
text_of (gint64 seq)
{
  char *text = g_strdup_printf ("{\"seq\":%" G_GINT64_FORMAT "}", seq);

  return g_bytes_new_take (text, strlen (text));
}

static void
append (DsdEventRing *ring,
        gint64        seq)
{
  g_autoptr(GBytes) text = text_of (seq);

  dsd_event_ring_append (ring, seq, text);
}

/* The seqs of the events after since, checked against the texts. */
static void
assert_since (DsdEventRing *ring,
              gint64        since,
              gint64        first,
              gint64        last)
{
  g_autoptr(GPtrArray) events = NULL;

  g_assert_true (dsd_event_ring_covers (ring, since));
  events = dsd_event_ring_get_since (ring, since);
  g_assert_cmpuint (events->len, ==, last - first + 1);
  for (guint i = 0; i < events->len; i++)
    {
      g_autoptr(GBytes) expected = text_of (first + i);

      g_assert_true (g_bytes_equal (g_ptr_array_index (events, i), expected));
    }
}

static void
test_window (void)
{
  g_autoptr(DsdEventRing) ring = dsd_event_ring_new (4);

  g_assert_false (dsd_event_ring_covers (ring, 0));
  g_assert_cmpint (dsd_event_ring_get_last_seq (ring), ==, 0);

  for (gint64 seq = 1; seq <= 6; seq++)
    append (ring, seq);

  /* 3..6 are kept: a resume after 2 is the oldest possible */
  g_assert_cmpint (dsd_event_ring_get_last_seq (ring), ==, 6);
  g_assert_false (dsd_event_ring_covers (ring, 1));
  assert_since (ring, 2, 3, 6);
  assert_since (ring, 5, 6, 6);
  assert_since (ring, 6, 7, 6);
  /* A seq the ring never saw */
  g_assert_false (dsd_event_ring_covers (ring, 7));

  /* Repeats are ignored; a gap starts over. */
  append (ring, 5);
  g_assert_cmpint (dsd_event_ring_get_last_seq (ring), ==, 6);
  append (ring, 9);
  g_assert_false (dsd_event_ring_covers (ring, 6));
  assert_since (ring, 8, 9, 9);
}

static void
test_prepend (void)
{
  g_autoptr(DsdEventRing) ring = dsd_event_ring_new (4);
  g_autoptr(GBytes) ten = text_of (10);
  g_autoptr(GBytes) nine = text_of (9);
  g_autoptr(GBytes) eight = text_of (8);
  g_autoptr(GBytes) six = text_of (6);

  /* What the bus delivered while the database was read */
  append (ring, 11);
  append (ring, 12);

  /* Newest first; what the ring has is skipped, a gap or a full ring stops. */
  g_assert_true (dsd_event_ring_prepend (ring, 12, ten));
  g_assert_true (dsd_event_ring_prepend (ring, 10, ten));
  g_assert_false (dsd_event_ring_prepend (ring, 8, eight));
  g_assert_true (dsd_event_ring_prepend (ring, 9, nine));
  g_assert_false (dsd_event_ring_prepend (ring, 8, eight));
  assert_since (ring, 8, 9, 12);

  g_clear_pointer (&ring, dsd_event_ring_free);
  ring = dsd_event_ring_new (4);
  g_assert_true (dsd_event_ring_prepend (ring, 6, six));
  assert_since (ring, 5, 6, 6);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/event-ring/window", test_window);
  g_test_add_func ("/event-ring/prepend", test_prepend);

  return g_test_run ();
}
