/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * The order of a driver's stops (docs/trips.md), free of I/O and of the
 * clock: times are seconds from "now", when the driver is at the start.
 *
 * The orders a driver holds each give a pickup then a dropoff stop, or only
 * a dropoff once picked up. Every sequence of those stops that keeps each
 * pickup before its dropoff is enumerated (at most DSD_ROUTE_MAX_ORDERS
 * orders: 8 stops, 2,520 sequences) and the best one kept:
 *
 * - a pickup is left at max (arrival, ready_s) + dwell_s (waiting for a
 *   pickup that is not ready counts); a dropoff's time is its arrival;
 * - each order's latest allowed delivery is
 *     latest = min (solo + max_delay_s, max (deadline_s, solo))
 *   where solo is its delivery when the driver does it alone from the start:
 *   the per-order bound on extra delay, and its delivery window (unless the
 *   window is missed even alone, then no later than alone);
 * - the best sequence has the least lateness (the sum of the seconds by
 *   which deliveries pass their latest; 0: feasible), then the shortest
 *   duration (when the last stop is done), then the least sum of delivery
 *   times. Ties keep the first sequence enumerated (orders in index order,
 *   pickups first).
 */

#define DSD_ROUTE_MAX_ORDERS 4
#define DSD_ROUTE_MAX_STOPS (2 * DSD_ROUTE_MAX_ORDERS)

/* Seconds from one point to another. */
typedef double (*DsdRouteTravelFunc) (double   from_lat,
                                      double   from_lon,
                                      double   to_lat,
                                      double   to_lon,
                                      gpointer user_data);

typedef struct {
  gboolean picked_up;     /* only the dropoff is left */
  double   pickup_lat;
  double   pickup_lon;
  double   dropoff_lat;
  double   dropoff_lon;
  double   ready_s;       /* earliest pickup; -INFINITY: now */
  double   deadline_s;    /* deliver before; INFINITY: none */
} DsdRouteOrder;

typedef struct {
  double             start_lat;
  double             start_lon;
  double             dwell_s;      /* at a pickup */
  double             max_delay_s;  /* INFINITY: no bound */
  DsdRouteTravelFunc travel;
  gpointer           user_data;
} DsdRouteParams;

typedef struct {
  guint    order;         /* index into the orders */
  gboolean dropoff;
  double   arrive_s;      /* the stop's ETA */
} DsdRouteStop;

typedef struct {
  guint        n_stops;
  DsdRouteStop stops[DSD_ROUTE_MAX_STOPS];
  double       lateness_s;    /* 0: every order within its latest */
  double       duration_s;
  double       deliveries_s;  /* sum of the dropoff times */
} DsdRoutePlan;

/* Each order's latest allowed delivery (see above) into latest (n entries). */
void     dsd_route_latest (const DsdRouteParams *params,
                           const DsdRouteOrder  *orders,
                           guint                 n,
                           double               *latest);
/* The best sequence of the n ≤ DSD_ROUTE_MAX_ORDERS orders' stops. */
void     dsd_route_plan   (const DsdRouteParams *params,
                           const DsdRouteOrder  *orders,
                           guint                 n,
                           DsdRoutePlan         *plan);
/* The cost of giving a driver one more order (docs/trips.md): orders[0..n)
 * its orders, orders[n] the new one (n + 1 ≤ DSD_ROUTE_MAX_ORDERS), base the
 * best route of the first n (NULL when n is 0). What the route's duration
 * grows by, plus DSD_ROUTE_DELIVERY_WEIGHT × what the sum of its delivery
 * times grows by (the new order's delivery and the delay it brings the
 * others); INFINITY when the best sequence of all the stops takes an order
 * beyond its latest. */
#define DSD_ROUTE_DELIVERY_WEIGHT 2.0
double   dsd_route_insertion_cost (const DsdRouteParams *params,
                                   const DsdRouteOrder  *orders,
                                   guint                 n,
                                   const DsdRoutePlan   *base);
/* Whether a is better than b (lateness, then duration, then deliveries). */
gboolean dsd_route_better (const DsdRoutePlan   *a,
                           const DsdRoutePlan   *b);

G_END_DECLS
