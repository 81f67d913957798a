/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-dispatch"

#include <math.h>
#include <stdlib.h>

#include "dsd-geo-grid.h"
#include "dsd-lap.h"
#include "dsd-match.h"

/* Candidate searches start at this radius and grow until k are found or
 * the farthest pickup is reached: dense cities stay cheap, sparse ones still
 * find someone. The area needed scales with k / found, the radius with its
 * root; a little more than that, so that one step usually suffices, but not
 * so much that many more than k items are collected and sorted. */
#define FIRST_RADIUS_M 1000.0
#define GROWTH_MARGIN 1.2
#define MIN_GROWTH 1.25
#define MAX_GROWTH 4.0

typedef struct {
  double   lat;
  double   lon;
  double   credit;
  gpointer data;
} Order;

typedef struct {
  double   lat;
  double   lon;
  guint    free_slots;
  guint    held;
  gpointer data;
} Driver;

typedef struct {
  guint  index;
  double distance_m;
} Hit;

struct _DsdMatch {
  DsdMatchParams     params;
  DsdMatchEtaFunc    eta;
  DsdMatchAllowFunc  allow;
  DsdMatchCostFunc   cost;     /* nullable */
  gpointer           user_data;

  GArray            *orders;           /* Order */
  GArray            *drivers;          /* Driver */

  /* After connect(): the candidates of order o are
   * candidates[order_start[o] .. order_start[o + 1]), cheapest first;
   * candidate_order[e] is the order of candidates[e]; the candidates of
   * driver d are candidates[driver_edges[driver_start[d] .. driver_start[d + 1])]. */
  gboolean           connected;
  DsdMatchCandidate *candidates;
  guint             *candidate_order;
  guint              n_candidates;
  guint             *order_start;
  guint             *driver_edges;
  guint             *driver_start;
};

/* One k-nearest search: the items of one side within a radius of a point of the other. */
typedef struct {
  DsdMatch       *self;
  gboolean        around_order;  /* searching drivers around order `from` (else orders) */
  guint           from;
  DsdGeoGridItem *base;
  GArray         *hits;          /* Hit */
} NearSearch;

void
dsd_match_params_init (DsdMatchParams *params)
{
  g_return_if_fail (params != NULL);

  params->k = 32;
  params->max_pickup_m = 20000.0;
  params->clear_margin_s = 90.0;
  params->wait_weight = 0.5;
  params->priority_s = 60.0;
  params->held_penalty_s = 180.0;
  params->max_slots = 4;
}

static gboolean
pair_allowed (DsdMatch *self,
              guint     order,
              guint     driver)
{
  if (self->allow == NULL)
    return TRUE;

  return self->allow (g_array_index (self->orders, Order, order).data,
                      g_array_index (self->drivers, Driver, driver).data,
                      self->user_data);
}

static gboolean
collect_cb (DsdGeoGridItem *item,
            double          distance_m,
            gpointer        user_data)
{
  NearSearch *search = user_data;
  guint index = item - search->base;
  gboolean allowed;

  if (search->around_order)
    allowed = pair_allowed (search->self, search->from, index);
  else
    allowed = pair_allowed (search->self, index, search->from);

  if (allowed)
    {
      Hit hit = { index, distance_m };

      g_array_append_val (search->hits, hit);
    }

  return TRUE;
}

static int
compare_hits (gconstpointer a,
              gconstpointer b)
{
  const Hit *ha = a, *hb = b;

  if (ha->distance_m != hb->distance_m)
    return ha->distance_m < hb->distance_m ? -1 : 1;
  return ha->index < hb->index ? -1 : ha->index > hb->index;
}

