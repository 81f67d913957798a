/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * The JSON tokenizer (RFC 8259) under both readers of JSON text: the strict
 * reader that builds json-glib trees (dispatch_json_parse_object) and the fast
 * location reader (server/live/dsd-location-scanner.c). It only reads: a
 * token is checked and skipped, strings and numbers are given as spans of the
 * text. On failure, pos is where the problem starts and problem says what it
 * is.
 */
typedef struct
{
  const char *pos;
  const char *end;
  const char *problem;
} DispatchJsonScanner;

void     dispatch_json_scanner_init       (DispatchJsonScanner  *scanner,
                                           const char           *data,
                                           gsize                 length);
void     dispatch_json_scanner_skip_space (DispatchJsonScanner  *scanner);
gboolean dispatch_json_scanner_fail       (DispatchJsonScanner  *scanner,
                                           const char           *at,
                                           const char           *problem);
/* After whitespace: c, consumed; else FALSE (problem: expected). */
gboolean dispatch_json_scanner_expect     (DispatchJsonScanner  *scanner,
                                           char                  c,
                                           const char           *expected);
/* The same without a problem: for optional tokens such as ','. Inline for
 * compact text, where the token follows at once; a byte that is c is no
 * whitespace, so this is what skipping whitespace first would give. */
gboolean dispatch_json_scanner_accept_after_space (DispatchJsonScanner *scanner,
                                                   char                 c);

static inline gboolean
dispatch_json_scanner_accept (DispatchJsonScanner *scanner,
                              char                 c)
{
  if (scanner->pos < scanner->end && *scanner->pos == c)
    {
      scanner->pos++;
      return TRUE;
    }
  return dispatch_json_scanner_accept_after_space (scanner, c);
}
/* After whitespace: a string with valid escapes and no control characters
 * nor \u0000; start/length (optional): its raw text between the quotes. */
gboolean dispatch_json_scanner_string     (DispatchJsonScanner  *scanner,
                                           const char          **start,
                                           gsize                *length);
/* The same for a string of printable ASCII (0x20 to 0x7E) without
 * escapes, which needs no decoding; FALSE for any other string (problem:
 * "expected a plain ASCII string", at its first other byte or the end). */
gboolean dispatch_json_scanner_ascii_string (DispatchJsonScanner  *scanner,
                                            const char          **start,
                                            gsize                *length);
/* After whitespace: a number; an integer (no fraction nor exponent) must fit
 * a gint64, as json-glib keeps it. start/length/integral: (optional). */
gboolean dispatch_json_scanner_number     (DispatchJsonScanner  *scanner,
                                           const char          **start,
                                           gsize                *length,
                                           gboolean             *integral);
/* After whitespace: literal ("true", "false", "null"). */
gboolean dispatch_json_scanner_literal    (DispatchJsonScanner  *scanner,
                                           const char           *literal);

G_END_DECLS
