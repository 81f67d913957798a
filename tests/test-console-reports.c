/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include <libpq-fe.h>

#include "dc-heat-layer.h"
#include "dc-renderer.h"
#include "dc-reports-window.h"
#include "dc-stream.h"
#include "dc-window-private.h"
#include "dsd-pg-cluster.h"
#include "dsd-pg-pool.h"
#include "test-console-utils.h"
#include "test-scenario.h"
#include "test-utils.h"

/*
 * The console's reports, demand heat and team scope against the real
 * dispatchd (with its zero-config PostgreSQL), histories written straight
 * into the database:
 *
 * /console/reports: the reports window shows a small history's figures as
 * worked out by hand (below), the same numbers the server answers, by day
 * and by driver; both CSV exports land in files.
 * /console/heat: the demand layer counts the pickups of the last 24 hours
 * and 7 days, in cells, and goes away when switched off.
 * /console/scoped: a dispatcher of team "North" sees North's orders and
 * drivers only, on the map and in the lists, also as they come live, and
 * the header names the team.
 *
 * With DISPATCH_CONSOLE_SCREENSHOT_DIR set, the views are saved there as
 * console-reports.png, console-heat.png and console-scoped.png.
 */

#define WAIT_MS    30000
#define PASSWORD   "console-reports-password"
#define ANN        "00000000-0000-4000-8000-00000000a001"
#define HEAT_ORDERS 240

typedef struct
{
  DsdTestServer *server;
  char *conninfo;
  DcApplication *application;
  DcWindow *window;
  DcContext *context;
} Fixture;

/* Server and database ---------------------------------------------------- */

static void
sql (Fixture    *fixture,
     const char *text)
{
  g_autoptr(GError) error = NULL;
  PGresult *result = dsd_pg_exec_sync (fixture->conninfo, text, 0, NULL, &error);

  g_assert_no_error (error);
  PQclear (result);
}

static JsonObject *
api (Fixture    *fixture,
     const char *method,
     const char *path,
     const char *body,
     guint       status)
{
  return dsd_test_call (fixture->server, dsd_test_server_get_admin_token (fixture->server),
                        method, path, body, status);
}

static char *
create_dispatcher (Fixture    *fixture,
                   const char *username)
{
  g_autofree char *body = g_strdup_printf ("{\"username\":\"%s\",\"password\":\"" PASSWORD "\","
                                           "\"role\":\"dispatcher\"}", username);
  g_autoptr(JsonObject) user = api (fixture, "POST", "/api/v1/users", body, 201);

  return g_strdup (json_object_get_string_member (user, "id"));
}

/* Conditions ------------------------------------------------------------- */

static void
wait_for (DsdTestCondition  condition,
          gpointer          user_data,
          const char       *what)
{
  if (!dsd_test_run_until (condition, user_data, WAIT_MS))
    g_error ("The console did not get to “%s” within %u ms", what, WAIT_MS);
}

static gboolean
is_live (gpointer user_data)
{
  Fixture *fixture = user_data;

  return g_strcmp0 (gtk_stack_get_visible_child_name (fixture->window->main_stack),
                    "console") == 0 &&
         dc_stream_get_state (dc_context_get_stream (fixture->context)) == DC_CONNECTION_LIVE;
}

static gboolean
reports_idle (gpointer user_data)
{
  return !dc_reports_window_is_busy (user_data);
}

/* Fixture ---------------------------------------------------------------- */

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  static const char * const without_automation[] = { "DISPATCH_ROLES=api,relay,notifier",
                                                     NULL };
  g_autoptr(GSettings) settings = g_settings_new (APPLICATION_ID);
  g_autoptr(DsdPgCluster) cluster = NULL;

  fixture->server = dsd_test_server_start (without_automation);
  cluster = dsd_pg_cluster_new (dsd_test_server_get_data_dir (fixture->server));
  fixture->conninfo = g_strdup (dsd_pg_cluster_get_conninfo (cluster));

  /* Central Berlin; no tile server to reach. */
  g_settings_set (settings, "map-view", "(ddd)", 52.512, 13.385, 12.6);
  g_settings_set_string (settings, "tile-url", "http://127.0.0.1:9/{z}/{x}/{y}.png");

  fixture->application = test_console_application_new (&fixture->window);
  fixture->context = dc_application_get_context (fixture->application);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  gtk_window_destroy (GTK_WINDOW (fixture->window));
  g_clear_object (&fixture->application);
  g_clear_pointer (&fixture->server, dsd_test_server_free);
  g_free (fixture->conninfo);
}

