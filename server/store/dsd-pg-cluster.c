/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-store"

#include "config.h"

#include <errno.h>
#include <grp.h>
#include <locale.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "dsd-pg-cluster.h"

/* The system account postgres runs as under root, and the database role and name. */
#define PG_USER          "dispatch"
#define PG_DATABASE      "dispatch"
#define PG_PORT          "5432"
#define READY_TIMEOUT_US (60 * G_USEC_PER_SEC)
#define READY_POLL_MS    20
/* Supervision: restarts after 0.25, 0.5, 1, 2 and 4 s, then give up. */
#define RESTART_FIRST_DELAY_MS 250
#define RESTART_MAX_ATTEMPTS   5

typedef enum {
  STEP_FIND_BINDIR,
  STEP_CHOOSE_BINDIR,
  STEP_CHECK_USER,
  STEP_LOOKUP_USER,
  STEP_PREPARE_DATA_DIR,
  STEP_INITDB,
  STEP_INSTALL_CLUSTER,
  STEP_FIX_OWNER,
  STEP_CONFIGURE,
  STEP_LAUNCH,
  STEP_CREATE_DATABASE,
  STEP_DONE,
} StartStep;

typedef enum {
  RUN_AS_POSTGRES = 1 << 0,
  RUN_MAY_FAIL    = 1 << 1,
} RunFlags;

typedef struct
{
  StartStep  step;
  gint64     begin_us;
  gint64     deadline_us;
  /* The tool that ran last: its name, standard output and failure if allowed to fail */
  char      *tool;
  RunFlags   tool_flags;
  char      *output;
  GError    *tool_error;
} StartData;

struct _DsdPgCluster
{
  GObject      parent_instance;

  char        *data_dir;
  /* data_dir/postgresql, and where initdb works before it is moved there */
  char        *pgdata;
  char        *pgdata_new;
  char        *socket_dir;
  char        *conninfo;
  char        *bindir;

  /* When we are root, postgres runs as PG_USER */
  gboolean     drop_privileges;
  uid_t        uid;
  gid_t        gid;

  /* The postmaster: our child, or one left running by a previous run */
  GSubprocess *postgres;
  int          pid;
  gboolean     running;
  gboolean     reused;         /* pid is not our child: an earlier run's, or dispatchd's */

  /* Supervision (dsd_pg_cluster_supervise) */
  gboolean     supervised;
  guint        restart_id;
  guint        n_restarts;     /* attempts since it last ran */
};

