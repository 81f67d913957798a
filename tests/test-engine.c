/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <math.h>

#include "dispatch-geo.h"
#include "dispatch-json.h"
#include "dsd-clock.h"
#include "dsd-lap.h"
#include "dsd-match.h"
#include "dsd-order-book.h"
#include "dsd-pickup-time.h"

/* Straight line at 5 m/s: 1 km ≈ 200 s. */
#define SPEED_MPS 5.0
#define BASE_LAT 52.52
#define BASE_LON 13.40
/* Metres per degree of latitude, near enough for placing test points. */
#define M_PER_DEG 111195.0

typedef struct {
  double lat;
  double lon;
} Place;

static double
eta_cb (gpointer driver_data,
        double   to_lat,
        double   to_lon,
        gpointer user_data)
{
  const Place *place = driver_data;

  return dispatch_haversine_m (place->lat, place->lon, to_lat, to_lon) / SPEED_MPS;
}

typedef struct {
  guint        order;
  const Place *driver;
} Forbidden;

/* Orders carry their index + 1 as data, drivers their Place. */
static gboolean
allow_cb (gpointer order_data,
          gpointer driver_data,
          gpointer user_data)
{
  const Forbidden *forbidden = user_data;

  return !(GPOINTER_TO_UINT (order_data) == forbidden->order + 1 &&
           driver_data == forbidden->driver);
}

/* A point x metres east and y metres north of the base. */
static Place
at (double x,
    double y)
{
  return (Place) {
    BASE_LAT + y / M_PER_DEG,
    BASE_LON + x / (M_PER_DEG * cos (BASE_LAT * G_PI / 180.0)),
  };
}

static guint
add_order (DsdMatch *match,
           double    x,
           double    y,
           double    waited_s)
{
  Place place = at (x, y);
  guint n = dsd_match_get_n_orders (match);

  return dsd_match_add_order (match, place.lat, place.lon, waited_s, 0, GUINT_TO_POINTER (n + 1));
}

static guint
add_driver (DsdMatch *match,
            Place    *place,
            guint     free_slots,
            guint     held)
{
  return dsd_match_add_driver (match, place->lat, place->lon, free_slots, held, place);
}

static DsdMatch *
new_match (Forbidden *forbidden)
{
  DsdMatchParams params;

  dsd_match_params_init (&params);
  return dsd_match_new (&params, eta_cb, forbidden != NULL ? allow_cb : NULL, forbidden);
}

static void
test_nearer_driver_clear (void)
{
  g_autoptr(DsdMatch) match = new_match (NULL);
  Place near = at (500, 0), far = at (3000, 0);
  const DsdMatchCandidate *candidates;
  guint order, d_near, d_far, n;

  order = add_order (match, 0, 0, 0);
  d_far = add_driver (match, &far, 1, 0);
  d_near = add_driver (match, &near, 1, 0);
  dsd_match_connect (match);

  candidates = dsd_match_get_candidates (match, order, &n);
  g_assert_cmpuint (n, ==, 2);
  g_assert_cmpuint (candidates[0].driver, ==, d_near);
  g_assert_cmpuint (candidates[1].driver, ==, d_far);
  g_assert_cmpfloat_with_epsilon (candidates[0].eta_s, 100.0, 1.0);
  g_assert_cmpfloat_with_epsilon (candidates[1].eta_s, 600.0, 1.0);
  g_assert_cmpint (dsd_match_pick_for_order (match, order), ==, d_near);
  g_assert_cmpint (dsd_match_best_order (match, d_far), ==, order);
}

static void
test_close_call_waits (void)
{
  g_autoptr(DsdMatch) match = new_match (NULL);
  Place a = at (500, 0), b = at (0, 600);
  guint order;

  order = add_order (match, 0, 0, 0);
  add_driver (match, &a, 1, 0);
  add_driver (match, &b, 1, 0);
  dsd_match_connect (match);

  /* 100 s against 120 s: not clearly best, the batch decides. */
  g_assert_cmpint (dsd_match_pick_for_order (match, order), ==, -1);
}

static void
test_single_candidate (void)
{
  g_autoptr(DsdMatch) match = new_match (NULL);
  Place only = at (8000, 0);
  guint order, driver;

  order = add_order (match, 0, 0, 0);
  driver = add_driver (match, &only, 1, 0);
  dsd_match_connect (match);

  g_assert_cmpint (dsd_match_pick_for_order (match, order), ==, driver);
}