static void
sign_in (Fixture    *fixture,
         const char *username,
         const char *password)
{
  DcWindow *window = fixture->window;

  dc_sign_in_page_fill (window->sign_in_page, dsd_test_server_get_url (fixture->server),
                        username, password);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window->sign_in_page),
                                             "sign-in.submit", NULL));
  wait_for (is_live, fixture, "signed in and live");
}

/* /console/reports -------------------------------------------------------- */

/*
 * 2020-03-01 (UTC), Ann online 08:00–12:00:
 *   o1 created 09:00, Ann 09:02, picked up 09:10, delivered 09:40, promised 09:45
 *   o2 created 10:00, Ann 10:04, picked up 10:20, delivered 11:00, promised 10:50
 *   o3 created 11:00, cancelled 11:05, never assigned
 * 2020-03-02, Ann online 08:00–10:00:
 *   o4 created 09:00, Ann 09:01, picked up 09:05, failed 09:30
 * and for the picture, 2020-04-01 to 07: 600 orders at random.
 */
static void
write_history (Fixture *fixture)
{
  sql (fixture,
       "INSERT INTO dispatch.drivers (id, name) VALUES ('" ANN "', 'Ann Example');"
       "INSERT INTO dispatch.driver_sessions VALUES"
       " ('" ANN "', '2020-03-01T08:00Z', '2020-03-01T12:00Z'),"
       " ('" ANN "', '2020-03-02T08:00Z', '2020-03-02T10:00Z');"
       "INSERT INTO dispatch.orders (tracking_token, pickup_lat, pickup_lon, dropoff_lat,"
       " dropoff_lon, status, driver_id, created_at, assigned_at, picked_up_at, closed_at,"
       " promised_at) VALUES"
       " ('r1', 52.52, 13.40, 52.5, 13.4, 'delivered', '" ANN "', '2020-03-01T09:00Z',"
       "  '2020-03-01T09:02Z', '2020-03-01T09:10Z', '2020-03-01T09:40Z', '2020-03-01T09:45Z'),"
       " ('r2', 52.52, 13.40, 52.5, 13.4, 'delivered', '" ANN "', '2020-03-01T10:00Z',"
       "  '2020-03-01T10:04Z', '2020-03-01T10:20Z', '2020-03-01T11:00Z', '2020-03-01T10:50Z'),"
       " ('r3', 52.52, 13.40, 52.5, 13.4, 'cancelled', NULL, '2020-03-01T11:00Z',"
       "  NULL, NULL, '2020-03-01T11:05Z', NULL),"
       " ('r4', 52.52, 13.40, 52.5, 13.4, 'failed', '" ANN "', '2020-03-02T09:00Z',"
       "  '2020-03-02T09:01Z', '2020-03-02T09:05Z', '2020-03-02T09:30Z', NULL)");

  sql (fixture,
       "SELECT setseed(0.14);"
       "INSERT INTO dispatch.drivers (id, name)"
       " SELECT ('00000000-0000-4000-8000-0000000000' || lpad(k::text, 2, '0'))::uuid,"
       "        'Driver ' || k FROM generate_series(1, 8) k;"
       "INSERT INTO dispatch.driver_sessions"
       " SELECT ('00000000-0000-4000-8000-0000000000' || lpad(k::text, 2, '0'))::uuid,"
       "        d + interval '7 hours', d + interval '19 hours'"
       " FROM generate_series('2020-04-01'::timestamptz, '2020-04-07', '1 day') d,"
       "      generate_series(1, 8) k;"
       "INSERT INTO dispatch.orders (tracking_token, pickup_lat, pickup_lon, dropoff_lat,"
       " dropoff_lon, status, driver_id, created_at, assigned_at, picked_up_at, closed_at,"
       " promised_at)"
       " SELECT 'p' || i, 52.52, 13.40, 52.5, 13.4,"
       "  CASE WHEN r < 0.86 THEN 'delivered' WHEN r < 0.93 THEN 'failed' ELSE 'cancelled' END,"
       "  CASE WHEN r < 0.93 THEN ('00000000-0000-4000-8000-0000000000'"
       "                           || lpad((1 + i % 8)::text, 2, '0'))::uuid END, c,"
       "  CASE WHEN r < 0.93 THEN c + a END, CASE WHEN r < 0.93 THEN c + a + w END,"
       "  c + a + w + t, c + a + w + interval '35 minutes'"
       " FROM (SELECT i, random() AS r,"
       "        '2020-04-01T07:00Z'::timestamptz + (i % 7) * interval '1 day'"
       "          + random() * interval '11 hours' AS c,"
       "        random() * interval '6 minutes' AS a,"
       "        (4 + random() * 14) * interval '1 minute' AS w,"
       "        (15 + random() * 30 + (i % 7) * 2) * interval '1 minute' AS t"
       "       FROM generate_series(1, 600) i) g");
}

