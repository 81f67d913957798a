/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <math.h>

#include "dsd-route-plan.h"

/* Times closer than this are equal (ties keep the first sequence). */
#define EPSILON_S 1e-6

typedef struct {
  const DsdRouteParams *params;
  const DsdRouteOrder  *orders;
  guint                 n;
  double                latest[DSD_ROUTE_MAX_ORDERS];
  guint                 n_stops;     /* of a complete sequence */
  DsdRoutePlan          current;
  DsdRoutePlan         *best;
  gboolean              found;
} Search;

static double
travel (const DsdRouteParams *params,
        double                from_lat,
        double                from_lon,
        double                to_lat,
        double                to_lon)
{
  return params->travel (from_lat, from_lon, to_lat, to_lon, params->user_data);
}

/* The delivery when the driver does the order alone from the start. */
static double
solo_s (const DsdRouteParams *params,
        const DsdRouteOrder  *order)
{
  double at_pickup;

  if (order->picked_up)
    return travel (params, params->start_lat, params->start_lon, order->dropoff_lat,
                   order->dropoff_lon);

  at_pickup = travel (params, params->start_lat, params->start_lon, order->pickup_lat,
                      order->pickup_lon);
  return MAX (at_pickup, order->ready_s) + params->dwell_s +
         travel (params, order->pickup_lat, order->pickup_lon, order->dropoff_lat,
                 order->dropoff_lon);
}

void
dsd_route_latest (const DsdRouteParams *params,
                  const DsdRouteOrder  *orders,
                  guint                 n,
                  double               *latest)
{
  g_return_if_fail (params != NULL && params->travel != NULL);
  g_return_if_fail (n == 0 || (orders != NULL && latest != NULL));

  for (guint i = 0; i < n; i++)
    {
      double solo = solo_s (params, &orders[i]);

      latest[i] = MIN (solo + params->max_delay_s, MAX (orders[i].deadline_s, solo));
    }
}

gboolean
dsd_route_better (const DsdRoutePlan *a,
                  const DsdRoutePlan *b)
{
  g_return_val_if_fail (a != NULL && b != NULL, FALSE);

  if (fabs (a->lateness_s - b->lateness_s) > EPSILON_S)
    return a->lateness_s < b->lateness_s;
  if (fabs (a->duration_s - b->duration_s) > EPSILON_S)
    return a->duration_s < b->duration_s;
  return a->deliveries_s < b->deliveries_s - EPSILON_S;
}

/* Whether the partial sequence can still beat the best: lateness and time only grow. */
static gboolean
promising (const Search *search,
           double        now_s)
{
  const DsdRoutePlan *best = search->best;

  if (!search->found)
    return TRUE;
  if (search->current.lateness_s > best->lateness_s + EPSILON_S)
    return FALSE;
  return search->current.lateness_s < best->lateness_s - EPSILON_S ||
         now_s <= best->duration_s + EPSILON_S;
}

/* Extends the current sequence from (lat, lon) at now_s; state[i]: 0 to pick
 * up, 1 to deliver, 2 done. */
static void
extend (Search *search,
        guint  *state,
        double  lat,
        double  lon,
        double  now_s)
{
  const DsdRouteParams *params = search->params;
  guint depth = search->current.n_stops;

  if (depth == search->n_stops)
    {
      search->current.duration_s = now_s;
      if (!search->found || dsd_route_better (&search->current, search->best))
        {
          *search->best = search->current;
          search->found = TRUE;
        }
      return;
    }

  for (guint i = 0; i < search->n; i++)
    {
      const DsdRouteOrder *order = &search->orders[i];
      DsdRoutePlan saved = search->current;
      DsdRouteStop *stop = &search->current.stops[depth];
      double to_lat, to_lon, arrive, leave;

      if (state[i] == 2)
        continue;

      to_lat = state[i] == 0 ? order->pickup_lat : order->dropoff_lat;
      to_lon = state[i] == 0 ? order->pickup_lon : order->dropoff_lon;
      arrive = now_s + travel (params, lat, lon, to_lat, to_lon);
      stop->order = i;
      stop->dropoff = state[i] == 1;
      stop->arrive_s = arrive;
      if (state[i] == 0)
        {
          leave = MAX (arrive, order->ready_s) + params->dwell_s;
        }
      else
        {
          leave = arrive;
          search->current.deliveries_s += arrive;
          search->current.lateness_s += MAX (arrive - search->latest[i], 0.0);
        }
      search->current.n_stops = depth + 1;

      if (promising (search, leave))
        {
          state[i]++;
          extend (search, state, to_lat, to_lon, leave);
          state[i]--;
        }
      search->current = saved;
    }
}

void
dsd_route_plan (const DsdRouteParams *params,
                const DsdRouteOrder  *orders,
                guint                 n,
                DsdRoutePlan         *plan)
{
  Search search = { 0 };
  guint state[DSD_ROUTE_MAX_ORDERS];

  g_return_if_fail (params != NULL && params->travel != NULL);
  g_return_if_fail (n <= DSD_ROUTE_MAX_ORDERS && (n == 0 || orders != NULL));
  g_return_if_fail (plan != NULL);

  search.params = params;
  search.orders = orders;
  search.n = n;
  search.best = plan;
  dsd_route_latest (params, orders, n, search.latest);
  for (guint i = 0; i < n; i++)
    {
      state[i] = orders[i].picked_up ? 1 : 0;
      search.n_stops += orders[i].picked_up ? 1 : 2;
    }

  *plan = (DsdRoutePlan) { 0 };
  extend (&search, state, params->start_lat, params->start_lon, 0.0);
}

double
dsd_route_insertion_cost (const DsdRouteParams *params,
                          const DsdRouteOrder  *orders,
                          guint                 n,
                          const DsdRoutePlan   *base)
{
  DsdRoutePlan plan;

  g_return_val_if_fail (n + 1 <= DSD_ROUTE_MAX_ORDERS, INFINITY);
  g_return_val_if_fail (n == 0 || base != NULL, INFINITY);

  dsd_route_plan (params, orders, n + 1, &plan);
  if (plan.lateness_s > 0)
    return INFINITY;

  if (n == 0)
    return plan.duration_s + DSD_ROUTE_DELIVERY_WEIGHT * plan.deliveries_s;

  return plan.duration_s - base->duration_s +
         DSD_ROUTE_DELIVERY_WEIGHT * (plan.deliveries_s - base->deliveries_s);
}
