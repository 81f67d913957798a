/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "dc-projection.h"
#include "dc-stop-layer.h"

#define STOP_SIZE   22.0
#define CORNER      5.0
#define FONT_SIZE   12.0

/* the colours of the legend's route entries (style.css) */
static const GdkRGBA pickup_color = { 0.110, 0.443, 0.847, 1 };
static const GdkRGBA dropoff_color = { 0.149, 0.635, 0.412, 1 };

struct _DcStopLayer
{
  ShumateLayer parent_instance;

  DcRoute *route;
};

G_DEFINE_FINAL_TYPE (DcStopLayer, dc_stop_layer, SHUMATE_TYPE_LAYER)

static void
trace_stop (cairo_t    *cr,
            DcStopKind  kind,
            double      x,
            double      y,
            double      half)
{
  if (kind == DC_STOP_DROPOFF)
    {
      cairo_arc (cr, x, y, half, 0, 2 * G_PI);
      return;
    }

  cairo_new_sub_path (cr);
  cairo_arc (cr, x + half - CORNER, y - half + CORNER, CORNER, -G_PI / 2, 0);
  cairo_arc (cr, x + half - CORNER, y + half - CORNER, CORNER, 0, G_PI / 2);
  cairo_arc (cr, x - half + CORNER, y + half - CORNER, CORNER, G_PI / 2, G_PI);
  cairo_arc (cr, x - half + CORNER, y - half + CORNER, CORNER, G_PI, 3 * G_PI / 2);
  cairo_close_path (cr);
}

static void
draw_stop (cairo_t           *cr,
           const DcRouteStop *stop,
           guint              number,
           double             x,
           double             y)
{
  char label[16];
  cairo_text_extents_t extents;
  double half = STOP_SIZE / 2;

  /* a dark edge, a white border, the colour */
  trace_stop (cr, stop->kind, x, y, half + 1);
  cairo_set_source_rgba (cr, 0, 0, 0, 0.35);
  cairo_fill (cr);
  trace_stop (cr, stop->kind, x, y, half);
  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_fill (cr);
  trace_stop (cr, stop->kind, x, y, half - 2);
  gdk_cairo_set_source_rgba (cr, stop->kind == DC_STOP_PICKUP ? &pickup_color : &dropoff_color);
  cairo_fill (cr);

  g_snprintf (label, sizeof label, "%u", number);
  cairo_text_extents (cr, label, &extents);
  cairo_move_to (cr, x - extents.x_bearing - extents.width / 2,
                 y - extents.y_bearing - extents.height / 2);
  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_show_text (cr, label);
}

static void
dc_stop_layer_snapshot (GtkWidget   *widget,
                        GtkSnapshot *snapshot)
{
  DcStopLayer *self = DC_STOP_LAYER (widget);
  ShumateViewport *viewport = shumate_layer_get_viewport (SHUMATE_LAYER (self));
  guint n = dc_route_get_n_stops (self->route);
  g_autofree double *locations = NULL;
  g_autofree graphene_point_t *projected = NULL;
  graphene_rect_t area;
  cairo_t *cr;

  if (n == 0)
    return;

  locations = g_new (double, 2 * n);
  for (guint i = 0; i < n; i++)
    {
      locations[2 * i] = dc_route_get_stop (self->route, i)->lat;
      locations[2 * i + 1] = dc_route_get_stop (self->route, i)->lon;
    }
  projected = g_new (graphene_point_t, n);
  if (!dc_projection_locate (viewport, widget, locations, n, STOP_SIZE, projected, &area))
    return;

  cr = gtk_snapshot_append_cairo (snapshot, &area);
  cairo_select_font_face (cr, "Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
  cairo_set_font_size (cr, FONT_SIZE);
  /* the last stop at the bottom: the next one stays on top where they meet */
  for (guint i = n; i > 0; i--)
    draw_stop (cr, dc_route_get_stop (self->route, i - 1), i, projected[i - 1].x,
               projected[i - 1].y);
  cairo_destroy (cr);
}

static void
dc_stop_layer_dispose (GObject *object)
{
  g_clear_object (&DC_STOP_LAYER (object)->route);

  G_OBJECT_CLASS (dc_stop_layer_parent_class)->dispose (object);
}

static void
dc_stop_layer_class_init (DcStopLayerClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = dc_stop_layer_dispose;
  GTK_WIDGET_CLASS (klass)->snapshot = dc_stop_layer_snapshot;
}

static void
dc_stop_layer_init (DcStopLayer *self)
{
  gtk_widget_set_can_target (GTK_WIDGET (self), FALSE);
}

DcStopLayer *
dc_stop_layer_new (ShumateViewport *viewport,
                   DcRoute         *route)
{
  DcStopLayer *self;

  g_return_val_if_fail (SHUMATE_IS_VIEWPORT (viewport), NULL);
  g_return_val_if_fail (DC_IS_ROUTE (route), NULL);

  self = g_object_new (DC_TYPE_STOP_LAYER, "viewport", viewport, NULL);
  self->route = g_object_ref (route);
  g_signal_connect_object (viewport, "notify", G_CALLBACK (gtk_widget_queue_draw), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (route, "changed", G_CALLBACK (gtk_widget_queue_draw), self,
                           G_CONNECT_SWAPPED);

  return self;
}