/* The k nearest allowed items of grid around (lat, lon), nearest first, in search->hits. */
static void
search_nearest (NearSearch *search,
                DsdGeoGrid *grid,
                double      lat,
                double      lon)
{
  const DsdMatchParams *params = &search->self->params;
  double radius = MIN (FIRST_RADIUS_M, params->max_pickup_m);

  for (;;)
    {
      g_array_set_size (search->hits, 0);
      dsd_geo_grid_query (grid, lat, lon, radius, collect_cb, search);
      if (search->hits->len >= params->k || radius >= params->max_pickup_m)
        break;
      radius *= CLAMP (GROWTH_MARGIN * sqrt ((double) params->k / MAX (search->hits->len, 1)),
                       MIN_GROWTH, MAX_GROWTH);
      radius = MIN (radius, params->max_pickup_m);
    }

  g_array_sort (search->hits, compare_hits);
  if (search->hits->len > params->k)
    g_array_set_size (search->hits, params->k);
}

static int
compare_pairs (gconstpointer a,
               gconstpointer b)
{
  guint64 pa = *(const guint64 *) a, pb = *(const guint64 *) b;

  return pa < pb ? -1 : pa > pb;
}

static int
compare_candidates (gconstpointer a,
                    gconstpointer b)
{
  const DsdMatchCandidate *ca = a, *cb = b;

  if (ca->cost_s != cb->cost_s)
    return ca->cost_s < cb->cost_s ? -1 : 1;
  return ca->driver < cb->driver ? -1 : ca->driver > cb->driver;
}

/* Appends (order << 32 | driver) for the search's point and each of its k nearest. */
static void
add_nearest_pairs (NearSearch *search,
                   DsdGeoGrid *grid,
                   double      lat,
                   double      lon,
                   GArray     *pairs)
{
  search_nearest (search, grid, lat, lon);
  for (guint h = 0; h < search->hits->len; h++)
    {
      guint64 other = g_array_index (search->hits, Hit, h).index;
      guint64 pair = search->around_order ? ((guint64) search->from << 32) | other
                                          : (other << 32) | search->from;

      g_array_append_val (pairs, pair);
    }
}

/* Both directions of k nearest, as sorted unique (order << 32 | driver) pairs. */
static GArray *
collect_pairs (DsdMatch *self)
{
  guint n_orders = self->orders->len;
  guint n_drivers = self->drivers->len;
  g_autofree DsdGeoGridItem *order_items = g_new0 (DsdGeoGridItem, n_orders);
  g_autofree DsdGeoGridItem *driver_items = g_new0 (DsdGeoGridItem, n_drivers);
  g_autoptr(DsdGeoGrid) order_grid = dsd_geo_grid_new ();
  g_autoptr(DsdGeoGrid) driver_grid = dsd_geo_grid_new ();
  g_autoptr(GArray) hits = g_array_new (FALSE, FALSE, sizeof (Hit));
  GArray *pairs = g_array_new (FALSE, FALSE, sizeof (guint64));
  guint n_unique = 0;

  for (guint o = 0; o < n_orders; o++)
    {
      const Order *order = &g_array_index (self->orders, Order, o);

      dsd_geo_grid_place (order_grid, &order_items[o], order->lat, order->lon);
    }
  for (guint d = 0; d < n_drivers; d++)
    {
      const Driver *driver = &g_array_index (self->drivers, Driver, d);

      dsd_geo_grid_place (driver_grid, &driver_items[d], driver->lat, driver->lon);
    }

  for (guint o = 0; o < n_orders; o++)
    {
      const Order *order = &g_array_index (self->orders, Order, o);
      NearSearch search = { self, TRUE, o, driver_items, hits };

      add_nearest_pairs (&search, driver_grid, order->lat, order->lon, pairs);
    }

  for (guint d = 0; d < n_drivers; d++)
    {
      const Driver *driver = &g_array_index (self->drivers, Driver, d);
      NearSearch search = { self, FALSE, d, order_items, hits };

      add_nearest_pairs (&search, order_grid, driver->lat, driver->lon, pairs);
    }

  g_array_sort (pairs, compare_pairs);
  for (guint i = 0; i < pairs->len; i++)
    {
      guint64 pair = g_array_index (pairs, guint64, i);

      if (n_unique == 0 || g_array_index (pairs, guint64, n_unique - 1) != pair)
        g_array_index (pairs, guint64, n_unique++) = pair;
    }
  g_array_set_size (pairs, n_unique);

  return pairs;
}

