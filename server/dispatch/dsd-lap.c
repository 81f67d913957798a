/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-lap"

#include "config.h"

#include <math.h>

#include "dsd-lap.h"
#include "dsd-lap-scan.h"

/* Column of an unassigned row, row of an unassigned column. */
#define NONE (-1)

/* Augmenting row reduction only speeds up the final phase; on nearly tied
 * costs it can bounce a row between columns for a long time, so its
 * continuation steps are capped at this many per row. */
#define ARR_STEPS_PER_ROW 8

/* Range of the finite costs (and explicit penalties) of a problem. */
typedef struct {
  double lo;
  double hi;
  gsize  n_finite;
  gsize  n_infinite;
  gsize  n_invalid;
} CostRange;

/*
 * Dense problem, n_rows <= n_cols, solved with Jonker–Volgenant. Row duals are
 * implicit: u[i] = cost(i, row_sol[i]) - v[row_sol[i]], the least reduced cost
 * of row i.
 */
typedef struct {
  const double *cost;
  guint         n_rows;
  guint         n_cols;
  double        forbidden;  /* stands in for +INFINITY entries */
  DsdLapScanRowFunc scan_row;
  DsdLapScan    scan;       /* v, is_free, d and pred for scan_row */
  int          *row_sol;
  int          *col_sol;
  double       *v;
  double       *d;
  gint64       *pred;
  gint64       *is_free;    /* during the search: -1 for a free column, else 0 */
  guint        *ready;      /* columns scanned by the current search */
  double       *ready_v;    /* their v + distance: the new v once the sink's
                             * distance is subtracted */
  guint        *free_rows;
  guint         n_free;
} Dense;

typedef struct {
  double cost;
  guint  col;
} Arc;

typedef struct {
  guint  row;
  guint  col;
  double cost;
} Edge;

typedef struct {
  double dist;
  guint  col;
} HeapItem;

/* The best free target found by a sparse search: a free column, or the
 * private dummy column (col == NONE) that leaves @row unassigned. */
typedef struct {
  double dist;
  int    row;
  int    col;
} Sink;

/*
 * Sparse problem in compressed rows, solved by successive shortest paths with
 * explicit duals (reduced cost c - u[i] - v[j]). Every row owns a dummy column
 * of cost penalty[i]; a row that takes it is unassigned and, as nothing else
 * reaches its dummy, never looked at again.
 */
typedef struct {
  guint     n_rows;
  guint     n_cols;
  guint    *arc_start;   /* n_rows + 1 */
  Arc      *arcs;
  double   *penalty;
  int      *row_sol;
  int      *col_sol;
  double   *u;
  double   *v;
  double   *d;
  gint64   *pred;
  guint    *touched;     /* columns whose d was set */
  guint     n_touched;
  guint    *ready;       /* columns scanned, in order */
  double   *ready_dist;  /* and their distances */
  guint     n_ready;
  HeapItem *heap;
  guint     heap_len;
} Sparse;

struct _DsdLapSparse {
  guint   n_rows;
  guint   n_cols;
  GArray *edges;            /* of Edge */
  double *unassigned_cost;  /* n_rows, NAN where not set */
};

static void
dense_clear (Dense *lap)
{
  g_clear_pointer (&lap->row_sol, g_free);
  g_clear_pointer (&lap->col_sol, g_free);
  g_clear_pointer (&lap->v, g_free);
  g_clear_pointer (&lap->d, g_free);
  g_clear_pointer (&lap->pred, g_free);
  g_clear_pointer (&lap->is_free, g_free);
  g_clear_pointer (&lap->ready, g_free);
  g_clear_pointer (&lap->ready_v, g_free);
  g_clear_pointer (&lap->free_rows, g_free);
}

static void
sparse_clear (Sparse *lap)
{
  g_clear_pointer (&lap->arc_start, g_free);
  g_clear_pointer (&lap->arcs, g_free);
  g_clear_pointer (&lap->penalty, g_free);
  g_clear_pointer (&lap->row_sol, g_free);
  g_clear_pointer (&lap->col_sol, g_free);
  g_clear_pointer (&lap->u, g_free);
  g_clear_pointer (&lap->v, g_free);
  g_clear_pointer (&lap->d, g_free);
  g_clear_pointer (&lap->pred, g_free);
  g_clear_pointer (&lap->ready_dist, g_free);
  g_clear_pointer (&lap->touched, g_free);
  g_clear_pointer (&lap->ready, g_free);
  g_clear_pointer (&lap->heap, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Dense, dense_clear)
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Sparse, sparse_clear)

