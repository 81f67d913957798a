/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * dispatch-sim: pieces of its library (street grid, routes, options) alone,
 * then the program against the real dispatchd: a deterministic run gives the
 * same counts of every event type against two fresh servers, and a
 * time-compressed real-time run leaves every order in a consistent state
 * without errors on either side.
 */
#include <math.h>

#include <glib/gstdio.h>

#include "dispatch-json.h"
#include "dsim-demand.h"
#include "dsim-grid.h"
#include "dsim-options.h"
#include "dsim-route.h"
#include "test-server.h"
#include "test-utils.h"

#define SIM_TIMEOUT_MS (180 * 1000)

/* A small part of Berlin Mitte (≈ 550 m × 550 m), so that trips are short
 * enough for deliveries within a minute of simulated time. */
#define SMALL_CITY "52.5150,13.3950,52.5200,13.4030"

/* Library pieces ---------------------------------------------------------- */

static DispatchLatLon
east_of (DispatchLatLon from,
         double         metres)
{
  return (DispatchLatLon) {
    from.lat, from.lon + metres / (111320.0 * cos (from.lat * G_PI / 180.0))
  };
}

static DispatchLatLon
north_of (DispatchLatLon from,
          double         metres)
{
  return (DispatchLatLon) { from.lat + metres / 111320.0, from.lon };
}

static void
assert_near (DispatchLatLon a,
             DispatchLatLon b,
             double         within_m)
{
  g_assert_cmpfloat (dispatch_haversine_m (a.lat, a.lon, b.lat, b.lon), <, within_m);
}

/* 100 m east, then 100 m north. */
static void
test_route (void)
{
  DispatchLatLon start = { 52.5150, 13.3950 };
  DispatchLatLon corner = east_of (start, 100);
  DispatchLatLon end = north_of (corner, 100);
  g_autoptr(DsimRoute) route = dsim_route_new (start, (DsimNode) { 0, 1 }, corner);

  dsim_route_append (route, (DsimNode) { 1, 1 }, end);
  assert_near (dsim_route_get_position (route), start, 0.5);

  g_assert_false (dsim_route_advance (route, 50));
  assert_near (dsim_route_get_position (route), east_of (start, 50), 0.5);
  g_assert_cmpfloat (fabs (dsim_route_get_heading (route) - 90), <, 1);
  g_assert_cmpint (dsim_route_get_ahead (route).col, ==, 1);
  g_assert_cmpint (dsim_route_get_ahead (route).row, ==, 0);

  /* Round the corner: 50 m to it, 25 m north of it. */
  g_assert_false (dsim_route_advance (route, 75));
  assert_near (dsim_route_get_position (route), north_of (corner, 25), 0.5);
  g_assert_cmpfloat (fabs (dsim_route_get_heading (route)), <, 1);
  g_assert_cmpint (dsim_route_get_ahead (route).row, ==, 1);

  /* Past the end stops at the end. */
  g_assert_true (dsim_route_advance (route, 1000));
  assert_near (dsim_route_get_position (route), end, 0.5);
  g_assert_true (dsim_route_advance (route, 10));
}

/* A planned route runs along the streets to the intersection asked for. */
static void
test_grid_plan (void)
{
  DispatchBBox bbox = { 52.5150, 13.3950, 52.5200, 13.4030 };
  g_autoptr(GRand) rng = g_rand_new_with_seed (7);
  DsimGrid grid;

  g_assert_true (dsim_grid_init (&grid, &bbox, 100));
  g_assert_cmpint (grid.n_rows, >=, 5);
  g_assert_cmpint (grid.n_cols, >=, 5);

  for (guint trip = 0; trip < 50; trip++)
    {
      DsimNode from = dsim_grid_random_node (&grid, rng);
      DsimNode to = dsim_grid_random_node (&grid, rng);
      DispatchLatLon start = dsim_grid_position (&grid, from);
      DispatchLatLon target = dsim_grid_position (&grid, to);
      g_autoptr(DsimRoute) route = dsim_grid_plan (&grid, start, from, to, rng);
      double driven_m = 0;
      gboolean arrived = FALSE;

      g_assert_true (dsim_grid_nearest (&grid, target.lat, target.lon).row == to.row);
      g_assert_true (dsim_grid_nearest (&grid, target.lat, target.lon).col == to.col);
      /* Along the streets: never shorter than straight, never a detour. */
      while (!arrived)
        {
          arrived = dsim_route_advance (route, 10);
          driven_m += 10;
          g_assert_cmpfloat (driven_m, <=, dsim_grid_distance_m (&grid, from, to) + 10);
        }
      g_assert_cmpfloat (driven_m + 10, >=, dispatch_haversine_m (start.lat, start.lon,
                                                                  target.lat, target.lon));
      assert_near (dsim_route_get_position (route), target, 0.5);
    }
}

