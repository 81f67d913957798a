/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <string.h>

#include "dispatch-json-scanner.h"

/* What a string scan did: where it stopped, and the problem if it failed. */
typedef struct
{
  gboolean ok;
  gsize pos;
  gsize length;
  const char *problem;
} StringResult;

/* The scanner (with ascii, its ASCII-only reader) on an exact-size copy of
 * text, so that a read past its end shows up under ASan; text starts at the
 * opening quote. */
static StringResult
scan_string (const char *text,
             gsize       size,
             gboolean    ascii)
{
  g_autofree char *copy = g_memdup2 (text, size);
  DispatchJsonScanner s;
  const char *start = NULL;
  StringResult r = { FALSE, 0, 0, NULL };

  dispatch_json_scanner_init (&s, copy, size);
  if (ascii)
    r.ok = dispatch_json_scanner_ascii_string (&s, &start, &r.length);
  else
    r.ok = dispatch_json_scanner_string (&s, &start, &r.length);
  r.pos = s.pos - copy;
  r.problem = s.problem;
  if (r.ok)
    g_assert_true (start == copy + 1);
  return r;
}

/* The rules of a JSON string one byte at a time: the oracle for the
 * scanner's several-bytes-at-a-time loop. */
static StringResult
reference_string (const guchar *text,
                  gsize         size)
{
  gsize i = 1;

  g_assert_true (size > 0 && text[0] == '"');
  while (i < size)
    {
      if (text[i] == '"')
        return (StringResult) { TRUE, i + 1, i - 1, NULL };
      if (text[i] < 0x20)
        return (StringResult) { FALSE, i, 0, "unescaped control character in string" };
      if (text[i] != '\\')
        {
          i++;
          continue;
        }
      if (i + 1 == size)
        break;
      if (text[i + 1] == 'u')
        {
          guint unit = 0;
          gsize at = i;

          for (guint pair = 0; pair < 2; pair++)
            {
              gboolean hex = size - i >= 6 && text[i + 1] == 'u';

              for (guint k = 2; hex && k < 6; k++)
                hex = g_ascii_isxdigit (text[i + k]);
              if (!hex && pair == 0)
                return (StringResult) { FALSE, i, 0, "expected four hex digits after \\u" };
              if (!hex || (pair == 1 && (text[i] != '\\' ||
                                          g_ascii_xdigit_value (text[i + 2]) != 0xD ||
                                          g_ascii_xdigit_value (text[i + 3]) < 0xC)))
                return (StringResult) { FALSE, at, 0, "unpaired surrogate in \\u escape" };
              unit = 0;
              for (guint k = 2; k < 6; k++)
                unit = unit << 4 | (guint) g_ascii_xdigit_value (text[i + k]);
              i += 6;
              if (pair == 1)
                break;
              if (unit == 0)
                return (StringResult) { FALSE, at, 0, "strings must not contain \\u0000" };
              if (unit >= 0xDC00 && unit <= 0xDFFF)
                return (StringResult) { FALSE, at, 0, "unpaired surrogate in \\u escape" };
              if (unit < 0xD800 || unit > 0xDBFF)
                break;
            }
          continue;
        }
      if (text[i + 1] == 0 || strchr ("\"\\/bfnrt", text[i + 1]) == NULL)
        return (StringResult) { FALSE, i, 0, "invalid escape in string" };
      i += 2;
    }
  return (StringResult) { FALSE, i, 0, "unterminated string" };
}

/* What the ascii reader must do: take exactly the valid strings whose body
 * is printable ASCII without a backslash, and else stop at the first byte
 * that is not such. */
static void
assert_ascii_as_reference (const char   *text,
                           gsize         size,
                           StringResult  want)
{
  StringResult got = scan_string (text, size, TRUE);
  gsize first = 1;

  while (first < size && text[first] >= 0x20 && text[first] < 0x7F && text[first] != '\\' &&
         text[first] != '"')
    first++;
  if (want.ok && want.pos == first + 1)
    {
      g_assert_true (got.ok);
      g_assert_cmpuint (got.pos, ==, want.pos);
      g_assert_cmpuint (got.length, ==, want.length);
    }
  else
    {
      g_assert_false (got.ok);
      g_assert_cmpuint (got.pos, ==, first);
      g_assert_cmpstr (got.problem, ==, "expected a plain ASCII string");
    }
}