static void
cost_range_add (CostRange *range,
                double     cost)
{
  if (G_LIKELY (isfinite (cost)))
    {
      range->lo = MIN (range->lo, cost);
      range->hi = MAX (range->hi, cost);
      range->n_finite++;
    }
  else if (cost == INFINITY)
    range->n_infinite++;
  else
    range->n_invalid++;
}

static CostRange
cost_range_init (void)
{
  return (CostRange) { .lo = INFINITY, .hi = -INFINITY };
}

/*
 * The cost of an unassigned row (or a forbidden pair) when the number of
 * assigned rows comes first. Matchings of at most @max_pairs pairs: one with
 * an extra pair costs at most hi + (max_pairs - 1) * (hi - lo) more in real
 * pairs, which this penalty outweighs.
 */
static double
lexicographic_penalty (const CostRange *range,
                       guint            max_pairs)
{
  double lo = range->n_finite > 0 ? range->lo : 0.0;
  double hi = range->n_finite > 0 ? range->hi : 0.0;

  return hi + ((double) max_pairs + 1.0) * (hi - lo + 1.0);
}

/* Reassigns the rows along pred from column @col back to @root. */
static void
flip_path (int          *row_sol,
           int          *col_sol,
           const gint64 *pred,
           int           col,
           guint         root)
{
  for (;;)
    {
      int row = (int) pred[col];
      int next = row_sol[row];

      row_sol[row] = col;
      col_sol[col] = row;
      if ((guint) row == root)
        break;
      col = next;
    }
}

static inline const double *
dense_row (const Dense *lap,
           guint        row)
{
  return lap->cost + (gsize) row * lap->n_cols;
}

static inline double
dense_cost (const double *row,
            guint         col,
            double        forbidden)
{
  return MIN (row[col], forbidden);
}

static double *
transpose (const double *cost,
           guint         n_rows,
           guint         n_cols)
{
  const guint block = 32;
  double *out = g_new (double, (gsize) n_rows * n_cols);

  for (guint i0 = 0; i0 < n_rows; i0 += block)
    for (guint j0 = 0; j0 < n_cols; j0 += block)
      for (guint i = i0; i < MIN (i0 + block, n_rows); i++)
        for (guint j = j0; j < MIN (j0 + block, n_cols); j++)
          out[(gsize) j * n_rows + i] = cost[(gsize) i * n_cols + j];

  return out;
}

guint
dsd_lap_scan_variants (DsdLapScanRowFunc out[DSD_LAP_SCAN_MAX_VARIANTS])
{
  guint n = 0;

#ifdef DSD_LAP_SCAN_X86
  __builtin_cpu_init ();
  if (__builtin_cpu_supports ("avx512f") && __builtin_cpu_supports ("avx512vl")
      && __builtin_cpu_supports ("avx512dq") && __builtin_cpu_supports ("avx512bw"))
    out[n++] = dsd_lap_scan_row_avx512;
  if (__builtin_cpu_supports ("avx2"))
    out[n++] = dsd_lap_scan_row_avx2;
#endif
  out[n++] = dsd_lap_scan_row_generic;

  return n;
}

/* The widest scan kernel this build has and this CPU runs. */
static DsdLapScanRowFunc
dense_pick_scan (void)
{
  DsdLapScanRowFunc variants[DSD_LAP_SCAN_MAX_VARIANTS];

  dsd_lap_scan_variants (variants);

  return variants[0];
}

static void
dense_init (Dense *lap)
{
  lap->row_sol = g_new (int, lap->n_rows);
  lap->col_sol = g_new (int, lap->n_cols);
  lap->v = g_new0 (double, lap->n_cols);
  lap->d = g_new (double, lap->n_cols);
  lap->pred = g_new (gint64, lap->n_cols);
  lap->is_free = g_new (gint64, lap->n_cols);
  lap->ready = g_new (guint, lap->n_cols);
  lap->ready_v = g_new (double, lap->n_cols);
  lap->free_rows = g_new (guint, lap->n_rows);

  lap->scan_row = dense_pick_scan ();
  lap->scan = (DsdLapScan) {
    .v = lap->v, .is_free = lap->is_free, .d = lap->d, .pred = lap->pred,
    .n_cols = lap->n_cols, .forbidden = lap->forbidden,
  };

  for (guint i = 0; i < lap->n_rows; i++)
    lap->row_sol[i] = NONE;
  for (guint j = 0; j < lap->n_cols; j++)
    {
      lap->col_sol[j] = NONE;
      lap->d[j] = INFINITY;
    }
}

