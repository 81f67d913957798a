/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  DISPATCH_IMAGE_JPEG = 1,
  DISPATCH_IMAGE_PNG,
} DispatchImageType;

/**
 * DispatchImageInfo:
 * @type: what the bytes are
 * @width: pixels, at least 1
 * @height: pixels, at least 1
 *
 * What dispatch_image_sniff() read from an image's headers.
 */
typedef struct
{
  DispatchImageType type;
  guint             width;
  guint             height;
} DispatchImageInfo;

/**
 * dispatch_image_sniff:
 * @data: (array length=length): the bytes as received
 * @length: their number
 * @info: (out caller-allocates): the type and dimensions
 * @error: DISPATCH_ERROR_UNSUPPORTED_MEDIA_TYPE when the bytes are not a
 *   well-formed JPEG or PNG
 *
 * Decides from the bytes alone (never from a declared content type) whether
 * they are a PNG (signature, IHDR first, every chunk inside the data with its
 * CRC right, IDAT, IEND) or a baseline/progressive JPEG (SOI, well-formed
 * marker segments up to a frame header and a scan, EOI at the end), and
 * reads the dimensions. Pixels are not decoded.
 *
 * Returns: whether the bytes are such an image
 */
gboolean    dispatch_image_sniff          (const guint8       *data,
                                           gsize               length,
                                           DispatchImageInfo  *info,
                                           GError            **error);

/* The CRC-32 of PNG chunks (ISO 3309, as zlib's crc32()). */
guint32     dispatch_image_crc32          (const guint8       *data,
                                           gsize               length);

/* "image/jpeg" or "image/png". */
const char *dispatch_image_type_mime      (DispatchImageType   type);

G_END_DECLS
