/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* A marker image in device pixels: premultiplied ARGB, cairo's
 * CAIRO_FORMAT_ARGB32 layout, rows of @width pixels. */
typedef struct
{
  int width;
  int height;
  guint32 *pixels;
} DcSprite;

void dc_sprite_free (DcSprite *sprite);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DcSprite, dc_sprite_free)

/*
 * DcMarkerCanvas:
 *
 * Thousands of markers composited on the CPU into a few images, which then
 * cost the renderer a few textures. As separate texture or colour nodes,
 * each marker costs the GL renderer vertices and a shader run per pixel,
 * and a fleet of 10,000 takes longer than a frame under software GL; the
 * copy loop here does the same in about a millisecond.
 *
 * Only what markers were drawn into is handed out: the canvas is cut into
 * tiles, and each run of tiles drawn into side by side in a row makes an
 * image of the rectangle drawn into (or one image spans them all where
 * the runs would leave out less than half of it). The renderer uploads and
 * blends the pixels near markers, not the whole map; under software GL
 * every pixel blended costs a shader run. The canvas is kept from one
 * drawing to the next and only the rectangles handed out are cleared.
 */
typedef struct _DcMarkerCanvas DcMarkerCanvas;

/* @width × @height logical pixels at @scale device pixels each. */
DcMarkerCanvas *dc_marker_canvas_new       (int             width,
                                            int             height,
                                            int             scale);
void            dc_marker_canvas_free      (DcMarkerCanvas *self);
/* Draws @sprite centred on (@x, @y), logical pixels; clipped at the edges. */
void            dc_marker_canvas_draw      (DcMarkerCanvas *self,
                                            const DcSprite *sprite,
                                            double          x,
                                            double          y);
/* What was drawn since the last call, and a clear canvas for the next
 * drawing: a container of cairo nodes in device pixels, one per image,
 * inside a transform node to logical pixels when the scale is not 1.
 * Returns: (transfer full) (nullable): NULL when nothing was drawn */
GskRenderNode  *dc_marker_canvas_take_node (DcMarkerCanvas *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DcMarkerCanvas, dc_marker_canvas_free)

G_END_DECLS