/*
 * Square problems only (a column reduction assumes every column ends up
 * assigned): v[j] = column minimum, each column tentatively goes to its
 * minimum row, and a row that won exactly one column hands the gap to its
 * second best over to that column's dual.
 */
static void
dense_column_reduction (Dense *lap)
{
  guint n = lap->n_cols;
  g_autofree guint *argmin = g_new0 (guint, n);
  g_autofree guint *matches = g_new0 (guint, n);
  double *v = lap->v;

  for (guint j = 0; j < n; j++)
    v[j] = dense_cost (dense_row (lap, 0), j, lap->forbidden);
  for (guint i = 1; i < n; i++)
    {
      const double *row = dense_row (lap, i);

      for (guint j = 0; j < n; j++)
        {
          double c = dense_cost (row, j, lap->forbidden);

          if (c < v[j])
            {
              v[j] = c;
              argmin[j] = i;
            }
        }
    }

  for (guint j = n; j-- > 0;)
    {
      guint i = argmin[j];

      if (matches[i]++ == 0)
        {
          lap->row_sol[i] = j;
          lap->col_sol[j] = i;
        }
    }

  lap->n_free = 0;
  for (guint i = 0; i < n; i++)
    {
      const double *row = dense_row (lap, i);
      guint j1 = lap->row_sol[i];
      double second = INFINITY;

      if (matches[i] == 0)
        {
          lap->free_rows[lap->n_free++] = i;
          continue;
        }
      if (matches[i] > 1)
        continue;

      for (guint j = 0; j < n; j++)
        if (j != j1)
          second = MIN (second, dense_cost (row, j, lap->forbidden) - v[j]);
      if (second < INFINITY)
        v[j1] -= second;
    }
}

/*
 * Each free row takes its cheapest column (reduced by v), lowering that
 * column's dual so that its second cheapest becomes as good; the row it
 * displaces continues at once when the dual moved, else waits for the next
 * round or the augmentation phase.
 */
static void
dense_augmenting_row_reduction (Dense *lap)
{
  guint budget = ARR_STEPS_PER_ROW * lap->n_rows;
  double *v = lap->v;

  if (lap->n_cols < 2)
    return;

  for (guint round = 0; round < 2; round++)
    {
      guint k = 0;
      guint n_todo = lap->n_free;

      lap->n_free = 0;
      while (k < n_todo)
        {
          guint i = lap->free_rows[k++];
          const double *row = dense_row (lap, i);
          double umin = dense_cost (row, 0, lap->forbidden) - v[0];
          double usub = INFINITY;
          guint j1 = 0;
          guint j2 = 0;
          int i0;

          for (guint j = 1; j < lap->n_cols; j++)
            {
              double h = dense_cost (row, j, lap->forbidden) - v[j];

              if (h < usub)
                {
                  if (h >= umin)
                    {
                      usub = h;
                      j2 = j;
                    }
                  else
                    {
                      usub = umin;
                      j2 = j1;
                      umin = h;
                      j1 = j;
                    }
                }
            }

          i0 = lap->col_sol[j1];
          if (umin < usub)
            v[j1] -= usub - umin;
          else if (i0 != NONE)
            {
              j1 = j2;
              i0 = lap->col_sol[j2];
            }

          lap->row_sol[i] = j1;
          lap->col_sol[j1] = i;
          if (i0 == NONE)
            continue;

          lap->row_sol[i0] = NONE;
          if (umin < usub && budget > 0)
            {
              budget--;
              lap->free_rows[--k] = i0;
            }
          else
            lap->free_rows[lap->n_free++] = i0;
        }
    }
}

static inline guint
dense_scan_row (Dense  *lap,
                guint   i,
                double  h,
                double *out_dist)
{
  return lap->scan_row (&lap->scan, dense_row (lap, i), i, h, out_dist);
}

/*
 * Shortest augmenting path from the free row @root: Dijkstra over columns,
 * continuing each time from the row matched to the nearest unscanned column
 * until that column is free. While the search runs a scanned column has
 * v = -INFINITY and d = INFINITY, so it is neither relaxed nor picked again;
 * its v gets its new value at the end.
 */