static DcReportsWindow *
open_reports (Fixture *fixture)
{
  DcReportsWindow *reports = NULL;

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.show-reports",
                                             NULL));
  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (fixture->application));
       l != NULL; l = l->next)
    if (DC_IS_REPORTS_WINDOW (l->data))
      reports = l->data;
  g_assert_nonnull (reports);

  return reports;
}

static void
assert_row (DcReportsWindow    *reports,
            guint               row,
            const char * const *cells)
{
  for (guint c = 0; cells[c] != NULL; c++)
    if (!g_str_equal (cells[c], "*"))
      g_assert_cmpstr (dc_reports_window_get_cell (reports, row, c), ==, cells[c]);
}

/* A figure as the table shows it. */
static char *
format_figure (JsonObject *row,
               const char *key,
               char        unit)
{
  double value;

  if (json_object_get_null_member (row, key))
    return g_strdup ("–");
  value = json_object_get_double_member (row, key);
  switch (unit)
    {
    case '%':
      return g_strdup_printf ("%.0f %%", value * 100);
    case 'm':
      return g_strdup_printf ("%.1f min", value / 60);
    case 'h':
      return g_strdup_printf ("%.1f h", value);
    default:
      return g_strdup_printf ("%.0f", value);
    }
}

static double
figure (JsonObject *row,
        const char *key)
{
  return json_object_get_null_member (row, key) ? NAN : json_object_get_double_member (row, key);
}

/* A chart's value is the server's figure, a gap where the figure is null. */
static void
assert_same (double shown,
             double expected)
{
  if (isnan (expected))
    g_assert_true (isnan (shown));
  else
    g_assert_cmpfloat_with_epsilon (shown, expected, 1e-9);
}

/* Every figure in the table and every chart value is the server's figure
 * of its row. */
