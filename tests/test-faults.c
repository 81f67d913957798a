/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Database faults (issue 16, items 3 and 4; TARGETS R4): the managed
 * PostgreSQL of a server of our own hangs (SIGSTOP of every process, for a
 * bounded time) or dies (kill -9 of the postmaster).
 */
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "dsd-pg-pool.h"
#include "test-server.h"
#include "test-utils.h"

/* Longest a hung database may stay hung, even if this test dies meanwhile. */
#define FREEZE_BOUND_S 60
/* Long enough for any answer that the pool's deadlines bound. */
#define ANSWER_TIMEOUT_MS (DSD_PG_POOL_QUERY_DEADLINE_MS + DSD_PG_POOL_ACQUIRE_TIMEOUT_MS + 5000)

/* SIGSTOP of every process of the server's database, with a watchdog process
 * that sends SIGCONT after FREEZE_BOUND_S whatever happens to us. */
static GSubprocess *
freeze_database (DsdTestServer *server)
{
  g_autoptr(GArray) pids = dsd_test_server_get_database_pids (server);
  g_autoptr(GString) script = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  GSubprocess *watchdog;

  g_string_append_printf (script, "sleep %d; kill -CONT", FREEZE_BOUND_S);
  for (guint i = 0; i < pids->len; i++)
    g_string_append_printf (script, " %d", g_array_index (pids, int, i));

  watchdog = g_subprocess_new (G_SUBPROCESS_FLAGS_NONE, &error, "sh", "-c", script->str, NULL);
  g_assert_no_error (error);

  dsd_test_server_signal_database (server, SIGSTOP);
  return watchdog;
}

static void
thaw_database (DsdTestServer *server,
               GSubprocess   *watchdog)
{
  dsd_test_server_signal_database (server, SIGCONT);
  g_subprocess_force_exit (watchdog);
  g_subprocess_wait (watchdog, NULL, NULL);
  g_object_unref (watchdog);
}

static DsdTestResponse *
request_within (DsdTestServer *server,
                const char    *path,
                const char    *token)
{
  GAsyncResult *slot = NULL;
  g_autoptr(GAsyncResult) result = NULL;

  dsd_test_request_async (server, "GET", path, token, NULL, dsd_test_store_result_cb, &slot);
  result = dsd_test_wait_result (&slot, ANSWER_TIMEOUT_MS);

  return dsd_test_request_finish (server, result);
}

static void
assert_unavailable (DsdTestResponse *response)
{
  dsd_test_assert_error (response, 503, "unavailable", NULL);
  g_assert_nonnull (soup_message_headers_get_one (response->headers, "Retry-After"));
}

typedef struct {
  DsdTestServer *server;
  const char    *token;
} Probe;

static gboolean
orders_answer (gpointer user_data)
{
  Probe *probe = user_data;
  g_autoptr(DsdTestResponse) response = request_within (probe->server, "/api/v1/orders",
                                                        probe->token);

  return response->status == 200;
}

static gboolean
is_ready (gpointer user_data)
{
  Probe *probe = user_data;
  g_autoptr(DsdTestResponse) response = request_within (probe->server, "/readyz", NULL);

  return response->status == 200;
}

/* A hung database: requests get 503 + Retry-After within the pool's deadlines
 * instead of hanging, /readyz says the database is down, and both recover
 * once it runs again. */