G_DEFINE_FINAL_TYPE (DsdPgCluster, dsd_pg_cluster, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_DATA_DIR,
  PROP_RUNNING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  FAILED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void start_continue (GTask *task);

static void
start_data_free (StartData *data)
{
  g_free (data->tool);
  g_free (data->output);
  g_clear_error (&data->tool_error);
  g_free (data);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (StartData, start_data_free)

/* Quotes for postgresql.conf and for libpq conninfo alike. */
static char *
quote_value (const char *value,
             char        quote_escape)
{
  GString *quoted = g_string_new ("'");

  for (const char *p = value; *p != '\0'; p++)
    {
      if (*p == '\\')
        g_string_append_c (quoted, '\\');
      else if (*p == '\'')
        g_string_append_c (quoted, quote_escape);
      g_string_append_c (quoted, *p);
    }
  g_string_append_c (quoted, '\'');

  return g_string_free (quoted, FALSE);
}

static char *
make_conninfo (DsdPgCluster *self,
               const char   *dbname)
{
  g_autofree char *host = quote_value (self->socket_dir, '\\');

  return g_strdup_printf ("host=%s port=" PG_PORT " dbname=%s user=" PG_USER, host, dbname);
}

static char *
choose_socket_dir (const char *pgdata)
{
  g_autofree char *dir = g_build_filename (pgdata, "run", NULL);
  g_autofree char *digest = NULL;
  const char *base;

  /* sun_path holds 107 bytes and a NUL: "<dir>/.s.PGSQL.5432" must fit. */
  if (strlen (dir) + strlen ("/.s.PGSQL." PG_PORT) < 108)
    return g_steal_pointer (&dir);

  /* Under root, postgres runs as another user, who cannot enter root's runtime directory. */
  base = geteuid () == 0 ? g_get_tmp_dir () : g_get_user_runtime_dir ();

  /* Stable per cluster, so that a later run finds a server left running. */
  digest = g_compute_checksum_for_string (G_CHECKSUM_SHA256, pgdata, -1);
  digest[16] = '\0';

  return g_strdup_printf ("%s/dispatchd-pg-%s", base, digest);
}

static gboolean
has_initdb (const char *bindir)
{
  g_autofree char *initdb = g_build_filename (bindir, "initdb", NULL);

  return g_file_test (initdb, G_FILE_TEST_IS_EXECUTABLE);
}

/* pg_config's answer if it has initdb (Debian's /usr/bin/pg_config may point
 * to /usr/bin, which has none), else the newest /usr/lib/postgresql/N/bin. */
static char *
find_bindir (const char *pg_config_output)
{
  g_autofree char *candidate = g_strstrip (g_strdup (pg_config_output ? pg_config_output : ""));
  g_autoptr(GDir) dir = g_dir_open ("/usr/lib/postgresql", 0, NULL);
  g_autofree char *best = NULL;
  guint64 best_major = 0;
  const char *name;

  if (*candidate != '\0' && has_initdb (candidate))
    return g_steal_pointer (&candidate);

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *bindir = g_build_filename ("/usr/lib/postgresql", name, "bin", NULL);
      guint64 major;

      if (g_ascii_string_to_unsigned (name, 10, 1, G_MAXUINT, &major, NULL) &&
          major > best_major &&
          has_initdb (bindir))
        {
          best_major = major;
          g_free (best);
          best = g_steal_pointer (&bindir);
        }
    }

  return g_steal_pointer (&best);
}

static char *
tool_path (DsdPgCluster *self,
           const char   *name)
{
  return g_build_filename (self->bindir, name, NULL);
}

static const char *
choose_locale (void)
{
  locale_t locale = newlocale (LC_ALL_MASK, "C.UTF-8", (locale_t) 0);

  if (locale == (locale_t) 0)
    return "C";

  freelocale (locale);

  return "C.UTF-8";
}

/* Runs in the child between fork and exec: async-signal-safe calls only. */
static void
become_postgres (gpointer user_data)
{
  DsdPgCluster *self = user_data;

  /* Its own session: a ^C meant for dispatchd must not reach postgres. */
  setsid ();

  if (self->drop_privileges &&
      (setgroups (1, &self->gid) != 0 || setgid (self->gid) != 0 || setuid (self->uid) != 0))
    _exit (126);
}

static GSubprocessLauncher *
make_launcher (DsdPgCluster     *self,
               RunFlags          flags,
               GSubprocessFlags  subprocess_flags)
{
  GSubprocessLauncher *launcher = g_subprocess_launcher_new (subprocess_flags);

  /* The unprivileged user may not be able to enter our working directory. */
  g_subprocess_launcher_set_cwd (launcher, "/");

  if (flags & RUN_AS_POSTGRES)
    g_subprocess_launcher_set_child_setup (launcher, become_postgres, self, NULL);

  return launcher;
}

/* Takes task, output and error: continues, or fails unless the tool may fail. */
static void
tool_finished (GTask  *task,
               char   *output,
               GError *error)
{
  StartData *data = g_task_get_task_data (task);

  if (error != NULL && !(data->tool_flags & RUN_MAY_FAIL))
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      g_free (output);
      return;
    }

  g_clear_error (&data->tool_error);
  data->tool_error = error;
  g_free (data->output);
  data->output = output;

  start_continue (task);
}

static void
tool_done_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  GTask *task = user_data;
  GSubprocess *subprocess = G_SUBPROCESS (object);
  StartData *data = g_task_get_task_data (task);
  g_autofree char *output = NULL;
  g_autofree char *errors = NULL;
  GError *error = NULL;

  if (g_subprocess_communicate_utf8_finish (subprocess, result, &output, &errors, &error) &&
      !g_subprocess_get_successful (subprocess))
    g_set_error (&error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s failed: %s",
                 data->tool, g_strstrip (errors));

  tool_finished (task, g_steal_pointer (&output), error);
}

