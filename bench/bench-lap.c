/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Assignment solver benchmark: a random city (N orders and N drivers uniform
 * in a 20 km box, haversine pickup distances in metres), timed with the dense
 * solver and the sparse solver on k-nearest candidates. The dense matrix can
 * be written as raw little-endian doubles for bench/scipy_lap.py;
 * bench/bench-solver.sh runs both and prints the comparison.
 *
 * Output, one line per solve:
 *   dense n=N time_s=T cost=C assigned=A
 *   sparse n=N k=K edges=E time_s=T knn_s=T cost=C assigned=A
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "dispatch-geo.h"
#include "dsd-lap.h"

#define CENTRE_LAT 52.52
#define CENTRE_LON 13.40
#define HALF_SIDE_M 10000.0

static int seed = 1;
static int repeat = 3;
static char *k_list = NULL;
static char *matrix_path = NULL;

static const GOptionEntry entries[] = {
  { "seed", 's', 0, G_OPTION_ARG_INT, &seed, "Instance seed (default 1)", "SEED" },
  { "k", 'k', 0, G_OPTION_ARG_STRING, &k_list,
    "Candidates per order and per driver for the sparse solves (default 16,32; 0: none)",
    "K[,K...]" },
  { "repeat", 'r', 0, G_OPTION_ARG_INT, &repeat, "Runs per solve, best time kept (default 3)",
    "R" },
  { "matrix", 'm', 0, G_OPTION_ARG_FILENAME, &matrix_path,
    "Write the dense cost matrix here (raw little-endian doubles, row-major)", "FILE" },
  { NULL }
};

/* The k nearest of one order or driver, nearest first. */
typedef struct {
  guint   len;
  guint  *ids;
  double *dist;
} Nearest;

static DispatchLatLon *
random_points (GRand *rand,
               guint  n)
{
  double dlat = HALF_SIDE_M / (DISPATCH_EARTH_RADIUS_M * G_PI / 180.0);
  double dlon = dlat / cos (CENTRE_LAT * G_PI / 180.0);
  DispatchLatLon *points = g_new (DispatchLatLon, n);

  for (guint i = 0; i < n; i++)
    {
      points[i].lat = CENTRE_LAT + g_rand_double_range (rand, -dlat, dlat);
      points[i].lon = CENTRE_LON + g_rand_double_range (rand, -dlon, dlon);
    }

  return points;
}

/* Orders × drivers pickup distances, row-major. */
static double *
city_costs (guint n)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);
  g_autofree DispatchLatLon *orders = random_points (rand, n);
  g_autofree DispatchLatLon *drivers = random_points (rand, n);
  double *cost = g_new (double, (gsize) n * n);

  for (guint i = 0; i < n; i++)
    for (guint j = 0; j < n; j++)
      cost[(gsize) i * n + j] = dispatch_haversine_m (orders[i].lat, orders[i].lon,
                                                      drivers[j].lat, drivers[j].lon);

  return cost;
}

static gboolean
write_matrix (const double  *cost,
              guint          n,
              const char    *path,
              GError       **error)
{
  g_autofree guint64 *row = g_new (guint64, n);
  FILE *out = fopen (path, "wb");
  gboolean ok = out != NULL;

  for (guint i = 0; ok && i < n; i++)
    {
      for (guint j = 0; j < n; j++)
        {
          union { double d; guint64 u; } v = { .d = cost[(gsize) i * n + j] };

          row[j] = GUINT64_TO_LE (v.u);
        }
      ok = fwrite (row, sizeof (guint64), n, out) == n;
    }
  if (out != NULL && fclose (out) != 0)
    ok = FALSE;
  if (!ok)
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_IO, "Cannot write %s", path);

  return ok;
}

static Nearest *
nearest_new (guint n,
             guint k)
{
  Nearest *nearest = g_new0 (Nearest, n);

  for (guint i = 0; i < n; i++)
    {
      nearest[i].ids = g_new (guint, k);
      nearest[i].dist = g_new (double, k);
    }

  return nearest;
}

static void
nearest_free (Nearest *nearest,
              guint    n)
{
  for (guint i = 0; i < n; i++)
    {
      g_free (nearest[i].ids);
      g_free (nearest[i].dist);
    }
  g_free (nearest);
}

static inline void
nearest_offer (Nearest *nearest,
               guint    k,
               guint    id,
               double   dist)
{
  guint p;

  if (nearest->len == k && dist >= nearest->dist[k - 1])
    return;
  p = nearest->len < k ? nearest->len++ : k - 1;
  for (; p > 0 && nearest->dist[p - 1] > dist; p--)
    {
      nearest->dist[p] = nearest->dist[p - 1];
      nearest->ids[p] = nearest->ids[p - 1];
    }
  nearest->dist[p] = dist;
  nearest->ids[p] = id;
}

