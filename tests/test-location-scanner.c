/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <math.h>
#include <string.h>

#include "dispatch-json.h"
#include "dsd-location-scanner.h"

#define MAX_POINTS 1000
#define NOW_US G_GINT64_CONSTANT (1800000000000000)

/* The strict path: what the scanner must agree with. */
static GArray *
strict (const char *body)
{
  g_autoptr(JsonObject) object = dispatch_json_parse_object (body, -1, NULL);

  if (object == NULL)
    return NULL;
  return dispatch_location_points_from_body (object, MAX_POINTS, NOW_US, NULL);
}

static gboolean
same_double (double a,
             double b)
{
  return memcmp (&a, &b, sizeof a) == 0;
}

static gboolean
same_point (const DispatchLocationPoint *a,
            const DispatchLocationPoint *b)
{
  return same_double (a->lat, b->lat) && same_double (a->lon, b->lon) &&
         a->flags == b->flags && a->recorded_at_us == b->recorded_at_us &&
         (!(a->flags & DISPATCH_LOCATION_HAS_HEADING) || same_double (a->heading, b->heading)) &&
         (!(a->flags & DISPATCH_LOCATION_HAS_SPEED) || same_double (a->speed_mps,
                                                                    b->speed_mps)) &&
         (!(a->flags & DISPATCH_LOCATION_HAS_ACCURACY) || same_double (a->accuracy_m,
                                                                       b->accuracy_m));
}

/* The scanner gives up, or reads exactly what the strict path reads. */
static void
assert_agrees (const char *body,
               gboolean    must_scan)
{
  g_autoptr(GArray) scanned = dsd_location_scan (body, strlen (body), MAX_POINTS, NOW_US);
  g_autoptr(GArray) expected = strict (body);

  if (scanned == NULL)
    {
      if (must_scan)
        g_error ("not scanned: %s", body);
      return;
    }

  if (expected == NULL)
    g_error ("scanned, but the strict path refuses: %s", body);
  g_assert_cmpuint (scanned->len, ==, expected->len);

  for (guint i = 0; i < scanned->len; i++)
    {
      DispatchLocationPoint *a = &g_array_index (scanned, DispatchLocationPoint, i);
      DispatchLocationPoint *b = &g_array_index (expected, DispatchLocationPoint, i);

      if (!same_point (a, b))
        g_error ("point %u read differently: %s", i, body);
    }
}

/* A driver-stream frame on the strict path (DsdWsClient, then the driver
 * stream's handler). */
static gboolean
strict_frame (const char            *frame,
              DispatchLocationPoint *point)
{
  g_autoptr(JsonObject) object = dispatch_json_parse_object (frame, -1, NULL);
  const char *type = NULL;

  return object != NULL &&
         dispatch_json_get_string (object, NULL, "type", DISPATCH_JSON_REQUIRED, 0, &type,
                                   NULL) &&
         g_str_equal (type, "location") &&
         dispatch_location_point_from_json (object, NULL, NOW_US, point, NULL);
}

static void
assert_frame_agrees (const char *frame,
                     gboolean    must_scan)
{
  DispatchLocationPoint scanned, expected;

  if (!dsd_location_scan_frame (frame, strlen (frame), NOW_US, &scanned))
    {
      if (must_scan)
        g_error ("frame not scanned: %s", frame);
      return;
    }

  if (!strict_frame (frame, &expected))
    g_error ("frame scanned, but the strict path refuses: %s", frame);
  if (!same_point (&scanned, &expected))
    g_error ("frame read differently: %s", frame);
}

