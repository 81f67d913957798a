/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <float.h>
#include <math.h>
#include <string.h>

#include "dispatch-json.h"
#include "dispatch-json-writer.h"

/* The number as the strict parser and json-glib read it back from
 * {"v":<text>}; fails the test if the text is not valid JSON. */
static double
read_back (const char *text)
{
  g_autofree char *json = g_strdup_printf ("{\"v\":%s}", text);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) object = dispatch_json_parse_object (json, -1, &error);
  double value = NAN;

  if (object == NULL)
    g_error ("not valid JSON: %s (%s)", json, error->message);
  if (!dispatch_json_get_double (object, NULL, "v", DISPATCH_JSON_REQUIRED, -DBL_MAX, DBL_MAX,
                                 &value, &error))
    g_error ("not a number: %s (%s)", json, error->message);
  return value;
}

static void
assert_round_trip (double value)
{
  g_autoptr(GString) text = g_string_new (NULL);
  double back;

  dispatch_json_append_double (text, value);
  back = read_back (text->str);
  /* Bit for bit, but for the sign of zero: json-glib reads "-0" as the integer 0. */
  if (value == 0 ? back != 0 : memcmp (&value, &back, sizeof value) != 0)
    g_error ("%.17g written as %s reads back as %.17g", value, text->str, back);
}

static void
assert_written (double      value,
                const char *expected)
{
  g_autoptr(GString) text = g_string_new (NULL);

  dispatch_json_append_double (text, value);
  g_assert_cmpstr (text->str, ==, expected);
}

static void
test_double_forms (void)
{
  assert_written (0, "0");
  assert_written (-0.0, "-0");
  assert_written (1, "1");
  assert_written (-1.5, "-1.5");
  assert_written (52.520008, "52.520008");
  assert_written (13.404954, "13.404954");
  assert_written (-179.9999999, "-179.9999999");
  assert_written (0.1, "0.1");
  assert_written (0.001, "0.001");
  assert_written (359.99, "359.99");
  assert_written (100000, "100000");
  assert_written (9007199254740991.0, "9007199254740991");
  /* 17 significant digits: the "%.17g" form. */
  assert_written (0.1 + 0.2, "0.30000000000000004");
  assert_written (1e300, "1.0000000000000001e+300");
  assert_written (NAN, "null");
  assert_written (INFINITY, "null");
  assert_written (-INFINITY, "null");
}

static void
test_double_round_trip (void)
{
  static const double specials[] = {
    0, 1, -1, 0.5, 1e-300, 5e-324, 2.2250738585072014e-308, DBL_MAX, -DBL_MAX,
    9007199254740992.0, 9007199254740993.0, 1e15, 1e16, 1e17, 1e22, 1e23, 123456789012345678.0,
    0.1, 0.2, 0.3, 1.0 / 3, 2.0 / 3, 89.99999999999999, 179.99999999999997,
  };
  g_autoptr(GRand) rand = g_rand_new_with_seed (11);

  for (guint i = 0; i < G_N_ELEMENTS (specials); i++)
    {
      assert_round_trip (specials[i]);
      assert_round_trip (-specials[i]);
    }

  for (guint n = 0; n < 100000; n++)
    {
      char text[G_ASCII_DTOSTR_BUF_SIZE];
      double value;
      guint64 bits;

      switch (n % 4)
        {
        case 0:
          /* any finite double */
          do
            {
              bits = (guint64) g_rand_int (rand) << 32 | g_rand_int (rand);
              memcpy (&value, &bits, sizeof value);
            }
          while (!isfinite (value));
          break;
        case 1:
          /* a coordinate at full precision */
          value = g_rand_double_range (rand, -180, 180);
          break;
        case 2:
          /* a coordinate as a device sends it: 1 to 9 decimals */
          g_snprintf (text, sizeof text, "%.*f", g_rand_int_range (rand, 1, 10),
                      g_rand_double_range (rand, -180, 180));
          value = g_ascii_strtod (text, NULL);
          break;
        default:
          /* speeds, headings, accuracies and larger */
          value = g_rand_double_range (rand, 0, 1) * pow (10, g_rand_int_range (rand, -8, 20));
          break;
        }
      assert_round_trip (value);
    }
}

