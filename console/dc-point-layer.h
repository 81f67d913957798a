/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <shumate/shumate.h>

#include "dc-marker-canvas.h"
#include "dc-projection.h"
#include "dc-store.h"

G_BEGIN_DECLS

#define DC_POINT_LAYER_MAX_POINTS 2

typedef struct
{
  double world_x;  /* see dc_projection_world_from_location() */
  double world_y;
  const DcSprite *art;  /* owned by the layer subclass, centred on the point */
} DcMapPoint;

#define DC_TYPE_POINT_LAYER (dc_point_layer_get_type ())

G_DECLARE_DERIVABLE_TYPE (DcPointLayer, dc_point_layer, DC, POINT_LAYER, ShumateLayer)

/*
 * DcPointLayer:
 *
 * Draws the entities of a store as pre-rendered markers, all composited
 * into a few images (see DcMarkerCanvas), instead of a widget per marker
 * (ShumateMarkerLayer does not scale to a fleet). The image is kept until
 * the store, the viewport, the size or the selection changes; redraws are
 * queued then and GTK coalesces them to one per frame.
 */
struct _DcPointLayerClass
{
  ShumateLayerClass parent_class;

  /* (Re)creates the subclass's marker images for @scale device pixels per
   * logical pixel: before the first drawing and when the scale changes. */
  void  (*load_art)   (DcPointLayer *self,
                       int           scale);
  /* Fills @points for @entity and returns how many it used (0 hides it). */
  guint (*get_points) (DcPointLayer *self,
                       DcEntity     *entity,
                       DcMapPoint   *points);
};

/* TRUE while so many markers are on screen that subclasses should hand out
 * their small images: filling pixels is what costs with thousands of
 * markers (software GL most of all), and big ones would only overlap. */
gboolean  dc_point_layer_get_compact  (DcPointLayer *self);
DcEntity *dc_point_layer_get_selected (DcPointLayer *self);
void      dc_point_layer_set_selected (DcPointLayer *self,
                                       DcEntity     *entity);
/* The entity with a marker nearest to (@x, @y), in the layer's
 * coordinates, within @radius pixels. Returns: (transfer none) (nullable) */
DcEntity *dc_point_layer_pick         (DcPointLayer *self,
                                       double        x,
                                       double        y,
                                       double        radius);

G_END_DECLS