/* Runs argv and continues with the next step; takes task. */
static void
run_tool (GTask              *task,
          RunFlags            flags,
          const char         *input,
          const char * const *argv)
{
  DsdPgCluster *self = g_task_get_source_object (task);
  StartData *data = g_task_get_task_data (task);
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) subprocess = NULL;
  GError *error = NULL;

  g_free (data->tool);
  data->tool = g_path_get_basename (argv[0]);
  data->tool_flags = flags;

  launcher = make_launcher (self, flags,
                            G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                            G_SUBPROCESS_FLAGS_STDERR_PIPE |
                            (input != NULL ? G_SUBPROCESS_FLAGS_STDIN_PIPE : 0));

  if (!(subprocess = g_subprocess_launcher_spawnv (launcher, argv, &error)))
    tool_finished (task, NULL, error);
  else
    g_subprocess_communicate_utf8_async (subprocess, input, g_task_get_cancellable (task),
                                         tool_done_cb, task);
}

static gboolean
fail_errno (GError    **error,
            const char *what,
            const char *path)
{
  int saved_errno = errno;

  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
               "%s %s: %s", what, path, g_strerror (saved_errno));

  return FALSE;
}

static gboolean
give_to_postgres (DsdPgCluster  *self,
                  const char    *path,
                  GError       **error)
{
  if (self->drop_privileges && lchown (path, self->uid, self->gid) != 0)
    return fail_errno (error, "Cannot change the owner of", path);

  return TRUE;
}

/* Under root, postgres must be able to reach the cluster through every parent. */
static gboolean
check_reachable (DsdPgCluster  *self,
                 GError       **error)
{
  g_autofree char *dir = g_strdup (self->data_dir);

  for (;;)
    {
      g_autofree char *parent = NULL;
      struct stat st;

      if (g_stat (dir, &st) != 0)
        return fail_errno (error, "Cannot inspect", dir);

      if (!((st.st_mode & S_IXOTH) ||
            (st.st_uid == self->uid && (st.st_mode & S_IXUSR)) ||
            (st.st_gid == self->gid && (st.st_mode & S_IXGRP))))
        {
          /* The data directory is ours: let others pass through, not list it. */
          if (g_strcmp0 (dir, self->data_dir) == 0 && g_chmod (dir, st.st_mode | S_IXOTH) == 0)
            g_message ("Made %s searchable so that PostgreSQL can reach its cluster", dir);
          else
            {
              g_set_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                           "PostgreSQL runs as user %s, which cannot enter %s: "
                           "make it searchable (chmod o+x) or use another data directory",
                           PG_USER, dir);
              return FALSE;
            }
        }

      parent = g_path_get_dirname (dir);
      if (g_strcmp0 (parent, dir) == 0)
        return TRUE;

      g_free (dir);
      dir = g_steal_pointer (&parent);
    }
}

static gboolean
install_cluster (DsdPgCluster  *self,
                 GError       **error)
{
  static const char include[] =
    "\n# Added by dispatchd: its settings, rewritten at every start.\n"
    "include 'dispatchd.conf'\n";
  g_autofree char *conf = g_build_filename (self->pgdata_new, "postgresql.conf", NULL);
  FILE *file;

  if ((file = g_fopen (conf, "a")) == NULL)
    return fail_errno (error, "Cannot open", conf);

  if (fputs (include, file) < 0 || fclose (file) != 0)
    return fail_errno (error, "Cannot write", conf);

  /* An empty directory someone made for us is fine; anything else is not ours. */
  if (g_rmdir (self->pgdata) != 0 && errno != ENOENT)
    return fail_errno (error, "Not a PostgreSQL cluster, not replacing", self->pgdata);

  if (g_rename (self->pgdata_new, self->pgdata) != 0)
    return fail_errno (error, "Cannot create", self->pgdata);

  return TRUE;
}