static void
assert_charts_match (Fixture         *fixture,
                     DcReportsWindow *reports,
                     const char      *query)
{
  g_autofree char *path = g_strconcat ("/api/v1/reports/figures?", query, NULL);
  g_autoptr(JsonObject) answer = api (fixture, "GET", path, NULL, 200);
  JsonArray *rows = json_object_get_array_member (answer, "rows");
  DcChart *orders = dc_reports_window_get_chart (reports, DC_REPORTS_ORDERS_CHART);
  DcChart *on_time = dc_reports_window_get_chart (reports, DC_REPORTS_ON_TIME_CHART);
  DcChart *durations = dc_reports_window_get_chart (reports, DC_REPORTS_DURATIONS_CHART);
  DcChart *utilisation = dc_reports_window_get_chart (reports, DC_REPORTS_UTILISATION_CHART);
  static const char * const order_keys[] = { "delivered", "failed", "cancelled" };
  static const char * const duration_keys[] = { "assign_p50_s", "assign_p90_s",
                                                "pickup_wait_p50_s", "pickup_wait_p90_s",
                                                "delivery_p50_s", "delivery_p90_s" };

  static const struct { const char *key; char unit; } columns[] = {
    { "created", 'n' }, { "delivered", 'n' }, { "failed", 'n' }, { "cancelled", 'n' },
    { "on_time_rate", '%' }, { "assign_p50_s", 'm' }, { "assign_p90_s", 'm' },
    { "pickup_wait_p50_s", 'm' }, { "pickup_wait_p90_s", 'm' }, { "delivery_p50_s", 'm' },
    { "delivery_p90_s", 'm' }, { "online_hours", 'h' }, { "busy_hours", 'h' },
    { "utilisation", '%' },
  };

  g_assert_cmpuint (json_array_get_length (rows), ==,
                    json_array_get_length (dc_reports_window_get_rows (reports)));
  /* the table: every figure of every row, as the server has it */
  for (guint r = 0; r < json_array_get_length (rows); r++)
    for (guint c = 0; c < G_N_ELEMENTS (columns); c++)
      {
        g_autofree char *text = format_figure (json_array_get_object_element (rows, r),
                                               columns[c].key, columns[c].unit);

        g_assert_cmpstr (dc_reports_window_get_cell (reports, r + 1, c + 1), ==, text);
      }

  g_assert_cmpuint (dc_chart_get_n_series (orders), ==, 4);
  g_assert_cmpuint (dc_chart_get_n_series (durations), ==, 6);

  for (guint r = 0; r < json_array_get_length (rows); r++)
    {
      JsonObject *row = json_array_get_object_element (rows, r);
      double stack = 0;

      for (guint s = 0; s < G_N_ELEMENTS (order_keys); s++)
        {
          assert_same (dc_chart_get_value (orders, s, r), figure (row, order_keys[s]));
          stack += dc_chart_get_value (orders, s, r);
        }
      /* the stack is as high as the orders created */
      stack += dc_chart_get_value (orders, 3, r);
      assert_same (stack, figure (row, "created"));
      assert_same (dc_chart_get_value (on_time, 0, r), figure (row, "on_time_rate"));
      for (guint s = 0; s < G_N_ELEMENTS (duration_keys); s++)
        assert_same (dc_chart_get_value (durations, s, r), figure (row, duration_keys[s]));
      assert_same (dc_chart_get_value (utilisation, 0, r), figure (row, "utilisation"));
    }
}

