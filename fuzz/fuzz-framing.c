/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The bytes of a connection through DsdHttpFraming (request heads, lengths,
 * chunked bodies), as they arrive: the input in pieces (sizes taken from its
 * first byte) must be judged exactly as the input whole.
 */
#include "dsd-http-framing.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

/* How many bytes are well framed, and whether the scan failed. */
static gsize
scan (const guint8 *data,
      gsize         size,
      gsize         piece,
      gboolean     *failed)
{
  g_autoptr(DsdHttpFraming) framing = dsd_http_framing_new (1024 * 1024);
  g_autoptr(GError) error = NULL;
  gsize good = 0;

  for (gsize at = 0; at < size && error == NULL; at += piece)
    {
      gsize length = MIN (piece, size - at);

      good += dsd_http_framing_scan (framing, data + at, length, &error);
    }
  *failed = error != NULL;

  return good;
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  gboolean whole_failed, pieces_failed;
  gsize whole, pieces;

  if (size < 1)
    return 0;

  whole = scan (data + 1, size - 1, size, &whole_failed);
  pieces = scan (data + 1, size - 1, data[0] % 16 + 1, &pieces_failed);
  g_assert (whole <= size - 1);
  g_assert (whole_failed == (whole < size - 1));
  g_assert (pieces == whole);
  g_assert (pieces_failed == whole_failed);

  return 0;
}