static gboolean
write_config (DsdPgCluster  *self,
              GError       **error)
{
  g_autofree char *path = g_build_filename (self->pgdata, "dispatchd.conf", NULL);
  g_autofree char *socket_dir = quote_value (self->socket_dir, '\'');
  g_autofree char *text = NULL;
  struct stat st;

  text = g_strdup_printf ("# Written by dispatchd at every start. Tune with ALTER SYSTEM,\n"
                          "# whose postgresql.auto.conf is read after this file.\n"
                          "listen_addresses = ''\n"
                          "port = " PG_PORT "\n"
                          "unix_socket_directories = %s\n"
                          "unix_socket_permissions = 0700\n"
                          "max_connections = 100\n"
                          "shared_buffers = 128MB\n"
                          "fsync = on\n"
                          "logging_collector = on\n"
                          "log_directory = 'log'\n"
                          "log_filename = 'postgresql-%%a.log'\n"
                          "log_rotation_age = 1d\n"
                          "log_rotation_size = 0\n"
                          "log_truncate_on_rotation = on\n"
                          "log_line_prefix = '%%m [%%p] %%q%%u@%%d '\n",
                          socket_dir);

  if (!g_file_set_contents_full (path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, error) ||
      !give_to_postgres (self, path, error))
    return FALSE;

  if (g_mkdir_with_parents (self->socket_dir, 0700) != 0)
    return fail_errno (error, "Cannot create", self->socket_dir);

  /* It may be in a shared temporary directory: it must be ours. */
  if (g_lstat (self->socket_dir, &st) != 0)
    return fail_errno (error, "Cannot inspect", self->socket_dir);

  if (!S_ISDIR (st.st_mode) || (st.st_uid != getuid () && st.st_uid != self->uid))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                   "%s is not a directory of ours", self->socket_dir);
      return FALSE;
    }

  return give_to_postgres (self, self->socket_dir, error);
}

/* Line 1 of postmaster.pid is the PID, line 8 the state ("starting", "ready", …). */
static int
read_postmaster_pid (DsdPgCluster  *self,
                     char         **status)
{
  g_autofree char *path = g_build_filename (self->pgdata, "postmaster.pid", NULL);
  g_autofree char *contents = NULL;
  g_auto(GStrv) lines = NULL;

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return 0;

  /* postgres may be writing it just now. */
  lines = g_strsplit (contents, "\n", 9);
  if (status != NULL)
    *status = g_strdup (g_strv_length (lines) > 7 ? g_strstrip (lines[7]) : "");

  return lines[0] != NULL ? atoi (lines[0]) : 0;
}

/* Alive and a postgres: neither a zombie nor a recycled PID. */
static gboolean
postmaster_is_alive (int pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/stat", pid);
  g_autofree char *stat = NULL;
  g_autofree char *name = NULL;
  const char *start;
  const char *end;

  if (pid <= 0 || (kill (pid, 0) != 0 && errno != EPERM))
    return FALSE;

  /* "pid (name) state …"; without /proc, kill() has the last word. */
  if (!g_file_get_contents (path, &stat, NULL, NULL))
    return TRUE;

  start = strchr (stat, '(');
  end = strrchr (stat, ')');
  if (start == NULL || end == NULL || end < start || end[1] == '\0' ||
      end[2] == 'Z' || end[2] == 'X')
    return FALSE;

  name = g_strndup (start + 1, end - start - 1);

  return g_str_equal (name, "postgres") || g_str_equal (name, "postmaster");
}

static void
set_running (DsdPgCluster *self,
             gboolean      running)
{
  if (self->running == running)
    return;

  self->running = running;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
}

static void schedule_restart (DsdPgCluster *self);

static void
postgres_exited_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(DsdPgCluster) self = user_data;
  GSubprocess *subprocess = G_SUBPROCESS (object);
  gboolean was_running = self->running;

  g_subprocess_wait_finish (subprocess, result, NULL);

  /* stop() lets go of its child before waiting for it. */
  if (subprocess != self->postgres)
    return;

  g_warning ("PostgreSQL exited unexpectedly (wait status %d); its log is in %s/log",
             g_subprocess_get_status (subprocess), self->pgdata);
  g_clear_object (&self->postgres);
  self->pid = 0;
  set_running (self, FALSE);

  /* An exit while starting is the start's failure, handled there. */
  if (was_running && self->supervised)
    schedule_restart (self);
}

