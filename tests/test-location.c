/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <string.h>

#include "dispatch-json.h"
#include "dispatch-location.h"

/* 2026-11-22T10:00:00Z */
#define NOW G_GINT64_CONSTANT (1795341600000000)

static JsonObject *
parse (const char *text)
{
  g_autoptr(GError) error = NULL;
  JsonObject *object = dispatch_json_parse_object (text, -1, &error);

  g_assert_no_error (error);
  return object;
}

static void
test_full_point (void)
{
  g_autoptr(JsonObject) object = NULL;
  g_autoptr(GError) error = NULL;
  DispatchLocationPoint point = { 0 };

  object = parse ("{\"lat\":48.8566,\"lon\":-2.5,\"heading\":359.5,\"speed_mps\":12,"
                  "\"accuracy_m\":4.5,\"recorded_at\":\"2026-11-22T09:59:30.25Z\","
                  "\"type\":\"location\"}");

  g_assert_true (dispatch_location_point_from_json (object, NULL, NOW, &point, &error));
  g_assert_no_error (error);
  g_assert_cmpfloat (point.lat, ==, 48.8566);
  g_assert_cmpfloat (point.lon, ==, -2.5);
  g_assert_cmpfloat (point.heading, ==, 359.5);
  g_assert_cmpfloat (point.speed_mps, ==, 12);
  g_assert_cmpfloat (point.accuracy_m, ==, 4.5);
  g_assert_cmpint (point.recorded_at_us, ==, NOW - 29750000);
  g_assert_cmpuint (point.flags, ==, DISPATCH_LOCATION_HAS_HEADING |
                                     DISPATCH_LOCATION_HAS_SPEED |
                                     DISPATCH_LOCATION_HAS_ACCURACY);
}

