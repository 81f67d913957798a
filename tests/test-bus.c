/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The bus's building blocks without a broker: the seq merger that puts
 * partitions back into order, and the driver.location event written straight
 * from its point.
 */
#include <math.h>

#include "dispatch-json.h"
#include "dsd-event.h"
#include "dsd-seq-merger.h"

static DsdEvent *
state_event (gint64 seq)
{
  g_autofree char *text = g_strdup_printf ("{\"id\":\"e%" G_GINT64_FORMAT "\",\"seq\":%"
                                           G_GINT64_FORMAT ",\"type\":\"order.updated\","
                                           "\"occurred_at\":\"2026-01-01T00:00:00Z\","
                                           "\"data\":{\"id\":\"o1\"}}", seq, seq);
  g_autoptr(GError) error = NULL;
  DsdEvent *event = dsd_event_new_from_json (text, -1, &error);

  g_assert_no_error (error);
  return event;
}

static void
collect_cb (DsdEvent *event,
            gpointer  user_data)
{
  gint64 seq = dsd_event_get_seq (event);

  g_array_append_val ((GArray *) user_data, seq);
}

static void
push (DsdSeqMerger *merger,
      gint64        seq)
{
  g_autoptr(DsdEvent) event = state_event (seq);

  dsd_seq_merger_push (merger, event);
}

static void
test_merger_orders (void)
{
  g_autoptr(GArray) seen = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(DsdSeqMerger) merger = dsd_seq_merger_new (10, 100, collect_cb, seen);
  const gint64 arrivals[] = { 12, 9, 11, 10, 14, 11, 13, 15 };

  for (guint i = 0; i < G_N_ELEMENTS (arrivals); i++)
    push (merger, arrivals[i]);

  g_assert_cmpuint (seen->len, ==, 5);
  for (guint i = 0; i < seen->len; i++)
    g_assert_cmpint (g_array_index (seen, gint64, i), ==, 11 + i);
  g_assert_cmpint (dsd_seq_merger_get_delivered (merger), ==, 15);
  g_assert_cmpint (dsd_seq_merger_get_gap_since (merger), ==, 0);
}

static void
test_merger_gap (void)
{
  g_autoptr(GArray) seen = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(DsdSeqMerger) merger = dsd_seq_merger_new (0, 3, collect_cb, seen);

  push (merger, 2);
  push (merger, 3);
  g_assert_cmpuint (seen->len, ==, 0);
  g_assert_cmpint (dsd_seq_merger_get_gap_since (merger), >, 0);
  g_assert_false (dsd_seq_merger_is_full (merger));
  push (merger, 4);
  g_assert_true (dsd_seq_merger_is_full (merger));
  /* Full: later ones are refused (read again once the gap is repaired). */
  push (merger, 5);

  push (merger, 1);
  g_assert_cmpuint (seen->len, ==, 4);
  g_assert_cmpint (dsd_seq_merger_get_delivered (merger), ==, 4);
  g_assert_false (dsd_seq_merger_is_full (merger));
  push (merger, 5);
  g_assert_cmpint (dsd_seq_merger_get_delivered (merger), ==, 5);
}

/* The event built directly equals what parsing its own envelope gives: its
 * data, its point, the text of its data. */
static void
assert_location_event (const DispatchLocationPoint *point)
{
  g_autoptr(DsdEvent) event = dsd_event_new_location ("d1", point);
  GBytes *envelope = dsd_event_get_envelope (event);
  g_autoptr(GError) error = NULL;
  g_autoptr(DsdEvent) parsed = dsd_event_new_from_json (g_bytes_get_data (envelope, NULL),
                                                        g_bytes_get_size (envelope), &error);
  g_autoptr(GBytes) data_text = dsd_event_dup_data_text (event);
  g_autoptr(JsonObject) data_read = NULL;
  g_autoptr(JsonNode) built = NULL;
  g_autoptr(JsonNode) read = NULL;
  g_autoptr(JsonNode) sliced = NULL;
  const DispatchLocationPoint *a, *b;

  g_assert_no_error (error);
  built = json_node_init_object (json_node_alloc (), dsd_event_get_data (event));
  read = json_node_init_object (json_node_alloc (), dsd_event_get_data (parsed));
  data_read = dispatch_json_parse_object (g_bytes_get_data (data_text, NULL),
                                          g_bytes_get_size (data_text), &error);
  g_assert_no_error (error);
  sliced = json_node_init_object (json_node_alloc (), data_read);

  g_assert_cmpint (dsd_event_get_seq (event), ==, 0);
  g_assert_cmpstr (dsd_event_get_id (event), ==, dsd_event_get_id (parsed));
  g_assert_cmpstr (dsd_event_get_type_name (event), ==, "driver.location");
  g_assert_cmpstr (dsd_event_get_driver_id (event), ==, "d1");
  g_assert_cmpstr (dsd_event_get_key (event), ==, "d1");
  g_assert_true (json_node_equal (built, read));
  g_assert_true (json_node_equal (built, sliced));

  a = dsd_event_get_location (event);
  b = dsd_event_get_location (parsed);
  g_assert_nonnull (a);
  g_assert_nonnull (b);
  g_assert_cmpfloat (a->lat, ==, point->lat);
  g_assert_cmpfloat (b->lat, ==, point->lat);
  g_assert_cmpfloat (b->lon, ==, point->lon);
  g_assert_cmpint (b->recorded_at_us, ==, point->recorded_at_us);
  g_assert_cmpuint (a->flags, ==, point->flags & ~DISPATCH_LOCATION_HAS_ACCURACY);
  g_assert_cmpuint (b->flags, ==, a->flags);
  if (a->flags & DISPATCH_LOCATION_HAS_HEADING)
    g_assert_cmpfloat (b->heading, ==, point->heading);
  if (a->flags & DISPATCH_LOCATION_HAS_SPEED)
    g_assert_cmpfloat (b->speed_mps, ==, point->speed_mps);
}

static void
test_location_event (void)
{
  DispatchLocationPoint point = {
    .lat = 52.52, .lon = 13.405, .heading = 90.5, .recorded_at_us = 1767225600123456,
    .flags = DISPATCH_LOCATION_HAS_HEADING,
  };
  g_autoptr(DsdEvent) event = dsd_event_new_location ("d1", &point);
  g_autoptr(GRand) rand = g_rand_new_with_seed (17);

  assert_location_event (&point);
  g_assert_true (json_object_get_null_member (dsd_event_get_data (event), "speed_mps"));

  for (guint n = 0; n < 2000; n++)
    {
      point = (DispatchLocationPoint) {
        .lat = g_rand_double_range (rand, -90, 90),
        .lon = g_rand_double_range (rand, -180, 180),
        .heading = g_rand_double_range (rand, 0, 360),
        .speed_mps = g_rand_double_range (rand, 0, 100),
        .accuracy_m = 5,
        .recorded_at_us = 1767225600000000 + g_rand_int (rand),
        .flags = g_rand_int_range (rand, 0, 8),
      };
      if (n % 2 == 0)
        {
          /* as devices send them: six decimals */
          point.lat = round (point.lat * 1e6) / 1e6;
          point.lon = round (point.lon * 1e6) / 1e6;
        }
      assert_location_event (&point);
    }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/bus/merger/orders", test_merger_orders);
  g_test_add_func ("/bus/merger/gap", test_merger_gap);
  g_test_add_func ("/bus/location-event", test_location_event);

  return g_test_run ();
}
