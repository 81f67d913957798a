/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <shumate/shumate.h>

G_BEGIN_DECLS

/*
 * Web Mercator in world units: (0, 0) is the north-west corner of the map
 * of the world, (1, 1) the south-east one. Positions are converted once,
 * when they change; drawing 20,000 of them each frame is then one
 * multiply-add per coordinate instead of the trigonometry (and the property
 * lookups) of shumate_viewport_location_to_widget_coords().
 */
void dc_projection_world_from_location (double  latitude,
                                        double  longitude,
                                        double *world_x,
                                        double *world_y);

/* Projects @n locations (@locations: latitude, longitude pairs) into
 * @widget's coordinates, @points, and sets @area to the part of the widget
 * they cover, grown by @margin on each side (for what is drawn around
 * them). FALSE when none of that is visible: nothing to draw. For the few
 * points of a route; thousands go through DcProjection. */
gboolean dc_projection_locate (ShumateViewport  *viewport,
                               GtkWidget        *widget,
                               const double     *locations,
                               guint             n,
                               double            margin,
                               graphene_point_t *points,
                               graphene_rect_t  *area);

/* The viewport's mapping from world units to a widget's coordinates, for
 * one frame. */
typedef struct
{
  double world_size;  /* pixels across the world at the zoom level */
  double left;        /* world pixels at the widget's centre, less half its size */
  double top;
  double center_x;    /* the widget's centre, which it rotates about */
  double center_y;
  double cos_rotation;
  double sin_rotation;
} DcProjection;

/* Returns FALSE when the viewport has no map source yet. */
gboolean dc_projection_init (DcProjection    *self,
                             ShumateViewport *viewport,
                             GtkWidget       *widget);

static inline void
dc_projection_to_widget (const DcProjection *self,
                         double              world_x,
                         double              world_y,
                         double             *x,
                         double             *y)
{
  double dx = world_x * self->world_size - self->left - self->center_x;
  double dy = world_y * self->world_size - self->top - self->center_y;

  *x = self->cos_rotation * dx - self->sin_rotation * dy + self->center_x;
  *y = self->sin_rotation * dx + self->cos_rotation * dy + self->center_y;
}

G_END_DECLS
