/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * The dispatch engine's cost model and decisions, free of I/O, of the live
 * fleet and of the clock, so that the server's engine (dsd-dispatch-engine.c)
 * and the offline city simulation (bench/bench-dispatch-city.c) run the very
 * same code.
 *
 * A DsdMatch is one planning problem: the orders waiting for a driver, the
 * drivers that could take one, and candidate edges between them: each
 * order's k nearest drivers and each driver's k nearest orders within the
 * farthest pickup distance (radius growing from 1 km until k are found), as
 * far as the caller's allow function permits (exclusions). Each edge carries
 * the estimated pickup time (the caller's ETA function) and a cost:
 *
 *   cost(order, driver, slot) = eta + held_penalty_s × (held + slot) − credit(order)
 *   credit(order)             = wait_weight × waited_s + priority_s × priority
 *
 * (or, with a cost function, cost(order, driver) + held_penalty_s × slot −
 * credit(order): the server's engine costs an edge by what the driver's
 * route grows by, docs/trips.md)
 *
 * "held" counts the orders the driver already has (active and offered): a
 * busy driver reaches a new pickup later than the straight ETA says. The
 * credit is the same for every driver of one order, so it never changes
 * which driver an order prefers; it decides which orders win when drivers
 * are scarce, so that old and urgent orders are not starved by new ones
 * that happen to be closer.
 *
 * Decisions:
 * - immediate (dsd_match_pick_for_order): the order's cheapest driver, when
 *   it is clearly best: it is the only candidate or beats the second by at
 *   least clear_margin_s, and no other order has that driver as a candidate
 *   at less than the order's own cost + clear_margin_s. Otherwise the order
 *   waits for the next batch round.
 * - batch (dsd_match_solve): every order × driver slot at once, minimum total
 *   cost with as many orders placed as the edges allow, solved exactly by
 *   the sparse assignment solver (dsd-lap.h) on the slot-expanded graph.
 */

typedef struct {
  guint  k;               /* candidates per order and per driver */
  double max_pickup_m;    /* farthest driver considered for a pickup */
  double clear_margin_s;  /* how much better "clearly best" is */
  double wait_weight;     /* credit per second an order has waited */
  double priority_s;      /* credit per priority level (0..9) */
  double held_penalty_s;  /* per order a driver holds or takes in the same round */
  guint  max_slots;       /* orders one driver may get in one batch round */
} DsdMatchParams;

/* k 32, max_pickup_m 20 km, clear_margin_s 90, wait_weight 0.5, priority_s 60,
 * held_penalty_s 180, max_slots 4. */
void dsd_match_params_init (DsdMatchParams *params);

/* Estimated seconds for the driver (the data given to add_driver) to reach
 * (to_lat, to_lon). */
typedef double   (*DsdMatchEtaFunc)   (gpointer driver_data,
                                       double   to_lat,
                                       double   to_lon,
                                       gpointer user_data);
/* The time part of the edge's cost, in place of eta_s + held_penalty_s ×
 * held (for example what the driver's route grows by when it takes the
 * order); INFINITY forbids the pair. */
typedef double   (*DsdMatchCostFunc)  (gpointer order_data,
                                       gpointer driver_data,
                                       double   eta_s,
                                       gpointer user_data);
/* FALSE forbids the pair (the order excludes the driver). */
typedef gboolean (*DsdMatchAllowFunc) (gpointer order_data,
                                       gpointer driver_data,
                                       gpointer user_data);

typedef struct {
  guint  driver;
  double eta_s;
  double cost_s;          /* of the driver's first free slot */
} DsdMatchCandidate;

typedef struct _DsdMatch DsdMatch;

/* allow: (nullable). */
DsdMatch                *dsd_match_new            (const DsdMatchParams *params,
                                                   DsdMatchEtaFunc       eta,
                                                   DsdMatchAllowFunc     allow,
                                                   gpointer              user_data);
void                     dsd_match_free           (DsdMatch             *self);
/* Before connecting: edges are costed by cost (with the user_data of new). */
void                     dsd_match_set_cost_func  (DsdMatch             *self,
                                                   DsdMatchCostFunc      cost);

/* Returns the order's index (0, 1, … in the order of calls). */
guint                    dsd_match_add_order      (DsdMatch             *self,
                                                   double                lat,
                                                   double                lon,
                                                   double                waited_s,
                                                   guint                 priority,
                                                   gpointer              data);
/* free_slots ≥ 1: how many more orders the driver may take; held: how many it
 * has. Returns the driver's index. */
guint                    dsd_match_add_driver     (DsdMatch             *self,
                                                   double                lat,
                                                   double                lon,
                                                   guint                 free_slots,
                                                   guint                 held,
                                                   gpointer              data);
guint                    dsd_match_get_n_orders   (DsdMatch             *self);
guint                    dsd_match_get_n_drivers  (DsdMatch             *self);
gpointer                 dsd_match_get_order_data (DsdMatch             *self,
                                                   guint                 order);
gpointer                 dsd_match_get_driver_data (DsdMatch            *self,
                                                   guint                 driver);

/* Builds the candidate edges; call once, after adding everything. */
void                     dsd_match_connect        (DsdMatch             *self);

/* The order's candidates, cheapest first; n_out receives how many. */
const DsdMatchCandidate *dsd_match_get_candidates (DsdMatch             *self,
                                                   guint                 order,
                                                   guint                *n_out);
/* The driver to give the order at once, or -1 when the choice is not clear. */
int                      dsd_match_pick_for_order (DsdMatch             *self,
                                                   guint                 order);
/* The order that is the driver's cheapest candidate, or -1 when it has none. */
int                      dsd_match_best_order     (DsdMatch             *self,
                                                   guint                 driver);
/* The batch decision. order_to_driver: n_orders entries, the driver of each
 * order or -1; order_cost: (nullable) n_orders entries, the cost of each
 * placed order's slot. Returns how many orders were placed. */
guint                    dsd_match_solve          (DsdMatch             *self,
                                                   int                  *order_to_driver,
                                                   double               *order_cost);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DsdMatch, dsd_match_free)

G_END_DECLS