static void
test_contested_driver_waits (void)
{
  g_autoptr(DsdMatch) match = new_match (NULL);
  Place driver_place = at (0, 0);
  guint fresh, old;

  fresh = add_order (match, 300, 0, 0);
  /* Farther, but it has waited ten minutes: its cost is lower. */
  old = add_order (match, -600, 0, 600);
  add_driver (match, &driver_place, 1, 0);
  dsd_match_connect (match);

  g_assert_cmpint (dsd_match_pick_for_order (match, fresh), ==, -1);
  g_assert_cmpint (dsd_match_best_order (match, 0), ==, old);
}

static void
test_exclusion (void)
{
  /* order 0 must not go to the near driver */
  Place near = at (200, 0), far = at (2500, 0);
  Forbidden forbidden = { 0, &near };
  g_autoptr(DsdMatch) match = NULL;
  int assignment[1];
  guint n;

  match = new_match (&forbidden);
  add_order (match, 0, 0, 0);
  add_driver (match, &near, 1, 0);
  add_driver (match, &far, 1, 0);
  dsd_match_connect (match);

  dsd_match_get_candidates (match, 0, &n);
  g_assert_cmpuint (n, ==, 1);
  g_assert_cmpint (dsd_match_pick_for_order (match, 0), ==, 1);
  g_assert_cmpuint (dsd_match_solve (match, assignment, NULL), ==, 1);
  g_assert_cmpint (assignment[0], ==, 1);
}

static void
test_max_pickup_and_growth (void)
{
  g_autoptr(DsdMatch) match = new_match (NULL);
  Place within = at (15000, 0), beyond = at (0, 25000);
  guint order, n;
  const DsdMatchCandidate *candidates;

  order = add_order (match, 0, 0, 0);
  add_driver (match, &beyond, 1, 0);
  add_driver (match, &within, 1, 0);
  dsd_match_connect (match);

  /* The search grows from 1 km to the 15 km driver, never to the 25 km one. */
  candidates = dsd_match_get_candidates (match, order, &n);
  g_assert_cmpuint (n, ==, 1);
  g_assert_cmpuint (candidates[0].driver, ==, 1);
}

static void
test_k_limits_candidates (void)
{
  DsdMatchParams params;
  g_autoptr(DsdMatch) match = NULL;
  g_autofree Place *places = g_new (Place, 50);
  const DsdMatchCandidate *candidates;
  guint n;

  dsd_match_params_init (&params);
  params.k = 5;
  match = dsd_match_new (&params, eta_cb, NULL, NULL);
  add_order (match, 0, 0, 0);
  for (guint i = 0; i < 50; i++)
    {
      places[i] = at (100.0 * (i + 1), 0);
      add_driver (match, &places[i], 1, 0);
    }
  dsd_match_connect (match);

  /* the order's 5 nearest, plus every driver whose 5 nearest orders include it */
  candidates = dsd_match_get_candidates (match, 0, &n);
  g_assert_cmpuint (n, ==, 50);
  for (guint i = 1; i < n; i++)
    g_assert_cmpfloat (candidates[i - 1].cost_s, <=, candidates[i].cost_s);
  g_assert_cmpuint (candidates[0].driver, ==, 0);
}

static void
test_wait_credit_wins_scarce_driver (void)
{
  g_autoptr(DsdMatch) match = new_match (NULL);
  Place driver_place = at (0, 0);
  int assignment[2];

  add_order (match, 200, 0, 0);       /* 40 s away, new */
  add_order (match, -1000, 0, 900);   /* 200 s away, waited 15 minutes */
  add_driver (match, &driver_place, 1, 0);
  dsd_match_connect (match);

  g_assert_cmpuint (dsd_match_solve (match, assignment, NULL), ==, 1);
  g_assert_cmpint (assignment[0], ==, -1);
  g_assert_cmpint (assignment[1], ==, 0);
}

