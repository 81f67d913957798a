/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dispatchctl"

#include "config.h"

#include <errno.h>
#include <locale.h>
#include <stdio.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include <libsoup/soup.h>

#include "dispatch-json.h"
#include "dispatch-limits.h"
#include "dispatch-username.h"
#include "dsd-config.h"
#include "dsd-kafka-tools.h"
#include "dsd-log.h"
#include "dsd-migrations.h"
#include "dsd-password.h"
#include "dsd-pg-cluster.h"
#include "dsd-pg-pool.h"
#include "dsd-principal.h"

static const char usage[] =
  "Usage: dispatchctl COMMAND [ARGS]\n"
  "\n"
  "Commands:\n"
  "  migrate                         Apply pending database migrations\n"
  "  user add USERNAME ROLE          Create a user (password read from standard input;\n"
  "                                  ROLE is admin, dispatcher, driver or customer)\n"
  "  health [URL]                    Query /readyz of a running server\n"
  "                                  (default http://127.0.0.1:8080)\n"
  "  dead-letters list               Print the records of the Kafka dead-letter topic,\n"
  "                                  one JSON object a line (cluster mode)\n"
  "  replay [--from-seq N] [--to-seq N] [--since TIME] [--until TIME] [--topic NAME]\n"
  "                                  Publish archived events again, with their seq, to\n"
  "                                  the events topic (or NAME); TIME is RFC 3339\n"
  "  backup FILE                     Write a consistent backup of the database to FILE\n"
  "                                  (pg_dump custom format; online, while dispatchd runs)\n"
  "  restore FILE                    Load a backup into an empty database (a new\n"
  "                                  DISPATCH_DATA_DIR), then start dispatchd on it\n"
  "\n"
  "The database is DATABASE_URL, or the managed cluster in DISPATCH_DATA_DIR.\n";

/* The database to work on, starting the managed cluster when there is no
 * DATABASE_URL (a cluster already run by dispatchd is reused). */
typedef struct {
  DsdConfig    *config;
  DsdPgCluster *cluster;
  char         *conninfo;
} Database;

typedef struct {
  gboolean  done;
  gboolean  ok;
  GError  **error;
} ClusterStart;

static void
cluster_started_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  ClusterStart *start = user_data;

  start->ok = dsd_pg_cluster_start_finish (DSD_PG_CLUSTER (source), result, start->error);
  start->done = TRUE;
}

static gboolean
database_open (Database  *db,
               GError   **error)
{
  ClusterStart start = { FALSE, FALSE, error };

  db->config = dsd_config_new ();
  if (!dsd_config_load_defaults_from_environ (db->config, error))
    return FALSE;

  if (db->config->database_url != NULL)
    {
      db->conninfo = g_strdup (db->config->database_url);
      return TRUE;
    }

  db->cluster = dsd_pg_cluster_new (dsd_config_get_data_dir (db->config));
  dsd_pg_cluster_start_async (db->cluster, NULL, cluster_started_cb, &start);
  while (!start.done)
    g_main_context_iteration (NULL, TRUE);

  if (!start.ok)
    return FALSE;

  db->conninfo = g_strdup (dsd_pg_cluster_get_conninfo (db->cluster));
  return TRUE;
}

static void
database_close (Database *db)
{
  /* A cluster a running dispatchd uses stays up. */
  if (db->cluster != NULL && !dsd_pg_cluster_is_reused (db->cluster))
    dsd_pg_cluster_stop (db->cluster);
  g_clear_object (&db->cluster);
  g_clear_pointer (&db->config, dsd_config_free);
  g_clear_pointer (&db->conninfo, g_free);
}

static int
migrate (GError **error)
{
  Database db = { 0 };
  guint n_applied = 0;
  gboolean ok;

  ok = database_open (&db, error) && dsd_migrations_apply (db.conninfo, &n_applied, error);
  if (ok)
    g_print ("Applied %u migrations\n", n_applied);
  database_close (&db);

  return ok ? 0 : 1;
}

static char *
read_password (GError **error)
{
  g_autoptr(GIOChannel) in = g_io_channel_unix_new (STDIN_FILENO);
  g_autofree char *line = NULL;

  if (isatty (STDIN_FILENO))
    g_printerr ("Password: ");

  if (g_io_channel_read_line (in, &line, NULL, NULL, error) != G_IO_STATUS_NORMAL ||
      line == NULL)
    {
      if (error != NULL && *error == NULL)
        g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                             "No password on standard input");
      return NULL;
    }

  g_strchomp (line);
  if (g_utf8_strlen (line, -1) < DISPATCH_PASSWORD_MIN_LENGTH)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "The password must be at least %d characters", DISPATCH_PASSWORD_MIN_LENGTH);
      return NULL;
    }

  return g_steal_pointer (&line);
}

