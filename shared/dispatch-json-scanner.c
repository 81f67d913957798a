/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <string.h>

#include "dispatch-json-scanner.h"

void
dispatch_json_scanner_init (DispatchJsonScanner *scanner,
                            const char          *data,
                            gsize                length)
{
  *scanner = (DispatchJsonScanner) { data, data + length, NULL };
}

gboolean
dispatch_json_scanner_fail (DispatchJsonScanner *scanner,
                            const char          *at,
                            const char          *problem)
{
  scanner->pos = at;
  scanner->problem = problem;
  return FALSE;
}

/* Bytes a string body holds as they are: not '"', '\\' nor a control
 * character. */
#define PLAIN_ROW 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1
static const guint8 plain_string_byte[256] = {
  [0x20] = 1, 1, 0 /* " */, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
  PLAIN_ROW, PLAIN_ROW,
  [0x50] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0 /* \\ */, 1, 1, 1,
  PLAIN_ROW, PLAIN_ROW,
  PLAIN_ROW, PLAIN_ROW, PLAIN_ROW, PLAIN_ROW, PLAIN_ROW, PLAIN_ROW, PLAIN_ROW, PLAIN_ROW,
};
#undef PLAIN_ROW

#define BYTES_OF(b) (G_GUINT64_CONSTANT (0x0101010101010101) * (b))

/* A mask of the eight bytes of word (little-endian) that are not plain
 * string bytes, or with ascii, not printable ASCII: 0x80 in each. Only its
 * lowest bit is exact (the borrow of a byte below a bound spoils the bits
 * above it), which is all skip_plain needs. */
static inline guint64
special_bytes (guint64  word,
               gboolean ascii)
{
  guint64 quote = word ^ BYTES_OF ('"');
  guint64 backslash = word ^ BYTES_OF ('\\');
  guint64 below = (word - BYTES_OF (0x20)) & ~word;

  below |= (quote - BYTES_OF (1)) & ~quote;
  below |= (backslash - BYTES_OF (1)) & ~backslash;
  if (ascii)
    {
      guint64 del = word ^ BYTES_OF (0x7F);

      below |= word | ((del - BYTES_OF (1)) & ~del);
    }
  return below & BYTES_OF (0x80);
}

/* From p on, past the plain string bytes (with ascii, printable ASCII
 * only), eight at a time: the first byte that needs a look, or end. */
static inline const char *
skip_plain (const char *p,
            const char *end,
            gboolean    ascii)
{
  for (guint64 word, special; end - p >= 8; p += 8)
    {
      memcpy (&word, p, sizeof word);
      special = special_bytes (GUINT64_FROM_LE (word), ascii);
      if (special != 0)
        return p + __builtin_ctzll (special) / 8;
    }
  while (p < end && plain_string_byte[(guchar) *p] && (!ascii || (guchar) *p < 0x7F))
    p++;
  return p;
}

