/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>

#include <adwaita.h>

#include "dc-grid-layer.h"

#define TILE_SIZE   256.0
#define SUBDIVISION 4

struct _DcGridLayer
{
  ShumateLayer parent_instance;
};

G_DEFINE_FINAL_TYPE (DcGridLayer, dc_grid_layer, SHUMATE_TYPE_LAYER)

typedef struct
{
  GdkRGBA minor;
  GdkRGBA major;
} Palette;

static const Palette light = {
  { 0, 0, 0, 0.045 },
  { 0, 0, 0, 0.1 },
};

static const Palette dark = {
  { 1, 1, 1, 0.035 },
  { 1, 1, 1, 0.08 },
};

/* Lines of one axis: @offset is where a tile edge falls, @spacing the tile
 * size on screen. */
static void
append_lines (GtkSnapshot   *snapshot,
              const Palette *palette,
              gboolean       vertical,
              double         offset,
              double         spacing,
              double         length,
              double         extent)
{
  double step = spacing / SUBDIVISION;

  for (gint64 k = (gint64) ceil (-offset / step); offset + k * step < extent; k++)
    {
      double position = floor (offset + k * step);
      const GdkRGBA *color = k % SUBDIVISION == 0 ? &palette->major : &palette->minor;
      graphene_rect_t rect;

      if (vertical)
        rect = GRAPHENE_RECT_INIT (position, 0, 1, length);
      else
        rect = GRAPHENE_RECT_INIT (0, position, length, 1);

      gtk_snapshot_append_color (snapshot, color, &rect);
    }
}

static void
dc_grid_layer_snapshot (GtkWidget   *widget,
                        GtkSnapshot *snapshot)
{
  ShumateViewport *viewport = shumate_layer_get_viewport (SHUMATE_LAYER (widget));
  const Palette *palette =
    adw_style_manager_get_dark (adw_style_manager_get_default ()) ? &dark : &light;
  double width = gtk_widget_get_width (widget);
  double height = gtk_widget_get_height (widget);
  double zoom = shumate_viewport_get_zoom_level (viewport);
  double lat = shumate_location_get_latitude (SHUMATE_LOCATION (viewport));
  double lon = shumate_location_get_longitude (SHUMATE_LOCATION (viewport));
  double world = TILE_SIZE * exp2 (zoom);
  double spacing = TILE_SIZE * exp2 (zoom - floor (zoom));
  double sin_lat = sin (lat * G_PI / 180);
  double center_x = (lon + 180) / 360 * world;
  double center_y = (0.5 - log ((1 + sin_lat) / (1 - sin_lat)) / (4 * G_PI)) * world;

  /* No backdrop of its own: the window's background is under the map
   * already, and without buffer age (software GL) every frame would shade
   * the whole map area once more for it. */
  append_lines (snapshot, palette, TRUE, width / 2 - center_x, spacing, height, width);
  append_lines (snapshot, palette, FALSE, height / 2 - center_y, spacing, width, height);
}

static void
dc_grid_layer_constructed (GObject *object)
{
  G_OBJECT_CLASS (dc_grid_layer_parent_class)->constructed (object);

  g_signal_connect_object (shumate_layer_get_viewport (SHUMATE_LAYER (object)), "notify",
                           G_CALLBACK (gtk_widget_queue_draw), object, G_CONNECT_SWAPPED);
  g_signal_connect_object (adw_style_manager_get_default (), "notify::dark",
                           G_CALLBACK (gtk_widget_queue_draw), object, G_CONNECT_SWAPPED);
}

static void
dc_grid_layer_class_init (DcGridLayerClass *klass)
{
  G_OBJECT_CLASS (klass)->constructed = dc_grid_layer_constructed;
  GTK_WIDGET_CLASS (klass)->snapshot = dc_grid_layer_snapshot;
}

static void
dc_grid_layer_init (DcGridLayer *self)
{
  gtk_widget_set_can_target (GTK_WIDGET (self), FALSE);
}

DcGridLayer *
dc_grid_layer_new (ShumateViewport *viewport)
{
  return g_object_new (DC_TYPE_GRID_LAYER, "viewport", viewport, NULL);
}