static void
dense_augment (Dense *lap,
               guint  root)
{
  double *v = lap->v;
  guint n_ready = 0;
  double dist;
  guint j;

  j = dense_scan_row (lap, root, 0.0, &dist);
  while (lap->col_sol[j] != NONE)
    {
      guint i = lap->col_sol[j];
      double h = dist - (dense_cost (dense_row (lap, i), j, lap->forbidden) - v[j]);

      lap->ready[n_ready] = j;
      lap->ready_v[n_ready++] = v[j] + dist;
      v[j] = -INFINITY;
      lap->d[j] = INFINITY;
      j = dense_scan_row (lap, i, h, &dist);
    }

  for (guint k = 0; k < n_ready; k++)
    v[lap->ready[k]] = lap->ready_v[k] - dist;
  for (guint c = 0; c < lap->n_cols; c++)
    lap->d[c] = INFINITY;

  flip_path (lap->row_sol, lap->col_sol, lap->pred, j, root);
  lap->is_free[j] = 0;
}

static CostRange
dense_cost_range (const double *cost,
                  gsize         n)
{
  CostRange range = cost_range_init ();

  for (gsize k = 0; k < n; k++)
    cost_range_add (&range, cost[k]);

  return range;
}

static void
heap_push (Sparse *lap,
           double  dist,
           guint   col)
{
  HeapItem *heap = lap->heap;
  guint k = lap->heap_len++;

  while (k > 0)
    {
      guint parent = (k - 1) / 2;

      if (heap[parent].dist <= dist)
        break;
      heap[k] = heap[parent];
      k = parent;
    }
  heap[k] = (HeapItem) { dist, col };
}

static HeapItem
heap_pop (Sparse *lap)
{
  HeapItem *heap = lap->heap;
  HeapItem top = heap[0];
  HeapItem last = heap[--lap->heap_len];
  guint n = lap->heap_len;
  guint k = 0;

  for (;;)
    {
      guint child = 2 * k + 1;

      if (child >= n)
        break;
      if (child + 1 < n && heap[child + 1].dist < heap[child].dist)
        child++;
      if (last.dist <= heap[child].dist)
        break;
      heap[k] = heap[child];
      k = child;
    }
  if (n > 0)
    heap[k] = last;

  return top;
}

/* Relaxes the arcs of row @row, reached at distance @mu. */
static void
sparse_scan_row (Sparse *lap,
                 guint   row,
                 double  mu,
                 Sink   *sink)
{
  double h = mu - lap->u[row];
  double t = h + lap->penalty[row];

  if (t < sink->dist)
    *sink = (Sink) { t, row, NONE };

  for (guint a = lap->arc_start[row]; a < lap->arc_start[row + 1]; a++)
    {
      guint j = lap->arcs[a].col;

      t = h + lap->arcs[a].cost - lap->v[j];
      if (lap->col_sol[j] == NONE)
        {
          if (t < sink->dist)
            *sink = (Sink) { t, row, j };
        }
      /* A column no nearer than the best sink is never scanned. */
      else if (t < lap->d[j] && t < sink->dist)
        {
          if (lap->d[j] == INFINITY)
            lap->touched[lap->n_touched++] = j;
          lap->d[j] = t;
          lap->pred[j] = row;
          heap_push (lap, t, j);
        }
    }
}

static void
sparse_augment (Sparse *lap,
                guint   root)
{
  Sink sink = { INFINITY, NONE, NONE };
  int col;

  sparse_scan_row (lap, root, 0.0, &sink);
  while (lap->heap_len > 0)
    {
      HeapItem top = heap_pop (lap);

      if (top.dist > lap->d[top.col])
        continue;
      if (top.dist >= sink.dist)
        break;
      lap->d[top.col] = -INFINITY;
      lap->ready[lap->n_ready] = top.col;
      lap->ready_dist[lap->n_ready++] = top.dist;
      sparse_scan_row (lap, lap->col_sol[top.col], top.dist, &sink);
    }

  lap->u[root] += sink.dist;
  for (guint k = 0; k < lap->n_ready; k++)
    {
      guint j = lap->ready[k];
      double delta = sink.dist - lap->ready_dist[k];

      lap->u[lap->col_sol[j]] += delta;
      lap->v[j] -= delta;
    }

  if (sink.col != NONE)
    {
      lap->pred[sink.col] = sink.row;
      col = sink.col;
    }
  else
    {
      col = lap->row_sol[sink.row];
      lap->row_sol[sink.row] = NONE;
    }
  if (sink.col != NONE || (guint) sink.row != root)
    flip_path (lap->row_sol, lap->col_sol, lap->pred, col, root);

  for (guint k = 0; k < lap->n_touched; k++)
    lap->d[lap->touched[k]] = INFINITY;
  lap->n_touched = 0;
  lap->n_ready = 0;
  lap->heap_len = 0;
}