static gboolean
nearest_contains (const Nearest *nearest,
                  guint          id)
{
  for (guint p = 0; p < nearest->len; p++)
    if (nearest->ids[p] == id)
      return TRUE;
  return FALSE;
}

/* CPU time of the process in µs: the solvers (ours and SciPy's) run on one
 * thread, and on a shared machine the wall clock also counts the time other
 * processes had the CPU. */
static gint64
cpu_now (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (gint64) ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
}

static double
seconds_since (gint64 start)
{
  return (cpu_now () - start) / 1e6;
}

static void
bench_dense (const double *cost,
             guint         n)
{
  g_autofree int *row_to_col = g_new (int, n);
  double best = INFINITY;
  double total = 0.0;
  guint assigned = 0;

  for (int r = 0; r < repeat; r++)
    {
      gint64 start = cpu_now ();

      assigned = dsd_lap_dense_solve (cost, n, n, row_to_col, &total);
      best = MIN (best, seconds_since (start));
    }

  printf ("dense n=%u time_s=%.6f cost=%.6f assigned=%u\n", n, best, total, assigned);
  fflush (stdout);
}

/*
 * Candidates are each order's k nearest drivers plus each driver's k nearest
 * orders (so that no driver is left without candidates), found in one pass
 * over the matrix; the timed part is building and solving the sparse problem.
 */
static void
bench_sparse (const double *cost,
              guint         n,
              guint         k)
{
  Nearest *of_order = nearest_new (n, k);
  Nearest *of_driver = nearest_new (n, k);
  g_autofree int *row_to_col = g_new (int, n);
  gint64 start = cpu_now ();
  double knn_s;
  double best = INFINITY;
  double total = 0.0;
  guint assigned = 0;
  guint n_edges = 0;

  for (guint i = 0; i < n; i++)
    for (guint j = 0; j < n; j++)
      {
        nearest_offer (&of_order[i], k, j, cost[(gsize) i * n + j]);
        nearest_offer (&of_driver[j], k, i, cost[(gsize) i * n + j]);
      }
  knn_s = seconds_since (start);

  for (int r = 0; r < repeat; r++)
    {
      g_autoptr (DsdLapSparse) sparse = NULL;

      start = cpu_now ();
      sparse = dsd_lap_sparse_new (n, n);
      n_edges = 0;
      for (guint i = 0; i < n; i++)
        for (guint p = 0; p < of_order[i].len; p++, n_edges++)
          dsd_lap_sparse_add_edge (sparse, i, of_order[i].ids[p], of_order[i].dist[p]);
      for (guint j = 0; j < n; j++)
        for (guint p = 0; p < of_driver[j].len; p++)
          {
            guint i = of_driver[j].ids[p];

            if (nearest_contains (&of_order[i], j))
              continue;
            dsd_lap_sparse_add_edge (sparse, i, j, of_driver[j].dist[p]);
            n_edges++;
          }
      assigned = dsd_lap_sparse_solve (sparse, row_to_col, &total);
      best = MIN (best, seconds_since (start));
    }

  printf ("sparse n=%u k=%u edges=%u time_s=%.6f knn_s=%.6f cost=%.6f assigned=%u\n",
          n, k, n_edges, best, knn_s, total, assigned);
  fflush (stdout);

  nearest_free (of_order, n);
  nearest_free (of_driver, n);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr (GOptionContext) context = g_option_context_new ("N");
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) ks = NULL;
  g_autofree double *cost = NULL;
  guint64 n;

  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_summary (context,
                                "Times the dense and sparse assignment solvers on a random "
                                "city of N orders and N drivers.");
  if (!g_option_context_parse (context, &argc, &argv, &error) ||
      argc != 2 ||
      !g_ascii_string_to_unsigned (argv[1], 10, 1, 20000, &n, &error))
    {
      g_printerr ("%s\n", error != NULL ? error->message : "Expected N, see --help");
      return EXIT_FAILURE;
    }
  ks = g_strsplit (k_list != NULL ? k_list : "16,32", ",", -1);
  repeat = MAX (repeat, 1);

  cost = city_costs (n);
  if (matrix_path != NULL && !write_matrix (cost, n, matrix_path, &error))
    {
      g_printerr ("%s\n", error->message);
      return EXIT_FAILURE;
    }

  bench_dense (cost, n);
  for (guint q = 0; ks[q] != NULL; q++)
    {
      guint64 k;

      if (!g_ascii_string_to_unsigned (ks[q], 10, 0, n, &k, &error))
        {
          g_printerr ("--k: %s\n", error->message);
          return EXIT_FAILURE;
        }
      if (k > 0)
        bench_sparse (cost, n, k);
    }

  return EXIT_SUCCESS;
}
