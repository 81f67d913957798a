/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * dispatch_png_encode:
 * @width: pixels, at least 1
 * @height: pixels, at least 1
 * @rgb: (array): width × height × 3 bytes, rows top to bottom
 *
 * A truecolour PNG of the pixels, deflate-stored (not compressed): what the
 * simulator's drivers and the tests upload as proof of delivery.
 *
 * Returns: (transfer full): the file's bytes
 */
GBytes *dispatch_png_encode (guint         width,
                             guint         height,
                             const guint8 *rgb);

G_END_DECLS