static void
test_capacity_slots (void)
{
  g_autoptr(DsdMatch) match = new_match (NULL);
  Place two = at (0, 0), one = at (5000, 0);
  int assignment[4];
  double cost[4];
  guint per_driver[2] = { 0, 0 };

  for (guint i = 0; i < 4; i++)
    add_order (match, 100.0 * i, 0, 0);
  add_driver (match, &two, 2, 0);
  add_driver (match, &one, 1, 1);
  dsd_match_connect (match);

  g_assert_cmpuint (dsd_match_solve (match, assignment, cost), ==, 3);
  for (guint i = 0; i < 4; i++)
    {
      if (assignment[i] >= 0)
        {
          per_driver[assignment[i]]++;
          g_assert_true (isfinite (cost[i]));
        }
    }
  g_assert_cmpuint (per_driver[0], ==, 2);
  g_assert_cmpuint (per_driver[1], ==, 1);
}

/* On small random instances where every pair is a candidate, the batch cost
 * equals the dense optimum over the slot-expanded matrix. */
static void
test_solve_is_optimal (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (7);

  for (guint round = 0; round < 40; round++)
    {
      g_autoptr(DsdMatch) match = new_match (NULL);
      guint n_orders = g_rand_int_range (rand, 1, 12);
      guint n_drivers = g_rand_int_range (rand, 1, 8);
      g_autofree Place *places = g_new (Place, n_drivers);
      g_autofree guint *capacity = g_new (guint, n_drivers);
      g_autofree int *assignment = g_new (int, n_orders);
      g_autofree double *cost = g_new (double, n_orders);
      g_autofree guint *slot_to_driver = NULL;
      g_autofree double *matrix = NULL;
      g_autofree int *dense_rows = g_new (int, n_orders);
      guint n_slots, n_placed, n_dense;
      double total = 0, dense_total = 0;

      for (guint o = 0; o < n_orders; o++)
        add_order (match, g_rand_double_range (rand, -4000, 4000),
                   g_rand_double_range (rand, -4000, 4000), g_rand_double_range (rand, 0, 600));
      for (guint d = 0; d < n_drivers; d++)
        {
          places[d] = at (g_rand_double_range (rand, -4000, 4000),
                          g_rand_double_range (rand, -4000, 4000));
          capacity[d] = g_rand_int_range (rand, 1, 3);
          add_driver (match, &places[d], capacity[d], 0);
        }
      dsd_match_connect (match);
      n_placed = dsd_match_solve (match, assignment, cost);
      for (guint o = 0; o < n_orders; o++)
        {
          if (assignment[o] >= 0)
            total += cost[o];
        }

      slot_to_driver = dsd_lap_slots_new (capacity, n_drivers, &n_slots);
      matrix = g_new (double, n_orders * n_slots);
      for (guint o = 0; o < n_orders; o++)
        {
          guint n;
          const DsdMatchCandidate *candidates = dsd_match_get_candidates (match, o, &n);

          g_assert_cmpuint (n, ==, n_drivers);
          for (guint s = 0; s < n_slots; s++)
            {
              guint d = slot_to_driver[s];
              guint rank = (s == 0 || slot_to_driver[s - 1] != d) ? 0 : 1;

              for (guint c = 0; c < n; c++)
                {
                  if (candidates[c].driver == d)
                    matrix[o * n_slots + s] = candidates[c].cost_s + 180.0 * rank;
                }
            }
        }
      n_dense = dsd_lap_dense_solve (matrix, n_orders, n_slots, dense_rows, &dense_total);

      g_assert_cmpuint (n_placed, ==, n_dense);
      g_assert_cmpfloat_with_epsilon (total, dense_total, 1e-6 * MAX (1.0, fabs (dense_total)));
    }
}

/* The order book ------------------------------------------------------------ */

#define ORDER_A "01a20000-0000-7000-8000-00000000000a"
#define ORDER_B "01a20000-0000-7000-8000-00000000000b"
#define DRIVER_X "5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d"
#define DRIVER_Y "0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e"

/* dispatch.engine_round()'s rows with the orders' load: seq, then (id, lat,
 * lon, priority, pending_since_us, offer_driver_id, offer_expires_us,
 * excluded, pickup_at_us, max_pickup_m, allowed, load_weight_kg, load_volume_l,
 * dropoff_lat, dropoff_lon, ready_at_us, deliver_before_us) per order, NULL as such; no orders → the one row with only seq. */