static void
clear_edges (DsdMatch *self)
{
  g_clear_pointer (&self->candidates, g_free);
  g_clear_pointer (&self->candidate_order, g_free);
  g_clear_pointer (&self->order_start, g_free);
  g_clear_pointer (&self->driver_edges, g_free);
  g_clear_pointer (&self->driver_start, g_free);
  self->n_candidates = 0;
}

DsdMatch *
dsd_match_new (const DsdMatchParams *params,
               DsdMatchEtaFunc       eta,
               DsdMatchAllowFunc     allow,
               gpointer              user_data)
{
  DsdMatch *self;

  g_return_val_if_fail (params != NULL, NULL);
  g_return_val_if_fail (params->k > 0 && params->max_slots > 0, NULL);
  g_return_val_if_fail (eta != NULL, NULL);

  self = g_new0 (DsdMatch, 1);
  self->params = *params;
  self->eta = eta;
  self->allow = allow;
  self->user_data = user_data;
  self->orders = g_array_new (FALSE, FALSE, sizeof (Order));
  self->drivers = g_array_new (FALSE, FALSE, sizeof (Driver));

  return self;
}

void
dsd_match_free (DsdMatch *self)
{
  if (self == NULL)
    return;

  clear_edges (self);
  g_array_unref (self->orders);
  g_array_unref (self->drivers);
  g_free (self);
}

guint
dsd_match_add_order (DsdMatch *self,
                     double    lat,
                     double    lon,
                     double    waited_s,
                     guint     priority,
                     gpointer  data)
{
  Order order = {
    lat, lon,
    self->params.wait_weight * MAX (waited_s, 0.0) + self->params.priority_s * priority,
    data,
  };

  g_return_val_if_fail (!self->connected, 0);

  g_array_append_val (self->orders, order);
  return self->orders->len - 1;
}

guint
dsd_match_add_driver (DsdMatch *self,
                      double    lat,
                      double    lon,
                      guint     free_slots,
                      guint     held,
                      gpointer  data)
{
  Driver driver = { lat, lon, free_slots, held, data };

  g_return_val_if_fail (!self->connected, 0);
  g_return_val_if_fail (free_slots > 0, 0);

  g_array_append_val (self->drivers, driver);
  return self->drivers->len - 1;
}

guint
dsd_match_get_n_orders (DsdMatch *self)
{
  return self->orders->len;
}

guint
dsd_match_get_n_drivers (DsdMatch *self)
{
  return self->drivers->len;
}

gpointer
dsd_match_get_order_data (DsdMatch *self,
                          guint     order)
{
  g_return_val_if_fail (order < self->orders->len, NULL);

  return g_array_index (self->orders, Order, order).data;
}

gpointer
dsd_match_get_driver_data (DsdMatch *self,
                           guint     driver)
{
  g_return_val_if_fail (driver < self->drivers->len, NULL);

  return g_array_index (self->drivers, Driver, driver).data;
}

typedef struct {
  double eta_s;
  double time_s;   /* the cost before the order's credit */
} EdgeTime;

/* The times of the pairs (EdgeTime, one per pair); pairs the cost function
 * forbids are removed (the order of the rest is kept). */