/* A number in one of the forms JSON allows, within [min, max]. */
static void
append_number (GString *out,
               GRand   *rand,
               double   min,
               double   max)
{
  double value = g_rand_double_range (rand, min, max);
  char text[G_ASCII_DTOSTR_BUF_SIZE];

  switch (g_rand_int_range (rand, 0, 6))
    {
    case 0:
      g_string_append_printf (out, "%d", (int) value);
      break;
    case 1:
      g_string_append (out, g_ascii_dtostr (text, sizeof text, value));
      break;
    case 2:
      g_string_append (out, g_ascii_formatd (text, sizeof text, "%.3e", value));
      break;
    case 3:
      g_string_append (out, g_ascii_formatd (text, sizeof text, "%.12f", value));
      break;
    case 4:
      /* As devices send coordinates (the scanner's exact short path). */
      g_string_append (out, g_ascii_formatd (text, sizeof text, "%.6f", value));
      break;
    default:
      g_string_append (out, g_ascii_formatd (text, sizeof text, "%.1E", value));
      break;
    }
}

static const char *
space (GRand *rand)
{
  static const char * const spaces[] = { "", "", " ", "\n  ", "\t", "\r\n" };

  return spaces[g_rand_int_range (rand, 0, G_N_ELEMENTS (spaces))];
}

/* A point object (a frame: with "type":"location" among its members). */
static void
append_point (GString  *out,
              GRand    *rand,
              gboolean  frame)
{
  const char *names[] = {
    "lat", "lon", "heading", "speed_mps", "accuracy_m", "recorded_at", "type"
  };
  guint n_names = frame ? G_N_ELEMENTS (names) : G_N_ELEMENTS (names) - 1;
  gboolean first = TRUE;

  /* Members in random order, the optional ones sometimes absent or null. */
  for (guint i = n_names - 1; i > 0; i--)
    {
      guint j = g_rand_int_range (rand, 0, i + 1);
      const char *swap = names[i];

      names[i] = names[j];
      names[j] = swap;
    }

  g_string_append_printf (out, "%s{", space (rand));
  for (guint i = 0; i < n_names; i++)
    {
      const char *name = names[i];
      gboolean required = g_str_equal (name, "lat") || g_str_equal (name, "lon") ||
                          g_str_equal (name, "type");

      if (!required && g_rand_int_range (rand, 0, 3) == 0)
        continue;

      g_string_append_printf (out, "%s%s\"%s\"%s:%s", first ? "" : ",", space (rand), name,
                              space (rand), space (rand));
      first = FALSE;

      if (!required && g_rand_int_range (rand, 0, 5) == 0)
        g_string_append (out, "null");
      else if (g_str_equal (name, "type"))
        g_string_append (out, "\"location\"");
      else if (g_str_equal (name, "lat"))
        append_number (out, rand, -90, 90);
      else if (g_str_equal (name, "lon"))
        append_number (out, rand, -180, 180);
      else if (g_str_equal (name, "heading"))
        append_number (out, rand, 0, 350); /* 359.x would print as 3.6E+02 */
      else if (g_str_equal (name, "speed_mps"))
        append_number (out, rand, 0, 100);
      else if (g_str_equal (name, "accuracy_m"))
        append_number (out, rand, 0, 100000);
      else
        {
          gint64 age_s = g_rand_int_range (rand, 0, 86400);
          g_autofree char *at = dispatch_format_timestamp (NOW_US - age_s * G_USEC_PER_SEC);

          g_string_append_printf (out, "\"%s\"", at);
        }
    }
  g_string_append_printf (out, "%s}", space (rand));
}

static void
test_random_bodies (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (5);

  for (guint n = 0; n < 3000; n++)
    {
      g_autoptr(GString) body = g_string_new (space (rand));

      if (n % 3 == 0)
        append_point (body, rand, FALSE);
      else
        {
          guint n_points = g_rand_int_range (rand, 1, 20);

          g_string_append_printf (body, "{%s\"points\"%s:%s[", space (rand), space (rand),
                                  space (rand));
          for (guint i = 0; i < n_points; i++)
            {
              if (i > 0)
                g_string_append_c (body, ',');
              append_point (body, rand, FALSE);
            }
          g_string_append_printf (body, "]%s}", space (rand));
        }
      g_string_append (body, space (rand));

      assert_agrees (body->str, TRUE);
    }
}

