/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "dc-marker-art.h"
#include "dc-point-layer.h"

#define HALO_SIZE 30
/* Markers on screen above which the next frame goes compact, and below
 * which it goes back (apart, so that it does not flicker at the edge). */
#define COMPACT_ABOVE 2500
#define COMPACT_BELOW 2000

typedef struct
{
  DcStore *store;
  DcEntity *selected;
  GdkTexture *halo;
  gboolean compact;
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
append_art (GtkSnapshot *snapshot,
            GdkTexture  *art,
            double       x,
            double       y)
{
  double size = (double) gdk_texture_get_width (art) / DC_MARKER_ART_SCALE;

  gtk_snapshot_append_texture (snapshot, art,
                               &GRAPHENE_RECT_INIT (x - size / 2, y - size / 2, size, size));
}

/* Draws @entity's markers; returns how many were on screen. */
static guint
draw_entity (DcPointLayer    *self,
             GtkSnapshot     *snapshot,
             ShumateViewport *viewport,
             DcEntity        *entity,
             double           width,
             double           height,
             GdkTexture      *halo)
{
  DcMapPoint points[DC_POINT_LAYER_MAX_POINTS];
  guint n = DC_POINT_LAYER_GET_CLASS (self)->get_points (self, entity, points);
  guint drawn = 0;

  for (guint i = 0; i < n; i++)
    {
      const double margin = HALO_SIZE;
      double x, y;

      shumate_viewport_location_to_widget_coords (viewport, GTK_WIDGET (self),
                                                  points[i].lat, points[i].lon, &x, &y);
      if (x < -margin || y < -margin || x > width + margin || y > height + margin)
        continue;

      if (halo != NULL)
        append_art (snapshot, halo, x, y);
      append_art (snapshot, points[i].art, x, y);
      drawn++;
    }

  return drawn;
}

static void
dc_point_layer_snapshot (GtkWidget   *widget,
                         GtkSnapshot *snapshot)
{
  DcPointLayer *self = DC_POINT_LAYER (widget);
  DcPointLayerPrivate *priv = dc_point_layer_get_instance_private (self);
  ShumateViewport *viewport = shumate_layer_get_viewport (SHUMATE_LAYER (self));
  GListModel *model = G_LIST_MODEL (priv->store);
  double width = gtk_widget_get_width (widget);
  double height = gtk_widget_get_height (widget);
  guint n = g_list_model_get_n_items (model);
  guint drawn = 0;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(DcEntity) entity = g_list_model_get_item (model, i);

      if (entity != priv->selected)
        drawn += draw_entity (self, snapshot, viewport, entity, width, height, NULL);
    }

  /* Decided for the next frame from this one's count, which saves a
   * counting pass over every marker. */
  if (priv->compact ? drawn < COMPACT_BELOW : drawn > COMPACT_ABOVE)
    {
      priv->compact = !priv->compact;
      gtk_widget_queue_draw (widget);
    }

  /* The selected one on top of everything, with its halo. */
  if (priv->selected != NULL)
    draw_entity (self, snapshot, viewport, priv->selected, width, height, priv->halo);
}

static void
dc_point_layer_constructed (GObject *object)
{
  DcPointLayer *self = DC_POINT_LAYER (object);
  DcPointLayerPrivate *priv = dc_point_layer_get_instance_private (self);

  G_OBJECT_CLASS (dc_point_layer_parent_class)->constructed (object);

  g_signal_connect_object (shumate_layer_get_viewport (SHUMATE_LAYER (self)), "notify",
                           G_CALLBACK (gtk_widget_queue_draw), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (priv->store, "changed",
                           G_CALLBACK (gtk_widget_queue_draw), self, G_CONNECT_SWAPPED);
}

static void
dc_point_layer_dispose (GObject *object)
{
  DcPointLayer *self = DC_POINT_LAYER (object);
  DcPointLayerPrivate *priv = dc_point_layer_get_instance_private (self);

  g_clear_object (&priv->store);
  g_clear_object (&priv->selected);
  g_clear_object (&priv->halo);

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
  DcPointLayerPrivate *priv = dc_point_layer_get_instance_private (self);

  priv->halo = dc_marker_art_new (DC_MARKER_HALO, "#3584e4", HALO_SIZE);
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
      gtk_widget_queue_draw (GTK_WIDGET (self));
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
  ShumateViewport *viewport;
  DcEntity *best = NULL;
  double best_distance = radius * radius;
  guint n;

  g_return_val_if_fail (DC_IS_POINT_LAYER (self), NULL);

  viewport = shumate_layer_get_viewport (SHUMATE_LAYER (self));
  n = g_list_model_get_n_items (G_LIST_MODEL (priv->store));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(DcEntity) entity = g_list_model_get_item (G_LIST_MODEL (priv->store), i);
      DcMapPoint points[DC_POINT_LAYER_MAX_POINTS];
      guint n_points = DC_POINT_LAYER_GET_CLASS (self)->get_points (self, entity, points);

      for (guint j = 0; j < n_points; j++)
        {
          double px, py, distance;

          shumate_viewport_location_to_widget_coords (viewport, GTK_WIDGET (self),
                                                      points[j].lat, points[j].lon, &px, &py);
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
