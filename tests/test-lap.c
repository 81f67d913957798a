/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <math.h>
#include <string.h>

#include "dsd-lap.h"
#include "dsd-lap-scan.h"

/* Every test draws from a GRand seeded with this plus a per-test offset, so a
 * failure replays with the same instances. */
#define SEED 20240611u

typedef enum {
  COSTS_INTEGER,   /* 0..9: many ties */
  COSTS_REAL,      /* [0, 100) */
  COSTS_SIGNED,    /* [-50, 50) */
  N_COST_KINDS
} CostKind;

/* What an assignment achieves: pairs, their cost, and the cost plus the
 * penalties of unassigned rows (the objective when penalties are given). */
typedef struct {
  guint  count;
  double cost;
  double objective;
} Score;

typedef struct {
  const double *cost;
  const double *penalty;  /* nullable: then the count comes first */
  guint         n_rows;
  guint         n_cols;
  Score         best;
} BruteForce;

static GRand *
test_rand_new (guint offset)
{
  g_test_message ("GRand seed %u", SEED + offset);
  return g_rand_new_with_seed (SEED + offset);
}

static gboolean
costs_equal (double a,
             double b)
{
  return fabs (a - b) <= 1e-9 * MAX (1.0, MAX (fabs (a), fabs (b)));
}

static double
random_cost (GRand    *rand,
             CostKind  kind)
{
  switch (kind)
    {
    case COSTS_INTEGER:
      return g_rand_int_range (rand, 0, 10);
    case COSTS_REAL:
      return g_rand_double_range (rand, 0.0, 100.0);
    case COSTS_SIGNED:
      return g_rand_double_range (rand, -50.0, 50.0);
    case N_COST_KINDS:
    default:
      g_assert_not_reached ();
    }
}

/* n_rows × n_cols costs of a random kind, each pair forbidden (+INFINITY)
 * with probability p_forbidden. */
static double *
random_matrix (GRand  *rand,
               guint   n_rows,
               guint   n_cols,
               double  p_forbidden)
{
  CostKind kind = g_rand_int_range (rand, 0, N_COST_KINDS);
  double *cost = g_new (double, (gsize) n_rows * n_cols);

  for (gsize k = 0; k < (gsize) n_rows * n_cols; k++)
    cost[k] = g_rand_double (rand) < p_forbidden ? INFINITY : random_cost (rand, kind);

  return cost;
}

/* With penalties only the objective counts, else the count comes first. */
static gboolean
score_better (const Score *a,
              const Score *b,
              gboolean     with_penalties)
{
  if (with_penalties)
    return a->objective < b->objective - 1e-12;
  if (a->count != b->count)
    return a->count > b->count;
  return a->cost < b->cost - 1e-12;
}

static void
brute_force_rec (BruteForce *bf,
                 guint       row,
                 guint       used,
                 Score       score)
{
  Score skip = score;

  if (row == bf->n_rows)
    {
      if (score_better (&score, &bf->best, bf->penalty != NULL))
        bf->best = score;
      return;
    }

  if (bf->penalty != NULL)
    skip.objective += bf->penalty[row];
  brute_force_rec (bf, row + 1, used, skip);

  for (guint j = 0; j < bf->n_cols; j++)
    {
      double c = bf->cost[row * bf->n_cols + j];
      Score take = { score.count + 1, score.cost + c, score.objective + c };

      if (!(used & (1u << j)) && c < INFINITY)
        brute_force_rec (bf, row + 1, used | (1u << j), take);
    }
}

/* Optimal score over all partial assignments; small instances only. */
static Score
brute_force (const double *cost,
             const double *penalty,
             guint         n_rows,
             guint         n_cols)
{
  BruteForce bf = { cost, penalty, n_rows, n_cols, { 0, INFINITY, INFINITY } };

  brute_force_rec (&bf, 0, 0, (Score) { 0, 0.0, 0.0 });

  return bf.best;
}

/* Checks that @row_to_col is a valid assignment over allowed pairs and that
 * its count and cost are what the solver reported. */
