/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

typedef enum {
  DC_MARKER_DOT,     /* a driver */
  DC_MARKER_SQUARE,  /* a pickup */
  DC_MARKER_RING,    /* a dropoff */
  DC_MARKER_HALO,    /* under the selected item */
} DcMarkerShape;

/* Pixels per logical pixel of the images. */
#define DC_MARKER_ART_SCALE 2

/* Pre-rendered marker images, drawn once per colour so that thousands of
 * markers cost one texture node each. @size is in logical pixels; the image
 * is rendered at twice that for high-density screens. */
GdkTexture *dc_marker_art_new (DcMarkerShape  shape,
                               const char    *color,
                               int            size);
/* A driver dot with a pointed tip towards @heading (degrees clockwise from
 * north); the dot is @size wide, the image leaves room for the tip. */
GdkTexture *dc_marker_art_new_heading (const char *color,
                                       int         size,
                                       double      heading);

G_END_DECLS
