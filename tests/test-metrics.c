/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>

#include "dsd-metrics.h"

static void
test_render (void)
{
  static const char *request_labels[] = { "route", "status", NULL };
  static const char *latency_labels[] = { "route", NULL };
  static const double bounds[] = { 0.1, 1, 2.5 };
  g_autoptr(DsdMetrics) metrics = dsd_metrics_new ();
  g_autofree char *text = NULL;

  dsd_metrics_register_counter (metrics, "requests_total", "Requests by route\nand \\ status",
                                request_labels);
  dsd_metrics_register_gauge (metrics, "temperature_celsius", "Temperature", NULL);
  dsd_metrics_register_histogram (metrics, "latency_seconds", "Latency", latency_labels,
                                  bounds, G_N_ELEMENTS (bounds));
  dsd_metrics_register_gauge (metrics, "unused", "Never set", NULL);

  dsd_metrics_counter_add (metrics, "requests_total", (const char *[]) { "/a", "200", NULL }, 1);
  dsd_metrics_counter_add (metrics, "requests_total",
                           (const char *[]) { "/b\"\\\n", "500", NULL }, 1);
  dsd_metrics_counter_add (metrics, "requests_total", (const char *[]) { "/a", "200", NULL }, 2);
  dsd_metrics_gauge_set (metrics, "temperature_celsius", NULL, 21.5);
  dsd_metrics_gauge_set (metrics, "temperature_celsius", NULL, -0.1);
  dsd_metrics_histogram_observe (metrics, "latency_seconds", (const char *[]) { "/a", NULL },
                                 0.0625);
  dsd_metrics_histogram_observe (metrics, "latency_seconds", (const char *[]) { "/a", NULL }, 1);
  dsd_metrics_histogram_observe (metrics, "latency_seconds", (const char *[]) { "/a", NULL }, 3);
  dsd_metrics_histogram_observe (metrics, "latency_seconds", (const char *[]) { "/z", NULL },
                                 0.5);

  text = dsd_metrics_render (metrics);
  g_assert_cmpstr (text, ==,
                   "# HELP requests_total Requests by route\\nand \\\\ status\n"
                   "# TYPE requests_total counter\n"
                   "requests_total{route=\"/a\",status=\"200\"} 3\n"
                   "requests_total{route=\"/b\\\"\\\\\\n\",status=\"500\"} 1\n"
                   "# HELP temperature_celsius Temperature\n"
                   "# TYPE temperature_celsius gauge\n"
                   "temperature_celsius -0.1\n"
                   "# HELP latency_seconds Latency\n"
                   "# TYPE latency_seconds histogram\n"
                   "latency_seconds_bucket{route=\"/a\",le=\"0.1\"} 1\n"
                   "latency_seconds_bucket{route=\"/a\",le=\"1\"} 2\n"
                   "latency_seconds_bucket{route=\"/a\",le=\"2.5\"} 2\n"
                   "latency_seconds_bucket{route=\"/a\",le=\"+Inf\"} 3\n"
                   "latency_seconds_sum{route=\"/a\"} 4.0625\n"
                   "latency_seconds_count{route=\"/a\"} 3\n"
                   "latency_seconds_bucket{route=\"/z\",le=\"0.1\"} 0\n"
                   "latency_seconds_bucket{route=\"/z\",le=\"1\"} 1\n"
                   "latency_seconds_bucket{route=\"/z\",le=\"2.5\"} 1\n"
                   "latency_seconds_bucket{route=\"/z\",le=\"+Inf\"} 1\n"
                   "latency_seconds_sum{route=\"/z\"} 0.5\n"
                   "latency_seconds_count{route=\"/z\"} 1\n"
                   "# HELP unused Never set\n"
                   "# TYPE unused gauge\n");
}

static void
test_histogram_without_labels (void)
{
  static const double bounds[] = { 0.005 };
  g_autoptr(DsdMetrics) metrics = dsd_metrics_new ();
  g_autofree char *text = NULL;

  dsd_metrics_register_histogram (metrics, "solve_seconds", "Solver time", NULL,
                                  bounds, G_N_ELEMENTS (bounds));
  dsd_metrics_histogram_observe (metrics, "solve_seconds", NULL, 0.001);

  text = dsd_metrics_render (metrics);
  g_assert_cmpstr (text, ==,
                   "# HELP solve_seconds Solver time\n"
                   "# TYPE solve_seconds histogram\n"
                   "solve_seconds_bucket{le=\"0.005\"} 1\n"
                   "solve_seconds_bucket{le=\"+Inf\"} 1\n"
                   "solve_seconds_sum 0.001\n"
                   "solve_seconds_count 1\n");
}

static void
test_gauge_clear (void)
{
  static const char *labels[] = { "status", NULL };
  g_autoptr(DsdMetrics) metrics = dsd_metrics_new ();
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;

  dsd_metrics_register_gauge (metrics, "orders", "Orders by status", labels);
  dsd_metrics_gauge_set (metrics, "orders", (const char *[]) { "pending", NULL }, 4);
  dsd_metrics_gauge_set (metrics, "orders", (const char *[]) { "assigned", NULL }, 2);
  before = dsd_metrics_render (metrics);
  g_assert_cmpstr (before, ==,
                   "# HELP orders Orders by status\n"
                   "# TYPE orders gauge\n"
                   "orders{status=\"pending\"} 4\n"
                   "orders{status=\"assigned\"} 2\n");

  /* Refilled from a fresh query: the order follows the new series. */
  dsd_metrics_gauge_clear (metrics, "orders");
  dsd_metrics_gauge_set (metrics, "orders", (const char *[]) { "assigned", NULL }, 3);
  after = dsd_metrics_render (metrics);
  g_assert_cmpstr (after, ==,
                   "# HELP orders Orders by status\n"
                   "# TYPE orders gauge\n"
                   "orders{status=\"assigned\"} 3\n");
}