static Score
check_assignment (const double *cost,
                  const double *penalty,
                  guint         n_rows,
                  guint         n_cols,
                  const int    *row_to_col,
                  guint         count,
                  double        total)
{
  g_autofree gboolean *taken = g_new0 (gboolean, n_cols);
  Score score = { 0, 0.0, 0.0 };

  for (guint i = 0; i < n_rows; i++)
    {
      int j = row_to_col[i];
      double c;

      if (j < 0)
        {
          g_assert_cmpint (j, ==, -1);
          score.objective += penalty != NULL ? penalty[i] : 0.0;
          continue;
        }
      g_assert_cmpint (j, <, n_cols);
      g_assert_false (taken[j]);
      taken[j] = TRUE;
      c = cost[(gsize) i * n_cols + j];
      g_assert_cmpfloat (c, <, INFINITY);
      score.count++;
      score.cost += c;
      score.objective += c;
    }

  g_assert_cmpuint (score.count, ==, count);
  g_assert_true (costs_equal (score.cost, total));

  return score;
}

static void
assert_scores_equal (const Score *got,
                     const Score *want)
{
  g_assert_cmpuint (got->count, ==, want->count);
  if (!costs_equal (got->cost, want->cost))
    g_error ("cost %.17g, optimum %.17g", got->cost, want->cost);
  g_assert_true (costs_equal (got->objective, want->objective));
}

static Score
solve_dense (const double *cost,
             guint         n_rows,
             guint         n_cols)
{
  g_autofree int *row_to_col = g_new (int, MAX (n_rows, 1));
  double total;
  guint count;

  count = dsd_lap_dense_solve (cost, n_rows, n_cols, row_to_col, &total);

  return check_assignment (cost, NULL, n_rows, n_cols, row_to_col, count, total);
}

/* Solves the finite entries of @cost as a sparse problem (in shuffled order). */
static Score
solve_sparse (GRand        *rand,
              const double *cost,
              const double *penalty,
              guint         n_rows,
              guint         n_cols)
{
  g_autoptr (DsdLapSparse) sparse = dsd_lap_sparse_new (n_rows, n_cols);
  g_autofree int *row_to_col = g_new (int, MAX (n_rows, 1));
  g_autofree guint *order = g_new (guint, MAX ((gsize) n_rows * n_cols, 1));
  gsize n = (gsize) n_rows * n_cols;
  double total;
  guint count;

  for (gsize k = 0; k < n; k++)
    order[k] = k;
  for (gsize k = n; k > 1; k--)
    {
      gsize r = g_rand_int_range (rand, 0, k);
      guint tmp = order[k - 1];

      order[k - 1] = order[r];
      order[r] = tmp;
    }
  for (gsize k = 0; k < n; k++)
    dsd_lap_sparse_add_edge (sparse, order[k] / n_cols, order[k] % n_cols, cost[order[k]]);
  for (guint i = 0; penalty != NULL && i < n_rows; i++)
    dsd_lap_sparse_set_unassigned_cost (sparse, i, penalty[i]);

  count = dsd_lap_sparse_solve (sparse, row_to_col, &total);

  return check_assignment (cost, penalty, n_rows, n_cols, row_to_col, count, total);
}

static void
test_dense_brute_force (void)
{
  g_autoptr (GRand) rand = test_rand_new (1);
  const double p_forbidden[] = { 0.0, 0.0, 0.2, 0.5 };

  for (guint t = 0; t < 600; t++)
    {
      guint n_rows = g_rand_int_range (rand, 1, 8);
      guint n_cols = g_rand_int_range (rand, 1, 8);
      g_autofree double *cost = random_matrix (rand, n_rows, n_cols, p_forbidden[t % 4]);
      Score want = brute_force (cost, NULL, n_rows, n_cols);
      Score got = solve_dense (cost, n_rows, n_cols);

      assert_scores_equal (&got, &want);
    }
}

static void
test_sparse_brute_force (void)
{
  g_autoptr (GRand) rand = test_rand_new (2);
  const double p_forbidden[] = { 0.0, 0.3, 0.6 };

  for (guint t = 0; t < 600; t++)
    {
      guint n_rows = g_rand_int_range (rand, 1, 8);
      guint n_cols = g_rand_int_range (rand, 1, 8);
      g_autofree double *cost = random_matrix (rand, n_rows, n_cols, p_forbidden[t % 3]);
      Score want = brute_force (cost, NULL, n_rows, n_cols);
      Score got = solve_sparse (rand, cost, NULL, n_rows, n_cols);

      assert_scores_equal (&got, &want);
    }
}

