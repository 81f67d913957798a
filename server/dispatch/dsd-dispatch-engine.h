/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dsd-context.h"
#include "dsd-event.h"
#include "dsd-fleet.h"

G_BEGIN_DECLS

/*
 * Automatic assignment (an instance with the "assigner" role runs one).
 *
 * Immediately: when an order arrives or comes back to pending (unassigned,
 * declined, offer expired), and when a driver frees up or comes online, the
 * engine gives the order to its best driver at once if that choice is
 * clearly best (dsd-match.h: the only candidate, or better than the second
 * by a margin, and no other waiting order wants that driver as much).
 * In rounds: every DISPATCH_BATCH_INTERVAL_S seconds it expires offers,
 * raises due order.unassignable alerts, refreshes its view of the pending
 * orders from the database and matches every open order × available driver
 * slot at minimum total cost.
 *
 * Candidates come from the live fleet: online, not paused, a position at
 * most DISPATCH_LOCATION_MAX_AGE_S old within DISPATCH_MAX_PICKUP_KM of the
 * pickup, fewer orders held (active + offered) than its trip limit (below),
 * not excluded by the order. Every decision goes through dispatch.auto_assign(), which
 * re-checks it under lock, so several engines on one database never give an
 * order twice nor a driver more than its capacity, and a dispatcher's
 * manual assignment always wins. With DISPATCH_OFFER_TIMEOUT_S > 0 the
 * decision is an offer the driver accepts or declines.
 *
 * An order no driver can reach is searched again with backoff (the batch
 * interval, doubling up to 60 s; a driver freeing up nearby tries it at once
 * and ends its backoff, so that the next round searches it again).
 *
 * Orders that are not "now" (a planned pickup, "pickup_at", from ready_at or
 * a delivery window): they enter dispatch DISPATCH_SCHEDULE_LEAD_S before
 * it, and a driver is only given one when it would not wait at the pickup
 * more than DISPATCH_READY_MAX_WAIT_S (dsd-pickup-time.h). Times come from
 * the context's clock. Each round also raises due order.at_risk alerts.
 *
 * Several orders per trip (docs/trips.md): a driver holding fewer than
 * min (capacity, DISPATCH_TRIP_MAX_ORDERS) orders is a candidate for one more
 * at a time; an edge costs what the driver's route grows by
 * (dsd_route_insertion_cost over the ETA tracker's view of its orders), and
 * is left out when the combined route would take an order past its
 * deliver_before or more than DISPATCH_TRIP_MAX_DELAY_S later than alone.
 */
#define DSD_TYPE_DISPATCH_ENGINE (dsd_dispatch_engine_get_type ())
G_DECLARE_FINAL_TYPE (DsdDispatchEngine, dsd_dispatch_engine, DSD, DISPATCH_ENGINE, GObject)

/* fleet: loaded, following the context's bus. */
DsdDispatchEngine *dsd_dispatch_engine_new   (DsdContext        *context,
                                              DsdFleet          *fleet);
/* Starts following the bus and runs the first round at once. */
void               dsd_dispatch_engine_start (DsdDispatchEngine *self);
/* TRUE (default): immediate decisions on every event of the bus. FALSE (a
 * consumer group feeds dsd_dispatch_engine_consider(), cluster mode): the bus
 * only keeps the engine's view current. */
void               dsd_dispatch_engine_set_decide_on_bus (DsdDispatchEngine *self,
                                                          gboolean           decide_on_bus);
/* The immediate decision event calls for (a DsdKafkaGroupFunc); FALSE while
 * the engine is not running. */
gboolean           dsd_dispatch_engine_consider (DsdDispatchEngine *self,
                                                 DsdEvent          *event,
                                                 GError           **error);
/* Stops deciding; calls under way complete on their own. */
void               dsd_dispatch_engine_stop  (DsdDispatchEngine *self);

/* The pickup-time estimate the engine ranks drivers by (a DsdMatchEtaFunc
 * over DsdFleetDriver): dsd_eta_estimate_s(). */
double             dsd_dispatch_eta          (gpointer           fleet_driver,
                                              double             to_lat,
                                              double             to_lon,
                                              gpointer           user_data);

G_END_DECLS