static void
test_values (void)
{
  g_autoptr(DsdMetrics) metrics = dsd_metrics_new ();
  g_autofree char *text = NULL;

  dsd_metrics_register_gauge (metrics, "big", "Big", NULL);
  dsd_metrics_register_gauge (metrics, "third", "Third", NULL);
  dsd_metrics_register_gauge (metrics, "inf", "Inf", NULL);
  dsd_metrics_register_gauge (metrics, "nan", "NaN", NULL);
  dsd_metrics_gauge_set (metrics, "big", NULL, 12345678901.0);
  dsd_metrics_gauge_set (metrics, "third", NULL, 1.0 / 3.0);
  dsd_metrics_gauge_set (metrics, "inf", NULL, -INFINITY);
  dsd_metrics_gauge_set (metrics, "nan", NULL, NAN);

  text = dsd_metrics_render (metrics);
  g_assert_cmpstr (text, ==,
                   "# HELP big Big\n# TYPE big gauge\nbig 12345678901\n"
                   "# HELP third Third\n# TYPE third gauge\nthird 0.33333333333333331\n"
                   "# HELP inf Inf\n# TYPE inf gauge\ninf -Inf\n"
                   "# HELP nan NaN\n# TYPE nan gauge\nnan NaN\n");
}

static void
test_register_twice (void)
{
  static const char *labels[] = { "route", NULL };
  g_autoptr(DsdMetrics) metrics = dsd_metrics_new ();
  g_autofree char *text = NULL;

  /* A second server on the same registry registers the same families. */
  dsd_metrics_register_counter (metrics, "hits_total", "Hits", labels);
  dsd_metrics_counter_add (metrics, "hits_total", (const char *[]) { "/", NULL }, 1);
  dsd_metrics_register_counter (metrics, "hits_total", "Hits", labels);
  dsd_metrics_counter_add (metrics, "hits_total", (const char *[]) { "/", NULL }, 1);

  text = dsd_metrics_render (metrics);
  g_assert_cmpstr (text, ==, "# HELP hits_total Hits\n# TYPE hits_total counter\n"
                             "hits_total{route=\"/\"} 2\n");
}

static void
test_misuse (void)
{
  g_autoptr(DsdMetrics) metrics = dsd_metrics_new ();
  static const char *labels[] = { "route", NULL };

  dsd_metrics_register_counter (metrics, "hits_total", "Hits", labels);

  g_test_expect_message ("dsd-core", G_LOG_LEVEL_CRITICAL, "*not registered*");
  dsd_metrics_counter_add (metrics, "misses_total", NULL, 1);
  g_test_assert_expected_messages ();

  g_test_expect_message ("dsd-core", G_LOG_LEVEL_CRITICAL, "*takes 1 label values, got 0*");
  dsd_metrics_counter_add (metrics, "hits_total", NULL, 1);
  g_test_assert_expected_messages ();

  g_test_expect_message ("dsd-core", G_LOG_LEVEL_CRITICAL, "*not registered with this type*");
  dsd_metrics_gauge_set (metrics, "hits_total", (const char *[]) { "/", NULL }, 1);
  g_test_assert_expected_messages ();
}

#define N_THREADS 4
#define N_ADDS 10000

static gpointer
add_many (gpointer data)
{
  DsdMetrics *metrics = data;

  for (guint i = 0; i < N_ADDS; i++)
    {
      dsd_metrics_counter_add (metrics, "hits_total", (const char *[]) { "/", NULL }, 1);
      dsd_metrics_histogram_observe (metrics, "seconds", NULL, 0.5);
    }

  return NULL;
}

static void
test_threads (void)
{
  static const char *labels[] = { "route", NULL };
  static const double bounds[] = { 1 };
  g_autoptr(DsdMetrics) metrics = dsd_metrics_new ();
  g_autofree char *text = NULL;
  GThread *threads[N_THREADS];

  dsd_metrics_register_counter (metrics, "hits_total", "Hits", labels);
  dsd_metrics_register_histogram (metrics, "seconds", "Seconds", NULL, bounds, 1);

  for (guint i = 0; i < N_THREADS; i++)
    threads[i] = g_thread_new ("adder", add_many, metrics);
  for (guint i = 0; i < N_THREADS; i++)
    g_thread_join (threads[i]);

  text = dsd_metrics_render (metrics);
  g_assert_cmpstr (text, ==,
                   "# HELP hits_total Hits\n# TYPE hits_total counter\n"
                   "hits_total{route=\"/\"} 40000\n"
                   "# HELP seconds Seconds\n# TYPE seconds histogram\n"
                   "seconds_bucket{le=\"1\"} 40000\n"
                   "seconds_bucket{le=\"+Inf\"} 40000\n"
                   "seconds_sum 20000\n"
                   "seconds_count 40000\n");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/metrics/render", test_render);
  g_test_add_func ("/metrics/histogram-without-labels", test_histogram_without_labels);
  g_test_add_func ("/metrics/gauge-clear", test_gauge_clear);
  g_test_add_func ("/metrics/values", test_values);
  g_test_add_func ("/metrics/register-twice", test_register_twice);
  g_test_add_func ("/metrics/misuse", test_misuse);
  g_test_add_func ("/metrics/threads", test_threads);

  return g_test_run ();
}
