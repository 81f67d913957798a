/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>

#include "dc-driver.h"
#include "dc-driver-layer.h"
#include "dc-marker-art.h"

#define DOT_SIZE   16
#define SMALL_SIZE 9
/* Headings are drawn in steps of 360° / N_HEADINGS. */
#define N_HEADINGS 24
#define N_STATES   (DISPATCH_DRIVER_BUSY + 1)

/* indexed by DispatchDriverState */
static const char * const state_colors[N_STATES] = { "#9a9996", "#2ec27e", "#3584e4" };

struct _DcDriverLayer
{
  DcPointLayer parent_instance;

  /* a plain dot per state, for drivers without a heading, and a small one
   * for crowded maps */
  DcSprite *dots[N_STATES];
  DcSprite *small_dots[N_STATES];
  DcSprite *headings[N_STATES][N_HEADINGS];
};

G_DEFINE_FINAL_TYPE (DcDriverLayer, dc_driver_layer, DC_TYPE_POINT_LAYER)

static guint
dc_driver_layer_get_points (DcPointLayer *layer,
                            DcEntity     *entity,
                            DcMapPoint   *points)
{
  DcDriverLayer *self = DC_DRIVER_LAYER (layer);
  DcDriver *driver = DC_DRIVER (entity);
  DispatchDriverState state = dc_driver_get_state (driver);
  double heading = dc_driver_get_heading (driver);

  if (!dc_driver_get_world_position (driver, &points[0].world_x, &points[0].world_y))
    return 0;

  if (dc_point_layer_get_compact (layer))
    points[0].art = self->small_dots[state];
  else if (state == DISPATCH_DRIVER_OFFLINE || heading < 0)
    points[0].art = self->dots[state];
  else
    points[0].art = self->headings[state][(int) lround (heading / (360.0 / N_HEADINGS))
                                          % N_HEADINGS];

  return 1;
}

static void
clear_art (DcDriverLayer *self)
{
  for (guint i = 0; i < N_STATES; i++)
    {
      g_clear_pointer (&self->dots[i], dc_sprite_free);
      g_clear_pointer (&self->small_dots[i], dc_sprite_free);
      for (guint j = 0; j < N_HEADINGS; j++)
        g_clear_pointer (&self->headings[i][j], dc_sprite_free);
    }
}

static void
dc_driver_layer_load_art (DcPointLayer *layer,
                          int           scale)
{
  DcDriverLayer *self = DC_DRIVER_LAYER (layer);

  clear_art (self);
  for (guint i = 0; i < N_STATES; i++)
    {
      self->dots[i] = dc_marker_art_new (DC_MARKER_DOT, state_colors[i], DOT_SIZE, scale);
      self->small_dots[i] = dc_marker_art_new (DC_MARKER_DOT, state_colors[i], SMALL_SIZE,
                                               scale);
      for (guint j = 0; j < N_HEADINGS; j++)
        self->headings[i][j] = dc_marker_art_new_heading (state_colors[i], DOT_SIZE,
                                                          j * 360.0 / N_HEADINGS, scale);
    }
}

static void
dc_driver_layer_dispose (GObject *object)
{
  clear_art (DC_DRIVER_LAYER (object));

  G_OBJECT_CLASS (dc_driver_layer_parent_class)->dispose (object);
}

static void
dc_driver_layer_class_init (DcDriverLayerClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = dc_driver_layer_dispose;
  DC_POINT_LAYER_CLASS (klass)->load_art = dc_driver_layer_load_art;
  DC_POINT_LAYER_CLASS (klass)->get_points = dc_driver_layer_get_points;
}

static void
dc_driver_layer_init (DcDriverLayer *self)
{
}

DcDriverLayer *
dc_driver_layer_new (ShumateViewport *viewport,
                     DcStore         *drivers)
{
  return g_object_new (DC_TYPE_DRIVER_LAYER, "viewport", viewport, "store", drivers, NULL);
}