static gboolean
launch_postgres (DsdPgCluster  *self,
                 GError       **error)
{
  g_autofree char *postgres = tool_path (self, "postgres");
  g_autofree char *startup_log = g_build_filename (self->pgdata, "startup.log", NULL);
  g_autofree char *lock = g_build_filename (self->socket_dir, ".s.PGSQL." PG_PORT ".lock", NULL);
  g_autofree char *pid_file = g_build_filename (self->pgdata, "postmaster.pid", NULL);
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  const char *argv[] = { postgres, "-D", self->pgdata, NULL };
  int pid = read_postmaster_pid (self, NULL);

  if (postmaster_is_alive (pid))
    {
      g_message ("Reusing PostgreSQL (pid %d) left running by a previous run", pid);
      self->pid = pid;
      self->reused = TRUE;
      return TRUE;
    }

  /* postgres refuses lock files naming a PID that kill() finds, zombies included. */
  if (pid != 0)
    {
      g_message ("Removing stale lock files of PostgreSQL pid %d", pid);
      g_unlink (pid_file);
      g_unlink (lock);
    }

  launcher = make_launcher (self, RUN_AS_POSTGRES, G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  /* What postgres says before its logging collector runs. */
  g_subprocess_launcher_set_stderr_file_path (launcher, startup_log);

  if (!(self->postgres = g_subprocess_launcher_spawnv (launcher, argv, error)))
    return FALSE;

  self->pid = atoi (g_subprocess_get_identifier (self->postgres));
  g_subprocess_wait_async (self->postgres, NULL, postgres_exited_cb, g_object_ref (self));

  return TRUE;
}

static gboolean
wait_ready_cb (gpointer user_data)
{
  GTask *task = user_data;
  DsdPgCluster *self = g_task_get_source_object (task);
  StartData *data = g_task_get_task_data (task);
  g_autofree char *status = NULL;
  int pid = read_postmaster_pid (self, &status);

  if (pid == self->pid && g_strcmp0 (status, "ready") == 0)
    {
      start_continue (g_object_ref (task));
      return G_SOURCE_REMOVE;
    }

  if (self->pid == 0 || !postmaster_is_alive (self->pid))
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED,
                             "PostgreSQL exited while starting; see %s/startup.log and %s/log",
                             self->pgdata, self->pgdata);
  else if (g_get_monotonic_time () > data->deadline_us)
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                             "PostgreSQL did not get ready; see %s/log", self->pgdata);
  else if (!g_task_return_error_if_cancelled (task))
    return G_SOURCE_CONTINUE;

  return G_SOURCE_REMOVE;
}

static void
wait_ready (GTask *task)
{
  StartData *data = g_task_get_task_data (task);
  g_autoptr(GSource) source = g_timeout_source_new (READY_POLL_MS);

  data->deadline_us = g_get_monotonic_time () + READY_TIMEOUT_US;
  g_task_attach_source (task, source, wait_ready_cb);
}

