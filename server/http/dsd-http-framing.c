/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-http"

#include "config.h"

#include <string.h>

#include "dispatch-error.h"

#include "dsd-http-framing.h"

/* The longest chunk-size line (as libsoup's buffer for it), and the part of
 * a head line kept to read its header. */
#define LINE_KEPT 128

typedef enum {
  HEAD,          /* lines of a request head */
  BODY,          /* remaining bytes of a Content-Length body */
  CHUNK_SIZE,    /* a chunk-size line */
  CHUNK_DATA,    /* remaining bytes of a chunk */
  CHUNK_CR,      /* the CRLF after a chunk's data */
  CHUNK_LF,
  LAST_LINE,     /* the empty line after the last chunk */
  UNCHECKED,     /* not HTTP any more, or not read: passed as is */
  FAILED,
} State;

struct _DsdHttpFraming
{
  guint64  max_body;
  State    state;
  guint64  remaining;         /* BODY, CHUNK_DATA */

  char     line[LINE_KEPT];
  gsize    line_length;       /* the whole line's, may exceed LINE_KEPT */

  /* The head being read. */
  guint    head_lines;
  gboolean chunked;
  gboolean upgrade;
  gboolean unreadable;        /* framing the server refuses anyway */
  gint64   content_length;    /* -1: none */

  GError  *error;
};

DsdHttpFraming *
dsd_http_framing_new (guint64 max_body)
{
  DsdHttpFraming *self = g_new0 (DsdHttpFraming, 1);

  self->max_body = max_body;
  self->state = HEAD;
  self->content_length = -1;

  return self;
}

void
dsd_http_framing_free (DsdHttpFraming *self)
{
  g_clear_error (&self->error);
  g_free (self);
}

static void
fail (DsdHttpFraming *self,
      gint            code,
      const char     *message)
{
  self->state = FAILED;
  g_set_error_literal (&self->error, DISPATCH_ERROR, code, message);
}

/* value of "name:value" when line is that header, without surrounding
 * whitespace; NULL otherwise. */
static const char *
header_value (char       *line,
              const char *name)
{
  gsize name_length = strlen (name);
  char *value;

  if (g_ascii_strncasecmp (line, name, name_length) != 0 || line[name_length] != ':')
    return NULL;

  value = g_strstrip (line + name_length + 1);

  return value;
}

static void
read_header (DsdHttpFraming *self)
{
  gboolean whole = self->line_length < LINE_KEPT;
  const char *value;
  gsize digits;

  if ((value = header_value (self->line, "Transfer-Encoding")) != NULL)
    {
      if (!whole || self->chunked || g_ascii_strcasecmp (value, "chunked") != 0)
        self->unreadable = TRUE;
      self->chunked = TRUE;
    }
  else if ((value = header_value (self->line, "Content-Length")) != NULL)
    {
      digits = strspn (value, "0123456789");
      if (!whole || self->content_length >= 0 || digits == 0 || digits > 18 ||
          value[digits] != '\0')
        self->unreadable = TRUE;
      else
        self->content_length = g_ascii_strtoll (value, NULL, 10);
    }
  else if (header_value (self->line, "Upgrade") != NULL)
    {
      self->upgrade = TRUE;
    }
}

static void
end_head (DsdHttpFraming *self)
{
  if (self->unreadable || self->upgrade || (self->chunked && self->content_length >= 0))
    self->state = UNCHECKED;
  else if (self->chunked)
    self->state = CHUNK_SIZE;
  else if (self->content_length > 0)
    {
      self->state = BODY;
      self->remaining = self->content_length;
    }

  self->head_lines = 0;
  self->chunked = FALSE;
  self->upgrade = FALSE;
  self->content_length = -1;
}

static void
end_head_line (DsdHttpFraming *self)
{
  if (self->line_length == 0)
    {
      /* Empty lines before a request line are ignored (RFC 9112 §2.2). */
      if (self->head_lines > 0)
        end_head (self);
      return;
    }

  /* (the first is the request line) */
  if (self->head_lines++ > 0)
    read_header (self);
}