/* Odd and invalid bodies: the scanner leaves them to the strict path. */
static void
test_edges (void)
{
  static const struct {
    const char *body;
    gboolean    scans;
  } cases[] = {
    { "{\"lat\":1,\"lon\":2}", TRUE },
    { "{\"lat\":-0,\"lon\":-0.0}", TRUE },
    { "{\"lat\":90,\"lon\":-180,\"heading\":0,\"speed_mps\":100,\"accuracy_m\":1e5}", TRUE },
    { "{\"lat\":1.5e1,\"lon\":2E-3,\"recorded_at\":null}", TRUE },
    { "{\"lat\":1e-400,\"lon\":0}", TRUE },
    { "{\"points\":[{\"lat\":1,\"lon\":2},{\"lat\":3,\"lon\":4}]}", TRUE },
    { "{\"lat\":91,\"lon\":0}", FALSE },
    { "{\"lat\":0,\"lon\":180.0000001}", FALSE },
    { "{\"lat\":0,\"lon\":0,\"heading\":360}", FALSE },
    { "{\"lat\":0,\"lon\":0,\"speed_mps\":-1}", FALSE },
    { "{\"lat\":0}", FALSE },
    { "{\"lat\":null,\"lon\":0}", FALSE },
    { "{\"lat\":\"1\",\"lon\":0}", FALSE },
    { "{\"lat\":1e999,\"lon\":0}", FALSE },
    { "{\"lat\":1,\"lon\":0,\"speed_mps\":99999999999999999999}", FALSE },
    { "{\"lat\":01,\"lon\":0}", FALSE },
    { "{\"lat\":1.,\"lon\":0}", FALSE },
    { "{\"lat\":.5,\"lon\":0}", FALSE },
    { "{\"lat\":+1,\"lon\":0}", FALSE },
    { "{\"lat\":1,\"lon\":0,}", FALSE },
    { "{\"lat\":1,\"lon\":0}x", FALSE },
    { "{\"lat\":1,\"lon\":0} {}", FALSE },
    { "{\"lat\":1,\"lat\":2,\"lon\":0}", FALSE },
    { "{\"lat\":1,\"lon\":0,\"extra\":1}", FALSE },
    { "{\"lat\":1,\"lon\":0,\"recorded_at\":\"yesterday\"}", FALSE },
    { "{\"lat\":1,\"lon\":0,\"recorded_at\":\"2999-01-01T00:00:00Z\"}", FALSE },
    { "{\"lat\":1,\"lon\":0,\"recorded_at\":\"2026-01-01T00:00:00\\u005a\"}", FALSE },
    { "{\"lat\":1,\"lon\":0,\"recorded_at\":true}", FALSE },
    { "{\"lat\":1,\"lon\":0,\"heading\":[1]}", FALSE },
    { "{\"points\":[]}", FALSE },
    { "{\"points\":{}}", FALSE },
    { "{\"points\":[1]}", FALSE },
    { "{\"points\":[{\"lat\":1,\"lon\":2}],\"lat\":1}", FALSE },
    { "{\"points\":[{\"lat\":1,\"lon\":2}]", FALSE },
    { "{\"points\" :[{\"lat\":1,\"lon\":2}]}", TRUE },
    { "[{\"lat\":1,\"lon\":2}]", FALSE },
    { "", FALSE },
    { "{", FALSE },
    { "{}", FALSE },
    { "{\"lat\":1,\"lon\":2,\"recorded_at\":\"2026-01-01T00:00:00Z\xc3\xa9\"}", FALSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GArray) scanned = dsd_location_scan (cases[i].body, strlen (cases[i].body),
                                                     MAX_POINTS, NOW_US);

      g_test_message ("case %u: %s", i, cases[i].body);
      g_assert_cmpint (scanned != NULL, ==, cases[i].scans);
      assert_agrees (cases[i].body, cases[i].scans);
    }
}