/* Takes task; runs the steps up to the next asynchronous one. */
static void
start_continue (GTask *task_in)
{
  g_autoptr(GTask) task = task_in;
  DsdPgCluster *self = g_task_get_source_object (task);
  StartData *data = g_task_get_task_data (task);
  GError *error = NULL;

  if (g_task_return_error_if_cancelled (task))
    return;

  for (;;)
    {
      switch (data->step++)
        {
        case STEP_FIND_BINDIR:
          {
            const char *argv[] = { "pg_config", "--bindir", NULL };

            if (self->bindir != NULL)
              {
                data->step = STEP_CHECK_USER;
                break;
              }

            run_tool (g_steal_pointer (&task), RUN_MAY_FAIL, NULL, argv);
            return;
          }

        case STEP_CHOOSE_BINDIR:
          if (!(self->bindir = find_bindir (data->output)))
            {
              g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                                       "PostgreSQL server programs (initdb) not found: "
                                       "install the postgresql package");
              return;
            }
          break;

        case STEP_CHECK_USER:
          if (geteuid () != 0)
            data->step = STEP_PREPARE_DATA_DIR;
          else if (getpwnam (PG_USER) == NULL)
            {
              const char *argv[] = { "useradd", "--system", "--no-create-home",
                                     "--shell", "/usr/sbin/nologin", PG_USER, NULL };

              g_message ("Creating system user %s for PostgreSQL", PG_USER);
              run_tool (g_steal_pointer (&task), RUN_MAY_FAIL, NULL, argv);
              return;
            }
          break;

        case STEP_LOOKUP_USER:
          {
            struct passwd *pw = getpwnam (PG_USER);

            if (pw == NULL)
              {
                g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                                         "Cannot create system user %s: %s", PG_USER,
                                         data->tool_error ? data->tool_error->message : "");
                return;
              }

            self->drop_privileges = TRUE;
            self->uid = pw->pw_uid;
            self->gid = pw->pw_gid;
            g_message ("Running as root: PostgreSQL runs as system user %s (uid %u)",
                       PG_USER, (guint) self->uid);
          }
          break;

        case STEP_PREPARE_DATA_DIR:
          {
            g_autofree char *version = g_build_filename (self->pgdata, "PG_VERSION", NULL);
            const char *argv[] = { "rm", "-rf", "--one-file-system", self->pgdata_new, NULL };

            if (g_mkdir_with_parents (self->data_dir, 0700) != 0)
              {
                fail_errno (&error, "Cannot create", self->data_dir);
                g_task_return_error (task, error);
                return;
              }

            if (self->drop_privileges && !check_reachable (self, &error))
              {
                g_task_return_error (task, error);
                return;
              }

            if (g_file_test (version, G_FILE_TEST_EXISTS))
              data->step = STEP_FIX_OWNER;
            else if (g_file_test (self->pgdata_new, G_FILE_TEST_EXISTS))
              {
                /* initdb of an earlier run was interrupted. */
                run_tool (g_steal_pointer (&task), 0, NULL, argv);
                return;
              }
          }
          break;

        case STEP_INITDB:
          {
            g_autofree char *initdb = tool_path (self, "initdb");
            const char *argv[] = { initdb, "-D", self->pgdata_new, "-A", "trust",
                                   "-U", PG_USER, "-E", "UTF8", "--locale", choose_locale (),
                                   "--no-instructions", NULL };

            if (g_mkdir (self->pgdata_new, 0700) != 0)
              fail_errno (&error, "Cannot create", self->pgdata_new);
            else
              give_to_postgres (self, self->pgdata_new, &error);

            if (error != NULL)
              {
                g_task_return_error (task, error);
                return;
              }

            g_message ("Creating a PostgreSQL cluster in %s", self->pgdata);
            run_tool (g_steal_pointer (&task), RUN_AS_POSTGRES, NULL, argv);
            return;
          }

        case STEP_INSTALL_CLUSTER:
          if (!install_cluster (self, &error))
            {
              g_task_return_error (task, error);
              return;
            }
          break;

        case STEP_FIX_OWNER:
          {
            g_autofree char *owner = g_strdup_printf ("%u:%u", (guint) self->uid,
                                                      (guint) self->gid);
            const char *argv[] = { "chown", "-R", owner, self->pgdata, NULL };
            struct stat st;

            if (self->drop_privileges && g_stat (self->pgdata, &st) == 0 && st.st_uid != self->uid)
              {
                g_message ("Handing %s over to system user %s", self->pgdata, PG_USER);
                run_tool (g_steal_pointer (&task), 0, NULL, argv);
                return;
              }
          }
          break;

        case STEP_CONFIGURE:
          if (!write_config (self, &error))
            {
              g_task_return_error (task, error);
              return;
            }
          break;

        case STEP_LAUNCH:
          if (!launch_postgres (self, &error))
            {
              g_task_return_error (task, error);
              return;
            }
          wait_ready (task);
          return;

        case STEP_CREATE_DATABASE:
          {
            g_autofree char *psql = tool_path (self, "psql");
            g_autofree char *conninfo = make_conninfo (self, "postgres");
            const char *argv[] = { psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", conninfo,
                                   NULL };

            run_tool (g_steal_pointer (&task), 0,
                      "SELECT 'CREATE DATABASE " PG_DATABASE "' WHERE NOT EXISTS "
                      "(SELECT FROM pg_database WHERE datname = '" PG_DATABASE "')\\gexec\n",
                      argv);
            return;
          }

        case STEP_DONE:
          set_running (self, TRUE);
          g_message ("PostgreSQL is ready (pid %d, socket in %s) after %.2f s",
                     self->pid, self->socket_dir,
                     (g_get_monotonic_time () - data->begin_us) / (double) G_USEC_PER_SEC);
          g_task_return_boolean (task, TRUE);
          return;

        default:
          g_assert_not_reached ();
        }
    }
}