static PGresult *
round_rows (gint64              seq,
            const char * const *orders,
            guint               n_orders)
{
  const char *names[] = {
    "seq", "id", "pickup_lat", "pickup_lon", "priority", "pending_since_us",
    "offer_driver_id", "offer_expires_us", "excluded", "pickup_at_us", "max_pickup_m",
    "allowed", "load_weight_kg", "load_volume_l", "dropoff_lat", "dropoff_lon", "ready_at_us",
    "deliver_before_us",
  };
  PGresAttDesc attributes[G_N_ELEMENTS (names)] = { { 0 } };
  PGresult *rows = PQmakeEmptyPGresult (NULL, PGRES_TUPLES_OK);
  g_autofree char *seq_text = g_strdup_printf ("%" G_GINT64_FORMAT, seq);

  for (guint c = 0; c < G_N_ELEMENTS (names); c++)
    {
      attributes[c].name = (char *) names[c];
      attributes[c].format = 0;
    }
  g_assert_true (PQsetResultAttrs (rows, G_N_ELEMENTS (names), attributes));

  for (guint r = 0; r < MAX (n_orders, 1); r++)
    {
      g_assert_true (PQsetvalue (rows, r, 0, seq_text, (int) strlen (seq_text)));
      for (guint c = 1; c < G_N_ELEMENTS (names); c++)
        {
          const char *value = n_orders > 0 ? orders[r * (G_N_ELEMENTS (names) - 1) + c - 1]
                                           : NULL;

          int length = value != NULL ? (int) strlen (value) : -1;

          g_assert_true (PQsetvalue (rows, r, c, (char *) value, length));
        }
    }

  return rows;
}

static gboolean
merge (DsdOrderBook       *book,
       gint64              seq,
       const char * const *orders,
       guint               n_orders)
{
  PGresult *rows = round_rows (seq, orders, n_orders);
  gboolean merged = dsd_order_book_merge_round (book, rows);

  PQclear (rows);
  return merged;
}

/* An order.* event of order id in state status, with an offer to offer_driver (nullable). */
static DsdOrderBookChange
apply (DsdOrderBook *book,
       gint64        seq,
       const char   *type,
       const char   *id,
       const char   *status,
       const char   *offer_driver)
{
  g_autofree char *offer = NULL;
  g_autofree char *envelope = NULL;
  g_autoptr(DsdEvent) event = NULL;

  offer = offer_driver != NULL
          ? g_strdup_printf ("{\"driver_id\":\"%s\",\"expires_at\":\"2099-01-01T00:00:00Z\"}",
                             offer_driver)
          : g_strdup ("null");
  envelope = g_strdup_printf (
    "{\"id\":\"e\",\"seq\":%" G_GINT64_FORMAT ",\"type\":\"%s\",\"occurred_at\":"
    "\"2026-11-22T10:00:00Z\",\"data\":{\"id\":\"%s\",\"status\":\"%s\","
    "\"pickup\":{\"lat\":52.5,\"lon\":13.4},\"priority\":2,"
    "\"updated_at\":\"2026-11-22T10:00:00Z\",\"offer\":%s}}",
    seq, type, id, status, offer);
  event = dsd_event_new_from_json (envelope, -1, NULL);
  g_assert_nonnull (event);

  return dsd_order_book_apply_event (book, event);
}

