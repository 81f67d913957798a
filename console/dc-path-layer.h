/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <shumate/shumate.h>

G_BEGIN_DECLS

#define DC_TYPE_PATH_LAYER (dc_path_layer_get_type ())

G_DECLARE_FINAL_TYPE (DcPathLayer, dc_path_layer, DC, PATH_LAYER, ShumateLayer)

/* A line through map locations: the selected order's route, its driver's
 * trail. ShumatePathLayer paints a cairo surface as large as the map on
 * every frame, even with no line at all; this one paints only the line's
 * bounding box, and nothing while it is empty. */
DcPathLayer *dc_path_layer_new       (ShumateViewport *viewport,
                                      const GdkRGBA   *color,
                                      double           width);
void         dc_path_layer_add_point (DcPathLayer     *self,
                                      double           lat,
                                      double           lon);
void         dc_path_layer_clear     (DcPathLayer     *self);

G_END_DECLS
