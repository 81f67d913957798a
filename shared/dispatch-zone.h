/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/**
 * dispatch_zone_geometry_read:
 * @body: the request body
 * @member: the member holding the geometry (also the start of field paths)
 * @builder: receives the normalised geometry (2-D positions) as the value
 *   of the builder's current member
 * @error: a DISPATCH_ERROR_INVALID_ARGUMENT naming the field, e.g.
 *   "geometry.coordinates[0][3]"
 *
 * Checks a zone's geometry: a GeoJSON (RFC 7946) Polygon or MultiPolygon of
 * [lon, lat] positions (a third, altitude, is dropped) within the limits of
 * dispatch-limits.h; each ring closed (last position = first), at least three
 * distinct positions, no repeated consecutive position, no area of zero; the
 * rings of one polygon neither cross nor touch themselves or each other.
 * Whether the holes lie inside their outer ring needs the point-in-polygon
 * test, which the database owns (dispatch.zone_put). The polygons of a
 * MultiPolygon may overlap. Coordinates are plane [lon, lat]: a zone does not
 * cross the antimeridian.
 *
 * Returns: whether the geometry is valid.
 */
gboolean dispatch_zone_geometry_read (JsonObject   *body,
                                      const char   *member,
                                      JsonBuilder  *builder,
                                      GError      **error);

G_END_DECLS