static DsimOptions *
parse_options (GError **error,
               ...)
{
  g_autoptr(DsdTestArgv) args = NULL;
  va_list ap;

  va_start (ap, error);
  args = dsd_test_argv_new_va ("dispatch-sim", ap);
  va_end (ap);

  return dsim_options_parse (&args->argc, &args->argv, error);
}

static void
test_options (void)
{
  g_autoptr(DsimOptions) options = NULL;
  g_autoptr(DsimOptions) refused = NULL;
  g_autoptr(GError) error = NULL;

  options = parse_options (&error, "--admin-password=secret", "--drivers=12", "--seed=5",
                           "--bbox=" SMALL_CITY, "--locations=ws", "--shift=2", NULL);
  g_assert_no_error (error);
  g_assert_cmpuint (options->n_drivers, ==, 12);
  g_assert_cmpuint (options->seed, ==, 5);
  g_assert_cmpint (options->locations, ==, DSIM_LOCATIONS_WS);
  g_assert_cmpfloat (options->shift_s, ==, 120);
  g_assert_cmpfloat (options->bbox.max_lon, ==, 13.4030);

  g_assert_false (options->proof_pin);
  g_clear_pointer (&options, dsim_options_free);
  options = parse_options (&error, "--admin-password=secret", "--proof=pin, signature", NULL);
  g_assert_no_error (error);
  g_assert_true (options->proof_pin && options->proof_signature && !options->proof_photo);

  refused = parse_options (&error, "--admin-password=secret", "--proof=pin,selfie", NULL);
  g_assert_null (refused);
  g_assert_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE);
  g_assert_nonnull (strstr (error->message, "--proof"));
  g_clear_error (&error);

  refused = parse_options (&error, "--admin-password=secret", "--drivers=0", NULL);
  g_assert_null (refused);
  g_assert_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE);
  g_assert_nonnull (strstr (error->message, "--drivers"));
  g_clear_error (&error);

  refused = parse_options (&error, "--admin-password=secret", "--bbox=" SMALL_CITY,
                           "--block=2000", NULL);
  g_assert_null (refused);
  g_assert_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE);
  g_assert_nonnull (strstr (error->message, "--bbox"));
}


/* A share of the orders with a ready time and a window, as wall-clock times. */
static void
test_demand_windows (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DsimOptions) options = NULL;
  g_autoptr(DsimOptions) refused = NULL;
  g_autoptr(DsimOptions) fast = NULL;
  g_autoptr(DsimDemand) demand = NULL;
  DsimGrid grid;
  DsimOrderSpec spec;
  guint n = 0;

  options = parse_options (&error, "--admin-password=secret", "--seed=7", "--bbox=" SMALL_CITY,
                           "--window-share=1", NULL);
  g_assert_no_error (error);
  g_assert_true (dsim_grid_init (&grid, &options->bbox, options->block_m));
  demand = dsim_demand_new (&grid, options);

  while (n < 20 && dsim_demand_next (demand, 1e9, &spec))
    {
      g_autoptr(JsonNode) body = dsim_order_spec_to_json (&spec, &grid, 1000000, 0.5);
      JsonObject *object = json_node_get_object (body);
      gint64 before_us = 0;

      g_assert_true ((spec.ready_in_s >= 300 && spec.ready_in_s <= 1500) ||
                     (spec.ready_in_s >= 2700 && spec.ready_in_s <= 5400));
      g_assert_cmpfloat (spec.window_from_s, >, spec.ready_in_s);
      g_assert_cmpfloat (spec.window_to_s, >, spec.window_from_s);
      g_assert_true (dispatch_parse_timestamp (json_object_get_string_member (object,
                                                                             "deliver_before"),
                                               &before_us));
      g_assert_cmpint (ABS (before_us - (1000000 + (gint64) (spec.window_to_s * 0.5e6))), <=, 1);
      g_assert_true (json_object_has_member (object, "ready_at"));
      dsim_order_spec_clear (&spec);
      n++;
    }
  g_assert_cmpuint (n, ==, 20);

  /* Without a speedup there is no wall clock to put them on. */
  fast = parse_options (&error, "--admin-password=secret", "--deterministic", "--speedup=0",
                        NULL);
  g_assert_no_error (error);
  g_assert_cmpfloat (fast->window_share, ==, 0);
  refused = parse_options (&error, "--admin-password=secret", "--deterministic", "--speedup=0",
                           "--window-share=0.5", NULL);
  g_assert_null (refused);
  g_assert_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE);
  g_assert_nonnull (strstr (error->message, "--window-share"));
}

