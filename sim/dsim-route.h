/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dispatch-geo.h"

G_BEGIN_DECLS

/* An intersection of the street grid. */
typedef struct {
  int row;   /* south to north */
  int col;   /* west to east */
} DsimNode;

/*
 * A path a driver follows: from where it is, through street intersections,
 * to a destination. Advancing moves along it by a distance.
 */
typedef struct _DsimRoute DsimRoute;

/* A route that starts at start, on its way to the intersection first. */
DsimRoute     *dsim_route_new          (DispatchLatLon  start,
                                        DsimNode        first,
                                        DispatchLatLon  first_position);
void           dsim_route_free         (DsimRoute      *self);
void           dsim_route_append       (DsimRoute      *self,
                                        DsimNode        node,
                                        DispatchLatLon  position);
/* Moves distance_m on; TRUE once at the end. */
gboolean       dsim_route_advance      (DsimRoute      *self,
                                        double          distance_m);
DispatchLatLon dsim_route_get_position (const DsimRoute *self);
/* Degrees clockwise from north, of the stretch being driven. */
double         dsim_route_get_heading  (const DsimRoute *self);
/* The intersection being driven to (or stood at). */
DsimNode       dsim_route_get_ahead    (const DsimRoute *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DsimRoute, dsim_route_free)

G_END_DECLS