static void
test_book_merge_round (void)
{
  g_autoptr(DsdOrderBook) book = dsd_order_book_new ();
  const char * const orders[] = {
    ORDER_A, "52.5", "13.4", "3", "1000000", DRIVER_X, "4102444800000000", NULL, NULL,
    "2500", DRIVER_X, "12.5", "40", "52.51", "13.41", "1500000", "4000000",
    ORDER_B, "52.6", "13.5", "0", "2000000", NULL, NULL, DRIVER_X "," DRIVER_Y, "9000000",
    NULL, NULL, "0", "0", "52.61", "13.51", NULL, NULL,
  };
  DsdPendingOrder *a, *b;

  g_assert_true (merge (book, 10, orders, 2));
  g_assert_cmpuint (dsd_order_book_get_n_pending (book), ==, 2);

  a = dsd_order_book_lookup (book, ORDER_A);
  g_assert_nonnull (a);
  g_assert_cmpfloat (a->lat, ==, 52.5);
  g_assert_cmpuint (a->priority, ==, 3);
  g_assert_cmpint (a->pending_since_us, ==, 1000000);
  g_assert_cmpint (a->pickup_at_us, ==, 0);
  g_assert_cmpfloat (a->weight_kg, ==, 12.5);
  g_assert_cmpfloat (a->volume_l, ==, 40);
  g_assert_cmpfloat (a->dropoff_lat, ==, 52.51);
  g_assert_cmpint (a->ready_at_us, ==, 1500000);
  g_assert_cmpint (a->deliver_before_us, ==, 4000000);
  g_assert_cmpstr (a->offer_driver_id, ==, DRIVER_X);
  g_assert_cmpuint (dsd_order_book_count_offers (book, DRIVER_X), ==, 1);
  g_assert_cmpint (dsd_order_book_next_expiry_us (book), ==, G_GINT64_CONSTANT (4102444800000000));

  b = dsd_order_book_lookup (book, ORDER_B);
  g_assert_cmpint (b->pickup_at_us, ==, 9000000);
  g_assert_cmpint (b->deliver_before_us, ==, 0);
  g_assert_null (b->offer_driver_id);
  g_assert_true (dsd_order_book_excludes (b, DRIVER_X));
  g_assert_true (dsd_order_book_excludes (b, DRIVER_Y));
  g_assert_false (dsd_order_book_excludes (a, DRIVER_Y));

  /* the rules of the orders' zones */
  g_assert_cmpfloat (a->max_pickup_m, ==, 2500);
  g_assert_true (dsd_order_book_allows (a, DRIVER_X));
  g_assert_false (dsd_order_book_allows (a, DRIVER_Y));
  g_assert_cmpfloat (b->max_pickup_m, ==, 0);
  g_assert_false (dsd_order_book_allows (b, DRIVER_Y));
  g_assert_null (b->allowed);

  /* Nothing pending any more: the one row with only seq empties the book. */
  g_assert_true (merge (book, 11, NULL, 0));
  g_assert_cmpuint (dsd_order_book_get_n_pending (book), ==, 0);
  g_assert_cmpuint (dsd_order_book_count_offers (book, DRIVER_X), ==, 0);
  g_assert_cmpint (dsd_order_book_next_expiry_us (book), ==, G_MAXINT64);
}

static void
test_book_seq_order (void)
{
  g_autoptr(DsdOrderBook) book = dsd_order_book_new ();
  const char * const a_pending[] = {
    ORDER_A, "52.5", "13.4", "0", "1000000", NULL, NULL, NULL, NULL, NULL, NULL, "0", "0",
    "52.51", "13.41", NULL, NULL,
  };

  /* An order created after the snapshot survives the snapshot. */
  g_assert_cmpint (apply (book, 21, "order.created", ORDER_B, "pending", NULL), ==,
                   DSD_ORDER_BOOK_PENDING);
  g_assert_true (merge (book, 20, a_pending, 1));
  g_assert_nonnull (dsd_order_book_lookup (book, ORDER_B));
  g_assert_nonnull (dsd_order_book_lookup (book, ORDER_A));

  /* Assigned by an event newer than the next snapshot: the snapshot's stale
   * row does not bring it back; older events change nothing. */
  g_assert_cmpint (apply (book, 30, "order.assigned", ORDER_A, "assigned", NULL), ==,
                   DSD_ORDER_BOOK_REMOVED);
  g_assert_true (merge (book, 25, a_pending, 1));
  g_assert_null (dsd_order_book_lookup (book, ORDER_A));
  g_assert_cmpint (apply (book, 29, "order.updated", ORDER_A, "pending", NULL), ==,
                   DSD_ORDER_BOOK_UNCHANGED);
  g_assert_null (dsd_order_book_lookup (book, ORDER_A));

  /* Back to pending later (unassigned): in again. */
  g_assert_cmpint (apply (book, 31, "order.updated", ORDER_A, "pending", NULL), ==,
                   DSD_ORDER_BOOK_PENDING);
  g_assert_nonnull (dsd_order_book_lookup (book, ORDER_A));

  /* A snapshot newer than everything is the truth. */
  g_assert_true (merge (book, 40, a_pending, 1));
  g_assert_null (dsd_order_book_lookup (book, ORDER_B));
  g_assert_nonnull (dsd_order_book_lookup (book, ORDER_A));
}

