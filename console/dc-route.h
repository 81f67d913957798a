/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dc-client.h"
#include "dc-stream.h"

G_BEGIN_DECLS

typedef enum {
  DC_STOP_PICKUP,
  DC_STOP_DROPOFF,
} DcStopKind;

/* One stop of a route; times in microseconds since the epoch, 0 unknown. */
typedef struct
{
  char *order_id;
  DcStopKind kind;
  double lat;
  double lon;
  char *address;
  gint64 eta;
  gint64 ready_at;
  gint64 deliver_before;
} DcRouteStop;

#define DC_TYPE_ROUTE (dc_route_get_type ())

G_DECLARE_FINAL_TYPE (DcRoute, dc_route, DC, ROUTE, GObject)

/*
 * DcRoute:
 *
 * The stops a driver still has to make, in driving order, as the server
 * plans them (GET /api/v1/drivers/{id}/route and the driver.route events):
 * the route of the driver the console shows. Setting the driver empties it
 * and asks the server, as does the stream's coming back live; the stream's
 * driver.route events for that driver replace it (the newest "updated_at"
 * wins). ::changed follows every change.
 * Without a client or stream (tests) it only parses what it is given.
 */
DcRoute           *dc_route_new           (DcClient   *client,
                                           DcStream   *stream);
void               dc_route_set_driver_id (DcRoute    *self,
                                           const char *driver_id);
const char        *dc_route_get_driver_id (DcRoute    *self);
/* Applies a route object of the followed driver; FALSE (and nothing
 * changes) for another driver, an older route or one that does not read. */
gboolean           dc_route_apply_json    (DcRoute    *self,
                                           JsonObject *object);
guint              dc_route_get_n_stops   (DcRoute    *self);
const DcRouteStop *dc_route_get_stop      (DcRoute    *self,
                                           guint       index);

G_END_DECLS
