/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "dc-marker-art.h"
#include "dc-order.h"
#include "dc-order-layer.h"

#define PICKUP_SIZE  16
#define DROPOFF_SIZE 16
/* an order that may miss its window stands out by size as well as colour */
#define AT_RISK_GROWTH 4

typedef enum {
  LOOK_WAITING,
  LOOK_WAITING_LATE,
  LOOK_ASSIGNED,
  LOOK_PICKED_UP,
  LOOK_AT_RISK,
  N_LOOKS
} Look;

static const char * const look_colors[N_LOOKS] = {
  [LOOK_WAITING] = "#ff7800",
  [LOOK_WAITING_LATE] = "#e01b24",
  [LOOK_ASSIGNED] = "#9141ac",
  [LOOK_PICKED_UP] = "#986a44",
  [LOOK_AT_RISK] = "#e5a50a",
};

struct _DcOrderLayer
{
  DcPointLayer parent_instance;

  DcSprite *pickup[N_LOOKS];
  DcSprite *dropoff[N_LOOKS];
};

G_DEFINE_FINAL_TYPE (DcOrderLayer, dc_order_layer, DC_TYPE_POINT_LAYER)

static Look
look_of (DcOrder *order)
{
  if (dc_order_get_at_risk (order) &&
      !dispatch_order_status_is_terminal (dc_order_get_status (order)))
    return LOOK_AT_RISK;

  switch (dc_order_get_status (order))
    {
    case DISPATCH_ORDER_PENDING:
      return dc_order_get_late (order) ? LOOK_WAITING_LATE : LOOK_WAITING;
    case DISPATCH_ORDER_PICKED_UP:
      return LOOK_PICKED_UP;
    case DISPATCH_ORDER_ASSIGNED:
    case DISPATCH_ORDER_DELIVERED:
    case DISPATCH_ORDER_CANCELLED:
    case DISPATCH_ORDER_FAILED:
    default:
      return LOOK_ASSIGNED;
    }
}

static guint
dc_order_layer_get_points (DcPointLayer *layer,
                           DcEntity     *entity,
                           DcMapPoint   *points)
{
  DcOrderLayer *self = DC_ORDER_LAYER (layer);
  DcOrder *order = DC_ORDER (entity);
  gboolean selected = dc_point_layer_get_selected (layer) == entity;
  gboolean picked_up = dc_order_get_status (order) == DISPATCH_ORDER_PICKED_UP;
  Look look = look_of (order);
  guint n = 0;
  double lat, lon;

  if (selected || !picked_up)
    {
      dc_order_get_pickup (order, &lat, &lon);
      dc_projection_world_from_location (lat, lon, &points[n].world_x, &points[n].world_y);
      points[n].art = self->pickup[look];
      n++;
    }

  if (selected || picked_up)
    {
      dc_order_get_dropoff (order, &lat, &lon);
      dc_projection_world_from_location (lat, lon, &points[n].world_x, &points[n].world_y);
      points[n].art = self->dropoff[look];
      n++;
    }

  return n;
}

static void
clear_art (DcOrderLayer *self)
{
  for (guint i = 0; i < N_LOOKS; i++)
    {
      g_clear_pointer (&self->pickup[i], dc_sprite_free);
      g_clear_pointer (&self->dropoff[i], dc_sprite_free);
    }
}

static void
dc_order_layer_load_art (DcPointLayer *layer,
                         int           scale)
{
  DcOrderLayer *self = DC_ORDER_LAYER (layer);

  clear_art (self);
  for (guint i = 0; i < N_LOOKS; i++)
    {
      int growth = i == LOOK_AT_RISK ? AT_RISK_GROWTH : 0;

      self->pickup[i] = dc_marker_art_new (DC_MARKER_SQUARE, look_colors[i],
                                           PICKUP_SIZE + growth, scale);
      self->dropoff[i] = dc_marker_art_new (DC_MARKER_RING, look_colors[i],
                                            DROPOFF_SIZE + growth, scale);
    }
}

static void
dc_order_layer_dispose (GObject *object)
{
  clear_art (DC_ORDER_LAYER (object));

  G_OBJECT_CLASS (dc_order_layer_parent_class)->dispose (object);
}

static void
dc_order_layer_class_init (DcOrderLayerClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = dc_order_layer_dispose;
  DC_POINT_LAYER_CLASS (klass)->load_art = dc_order_layer_load_art;
  DC_POINT_LAYER_CLASS (klass)->get_points = dc_order_layer_get_points;
}

static void
dc_order_layer_init (DcOrderLayer *self)
{
}

DcOrderLayer *
dc_order_layer_new (ShumateViewport *viewport,
                    DcStore         *orders)
{
  return g_object_new (DC_TYPE_ORDER_LAYER, "viewport", viewport, "store", orders, NULL);
}
