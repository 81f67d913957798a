/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>

#include "dc-marker-canvas.h"

struct _DcMarkerCanvas
{
  int width;   /* device pixels */
  int height;
  int scale;
  guint32 *pixels;
  gboolean drawn;
};

void
dc_sprite_free (DcSprite *sprite)
{
  if (sprite == NULL)
    return;

  g_free (sprite->pixels);
  g_free (sprite);
}

/* Premultiplied "over": dst × (1 − src alpha) + src, two channels at a
 * time, with the usual exact division by 255. */
static inline guint32
over (guint32 src,
      guint32 dst)
{
  guint32 inverse = 255 - (src >> 24);
  guint32 rb = (dst & 0x00ff00ff) * inverse + 0x00800080;
  guint32 ag = ((dst >> 8) & 0x00ff00ff) * inverse + 0x00800080;

  rb = ((rb + ((rb >> 8) & 0x00ff00ff)) >> 8) & 0x00ff00ff;
  ag = (ag + ((ag >> 8) & 0x00ff00ff)) & 0xff00ff00;

  return src + rb + ag;
}

DcMarkerCanvas *
dc_marker_canvas_new (int width,
                      int height,
                      int scale)
{
  DcMarkerCanvas *self;

  g_return_val_if_fail (width > 0 && height > 0 && scale > 0, NULL);

  self = g_new0 (DcMarkerCanvas, 1);
  self->scale = scale;
  self->width = width * scale;
  self->height = height * scale;
  /* calloc: untouched pages stay the shared zero page until a marker lands */
  self->pixels = g_malloc0_n ((gsize) self->width * self->height, sizeof (guint32));

  return self;
}

void
dc_marker_canvas_free (DcMarkerCanvas *self)
{
  if (self == NULL)
    return;

  g_free (self->pixels);
  g_free (self);
}

void
dc_marker_canvas_draw (DcMarkerCanvas *self,
                       const DcSprite *sprite,
                       double          x,
                       double          y)
{
  int left, top, first_column, first_row, last_column, last_row;

  left = (int) floor (x * self->scale - sprite->width / 2.0 + 0.5);
  top = (int) floor (y * self->scale - sprite->height / 2.0 + 0.5);
  first_column = MAX (0, -left);
  first_row = MAX (0, -top);
  last_column = MIN (sprite->width, self->width - left);
  last_row = MIN (sprite->height, self->height - top);
  if (first_column >= last_column || first_row >= last_row)
    return;

  self->drawn = TRUE;
  for (int row = first_row; row < last_row; row++)
    {
      const guint32 *source = sprite->pixels + (gsize) row * sprite->width;
      guint32 *target = self->pixels + (gsize) (top + row) * self->width + left;

      for (int column = first_column; column < last_column; column++)
        {
          guint32 pixel = source[column];

          if (pixel >> 24 == 255)
            target[column] = pixel;
          else if (pixel != 0)
            target[column] = over (pixel, target[column]);
        }
    }
}

GdkTexture *
dc_marker_canvas_free_to_texture (DcMarkerCanvas *self)
{
  g_autoptr(GBytes) bytes = NULL;
  gsize stride;
  int width, height;

  g_return_val_if_fail (self != NULL, NULL);

  if (!self->drawn)
    {
      dc_marker_canvas_free (self);
      return NULL;
    }

  width = self->width;
  height = self->height;
  stride = (gsize) width * sizeof (guint32);
  bytes = g_bytes_new_take (g_steal_pointer (&self->pixels), stride * height);
  dc_marker_canvas_free (self);

  /* GDK_MEMORY_DEFAULT is cairo's ARGB32: premultiplied BGRA in memory. */
  return gdk_memory_texture_new (width, height, GDK_MEMORY_DEFAULT, bytes, stride);
}