static int
user_add (const char  *username,
          const char  *role,
          GError     **error)
{
  g_autofree char *password = NULL;
  g_autofree char *hash = NULL;
  g_autoptr(PGresult) rows = NULL;
  Database db = { 0 };
  DsdRole parsed_role;

  if (!dispatch_username_validate (username, error))
    return 1;
  if (!dsd_role_from_string (role, &parsed_role))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "The role must be admin, dispatcher, driver or customer");
      return 1;
    }

  if (!dsd_password_init (error) ||
      (password = read_password (error)) == NULL ||
      (hash = dsd_password_hash (password, error)) == NULL ||
      !database_open (&db, error) ||
      !dsd_migrations_apply (db.conninfo, NULL, error))
    {
      database_close (&db);
      return 1;
    }

  rows = dsd_pg_exec_sync (db.conninfo, "SELECT dispatch.user_create($1, $2, $3, NULL, NULL)",
                           3, (const char * const[]) { username, hash, role }, error);
  database_close (&db);
  if (rows == NULL)
    return 1;

  g_print ("%s\n", PQgetvalue (rows, 0, 0));
  return 0;
}

/* pg_dump, pg_restore: the managed cluster's own, else from PATH. */
static char *
database_tool (Database   *db,
               const char *name)
{
  if (db->cluster != NULL)
    return dsd_pg_cluster_get_tool (db->cluster, name);

  return g_strdup (name);
}

/* Runs argv to its end; FALSE with its standard error when it fails. */
static gboolean
run_tool (const char * const  *argv,
          GError             **error)
{
  g_autoptr(GSubprocess) tool = NULL;
  g_autofree char *errors = NULL;

  tool = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                                  G_SUBPROCESS_FLAGS_STDERR_PIPE, error);
  if (tool == NULL || !g_subprocess_communicate_utf8 (tool, NULL, NULL, NULL, &errors, error))
    return FALSE;

  if (!g_subprocess_get_successful (tool))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s failed: %s", argv[0],
                   g_strstrip (errors));
      return FALSE;
    }

  return TRUE;
}

/* pg_dump in one snapshot (a consistent copy while dispatchd writes), into a
 * temporary file renamed over FILE at the end: FILE is never half written. */
static int
backup (const char  *file,
        GError     **error)
{
  g_autofree char *pg_dump = NULL;
  g_autofree char *partial = g_strconcat (file, ".partial", NULL);
  g_autofree char *file_arg = g_strconcat ("--file=", partial, NULL);
  g_autofree char *dbname_arg = NULL;
  Database db = { 0 };
  gboolean ok = FALSE;

  if (database_open (&db, error))
    {
      pg_dump = database_tool (&db, "pg_dump");
      dbname_arg = g_strconcat ("--dbname=", db.conninfo, NULL);
      ok = run_tool ((const char * const[]) {
                       pg_dump, "--format=custom", "--no-password", file_arg, dbname_arg, NULL
                     }, error) &&
           g_rename (partial, file) == 0;
      if (!ok && error != NULL && *error == NULL)
        g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "Cannot write %s: %s",
                     file, g_strerror (errno));
      g_unlink (partial);
    }
  database_close (&db);

  if (ok)
    g_print ("Backup written to %s\n", file);
  return ok ? 0 : 1;
}

/* Into an empty database only: a restore never mixes with existing data. */
static int
restore (const char  *file,
         GError     **error)
{
  g_autofree char *pg_restore = NULL;
  g_autofree char *dbname_arg = NULL;
  g_autoptr(PGresult) rows = NULL;
  Database db = { 0 };
  gboolean ok = FALSE;

  if (!g_file_test (file, G_FILE_TEST_IS_REGULAR))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "No backup file %s", file);
      return 1;
    }

  if (database_open (&db, error) &&
      (rows = dsd_pg_exec_sync (db.conninfo,
                                "SELECT to_regnamespace('dispatch') IS NULL AND "
                                "to_regclass('public.schema_migrations') IS NULL",
                                0, NULL, error)) != NULL)
    {
      if (!g_str_equal (PQgetvalue (rows, 0, 0), "t"))
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                               "The database is not empty: restore into a new "
                               "DISPATCH_DATA_DIR (or an empty DATABASE_URL)");
        }
      else
        {
          pg_restore = database_tool (&db, "pg_restore");
          dbname_arg = g_strconcat ("--dbname=", db.conninfo, NULL);
          ok = run_tool ((const char * const[]) {
                           pg_restore, "--exit-on-error", "--single-transaction", "--no-owner",
                           "--no-password", dbname_arg, file, NULL
                         }, error);
        }
    }
  database_close (&db);

  if (ok)
    g_print ("Restored %s\n", file);
  return ok ? 0 : 1;
}