/* Against the server ------------------------------------------------------ */

typedef struct {
  GSubprocess *process;
  char        *output;
  gboolean     done;
} SimRun;

static void
communicated_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  SimRun *run = user_data;
  g_autoptr(GError) error = NULL;

  g_subprocess_communicate_utf8_finish (G_SUBPROCESS (source), result, &run->output, NULL,
                                        &error);
  g_assert_no_error (error);
  run->done = TRUE;
}

static gboolean
run_done (gpointer user_data)
{
  SimRun *run = user_data;

  return run->done;
}

static char *
sim_path (void)
{
  return g_build_filename (g_getenv ("DISPATCH_TEST_TOP_BUILDDIR"), "sim", "dispatch-sim", NULL);
}

/* Runs dispatch-sim against server with args (NULL-terminated) to its end.
 * Returns its exit status; *out_output gets what it printed. */
static int
run_sim (DsdTestServer       *server,
         const char * const  *args,
         const char          *report_path,
         char               **out_output)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *program = sim_path ();
  SimRun run = { NULL };

  g_ptr_array_add (argv, program);
  g_ptr_array_add (argv, "--url");
  g_ptr_array_add (argv, (char *) dsd_test_server_get_url (server));
  g_ptr_array_add (argv, "--admin-password");
  g_ptr_array_add (argv, (char *) dsd_test_server_get_admin_password (server));
  g_ptr_array_add (argv, "--quiet");
  if (report_path != NULL)
    {
      g_ptr_array_add (argv, "--report");
      g_ptr_array_add (argv, (char *) report_path);
    }
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (char *) args[i]);
  g_ptr_array_add (argv, NULL);

  run.process = g_subprocess_newv ((const char * const *) argv->pdata,
                                   G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                   G_SUBPROCESS_FLAGS_STDERR_MERGE, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8_async (run.process, NULL, NULL, communicated_cb, &run);
  if (!dsd_test_run_until (run_done, &run, SIM_TIMEOUT_MS))
    {
      g_subprocess_force_exit (run.process);
      dsd_test_run_until (run_done, &run, 10 * 1000);
      g_error ("dispatch-sim did not finish within %d s:\n%s", SIM_TIMEOUT_MS / 1000,
               run.output);
    }

  g_subprocess_wait (run.process, NULL, &error);
  g_assert_no_error (error);
  g_test_message ("dispatch-sim said:\n%s", run.output);
  /* GLib's own complaints (criticals, warnings) mean a bug in the simulator. */
  g_assert_null (strstr (run.output, "CRITICAL"));
  g_assert_null (strstr (run.output, "WARNING"));
  *out_output = g_steal_pointer (&run.output);

  {
    int status = g_subprocess_get_if_exited (run.process)
                 ? g_subprocess_get_exit_status (run.process) : -1;

    g_object_unref (run.process);
    return status;
  }
}

/* Runs it and returns the "counts" of its JSON report, asserting success. */
static JsonObject *
run_sim_counts (DsdTestServer      *server,
                const char * const *args)
{
  g_autofree char *dir = dsd_test_make_tmp_dir ("dispatch-sim");
  g_autofree char *report_path = g_build_filename (dir, "report.json", NULL);
  g_autofree char *output = NULL;
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) report = NULL;
  JsonObject *counts;

  g_assert_cmpint (run_sim (server, args, report_path, &output), ==, 0);
  g_file_get_contents (report_path, &text, NULL, &error);
  g_assert_no_error (error);
  report = json_from_string (text, &error);
  g_assert_no_error (error);
  dsd_test_remove_tree (dir);

  counts = json_object_get_object_member (json_node_get_object (report), "counts");
  g_assert_nonnull (counts);
  return json_object_ref (counts);
}

