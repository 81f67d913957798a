/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-test"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <hiredis/hiredis.h>

#include <glib/gstdio.h>

#include "test-utils.h"

#define PG_START_TIMEOUT_MS 120000

/* Main loop --------------------------------------------------------------- */

static gboolean
timeout_cb (gpointer user_data)
{
  gboolean *timed_out = user_data;

  *timed_out = TRUE;

  return G_SOURCE_REMOVE;
}

static gboolean
tick_cb (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

gboolean
dsd_test_run_until (DsdTestCondition condition,
                    gpointer         user_data,
                    guint            timeout_ms)
{
  GMainContext *context = g_main_context_get_thread_default ();
  g_autoptr(GSource) timeout = g_timeout_source_new (timeout_ms);
  g_autoptr(GSource) tick = g_timeout_source_new (10);
  gboolean timed_out = FALSE;

  g_source_set_callback (timeout, timeout_cb, &timed_out, NULL);
  g_source_attach (timeout, context);
  /* Wakes the loop up now and then for conditions no event reports (a process exits). */
  g_source_set_callback (tick, tick_cb, NULL, NULL);
  g_source_attach (tick, context);

  while (!timed_out && !condition (user_data))
    g_main_context_iteration (context, TRUE);

  g_source_destroy (timeout);
  g_source_destroy (tick);

  return condition (user_data);
}

static gboolean
never (gpointer user_data)
{
  return FALSE;
}

void
dsd_test_run_for (guint ms)
{
  dsd_test_run_until (never, NULL, ms);
}

gboolean
dsd_test_poll_until (DsdTestCondition condition,
                     gpointer         user_data,
                     guint            interval_ms,
                     guint            timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + timeout_ms * (gint64) 1000;

  while (!condition (user_data))
    {
      if (g_get_monotonic_time () > deadline)
        return FALSE;
      dsd_test_run_for (interval_ms);
    }

  return TRUE;
}

void
dsd_test_store_result_cb (GObject      *source,
                          GAsyncResult *result,
                          gpointer      user_data)
{
  GAsyncResult **slot = user_data;

  g_assert_null (*slot);
  *slot = g_object_ref (result);
}

static gboolean
slot_is_set (gpointer user_data)
{
  return *(gpointer *) user_data != NULL;
}

GAsyncResult *
dsd_test_wait_result (GAsyncResult **slot,
                      guint          timeout_ms)
{
  g_assert_true (dsd_test_run_until (slot_is_set, slot, timeout_ms));

  return g_steal_pointer (slot);
}

/* Files and processes ----------------------------------------------------- */

DsdTestArgv *
dsd_test_argv_new_va (const char *program,
                      va_list     ap)
{
  DsdTestArgv *self = g_new0 (DsdTestArgv, 1);
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  const char *arg;

  g_strv_builder_add (builder, program);
  while ((arg = va_arg (ap, const char *)) != NULL)
    g_strv_builder_add (builder, arg);

  self->strings = g_strv_builder_end (builder);
  self->argc = g_strv_length (self->strings);
  self->argv = g_memdup2 (self->strings, (self->argc + 1) * sizeof (char *));

  return self;
}

void
dsd_test_argv_free (DsdTestArgv *self)
{
  g_strfreev (self->strings);
  g_free (self->argv);
  g_free (self);
}

char *
dsd_test_make_tmp_dir (const char *prefix)
{
  g_autofree char *template = g_strdup_printf ("%s-XXXXXX", prefix);
  g_autoptr(GError) error = NULL;
  char *path = g_dir_make_tmp (template, &error);

  g_assert_no_error (error);

  return path;
}

void
dsd_test_remove_tree (const char *path)
{
  const char *argv[] = { "rm", "-rf", "--one-file-system", path, NULL };
  g_autoptr(GError) error = NULL;
  int status;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL,
                &status, &error);
  g_assert_no_error (error);
  g_spawn_check_wait_status (status, &error);
  g_assert_no_error (error);
}

/* The fields of /proc/PID/stat after "pid (comm) ", or NULL. */
static char **
read_proc_stat (int pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/stat", pid);
  g_autofree char *contents = NULL;
  const char *end;

  if (!g_file_get_contents (path, &contents, NULL, NULL) ||
      (end = strrchr (contents, ')')) == NULL)
    return NULL;

  return g_strsplit (end + 2, " ", 3);
}

gboolean
dsd_test_process_alive (int pid)
{
  g_auto(GStrv) fields = NULL;

  if (pid <= 0 || (kill (pid, 0) != 0 && errno != EPERM))
    return FALSE;

  fields = read_proc_stat (pid);

  return fields == NULL || (fields[0][0] != 'Z' && fields[0][0] != 'X');
}