static guint
count_lines (const char *path,
             const char *first_line_prefix)
{
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  guint n = 0;

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  g_assert_true (g_str_has_prefix (text, first_line_prefix));
  g_assert_true (g_str_has_suffix (text, "\r\n"));
  lines = g_strsplit (text, "\r\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    n += lines[i][0] != '\0';

  return n;
}

static void
test_reports (Fixture       *fixture,
              gconstpointer  data)
{
  g_autofree char *dir = dsd_test_make_tmp_dir ("console-reports");
  g_autofree char *orders_path = g_build_filename (dir, "orders.csv", NULL);
  g_autofree char *figures_path = g_build_filename (dir, "figures.csv", NULL);
  g_autoptr(GFile) orders_file = g_file_new_for_path (orders_path);
  g_autoptr(GFile) figures_file = g_file_new_for_path (figures_path);
  DcReportsWindow *reports;

  write_history (fixture);
  create_dispatcher (fixture, "rita");
  sign_in (fixture, "rita", PASSWORD);

  reports = open_reports (fixture);
  dc_reports_window_set_days (reports, "2020-03-01", "2020-03-02");
  wait_for (reports_idle, reports, "the figures by day");

  /* by hand, above: busy 38 + 56 of 240 minutes online on the 1st; the
   * durations ("*") as the server has them (assign 120 and 240 s, pickup
   * wait 480 and 960 s, delivery 1800 and 2400 s on the 1st, which the
   * server may give from histogram buckets) */
  g_assert_cmpuint (json_array_get_length (dc_reports_window_get_rows (reports)), ==, 2);
  assert_row (reports, 1, (const char * const[]) {
                "01 Mar", "3", "2", "0", "1", "50 %", "*", "*", "*", "*", "*", "*", "4.0 h",
                "1.6 h", "39 %", NULL });
  assert_row (reports, 2, (const char * const[]) {
                "02 Mar", "1", "0", "1", "0", "–", "*", "*", "*", "*", "–", "–", "2.0 h",
                "0.5 h", "24 %", NULL });
  assert_charts_match (fixture, reports,
                       "from=2020-03-01T00:00:00Z&to=2020-03-03T00:00:00Z&group_by=day");

  /* by driver: Ann by name, and the order nobody had */
  g_object_set (gtk_widget_get_template_child (GTK_WIDGET (reports), DC_TYPE_REPORTS_WINDOW,
                                               "group_choice"), "selected", 1, NULL);
  wait_for (reports_idle, reports, "the figures by driver");
  g_assert_cmpuint (json_array_get_length (dc_reports_window_get_rows (reports)), ==, 2);
  g_assert_cmpstr (dc_reports_window_get_cell (reports, 0, 0), ==, "Driver");
  {
    const char *first = dc_reports_window_get_cell (reports, 1, 0);
    const char *second = dc_reports_window_get_cell (reports, 2, 0);

    g_assert_true ((g_str_equal (first, "Ann Example") && g_str_equal (second, "Not assigned")) ||
                   (g_str_equal (second, "Ann Example") && g_str_equal (first, "Not assigned")));
  }
  assert_charts_match (fixture, reports,
                       "from=2020-03-01T00:00:00Z&to=2020-03-03T00:00:00Z&group_by=driver");

  /* a week of the generated history, for the picture */
  g_object_set (gtk_widget_get_template_child (GTK_WIDGET (reports), DC_TYPE_REPORTS_WINDOW,
                                               "group_choice"), "selected", 0, NULL);
  dc_reports_window_set_days (reports, "2020-04-01", "2020-04-07");
  wait_for (reports_idle, reports, "the generated week");
  g_assert_cmpuint (json_array_get_length (dc_reports_window_get_rows (reports)), ==, 7);
  assert_charts_match (fixture, reports,
                       "from=2020-04-01T00:00:00Z&to=2020-04-08T00:00:00Z&group_by=day");
  test_console_screenshot (GTK_WIDGET (reports), "console-reports");

  /* the exports of the first two days, by day */
  dc_reports_window_set_days (reports, "2020-03-01", "2020-03-02");
  wait_for (reports_idle, reports, "the first two days again");
  dc_reports_window_export (reports, DC_REPORTS_EXPORT_ORDERS, orders_file);
  dc_reports_window_export (reports, DC_REPORTS_EXPORT_FIGURES, figures_file);
  wait_for (reports_idle, reports, "both exports");
  g_assert_cmpuint (count_lines (orders_path, "id,created_at,"), ==, 1 + 4);
  g_assert_cmpuint (count_lines (figures_path, "bucket,"), ==, 1 + 2);

  gtk_window_destroy (GTK_WINDOW (reports));
  dsd_test_remove_tree (dir);
}

/* /console/heat ----------------------------------------------------------- */

typedef struct
{
  DcHeatLayer *layer;
  gint64 total;
} HeatExpectation;

static gboolean
heat_has_total (gpointer user_data)
{
  HeatExpectation *expectation = user_data;

  return dc_heat_layer_get_total (expectation->layer) == expectation->total;
}

/* HEAT_ORDERS pickups in the last 20 hours around three places, and 60 more
 * from 3 days ago: only the last 7 days see those. */
static void
write_demand (Fixture *fixture)
{
  g_autofree char *text = g_strdup_printf (
    "SELECT setseed(0.5);"
    "INSERT INTO dispatch.orders (tracking_token, pickup_lat, pickup_lon, dropoff_lat,"
    " dropoff_lon, status, created_at, closed_at)"
    " SELECT 'h' || i, s.lat + (random() + random() + random() - 1.5) * 0.012,"
    "  s.lon + (random() + random() + random() - 1.5) * 0.02, 52.5, 13.4, 'cancelled',"
    "  now() - random() * interval '20 hours', now()"
    " FROM generate_series(1, %d) i,"
    "  LATERAL (SELECT (ARRAY[52.5219, 52.4995, 52.5060])[1 + (i %% 3)] AS lat,"
    "                  (ARRAY[13.4132, 13.4180, 13.3300])[1 + (i %% 3)] AS lon) s;"
    "INSERT INTO dispatch.orders (tracking_token, pickup_lat, pickup_lon, dropoff_lat,"
    " dropoff_lon, status, created_at, closed_at)"
    " SELECT 'old' || i, 52.53 + random() * 0.01, 13.36 + random() * 0.01, 52.5, 13.4,"
    "  'cancelled', now() - interval '3 days', now() - interval '3 days'"
    " FROM generate_series(1, 60) i", HEAT_ORDERS);

  sql (fixture, text);
}

static void
test_heat (Fixture       *fixture,
           gconstpointer  data)
{
  DcHeatLayer *layer = dc_map_view_get_heat_layer (fixture->window->map_view);
  HeatExpectation expectation = { layer, HEAT_ORDERS };
  GtkDropDown *period = NULL;

  write_demand (fixture);
  create_dispatcher (fixture, "hedda");
  sign_in (fixture, "hedda", PASSWORD);
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (layer)));

  dc_map_view_set_heat_shown (fixture->window->map_view, TRUE);
  wait_for (heat_has_total, &expectation, "the last 24 hours' pickups");
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (layer)));
  g_assert_cmpuint (dc_heat_layer_get_n_cells (layer), >, 3);
  g_assert_cmpuint (dc_heat_layer_get_n_cells (layer), <=, HEAT_ORDERS);
  g_assert_cmpstr (dc_heat_layer_get_status (layer), ==, "240 pickups");
  test_console_run_for (1000);
  test_console_screenshot (GTK_WIDGET (fixture->window), "console-heat");

  period = GTK_DROP_DOWN (gtk_widget_get_template_child (GTK_WIDGET (fixture->window->map_view),
                                                         DC_TYPE_MAP_VIEW, "heat_period"));
  gtk_drop_down_set_selected (period, 1);
  expectation.total = HEAT_ORDERS + 60;
  wait_for (heat_has_total, &expectation, "the last 7 days' pickups");

  dc_map_view_set_heat_shown (fixture->window->map_view, FALSE);
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (layer)));
  g_assert_cmpint (dc_heat_layer_get_total (layer), ==, -1);
}