static int
health (const char  *base_url,
        GError     **error)
{
  g_autoptr(SoupSession) session = soup_session_new_with_options ("timeout", 5, NULL);
  g_autofree char *url = g_strconcat (base_url, "/readyz", NULL);
  g_autoptr(SoupMessage) message = soup_message_new ("GET", url);
  g_autoptr(GBytes) body = NULL;

  if (message == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "Not a URL: %s", base_url);
      return 1;
    }

  body = soup_session_send_and_read (session, message, NULL, error);
  if (body == NULL)
    return 1;

  g_print ("%.*s\n", (int) g_bytes_get_size (body), (const char *) g_bytes_get_data (body, NULL));
  return soup_message_get_status (message) == 200 ? 0 : 1;
}

#define KAFKA_TOOL_TIMEOUT_MS 30000

static int
dead_letters_list (GError **error)
{
  g_autoptr(DsdConfig) config = dsd_config_new ();

  if (!dsd_config_load_defaults_from_environ (config, error))
    return 1;

  return dsd_kafka_list_dead_letters (config, stdout, KAFKA_TOOL_TIMEOUT_MS, error) ? 0 : 1;
}

static gboolean
parse_time (const char  *name,
            const char  *text,
            gint64      *out_us,
            GError     **error)
{
  if (text == NULL)
    return TRUE;
  if (dispatch_parse_timestamp (text, out_us))
    return TRUE;

  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
               "%s: not an RFC 3339 time: %s", name, text);
  return FALSE;
}

static int
replay (int     argc,
        char  **argv,
        GError **error)
{
  gint64 from_seq = 0, to_seq = 0, since_us = 0, until_us = 0, n;
  g_autofree char *since = NULL, *until = NULL, *topic = NULL;
  const GOptionEntry entries[] = {
    { "from-seq", 0, 0, G_OPTION_ARG_INT64, &from_seq, "First seq", "N" },
    { "to-seq", 0, 0, G_OPTION_ARG_INT64, &to_seq, "Last seq", "N" },
    { "since", 0, 0, G_OPTION_ARG_STRING, &since, "Committed at or after", "TIME" },
    { "until", 0, 0, G_OPTION_ARG_STRING, &until, "Committed before", "TIME" },
    { "topic", 0, 0, G_OPTION_ARG_STRING, &topic, "Topic (default: the events topic)", "NAME" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- publish archived events again");
  Database db = { 0 };

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, error) ||
      !parse_time ("--since", since, &since_us, error) ||
      !parse_time ("--until", until, &until_us, error))
    return 2;

  if (argc != 1 || from_seq < 0 || to_seq < 0 ||
      (from_seq == 0 && to_seq == 0 && since == NULL && until == NULL))
    {
      g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                           "replay needs a seq or time range (--from-seq, --to-seq, --since, "
                           "--until)");
      return 2;
    }

  if (!database_open (&db, error))
    return 1;
  n = dsd_kafka_replay (db.config, db.conninfo, topic, from_seq, to_seq, since_us, until_us,
                        KAFKA_TOOL_TIMEOUT_MS, error);
  database_close (&db);
  if (n < 0)
    return 1;

  g_print ("Published %" G_GINT64_FORMAT " events\n", n);
  return 0;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  int status;

  setlocale (LC_ALL, "");
  dsd_log_init (DSD_LOG_FORMAT_TEXT);

  if (argc >= 2 && g_str_equal (argv[1], "migrate") && argc == 2)
    status = migrate (&error);
  else if (argc == 5 && g_str_equal (argv[1], "user") && g_str_equal (argv[2], "add"))
    status = user_add (argv[3], argv[4], &error);
  else if (argc >= 2 && argc <= 3 && g_str_equal (argv[1], "health"))
    status = health (argc == 3 ? argv[2] : "http://127.0.0.1:8080", &error);
  else if (argc == 3 && g_str_equal (argv[1], "dead-letters") && g_str_equal (argv[2], "list"))
    status = dead_letters_list (&error);
  else if (argc >= 2 && g_str_equal (argv[1], "replay"))
    status = replay (argc - 1, argv + 1, &error);
  else if (argc == 3 && g_str_equal (argv[1], "backup"))
    status = backup (argv[2], &error);
  else if (argc == 3 && g_str_equal (argv[1], "restore"))
    status = restore (argv[2], &error);
  else
    {
      g_printerr ("%s", usage);
      return 2;
    }

  if (error != NULL)
    g_printerr ("dispatchctl: %s\n", error->message);

  return status;
}