static void
test_sparse_unassigned_cost (void)
{
  g_autoptr (GRand) rand = test_rand_new (3);

  for (guint t = 0; t < 400; t++)
    {
      guint n_rows = g_rand_int_range (rand, 1, 8);
      guint n_cols = g_rand_int_range (rand, 1, 8);
      g_autofree double *cost = random_matrix (rand, n_rows, n_cols, 0.3);
      g_autofree double *penalty = g_new (double, n_rows);
      Score want;
      Score got;

      for (guint i = 0; i < n_rows; i++)
        penalty[i] = g_rand_double_range (rand, -10.0, 60.0);
      want = brute_force (cost, penalty, n_rows, n_cols);
      got = solve_sparse (rand, cost, penalty, n_rows, n_cols);
      g_assert_true (costs_equal (got.objective, want.objective));
    }
}

/* Two independent algorithms must agree beyond brute-force sizes. */
static void
test_sparse_dense_agreement (void)
{
  g_autoptr (GRand) rand = test_rand_new (4);
  const double p_forbidden[] = { 0.0, 0.05, 0.7, 0.97 };

  for (guint t = 0; t < 40; t++)
    {
      guint n_rows = g_rand_int_range (rand, 1, 160);
      guint n_cols = t % 3 == 0 ? n_rows : (guint) g_rand_int_range (rand, 1, 160);
      g_autofree double *cost = random_matrix (rand, n_rows, n_cols, p_forbidden[t % 4]);
      Score dense = solve_dense (cost, n_rows, n_cols);
      Score sparse = solve_sparse (rand, cost, NULL, n_rows, n_cols);

      g_test_message ("%u × %u, %u assigned", n_rows, n_cols, dense.count);
      assert_scores_equal (&sparse, &dense);
    }
}

/* Few distinct costs: long runs of ties in every phase of both solvers. */
static void
test_ties (void)
{
  g_autoptr (GRand) rand = test_rand_new (5);

  for (guint t = 0; t < 6; t++)
    {
      guint n = 150 + 50 * t;
      g_autofree double *cost = g_new (double, n * n);
      Score dense;
      Score sparse;

      for (guint k = 0; k < n * n; k++)
        cost[k] = g_rand_int_range (rand, 0, t % 2 == 0 ? 2 : 4);
      dense = solve_dense (cost, n, n);
      sparse = solve_sparse (rand, cost, NULL, n, n);
      assert_scores_equal (&sparse, &dense);
    }
}

static void
test_infeasible_rows (void)
{
  const double I = INFINITY;
  /* Row 1 has no allowed pair; rows 0, 2 and 3 all want column 0 only. */
  const double cost[] = {
    5, I, I,
    I, I, I,
    3, I, I,
    4, I, I,
  };
  g_autoptr (DsdLapSparse) sparse = dsd_lap_sparse_new (4, 3);
  int row_to_col[4];
  double total;

  g_assert_cmpuint (dsd_lap_dense_solve (cost, 4, 3, row_to_col, &total), ==, 1);
  g_assert_cmpint (row_to_col[0], ==, -1);
  g_assert_cmpint (row_to_col[1], ==, -1);
  g_assert_cmpint (row_to_col[2], ==, 0);
  g_assert_cmpint (row_to_col[3], ==, -1);
  g_assert_cmpfloat (total, ==, 3);

  dsd_lap_sparse_add_edge (sparse, 0, 0, 5);
  dsd_lap_sparse_add_edge (sparse, 3, 0, 4);
  dsd_lap_sparse_add_edge (sparse, 2, 0, 3);
  dsd_lap_sparse_add_edge (sparse, 2, 1, I);
  g_assert_cmpuint (dsd_lap_sparse_solve (sparse, row_to_col, &total), ==, 1);
  g_assert_cmpint (row_to_col[0], ==, -1);
  g_assert_cmpint (row_to_col[1], ==, -1);
  g_assert_cmpint (row_to_col[2], ==, 0);
  g_assert_cmpint (row_to_col[3], ==, -1);
  g_assert_cmpfloat (total, ==, 3);

  /* More assigned rows come first: 0→1 and 2→0 (cost 103) beat 2→0 alone. */
  dsd_lap_sparse_add_edge (sparse, 0, 1, 100);
  g_assert_cmpuint (dsd_lap_sparse_solve (sparse, row_to_col, &total), ==, 2);
  g_assert_cmpint (row_to_col[0], ==, 1);
  g_assert_cmpint (row_to_col[2], ==, 0);
  g_assert_cmpfloat (total, ==, 103);

  /* Of repeated edges the cheapest counts. */
  dsd_lap_sparse_add_edge (sparse, 0, 1, 90);
  dsd_lap_sparse_solve (sparse, row_to_col, &total);
  g_assert_cmpfloat (total, ==, 93);
}

