/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "dc-path-layer.h"
#include "dc-projection.h"

typedef struct
{
  double lat;
  double lon;
} Point;

/* dc_projection_locate reads the array as latitude, longitude pairs */
G_STATIC_ASSERT (sizeof (Point) == 2 * sizeof (double));

struct _DcPathLayer
{
  ShumateLayer parent_instance;

  GArray *points;
  GdkRGBA color;
  double width;
};

G_DEFINE_FINAL_TYPE (DcPathLayer, dc_path_layer, SHUMATE_TYPE_LAYER)

static void
dc_path_layer_snapshot (GtkWidget   *widget,
                        GtkSnapshot *snapshot)
{
  DcPathLayer *self = DC_PATH_LAYER (widget);
  ShumateViewport *viewport = shumate_layer_get_viewport (SHUMATE_LAYER (self));
  g_autofree graphene_point_t *projected = NULL;
  graphene_rect_t area;
  cairo_t *cr;

  if (self->points->len < 2)
    return;

  projected = g_new (graphene_point_t, self->points->len);
  if (!dc_projection_locate (viewport, widget, (const double *) self->points->data,
                             self->points->len, self->width, projected, &area))
    return;

  cr = gtk_snapshot_append_cairo (snapshot, &area);
  cairo_set_line_width (cr, self->width);
  cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
  cairo_set_line_cap (cr, CAIRO_LINE_CAP_ROUND);
  gdk_cairo_set_source_rgba (cr, &self->color);
  for (guint i = 0; i < self->points->len; i++)
    cairo_line_to (cr, projected[i].x, projected[i].y);
  cairo_stroke (cr);
  cairo_destroy (cr);
}

static void
dc_path_layer_constructed (GObject *object)
{
  G_OBJECT_CLASS (dc_path_layer_parent_class)->constructed (object);

  g_signal_connect_object (shumate_layer_get_viewport (SHUMATE_LAYER (object)), "notify",
                           G_CALLBACK (gtk_widget_queue_draw), object, G_CONNECT_SWAPPED);
}

static void
dc_path_layer_finalize (GObject *object)
{
  DcPathLayer *self = (DcPathLayer *)object;

  g_clear_pointer (&self->points, g_array_unref);

  G_OBJECT_CLASS (dc_path_layer_parent_class)->finalize (object);
}

static void
dc_path_layer_class_init (DcPathLayerClass *klass)
{
  G_OBJECT_CLASS (klass)->constructed = dc_path_layer_constructed;
  G_OBJECT_CLASS (klass)->finalize = dc_path_layer_finalize;
  GTK_WIDGET_CLASS (klass)->snapshot = dc_path_layer_snapshot;
}

static void
dc_path_layer_init (DcPathLayer *self)
{
  self->points = g_array_new (FALSE, FALSE, sizeof (Point));
  gtk_widget_set_can_target (GTK_WIDGET (self), FALSE);
}

DcPathLayer *
dc_path_layer_new (ShumateViewport *viewport,
                   const GdkRGBA   *color,
                   double           width)
{
  DcPathLayer *self;

  g_return_val_if_fail (SHUMATE_IS_VIEWPORT (viewport), NULL);
  g_return_val_if_fail (color != NULL, NULL);

  self = g_object_new (DC_TYPE_PATH_LAYER, "viewport", viewport, NULL);
  self->color = *color;
  self->width = width;

  return self;
}

void
dc_path_layer_add_point (DcPathLayer *self,
                         double       lat,
                         double       lon)
{
  Point point = { lat, lon };

  g_return_if_fail (DC_IS_PATH_LAYER (self));

  g_array_append_val (self->points, point);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
dc_path_layer_clear (DcPathLayer *self)
{
  g_return_if_fail (DC_IS_PATH_LAYER (self));

  if (self->points->len == 0)
    return;

  g_array_set_size (self->points, 0);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}