static void
assert_as_reference (const char *text,
                     gsize       size)
{
  StringResult got = scan_string (text, size, FALSE);
  StringResult want = reference_string ((const guchar *) text, size);

  assert_ascii_as_reference (text, size, want);

  if (got.ok != want.ok || got.pos != want.pos || g_strcmp0 (got.problem, want.problem) != 0 ||
      (got.ok && got.length != want.length))
    {
      g_autofree char *copy = g_strndup (text, size);
      g_autofree char *escaped = g_strescape (copy, NULL);

      g_error ("%s: scanner ok=%d pos=%" G_GSIZE_FORMAT " %s, reference ok=%d pos=%"
               G_GSIZE_FORMAT " %s", escaped, got.ok, got.pos, got.problem, want.ok, want.pos,
               want.problem);
    }
}

/* Each piece after a run of n plain bytes, n across two words, then plain
 * bytes after it, with and without the closing quote. */
static void
test_pieces_at_every_offset (void)
{
  static const char *const pieces[] = {
    "\\\"", "\\\\", "\\/", "\\b", "\\f", "\\n", "\\r", "\\t", "\\u00e9", "\\ud83d\\ude00",
    "\\x", "\\U0041", "\\u12", "\\u12g4", "\\u0000", "\\udc00", "\\ud800", "\\ud800\\u0041",
    "\\ud800x", "\\", "\x01", "\x1f", "\t", "\n", "\x7f", "\x80", "\xc3\xa9", "\xff", "\"",
  };

  for (guint i = 0; i < G_N_ELEMENTS (pieces); i++)
    for (guint before = 0; before < 20; before++)
      for (guint after = 0; after < 12; after++)
        for (guint closed = 0; closed < 2; closed++)
          {
            g_autoptr(GString) text = g_string_new ("\"");

            for (guint k = 0; k < before; k++)
              g_string_append_c (text, 'a' + k % 26);
            g_string_append (text, pieces[i]);
            for (guint k = 0; k < after; k++)
              g_string_append_c (text, 'A' + k % 26);
            if (closed)
              g_string_append_c (text, '"');
            assert_as_reference (text->str, text->len);
          }
}

/* Every control character is refused where it is, and a NUL byte too. */
static void
test_control_characters (void)
{
  for (guint c = 0; c < 0x20; c++)
    for (guint at = 0; at < 17; at++)
      {
        char text[32];
        StringResult r;

        memset (text, 'x', sizeof text);
        text[0] = '"';
        text[1 + at] = (char) c;
        text[sizeof text - 1] = '"';
        r = scan_string (text, sizeof text, FALSE);
        g_assert_false (r.ok);
        g_assert_cmpuint (r.pos, ==, 1 + at);
        g_assert_cmpstr (r.problem, ==, "unescaped control character in string");
      }
}

/* A string cut at the end of the buffer, also right after a backslash or
 * inside a \u escape. */
