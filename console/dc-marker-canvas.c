/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include "dc-marker-canvas.h"

/* Tiles are this many logical pixels square: small enough that the drawn
 * rectangles hug the markers, large enough that a full map makes few
 * images (a row of tiles drawn into side by side makes one). */
#define TILE_SIZE 64

/* Device pixels drawn into, [x0, x1) × [y0, y1); empty when x0 >= x1. */
typedef struct
{
  int x0, y0, x1, y1;
} Extent;

struct _DcMarkerCanvas
{
  int width;   /* device pixels */
  int height;
  int scale;
  int tile;    /* device pixels */
  int columns; /* of tiles */
  int rows;
  guint32 *pixels;
  Extent *drawn;  /* per tile, row by row */
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

static void
clear_extent (Extent *extent)
{
  *extent = (Extent) { G_MAXINT, G_MAXINT, 0, 0 };
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
  self->tile = TILE_SIZE * scale;
  self->columns = (self->width + self->tile - 1) / self->tile;
  self->rows = (self->height + self->tile - 1) / self->tile;
  /* calloc: untouched pages stay the shared zero page until a marker lands */
  self->pixels = g_malloc0_n ((gsize) self->width * self->height, sizeof (guint32));
  self->drawn = g_new (Extent, (gsize) self->columns * self->rows);
  for (int i = 0; i < self->columns * self->rows; i++)
    clear_extent (&self->drawn[i]);

  return self;
}

void
dc_marker_canvas_free (DcMarkerCanvas *self)
{
  if (self == NULL)
    return;

  g_free (self->pixels);
  g_free (self->drawn);
  g_free (self);
}

/* Grows the extents of the tiles under [x0, x1) × [y0, y1) by it. */
static void
mark_drawn (DcMarkerCanvas *self,
            int             x0,
            int             y0,
            int             x1,
            int             y1)
{
  for (int row = y0 / self->tile; row <= (y1 - 1) / self->tile; row++)
    for (int column = x0 / self->tile; column <= (x1 - 1) / self->tile; column++)
      {
        Extent *extent = &self->drawn[row * self->columns + column];

        extent->x0 = MIN (extent->x0, MAX (x0, column * self->tile));
        extent->y0 = MIN (extent->y0, MAX (y0, row * self->tile));
        extent->x1 = MAX (extent->x1, MIN (x1, (column + 1) * self->tile));
        extent->y1 = MAX (extent->y1, MIN (y1, (row + 1) * self->tile));
      }
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

  mark_drawn (self, left + first_column, top + first_row, left + last_column, top + last_row);
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

/* Moves the pixels of @extent into a cairo node in device pixels and clears
 * them. A cairo node rather than a texture: GTK 4.8's cairo renderer
 * converts a texture's pixels through floats in every frame, and draws a
 * cairo node's image as it is; its GL renderer uploads either. */
static GskRenderNode *
take_extent (DcMarkerCanvas *self,
             const Extent   *extent)
{
  int width = extent->x1 - extent->x0;
  int height = extent->y1 - extent->y0;
  int stride = self->width * (int) sizeof (guint32);
  guint32 *origin = self->pixels + (gsize) extent->y0 * self->width + extent->x0;
  cairo_surface_t *drawn = cairo_image_surface_create_for_data ((guchar *) origin,
                                                                CAIRO_FORMAT_ARGB32,
                                                                width, height, stride);
  GskRenderNode *node = gsk_cairo_node_new (&GRAPHENE_RECT_INIT (extent->x0, extent->y0,
                                                                 width, height));
  cairo_t *cr = gsk_cairo_node_get_draw_context (node);

  cairo_set_operator (cr, CAIRO_OPERATOR_SOURCE);
  cairo_set_source_surface (cr, drawn, extent->x0, extent->y0);
  cairo_paint (cr);
  cairo_destroy (cr);
  cairo_surface_destroy (drawn);

  for (int row = 0; row < height; row++)
    memset (origin + (gsize) row * self->width, 0, (gsize) width * sizeof (guint32));

  return node;
}

/* Adds @b to @a. */
static void
unite_extents (Extent       *a,
               const Extent *b)
{
  a->x0 = MIN (a->x0, b->x0);
  a->y0 = MIN (a->y0, b->y0);
  a->x1 = MAX (a->x1, b->x1);
  a->y1 = MAX (a->y1, b->y1);
}

static gsize
extent_area (const Extent *extent)
{
  return (gsize) (extent->x1 - extent->x0) * (extent->y1 - extent->y0);
}

GskRenderNode *
dc_marker_canvas_take_node (DcMarkerCanvas *self)
{
  g_autoptr(GArray) runs = NULL;
  g_autoptr(GPtrArray) nodes = NULL;
  g_autoptr(GskRenderNode) markers = NULL;
  g_autoptr(GskTransform) to_logical = NULL;
  Extent all;
  gsize area = 0;

  g_return_val_if_fail (self != NULL, NULL);

  /* The runs of tiles drawn into side by side, row by row: each image
   * costs the renderer a copy and an upload of its own (and GTK 4.8's GL
   * renderer copies small textures into its icon atlas pixel by pixel),
   * which costs more than the pixels saved by single tiles. */
  runs = g_array_new (FALSE, FALSE, sizeof (Extent));
  clear_extent (&all);
  for (int row = 0; row < self->rows; row++)
    {
      Extent run;

      clear_extent (&run);
      for (int column = 0; column <= self->columns; column++)
        {
          Extent *extent = column < self->columns ? &self->drawn[row * self->columns + column]
                                                  : NULL;

          if (extent != NULL && extent->x0 < extent->x1)
            {
              unite_extents (&run, extent);
              clear_extent (extent);
            }
          else if (run.x0 < run.x1)
            {
              g_array_append_val (runs, run);
              unite_extents (&all, &run);
              area += extent_area (&run);
              clear_extent (&run);
            }
        }
    }

  if (runs->len == 0)
    return NULL;

  /* Markers all over the map: one image of them all, as the renderer
   * blends each image's edges along its own tiles; the runs only where
   * they leave out at least half of it. */
  if (area * 2 > extent_area (&all))
    {
      g_array_set_size (runs, 1);
      g_array_index (runs, Extent, 0) = all;
    }

  nodes = g_ptr_array_new_with_free_func ((GDestroyNotify) gsk_render_node_unref);
  for (guint i = 0; i < runs->len; i++)
    g_ptr_array_add (nodes, take_extent (self, &g_array_index (runs, Extent, i)));

  markers = gsk_container_node_new ((GskRenderNode **) nodes->pdata, nodes->len);
  if (self->scale == 1)
    return g_steal_pointer (&markers);

  to_logical = gsk_transform_scale (NULL, 1.0f / self->scale, 1.0f / self->scale);

  return gsk_transform_node_new (markers, to_logical);
}