static void
test_random_frames (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (9);

  for (guint n = 0; n < 3000; n++)
    {
      g_autoptr(GString) frame = g_string_new (space (rand));

      append_point (frame, rand, TRUE);
      g_string_append (frame, space (rand));
      assert_frame_agrees (frame->str, TRUE);
    }
}

/* Frames the scanner leaves to the strict path, which words their errors. */
static void
test_frame_edges (void)
{
  static const struct {
    const char *frame;
    gboolean    scans;
  } cases[] = {
    { "{\"type\":\"location\",\"lat\":1,\"lon\":2}", TRUE },
    { "{\"lat\":1,\"lon\":2,\"type\":\"location\"}", TRUE },
    { " {\"type\" : \"location\", \"lat\":1, \"lon\":2, \"recorded_at\":null} ", TRUE },
    { "{\"lat\":1,\"lon\":2}", FALSE },
    { "{\"type\":\"location\",\"lat\":1}", FALSE },
    { "{\"type\":\"locations\",\"lat\":1,\"lon\":2}", FALSE },
    { "{\"type\":\"loc\",\"lat\":1,\"lon\":2}", FALSE },
    { "{\"type\":\"locatio\\u006e\",\"lat\":1,\"lon\":2}", FALSE },
    { "{\"type\":null,\"lat\":1,\"lon\":2}", FALSE },
    { "{\"type\":\"location\",\"type\":\"location\",\"lat\":1,\"lon\":2}", FALSE },
    { "{\"type\":\"location\",\"lat\":91,\"lon\":2}", FALSE },
    { "{\"type\":\"location\",\"lat\":1,\"lon\":2,\"seq\":3}", FALSE },
    { "{\"type\":\"location\",\"lat\":1,\"lon\":2}x", FALSE },
    { "{\"type\":\"location\",\"points\":[{\"lat\":1,\"lon\":2}]}", FALSE },
    { "[]", FALSE },
    { "", FALSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      DispatchLocationPoint point;

      g_test_message ("case %u: %s", i, cases[i].frame);
      g_assert_cmpint (dsd_location_scan_frame (cases[i].frame, strlen (cases[i].frame), NOW_US,
                                                &point), ==, cases[i].scans);
      assert_frame_agrees (cases[i].frame, cases[i].scans);
    }

  /* A body is not a frame, nor a frame a body. */
  g_assert_null (dsd_location_scan (cases[0].frame, strlen (cases[0].frame), MAX_POINTS,
                                    NOW_US));
}

static void
test_batch_limit (void)
{
  g_autoptr(GString) body = g_string_new ("{\"points\":[");
  g_autoptr(GArray) full = NULL;
  g_autoptr(GArray) over = NULL;

  for (guint i = 0; i < MAX_POINTS; i++)
    g_string_append_printf (body, "%s{\"lat\":1,\"lon\":2}", i ? "," : "");
  g_string_append (body, "]}");
  full = dsd_location_scan (body->str, body->len, MAX_POINTS, NOW_US);
  g_assert_nonnull (full);
  g_assert_cmpuint (full->len, ==, MAX_POINTS);

  g_string_truncate (body, body->len - 2);
  g_string_append (body, ",{\"lat\":1,\"lon\":2}]}");
  over = dsd_location_scan (body->str, body->len, MAX_POINTS, NOW_US);
  g_assert_null (over);
  assert_agrees (body->str, FALSE);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/location-scanner/random-bodies", test_random_bodies);
  g_test_add_func ("/location-scanner/edges", test_edges);
  g_test_add_func ("/location-scanner/batch-limit", test_batch_limit);
  g_test_add_func ("/location-scanner/random-frames", test_random_frames);
  g_test_add_func ("/location-scanner/frame-edges", test_frame_edges);

  return g_test_run ();
}