static void
test_book_offers (void)
{
  g_autoptr(DsdOrderBook) book = dsd_order_book_new ();
  g_autoptr(GPtrArray) open = NULL;
  DsdPendingOrder *a;

  apply (book, 1, "order.created", ORDER_A, "pending", NULL);
  apply (book, 2, "order.offer", ORDER_A, "pending", DRIVER_X);
  a = dsd_order_book_lookup (book, ORDER_A);
  g_assert_cmpstr (a->offer_driver_id, ==, DRIVER_X);
  g_assert_cmpuint (dsd_order_book_count_offers (book, DRIVER_X), ==, 1);
  open = dsd_order_book_list_open (book, g_get_real_time (), FALSE);
  g_assert_cmpuint (open->len, ==, 0);
  g_clear_pointer (&open, g_ptr_array_unref);

  /* Declined (or expired): the driver is out for this order. */
  apply (book, 3, "order.updated", ORDER_A, "pending", NULL);
  g_assert_null (a->offer_driver_id);
  g_assert_true (dsd_order_book_excludes (a, DRIVER_X));
  g_assert_cmpuint (dsd_order_book_count_offers (book, DRIVER_X), ==, 0);

  open = dsd_order_book_list_open (book, g_get_real_time (), FALSE);
  g_assert_cmpuint (open->len, ==, 1);
  g_clear_pointer (&open, g_ptr_array_unref);

  /* Backoff and calls under way keep an order out of the plans. */
  a->next_try_us = g_get_real_time () + G_USEC_PER_SEC;
  open = dsd_order_book_list_open (book, g_get_real_time (), FALSE);
  g_assert_cmpuint (open->len, ==, 0);
  g_clear_pointer (&open, g_ptr_array_unref);
  open = dsd_order_book_list_open (book, g_get_real_time (), TRUE);
  g_assert_cmpuint (open->len, ==, 1);
  g_clear_pointer (&open, g_ptr_array_unref);
  a->in_flight = TRUE;
  open = dsd_order_book_list_open (book, g_get_real_time (), TRUE);
  g_assert_cmpuint (open->len, ==, 0);
}

static void
test_book_expired_offer (void)
{
  g_autoptr(DsdOrderBook) book = dsd_order_book_new ();
  const char * const expired[] = {
    ORDER_A, "52.5", "13.4", "0", "1000000", DRIVER_Y, "2000000", NULL, NULL, NULL, NULL, "0",
    "0", "52.51", "13.41", NULL, NULL,
  };
  g_autoptr(GPtrArray) open = NULL;
  DsdPendingOrder *a;

  g_assert_true (merge (book, 5, expired, 1));
  open = dsd_order_book_list_open (book, 3000000, FALSE);
  g_assert_cmpuint (open->len, ==, 1);
  a = g_ptr_array_index (open, 0);
  g_assert_null (a->offer_driver_id);
  g_assert_true (dsd_order_book_excludes (a, DRIVER_Y));
}

/* A zoned order learnt from an event waits for a round with its zone's rules. */
static void
test_book_zone_unsettled (void)
{
  g_autoptr(DsdOrderBook) book = dsd_order_book_new ();
  g_autoptr(DsdEvent) event = dsd_event_new_from_json (
    "{\"id\":\"e\",\"seq\":5,\"type\":\"order.created\",\"occurred_at\":"
    "\"2026-11-22T10:00:00Z\",\"data\":{\"id\":\"" ORDER_A "\",\"status\":\"pending\","
    "\"pickup\":{\"lat\":52.5,\"lon\":13.4},\"priority\":0,\"zone_id\":\"z\","
    "\"updated_at\":\"2026-11-22T10:00:00Z\",\"offer\":null}}", -1, NULL);
  const char * const row[] = {
    ORDER_A, "52.5", "13.4", "0", "1000000", NULL, NULL, NULL, NULL, NULL, DRIVER_X, "0", "0",
    "52.51", "13.41", NULL, NULL,
  };
  g_autoptr(GPtrArray) before = NULL;
  g_autoptr(GPtrArray) after = NULL;

  g_assert_nonnull (event);
  g_assert_cmpint (dsd_order_book_apply_event (book, event), ==, DSD_ORDER_BOOK_PENDING);
  g_assert_true (dsd_order_book_lookup (book, ORDER_A)->unsettled);
  before = dsd_order_book_list_open (book, 0, TRUE);
  g_assert_cmpuint (before->len, ==, 0);

  g_assert_true (merge (book, 6, row, 1));
  g_assert_false (dsd_order_book_lookup (book, ORDER_A)->unsettled);
  after = dsd_order_book_list_open (book, 0, TRUE);
  g_assert_cmpuint (after->len, ==, 1);
  g_assert_true (dsd_order_book_allows (g_ptr_array_index (after, 0), DRIVER_X));
  g_assert_false (dsd_order_book_allows (g_ptr_array_index (after, 0), DRIVER_Y));
}