static void
test_unterminated (void)
{
  static const struct { const char *text; gsize pos; const char *problem; } cases[] = {
    { "\"", 1, "unterminated string" },
    { "\"abcdefgh", 9, "unterminated string" },
    { "\"abcdefghijklmnopq", 18, "unterminated string" },
    { "\"abcdefg\\", 8, "unterminated string" },
    { "\"abcdefgh\\\"", 11, "unterminated string" },
    { "\"abcdefgh\\u00", 9, "expected four hex digits after \\u" },
    { "\"abcdefgh\\ud800\\udc0", 9, "unpaired surrogate in \\u escape" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      StringResult r = scan_string (cases[i].text, strlen (cases[i].text), FALSE);

      g_assert_false (r.ok);
      g_assert_cmpuint (r.pos, ==, cases[i].pos);
      g_assert_cmpstr (r.problem, ==, cases[i].problem);
      assert_as_reference (cases[i].text, strlen (cases[i].text));
    }
}

/* Long strings: plain, full of escapes, and with all bytes from 0x20 up. */
static void
test_long_strings (void)
{
  for (guint size = 1000; size < 1017; size++)
    {
      g_autoptr(GString) plain = g_string_new ("\"");
      g_autoptr(GString) escaped = g_string_new ("\"");
      g_autoptr(GString) bytes = g_string_new ("\"");
      StringResult r;

      for (guint k = 0; k < size; k++)
        {
          guchar c = 0x20 + k % 0xE0;

          g_string_append_c (plain, 'a' + k % 26);
          g_string_append (escaped, k % 3 ? "\\n" : "\\u00e9z");
          g_string_append_c (bytes, c == '"' || c == '\\' ? '!' : (char) c);
        }
      g_string_append_c (plain, '"');
      g_string_append_c (escaped, '"');
      g_string_append_c (bytes, '"');

      r = scan_string (plain->str, plain->len, FALSE);
      g_assert_true (r.ok);
      g_assert_cmpuint (r.length, ==, size);
      g_assert_cmpuint (r.pos, ==, plain->len);
      assert_as_reference (escaped->str, escaped->len);
      r = scan_string (bytes->str, bytes->len, FALSE);
      g_assert_true (r.ok);
      g_assert_cmpuint (r.length, ==, size);
    }
}

/* Random strings, mostly plain bytes with a few special ones. */
static void
test_random_strings (void)
{
  static const char *const pieces[] = {
    "\"", "\\", "\\u", "\\\"", "\\\\", "\\u00e9", "\\ud83d\\ude00", "\\ud800", "\\udc00",
    "\x01", "\x1f", "\x80", "\xff", "0", "d",
  };
  g_autoptr(GRand) rand = g_rand_new_with_seed (20261208);

  for (guint i = 0; i < 20000; i++)
    {
      g_autoptr(GString) text = g_string_new ("\"");
      guint n = g_rand_int_range (rand, 0, 40);

      for (guint k = 0; k < n; k++)
        {
          if (g_rand_int_range (rand, 0, 6) == 0)
            g_string_append (text, pieces[g_rand_int_range (rand, 0, G_N_ELEMENTS (pieces))]);
          else
            g_string_append_c (text, (char) g_rand_int_range (rand, 0x20, 0x100));
        }
      assert_as_reference (text->str, text->len);
    }
}

/* A literal, and the common miss of an optional null. */
static void
test_literals (void)
{
  static const struct { const char *text; gboolean ok; gsize pos; } cases[] = {
    { "null", TRUE, 4 }, { " \n null,", TRUE, 7 }, { "nul", FALSE, 0 }, { "nulL", FALSE, 0 },
    { "", FALSE, 0 }, { "  ", FALSE, 2 }, { "1.5", FALSE, 0 }, { " \"x\"", FALSE, 1 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      gsize size = strlen (cases[i].text);
      g_autofree char *copy = g_memdup2 (cases[i].text, size);
      DispatchJsonScanner s;

      dispatch_json_scanner_init (&s, copy, size);
      g_assert_cmpint (dispatch_json_scanner_literal (&s, "null"), ==, cases[i].ok);
      g_assert_cmpuint (s.pos - copy, ==, cases[i].pos);
      g_assert_cmpstr (s.problem, ==, cases[i].ok ? NULL : "expected a value");
    }
}

/* An optional token: at once, after whitespace, or not there. */
static void
test_accept (void)
{
  static const struct { const char *text; gboolean ok; gsize pos; } cases[] = {
    { ",", TRUE, 1 }, { ",,", TRUE, 1 }, { " \t\r\n,x", TRUE, 5 }, { "", FALSE, 0 },
    { "   ", FALSE, 3 }, { "x,", FALSE, 0 }, { " x,", FALSE, 1 }, { "\v,", FALSE, 0 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      gsize size = strlen (cases[i].text);
      g_autofree char *copy = g_memdup2 (cases[i].text, size);
      DispatchJsonScanner s;

      dispatch_json_scanner_init (&s, copy, size);
      g_assert_cmpint (dispatch_json_scanner_accept (&s, ','), ==, cases[i].ok);
      g_assert_cmpuint (s.pos - copy, ==, cases[i].pos);
      g_assert_null (s.problem);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/json-scanner/string/pieces-at-every-offset", test_pieces_at_every_offset);
  g_test_add_func ("/json-scanner/string/control-characters", test_control_characters);
  g_test_add_func ("/json-scanner/string/unterminated", test_unterminated);
  g_test_add_func ("/json-scanner/string/long", test_long_strings);
  g_test_add_func ("/json-scanner/string/random", test_random_strings);
  g_test_add_func ("/json-scanner/literal", test_literals);
  g_test_add_func ("/json-scanner/accept", test_accept);

  return g_test_run ();
}