/* /console/scoped --------------------------------------------------------- */

typedef struct
{
  DcStore *store;
  const char *id;
} StoreExpectation;

static gboolean
store_has (gpointer user_data)
{
  StoreExpectation *expectation = user_data;

  return dc_store_lookup (expectation->store, expectation->id) != NULL;
}

/* The zone [south, north] × [13.25, 13.55]. */
static char *
create_zone (Fixture    *fixture,
             const char *name,
             double      south,
             double      north)
{
  g_autofree char *body = g_strdup_printf (
    "{\"name\":\"%s\",\"geometry\":{\"type\":\"Polygon\",\"coordinates\":"
    "[[[13.25,%.4f],[13.55,%.4f],[13.55,%.4f],[13.25,%.4f],[13.25,%.4f]]]}}", name,
    south, south, north, north, south);
  g_autoptr(JsonObject) zone = api (fixture, "POST", "/api/v1/zones", body, 201);

  return g_strdup (json_object_get_string_member (zone, "id"));
}

static char *
create_driver (Fixture    *fixture,
               const char *name,
               double      lat,
               double      lon)
{
  g_autofree char *body = g_strdup_printf ("{\"name\":\"%s\",\"vehicle\":\"bike\"}", name);

  return dsd_test_add_online_driver (fixture->server, body, lat, lon);
}

static char *
create_order (Fixture    *fixture,
              const char *address,
              double      lat,
              double      lon)
{
  g_autofree char *body = g_strdup_printf (
    "{\"pickup\":{\"lat\":%.4f,\"lon\":%.4f,\"address\":\"%s\"},"
    "\"dropoff\":{\"lat\":52.5096,\"lon\":13.3760,\"address\":\"Potsdamer Platz 1\"}}",
    lat, lon, address);
  g_autoptr(JsonObject) order = api (fixture, "POST", "/api/v1/orders", body, 201);

  return g_strdup (json_object_get_string_member (order, "id"));
}

static gboolean
scope_known (gpointer user_data)
{
  Fixture *fixture = user_data;

  return dc_scope_get_label (dc_context_get_scope (fixture->context)) != NULL;
}

