/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dc-marker-canvas.h"

G_BEGIN_DECLS

typedef enum {
  DC_MARKER_DOT,     /* a driver */
  DC_MARKER_SQUARE,  /* a pickup */
  DC_MARKER_RING,    /* a dropoff */
  DC_MARKER_HALO,    /* under the selected item */
} DcMarkerShape;

/* Pre-rendered marker images, drawn once per colour and screen scale so
 * that a marker on the map is a copy of pixels. @size is in logical pixels,
 * the image has @scale device pixels per logical one. */
DcSprite *dc_marker_art_new         (DcMarkerShape  shape,
                                     const char    *color,
                                     int            size,
                                     int            scale);
/* A driver dot with a pointed tip towards @heading (degrees clockwise from
 * north); the dot is @size wide, the image leaves room for the tip. */
DcSprite *dc_marker_art_new_heading (const char    *color,
                                     int            size,
                                     double         heading,
                                     int            scale);

G_END_DECLS
