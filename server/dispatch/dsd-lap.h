/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * Exact linear assignment (minimum-cost bipartite matching) of rows (orders)
 * to columns (drivers or driver slots), in plain C.
 *
 * Both solvers use the same objective: first assign as many rows as the
 * allowed pairs permit, then minimise the total cost of the assigned pairs.
 * When every pair is allowed this is the classic rectangular assignment
 * problem (SciPy's linear_sum_assignment): min(n_rows, n_cols) pairs of least
 * total cost. Internally a row left unassigned is charged a penalty larger
 * than any cost difference a matching can make (see
 * dsd_lap_sparse_set_unassigned_cost() to charge a finite one instead).
 *
 * Costs are any finite doubles, negative ones included, so a batch matcher
 * may fold other terms into them, e.g. pickup ETA minus a credit for the time
 * an order has already waited: a per-row term changes which orders win when
 * drivers are scarce, a per-column term which drivers are preferred.
 * +INFINITY marks a forbidden pair; NaN and -INFINITY are programming errors.
 *
 * Drivers that take several orders are expanded into one column per slot by
 * the caller (dsd_lap_slots_new()); the solvers only see plain assignment.
 *
 * Solvers allocate their work space per call and keep no global state; they
 * may run concurrently on different inputs.
 */

/**
 * dsd_lap_dense_solve:
 * @cost: (array): @n_rows × @n_cols costs, row-major; +INFINITY forbids a pair
 * @n_rows: number of rows
 * @n_cols: number of columns
 * @row_to_col: (out caller-allocates) (array): @n_rows entries, receives the
 *   column of each row or -1 when the row is unassigned
 * @out_total_cost: (out) (optional): sum of the costs of the assigned pairs
 *
 * Jonker–Volgenant: column reduction and reduction transfer (square
 * problems), two rounds of augmenting row reduction, then shortest augmenting
 * paths with a Dijkstra-like scan of the dense rows. Problems with more rows
 * than columns are solved on a transposed copy.
 *
 * Returns: the number of assigned rows
 */
guint  dsd_lap_dense_solve  (const double *cost,
                             guint         n_rows,
                             guint         n_cols,
                             int          *row_to_col,
                             double       *out_total_cost);

/*
 * A sparse problem: each row lists its candidate columns with their costs
 * (typically the k nearest drivers of an order); a pair without an edge is
 * forbidden. Solved by successive shortest augmenting paths (Dijkstra on a
 * binary heap with node potentials). Rows whose candidates are all taken, or
 * that have none, stay unassigned.
 *
 * Candidates decide how close to the dense optimum it gets: on uniform
 * demand (bench/bench-solver.sh) each order's k nearest drivers plus each
 * driver's k nearest orders stays within 1% at k = 32, while k = 16 leaves
 * a few orders of 4000 unassigned.
 */
typedef struct _DsdLapSparse DsdLapSparse;

DsdLapSparse *dsd_lap_sparse_new                 (guint         n_rows,
                                                  guint         n_cols);
void          dsd_lap_sparse_free                (DsdLapSparse *self);

/**
 * dsd_lap_sparse_add_edge:
 * @self: a #DsdLapSparse
 * @row: row index, < n_rows
 * @col: column index, < n_cols
 * @cost: finite cost of assigning @row to @col; +INFINITY adds no edge
 *
 * Edges may be added in any order; of repeated (@row, @col) edges the
 * cheapest counts.
 */
void          dsd_lap_sparse_add_edge            (DsdLapSparse *self,
                                                  guint         row,
                                                  guint         col,
                                                  double        cost);

/**
 * dsd_lap_sparse_set_unassigned_cost:
 * @self: a #DsdLapSparse
 * @row: row index, < n_rows
 * @cost: finite cost of leaving @row unassigned
 *
 * Makes @row's assignment a trade-off instead of a priority: the solver
 * leaves @row unassigned whenever every way of assigning it costs more than
 * @cost (a batch matcher's "wait for a better driver next round"). Rows
 * without such a cost are assigned whenever possible.
 */
void          dsd_lap_sparse_set_unassigned_cost (DsdLapSparse *self,
                                                  guint         row,
                                                  double        cost);

/**
 * dsd_lap_sparse_solve:
 * @self: a #DsdLapSparse
 * @row_to_col: (out caller-allocates) (array): n_rows entries, receives the
 *   column of each row or -1 when the row is unassigned
 * @out_total_cost: (out) (optional): sum of the edge costs of the assigned
 *   pairs (unassigned costs are not included)
 *
 * Does not modify @self; it may be solved again after adding edges.
 *
 * Returns: the number of assigned rows
 */
guint         dsd_lap_sparse_solve               (DsdLapSparse *self,
                                                  int          *row_to_col,
                                                  double       *out_total_cost);

/**
 * dsd_lap_slots_new:
 * @capacity: (array): free capacity of each of @n_items columns (drivers)
 * @n_items: number of drivers
 * @out_n_slots: (out): receives the number of slots, the sum of @capacity
 *
 * Expands drivers into slot columns for a capacity-aware matching: driver d
 * owns @capacity[d] consecutive slots (none when it is 0). Build the problem
 * with one column per slot (slots of one driver may have different costs,
 * e.g. a detour for a second order) and map a solved column s back with
 * slot_to_item[s].
 *
 * Returns: (transfer full) (array): slot → driver index, @out_n_slots
 *   entries (NULL when there are none); free with g_free()
 */
guint        *dsd_lap_slots_new                  (const guint  *capacity,
                                                  guint         n_items,
                                                  guint        *out_n_slots);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DsdLapSparse, dsd_lap_sparse_free)

G_END_DECLS