/* Compressed rows from the edge list, by a counting sort. */
static void
sparse_init (Sparse             *lap,
             const DsdLapSparse *problem)
{
  const Edge *edges = (const Edge *) (gpointer) problem->edges->data;
  guint n_edges = problem->edges->len;
  g_autofree guint *fill = g_new0 (guint, problem->n_rows);
  CostRange range = cost_range_init ();
  double lexicographic;

  lap->n_rows = problem->n_rows;
  lap->n_cols = problem->n_cols;
  lap->arc_start = g_new0 (guint, lap->n_rows + 1);
  lap->arcs = g_new (Arc, MAX (n_edges, 1));

  for (guint e = 0; e < n_edges; e++)
    {
      lap->arc_start[edges[e].row + 1]++;
      cost_range_add (&range, edges[e].cost);
    }
  for (guint i = 0; i < lap->n_rows; i++)
    {
      lap->arc_start[i + 1] += lap->arc_start[i];
      if (!isnan (problem->unassigned_cost[i]))
        cost_range_add (&range, problem->unassigned_cost[i]);
    }
  for (guint e = 0; e < n_edges; e++)
    {
      guint row = edges[e].row;

      lap->arcs[lap->arc_start[row] + fill[row]++] = (Arc) { edges[e].cost, edges[e].col };
    }

  lexicographic = lexicographic_penalty (&range, MIN (lap->n_rows, lap->n_cols));
  lap->penalty = g_new (double, lap->n_rows);
  for (guint i = 0; i < lap->n_rows; i++)
    {
      double cost = problem->unassigned_cost[i];

      lap->penalty[i] = isnan (cost) ? lexicographic : cost;
    }

  lap->row_sol = g_new (int, lap->n_rows);
  lap->col_sol = g_new (int, lap->n_cols);
  lap->u = g_new0 (double, lap->n_rows);
  lap->v = g_new0 (double, lap->n_cols);
  lap->d = g_new (double, lap->n_cols);
  lap->pred = g_new (gint64, lap->n_cols);
  lap->ready_dist = g_new (double, lap->n_cols);
  lap->touched = g_new (guint, lap->n_cols);
  lap->ready = g_new (guint, lap->n_cols);
  lap->heap = g_new (HeapItem, n_edges + 1);

  for (guint i = 0; i < lap->n_rows; i++)
    lap->row_sol[i] = NONE;
  for (guint j = 0; j < lap->n_cols; j++)
    {
      lap->col_sol[j] = NONE;
      lap->d[j] = INFINITY;
    }
}

/* The cheapest arc between @row and its column (edges may repeat). */
static double
sparse_matched_cost (const Sparse *lap,
                     guint         row)
{
  double cost = INFINITY;

  for (guint a = lap->arc_start[row]; a < lap->arc_start[row + 1]; a++)
    if (lap->arcs[a].col == (guint) lap->row_sol[row])
      cost = MIN (cost, lap->arcs[a].cost);

  return cost;
}