static GArray *
cost_pairs (DsdMatch *self,
            GArray   *pairs)
{
  GArray *times = g_array_sized_new (FALSE, FALSE, sizeof (EdgeTime), pairs->len);
  guint kept = 0;

  for (guint e = 0; e < pairs->len; e++)
    {
      guint64 pair = g_array_index (pairs, guint64, e);
      const Order *order = &g_array_index (self->orders, Order, pair >> 32);
      const Driver *driver = &g_array_index (self->drivers, Driver, pair & G_MAXUINT32);
      EdgeTime time;

      time.eta_s = self->eta (driver->data, order->lat, order->lon, self->user_data);
      g_assert (isfinite (time.eta_s));
      if (self->cost != NULL)
        time.time_s = self->cost (order->data, driver->data, time.eta_s, self->user_data);
      else
        time.time_s = time.eta_s + self->params.held_penalty_s * driver->held;
      if (!isfinite (time.time_s))
        continue;

      g_array_index (pairs, guint64, kept++) = pair;
      g_array_append_val (times, time);
    }
  g_array_set_size (pairs, kept);
  return times;
}

void
dsd_match_set_cost_func (DsdMatch         *self,
                         DsdMatchCostFunc  cost)
{
  g_return_if_fail (self != NULL && !self->connected);

  self->cost = cost;
}

void
dsd_match_connect (DsdMatch *self)
{
  g_autoptr(GArray) pairs = NULL;
  g_autoptr(GArray) times = NULL;
  guint n_orders = self->orders->len;
  guint n_drivers = self->drivers->len;
  g_autofree guint *fill = NULL;

  g_return_if_fail (!self->connected);
  self->connected = TRUE;

  pairs = collect_pairs (self);
  times = cost_pairs (self, pairs);
  self->n_candidates = pairs->len;
  self->candidates = g_new (DsdMatchCandidate, pairs->len);
  self->candidate_order = g_new (guint, pairs->len);
  self->order_start = g_new0 (guint, n_orders + 1);
  self->driver_start = g_new0 (guint, n_drivers + 1);
  self->driver_edges = g_new (guint, pairs->len);

  /* pairs are sorted by order: each order's candidates are contiguous */
  for (guint e = 0; e < pairs->len; e++)
    {
      guint64 pair = g_array_index (pairs, guint64, e);
      guint o = pair >> 32;
      guint d = pair & G_MAXUINT32;
      const Order *order = &g_array_index (self->orders, Order, o);
      const EdgeTime *time = &g_array_index (times, EdgeTime, e);

      self->candidates[e].driver = d;
      self->candidates[e].eta_s = time->eta_s;
      self->candidates[e].cost_s = time->time_s - order->credit;
      self->candidate_order[e] = o;
      self->order_start[o + 1]++;
      self->driver_start[d + 1]++;
    }

  for (guint o = 0; o < n_orders; o++)
    {
      guint n_candidates;

      self->order_start[o + 1] += self->order_start[o];
      n_candidates = self->order_start[o + 1] - self->order_start[o];
      /* qsort must not see a NULL base (no candidates at all). */
      if (n_candidates > 1)
        qsort (self->candidates + self->order_start[o], n_candidates,
               sizeof (DsdMatchCandidate), compare_candidates);
    }

  for (guint d = 0; d < n_drivers; d++)
    self->driver_start[d + 1] += self->driver_start[d];
  fill = g_memdup2 (self->driver_start, sizeof (guint) * (n_drivers + 1));
  for (guint e = 0; e < self->n_candidates; e++)
    self->driver_edges[fill[self->candidates[e].driver]++] = e;
}

const DsdMatchCandidate *
dsd_match_get_candidates (DsdMatch *self,
                          guint     order,
                          guint    *n_out)
{
  g_return_val_if_fail (self->connected, NULL);
  g_return_val_if_fail (order < self->orders->len, NULL);
  g_return_val_if_fail (n_out != NULL, NULL);

  *n_out = self->order_start[order + 1] - self->order_start[order];
  return self->candidates + self->order_start[order];
}