static void
restarted_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  DsdPgCluster *self = DSD_PG_CLUSTER (source);
  g_autoptr(GError) error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_warning ("Restarting PostgreSQL failed: %s", error->message);
      schedule_restart (self);
      return;
    }

  g_message ("PostgreSQL is back (restart attempt %u)", self->n_restarts);
  self->n_restarts = 0;
}

static gboolean
restart_cb (gpointer user_data)
{
  DsdPgCluster *self = user_data;
  g_autoptr(GTask) task = g_task_new (self, NULL, restarted_cb, NULL);
  StartData *data = g_new0 (StartData, 1);

  self->restart_id = 0;
  /* The cluster exists and is ours: from writing the settings on. */
  data->step = STEP_CONFIGURE;
  data->begin_us = g_get_monotonic_time ();
  g_task_set_task_data (task, data, (GDestroyNotify) start_data_free);
  start_continue (g_steal_pointer (&task));

  return G_SOURCE_REMOVE;
}

static void
schedule_restart (DsdPgCluster *self)
{
  guint delay_ms = RESTART_FIRST_DELAY_MS << self->n_restarts;

  if (self->n_restarts >= RESTART_MAX_ATTEMPTS)
    {
      g_autoptr(GError) error = NULL;

      g_set_error (&error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   "PostgreSQL could not be restarted (%u attempts); see %s/log",
                   self->n_restarts, self->pgdata);
      g_signal_emit (self, signals[FAILED], 0, error);
      return;
    }

  self->n_restarts++;
  g_message ("Restarting PostgreSQL in %u ms (attempt %u of %u)",
             delay_ms, self->n_restarts, RESTART_MAX_ATTEMPTS);
  self->restart_id = g_timeout_add (delay_ms, restart_cb, self);
}

static void
dsd_pg_cluster_constructed (GObject *object)
{
  DsdPgCluster *self = DSD_PG_CLUSTER (object);

  G_OBJECT_CLASS (dsd_pg_cluster_parent_class)->constructed (object);

  self->pgdata = g_build_filename (self->data_dir, "postgresql", NULL);
  self->pgdata_new = g_build_filename (self->data_dir, "postgresql.initdb", NULL);
  self->socket_dir = choose_socket_dir (self->pgdata);
  self->conninfo = make_conninfo (self, PG_DATABASE);
  self->uid = getuid ();
  self->gid = getgid ();
}

static void
dsd_pg_cluster_finalize (GObject *object)
{
  DsdPgCluster *self = DSD_PG_CLUSTER (object);

  g_clear_handle_id (&self->restart_id, g_source_remove);
  g_clear_object (&self->postgres);
  g_clear_pointer (&self->data_dir, g_free);
  g_clear_pointer (&self->pgdata, g_free);
  g_clear_pointer (&self->pgdata_new, g_free);
  g_clear_pointer (&self->socket_dir, g_free);
  g_clear_pointer (&self->conninfo, g_free);
  g_clear_pointer (&self->bindir, g_free);

  G_OBJECT_CLASS (dsd_pg_cluster_parent_class)->finalize (object);
}