static void
test_book_rejects_other_rows (void)
{
  g_autoptr(DsdOrderBook) book = dsd_order_book_new ();
  PGresult *rows = PQmakeEmptyPGresult (NULL, PGRES_TUPLES_OK);

  g_assert_false (dsd_order_book_merge_round (book, rows));
  PQclear (rows);
}

/* Orders that are not "now" -------------------------------------------------- */

#define T0_US G_GINT64_CONSTANT (1795000000000000)
#define SEC(s) ((gint64) (s) * G_USEC_PER_SEC)

static void
test_pickup_time_rules (void)
{
  gint64 pickup = T0_US + SEC (3600);

  /* As soon as possible: always open, every driver allowed. */
  g_assert_true (dsd_pickup_time_is_open (0, T0_US, 600));
  g_assert_true (dsd_pickup_time_allows (0, T0_US, 0.0, 0));
  g_assert_cmpint (dsd_pickup_time_open_at_us (0, 600), ==, 0);

  /* Scheduled an hour ahead with a 10-minute lead: open from 50 minutes on. */
  g_assert_false (dsd_pickup_time_is_open (pickup, T0_US, 600));
  g_assert_false (dsd_pickup_time_is_open (pickup, pickup - SEC (601), 600));
  g_assert_true (dsd_pickup_time_is_open (pickup, pickup - SEC (600), 600));
  g_assert_cmpint (dsd_pickup_time_open_at_us (pickup, 600), ==, pickup - SEC (600));

  /* Ten minutes before the pickup, at most 2 minutes of waiting: a driver 9
   * minutes away may go, one 7 minutes away (3 minutes at the counter) not
   * yet; a late one is not kept from a ready order. */
  g_assert_true (dsd_pickup_time_allows (pickup, pickup - SEC (600), 540.0, 120));
  g_assert_true (dsd_pickup_time_allows (pickup, pickup - SEC (600), 480.0, 120));
  g_assert_false (dsd_pickup_time_allows (pickup, pickup - SEC (600), 420.0, 120));
  g_assert_true (dsd_pickup_time_allows (pickup, pickup - SEC (600), 900.0, 120));
}

/* A scheduled order (an event with "pickup_at") enters the plans when the
 * clock reaches its lead, and not before. */
static void
test_book_scheduled (void)
{
  g_autoptr(DsdClock) clock = dsd_clock_new_frozen (T0_US);
  g_autoptr(DsdOrderBook) book = dsd_order_book_new ();
  g_autoptr(GPtrArray) open = NULL;
  g_autofree char *pickup_at = dispatch_format_timestamp (T0_US + SEC (7200));
  g_autofree char *envelope = NULL;
  g_autoptr(DsdEvent) event = NULL;

  dsd_order_book_set_schedule_lead (book, 900);
  envelope = g_strdup_printf (
    "{\"id\":\"e\",\"seq\":1,\"type\":\"order.created\",\"occurred_at\":"
    "\"2026-11-22T10:00:00Z\",\"data\":{\"id\":\"%s\",\"status\":\"pending\","
    "\"pickup\":{\"lat\":52.5,\"lon\":13.4},\"priority\":0,"
    "\"updated_at\":\"2026-11-22T10:00:00Z\",\"offer\":null,\"pickup_at\":\"%s\"}}",
    ORDER_A, pickup_at);
  event = dsd_event_new_from_json (envelope, -1, NULL);
  g_assert_cmpint (dsd_order_book_apply_event (book, event), ==, DSD_ORDER_BOOK_PENDING);
  g_assert_cmpint (dsd_order_book_lookup (book, ORDER_A)->pickup_at_us, ==,
                   T0_US + SEC (7200));

  open = dsd_order_book_list_open (book, dsd_clock_get_real_us (clock), TRUE);
  g_assert_cmpuint (open->len, ==, 0);
  g_clear_pointer (&open, g_ptr_array_unref);

  dsd_clock_advance (clock, SEC (7200 - 901));
  open = dsd_order_book_list_open (book, dsd_clock_get_real_us (clock), TRUE);
  g_assert_cmpuint (open->len, ==, 0);
  g_clear_pointer (&open, g_ptr_array_unref);

  dsd_clock_advance (clock, G_USEC_PER_SEC);
  open = dsd_order_book_list_open (book, dsd_clock_get_real_us (clock), TRUE);
  g_assert_cmpuint (open->len, ==, 1);
}