static void
test_empty (void)
{
  const double I = INFINITY;
  const double all_forbidden[] = { I, I, I, I };
  int row_to_col[2] = { 7, 7 };
  double total = 1;

  g_assert_cmpuint (dsd_lap_dense_solve (NULL, 0, 0, NULL, &total), ==, 0);
  g_assert_cmpfloat (total, ==, 0);
  g_assert_cmpuint (dsd_lap_dense_solve (NULL, 0, 5, NULL, NULL), ==, 0);
  g_assert_cmpuint (dsd_lap_dense_solve (NULL, 2, 0, row_to_col, &total), ==, 0);
  g_assert_cmpint (row_to_col[0], ==, -1);
  g_assert_cmpint (row_to_col[1], ==, -1);

  row_to_col[0] = 7;
  g_assert_cmpuint (dsd_lap_dense_solve (all_forbidden, 2, 2, row_to_col, &total), ==, 0);
  g_assert_cmpint (row_to_col[0], ==, -1);
  g_assert_cmpfloat (total, ==, 0);

  for (guint n_cols = 0; n_cols < 2; n_cols++)
    {
      g_autoptr (DsdLapSparse) sparse = dsd_lap_sparse_new (2, n_cols);

      row_to_col[0] = row_to_col[1] = 7;
      g_assert_cmpuint (dsd_lap_sparse_solve (sparse, row_to_col, &total), ==, 0);
      g_assert_cmpint (row_to_col[0], ==, -1);
      g_assert_cmpint (row_to_col[1], ==, -1);
      g_assert_cmpfloat (total, ==, 0);
    }
  {
    g_autoptr (DsdLapSparse) sparse = dsd_lap_sparse_new (0, 3);

    g_assert_cmpuint (dsd_lap_sparse_solve (sparse, NULL, NULL), ==, 0);
  }
}

typedef struct {
  const double *cost;      /* orders × drivers */
  guint         n_orders;
  guint         n_drivers;
  guint        *left;      /* free capacity per driver */
  Score         best;
} CapacityBruteForce;

static void
capacity_brute_force_rec (CapacityBruteForce *bf,
                          guint               order,
                          Score               score)
{
  if (order == bf->n_orders)
    {
      if (score_better (&score, &bf->best, FALSE))
        bf->best = score;
      return;
    }

  capacity_brute_force_rec (bf, order + 1, score);
  for (guint d = 0; d < bf->n_drivers; d++)
    {
      double c = bf->cost[order * bf->n_drivers + d];
      Score take = { score.count + 1, score.cost + c, score.objective + c };

      if (bf->left[d] == 0 || c == INFINITY)
        continue;
      bf->left[d]--;
      capacity_brute_force_rec (bf, order + 1, take);
      bf->left[d]++;
    }
}