static void
test_scoped (Fixture       *fixture,
             gconstpointer  data)
{
  DcStore *orders = dc_context_get_orders (fixture->context);
  DcStore *drivers = dc_context_get_drivers (fixture->context);
  g_autofree char *nora = create_dispatcher (fixture, "nora");
  g_autofree char *sami = create_dispatcher (fixture, "sami");
  /* North: the city north of 52.515; South: south of it */
  g_autofree char *north_zone = create_zone (fixture, "North zone", 52.515, 52.60);
  g_autofree char *south_zone = create_zone (fixture, "South zone", 52.43, 52.515);
  g_autofree char *north_driver = create_driver (fixture, "Nils North", 52.530, 13.380);
  g_autofree char *north_driver2 = create_driver (fixture, "Nadia North", 52.540, 13.350);
  g_autofree char *south_driver = create_driver (fixture, "Sven South", 52.500, 13.390);
  g_autofree char *north_order = create_order (fixture, "Invalidenstraße 50", 52.528, 13.372);
  g_autofree char *north_order2 = create_order (fixture, "Torstraße 1", 52.529, 13.401);
  g_autofree char *south_order = create_order (fixture, "Kottbusser Tor", 52.499, 13.418);
  g_autofree char *late_south = NULL;
  g_autofree char *late_north = NULL;
  g_autofree char *body = NULL;
  g_autoptr(JsonObject) team = NULL;
  g_autoptr(JsonObject) other = NULL;
  StoreExpectation expectation = { orders, NULL };
  const char *subtitle;

  body = g_strdup_printf ("{\"name\":\"North\",\"dispatchers\":[\"%s\"],"
                          "\"drivers\":[\"%s\",\"%s\"],\"zones\":[\"%s\"]}",
                          nora, north_driver, north_driver2, north_zone);
  team = api (fixture, "POST", "/api/v1/teams", body, 201);
  g_free (body);
  body = g_strdup_printf ("{\"name\":\"South\",\"dispatchers\":[\"%s\"],"
                          "\"drivers\":[\"%s\"],\"zones\":[\"%s\"]}",
                          sami, south_driver, south_zone);
  other = api (fixture, "POST", "/api/v1/teams", body, 201);

  sign_in (fixture, "nora", PASSWORD);
  expectation.id = north_order2;
  wait_for (store_has, &expectation, "North's orders");

  /* the snapshot: North's two orders and two drivers, nothing of South's */
  g_assert_nonnull (dc_store_lookup (orders, north_order));
  g_assert_null (dc_store_lookup (orders, south_order));
  g_assert_cmpuint (dc_store_get_count (orders), ==, 2);
  g_assert_nonnull (dc_store_lookup (drivers, north_driver));
  g_assert_nonnull (dc_store_lookup (drivers, north_driver2));
  g_assert_null (dc_store_lookup (drivers, south_driver));
  g_assert_cmpuint (dc_store_get_count (drivers), ==, 2);

  /* live: South's new order comes first on the server, then North's; once
   * North's is here South's would have been too */
  late_south = create_order (fixture, "Hermannplatz", 52.487, 13.424);
  late_north = create_order (fixture, "Rosenthaler Platz", 52.530, 13.401);
  expectation.id = late_north;
  wait_for (store_has, &expectation, "North's new order");
  g_assert_null (dc_store_lookup (orders, late_south));
  g_assert_cmpuint (dc_store_get_count (orders), ==, 3);

  /* the header says whose they are */
  wait_for (scope_known, fixture, "the dispatcher's teams");
  subtitle = adw_window_title_get_subtitle (fixture->window->window_title);
  g_assert_cmpstr (subtitle, ==, "Team: North · 2 drivers · 3 open orders");
  g_assert_cmpstr (dc_scope_get_teams (dc_context_get_scope (fixture->context))[0], ==,
                   "North");

  /* the lists show what the stores hold */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.show-page", "s",
                                             "orders"));
  /* the sign-in page fades out */
  test_console_run_for (1000);
  test_console_screenshot (GTK_WIDGET (fixture->window), "console-scoped");
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *data_home = dsd_test_make_tmp_dir ("console-data");
  int status;

  /* The alerts' journal goes to the user data dir. */
  g_setenv ("XDG_DATA_HOME", data_home, TRUE);

  gtk_test_init (&argc, &argv, NULL);
  /* Rendered as the console renders for its users under Xvfb. */
  dc_renderer_choose ();
  g_object_set (gtk_settings_get_default (), "gtk-cursor-blink", FALSE, NULL);

  g_test_add ("/console/reports", Fixture, NULL, fixture_set_up, test_reports,
              fixture_tear_down);
  g_test_add ("/console/heat", Fixture, NULL, fixture_set_up, test_heat, fixture_tear_down);
  g_test_add ("/console/scoped", Fixture, NULL, fixture_set_up, test_scoped, fixture_tear_down);

  status = g_test_run ();
  dsd_test_remove_tree (data_home);

  return status;
}