static inline void
skip_space (DispatchJsonScanner *scanner)
{
  const char *p = scanner->pos;

  /* Compact text has no whitespace, and no whitespace byte is above ' '. */
  while (p < scanner->end && (guchar) *p <= ' ' &&
         (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
    p++;
  scanner->pos = p;
}

void
dispatch_json_scanner_skip_space (DispatchJsonScanner *scanner)
{
  skip_space (scanner);
}

gboolean
dispatch_json_scanner_accept_after_space (DispatchJsonScanner *scanner,
                                          char                 c)
{
  skip_space (scanner);
  if (scanner->pos == scanner->end || *scanner->pos != c)
    return FALSE;
  scanner->pos++;
  return TRUE;
}

gboolean
dispatch_json_scanner_expect (DispatchJsonScanner *scanner,
                              char                 c,
                              const char          *expected)
{
  if (dispatch_json_scanner_accept (scanner, c))
    return TRUE;
  return dispatch_json_scanner_fail (scanner, scanner->pos, expected);
}

/* A \uXXXX escape from its backslash on; FALSE if there is none. */
static gboolean
scan_hex4 (DispatchJsonScanner *scanner,
           gunichar            *unit)
{
  if (scanner->end - scanner->pos < 6 ||
      scanner->pos[0] != '\\' || scanner->pos[1] != 'u')
    return FALSE;

  *unit = 0;
  for (guint i = 2; i < 6; i++)
    {
      int digit = g_ascii_xdigit_value (scanner->pos[i]);

      if (digit < 0)
        return FALSE;
      *unit = (*unit << 4) | (gunichar) digit;
    }
  scanner->pos += 6;
  return TRUE;
}

/* One escaped character, which may be a surrogate pair of escapes. */
static gboolean
scan_unicode_escape (DispatchJsonScanner *scanner)
{
  const char *start = scanner->pos;
  gunichar unit;

  if (!scan_hex4 (scanner, &unit))
    return dispatch_json_scanner_fail (scanner, scanner->pos,
                                       "expected four hex digits after \\u");
  if (unit == 0)
    return dispatch_json_scanner_fail (scanner, start, "strings must not contain \\u0000");
  if (unit >= 0xDC00 && unit <= 0xDFFF)
    return dispatch_json_scanner_fail (scanner, start, "unpaired surrogate in \\u escape");
  if (unit >= 0xD800 && unit <= 0xDBFF &&
      (!scan_hex4 (scanner, &unit) || unit < 0xDC00 || unit > 0xDFFF))
    return dispatch_json_scanner_fail (scanner, start, "unpaired surrogate in \\u escape");
  return TRUE;
}

gboolean
dispatch_json_scanner_string (DispatchJsonScanner  *scanner,
                              const char          **start,
                              gsize                *length)
{
  const char *begin;
  const char *p;

  if (!dispatch_json_scanner_expect (scanner, '"', "expected a string"))
    return FALSE;

  begin = p = scanner->pos;
  for (;;)
    {
      guchar c;

      p = skip_plain (p, scanner->end, FALSE);
      if (p == scanner->end)
        break;
      c = *p;
      if (c == '"')
        {
          if (start != NULL)
            *start = begin;
          if (length != NULL)
            *length = p - begin;
          scanner->pos = p + 1;
          return TRUE;
        }
      if (c < 0x20)
        return dispatch_json_scanner_fail (scanner, p, "unescaped control character in string");

      /* A backslash. */
      if (scanner->end - p < 2)
        break;
      c = p[1];
      if (c == 'u')
        {
          scanner->pos = p;
          if (!scan_unicode_escape (scanner))
            return FALSE;
          p = scanner->pos;
        }
      else if (c != '\0' && strchr ("\"\\/bfnrt", c) != NULL)
        p += 2;
      else
        return dispatch_json_scanner_fail (scanner, p, "invalid escape in string");
    }

  return dispatch_json_scanner_fail (scanner, p, "unterminated string");
}

gboolean
dispatch_json_scanner_ascii_string (DispatchJsonScanner  *scanner,
                                    const char          **start,
                                    gsize                *length)
{
  const char *p;

  if (!dispatch_json_scanner_expect (scanner, '"', "expected a string"))
    return FALSE;

  p = skip_plain (scanner->pos, scanner->end, TRUE);
  if (p == scanner->end || *p != '"')
    return dispatch_json_scanner_fail (scanner, p, "expected a plain ASCII string");
  if (start != NULL)
    *start = scanner->pos;
  if (length != NULL)
    *length = p - scanner->pos;
  scanner->pos = p + 1;
  return TRUE;
}

static guint
scan_digits (DispatchJsonScanner *scanner)
{
  const char *begin = scanner->pos;

  const char *p = begin;

  while (p < scanner->end && (guint) ((guchar) *p - '0') < 10)
    p++;
  scanner->pos = p;
  return p - begin;
}

gboolean
dispatch_json_scanner_number (DispatchJsonScanner  *scanner,
                              const char          **start,
                              gsize                *length,
                              gboolean             *integral)
{
  const char *begin;
  gboolean negative = FALSE;
  gboolean is_integral = TRUE;
  const char *digits;
  guint n_digits;

  skip_space (scanner);
  begin = scanner->pos;

  if (scanner->pos < scanner->end && *scanner->pos == '-')
    {
      negative = TRUE;
      scanner->pos++;
    }

  digits = scanner->pos;
  n_digits = scan_digits (scanner);
  if (n_digits == 0)
    return dispatch_json_scanner_fail (scanner, scanner->pos, "expected a digit");
  if (n_digits > 1 && *digits == '0')
    return dispatch_json_scanner_fail (scanner, digits, "numbers must not have leading zeros");

  if (scanner->pos < scanner->end && *scanner->pos == '.')
    {
      scanner->pos++;
      is_integral = FALSE;
      if (scan_digits (scanner) == 0)
        return dispatch_json_scanner_fail (scanner, scanner->pos,
                                           "expected a digit after the decimal point");
    }

  if (scanner->pos < scanner->end && (*scanner->pos == 'e' || *scanner->pos == 'E'))
    {
      scanner->pos++;
      is_integral = FALSE;
      if (scanner->pos < scanner->end && (*scanner->pos == '+' || *scanner->pos == '-'))
        scanner->pos++;
      if (scan_digits (scanner) == 0)
        return dispatch_json_scanner_fail (scanner, scanner->pos,
                                           "expected a digit in the exponent");
    }

  /* json-glib stores integers as gint64 and silently wraps larger ones. */
  if (is_integral && n_digits >= 19)
    {
      const char *limit = negative ? "9223372036854775808" : "9223372036854775807";

      if (n_digits > 19 || memcmp (digits, limit, 19) > 0)
        return dispatch_json_scanner_fail (scanner, digits, "integer out of the 64-bit range");
    }

  if (start != NULL)
    *start = begin;
  if (length != NULL)
    *length = scanner->pos - begin;
  if (integral != NULL)
    *integral = is_integral;
  return TRUE;
}

gboolean
dispatch_json_scanner_literal (DispatchJsonScanner *scanner,
                               const char          *literal)
{
  gsize len;

  skip_space (scanner);
  /* Most calls test for an optional null where a value of another kind is. */
  if (scanner->pos == scanner->end || *scanner->pos != literal[0])
    return dispatch_json_scanner_fail (scanner, scanner->pos, "expected a value");
  len = strlen (literal);
  if ((gsize) (scanner->end - scanner->pos) < len ||
      memcmp (scanner->pos, literal, len) != 0)
    return dispatch_json_scanner_fail (scanner, scanner->pos, "expected a value");
  scanner->pos += len;
  return TRUE;
}