static gint64
count_of (JsonObject *counts,
          const char *name)
{
  g_assert_true (json_object_has_member (counts, name));
  return json_object_get_int_member (counts, name);
}

/* Server log lines at level WARNING, CRITICAL or ERROR (the text format of
 * dsd-log: "TIMESTAMP LEVEL domain: message"): what must not appear. */
static char *
server_problems (DsdTestServer *server)
{
  g_autofree char *log = dsd_test_server_get_log (server);
  g_auto(GStrv) lines = g_strsplit (log, "\n", -1);
  GString *problems = g_string_new (NULL);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto(GStrv) fields = g_strsplit (lines[i], " ", 3);

      if (g_strv_length (fields) >= 2 &&
          (g_str_equal (fields[1], "WARNING") || g_str_equal (fields[1], "CRITICAL") ||
           g_str_equal (fields[1], "ERROR")))
        g_string_append_printf (problems, "%s\n", lines[i]);
    }

  return g_string_free (problems, FALSE);
}

/* Every order the server has: status → number. */
static GHashTable *
server_order_statuses (DsdTestServer *server)
{
  GHashTable *statuses = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *cursor = NULL;

  do
    {
      g_autoptr(DsdTestResponse) response = NULL;
      g_autofree char *path = NULL;
      g_autofree char *escaped = cursor ? g_uri_escape_string (cursor, NULL, FALSE) : NULL;
      JsonArray *orders;

      path = g_strdup_printf ("/api/v1/orders?limit=500%s%s", escaped ? "&next=" : "",
                              escaped ? escaped : "");
      response = dsd_test_request (server, "GET", path,
                                   dsd_test_server_get_admin_token (server), NULL, NULL);
      g_assert_cmpuint (response->status, ==, 200);
      orders = json_object_get_array_member (dsd_test_response_object (response), "orders");
      for (guint i = 0; i < json_array_get_length (orders); i++)
        {
          const char *status = json_object_get_string_member (
            json_array_get_object_element (orders, i), "status");
          guint n = GPOINTER_TO_UINT (g_hash_table_lookup (statuses, status));

          g_hash_table_replace (statuses, g_strdup (status), GUINT_TO_POINTER (n + 1));
        }

      g_free (cursor);
      cursor = g_strdup (dsd_test_response_string (response, "next"));
    }
  while (cursor != NULL);

  return statuses;
}

static guint
status_count (GHashTable *statuses,
              const char *status)
{
  return GPOINTER_TO_UINT (g_hash_table_lookup (statuses, status));
}

/* Same seed, two fresh servers without automatic dispatch (the simulator
 * dispatches): the same count of every event type. Short shifts and breaks,
 * failures and a busy fleet make every kind of event happen. */
static void
test_deterministic (void)
{
  const char * const env[] = { "DISPATCH_ROLES=api,relay,notifier", NULL };
  const char * const args[] = {
    "--deterministic", "--speedup", "0", "--seed", "4242", "--duration", "180",
    "--drivers", "10", "--customers", "3", "--order-rate", "12", "--assign",
    "--bbox", SMALL_CITY, "--dwell", "10", "--fail-rate", "0.2",
    "--shift", "1.5", "--break", "1", "--proof", "pin,photo", NULL
  };
  g_autoptr(JsonObject) first = NULL;
  g_autoptr(JsonObject) second = NULL;
  GList *names;

  for (guint run = 0; run < 2; run++)
    {
      DsdTestServer *server = dsd_test_server_start (env);
      g_autofree char *problems = NULL;

      if (run == 0)
        first = run_sim_counts (server, args);
      else
        second = run_sim_counts (server, args);
      problems = server_problems (server);
      g_assert_cmpstr (problems, ==, "");
      dsd_test_server_free (server);
    }

  names = json_object_get_members (first);
  for (GList *l = names; l != NULL; l = l->next)
    {
      g_test_message ("%s: %" G_GINT64_FORMAT " / %" G_GINT64_FORMAT, (char *) l->data,
                      count_of (first, l->data), count_of (second, l->data));
      g_assert_cmpint (count_of (first, l->data), ==, count_of (second, l->data));
    }
  g_list_free (names);
  g_assert_cmpuint (json_object_get_size (first), ==, json_object_get_size (second));

  /* The run did exercise the life of orders and shifts. */
  g_assert_cmpint (count_of (first, "errors"), ==, 0);
  g_assert_cmpint (count_of (first, "orders_created"), >=, 20);
  g_assert_cmpint (count_of (first, "orders_picked_up"), >, 0);
  g_assert_cmpint (count_of (first, "orders_delivered"), >, 0);
  g_assert_cmpint (count_of (first, "orders_failed"), >, 0);
  /* Every delivery with the customer's PIN and a photo (--proof pin,photo) */
  g_assert_cmpint (count_of (first, "pins_entered"), >=, count_of (first, "orders_delivered"));
  g_assert_cmpint (count_of (first, "proof_images"), >=, count_of (first, "orders_delivered"));
  g_assert_cmpint (count_of (first, "shifts_ended"), >, 0);
  g_assert_cmpint (count_of (first, "location_points"), >, 0);
  /* Nothing but the simulator assigned: otherwise the run was not deterministic. */
  g_assert_cmpint (count_of (first, "assignments_made"), ==,
                   count_of (first, "orders_assigned"));
}