GArray *
dsd_test_child_pids (int pid)
{
  g_autoptr(GArray) children = g_array_new (FALSE, FALSE, sizeof (int));
  g_autoptr(GDir) dir = g_dir_open ("/proc", 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      int child = atoi (name);
      g_auto(GStrv) fields = child > 0 ? read_proc_stat (child) : NULL;

      if (fields != NULL && g_strv_length (fields) > 1 && atoi (fields[1]) == pid &&
          dsd_test_process_alive (child))
        g_array_append_val (children, child);
    }

  return g_steal_pointer (&children);
}

guint
dsd_test_find_free_port (void)
{
  struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  socklen_t len = sizeof addr;
  int fd = socket (AF_INET, SOCK_STREAM, 0);

  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (bind (fd, (struct sockaddr *) &addr, sizeof addr), ==, 0);
  g_assert_cmpint (getsockname (fd, (struct sockaddr *) &addr, &len), ==, 0);
  close (fd);

  return ntohs (addr.sin_port);
}

/* PostgreSQL -------------------------------------------------------------- */

gboolean
dsd_test_pg_start_cluster (DsdPgCluster  *cluster,
                           double        *seconds,
                           GError       **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  GAsyncResult *slot = NULL;
  gint64 begin = g_get_monotonic_time ();

  dsd_pg_cluster_start_async (cluster, NULL, dsd_test_store_result_cb, &slot);
  result = dsd_test_wait_result (&slot, PG_START_TIMEOUT_MS);

  if (seconds != NULL)
    *seconds = (g_get_monotonic_time () - begin) / (double) G_USEC_PER_SEC;

  return dsd_pg_cluster_start_finish (cluster, result, error);
}

/* Waits for its standard input to close, i.e. for the test process to end;
 * $1 is the pid file, $2 the signal, $3 the directory to remove. */
static const char watchdog_script[] =
  "read -r _\n"
  "if pid=$(head -n 1 \"$1\" 2>/dev/null) && [ -n \"$pid\" ]; then\n"
  "  kill -\"$2\" \"$pid\" 2>/dev/null\n"
  "  i=0\n"
  "  while [ -e \"$1\" ] && kill -0 \"$pid\" 2>/dev/null && [ $i -lt 100 ]; do\n"
  "    sleep 0.1; i=$((i + 1))\n"
  "  done\n"
  "fi\n"
  "rm -rf --one-file-system \"$3\"\n";

static void
new_session (gpointer user_data)
{
  /* Out of the test's process group, which a harness may kill as a whole. */
  setsid ();
}

GSubprocess *
dsd_test_watchdog_start (const char *pid_file,
                         const char *signal_name,
                         const char *remove_dir)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GError) error = NULL;
  GSubprocess *watchdog;

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE);
  g_subprocess_launcher_set_child_setup (launcher, new_session, NULL, NULL);
  watchdog = g_subprocess_launcher_spawn (launcher, &error, "sh", "-c", watchdog_script,
                                          "dsd-test-watchdog", pid_file, signal_name, remove_dir,
                                          NULL);
  g_assert_no_error (error);

  return watchdog;
}

void
dsd_test_watchdog_finish (GSubprocess *watchdog)
{
  /* It acts when its input ends. */
  g_output_stream_close (g_subprocess_get_stdin_pipe (watchdog), NULL, NULL);
  g_subprocess_wait (watchdog, NULL, NULL);
  g_object_unref (watchdog);
}

/* Runs in the child between fork and exec: async-signal-safe calls only. */
typedef struct {
  pid_t parent;
  int   signal;
} DeathSignal;

/* Runs in the child between fork and exec: async-signal-safe calls only. */
static void
die_with_parent (gpointer user_data)
{
  const DeathSignal *death = user_data;

  /* The signal comes when the thread that forked ends: tests spawn from the
   * main thread. A parent that died before prctl() is not signalled. */
  if (prctl (PR_SET_PDEATHSIG, death->signal) != 0 || getppid () != death->parent)
    _exit (127);
}

GSubprocessLauncher *
dsd_test_launcher_new (GSubprocessFlags flags,
                       int              signal)
{
  GSubprocessLauncher *launcher = g_subprocess_launcher_new (flags);
  DeathSignal *death = g_new (DeathSignal, 1);

  *death = (DeathSignal) { getpid (), signal };
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, death, g_free);

  return launcher;
}

DsdTestPg *
dsd_test_pg_new (void)
{
  return dsd_test_pg_new_full (NULL);
}

