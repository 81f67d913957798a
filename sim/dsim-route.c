/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsim"

#include "dsim-route.h"

typedef struct {
  DispatchLatLon position;
  DsimNode       node;
  double         length_m;   /* of the stretch from the previous waypoint */
} Waypoint;

struct _DsimRoute {
  GArray *waypoints;   /* of Waypoint; [0] is where the route starts */
  guint   next;        /* index of the waypoint being driven to */
  double  along_m;     /* driven on the stretch towards next */
};

DsimRoute *
dsim_route_new (DispatchLatLon start,
                DsimNode       first,
                DispatchLatLon first_position)
{
  DsimRoute *self = g_new0 (DsimRoute, 1);
  Waypoint origin = { .position = start, .node = first };

  self->waypoints = g_array_new (FALSE, FALSE, sizeof (Waypoint));
  g_array_append_val (self->waypoints, origin);
  self->next = 1;
  dsim_route_append (self, first, first_position);

  return self;
}

void
dsim_route_free (DsimRoute *self)
{
  g_array_unref (self->waypoints);
  g_free (self);
}

void
dsim_route_append (DsimRoute      *self,
                   DsimNode        node,
                   DispatchLatLon  position)
{
  const Waypoint *last = &g_array_index (self->waypoints, Waypoint, self->waypoints->len - 1);
  Waypoint waypoint = { .position = position, .node = node };

  waypoint.length_m = dispatch_haversine_m (last->position.lat, last->position.lon,
                                            position.lat, position.lon);
  g_array_append_val (self->waypoints, waypoint);
}

gboolean
dsim_route_advance (DsimRoute *self,
                    double     distance_m)
{
  while (distance_m > 0 && self->next < self->waypoints->len)
    {
      const Waypoint *target = &g_array_index (self->waypoints, Waypoint, self->next);
      double left_m = target->length_m - self->along_m;

      if (distance_m < left_m)
        {
          self->along_m += distance_m;
          return FALSE;
        }

      distance_m -= left_m;
      self->along_m = 0;
      self->next++;
    }

  /* Skip zero-length stretches so that an arrival is seen at once. */
  while (self->next < self->waypoints->len &&
         g_array_index (self->waypoints, Waypoint, self->next).length_m <= 0)
    self->next++;

  return self->next >= self->waypoints->len;
}

DispatchLatLon
dsim_route_get_position (const DsimRoute *self)
{
  const Waypoint *from, *to;
  double t;

  if (self->next >= self->waypoints->len)
    return g_array_index (self->waypoints, Waypoint, self->waypoints->len - 1).position;

  from = &g_array_index (self->waypoints, Waypoint, self->next - 1);
  to = &g_array_index (self->waypoints, Waypoint, self->next);
  t = to->length_m > 0 ? self->along_m / to->length_m : 1.0;

  /* Linear in degrees: stretches are a few hundred metres long. */
  return (DispatchLatLon) {
    .lat = from->position.lat + t * (to->position.lat - from->position.lat),
    .lon = from->position.lon + t * (to->position.lon - from->position.lon),
  };
}

double
dsim_route_get_heading (const DsimRoute *self)
{
  guint next = MIN (self->next, self->waypoints->len - 1);
  const Waypoint *from = &g_array_index (self->waypoints, Waypoint, next - 1);
  const Waypoint *to = &g_array_index (self->waypoints, Waypoint, next);

  return dispatch_bearing_deg (from->position.lat, from->position.lon,
                               to->position.lat, to->position.lon);
}

DsimNode
dsim_route_get_ahead (const DsimRoute *self)
{
  guint next = MIN (self->next, self->waypoints->len - 1);

  return g_array_index (self->waypoints, Waypoint, next).node;
}
