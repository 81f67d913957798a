/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <string.h>

#include "dispatch-error.h"
#include "dispatch-image.h"

static const guint8 png_signature[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };

static guint32
read_be32 (const guint8 *p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) | ((guint32) p[2] << 8) | p[3];
}

static guint
read_be16 (const guint8 *p)
{
  return ((guint) p[0] << 8) | p[1];
}

guint32
dispatch_image_crc32 (const guint8 *data,
                      gsize         length)
{
  static guint32 table[256];
  static gsize table_ready = 0;
  guint32 crc = 0xffffffffu;

  if (g_once_init_enter (&table_ready))
    {
      for (guint32 n = 0; n < 256; n++)
        {
          guint32 c = n;

          for (int k = 0; k < 8; k++)
            c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
          table[n] = c;
        }
      g_once_init_leave (&table_ready, 1);
    }

  for (gsize i = 0; i < length; i++)
    crc = table[(crc ^ data[i]) & 0xff] ^ (crc >> 8);

  return crc ^ 0xffffffffu;
}

static gboolean
not_an_image (GError     **error,
              const char  *why)
{
  g_set_error (error, DISPATCH_ERROR, DISPATCH_ERROR_UNSUPPORTED_MEDIA_TYPE,
               "the body is not a JPEG or PNG image (%s)", why);
  return FALSE;
}

/* Bit depths PNG allows for each colour type (bit n: depth n is allowed). */
static gboolean
png_depth_allowed (guint color_type,
                   guint depth)
{
  switch (color_type)
    {
    case 0: return depth == 1 || depth == 2 || depth == 4 || depth == 8 || depth == 16;
    case 3: return depth == 1 || depth == 2 || depth == 4 || depth == 8;
    case 2: case 4: case 6: return depth == 8 || depth == 16;
    default: return FALSE;
    }
}

static gboolean
sniff_png (const guint8       *data,
           gsize               length,
           DispatchImageInfo  *info,
           GError            **error)
{
  gsize at = sizeof png_signature;
  gboolean idat = FALSE;

  for (guint n = 0; ; n++)
    {
      const guint8 *type;
      guint32 chunk;

      if (length - at < 12)
        return not_an_image (error, "PNG chunk cut short");
      chunk = read_be32 (data + at);
      type = data + at + 4;
      if (chunk > length - at - 12)
        return not_an_image (error, "PNG chunk longer than the data");
      for (int i = 0; i < 4; i++)
        if (!g_ascii_isalpha (type[i]))
          return not_an_image (error, "PNG chunk type is not a name");
      if (read_be32 (type + 4 + chunk) != dispatch_image_crc32 (type, chunk + 4))
        return not_an_image (error, "PNG chunk CRC is wrong");

      if (n == 0)
        {
          const guint8 *ihdr = type + 4;

          if (memcmp (type, "IHDR", 4) != 0 || chunk != 13)
            return not_an_image (error, "PNG does not start with IHDR");
          info->width = read_be32 (ihdr);
          info->height = read_be32 (ihdr + 4);
          if (info->width == 0 || info->height == 0 || info->width > G_MAXINT32 ||
              info->height > G_MAXINT32 || !png_depth_allowed (ihdr[9], ihdr[8]) ||
              ihdr[10] != 0 || ihdr[11] != 0 || ihdr[12] > 1)
            return not_an_image (error, "PNG header is invalid");
        }
      else if (memcmp (type, "IHDR", 4) == 0)
        return not_an_image (error, "PNG has a second IHDR");
      else if (memcmp (type, "IDAT", 4) == 0)
        idat = TRUE;
      else if (memcmp (type, "IEND", 4) == 0)
        {
          if (!idat)
            return not_an_image (error, "PNG has no image data");
          info->type = DISPATCH_IMAGE_PNG;
          return TRUE;
        }

      at += 12 + (gsize) chunk;
    }
}

/* Start-of-frame markers: C0–CF except C4 (DHT), C8 (JPG), CC (DAC). */
static gboolean
is_sof (guint8 marker)
{
  return marker >= 0xc0 && marker <= 0xcf && marker != 0xc4 && marker != 0xc8 && marker != 0xcc;
}

static gboolean
sniff_jpeg (const guint8       *data,
            gsize               length,
            DispatchImageInfo  *info,
            GError            **error)
{
  gsize at = 2;
  gboolean frame = FALSE;

  if (length < 4 || data[length - 2] != 0xff || data[length - 1] != 0xd9)
    return not_an_image (error, "JPEG does not end with EOI");

  for (;;)
    {
      guint8 marker;
      guint segment;

      if (at >= length || data[at] != 0xff)
        return not_an_image (error, "JPEG marker expected");
      while (at < length && data[at] == 0xff)   /* fill bytes */
        at++;
      if (at >= length)
        return not_an_image (error, "JPEG cut short");
      marker = data[at++];
      if (marker == 0x00 || marker == 0xd8 || marker == 0xd9)
        return not_an_image (error, "JPEG marker out of place");
      if (marker == 0x01 || (marker >= 0xd0 && marker <= 0xd7))   /* no length */
        continue;

      if (length - at < 2)
        return not_an_image (error, "JPEG segment cut short");
      segment = read_be16 (data + at);
      if (segment < 2 || segment > length - at)
        return not_an_image (error, "JPEG segment length is wrong");

      if (is_sof (marker))
        {
          const guint8 *sof = data + at + 2;

          if (frame)
            return not_an_image (error, "JPEG has a second frame header");
          if (segment < 8 || sof[5] == 0 || sof[5] > 4 || segment != 8 + 3u * sof[5])
            return not_an_image (error, "JPEG frame header is invalid");
          info->height = read_be16 (sof + 1);
          info->width = read_be16 (sof + 3);
          if (info->width == 0 || info->height == 0)
            return not_an_image (error, "JPEG frame has no size");
          frame = TRUE;
        }
      else if (marker == 0xda)   /* start of scan: entropy-coded data follows */
        {
          if (!frame)
            return not_an_image (error, "JPEG scan before the frame header");
          info->type = DISPATCH_IMAGE_JPEG;
          return TRUE;
        }

      at += segment;
    }
}

gboolean
dispatch_image_sniff (const guint8       *data,
                      gsize               length,
                      DispatchImageInfo  *info,
                      GError            **error)
{
  g_return_val_if_fail (data != NULL || length == 0, FALSE);
  g_return_val_if_fail (info != NULL, FALSE);

  *info = (DispatchImageInfo) { 0 };

  if (length >= sizeof png_signature && memcmp (data, png_signature, sizeof png_signature) == 0)
    return sniff_png (data, length, info, error);

  if (length >= 3 && data[0] == 0xff && data[1] == 0xd8 && data[2] == 0xff)
    return sniff_jpeg (data, length, info, error);

  return not_an_image (error, "unknown signature");
}

const char *
dispatch_image_type_mime (DispatchImageType type)
{
  switch (type)
    {
    case DISPATCH_IMAGE_JPEG: return "image/jpeg";
    case DISPATCH_IMAGE_PNG: return "image/png";
    default: g_return_val_if_reached (NULL);
    }
}
