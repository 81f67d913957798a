/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <signal.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "test-server.h"
#include "test-utils.h"

#define ORDERS_PER_ROUND 10
#define ROUNDS 3

/*
 * TARGETS R1: an order answered 201 survives kill -9 of the server, and a
 * retry with the same Idempotency-Key after the restart returns that order
 * instead of creating another.
 */
static void
test_kill_restart (void)
{
  DsdTestServer *server = dsd_test_server_start (NULL);
  g_autofree char *customer = dsd_test_create_user (server, "customer", NULL, NULL);
  g_autoptr(GPtrArray) acknowledged = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) keys = g_ptr_array_new_with_free_func (g_free);
  const char *body = "{\"pickup\":{\"lat\":1,\"lon\":1},\"dropoff\":{\"lat\":2,\"lon\":2}}";

  for (guint round = 0; round < ROUNDS; round++)
    {
      for (guint i = 0; i < ORDERS_PER_ROUND; i++)
        {
          g_autofree char *key = dsd_test_unique_name ("durable");
          g_autoptr(DsdTestResponse) response = NULL;

          response = dsd_test_request (server, "POST", "/api/v1/orders", customer, body,
                                       "Idempotency-Key", key, NULL);
          g_assert_cmpuint (response->status, ==, 201);
          g_ptr_array_add (acknowledged, g_strdup (dsd_test_response_string (response, "id")));
          g_ptr_array_add (keys, g_steal_pointer (&key));
        }

      dsd_test_server_stop (server, TRUE);
      dsd_test_server_restart (server);
    }

  for (guint i = 0; i < acknowledged->len; i++)
    {
      g_autofree char *path = g_strdup_printf ("/api/v1/orders/%s",
                                               (char *) acknowledged->pdata[i]);
      g_autoptr(DsdTestResponse) fetched = NULL;
      g_autoptr(DsdTestResponse) retried = NULL;

      fetched = dsd_test_request (server, "GET", path, customer, NULL, NULL);
      g_assert_cmpuint (fetched->status, ==, 200);

      retried = dsd_test_request (server, "POST", "/api/v1/orders", customer, body,
                                  "Idempotency-Key", keys->pdata[i], NULL);
      g_assert_cmpuint (retried->status, ==, 201);
      g_assert_cmpstr (dsd_test_response_string (retried, "id"), ==, acknowledged->pdata[i]);
    }

  {
    g_autoptr(DsdTestResponse) list = NULL;

    list = dsd_test_request (server, "GET", "/api/v1/orders?limit=500", customer, NULL, NULL);
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (
                        dsd_test_response_object (list), "orders")), ==, acknowledged->len);
  }

  dsd_test_server_free (server);
}

/* SIGTERM stops the server and its managed cluster cleanly. */
static void
test_graceful_stop (void)
{
  DsdTestServer *server = dsd_test_server_start (NULL);
  g_autofree char *log = NULL;

  dsd_test_server_stop (server, FALSE);
  log = dsd_test_server_get_log (server);
  g_assert_nonnull (strstr (log, "Stopped"));
  dsd_test_server_restart (server);
  dsd_test_server_free (server);
}

#define LOAD_IN_FLIGHT 8
#define ORDER_BODY "{\"pickup\":{\"lat\":52.52,\"lon\":13.40}," \
                   "\"dropoff\":{\"lat\":52.53,\"lon\":13.41}}"

/* Orders created without pause, LOAD_IN_FLIGHT at a time. */
typedef struct {
  DsdTestServer *server;
  GPtrArray     *acknowledged;   /* ids answered 201, in order */
  guint          in_flight;
  gboolean       stopping;
} Load;

static void order_created_cb (GObject      *source,
                              GAsyncResult *result,
                              gpointer      user_data);

static void
send_order (Load *load)
{
  load->in_flight++;
  dsd_test_request_async (load->server, "POST", "/api/v1/orders",
                          dsd_test_server_get_admin_token (load->server), ORDER_BODY,
                          order_created_cb, load);
}

static void
order_created_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  Load *load = user_data;
  g_autoptr(DsdTestResponse) response = dsd_test_request_finish (load->server, result);

  load->in_flight--;
  g_assert_cmpuint (response->status, ==, 201);
  g_ptr_array_add (load->acknowledged, g_strdup (dsd_test_response_string (response, "id")));
  if (!load->stopping)
    send_order (load);
}

static gboolean
load_drained (gpointer user_data)
{
  return ((Load *) user_data)->in_flight == 0;
}

static gboolean
has_acknowledged (gpointer user_data)
{
  return ((Load *) user_data)->acknowledged->len >= 50;
}

