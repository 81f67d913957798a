/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "dispatch-image.h"
#include "dispatch-png.h"

/* Largest stored deflate block. */
#define STORED_BLOCK_MAX 65535

static void
put_be32 (GByteArray *out,
          guint32     value)
{
  guint8 bytes[4] = { value >> 24, value >> 16, value >> 8, value };

  g_byte_array_append (out, bytes, 4);
}

static void
put_chunk (GByteArray   *out,
           const char   *type,
           const guint8 *data,
           gsize         length)
{
  guint start;

  put_be32 (out, length);
  start = out->len;
  g_byte_array_append (out, (const guint8 *) type, 4);
  if (length > 0)
    g_byte_array_append (out, data, length);
  put_be32 (out, dispatch_image_crc32 (out->data + start, length + 4));
}

/* zlib stream (RFC 1950) of stored deflate blocks (RFC 1951, BTYPE 00). */
static GByteArray *
zlib_store (const guint8 *data,
            gsize         length)
{
  GByteArray *out = g_byte_array_new ();
  guint32 a = 1, b = 0;
  gsize at = 0;

  g_byte_array_append (out, (const guint8 *) "\x78\x01", 2);
  do
    {
      gsize n = MIN (length - at, STORED_BLOCK_MAX);
      guint8 header[5] = { at + n == length ? 1 : 0, n & 0xff, n >> 8,
                           ~n & 0xff, (~n >> 8) & 0xff };

      g_byte_array_append (out, header, 5);
      g_byte_array_append (out, data + at, n);
      at += n;
    }
  while (at < length);

  for (gsize i = 0; i < length; i++)
    {
      a = (a + data[i]) % 65521;
      b = (b + a) % 65521;
    }
  put_be32 (out, (b << 16) | a);

  return out;
}

GBytes *
dispatch_png_encode (guint         width,
                     guint         height,
                     const guint8 *rgb)
{
  static const guint8 signature[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
  g_autoptr(GByteArray) out = g_byte_array_new ();
  g_autoptr(GByteArray) raw = g_byte_array_new ();
  g_autoptr(GByteArray) idat = NULL;
  guint8 ihdr[13] = { width >> 24, width >> 16, width >> 8, width,
                      height >> 24, height >> 16, height >> 8, height,
                      8, 2, 0, 0, 0 };   /* 8-bit RGB, no interlace */

  g_return_val_if_fail (width > 0 && height > 0 && rgb != NULL, NULL);

  for (guint y = 0; y < height; y++)
    {
      g_byte_array_append (raw, (const guint8 *) "", 1);   /* filter: none */
      g_byte_array_append (raw, rgb + (gsize) y * width * 3, (gsize) width * 3);
    }
  idat = zlib_store (raw->data, raw->len);

  g_byte_array_append (out, signature, sizeof signature);
  put_chunk (out, "IHDR", ihdr, sizeof ihdr);
  put_chunk (out, "IDAT", idat->data, idat->len);
  put_chunk (out, "IEND", NULL, 0);

  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}