DsdTestPg *
dsd_test_pg_new_full (const char *subdir)
{
  DsdTestPg *pg = g_new0 (DsdTestPg, 1);
  g_autoptr(GError) error = NULL;
  g_autofree char *pid_file = NULL;

  pg->tmp_dir = dsd_test_make_tmp_dir ("dsd-test-pg");
  /* Under root, postgres runs as another user, who must get through it. */
  g_assert_cmpint (g_chmod (pg->tmp_dir, 0711), ==, 0);
  pg->data_dir = g_build_filename (pg->tmp_dir, subdir, NULL);
  pid_file = g_build_filename (pg->data_dir, "postgresql", "postmaster.pid", NULL);
  pg->watchdog = dsd_test_watchdog_start (pid_file, "INT", pg->tmp_dir);
  pg->cluster = dsd_pg_cluster_new (pg->data_dir);
  dsd_test_pg_start_cluster (pg->cluster, &pg->start_seconds, &error);
  g_assert_no_error (error);

  return pg;
}

static gboolean
pointer_is_null (gpointer user_data)
{
  return *(gpointer *) user_data == NULL;
}

void
dsd_test_pg_free (DsdTestPg *pg)
{
  DsdPgCluster *cluster = g_steal_pointer (&pg->cluster);

  dsd_pg_cluster_stop (cluster);

  /* Let pending callbacks drop their references, so that nothing leaks. */
  g_object_add_weak_pointer (G_OBJECT (cluster), (gpointer *) &cluster);
  g_object_unref (cluster);
  g_assert_true (dsd_test_run_until (pointer_is_null, &cluster, 5000));

  dsd_test_remove_tree (pg->tmp_dir);

  /* Nothing left for it to do. */
  dsd_test_watchdog_finish (g_steal_pointer (&pg->watchdog));

  g_free (pg->tmp_dir);
  g_free (pg->data_dir);
  g_free (pg);
}

const char *
dsd_test_pg_get_conninfo (DsdTestPg *pg)
{
  return dsd_pg_cluster_get_conninfo (pg->cluster);
}

int
dsd_test_pg_get_pid (DsdTestPg *pg)
{
  g_autofree char *path = g_build_filename (pg->data_dir, "postgresql", "postmaster.pid", NULL);
  g_autofree char *contents = NULL;

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return 0;

  return atoi (contents);
}

/* Redis -------------------------------------------------------------------- */

struct _DsdTestRedis {
  GSubprocess *process;
  guint        port;
  char        *url;
};

static gboolean
redis_answers (guint port)
{
  struct timeval timeout = { 1, 0 };
  redisContext *c = redisConnectWithTimeout ("127.0.0.1", port, timeout);
  redisReply *reply = NULL;
  gboolean ok;

  if (c != NULL && c->err == 0)
    reply = redisCommand (c, "PING");
  ok = reply != NULL && reply->type == REDIS_REPLY_STATUS;
  if (reply != NULL)
    freeReplyObject (reply);
  if (c != NULL)
    redisFree (c);
  return ok;
}

void
dsd_test_redis_start (DsdTestRedis *self)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *port = g_strdup_printf ("%u", self->port);
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  g_assert_null (self->process);
  launcher = dsd_test_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE, SIGKILL);
  self->process = g_subprocess_launcher_spawn (launcher, &error, "redis-server",
                                               "--port", port, "--bind", "127.0.0.1",
                                               "--save", "", "--appendonly", "no",
                                               "--loglevel", "warning", NULL);
  g_assert_no_error (error);

  while (!redis_answers (self->port))
    {
      g_assert_nonnull (g_subprocess_get_identifier (self->process));
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (20 * 1000);
    }
}

DsdTestRedis *
dsd_test_redis_new (void)
{
  DsdTestRedis *self = g_new0 (DsdTestRedis, 1);

  self->port = dsd_test_find_free_port ();
  self->url = g_strdup_printf ("redis://127.0.0.1:%u/0", self->port);
  dsd_test_redis_start (self);
  return self;
}

void
dsd_test_redis_kill (DsdTestRedis *self)
{
  if (self->process == NULL)
    return;

  g_subprocess_send_signal (self->process, SIGKILL);
  g_subprocess_wait (self->process, NULL, NULL);
  g_clear_object (&self->process);
}

void
dsd_test_redis_free (DsdTestRedis *self)
{
  dsd_test_redis_kill (self);
  g_free (self->url);
  g_free (self);
}

const char *
dsd_test_redis_get_url (DsdTestRedis *self)
{
  return self->url;
}

int
dsd_test_redis_get_pid (DsdTestRedis *self)
{
  const char *id = self->process != NULL ? g_subprocess_get_identifier (self->process) : NULL;

  return id != NULL ? atoi (id) : 0;
}

redisReply *
dsd_test_redis_command (DsdTestRedis *self,
                        const char   *format,
                        ...)
{
  struct timeval timeout = { 5, 0 };
  redisContext *c = redisConnectWithTimeout ("127.0.0.1", self->port, timeout);
  redisReply *reply;
  va_list args;

  g_assert_true (c != NULL && c->err == 0);
  redisSetTimeout (c, timeout);
  va_start (args, format);
  reply = redisvCommand (c, format, args);
  va_end (args);
  redisFree (c);
  g_assert_nonnull (reply);
  return reply;
}