static gboolean
subprocess_done (gpointer user_data)
{
  return g_subprocess_get_identifier (user_data) == NULL;
}

/* dispatchctl COMMAND FILE on data_dir; its exit status (the main loop runs). */
static int
dispatchctl (const char *command,
             const char *file,
             const char *data_dir)
{
  /* Its report goes to stderr: stdout is this test's TAP stream. */
  g_autoptr(GSubprocessLauncher) launcher = dsd_test_launcher_new (G_SUBPROCESS_FLAGS_NONE,
                                                                   SIGTERM);
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *program = g_build_filename (g_getenv ("DISPATCH_TEST_TOP_BUILDDIR"), "server",
                                               "dispatchctl", NULL);

  g_subprocess_launcher_take_stdout_fd (launcher, dup (STDERR_FILENO));

  g_subprocess_launcher_unsetenv (launcher, "DATABASE_URL");
  g_subprocess_launcher_setenv (launcher, "DISPATCH_DATA_DIR", data_dir, TRUE);
  process = g_subprocess_launcher_spawn (launcher, &error, program, command, file, NULL);
  g_assert_no_error (error);
  g_subprocess_wait_async (process, NULL, NULL, NULL);
  g_assert_true (dsd_test_run_until (subprocess_done, process, 180000));

  return g_subprocess_get_exit_status (process);
}

/* Issue 16, item 14: dispatchctl backup while orders pour in, restore into a
 * new data directory, a server starts on it and holds every order
 * acknowledged before the backup began. */
static void
test_backup_restore (void)
{
  DsdTestServer *server = dsd_test_server_start (NULL);
  g_autofree char *dir = dsd_test_make_tmp_dir ("backup");
  g_autofree char *file = g_build_filename (dir, "dispatch.backup", NULL);
  g_autofree char *restored_dir = g_build_filename (dir, "restored", NULL);
  Load load = { server, g_ptr_array_new_with_free_func (g_free), 0, FALSE };
  g_autoptr(GPtrArray) before = g_ptr_array_new_with_free_func (g_free);
  DsdTestServer *restored;
  guint during;

  g_assert_cmpint (g_chmod (dir, 0711), ==, 0);
  for (guint i = 0; i < LOAD_IN_FLIGHT; i++)
    send_order (&load);
  g_assert_true (dsd_test_run_until (has_acknowledged, &load, 60000));

  for (guint i = 0; i < load.acknowledged->len; i++)
    g_ptr_array_add (before, g_strdup (g_ptr_array_index (load.acknowledged, i)));
  g_assert_cmpint (dispatchctl ("backup", file, dsd_test_server_get_data_dir (server)), ==, 0);
  during = load.acknowledged->len - before->len;
  load.stopping = TRUE;
  g_assert_true (dsd_test_run_until (load_drained, &load, 60000));
  g_test_message ("%u orders acknowledged before the backup, %u while it ran",
                  before->len, during);
  g_assert_cmpuint (during, >, 0);

  /* The server still runs: dispatchctl left its database alone. */
  {
    g_autoptr(DsdTestResponse) still = dsd_test_request (server, "GET", "/readyz", NULL, NULL,
                                                         NULL);

    g_assert_cmpuint (still->status, ==, 200);
  }

  g_assert_cmpint (g_mkdir (restored_dir, 0700), ==, 0);
  g_assert_cmpint (dispatchctl ("restore", file, restored_dir), ==, 0);
  restored = dsd_test_server_start_in (restored_dir, NULL);

  for (guint i = 0; i < before->len; i++)
    {
      g_autofree char *path = g_strdup_printf ("/api/v1/orders/%s",
                                               (char *) g_ptr_array_index (before, i));
      g_autoptr(DsdTestResponse) order = dsd_test_request (restored, "GET", path,
                                                           dsd_test_server_get_admin_token (restored),
                                                           NULL, NULL);

      g_assert_cmpuint (order->status, ==, 200);
    }

  /* A restore never mixes with data: into a database in use, refused. */
  g_assert_cmpint (dispatchctl ("restore", file, restored_dir), !=, 0);
  {
    g_autoptr(DsdTestResponse) still = dsd_test_request (restored, "GET", "/readyz", NULL, NULL,
                                                         NULL);

    g_assert_cmpuint (still->status, ==, 200);
  }

  dsd_test_server_free (restored);
  dsd_test_server_free (server);
  g_ptr_array_unref (load.acknowledged);
  dsd_test_remove_tree (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/durability/kill-restart", test_kill_restart);
  g_test_add_func ("/durability/graceful-stop", test_graceful_stop);
  g_test_add_func ("/durability/backup-restore", test_backup_restore);

  return g_test_run ();
}
