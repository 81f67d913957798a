/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <math.h>

#include "dispatch-json-writer.h"

/**
 * dispatch_json_append_string:
 * @out: where to append
 * @text: UTF-8 text
 *
 * Appends @text as a JSON string: quoted, with quotes, backslashes and
 * control characters escaped.
 */
void
dispatch_json_append_string (GString    *out,
                             const char *text)
{
  static const char hex[] = "0123456789abcdef";
  const char *p = text;

  g_return_if_fail (out != NULL);
  g_return_if_fail (text != NULL);

  g_string_append_c (out, '"');
  while (*p != '\0')
    {
      const char *run = p;
      char escape = 0;

      while ((guchar) *p >= 0x20 && *p != '"' && *p != '\\')
        p++;
      g_string_append_len (out, run, p - run);
      if (*p == '\0')
        break;

      switch (*p)
        {
        case '"': escape = '"'; break;
        case '\\': escape = '\\'; break;
        case '\b': escape = 'b'; break;
        case '\f': escape = 'f'; break;
        case '\n': escape = 'n'; break;
        case '\r': escape = 'r'; break;
        case '\t': escape = 't'; break;
        default: break;
        }
      g_string_append_c (out, '\\');
      if (escape != 0)
        {
          g_string_append_c (out, escape);
        }
      else
        {
          g_string_append (out, "u00");
          g_string_append_c (out, hex[(guchar) *p >> 4]);
          g_string_append_c (out, hex[*p & 0xf]);
        }
      p++;
    }
  g_string_append_c (out, '"');
}

/* m with the last n_fraction of its digits after a decimal point (trailing
 * zeros of the fraction left out), after a minus sign if negative. */
static void
append_fixed (GString  *out,
              gboolean  negative,
              guint64   m,
              guint     n_fraction)
{
  char digits[24];   /* least significant first */
  char text[32];
  guint n_digits = 0;
  guint n_text = 0;
  guint first = 0;

  do
    {
      digits[n_digits++] = '0' + m % 10;
      m /= 10;
    }
  while (m > 0 || n_digits <= n_fraction);

  while (first < n_fraction && digits[first] == '0')
    first++;

  if (negative)
    text[n_text++] = '-';
  for (guint i = n_digits; i > n_fraction; i--)
    text[n_text++] = digits[i - 1];
  if (first < n_fraction)
    {
      text[n_text++] = '.';
      for (guint i = n_fraction; i > first; i--)
        text[n_text++] = digits[i - 1];
    }
  g_string_append_len (out, text, n_text);
}

/**
 * dispatch_json_append_double:
 * @out: where to append
 * @value: a number
 *
 * Appends @value as a JSON number that reads back as exactly @value (null
 * when it is not finite). Numbers with at most 17 significant digits that
 * have a short decimal form (coordinates, speeds) get it, in plain decimal
 * notation; others get the 17 significant digits of "%.17g".
 */
void
dispatch_json_append_double (GString *out,
                             double   value)
{
  static const double powers[] = {
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
    1e16, 1e17,
  };
  double magnitude = fabs (value);
  char text[G_ASCII_DTOSTR_BUF_SIZE];

  g_return_if_fail (out != NULL);

  if (!isfinite (value))
    {
      g_string_append (out, "null");
      return;
    }

  /* The fewest decimals d such that round(|value| × 10^d) / 10^d is |value|.
   * Below 2^53 the integer and the powers of ten are exact doubles, so the
   * division is the correctly rounded value of that decimal, which is what
   * a reader (strtod) makes of it: a candidate that passes reads back as
   * value. One that the rounded product misses only costs a longer form. */
  for (guint d = 0; d < G_N_ELEMENTS (powers); d++)
    {
      double scaled = magnitude * powers[d];
      double m;

      if (scaled >= 0x1p53)
        break;
      m = nearbyint (scaled);
      if (m / powers[d] == magnitude)
        {
          append_fixed (out, signbit (value), (guint64) m, d);
          return;
        }
    }

  g_string_append (out, g_ascii_dtostr (text, sizeof text, value));
}

static void
put_digits (char   *at,
            guint   n_digits,
            guint64 value)
{
  for (guint i = n_digits; i > 0; i--)
    {
      at[i - 1] = '0' + value % 10;
      value /= 10;
    }
}

/**
 * dispatch_json_append_timestamp:
 * @out: where to append
 * @usec: microseconds since the Unix epoch, from %DISPATCH_TIMESTAMP_MIN_US to
 *   %DISPATCH_TIMESTAMP_MAX_US
 *
 * Appends RFC 3339 UTC text with six fractional digits, e.g.
 * "2026-11-22T10:00:00.123456Z", without quotes.
 */
void
dispatch_json_append_timestamp (GString *out,
                                gint64   usec)
{
  /* Floor division, so times before 1970 land on the right second. */
  gint64 seconds = usec / G_USEC_PER_SEC - (usec % G_USEC_PER_SEC < 0);
  gint64 micros = usec - seconds * G_USEC_PER_SEC;
  gint64 days = seconds / 86400 - (seconds % 86400 < 0);
  gint64 second_of_day = seconds - days * 86400;
  gint64 z, era, day_of_era, year_of_era, day_of_year, mp, year, month, day;
  char text[] = "0000-00-00T00:00:00.000000Z";

  g_return_if_fail (out != NULL);
  g_return_if_fail (usec >= DISPATCH_TIMESTAMP_MIN_US && usec <= DISPATCH_TIMESTAMP_MAX_US);

  /* Civil date from days since 1970-01-01, proleptic Gregorian, eras of
   * 400 years starting on March 1 (H. Hinnant, "chrono-compatible low-level
   * date algorithms"). */
  z = days + 719468;
  era = (z >= 0 ? z : z - 146096) / 146097;
  day_of_era = z - era * 146097;
  year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36524 -
                 day_of_era / 146096) / 365;
  day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  mp = (5 * day_of_year + 2) / 153;
  day = day_of_year - (153 * mp + 2) / 5 + 1;
  month = mp < 10 ? mp + 3 : mp - 9;
  year = year_of_era + era * 400 + (month <= 2);

  put_digits (text, 4, year);
  put_digits (text + 5, 2, month);
  put_digits (text + 8, 2, day);
  put_digits (text + 11, 2, second_of_day / 3600);
  put_digits (text + 14, 2, second_of_day / 60 % 60);
  put_digits (text + 17, 2, second_of_day % 60);
  put_digits (text + 20, 6, micros);
  g_string_append_len (out, text, sizeof text - 1);
}