static void
test_capacity_slots (void)
{
  g_autoptr (GRand) rand = test_rand_new (6);

  for (guint t = 0; t < 300; t++)
    {
      guint n_orders = g_rand_int_range (rand, 1, 8);
      guint n_drivers = g_rand_int_range (rand, 1, 5);
      g_autofree double *cost = random_matrix (rand, n_orders, n_drivers, 0.2);
      g_autofree guint *capacity = g_new (guint, n_drivers);
      g_autofree guint *left = NULL;
      g_autofree guint *slot_to_driver = NULL;
      g_autofree double *slot_cost = NULL;
      g_autofree int *row_to_col = g_new (int, n_orders);
      g_autofree guint *load = g_new0 (guint, n_drivers);
      CapacityBruteForce bf = { cost, n_orders, n_drivers, NULL, { 0, INFINITY, INFINITY } };
      guint n_slots;
      guint count;
      double total;

      for (guint d = 0; d < n_drivers; d++)
        capacity[d] = g_rand_int_range (rand, 0, 4);
      left = g_memdup2 (capacity, n_drivers * sizeof (guint));
      bf.left = left;
      capacity_brute_force_rec (&bf, 0, (Score) { 0, 0.0, 0.0 });

      slot_to_driver = dsd_lap_slots_new (capacity, n_drivers, &n_slots);
      g_assert_true ((slot_to_driver == NULL) == (n_slots == 0));
      slot_cost = g_new (double, MAX (n_orders * n_slots, 1));
      for (guint o = 0; o < n_orders; o++)
        for (guint s = 0; s < n_slots; s++)
          slot_cost[o * n_slots + s] = cost[o * n_drivers + slot_to_driver[s]];

      count = dsd_lap_dense_solve (slot_cost, n_orders, n_slots, row_to_col, &total);
      g_assert_cmpuint (count, ==, bf.best.count);
      g_assert_true (costs_equal (total, bf.best.cost));
      for (guint o = 0; o < n_orders; o++)
        if (row_to_col[o] >= 0)
          load[slot_to_driver[row_to_col[o]]]++;
      for (guint d = 0; d < n_drivers; d++)
        g_assert_cmpuint (load[d], <=, capacity[d]);
    }
}

/* Rows in order, each takes its cheapest free allowed column. */
static Score
greedy_nearest (const double *cost,
                guint         n_rows,
                guint         n_cols)
{
  g_autofree gboolean *taken = g_new0 (gboolean, n_cols);
  Score score = { 0, 0.0, 0.0 };

  for (guint i = 0; i < n_rows; i++)
    {
      int best = -1;

      for (guint j = 0; j < n_cols; j++)
        if (!taken[j] && cost[i * n_cols + j] < INFINITY &&
            (best < 0 || cost[i * n_cols + j] < cost[i * n_cols + best]))
          best = j;
      if (best < 0)
        continue;
      taken[best] = TRUE;
      score.count++;
      score.cost += cost[i * n_cols + best];
    }

  return score;
}

static void
test_never_worse_than_greedy (void)
{
  g_autoptr (GRand) rand = test_rand_new (7);
  guint compared = 0;

  for (guint t = 0; t < 60; t++)
    {
      guint n_rows = g_rand_int_range (rand, 1, 200);
      guint n_cols = g_rand_int_range (rand, 1, 200);
      g_autofree double *cost = random_matrix (rand, n_rows, n_cols, t % 2 ? 0.0 : 0.3);
      Score greedy = greedy_nearest (cost, n_rows, n_cols);
      Score dense = solve_dense (cost, n_rows, n_cols);

      g_assert_cmpuint (dense.count, >=, greedy.count);
      if (dense.count != greedy.count)
        continue;
      compared++;
      g_assert_cmpfloat (dense.cost, <=, greedy.cost + 1e-9 * MAX (1.0, fabs (greedy.cost)));
    }
  g_assert_cmpuint (compared, >, 30);
}

/* The scan rule of dsd-lap-scan.h, one column at a time. */
static double
scan_reference (const DsdLapScan *scan,
                const double     *row,
                guint             i,
                double            h)
{
  double best = INFINITY;

  for (guint c = 0; c < scan->n_cols; c++)
    {
      double t = h + MIN (row[c], scan->forbidden) - scan->v[c];

      if (t < scan->d[c])
        {
          scan->d[c] = t;
          scan->pred[c] = i;
        }
      best = MIN (best, scan->d[c]);
    }

  return best;
}

/* Every vector width this CPU runs does what the scalar rule does, on rows
 * of every length around the vector and chain widths, with ties (small
 * integer costs), scanned columns (v = -INFINITY, d = INFINITY), free
 * columns and forbidden entries. */
