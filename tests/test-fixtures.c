/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The fixtures stop what they start even when the test process dies: a child
 * test process starts a server (or a cluster), writes down what it started
 * and aborts; its processes and directories must go away.
 */
#include "config.h"

#include <stdlib.h>

#include "test-server.h"
#include "test-utils.h"

/* The file where the aborting child writes "PID PID DIR". */
#define RECORD_VARIABLE "DSD_TEST_FIXTURES_RECORD"
#define ABORTED_TIMEOUT_MS 60000

typedef struct {
  int   pids[2];
  char *dir;
} Record;

static void
write_record (int         pid_a,
              int         pid_b,
              const char *dir)
{
  g_autofree char *text = g_strdup_printf ("%d %d %s", pid_a, pid_b, dir);
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (pid_a, >, 0);
  g_assert_cmpint (pid_b, >, 0);
  g_file_set_contents (g_getenv (RECORD_VARIABLE), text, -1, &error);
  g_assert_no_error (error);
}

static int
postmaster_pid (const char *data_dir)
{
  g_autofree char *path = g_build_filename (data_dir, "postgresql", "postmaster.pid", NULL);
  g_autofree char *contents = NULL;

  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  return atoi (contents);
}

static gboolean
all_gone (gpointer user_data)
{
  const Record *record = user_data;

  return !dsd_test_process_alive (record->pids[0]) && !dsd_test_process_alive (record->pids[1]) &&
         !g_file_test (record->dir, G_FILE_TEST_EXISTS);
}

/* Runs this test in a child that aborts, then waits for what it recorded to
 * be gone. */
static void
abort_child_and_check (void)
{
  g_autofree char *tmp_dir = dsd_test_make_tmp_dir ("dsd-test-fixtures");
  g_autofree char *path = g_build_filename (tmp_dir, "record", NULL);
  g_autofree char *contents = NULL;
  g_auto(GStrv) fields = NULL;
  Record record;

  g_setenv (RECORD_VARIABLE, path, TRUE);
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_failed ();

  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  fields = g_strsplit (contents, " ", 3);
  g_assert_cmpuint (g_strv_length (fields), ==, 3);
  record = (Record) { { atoi (fields[0]), atoi (fields[1]) }, fields[2] };
  g_test_message ("aborted child left PIDs %d and %d and %s", record.pids[0], record.pids[1],
                  record.dir);

  g_assert_true (dsd_test_run_until (all_gone, &record, ABORTED_TIMEOUT_MS));
  dsd_test_remove_tree (tmp_dir);
}

/* dispatchd with its managed cluster. */
static void
test_server_dies_with_test (void)
{
  if (g_test_subprocess ())
    {
      DsdTestServer *server = dsd_test_server_start (NULL);
      const char *data_dir = dsd_test_server_get_data_dir (server);

      write_record (dsd_test_server_get_pid (server), postmaster_pid (data_dir), data_dir);
      abort ();
    }

  abort_child_and_check ();
}

/* A cluster of the test's own (DsdTestPg). */
static void
test_pg_dies_with_test (void)
{
  if (g_test_subprocess ())
    {
      DsdTestPg *pg = dsd_test_pg_new ();

      write_record (dsd_test_pg_get_pid (pg), dsd_test_pg_get_pid (pg), pg->tmp_dir);
      abort ();
    }

  abort_child_and_check ();
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/fixtures/server-dies-with-test", test_server_dies_with_test);
  g_test_add_func ("/fixtures/pg-dies-with-test", test_pg_dies_with_test);

  return g_test_run ();
}