/* The text GDateTime gives (the former dispatch_format_timestamp). */
static char *
reference_timestamp (gint64 usec)
{
  gint64 seconds = usec / G_USEC_PER_SEC - (usec % G_USEC_PER_SEC < 0);
  g_autoptr(GDateTime) second = g_date_time_new_from_unix_utc (seconds);
  g_autoptr(GDateTime) time = g_date_time_add (second, usec - seconds * G_USEC_PER_SEC);
  int year, month, day;

  g_date_time_get_ymd (time, &year, &month, &day);
  return g_strdup_printf ("%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", year, month, day,
                          g_date_time_get_hour (time), g_date_time_get_minute (time),
                          g_date_time_get_second (time), g_date_time_get_microsecond (time));
}

static void
assert_timestamp (gint64 usec)
{
  g_autoptr(GString) text = g_string_new (NULL);
  g_autofree char *expected = reference_timestamp (usec);
  gint64 back = 0;

  dispatch_json_append_timestamp (text, usec);
  g_assert_cmpstr (text->str, ==, expected);
  g_assert_true (dispatch_parse_timestamp (text->str, &back));
  g_assert_cmpint (back, ==, usec);
}

static void
test_timestamps (void)
{
  const gint64 first = DISPATCH_TIMESTAMP_MIN_US;
  const gint64 last = DISPATCH_TIMESTAMP_MAX_US;
  static const gint64 specials[] = {
    0, -1, 1, 951782400000000 /* 2000-02-29 */, 4107542399999999 /* 2100-02-28 end */,
    1767225600123456, -86400000000, -2208988800000001,
  };
  g_autoptr(GRand) rand = g_rand_new_with_seed (7);

  assert_timestamp (first);
  assert_timestamp (last);
  for (guint i = 0; i < G_N_ELEMENTS (specials); i++)
    assert_timestamp (specials[i]);

  for (guint n = 0; n < 100000; n++)
    {
      /* all years, and more densely the years around now */
      double span = n % 2 ? (double) (last - first) : 200.0 * 365 * 86400 * G_USEC_PER_SEC;
      double base = n % 2 ? (double) first : 1767225600.0 * G_USEC_PER_SEC - span / 2;

      assert_timestamp ((gint64) (base + g_rand_double (rand) * span));
    }
}

static void
test_strings (void)
{
  static const char * const specials[] = {
    "", "plain", "quote \" and backslash \\", "tab\tnew\nline\rcr", "\b\f\x01\x1f\x7f",
    "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x9a\x9a", "</script>", "\xe2\x80\xa8",
  };
  g_autoptr(GRand) rand = g_rand_new_with_seed (3);

  for (guint n = 0; n < G_N_ELEMENTS (specials) + 20000; n++)
    {
      g_autoptr(GString) source = g_string_new (NULL);
      g_autoptr(GString) json = g_string_new ("{\"v\":");
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonObject) object = NULL;
      const char *back = NULL;

      if (n < G_N_ELEMENTS (specials))
        g_string_append (source, specials[n]);
      else
        {
          guint length = g_rand_int_range (rand, 0, 40);

          /* Characters from all of Unicode but U+0000, more often ASCII. */
          for (guint i = 0; i < length; i++)
            {
              gunichar c = g_rand_boolean (rand) ? (gunichar) g_rand_int_range (rand, 1, 0x80)
                                                 : (gunichar) g_rand_int_range (rand, 1, 0x110000);

              if (g_unichar_validate (c))
                g_string_append_unichar (source, c);
            }
        }

      dispatch_json_append_string (json, source->str);
      g_string_append_c (json, '}');
      object = dispatch_json_parse_object (json->str, json->len, &error);
      g_assert_no_error (error);
      g_assert_true (dispatch_json_get_string (object, NULL, "v", DISPATCH_JSON_REQUIRED, 0,
                                               &back, &error));
      g_assert_cmpstr (back, ==, source->str);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/json-writer/double-forms", test_double_forms);
  g_test_add_func ("/json-writer/double-round-trip", test_double_round_trip);
  g_test_add_func ("/json-writer/timestamps", test_timestamps);
  g_test_add_func ("/json-writer/strings", test_strings);

  return g_test_run ();
}
