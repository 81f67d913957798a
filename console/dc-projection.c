/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>

#include "dc-projection.h"

/* The latitudes where the square Web Mercator map ends, as in libshumate. */
#define MAX_LATITUDE 85.0511287798

void
dc_projection_world_from_location (double  latitude,
                                   double  longitude,
                                   double *world_x,
                                   double *world_y)
{
  double phi = CLAMP (latitude, -MAX_LATITUDE, MAX_LATITUDE) * G_PI / 180.0;

  *world_x = (CLAMP (longitude, -180.0, 180.0) + 180.0) / 360.0;
  *world_y = (1.0 - log (tan (phi) + 1.0 / cos (phi)) / G_PI) / 2.0;
}

gboolean
dc_projection_init (DcProjection    *self,
                    ShumateViewport *viewport,
                    GtkWidget       *widget)
{
  ShumateMapSource *source = shumate_viewport_get_reference_map_source (viewport);
  double zoom = shumate_viewport_get_zoom_level (viewport);
  double rotation = shumate_viewport_get_rotation (viewport);
  double latitude = shumate_location_get_latitude (SHUMATE_LOCATION (viewport));
  double longitude = shumate_location_get_longitude (SHUMATE_LOCATION (viewport));

  if (source == NULL)
    return FALSE;

  /* The same sums as ShumateMapSource, done once per frame. */
  self->world_size = shumate_map_source_get_tile_size_at_zoom (source, zoom) * exp2 (floor (zoom));
  self->center_x = gtk_widget_get_width (widget) / 2.0;
  self->center_y = gtk_widget_get_height (widget) / 2.0;
  self->left = shumate_map_source_get_x (source, zoom, longitude) - self->center_x;
  self->top = shumate_map_source_get_y (source, zoom, latitude) - self->center_y;
  self->cos_rotation = cos (rotation);
  self->sin_rotation = sin (rotation);

  return TRUE;
}

gboolean
dc_projection_locate (ShumateViewport  *viewport,
                      GtkWidget        *widget,
                      const double     *locations,
                      guint             n,
                      double            margin,
                      graphene_point_t *points,
                      graphene_rect_t  *area)
{
  graphene_rect_t bounds, visible;

  g_return_val_if_fail (n > 0, FALSE);

  for (guint i = 0; i < n; i++)
    {
      double x, y;

      shumate_viewport_location_to_widget_coords (viewport, widget, locations[2 * i],
                                                  locations[2 * i + 1], &x, &y);
      points[i] = GRAPHENE_POINT_INIT (x, y);
      if (i == 0)
        bounds = GRAPHENE_RECT_INIT (x, y, 0, 0);
      else
        graphene_rect_expand (&bounds, &points[i], &bounds);
    }

  graphene_rect_inset (&bounds, -margin, -margin);
  visible = GRAPHENE_RECT_INIT (0, 0, gtk_widget_get_width (widget),
                                gtk_widget_get_height (widget));
  if (!graphene_rect_intersection (&bounds, &visible, area))
    return FALSE;
  graphene_rect_round_extents (area, area);

  return TRUE;
}