static void
test_hung_database (void)
{
  DsdTestServer *server = dsd_test_server_start (NULL);
  g_autofree char *token = g_strdup (dsd_test_server_get_admin_token (server));
  Probe probe = { server, token };
  g_autoptr(DsdTestResponse) before = NULL;
  g_autoptr(DsdTestResponse) during = NULL;
  g_autoptr(DsdTestResponse) again = NULL;
  g_autoptr(DsdTestResponse) readyz = NULL;
  g_autoptr(DsdTestResponse) healthz = NULL;
  GSubprocess *watchdog;
  JsonObject *components;
  gint64 thawed_us;

  before = request_within (server, "/api/v1/orders", token);
  g_assert_cmpuint (before->status, ==, 200);

  watchdog = freeze_database (server);

  during = request_within (server, "/api/v1/orders", token);
  assert_unavailable (during);
  again = request_within (server, "/api/v1/orders", token);
  assert_unavailable (again);

  readyz = request_within (server, "/readyz", NULL);
  g_assert_cmpuint (readyz->status, ==, 503);
  g_assert_cmpstr (dsd_test_response_string (readyz, "status"), ==, "not_ready");
  components = json_object_get_object_member (dsd_test_response_object (readyz), "components");
  g_assert_cmpstr (json_object_get_string_member (components, "database"), ==, "down");
  healthz = request_within (server, "/healthz", NULL);
  g_assert_cmpuint (healthz->status, ==, 200);

  thaw_database (server, watchdog);
  thawed_us = g_get_monotonic_time ();
  g_assert_true (dsd_test_run_until (orders_answer, &probe, 30000));
  g_assert_true (dsd_test_run_until (is_ready, &probe, 30000));
  g_test_message ("serving again %.2f s after SIGCONT (R4 target: <= 5 s)",
                  (g_get_monotonic_time () - thawed_us) / (double) G_USEC_PER_SEC);

  dsd_test_server_free (server);
}

typedef struct {
  DsdTestServer *server;
  int            old_pid;
} Postmaster;

static gboolean
postmaster_replaced (gpointer user_data)
{
  Postmaster *postmaster = user_data;
  int pid = dsd_test_server_get_postmaster_pid (postmaster->server);

  return pid != 0 && pid != postmaster->old_pid;
}

/* kill -9 of the managed postmaster: logged, restarted, the pool recovers. */
static void
test_postmaster_killed (void)
{
  DsdTestServer *server = dsd_test_server_start (NULL);
  g_autofree char *token = g_strdup (dsd_test_server_get_admin_token (server));
  Probe probe = { server, token };
  g_autoptr(DsdTestResponse) before = NULL;
  g_autofree char *log = NULL;
  int postmaster = dsd_test_server_get_postmaster_pid (server);
  gint64 killed_us;

  before = request_within (server, "/api/v1/orders", token);
  g_assert_cmpuint (before->status, ==, 200);

  g_assert_cmpint (kill (postmaster, SIGKILL), ==, 0);
  killed_us = g_get_monotonic_time ();
  g_assert_true (dsd_test_run_until (postmaster_replaced,
                                     &(Postmaster) { server, postmaster }, 60000));
  g_assert_true (dsd_test_run_until (orders_answer, &probe, 30000));
  g_test_message ("serving again %.2f s after kill -9 of the postmaster",
                  (g_get_monotonic_time () - killed_us) / (double) G_USEC_PER_SEC);
  g_assert_cmpint (dsd_test_server_get_pid (server), >, 0);

  log = dsd_test_server_get_log (server);
  g_assert_nonnull (strstr (log, "PostgreSQL exited unexpectedly"));
  g_assert_nonnull (strstr (log, "PostgreSQL is back"));

  dsd_test_server_free (server);
}

/* A database that cannot come back: dispatchd gives up after its bounded
 * restarts and exits non-zero, for systemd to act. */
static void
test_postmaster_lost (void)
{
  DsdTestServer *server = dsd_test_server_start (NULL);
  g_autofree char *version = g_build_filename (dsd_test_server_get_data_dir (server),
                                               "postgresql", "PG_VERSION", NULL);
  g_autofree char *hidden = g_strconcat (version, ".hidden", NULL);
  g_autofree char *log = NULL;
  int status = 0;

  /* postgres refuses a data directory without PG_VERSION. */
  g_assert_cmpint (g_rename (version, hidden), ==, 0);
  g_assert_cmpint (kill (dsd_test_server_get_postmaster_pid (server), SIGKILL), ==, 0);

  g_assert_true (dsd_test_server_wait_exit (server, 120000, &status));
  g_assert_cmpint (status, !=, 0);
  log = dsd_test_server_get_log (server);
  g_assert_nonnull (strstr (log, "PostgreSQL could not be restarted"));

  g_assert_cmpint (g_rename (hidden, version), ==, 0);
  dsd_test_server_free (server);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/faults/hung-database", test_hung_database);
  g_test_add_func ("/faults/postmaster-killed", test_postmaster_killed);
  g_test_add_func ("/faults/postmaster-lost", test_postmaster_lost);

  return g_test_run ();
}
