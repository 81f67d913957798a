/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "dc-marker-art.h"
#include "dc-point-layer.h"

#define HALO_SIZE 30
/* Markers on screen above which the next frame goes compact, and below
 * which it goes back (apart, so that it does not flicker at the edge). */
#define COMPACT_ABOVE 2500
#define COMPACT_BELOW 2000
/* A fleet's positions stream in continuously, a few per millisecond; they
 * are drawn at most this often (the map stays live and the main loop keeps
 * time for the stream and the user). Pans and zooms redraw at once. */
#define STORE_REDRAW_INTERVAL_USEC (40 * 1000)

typedef struct
{
  DcStore *store;
  DcEntity *selected;
  DcSprite *halo;
  int art_scale;  /* of the loaded images, 0 before the first drawing */
  gboolean compact;

  /* the markers as last drawn, valid until something they show changes,
   * and the canvas they were drawn on, kept for the next drawing at the
   * same size */
  GskRenderNode *image;
  gboolean image_valid;
  DcMarkerCanvas *canvas;
  int image_width;
  int image_height;
  int image_scale;
  gint64 rendered_at;
  guint redraw_source;
} DcPointLayerPrivate;

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE (DcPointLayer, dc_point_layer, SHUMATE_TYPE_LAYER)

enum {
  PROP_0,
  PROP_STORE,
  PROP_SELECTED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
invalidate (DcPointLayer *self)
{
  DcPointLayerPrivate *priv = dc_point_layer_get_instance_private (self);

  priv->image_valid = FALSE;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static gboolean
redraw_cb (gpointer user_data)
{
  DcPointLayer *self = user_data;
  DcPointLayerPrivate *priv = dc_point_layer_get_instance_private (self);

  priv->redraw_source = 0;
  gtk_widget_queue_draw (GTK_WIDGET (self));

  return G_SOURCE_REMOVE;
}

static void
store_changed_cb (DcPointLayer *self)
{
  DcPointLayerPrivate *priv = dc_point_layer_get_instance_private (self);
  gint64 wait;

  priv->image_valid = FALSE;
  if (priv->redraw_source != 0)
    return;

  wait = priv->rendered_at + STORE_REDRAW_INTERVAL_USEC - g_get_monotonic_time ();
  if (wait <= 0)
    gtk_widget_queue_draw (GTK_WIDGET (self));
  else
    priv->redraw_source = g_timeout_add ((guint) (wait / 1000) + 1, redraw_cb, self);
}

static void
load_art (DcPointLayer *self,
          int           scale)
{
  DcPointLayerPrivate *priv = dc_point_layer_get_instance_private (self);

  g_clear_pointer (&priv->halo, dc_sprite_free);
  priv->halo = dc_marker_art_new (DC_MARKER_HALO, "#3584e4", HALO_SIZE, scale);
  DC_POINT_LAYER_GET_CLASS (self)->load_art (self, scale);
  priv->art_scale = scale;
}

/* Draws @entity's markers; returns how many were on screen. */
static guint
draw_entity (DcPointLayer       *self,
             DcMarkerCanvas     *canvas,
             const DcProjection *projection,
             DcEntity           *entity,
             double              width,
             double              height,
             const DcSprite     *halo)
{
  DcMapPoint points[DC_POINT_LAYER_MAX_POINTS];
  guint n = DC_POINT_LAYER_GET_CLASS (self)->get_points (self, entity, points);
  guint drawn = 0;

  for (guint i = 0; i < n; i++)
    {
      const double margin = HALO_SIZE;
      double x, y;

      dc_projection_to_widget (projection, points[i].world_x, points[i].world_y, &x, &y);
      if (x < -margin || y < -margin || x > width + margin || y > height + margin)
        continue;

      if (halo != NULL)
        dc_marker_canvas_draw (canvas, halo, x, y);
      dc_marker_canvas_draw (canvas, points[i].art, x, y);
      drawn++;
    }

  return drawn;
}

static void
render_image (DcPointLayer *self,
              int           width,
              int           height,
              int           scale)
{
  DcPointLayerPrivate *priv = dc_point_layer_get_instance_private (self);
  ShumateViewport *viewport = shumate_layer_get_viewport (SHUMATE_LAYER (self));
  guint n = dc_store_get_count (priv->store);
  DcProjection projection;
  guint drawn = 0;

  g_clear_pointer (&priv->image, gsk_render_node_unref);
  priv->image_valid = TRUE;
  priv->rendered_at = g_get_monotonic_time ();
  if (priv->canvas == NULL || priv->image_width != width || priv->image_height != height ||
      priv->image_scale != scale)
    {
      dc_marker_canvas_free (priv->canvas);
      priv->canvas = dc_marker_canvas_new (width, height, scale);
    }
  priv->image_width = width;
  priv->image_height = height;
  priv->image_scale = scale;
  if (!dc_projection_init (&projection, viewport, GTK_WIDGET (self)))
    return;

  if (priv->art_scale != scale)
    load_art (self, scale);

  for (guint i = 0; i < n; i++)
    {
      DcEntity *entity = dc_store_get_entity (priv->store, i);

      if (entity != priv->selected)
        drawn += draw_entity (self, priv->canvas, &projection, entity, width, height, NULL);
    }

  /* The selected one on top of everything, with its halo. */
  if (priv->selected != NULL)
    draw_entity (self, priv->canvas, &projection, priv->selected, width, height, priv->halo);

  priv->image = dc_marker_canvas_take_node (priv->canvas);

  /* Decided for the next drawing from this one's count, which saves a
   * counting pass over every marker. */
  if (priv->compact ? drawn < COMPACT_BELOW : drawn > COMPACT_ABOVE)
    {
      priv->compact = !priv->compact;
      invalidate (self);
    }
}

static void
dc_point_layer_snapshot (GtkWidget   *widget,
                         GtkSnapshot *snapshot)
{
  DcPointLayer *self = DC_POINT_LAYER (widget);
  DcPointLayerPrivate *priv = dc_point_layer_get_instance_private (self);
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  int scale = gtk_widget_get_scale_factor (widget);

  if (width <= 0 || height <= 0)
    return;

  if (!priv->image_valid || priv->image_width != width || priv->image_height != height ||
      priv->image_scale != scale)
    render_image (self, width, height, scale);

  if (priv->image != NULL)
    gtk_snapshot_append_node (snapshot, priv->image);
}

static void
dc_point_layer_constructed (GObject *object)
{
  DcPointLayer *self = DC_POINT_LAYER (object);
  DcPointLayerPrivate *priv = dc_point_layer_get_instance_private (self);

  G_OBJECT_CLASS (dc_point_layer_parent_class)->constructed (object);

  g_signal_connect_object (shumate_layer_get_viewport (SHUMATE_LAYER (self)), "notify",
                           G_CALLBACK (invalidate), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (priv->store, "changed",
                           G_CALLBACK (store_changed_cb), self, G_CONNECT_SWAPPED);
}

static void
dc_point_layer_dispose (GObject *object)
{
  DcPointLayer *self = DC_POINT_LAYER (object);
  DcPointLayerPrivate *priv = dc_point_layer_get_instance_private (self);

  g_clear_handle_id (&priv->redraw_source, g_source_remove);
  g_clear_object (&priv->store);
  g_clear_object (&priv->selected);
  g_clear_pointer (&priv->image, gsk_render_node_unref);
  g_clear_pointer (&priv->canvas, dc_marker_canvas_free);
  g_clear_pointer (&priv->halo, dc_sprite_free);

  G_OBJECT_CLASS (dc_point_layer_parent_class)->dispose (object);
}

static void
dc_point_layer_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  DcPointLayer *self = DC_POINT_LAYER (object);
  DcPointLayerPrivate *priv = dc_point_layer_get_instance_private (self);

  switch (prop_id)
    {
    case PROP_STORE:
      g_value_set_object (value, priv->store);
      break;

    case PROP_SELECTED:
      g_value_set_object (value, priv->selected);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dc_point_layer_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  DcPointLayer *self = DC_POINT_LAYER (object);
  DcPointLayerPrivate *priv = dc_point_layer_get_instance_private (self);

  switch (prop_id)
    {
    case PROP_STORE:
      priv->store = g_value_dup_object (value);
      break;

    case PROP_SELECTED:
      dc_point_layer_set_selected (self, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dc_point_layer_class_init (DcPointLayerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = dc_point_layer_constructed;
  object_class->dispose = dc_point_layer_dispose;
  object_class->get_property = dc_point_layer_get_property;
  object_class->set_property = dc_point_layer_set_property;

  widget_class->snapshot = dc_point_layer_snapshot;

  properties[PROP_STORE] =
    g_param_spec_object ("store", NULL, NULL, DC_TYPE_STORE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SELECTED] =
    g_param_spec_object ("selected", NULL, NULL, DC_TYPE_ENTITY,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
dc_point_layer_init (DcPointLayer *self)
{
  /* Clicks belong to the map's gestures; the layer only draws. */
  gtk_widget_set_can_target (GTK_WIDGET (self), FALSE);
}

gboolean
dc_point_layer_get_compact (DcPointLayer *self)
{
  DcPointLayerPrivate *priv = dc_point_layer_get_instance_private (self);

  g_return_val_if_fail (DC_IS_POINT_LAYER (self), FALSE);

  return priv->compact;
}

DcEntity *
dc_point_layer_get_selected (DcPointLayer *self)
{
  DcPointLayerPrivate *priv = dc_point_layer_get_instance_private (self);

  g_return_val_if_fail (DC_IS_POINT_LAYER (self), NULL);

  return priv->selected;
}

void
dc_point_layer_set_selected (DcPointLayer *self,
                             DcEntity     *entity)
{
  DcPointLayerPrivate *priv = dc_point_layer_get_instance_private (self);

  g_return_if_fail (DC_IS_POINT_LAYER (self));
  g_return_if_fail (entity == NULL || DC_IS_ENTITY (entity));

  if (g_set_object (&priv->selected, entity))
    {
      invalidate (self);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SELECTED]);
    }
}

DcEntity *
dc_point_layer_pick (DcPointLayer *self,
                     double        x,
                     double        y,
                     double        radius)
{
  DcPointLayerPrivate *priv = dc_point_layer_get_instance_private (self);
  DcEntity *best = NULL;
  double best_distance = radius * radius;
  DcProjection projection;
  guint n;

  g_return_val_if_fail (DC_IS_POINT_LAYER (self), NULL);

  if (!dc_projection_init (&projection, shumate_layer_get_viewport (SHUMATE_LAYER (self)),
                           GTK_WIDGET (self)))
    return NULL;

  n = dc_store_get_count (priv->store);
  for (guint i = 0; i < n; i++)
    {
      DcEntity *entity = dc_store_get_entity (priv->store, i);
      DcMapPoint points[DC_POINT_LAYER_MAX_POINTS];
      guint n_points = DC_POINT_LAYER_GET_CLASS (self)->get_points (self, entity, points);

      for (guint j = 0; j < n_points; j++)
        {
          double px, py, distance;

          dc_projection_to_widget (&projection, points[j].world_x, points[j].world_y, &px, &py);
          distance = (px - x) * (px - x) + (py - y) * (py - y);
          if (distance <= best_distance)
            {
              best_distance = distance;
              best = entity;
            }
        }
    }

  return best;
}