int
dsd_match_pick_for_order (DsdMatch *self,
                          guint     order)
{
  const DsdMatchCandidate *candidates;
  double margin = self->params.clear_margin_s;
  guint n, driver;
  double cost;

  candidates = dsd_match_get_candidates (self, order, &n);
  if (candidates == NULL || n == 0)
    return -1;

  driver = candidates[0].driver;
  cost = candidates[0].cost_s;
  if (n > 1 && candidates[1].cost_s - cost < margin)
    return -1;

  /* The driver must be clearly this order's, too. */
  for (guint i = self->driver_start[driver]; i < self->driver_start[driver + 1]; i++)
    {
      guint e = self->driver_edges[i];

      if (self->candidate_order[e] != order && self->candidates[e].cost_s < cost + margin)
        return -1;
    }

  return driver;
}

int
dsd_match_best_order (DsdMatch *self,
                      guint     driver)
{
  int best = -1;
  double best_cost = INFINITY;

  g_return_val_if_fail (self->connected, -1);
  g_return_val_if_fail (driver < self->drivers->len, -1);

  for (guint i = self->driver_start[driver]; i < self->driver_start[driver + 1]; i++)
    {
      guint e = self->driver_edges[i];

      if (self->candidates[e].cost_s < best_cost)
        {
          best_cost = self->candidates[e].cost_s;
          best = self->candidate_order[e];
        }
    }

  return best;
}

/* The first-slot cost of an edge of the graph. */
static double
candidate_cost (DsdMatch *self,
                guint     order,
                guint     driver)
{
  for (guint e = self->order_start[order]; e < self->order_start[order + 1]; e++)
    {
      if (self->candidates[e].driver == driver)
        return self->candidates[e].cost_s;
    }

  g_assert_not_reached ();
}

guint
dsd_match_solve (DsdMatch *self,
                 int      *order_to_driver,
                 double   *order_cost)
{
  guint n_orders = self->orders->len;
  guint n_drivers = self->drivers->len;
  g_autofree guint *slots = g_new (guint, n_drivers);
  g_autofree guint *first_slot = g_new (guint, n_drivers);
  g_autofree guint *slot_to_driver = NULL;
  g_autofree int *order_to_slot = g_new (int, n_orders);
  g_autoptr(DsdLapSparse) lap = NULL;
  guint n_slots = 0;
  guint n_placed;

  g_return_val_if_fail (self->connected, 0);
  g_return_val_if_fail (order_to_driver != NULL, 0);

  for (guint d = 0; d < n_drivers; d++)
    {
      slots[d] = MIN (g_array_index (self->drivers, Driver, d).free_slots,
                      self->params.max_slots);
      first_slot[d] = n_slots;
      n_slots += slots[d];
    }

  if (n_orders == 0 || n_slots == 0)
    {
      for (guint o = 0; o < n_orders; o++)
        order_to_driver[o] = -1;
      return 0;
    }

  slot_to_driver = dsd_lap_slots_new (slots, n_drivers, &n_slots);
  lap = dsd_lap_sparse_new (n_orders, n_slots);
  for (guint e = 0; e < self->n_candidates; e++)
    {
      const DsdMatchCandidate *candidate = &self->candidates[e];

      for (guint s = 0; s < slots[candidate->driver]; s++)
        dsd_lap_sparse_add_edge (lap, self->candidate_order[e], first_slot[candidate->driver] + s,
                                 candidate->cost_s + self->params.held_penalty_s * s);
    }

  n_placed = dsd_lap_sparse_solve (lap, order_to_slot, NULL);

  for (guint o = 0; o < n_orders; o++)
    {
      int slot = order_to_slot[o];
      guint d = slot < 0 ? 0 : slot_to_driver[slot];

      order_to_driver[o] = slot < 0 ? -1 : (int) d;
      if (order_cost != NULL)
        order_cost[o] = slot < 0 ? NAN : candidate_cost (self, o, d) +
                                         self->params.held_penalty_s * (slot - first_slot[d]);
    }

  return n_placed;
}