static void
test_minimal_point (void)
{
  static const char * const texts[] = {
    "{\"lat\":-90,\"lon\":180}",
    "{\"lat\":-90,\"lon\":180,\"heading\":null,\"speed_mps\":null,\"accuracy_m\":null,"
    "\"recorded_at\":null}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
    {
      g_autoptr(JsonObject) object = parse (texts[i]);
      g_autoptr(GError) error = NULL;
      DispatchLocationPoint point;

      memset (&point, 0xff, sizeof point);
      g_assert_true (dispatch_location_point_from_json (object, NULL, NOW, &point, &error));
      g_assert_no_error (error);
      g_assert_cmpfloat (point.lat, ==, -90);
      g_assert_cmpfloat (point.lon, ==, 180);
      g_assert_cmpuint (point.flags, ==, 0);
      g_assert_cmpfloat (point.heading, ==, 0);
      g_assert_cmpfloat (point.speed_mps, ==, 0);
      g_assert_cmpfloat (point.accuracy_m, ==, 0);
      g_assert_cmpint (point.recorded_at_us, ==, NOW);
    }
}

typedef struct {
  const char *text;
  const char *prefix;
  int code;
  const char *message;
  const char *field;
} RejectCase;

#define INVALID DISPATCH_ERROR_INVALID_ARGUMENT

static const RejectCase reject_cases[] = {
  { "{\"lon\":0}", NULL, INVALID, "lat is required", "lat" },
  { "{\"lat\":0}", "points[3]", INVALID, "points[3].lon is required", "points[3].lon" },
  { "{\"lat\":null,\"lon\":0}", NULL, INVALID, "lat must be a number", "lat" },
  { "{\"lat\":\"48.1\",\"lon\":0}", NULL, INVALID, "lat must be a number", "lat" },
  { "{\"lat\":90.5,\"lon\":0}", NULL, INVALID, "lat must be within [-90, 90]", "lat" },
  { "{\"lat\":0,\"lon\":-180.5}", "points[0]", INVALID,
    "points[0].lon must be within [-180, 180]", "points[0].lon" },
  { "{\"lat\":0,\"lon\":0,\"heading\":360}", NULL, INVALID,
    "heading must be within [0, 360)", "heading" },
  { "{\"lat\":0,\"lon\":0,\"heading\":-0.1}", NULL, INVALID,
    "heading must be within [0, 360)", "heading" },
  { "{\"lat\":0,\"lon\":0,\"heading\":\"N\"}", NULL, INVALID,
    "heading must be a number", "heading" },
  { "{\"lat\":0,\"lon\":0,\"speed_mps\":100.01}", NULL, INVALID,
    "speed_mps must be within [0, 100]", "speed_mps" },
  { "{\"lat\":0,\"lon\":0,\"speed_mps\":-1}", NULL, INVALID,
    "speed_mps must be within [0, 100]", "speed_mps" },
  { "{\"lat\":0,\"lon\":0,\"accuracy_m\":100001}", NULL, INVALID,
    "accuracy_m must be within [0, 100000]", "accuracy_m" },
  { "{\"lat\":0,\"lon\":0,\"recorded_at\":\"2026-11-22T10:00:00\"}", NULL, INVALID,
    "recorded_at must be an RFC 3339 timestamp such as 2026-11-22T10:00:00Z", "recorded_at" },
  { "{\"lat\":0,\"lon\":0,\"recorded_at\":1795341600}", NULL, INVALID,
    "recorded_at must be an RFC 3339 timestamp such as 2026-11-22T10:00:00Z", "recorded_at" },
  /* Five minutes and one microsecond ahead: well-formed, but refused with 422. */
  { "{\"lat\":0,\"lon\":0,\"recorded_at\":\"2026-11-22T10:05:00.000001Z\"}", NULL,
    DISPATCH_ERROR_UNPROCESSABLE, "recorded_at is more than 5 minutes in the future",
    "recorded_at" },
  { "{\"lat\":0,\"lon\":0,\"recorded_at\":\"2026-11-22T12:00:00+01:00\"}", "points[7]",
    DISPATCH_ERROR_UNPROCESSABLE, "points[7].recorded_at is more than 5 minutes in the future",
    "points[7].recorded_at" },
};

static void
test_reject (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (reject_cases); i++)
    {
      const RejectCase *c = &reject_cases[i];
      g_autoptr(JsonObject) object = parse (c->text);
      g_autoptr(GError) error = NULL;
      DispatchLocationPoint point, untouched;

      g_test_message ("case %u: %s", i, c->text);
      memset (&point, 0x5a, sizeof point);
      untouched = point;
      g_assert_false (dispatch_location_point_from_json (object, c->prefix, NOW, &point, &error));
      g_assert_error (error, DISPATCH_ERROR, c->code);
      g_assert_cmpstr (error->message, ==, c->message);
      g_assert_cmpstr (dispatch_error_get_field (error), ==, c->field);
      g_assert_cmpmem (&point, sizeof point, &untouched, sizeof untouched);
    }
}

static void
test_time_limits (void)
{
  static const struct {
    const char *recorded_at;
    gint64 expected;
  } cases[] = {
    /* Exactly five minutes ahead is still accepted (device clocks drift). */
    { "2026-11-22T10:05:00Z", NOW + DISPATCH_LOCATION_MAX_FUTURE_USEC },
    /* Offline sync: old points are fine. */
    { "2026-11-21T10:00:00Z", NOW - G_GINT64_CONSTANT (86400000000) },
    { "2000-01-01T00:00:00Z", G_GINT64_CONSTANT (946684800000000) },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = g_strdup_printf ("{\"lat\":1,\"lon\":2,\"recorded_at\":\"%s\"}",
                                               cases[i].recorded_at);
      g_autoptr(JsonObject) object = parse (text);
      g_autoptr(GError) error = NULL;
      DispatchLocationPoint point = { 0 };

      g_assert_true (dispatch_location_point_from_json (object, NULL, NOW, &point, &error));
      g_assert_no_error (error);
      g_assert_cmpint (point.recorded_at_us, ==, cases[i].expected);
    }
}