typedef struct {
  gint64 pickup_at_us;
  gint64 now_us;
  guint  max_wait_s;
} ReadyRule;

static gboolean
ready_allow_cb (gpointer order_data,
                gpointer driver_data,
                gpointer user_data)
{
  const ReadyRule *rule = user_data;
  Place pickup = at (0, 0);

  return dsd_pickup_time_allows (rule->pickup_at_us, rule->now_us,
                                 eta_cb (driver_data, pickup.lat, pickup.lon, NULL),
                                 rule->max_wait_s);
}

/* Ready in 10 minutes, at most 2 minutes at the counter: the driver next to
 * the kitchen is not sent yet; the one 10 minutes away is, and arrives as the
 * food is ready. With the order ready now, the nearer one wins again. */
static void
test_ready_time_planning (void)
{
  DsdMatchParams params;
  Place near = at (100, 0);
  Place far = at (0, 3000);   /* 600 s at 5 m/s */
  ReadyRule rule = { T0_US + SEC (600), T0_US, 120 };
  g_autoptr(DsdMatch) match = NULL;
  guint n;
  int assignment[1];

  dsd_match_params_init (&params);
  match = dsd_match_new (&params, eta_cb, ready_allow_cb, &rule);
  add_order (match, 0, 0, 0);
  add_driver (match, &near, 1, 0);
  add_driver (match, &far, 1, 0);
  dsd_match_connect (match);
  dsd_match_get_candidates (match, 0, &n);
  g_assert_cmpuint (n, ==, 1);
  g_assert_cmpint (dsd_match_pick_for_order (match, 0), ==, 1);
  g_assert_cmpuint (dsd_match_solve (match, assignment, NULL), ==, 1);
  g_assert_cmpint (assignment[0], ==, 1);
  g_clear_pointer (&match, dsd_match_free);

  rule.pickup_at_us = 0;
  match = dsd_match_new (&params, eta_cb, ready_allow_cb, &rule);
  add_order (match, 0, 0, 0);
  add_driver (match, &near, 1, 0);
  add_driver (match, &far, 1, 0);
  dsd_match_connect (match);
  g_assert_cmpint (dsd_match_pick_for_order (match, 0), ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/engine/match/nearer-driver-clear", test_nearer_driver_clear);
  g_test_add_func ("/engine/match/close-call-waits", test_close_call_waits);
  g_test_add_func ("/engine/match/single-candidate", test_single_candidate);
  g_test_add_func ("/engine/match/contested-driver-waits", test_contested_driver_waits);
  g_test_add_func ("/engine/match/exclusion", test_exclusion);
  g_test_add_func ("/engine/match/max-pickup-and-growth", test_max_pickup_and_growth);
  g_test_add_func ("/engine/match/k-limits-candidates", test_k_limits_candidates);
  g_test_add_func ("/engine/match/wait-credit", test_wait_credit_wins_scarce_driver);
  g_test_add_func ("/engine/match/capacity-slots", test_capacity_slots);
  g_test_add_func ("/engine/match/solve-is-optimal", test_solve_is_optimal);
  g_test_add_func ("/engine/book/merge-round", test_book_merge_round);
  g_test_add_func ("/engine/book/seq-order", test_book_seq_order);
  g_test_add_func ("/engine/book/offers", test_book_offers);
  g_test_add_func ("/engine/book/expired-offer", test_book_expired_offer);
  g_test_add_func ("/engine/book/zone-unsettled", test_book_zone_unsettled);
  g_test_add_func ("/engine/book/rejects-other-rows", test_book_rejects_other_rows);
  g_test_add_func ("/engine/pickup-time/rules", test_pickup_time_rules);
  g_test_add_func ("/engine/pickup-time/scheduled-order", test_book_scheduled);
  g_test_add_func ("/engine/pickup-time/ready-time-planning", test_ready_time_planning);

  return g_test_run ();
}
