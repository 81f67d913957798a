/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include <hiredis/hiredis.h>

#include "dsd-pg-cluster.h"

G_BEGIN_DECLS

/* Main loop ---------------------------------------------------------------
 *
 * Tests drive async code by iterating the thread-default main context.
 */

typedef gboolean (*DsdTestCondition) (gpointer user_data);

/* Iterates the thread-default main context until condition (user_data) holds
 * (checked at least every 10 ms);
 * FALSE if timeout_ms passed first. */
gboolean      dsd_test_run_until         (DsdTestCondition   condition,
                                          gpointer           user_data,
                                          guint              timeout_ms);
/* Like dsd_test_run_until() for a condition that costs a request or a query:
 * checks it every interval_ms (the main context runs in between). */
gboolean      dsd_test_poll_until        (DsdTestCondition   condition,
                                          gpointer           user_data,
                                          guint              interval_ms,
                                          guint              timeout_ms);
/* Iterates the main context for about ms milliseconds. */
void          dsd_test_run_for           (guint              ms);

/* A GAsyncReadyCallback that stores a reference to the result in
 * *(GAsyncResult **) user_data, for dsd_test_wait_result(). */
void          dsd_test_store_result_cb   (GObject           *source,
                                          GAsyncResult      *result,
                                          gpointer           user_data);
/* Iterates until *slot is set (asserting it happens within timeout_ms).
 * Returns: (transfer full): the result, *slot is cleared. */
GAsyncResult *dsd_test_wait_result       (GAsyncResult     **slot,
                                          guint              timeout_ms);

/* A command line for code that parses one (GOption consumes and reorders
 * argv; the strings stay owned here). */
typedef struct {
  int    argc;
  char **argv;
  GStrv  strings;
} DsdTestArgv;

/* program, then the arguments of ap up to a NULL. */
DsdTestArgv  *dsd_test_argv_new_va       (const char        *program,
                                          va_list            ap);
void          dsd_test_argv_free         (DsdTestArgv       *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DsdTestArgv, dsd_test_argv_free)

/* Files and processes ----------------------------------------------------- */

/* A new empty directory under the temporary directory. Returns: (transfer full) */
char         *dsd_test_make_tmp_dir      (const char        *prefix);
void          dsd_test_remove_tree       (const char        *path);
/* Alive and not a zombie. */
gboolean      dsd_test_process_alive     (int                pid);
/* PIDs of the live children of pid. */
GArray       *dsd_test_child_pids        (int                pid);
/* A launcher whose children get signal when the test process dies
 * (PR_SET_PDEATHSIG), even by abort() or SIGKILL. */
GSubprocessLauncher *dsd_test_launcher_new (GSubprocessFlags  flags,
                                            int               signal);
/* A process outside the test's process group that, once the test process is
 * gone (normally or not), sends signal_name (e.g. "INT") to the process whose
 * PID is the first line of pid_file, waits a few seconds for it to end and
 * removes remove_dir. dsd_test_watchdog_finish() lets it do so now and waits
 * for it. */
GSubprocess  *dsd_test_watchdog_start    (const char        *pid_file,
                                          const char        *signal_name,
                                          const char        *remove_dir);
void          dsd_test_watchdog_finish   (GSubprocess       *watchdog);
/* A TCP port on 127.0.0.1 that nothing listens on right now. */
guint         dsd_test_find_free_port    (void);

/* PostgreSQL ---------------------------------------------------------------
 *
 * A real private cluster (DsdPgCluster, initdb included) in its own temporary
 * data directory.
 */

typedef struct
{
  /* The temporary directory, and the cluster's data directory in it */
  char         *tmp_dir;
  char         *data_dir;
  DsdPgCluster *cluster;
  /* Seconds the first start took, initdb included */
  double        start_seconds;
  /* Stops postgres and removes tmp_dir if the test process dies first */
  GSubprocess  *watchdog;
} DsdTestPg;

/* Starts a cluster in a fresh directory, asserting it gets ready. A failing
 * test does not leave its postgres running: a watchdog process cleans up. */
DsdTestPg    *dsd_test_pg_new            (void);
/* The same with the data directory at subdir (nullable) of the temporary directory. */
DsdTestPg    *dsd_test_pg_new_full       (const char        *subdir);
/* Stops the cluster and removes its directory. */
void          dsd_test_pg_free           (DsdTestPg         *pg);
const char   *dsd_test_pg_get_conninfo   (DsdTestPg         *pg);
/* The postmaster's PID from postmaster.pid, 0 if there is none. */
int           dsd_test_pg_get_pid        (DsdTestPg         *pg);
/* Runs dsd_pg_cluster_start_async() to its end; seconds: (out) (optional): how long */
gboolean      dsd_test_pg_start_cluster  (DsdPgCluster      *cluster,
                                          double            *seconds,
                                          GError           **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DsdTestPg, dsd_test_pg_free)

/* Redis ---------------------------------------------------------------------
 *
 * A real redis-server on a free loopback port, without persistence, killed
 * with the test process (PR_SET_PDEATHSIG) if the test does not stop it.
 */
typedef struct _DsdTestRedis DsdTestRedis;

/* Starts it and waits until it answers PING. */
DsdTestRedis *dsd_test_redis_new         (void);
/* SIGKILL: everything it held is gone. */
void          dsd_test_redis_kill        (DsdTestRedis      *self);
/* Starts it again (empty) on the same port. */
void          dsd_test_redis_start       (DsdTestRedis      *self);
void          dsd_test_redis_free        (DsdTestRedis      *self);
/* redis://127.0.0.1:PORT/0 */
const char   *dsd_test_redis_get_url     (DsdTestRedis      *self);
int           dsd_test_redis_get_pid     (DsdTestRedis      *self);
/* One command on a new blocking connection (tests only). Returns: (transfer full) */
redisReply   *dsd_test_redis_command     (DsdTestRedis      *self,
                                          const char        *format,
                                          ...);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DsdTestRedis, dsd_test_redis_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (redisReply, freeReplyObject)

G_END_DECLS