/* 60 simulated seconds at four times real speed, with whatever automation the
 * server has and the simulator as a fallback dispatcher. */
static void
test_realtime (void)
{
  const char * const args[] = {
    "--speedup", "4", "--duration", "60", "--seed", "7", "--drivers", "12",
    "--customers", "3", "--order-rate", "6", "--online-fraction", "1", "--assign",
    "--bbox", SMALL_CITY, "--dwell", "8", "--fail-rate", "0.2", "--proof", "pin,photo", NULL
  };
  const char * const bad_password[] = { "--admin-password", "not-the-password", NULL };
  DsdTestServer *server = dsd_test_server_start (NULL);
  g_autoptr(JsonObject) counts = NULL;
  g_autoptr(GHashTable) statuses = NULL;
  g_autofree char *problems = NULL;
  g_autofree char *output = NULL;
  guint total = 0;
  GHashTableIter iter;
  gpointer status, n;

  counts = run_sim_counts (server, args);
  statuses = server_order_statuses (server);

  g_assert_cmpint (count_of (counts, "errors"), ==, 0);
  g_assert_cmpint (count_of (counts, "orders_created"), >, 0);

  /* Every order is taken or finished: none lost, none stuck unassigned. */
  g_hash_table_iter_init (&iter, statuses);
  while (g_hash_table_iter_next (&iter, &status, &n))
    {
      g_test_message ("server: %u %s", GPOINTER_TO_UINT (n), (char *) status);
      g_assert_true (g_str_equal (status, "assigned") || g_str_equal (status, "picked_up") ||
                     g_str_equal (status, "delivered") || g_str_equal (status, "failed") ||
                     g_str_equal (status, "cancelled"));
      total += GPOINTER_TO_UINT (n);
    }
  g_assert_cmpint (total, ==, count_of (counts, "orders_created"));

  /* What drivers reported is what the server has. */
  g_assert_cmpint (status_count (statuses, "delivered"), ==,
                   count_of (counts, "orders_delivered"));
  g_assert_cmpint (status_count (statuses, "failed"), ==, count_of (counts, "orders_failed"));
  /* Proof of delivery: no delivery without its PIN and photo */
  g_assert_cmpint (count_of (counts, "pins_entered"), >=, count_of (counts, "orders_delivered"));
  g_assert_cmpint (count_of (counts, "proof_images"), >=, count_of (counts, "orders_delivered"));
  g_assert_cmpint (status_count (statuses, "picked_up"), ==,
                   count_of (counts, "orders_picked_up") - count_of (counts, "orders_delivered")
                   - count_of (counts, "orders_failed"));

  problems = server_problems (server);
  g_assert_cmpstr (problems, ==, "");

  /* A wrong admin password: a clear message and a failure status. */
  g_assert_cmpint (run_sim (server, bad_password, NULL, &output), ==, 1);
  g_assert_nonnull (strstr (output, "Cannot log in as the admin"));

  dsd_test_server_free (server);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/sim/route", test_route);
  g_test_add_func ("/sim/grid/plan", test_grid_plan);
  g_test_add_func ("/sim/options", test_options);
  g_test_add_func ("/sim/demand-windows", test_demand_windows);
  g_test_add_func ("/sim/deterministic", test_deterministic);
  g_test_add_func ("/sim/realtime", test_realtime);

  return g_test_run ();
}
