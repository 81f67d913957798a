/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "dsd-eta-tracker.h"
#include "dsd-fleet.h"

G_BEGIN_DECLS

/*
 * What the tracking streams know of one order, merged from the order
 * objects of the bus and the database (the newest updated_at wins), and the
 * tracking objects of docs/openapi.json rendered from it with the driver's live state
 * (fleet) and ETA (tracker):
 *   full:   {"order_id","status","driver":{"id","name","location"}|null,
 *            "eta_seconds","updated_at"}
 *   public: {"order_id","status","eta_seconds","driver":{"first_name","vehicle",
 *            "location"}|null,"pickup":{"lat","lon"},"dropoff":{"lat","lon"},"updated_at"}
 * The driver is shown while the order is assigned or picked up, the ETA while
 * it is open. Locations are {"lat","lon","heading"?,"speed_mps"?,"recorded_at"}.
 */
typedef struct {
  char     *order_id;
  char     *status;       /* NULL until known */
  char     *driver_id;
  gint64    eta_seconds;  /* as stored with the order; -1: null */
  char     *updated_at;   /* RFC 3339 with microseconds: compares as text */
  gboolean  has_places;
  double    pickup_lat;
  double    pickup_lon;
  double    dropoff_lat;
  double    dropoff_lon;
} DsdTrackedOrder;

typedef enum {
  DSD_TRACKING_FULL,
  DSD_TRACKING_PUBLIC,
} DsdTrackingVariant;

void     dsd_tracked_order_clear             (DsdTrackedOrder    *self);
/* order: an order object (dispatch.order_json, bus order.* data). FALSE
 * when it is not one. Older information is ignored (places excepted). */
gboolean dsd_tracked_order_merge_order       (DsdTrackedOrder    *self,
                                              JsonObject         *order);
/* tracking: a full tracking object (dispatch.order_tracking). */
gboolean dsd_tracked_order_merge_tracking    (DsdTrackedOrder    *self,
                                              JsonObject         *tracking);
/* Another record of the same order. */
void     dsd_tracked_order_merge             (DsdTrackedOrder    *self,
                                              const DsdTrackedOrder *other);
gboolean dsd_tracked_order_is_active         (const DsdTrackedOrder *self);
gboolean dsd_tracked_order_is_finished       (const DsdTrackedOrder *self);
/* {"type":"tracking","data":<tracking object>}; eta may be NULL. */
GBytes  *dsd_tracked_order_render            (const DsdTrackedOrder *self,
                                              DsdTrackingVariant  variant,
                                              DsdFleet           *fleet,
                                              DsdEtaTracker      *eta);

G_END_DECLS
