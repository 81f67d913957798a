/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include "dc-marker-art.h"

#define BORDER 2.0

static void
trace (cairo_t       *cr,
       DcMarkerShape  shape,
       double         center,
       double         radius)
{
  if (shape == DC_MARKER_SQUARE)
    {
      double corner = radius / 3;
      double x = center - radius, y = center - radius, side = radius * 2;

      cairo_new_sub_path (cr);
      cairo_arc (cr, x + side - corner, y + corner, corner, -G_PI / 2, 0);
      cairo_arc (cr, x + side - corner, y + side - corner, corner, 0, G_PI / 2);
      cairo_arc (cr, x + corner, y + side - corner, corner, G_PI / 2, G_PI);
      cairo_arc (cr, x + corner, y + corner, corner, G_PI, 3 * G_PI / 2);
      cairo_close_path (cr);
    }
  else
    cairo_arc (cr, center, center, radius, 0, 2 * G_PI);
}

static cairo_t *
begin (int size,
       int scale)
{
  int pixels = size * scale;
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, pixels, pixels);
  cairo_t *cr = cairo_create (surface);

  cairo_surface_destroy (surface);
  cairo_scale (cr, scale, scale);

  return cr;
}

static DcSprite *
finish (cairo_t *cr)
{
  cairo_surface_t *surface = cairo_get_target (cr);
  int pixels = cairo_image_surface_get_width (surface);
  int stride = cairo_image_surface_get_stride (surface);
  const guchar *data;
  DcSprite *sprite;

  cairo_surface_flush (surface);
  data = cairo_image_surface_get_data (surface);

  sprite = g_new0 (DcSprite, 1);
  sprite->width = pixels;
  sprite->height = pixels;
  sprite->pixels = g_new (guint32, (gsize) pixels * pixels);
  for (int row = 0; row < pixels; row++)
    memcpy (sprite->pixels + (gsize) row * pixels, data + (gsize) row * stride,
            pixels * sizeof (guint32));
  cairo_destroy (cr);

  return sprite;
}

static void
parse_color (const char *color,
             GdkRGBA    *rgba)
{
  if (!gdk_rgba_parse (rgba, color))
    g_critical ("Not a colour: %s", color);
}

DcSprite *
dc_marker_art_new (DcMarkerShape  shape,
                   const char    *color,
                   int            size,
                   int            scale)
{
  cairo_t *cr;
  GdkRGBA rgba;
  /* small markers keep their colour: thinner outline and ring */
  gboolean small = size < 12;
  double center = size / 2.0;
  double radius = center - (small ? 1 : BORDER);
  double ring = small ? 1 : 1.5;

  g_return_val_if_fail (size > 2 * BORDER, NULL);

  parse_color (color, &rgba);
  cr = begin (size, scale);

  switch (shape)
    {
    case DC_MARKER_HALO:
      trace (cr, shape, center, center - 0.5);
      cairo_set_source_rgba (cr, rgba.red, rgba.green, rgba.blue, 0.28);
      cairo_fill_preserve (cr);
      cairo_set_source_rgba (cr, rgba.red, rgba.green, rgba.blue, 0.9);
      cairo_set_line_width (cr, 1.5);
      cairo_stroke (cr);
      break;

    case DC_MARKER_RING:
      /* a light core in a coloured ring, outlined so it reads on any map */
      trace (cr, shape, center, radius + 1);
      cairo_set_source_rgba (cr, 0, 0, 0, 0.35);
      cairo_fill (cr);
      trace (cr, shape, center, radius);
      gdk_cairo_set_source_rgba (cr, &rgba);
      cairo_fill (cr);
      trace (cr, shape, center, radius * 0.45);
      cairo_set_source_rgb (cr, 1, 1, 1);
      cairo_fill (cr);
      break;

    case DC_MARKER_DOT:
    case DC_MARKER_SQUARE:
    default:
      trace (cr, shape, center, radius + (small ? 0.75 : 1));
      cairo_set_source_rgba (cr, 0, 0, 0, 0.35);
      cairo_fill (cr);
      trace (cr, shape, center, radius);
      cairo_set_source_rgb (cr, 1, 1, 1);
      cairo_fill (cr);
      trace (cr, shape, center, radius - ring);
      gdk_cairo_set_source_rgba (cr, &rgba);
      cairo_fill (cr);
      break;
    }

  return finish (cr);
}

DcSprite *
dc_marker_art_new_heading (const char *color,
                           int         size,
                           double      heading,
                           int         scale)
{
  /* room for the tip on every side */
  int full = size + 6;
  double center = full / 2.0;
  double radius = size / 2.0 - BORDER;
  cairo_t *cr;
  GdkRGBA rgba;

  parse_color (color, &rgba);
  cr = begin (full, scale);

  cairo_translate (cr, center, center);
  cairo_rotate (cr, heading * G_PI / 180);

  /* the dot and its tip as one outline, pointing up before the rotation */
  for (int pass = 0; pass < 3; pass++)
    {
      double grow = pass == 0 ? 1 : pass == 1 ? 0 : -1.5;
      double r = radius + grow;
      double tip = -(radius + 3.5 + grow * 1.4);
      double spread = 0.72;

      cairo_new_path (cr);
      cairo_move_to (cr, 0, tip);
      cairo_arc (cr, 0, 0, r, -G_PI / 2 + spread, 3 * G_PI / 2 - spread);
      cairo_close_path (cr);

      if (pass == 0)
        cairo_set_source_rgba (cr, 0, 0, 0, 0.35);
      else if (pass == 1)
        cairo_set_source_rgb (cr, 1, 1, 1);
      else
        gdk_cairo_set_source_rgba (cr, &rgba);
      cairo_fill (cr);
    }

  return finish (cr);
}