static void
dsd_pg_cluster_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  DsdPgCluster *self = DSD_PG_CLUSTER (object);

  switch (prop_id)
    {
    case PROP_DATA_DIR:
      g_value_set_string (value, self->data_dir);
      break;

    case PROP_RUNNING:
      g_value_set_boolean (value, self->running);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dsd_pg_cluster_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  DsdPgCluster *self = DSD_PG_CLUSTER (object);

  switch (prop_id)
    {
    case PROP_DATA_DIR:
      self->data_dir = g_canonicalize_filename (g_value_get_string (value), NULL);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dsd_pg_cluster_class_init (DsdPgClusterClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = dsd_pg_cluster_constructed;
  object_class->finalize = dsd_pg_cluster_finalize;
  object_class->get_property = dsd_pg_cluster_get_property;
  object_class->set_property = dsd_pg_cluster_set_property;

  properties[PROP_DATA_DIR] =
    g_param_spec_string ("data-dir", NULL, NULL,
                         ".",
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));

  properties[PROP_RUNNING] =
    g_param_spec_boolean ("running", NULL, NULL,
                          FALSE,
                          (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * DsdPgCluster::failed:
   * @error: why
   *
   * A supervised cluster went down and could not be brought back.
   */
  signals[FAILED] =
    g_signal_new ("failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_ERROR);
}

static void
dsd_pg_cluster_init (DsdPgCluster *self)
{
}

DsdPgCluster *
dsd_pg_cluster_new (const char *data_dir)
{
  g_return_val_if_fail (data_dir != NULL, NULL);

  return g_object_new (DSD_TYPE_PG_CLUSTER,
                       "data-dir", data_dir,
                       NULL);
}

void
dsd_pg_cluster_start_async (DsdPgCluster        *self,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(StartData) data = g_new0 (StartData, 1);

  g_return_if_fail (DSD_IS_PG_CLUSTER (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, dsd_pg_cluster_start_async);

  if (self->running)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  data->begin_us = g_get_monotonic_time ();
  g_task_set_task_data (task, g_steal_pointer (&data), (GDestroyNotify) start_data_free);
  start_continue (g_steal_pointer (&task));
}

gboolean
dsd_pg_cluster_start_finish (DsdPgCluster  *self,
                             GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (DSD_IS_PG_CLUSTER (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == dsd_pg_cluster_start_async,
                        FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

const char *
dsd_pg_cluster_get_conninfo (DsdPgCluster *self)
{
  g_return_val_if_fail (DSD_IS_PG_CLUSTER (self), NULL);

  return self->conninfo;
}

gboolean
dsd_pg_cluster_is_running (DsdPgCluster *self)
{
  g_return_val_if_fail (DSD_IS_PG_CLUSTER (self), FALSE);

  return self->running;
}

gboolean
dsd_pg_cluster_is_reused (DsdPgCluster *self)
{
  g_return_val_if_fail (DSD_IS_PG_CLUSTER (self), FALSE);

  return self->reused;
}

char *
dsd_pg_cluster_get_tool (DsdPgCluster *self,
                         const char   *name)
{
  g_return_val_if_fail (DSD_IS_PG_CLUSTER (self), NULL);
  g_return_val_if_fail (self->bindir != NULL, NULL);

  return tool_path (self, name);
}

void
dsd_pg_cluster_supervise (DsdPgCluster *self)
{
  g_return_if_fail (DSD_IS_PG_CLUSTER (self));

  self->supervised = TRUE;
}

void
dsd_pg_cluster_stop (DsdPgCluster *self)
{
  g_autofree char *pg_ctl = NULL;
  g_autofree char *errors = NULL;
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) subprocess = NULL;
  g_autoptr(GSubprocess) child = NULL;
  g_autoptr(GError) error = NULL;

  g_return_if_fail (DSD_IS_PG_CLUSTER (self));

  self->supervised = FALSE;
  g_clear_handle_id (&self->restart_id, g_source_remove);
  if (self->pid == 0)
    return;

  pg_ctl = tool_path (self, "pg_ctl");
  launcher = make_launcher (self, RUN_AS_POSTGRES,
                            G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  subprocess = g_subprocess_launcher_spawn (launcher, &error, pg_ctl, "stop", "-D", self->pgdata,
                                            "-m", "fast", "-w", "-s", NULL);

  if (subprocess == NULL ||
      !g_subprocess_communicate_utf8 (subprocess, NULL, NULL, NULL, &errors, &error))
    g_warning ("Cannot stop PostgreSQL: %s", error->message);
  else if (!g_subprocess_get_successful (subprocess))
    g_warning ("Cannot stop PostgreSQL: %s", g_strstrip (errors));

  /* Reap our child; postgres_exited_cb then sees it is no longer ours. */
  if ((child = g_steal_pointer (&self->postgres)) != NULL)
    g_subprocess_wait (child, NULL, NULL);

  g_message ("Stopped PostgreSQL (pid %d)", self->pid);
  self->pid = 0;
  set_running (self, FALSE);
}
