/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>

#include "dc-replay-layer.h"

#define TRAIL_US        (5 * 60 * G_USEC_PER_SEC)
#define ENDED_SHOWN_US  (5 * 60 * G_USEC_PER_SEC)
#define DRIVER_RADIUS   6.0
#define ORDER_SIZE      10.0

struct _DcReplayLayer
{
  ShumateLayer parent_instance;

  DcReplayModel *model;
  gint64 t;
};

G_DEFINE_FINAL_TYPE (DcReplayLayer, dc_replay_layer, SHUMATE_TYPE_LAYER)

/* The status colours of the live map (style.css), and for the ends of a
 * delivery the idle driver's green and the late red. */
static const GdkRGBA status_colors[DC_REPLAY_N_STATUSES] = {
  [DC_REPLAY_PENDING]   = { 1.000, 0.471, 0.000, 1 },
  [DC_REPLAY_ASSIGNED]  = { 0.569, 0.255, 0.675, 1 },
  [DC_REPLAY_PICKED_UP] = { 0.596, 0.416, 0.267, 1 },
  [DC_REPLAY_DELIVERED] = { 0.180, 0.761, 0.494, 1 },
  [DC_REPLAY_FAILED]    = { 0.878, 0.106, 0.141, 1 },
  [DC_REPLAY_CANCELLED] = { 0.604, 0.600, 0.588, 1 },
};
/* the busy driver's blue */
static const GdkRGBA driver_color = { 0.208, 0.518, 0.894, 1 };

static void
project (DcReplayLayer *self,
         double         lat,
         double         lon,
         double        *x,
         double        *y)
{
  shumate_viewport_location_to_widget_coords (shumate_layer_get_viewport (SHUMATE_LAYER (self)),
                                              GTK_WIDGET (self), lat, lon, x, y);
}

/* Where a driver was at the layer's time; FALSE: not known yet. */
static gboolean
driver_at (DcReplayLayer *self,
           int            driver,
           double        *x,
           double        *y)
{
  const DcReplayPoint *points = NULL;
  guint n;

  if (driver < 0 || !(n = dc_replay_model_get_trail (self->model, driver, self->t, 0, &points)))
    return FALSE;
  project (self, points[n - 1].lat, points[n - 1].lon, x, y);
  return TRUE;
}

static void
draw_orders (DcReplayLayer *self,
             cairo_t       *cr)
{
  for (guint i = 0; i < dc_replay_model_get_n_orders (self->model); i++)
    {
      const DcReplayOrderState *state = dc_replay_model_get_order_at (self->model, i, self->t);
      gboolean ended;
      gboolean at_dropoff;
      double x, y, driver_x, driver_y;

      if (state == NULL)
        continue;
      ended = state->status >= DC_REPLAY_DELIVERED;
      if (ended && self->t - state->t > ENDED_SHOWN_US)
        continue;
      at_dropoff = state->status == DC_REPLAY_PICKED_UP || state->status == DC_REPLAY_DELIVERED ||
                   state->status == DC_REPLAY_FAILED;
      if (at_dropoff)
        project (self, state->dropoff_lat, state->dropoff_lon, &x, &y);
      else
        project (self, state->pickup_lat, state->pickup_lon, &x, &y);

      gdk_cairo_set_source_rgba (cr, &status_colors[state->status]);
      if (!ended && driver_at (self, state->driver, &driver_x, &driver_y))
        {
          cairo_set_line_width (cr, 1.5);
          cairo_set_dash (cr, (const double[]) { 4, 3 }, 2, 0);
          cairo_move_to (cr, driver_x, driver_y);
          cairo_line_to (cr, x, y);
          cairo_stroke (cr);
          cairo_set_dash (cr, NULL, 0, 0);
        }
      cairo_rectangle (cr, x - ORDER_SIZE / 2, y - ORDER_SIZE / 2, ORDER_SIZE, ORDER_SIZE);
      cairo_fill_preserve (cr);
      cairo_set_source_rgba (cr, 1, 1, 1, ended ? 0.5 : 1);
      cairo_set_line_width (cr, 1.5);
      cairo_stroke (cr);
    }
}

static void
draw_drivers (DcReplayLayer *self,
              cairo_t       *cr)
{
  for (guint i = 0; i < dc_replay_model_get_n_drivers (self->model); i++)
    {
      const DcReplayPoint *points = NULL;
      guint n = dc_replay_model_get_trail (self->model, i, self->t, TRAIL_US, &points);
      double x, y;

      if (n == 0)
        continue;
      cairo_set_source_rgba (cr, driver_color.red, driver_color.green, driver_color.blue, 0.5);
      cairo_set_line_width (cr, 3);
      for (guint p = 0; p < n; p++)
        {
          project (self, points[p].lat, points[p].lon, &x, &y);
          cairo_line_to (cr, x, y);
        }
      cairo_stroke (cr);

      project (self, points[n - 1].lat, points[n - 1].lon, &x, &y);
      cairo_arc (cr, x, y, DRIVER_RADIUS, 0, 2 * G_PI);
      gdk_cairo_set_source_rgba (cr, &driver_color);
      cairo_fill_preserve (cr);
      cairo_set_source_rgba (cr, 1, 1, 1, 1);
      cairo_set_line_width (cr, 2);
      cairo_stroke (cr);
    }
}

static void
dc_replay_layer_snapshot (GtkWidget   *widget,
                          GtkSnapshot *snapshot)
{
  DcReplayLayer *self = DC_REPLAY_LAYER (widget);
  graphene_rect_t area;
  cairo_t *cr;

  if (self->model == NULL)
    return;

  area = GRAPHENE_RECT_INIT (0, 0, gtk_widget_get_width (widget),
                             gtk_widget_get_height (widget));
  cr = gtk_snapshot_append_cairo (snapshot, &area);
  cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
  cairo_set_line_cap (cr, CAIRO_LINE_CAP_ROUND);
  draw_orders (self, cr);
  draw_drivers (self, cr);
  cairo_destroy (cr);
}

static void
dc_replay_layer_constructed (GObject *object)
{
  G_OBJECT_CLASS (dc_replay_layer_parent_class)->constructed (object);

  g_signal_connect_object (shumate_layer_get_viewport (SHUMATE_LAYER (object)), "notify",
                           G_CALLBACK (gtk_widget_queue_draw), object, G_CONNECT_SWAPPED);
}

static void
dc_replay_layer_class_init (DcReplayLayerClass *klass)
{
  G_OBJECT_CLASS (klass)->constructed = dc_replay_layer_constructed;
  GTK_WIDGET_CLASS (klass)->snapshot = dc_replay_layer_snapshot;
}

static void
dc_replay_layer_init (DcReplayLayer *self)
{
  gtk_widget_set_can_target (GTK_WIDGET (self), FALSE);
}

DcReplayLayer *
dc_replay_layer_new (ShumateViewport *viewport)
{
  g_return_val_if_fail (SHUMATE_IS_VIEWPORT (viewport), NULL);

  return g_object_new (DC_TYPE_REPLAY_LAYER, "viewport", viewport, NULL);
}

void
dc_replay_layer_set_model (DcReplayLayer *self,
                           DcReplayModel *model)
{
  g_return_if_fail (DC_IS_REPLAY_LAYER (self));

  self->model = model;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
dc_replay_layer_set_time (DcReplayLayer *self,
                          gint64         t)
{
  g_return_if_fail (DC_IS_REPLAY_LAYER (self));

  self->t = t;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}
