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

void
dispatch_json_scanner_skip_space (DispatchJsonScanner *scanner)
{
  while (scanner->pos < scanner->end &&
         (*scanner->pos == ' ' || *scanner->pos == '\t' ||
          *scanner->pos == '\n' || *scanner->pos == '\r'))
    scanner->pos++;
}

gboolean
dispatch_json_scanner_accept (DispatchJsonScanner *scanner,
                              char                 c)
{
  dispatch_json_scanner_skip_space (scanner);
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

  if (!dispatch_json_scanner_expect (scanner, '"', "expected a string"))
    return FALSE;

  begin = scanner->pos;
  while (scanner->pos < scanner->end)
    {
      guchar c = *scanner->pos;

      if (c == '"')
        {
          if (start != NULL)
            *start = begin;
          if (length != NULL)
            *length = scanner->pos - begin;
          scanner->pos++;
          return TRUE;
        }
      if (c < 0x20)
        return dispatch_json_scanner_fail (scanner, scanner->pos,
                                           "unescaped control character in string");
      if (c != '\\')
        {
          scanner->pos++;
          continue;
        }
      if (scanner->end - scanner->pos < 2)
        break;
      c = scanner->pos[1];
      if (c == 'u')
        {
          if (!scan_unicode_escape (scanner))
            return FALSE;
        }
      else if (c != '\0' && strchr ("\"\\/bfnrt", c) != NULL)
        scanner->pos += 2;
      else
        return dispatch_json_scanner_fail (scanner, scanner->pos, "invalid escape in string");
    }

  return dispatch_json_scanner_fail (scanner, scanner->pos, "unterminated string");
}

static guint
scan_digits (DispatchJsonScanner *scanner)
{
  const char *begin = scanner->pos;

  while (scanner->pos < scanner->end && g_ascii_isdigit (*scanner->pos))
    scanner->pos++;
  return scanner->pos - begin;
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

  dispatch_json_scanner_skip_space (scanner);
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
  gsize len = strlen (literal);

  dispatch_json_scanner_skip_space (scanner);
  if ((gsize) (scanner->end - scanner->pos) < len ||
      memcmp (scanner->pos, literal, len) != 0)
    return dispatch_json_scanner_fail (scanner, scanner->pos, "expected a value");
  scanner->pos += len;
  return TRUE;
}