guint
dsd_lap_dense_solve (const double *cost,
                     guint         n_rows,
                     guint         n_cols,
                     int          *row_to_col,
                     double       *out_total_cost)
{
  g_auto (Dense) lap = { 0 };
  g_autofree double *transposed = NULL;
  gboolean is_transposed = n_rows > n_cols;
  CostRange range;
  double total = 0.0;
  guint n_assigned = 0;

  g_return_val_if_fail (cost != NULL || n_rows == 0 || n_cols == 0, 0);
  g_return_val_if_fail (row_to_col != NULL || n_rows == 0, 0);

  if (out_total_cost != NULL)
    *out_total_cost = 0.0;
  for (guint i = 0; i < n_rows; i++)
    row_to_col[i] = NONE;
  if (n_rows == 0 || n_cols == 0)
    return 0;

  range = dense_cost_range (cost, (gsize) n_rows * n_cols);
  g_return_val_if_fail (range.n_invalid == 0, 0);
  if (range.n_finite == 0)
    return 0;

  if (is_transposed)
    {
      transposed = transpose (cost, n_rows, n_cols);
      lap.cost = transposed;
      lap.n_rows = n_cols;
      lap.n_cols = n_rows;
    }
  else
    {
      lap.cost = cost;
      lap.n_rows = n_rows;
      lap.n_cols = n_cols;
    }
  lap.forbidden = range.n_infinite > 0 ? lexicographic_penalty (&range, lap.n_rows) : INFINITY;

  dense_init (&lap);
  if (lap.n_rows == lap.n_cols)
    dense_column_reduction (&lap);
  else
    {
      for (guint i = 0; i < lap.n_rows; i++)
        lap.free_rows[i] = i;
      lap.n_free = lap.n_rows;
    }
  dense_augmenting_row_reduction (&lap);
  for (guint j = 0; j < lap.n_cols; j++)
    lap.is_free[j] = lap.col_sol[j] == NONE ? -1 : 0;
  for (guint f = 0; f < lap.n_free; f++)
    dense_augment (&lap, lap.free_rows[f]);

  for (guint i = 0; i < lap.n_rows; i++)
    {
      guint j = lap.row_sol[i];
      double c = dense_row (&lap, i)[j];

      if (c == INFINITY)
        continue;
      if (is_transposed)
        row_to_col[j] = i;
      else
        row_to_col[i] = j;
      total += c;
      n_assigned++;
    }

  if (out_total_cost != NULL)
    *out_total_cost = total;

  return n_assigned;
}

DsdLapSparse *
dsd_lap_sparse_new (guint n_rows,
                    guint n_cols)
{
  DsdLapSparse *self = g_new0 (DsdLapSparse, 1);

  self->n_rows = n_rows;
  self->n_cols = n_cols;
  self->edges = g_array_new (FALSE, FALSE, sizeof (Edge));
  self->unassigned_cost = g_new (double, n_rows);
  for (guint i = 0; i < n_rows; i++)
    self->unassigned_cost[i] = NAN;

  return self;
}

void
dsd_lap_sparse_free (DsdLapSparse *self)
{
  g_return_if_fail (self != NULL);

  g_array_unref (self->edges);
  g_free (self->unassigned_cost);
  g_free (self);
}

void
dsd_lap_sparse_add_edge (DsdLapSparse *self,
                         guint         row,
                         guint         col,
                         double        cost)
{
  Edge edge = { row, col, cost };

  g_return_if_fail (self != NULL);
  g_return_if_fail (row < self->n_rows);
  g_return_if_fail (col < self->n_cols);
  g_return_if_fail (!isnan (cost) && cost != -INFINITY);

  if (cost < INFINITY)
    g_array_append_val (self->edges, edge);
}

void
dsd_lap_sparse_set_unassigned_cost (DsdLapSparse *self,
                                    guint         row,
                                    double        cost)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (row < self->n_rows);
  g_return_if_fail (isfinite (cost));

  self->unassigned_cost[row] = cost;
}

guint
dsd_lap_sparse_solve (DsdLapSparse *self,
                      int          *row_to_col,
                      double       *out_total_cost)
{
  g_auto (Sparse) lap = { 0 };
  double total = 0.0;
  guint n_assigned = 0;

  g_return_val_if_fail (self != NULL, 0);
  g_return_val_if_fail (row_to_col != NULL || self->n_rows == 0, 0);

  sparse_init (&lap, self);
  for (guint i = 0; i < lap.n_rows; i++)
    sparse_augment (&lap, i);

  for (guint i = 0; i < lap.n_rows; i++)
    {
      row_to_col[i] = lap.row_sol[i];
      if (lap.row_sol[i] == NONE)
        continue;
      total += sparse_matched_cost (&lap, i);
      n_assigned++;
    }

  if (out_total_cost != NULL)
    *out_total_cost = total;

  return n_assigned;
}

guint *
dsd_lap_slots_new (const guint *capacity,
                   guint        n_items,
                   guint       *out_n_slots)
{
  guint *slot_to_item;
  guint n_slots = 0;
  guint s = 0;

  g_return_val_if_fail (capacity != NULL || n_items == 0, NULL);
  g_return_val_if_fail (out_n_slots != NULL, NULL);

  for (guint d = 0; d < n_items; d++)
    n_slots += capacity[d];
  *out_n_slots = n_slots;
  if (n_slots == 0)
    return NULL;

  slot_to_item = g_new (guint, n_slots);
  for (guint d = 0; d < n_items; d++)
    for (guint c = 0; c < capacity[d]; c++)
      slot_to_item[s++] = d;

  return slot_to_item;
}