/* Field by field: the struct has padding. */
static void
assert_points_equal (const DispatchLocationPoint *a,
                     const DispatchLocationPoint *b)
{
  g_assert_cmpfloat (a->lat, ==, b->lat);
  g_assert_cmpfloat (a->lon, ==, b->lon);
  g_assert_cmpfloat (a->heading, ==, b->heading);
  g_assert_cmpfloat (a->speed_mps, ==, b->speed_mps);
  g_assert_cmpfloat (a->accuracy_m, ==, b->accuracy_m);
  g_assert_cmpint (a->recorded_at_us, ==, b->recorded_at_us);
  g_assert_cmpuint (a->flags, ==, b->flags);
}

static char *
point_to_string (const DispatchLocationPoint *point)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  dispatch_location_point_to_json (point, builder);
  root = json_builder_get_root (builder);
  return dispatch_json_to_string (root, NULL);
}

static void
test_to_json (void)
{
  static const struct {
    DispatchLocationPoint point;
    const char *json;
  } cases[] = {
    { { 48.5, 2.25, 0, 0, 0, NOW, 0 },
      "{\"lat\":48.5,\"lon\":2.25,\"recorded_at\":\"2026-11-22T10:00:00.000000Z\"}" },
    { { -1.5, -179.75, 90, 5.5, 12, NOW + 7, DISPATCH_LOCATION_HAS_HEADING |
                                              DISPATCH_LOCATION_HAS_SPEED |
                                              DISPATCH_LOCATION_HAS_ACCURACY },
      "{\"lat\":-1.5,\"lon\":-179.75,\"heading\":90.0,\"speed_mps\":5.5,\"accuracy_m\":12.0,"
      "\"recorded_at\":\"2026-11-22T10:00:00.000007Z\"}" },
    { { 1, 2, 0, 0, 0, NOW, DISPATCH_LOCATION_HAS_HEADING },
      "{\"lat\":1.0,\"lon\":2.0,\"heading\":0.0,\"recorded_at\":\"2026-11-22T10:00:00.000000Z\"}" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *json = point_to_string (&cases[i].point);
      g_autoptr(JsonObject) object = NULL;
      g_autoptr(GError) error = NULL;
      DispatchLocationPoint back = { 0 };

      g_assert_cmpstr (json, ==, cases[i].json);

      object = parse (json);
      g_assert_true (dispatch_location_point_from_json (object, NULL, NOW, &back, &error));
      g_assert_no_error (error);
      assert_points_equal (&back, &cases[i].point);
    }
}

static void
test_to_json_flags_decide (void)
{
  static const DispatchLocationPoint point = { 1, 2, 45, 33, 7, NOW, DISPATCH_LOCATION_HAS_SPEED };
  g_autofree char *json = point_to_string (&point);

  g_assert_cmpstr (json, ==,
                   "{\"lat\":1.0,\"lon\":2.0,\"speed_mps\":33.0,"
                   "\"recorded_at\":\"2026-11-22T10:00:00.000000Z\"}");
}

static void
test_to_json_in_array (void)
{
  static const DispatchLocationPoint points[] = {
    { 1, 2, 0, 0, 0, NOW, 0 },
    { 3, 4, 0, 0, 0, NOW, 0 },
  };
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *json = NULL;

  json_builder_begin_array (builder);
  for (guint i = 0; i < G_N_ELEMENTS (points); i++)
    dispatch_location_point_to_json (&points[i], builder);
  json_builder_end_array (builder);
  root = json_builder_get_root (builder);
  json = dispatch_json_to_string (root, NULL);

  g_assert_cmpstr (json, ==,
                   "[{\"lat\":1.0,\"lon\":2.0,\"recorded_at\":\"2026-11-22T10:00:00.000000Z\"},"
                   "{\"lat\":3.0,\"lon\":4.0,\"recorded_at\":\"2026-11-22T10:00:00.000000Z\"}]");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/location/from-json/full", test_full_point);
  g_test_add_func ("/location/from-json/minimal", test_minimal_point);
  g_test_add_func ("/location/from-json/reject", test_reject);
  g_test_add_func ("/location/from-json/time-limits", test_time_limits);
  g_test_add_func ("/location/to-json", test_to_json);
  g_test_add_func ("/location/to-json/flags", test_to_json_flags_decide);
  g_test_add_func ("/location/to-json/array", test_to_json_in_array);

  return g_test_run ();
}