static void
end_chunk_size_line (DsdHttpFraming *self)
{
  const char *p = self->line;
  guint64 size = 0;
  gsize digits = 0;

  if (self->line_length >= LINE_KEPT)
    {
      fail (self, DISPATCH_ERROR_INVALID_ARGUMENT, "chunk size line too long");
      return;
    }

  for (; g_ascii_isxdigit (*p); p++, digits++)
    size = (size << 4) | g_ascii_xdigit_value (*p);
  while (*p == ' ' || *p == '\t')
    p++;

  /* chunk-ext: anything printable after ';' */
  if (*p == ';')
    while (*p == '\t' || (*p >= ' ' && *p != 0x7f))
      p++;

  if (digits == 0 || digits > 16 || *p != '\0' || size > G_MAXINT64)
    fail (self, DISPATCH_ERROR_INVALID_ARGUMENT, "malformed chunk size");
  else if (size > self->max_body)
    fail (self, DISPATCH_ERROR_PAYLOAD_TOO_LARGE, "a chunk exceeds the request body limit");
  else if (size == 0)
    self->state = LAST_LINE;
  else
    {
      self->state = CHUNK_DATA;
      self->remaining = size;
    }
}

static void
end_line (DsdHttpFraming *self)
{
  self->line[MIN (self->line_length, LINE_KEPT - 1)] = '\0';

  switch (self->state)
    {
    case HEAD:
      end_head_line (self);
      break;

    case CHUNK_SIZE:
      end_chunk_size_line (self);
      break;

    case LAST_LINE:
      if (self->line_length == 0)
        self->state = HEAD;
      else
        fail (self, DISPATCH_ERROR_INVALID_ARGUMENT, "trailer fields are not accepted");
      break;

    default:
      g_assert_not_reached ();
    }

  self->line_length = 0;
}

/* A byte of a line: LF ends it, after an optional CR. */
static void
line_byte (DsdHttpFraming *self,
           guint8          byte)
{
  if (byte == '\n')
    {
      if (self->line_length > 0 && self->line_length <= LINE_KEPT &&
          self->line[self->line_length - 1] == '\r')
        self->line_length--;
      end_line (self);
      return;
    }

  if (self->line_length > 0 && self->line_length <= LINE_KEPT &&
      self->line[self->line_length - 1] == '\r' && self->state != HEAD)
    {
      fail (self, DISPATCH_ERROR_INVALID_ARGUMENT, "CR without LF in chunked framing");
      return;
    }

  if (self->line_length < LINE_KEPT)
    self->line[self->line_length] = byte;
  self->line_length++;
}

/* The bytes of a head from data[i] up to its next line end, taken at once
 * (as line_byte() would take them one by one: a head line may hold a lone
 * CR); returns where scanning goes on. */
static gsize
head_bytes (DsdHttpFraming *self,
            const guint8   *data,
            gsize           i,
            gsize           length)
{
  const guint8 *lf = memchr (data + i, '\n', length - i);
  gsize end = lf != NULL ? (gsize) (lf - data) : length;

  if (self->line_length < LINE_KEPT)
    memcpy (self->line + self->line_length, data + i,
            MIN (end - i, LINE_KEPT - self->line_length));
  self->line_length += end - i;
  if (lf == NULL)
    return end;

  line_byte (self, '\n');
  return end + 1;
}

gsize
dsd_http_framing_scan (DsdHttpFraming *self,
                       const guint8   *data,
                       gsize           length,
                       GError        **error)
{
  gsize i = 0;

  while (i < length && self->state != FAILED && self->state != UNCHECKED)
    {
      guint64 n;

      switch (self->state)
        {
        case BODY:
        case CHUNK_DATA:
          n = MIN (self->remaining, length - i);
          i += n;
          self->remaining -= n;
          if (self->remaining == 0)
            self->state = self->state == BODY ? HEAD : CHUNK_CR;
          continue;

        case CHUNK_CR:
          if (data[i] == '\r')
            self->state = CHUNK_LF;
          else if (data[i] == '\n')
            self->state = CHUNK_SIZE;
          else
            fail (self, DISPATCH_ERROR_INVALID_ARGUMENT, "chunk data longer than its size");
          break;

        case CHUNK_LF:
          if (data[i] == '\n')
            self->state = CHUNK_SIZE;
          else
            fail (self, DISPATCH_ERROR_INVALID_ARGUMENT, "chunk data longer than its size");
          break;

        case HEAD:
          i = head_bytes (self, data, i, length);
          continue;

        case CHUNK_SIZE:
        case LAST_LINE:
          line_byte (self, data[i]);
          break;

        case UNCHECKED:
        case FAILED:
        default:
          g_assert_not_reached ();
        }

      if (self->state != FAILED)
        i++;
    }

  if (self->state == FAILED)
    {
      g_propagate_error (error, g_error_copy (self->error));
      return i;
    }

  return length;
}