static void
test_scan_variants (void)
{
  g_autoptr (GRand) rand = test_rand_new (9);
  DsdLapScanRowFunc variants[DSD_LAP_SCAN_MAX_VARIANTS];
  guint n_variants = dsd_lap_scan_variants (variants);

  g_test_message ("%u scan variants on this CPU", n_variants);
  for (guint t = 0; t < 400; t++)
    {
      guint n = t % 70;
      gboolean ties = t % 2 == 0;
      g_autofree double *row = g_new (double, MAX (n, 1));
      g_autofree double *v = g_new (double, MAX (n, 1));
      g_autofree gint64 *is_free = g_new (gint64, MAX (n, 1));
      g_autofree double *d0 = g_new (double, MAX (n, 1));
      g_autofree gint64 *pred0 = g_new (gint64, MAX (n, 1));
      g_autofree double *want_d = g_new (double, MAX (n, 1));
      g_autofree gint64 *want_pred = g_new (gint64, MAX (n, 1));
      double h = ties ? g_rand_int_range (rand, -2, 3) : g_rand_double_range (rand, -5, 5);
      guint i = g_rand_int_range (rand, 0, 1000);
      DsdLapScan want = { v, is_free, want_d, want_pred, n, 20.0 };
      double want_dist;

      for (guint c = 0; c < n; c++)
        {
          gboolean scanned = g_rand_int_range (rand, 0, 8) == 0;

          row[c] = g_rand_int_range (rand, 0, 12) == 0 ? INFINITY
                   : ties ? g_rand_int_range (rand, 0, 4) : g_rand_double_range (rand, 0, 10);
          v[c] = scanned ? -INFINITY
                 : ties ? g_rand_int_range (rand, -2, 3) : g_rand_double_range (rand, -5, 5);
          is_free[c] = !scanned && g_rand_int_range (rand, 0, 4) == 0 ? -1 : 0;
          d0[c] = scanned || g_rand_boolean (rand) ? INFINITY
                  : ties ? g_rand_int_range (rand, 0, 6) : g_rand_double_range (rand, 0, 10);
          pred0[c] = g_rand_int_range (rand, 0, 1000);
        }
      memcpy (want_d, d0, n * sizeof (double));
      memcpy (want_pred, pred0, n * sizeof (gint64));
      want_dist = scan_reference (&want, row, i, h);

      for (guint k = 0; k < n_variants; k++)
        {
          g_autofree double *d = g_memdup2 (d0, MAX (n, 1) * sizeof (double));
          g_autofree gint64 *pred = g_memdup2 (pred0, MAX (n, 1) * sizeof (gint64));
          DsdLapScan scan = { v, is_free, d, pred, n, 20.0 };
          gboolean free_at_best = FALSE;
          double dist;
          guint nearest = variants[k] (&scan, row, i, h, &dist);

          g_assert_cmpmem (d, n * sizeof (double), want_d, n * sizeof (double));
          g_assert_cmpmem (pred, n * sizeof (gint64), want_pred, n * sizeof (gint64));
          g_assert_cmpfloat (dist, ==, want_dist);
          if (n == 0)
            continue;
          g_assert_cmpuint (nearest, <, n);
          g_assert_cmpfloat (d[nearest], ==, dist);
          for (guint c = 0; c < n; c++)
            free_at_best |= is_free[c] && d[c] == dist;
          g_assert_true (!free_at_best || is_free[nearest]);
        }
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/lap/dense/brute-force", test_dense_brute_force);
  g_test_add_func ("/lap/sparse/brute-force", test_sparse_brute_force);
  g_test_add_func ("/lap/sparse/unassigned-cost", test_sparse_unassigned_cost);
  g_test_add_func ("/lap/sparse-dense-agreement", test_sparse_dense_agreement);
  g_test_add_func ("/lap/ties", test_ties);
  g_test_add_func ("/lap/scan-variants", test_scan_variants);
  g_test_add_func ("/lap/infeasible-rows", test_infeasible_rows);
  g_test_add_func ("/lap/empty", test_empty);
  g_test_add_func ("/lap/capacity-slots", test_capacity_slots);
  g_test_add_func ("/lap/never-worse-than-greedy", test_never_worse_than_greedy);

  return g_test_run ();
}
