/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-test"

#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dispatch-error.h"
#include "dispatch-limits.h"
#include "dsd-migrations.h"
#include "dsd-pg-conninfo.h"
#include "dsd-pg-listener.h"
#include "dsd-pg-pool.h"
#include "test-utils.h"

#define STORE_DOMAIN "dsd-store"
#define WAIT_MS      10000

/* One cluster for the whole file: initdb is what takes time. */
static DsdTestPg *shared_pg;

static DsdTestPg *
get_pg (void)
{
  if (shared_pg == NULL)
    shared_pg = dsd_test_pg_new ();

  return shared_pg;
}

static const char *
get_conninfo (void)
{
  return dsd_test_pg_get_conninfo (get_pg ());
}

static PGresult *
exec_ok (const char         *sql,
         int                 n_params,
         const char * const *params)
{
  g_autoptr(GError) error = NULL;
  PGresult *result = dsd_pg_exec_sync (get_conninfo (), sql, n_params, params, &error);

  g_assert_no_error (error);
  g_assert_nonnull (result);

  return result;
}

static DsdPgPool *
open_pool (guint size)
{
  g_autoptr(DsdPgPool) pool = dsd_pg_pool_new (get_conninfo (), size);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  GAsyncResult *slot = NULL;

  dsd_pg_pool_open_async (pool, NULL, dsd_test_store_result_cb, &slot);
  result = dsd_test_wait_result (&slot, WAIT_MS);
  g_assert_true (dsd_pg_pool_open_finish (pool, result, &error));
  g_assert_no_error (error);
  g_assert_true (dsd_pg_pool_is_up (pool));

  return g_steal_pointer (&pool);
}

static void
close_pool (DsdPgPool *pool)
{
  dsd_pg_pool_close (pool);
  g_assert_false (dsd_pg_pool_is_up (pool));
  g_assert_finalize_object (pool);
}

static PGresult *
pool_query (DsdPgPool           *pool,
            const char          *sql,
            int                  n_params,
            const char * const  *params,
            GError             **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  GAsyncResult *slot = NULL;

  dsd_pg_pool_query_async (pool, sql, n_params, params, NULL, dsd_test_store_result_cb, &slot);
  result = dsd_test_wait_result (&slot, WAIT_MS);

  return dsd_pg_pool_query_finish (pool, result, error);
}

static char *
pool_query_value (DsdPgPool          *pool,
                  const char         *sql,
                  int                 n_params,
                  const char * const *params)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) result = pool_query (pool, sql, n_params, params, &error);

  g_assert_no_error (error);
  g_assert_cmpint (PQresultStatus (result), ==, PGRES_TUPLES_OK);
  g_assert_cmpint (PQntuples (result), ==, 1);

  return g_strdup (PQgetvalue (result, 0, 0));
}

static gboolean
not_running (gpointer user_data)
{
  return !dsd_pg_cluster_is_running (user_data);
}

static gboolean
all_dead (gpointer user_data)
{
  GArray *pids = user_data;

  for (guint i = 0; i < pids->len; i++)
    {
      if (dsd_test_process_alive (g_array_index (pids, int, i)))
        return FALSE;
    }

  return TRUE;
}

static guint
count_migrations (void)
{
  g_auto(GStrv) names = g_resources_enumerate_children ("/io/github/dispatchd/server/sql/",
                                                        G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
  guint n = 0;

  for (guint i = 0; names != NULL && names[i] != NULL; i++)
    n += g_str_has_suffix (names[i], ".sql");

  return n;
}

/* Cluster ----------------------------------------------------------------- */

static void
test_cluster_start (void)
{
  DsdTestPg *pg = get_pg ();
  g_autoptr(PGresult) result = NULL;

  g_test_message ("first start, initdb included: %.2f s", pg->start_seconds);
  g_assert_true (dsd_pg_cluster_is_running (pg->cluster));

  result = exec_ok ("SELECT current_user, current_database(), current_setting('fsync'), "
                    "current_setting('listen_addresses'), current_setting('max_connections')",
                    0, NULL);
  g_assert_cmpstr (PQgetvalue (result, 0, 0), ==, "dispatch");
  g_assert_cmpstr (PQgetvalue (result, 0, 1), ==, "dispatch");
  g_assert_cmpstr (PQgetvalue (result, 0, 2), ==, "on");
  g_assert_cmpstr (PQgetvalue (result, 0, 3), ==, "");
  g_assert_cmpstr (PQgetvalue (result, 0, 4), ==, "100");

  if (geteuid () == 0)
    {
      g_autofree char *proc = g_strdup_printf ("/proc/%d", dsd_test_pg_get_pid (pg));
      struct passwd *pw = getpwnam ("dispatch");
      struct stat st;

      g_assert_nonnull (pw);
      g_assert_cmpint (stat (proc, &st), ==, 0);
      g_assert_cmpuint (st.st_uid, ==, pw->pw_uid);
    }
}

static void
test_cluster_reuse (void)
{
  DsdTestPg *pg = get_pg ();
  g_autoptr(DsdPgCluster) second = dsd_pg_cluster_new (pg->data_dir);
  g_autoptr(GError) error = NULL;
  int pid = dsd_test_pg_get_pid (pg);
  double seconds;

  /* As after a kill -9 of dispatchd: the server of the earlier run is up. */
  g_assert_true (dsd_test_pg_start_cluster (second, &seconds, &error));
  g_assert_no_error (error);
  g_test_message ("start reusing a running server: %.2f s", seconds);
  g_assert_cmpint (dsd_test_pg_get_pid (pg), ==, pid);
  g_assert_cmpstr (dsd_pg_cluster_get_conninfo (second), ==, get_conninfo ());
}

static void
test_cluster_restart (void)
{
  DsdTestPg *pg = get_pg ();
  g_autoptr(PGresult) result = NULL;
  g_autoptr(GError) error = NULL;
  int pid = dsd_test_pg_get_pid (pg);
  double seconds;

  dsd_pg_cluster_stop (pg->cluster);
  g_assert_false (dsd_pg_cluster_is_running (pg->cluster));
  g_assert_cmpint (dsd_test_pg_get_pid (pg), ==, 0);
  g_assert_false (dsd_test_process_alive (pid));

  g_assert_true (dsd_test_pg_start_cluster (pg->cluster, &seconds, &error));
  g_assert_no_error (error);
  g_test_message ("later start: %.2f s", seconds);
  g_assert_cmpint (dsd_test_pg_get_pid (pg), !=, pid);

  result = exec_ok ("SELECT 1", 0, NULL);
}

static void
test_cluster_killed_postmaster (void)
{
  DsdTestPg *pg = get_pg ();
  int pid = dsd_test_pg_get_pid (pg);
  g_autoptr(GArray) processes = dsd_test_child_pids (pid);
  g_autoptr(PGresult) result = NULL;
  g_autoptr(GError) error = NULL;

  g_array_append_val (processes, pid);
  g_assert_cmpuint (processes->len, >, 1);

  g_test_expect_message (STORE_DOMAIN, G_LOG_LEVEL_WARNING, "PostgreSQL exited unexpectedly*");
  g_assert_cmpint (kill (pid, SIGKILL), ==, 0);
  g_assert_true (dsd_test_run_until (not_running, pg->cluster, WAIT_MS));
  g_test_assert_expected_messages ();
  g_assert_true (dsd_test_run_until (all_dead, processes, WAIT_MS));

  /* postmaster.pid still names the dead postmaster. */
  g_assert_cmpint (dsd_test_pg_get_pid (pg), ==, pid);
  g_assert_true (dsd_test_pg_start_cluster (pg->cluster, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (dsd_test_pg_get_pid (pg), !=, pid);

  result = exec_ok ("SELECT 1", 0, NULL);
}

static void
test_cluster_long_path (void)
{
  g_autoptr(DsdTestPg) pg = NULL;
  g_autoptr(PGresult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *subdir = g_strnfill (100, 'd');
  PQconninfoOption *options;

  /* Too long for a socket address under the data directory. */
  pg = dsd_test_pg_new_full (subdir);
  result = dsd_pg_exec_sync (dsd_test_pg_get_conninfo (pg), "SELECT 1", 0, NULL, &error);
  g_assert_no_error (error);

  options = PQconninfoParse (dsd_test_pg_get_conninfo (pg), NULL);
  for (PQconninfoOption *option = options; option->keyword != NULL; option++)
    {
      if (g_str_equal (option->keyword, "host"))
        {
          g_assert_false (g_str_has_prefix (option->val, pg->data_dir));
          g_clear_pointer (&pg, dsd_test_pg_free);
          dsd_test_remove_tree (option->val);
        }
    }
  PQconninfoFree (options);
  g_assert_null (pg);
}

/* Migrations -------------------------------------------------------------- */

static void
test_migrations_once (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) result = NULL;
  guint expected = count_migrations ();
  guint n_applied = G_MAXUINT;

  g_assert_cmpuint (expected, >, 0);

  g_assert_true (dsd_migrations_apply (get_conninfo (), &n_applied, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n_applied, ==, expected);

  g_assert_true (dsd_migrations_apply (get_conninfo (), &n_applied, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n_applied, ==, 0);

  result = exec_ok ("SELECT count(*) FROM public.schema_migrations", 0, NULL);
  g_assert_cmpint (atoi (PQgetvalue (result, 0, 0)), ==, expected);
}

typedef struct
{
  const char *conninfo;
  guint       n_applied;
  GError     *error;
} Applier;

static gpointer
apply_thread (gpointer user_data)
{
  Applier *applier = user_data;

  dsd_migrations_apply (applier->conninfo, &applier->n_applied, &applier->error);

  return NULL;
}

static void
test_migrations_concurrent (void)
{
  g_autofree char *conninfo = g_strdup_printf ("%s dbname=migrations_concurrent",
                                               get_conninfo ());
  g_autoptr(PGresult) created = exec_ok ("CREATE DATABASE migrations_concurrent", 0, NULL);
  g_autoptr(PGresult) result = NULL;
  Applier appliers[2] = { { conninfo }, { conninfo } };
  GThread *threads[2];

  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    threads[i] = g_thread_new ("applier", apply_thread, &appliers[i]);

  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    {
      g_thread_join (threads[i]);
      g_assert_no_error (appliers[i].error);
    }

  g_assert_cmpuint (appliers[0].n_applied + appliers[1].n_applied, ==, count_migrations ());

  result = dsd_pg_exec_sync (conninfo, "SELECT count(*) FROM public.schema_migrations",
                             0, NULL, NULL);
  g_assert_cmpint (atoi (PQgetvalue (result, 0, 0)), ==, count_migrations ());
}

/* A new database with every migration applied: its conninfo */
static char *
migrated_database (const char *name)
{
  g_autofree char *create = g_strdup_printf ("CREATE DATABASE %s", name);
  g_autofree char *conninfo = g_strdup_printf ("%s dbname=%s", get_conninfo (), name);
  g_autoptr(PGresult) created = exec_ok (create, 0, NULL);
  g_autoptr(GError) error = NULL;

  g_assert_true (dsd_migrations_apply (conninfo, NULL, &error));
  g_assert_no_error (error);

  return g_steal_pointer (&conninfo);
}

static char *
query_value (const char *conninfo,
             const char *sql)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) result = dsd_pg_exec_sync (conninfo, sql, 0, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (result);

  return g_strdup (PQgetvalue (result, 0, 0));
}

static void
exec_on (const char *conninfo,
         const char *sql)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) result = dsd_pg_exec_sync (conninfo, sql, 0, NULL, &error);

  g_assert_no_error (error);
}

static void
test_migrations_functions_reapplied (void)
{
  g_autofree char *conninfo = migrated_database ("migrations_functions");
  g_autofree char *changed = NULL;
  g_autofree char *restored = NULL;
  g_autofree char *dropped = NULL;
  g_autoptr(GError) error = NULL;
  guint n_applied = G_MAXUINT;

  /* An older build's body, and a function lost: the next start puts back this build's. */
  exec_on (conninfo, "CREATE OR REPLACE FUNCTION dispatch.is_staff(p_role text) "
                     "RETURNS boolean LANGUAGE sql AS $$ SELECT false $$");
  changed = query_value (conninfo, "SELECT dispatch.is_staff('admin')");
  g_assert_cmpstr (changed, ==, "f");
  exec_on (conninfo, "DROP FUNCTION dispatch.order_counts()");

  g_assert_true (dsd_migrations_apply (conninfo, &n_applied, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n_applied, ==, 0);

  restored = query_value (conninfo, "SELECT dispatch.is_staff('admin')");
  g_assert_cmpstr (restored, ==, "t");
  dropped = query_value (conninfo, "SELECT to_regprocedure('dispatch.order_counts()') IS NOT NULL");
  g_assert_cmpstr (dropped, ==, "t");
}

static void
test_migrations_changed_refused (void)
{
  g_autofree char *conninfo = migrated_database ("migrations_changed");
  g_autoptr(GError) error = NULL;
  g_autofree char *is_staff = NULL;

  /* As if 0006-orders.sql had been edited after this database got it */
  exec_on (conninfo, "UPDATE public.schema_migrations SET checksum = 'edited' "
                     "WHERE name = '0006-orders.sql'");
  exec_on (conninfo, "CREATE OR REPLACE FUNCTION dispatch.is_staff(p_role text) "
                     "RETURNS boolean LANGUAGE sql AS $$ SELECT false $$");

  g_assert_false (dsd_migrations_apply (conninfo, NULL, &error));
  g_assert_error (error, DISPATCH_ERROR, DISPATCH_ERROR_INTERNAL);
  g_assert_nonnull (strstr (error->message, "migration 0006-orders.sql differs from the "
                                            "0006-orders.sql applied to this database"));
  g_assert_nonnull (strstr (error->message, "never changes once shipped"));

  /* Refused before anything ran: the functions were not re-applied either. */
  is_staff = query_value (conninfo, "SELECT dispatch.is_staff('admin')");
  g_assert_cmpstr (is_staff, ==, "f");
}

static void
test_migrations_newer_refused (void)
{
  g_autofree char *conninfo = migrated_database ("migrations_newer");
  g_autoptr(GError) error = NULL;

  exec_on (conninfo, "INSERT INTO public.schema_migrations (version, name, checksum) "
                     "VALUES (9999, '9999-future.sql', 'x')");

  g_assert_false (dsd_migrations_apply (conninfo, NULL, &error));
  g_assert_error (error, DISPATCH_ERROR, DISPATCH_ERROR_INTERNAL);
  g_assert_nonnull (strstr (error->message, "migration 9999-future.sql was applied to this "
                                            "database by a newer dispatchd"));
}

/* The CHECK constraints, the database's backstop, state the C limits. */
static void
test_migrations_limits (void)
{
  static const struct {
    const char *constraint;
    const char *bound;
    gint64      value;
  } checks[] = {
    { "drivers_name_check", "<=", DISPATCH_NAME_MAX_LENGTH },
    { "drivers_phone_limit", "<=", DISPATCH_PHONE_MAX_LENGTH },
    { "drivers_capacity_limit", "<=", DISPATCH_DRIVER_MAX_CAPACITY },
    { "users_username_check", "<=", DISPATCH_USERNAME_MAX_LENGTH },
    { "users_customer_id_limit", "<=", DISPATCH_ID_MAX_LENGTH },
    { "inventory_sku_limit", "<=", DISPATCH_SKU_MAX_LENGTH },
    { "inventory_name_limit", "<=", DISPATCH_NAME_MAX_LENGTH },
    { "inventory_quantity_limit", "<=", DISPATCH_STOCK_MAX },
    { "orders_customer_id_limit", "<=", DISPATCH_ID_MAX_LENGTH },
    { "orders_pickup_address_limit", "<=", DISPATCH_ADDRESS_MAX_LENGTH },
    { "orders_dropoff_address_limit", "<=", DISPATCH_ADDRESS_MAX_LENGTH },
    { "orders_notes_limit", "<=", DISPATCH_NOTES_MAX_LENGTH },
    { "orders_status_reason_limit", "<=", DISPATCH_REASON_MAX_LENGTH },
    { "orders_items_limit", "<=", DISPATCH_ORDER_MAX_ITEMS },
    { "orders_priority_check", "<=", DISPATCH_PRIORITY_MAX },
    { "idempotency_keys_key_limit", "<=", DISPATCH_IDEMPOTENCY_KEY_MAX_LENGTH },
    { "webhooks_url_check", "<=", DISPATCH_WEBHOOK_URL_MAX_LENGTH },
    { "webhooks_events_check", "<=", DISPATCH_WEBHOOK_MAX_EVENTS },
    { "webhooks_secret_check", ">=", DISPATCH_WEBHOOK_SECRET_MIN_LENGTH },
    { "webhooks_secret_check", "<=", DISPATCH_WEBHOOK_SECRET_MAX_LENGTH },
  };
  g_autofree char *conninfo = migrated_database ("migrations_limits");

  for (guint i = 0; i < G_N_ELEMENTS (checks); i++)
    {
      g_autofree char *bound = g_strdup_printf ("%s %" G_GINT64_FORMAT ")", checks[i].bound,
                                                checks[i].value);
      g_autofree char *definition = NULL;
      g_autofree char *sql = NULL;

      sql = g_strdup_printf ("SELECT pg_get_constraintdef(oid) || "
                             "CASE WHEN convalidated THEN '' ELSE ' NOT VALID' END "
                             "FROM pg_constraint WHERE conname = '%s'", checks[i].constraint);
      definition = query_value (conninfo, sql);

      g_test_message ("%s: %s", checks[i].constraint, definition);
      g_assert_nonnull (strstr (definition, bound));
      g_assert_null (strstr (definition, "NOT VALID"));
    }
}

/* Pool -------------------------------------------------------------------- */

static void
test_pool_query (void)
{
  DsdPgPool *pool = open_pool (2);
  g_autoptr(PGresult) table = exec_ok ("CREATE TABLE public.pool_test (x integer)", 0, NULL);
  g_autoptr(PGresult) inserted = NULL;
  g_autoptr(GError) error = NULL;
  const char *sum[] = { "2", "3" };
  const char *null[] = { NULL };
  g_autofree char *value = NULL;
  g_autofree char *again = NULL;
  g_autofree char *is_null = NULL;
  g_autofree char *name = NULL;

  value = pool_query_value (pool, "SELECT $1::int + $2::int", 2, sum);
  g_assert_cmpstr (value, ==, "5");
  again = pool_query_value (pool, "SELECT $1::int + $2::int", 2, sum);
  g_assert_cmpstr (again, ==, "5");
  is_null = pool_query_value (pool, "SELECT $1::text IS NULL", 1, null);
  g_assert_cmpstr (is_null, ==, "t");
  name = pool_query_value (pool, "SELECT current_setting('application_name')", 0, NULL);
  g_assert_cmpstr (name, ==, "dispatchd");

  inserted = pool_query (pool, "INSERT INTO public.pool_test VALUES ($1)", 1, sum, &error);
  g_assert_no_error (error);
  g_assert_cmpint (PQresultStatus (inserted), ==, PGRES_COMMAND_OK);
  g_assert_cmpstr (PQcmdTuples (inserted), ==, "1");

  close_pool (pool);
}

static void
count_cb (DsdPgPool *pool,
          guint     *count)
{
  (*count)++;
}

/* The daemon's sessions carry -c dispatch.outbox_notify=off on top of the
 * options of the conninfo; its writes (and only they) emit ::committed. */
static void
test_pool_committed (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *conninfo = NULL;
  g_autofree char *both = NULL;
  g_autofree char *setting = NULL;
  g_autofree char *zone = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(PGresult) written = NULL;
  g_autoptr(DsdPgPool) pool = NULL;
  GAsyncResult *slot = NULL;
  guint committed = 0;

  g_assert_null (dsd_pg_conninfo_add_option ("host='unterminated", "-c x.y=z", &error));
  g_assert_error (error, DISPATCH_ERROR, DISPATCH_ERROR_UNAVAILABLE);
  g_clear_error (&error);

  conninfo = g_strdup_printf ("%s options='-c TimeZone=UTC'", get_conninfo ());
  both = dsd_pg_conninfo_add_option (conninfo, "-c dispatch.outbox_notify=off", &error);
  g_assert_no_error (error);
  pool = dsd_pg_pool_new (both, 1);
  dsd_pg_pool_open_async (pool, NULL, dsd_test_store_result_cb, &slot);
  result = dsd_test_wait_result (&slot, WAIT_MS);
  g_assert_true (dsd_pg_pool_open_finish (pool, result, &error));
  g_assert_no_error (error);
  g_signal_connect (pool, "committed", G_CALLBACK (count_cb), &committed);

  setting = pool_query_value (pool, "SELECT current_setting('dispatch.outbox_notify')", 0, NULL);
  g_assert_cmpstr (setting, ==, "off");
  zone = pool_query_value (pool, "SELECT current_setting('TimeZone')", 0, NULL);
  g_assert_cmpstr (zone, ==, "UTC");
  g_assert_cmpuint (committed, ==, 0);

  g_clear_object (&result);
  dsd_pg_pool_write_async (pool, "SELECT 1", 0, NULL, NULL, dsd_test_store_result_cb, &slot);
  result = dsd_test_wait_result (&slot, WAIT_MS);
  written = dsd_pg_pool_query_finish (pool, result, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (committed, ==, 1);

  g_clear_object (&result);
  g_test_expect_message (STORE_DOMAIN, G_LOG_LEVEL_WARNING, "PostgreSQL error 22012: *");
  dsd_pg_pool_write_async (pool, "SELECT 1/0", 0, NULL, NULL, dsd_test_store_result_cb, &slot);
  result = dsd_test_wait_result (&slot, WAIT_MS);
  g_assert_null (dsd_pg_pool_query_finish (pool, result, &error));
  g_test_assert_expected_messages ();
  g_assert_nonnull (error);
  g_assert_cmpuint (committed, ==, 1);

  g_clear_object (&result);
  close_pool (g_steal_pointer (&pool));
}

typedef struct
{
  guint  done;
  guint  failed;
  guint  max_active;
  guint  order;
  GError *first_error;
} Tally;

typedef struct
{
  Tally *tally;
  guint  index;
  /* Rank among completions */
  guint  rank;
} Pending;

static void
tally_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  Pending *pending = user_data;
  Tally *tally = pending->tally;
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) rows = dsd_pg_pool_query_finish (DSD_PG_POOL (object), result, &error);

  pending->rank = tally->order++;

  if (error != NULL)
    {
      tally->failed++;
      if (tally->first_error == NULL)
        tally->first_error = g_steal_pointer (&error);
      return;
    }

  /* Queries that report the number of active backends and echo their index. */
  if (PQnfields (rows) >= 2)
    {
      g_assert_cmpint (atoi (PQgetvalue (rows, 0, 0)), ==, pending->index);
      tally->max_active = MAX (tally->max_active, (guint) atoi (PQgetvalue (rows, 0, 1)));
    }

  tally->done++;
}

typedef struct
{
  Tally *tally;
  guint  expected;
} TallyWait;

static gboolean
tally_complete (gpointer user_data)
{
  TallyWait *wait = user_data;

  return wait->tally->done + wait->tally->failed >= wait->expected;
}

static void
test_pool_queue (void)
{
  DsdPgPool *pool = open_pool (2);
  Tally tally = { 0 };
  TallyWait wait = { &tally, 100 };
  g_autofree Pending *pending = g_new0 (Pending, wait.expected);
  gint64 begin = g_get_monotonic_time ();
  double elapsed;

  for (guint i = 0; i < wait.expected; i++)
    {
      g_autofree char *index = g_strdup_printf ("%u", i);
      const char *params[] = { index };

      pending[i] = (Pending) { &tally, i };
      dsd_pg_pool_query_async (pool,
                               "SELECT $1::int, (SELECT count(*) FROM pg_stat_activity "
                               "WHERE application_name = 'dispatchd' AND state = 'active'), "
                               "pg_sleep(0.01)",
                               1, params, NULL, tally_cb, &pending[i]);
    }

  g_assert_true (dsd_test_run_until (tally_complete, &wait, 30000));
  elapsed = (g_get_monotonic_time () - begin) / (double) G_USEC_PER_SEC;
  g_test_message ("100 queries of 10 ms on 2 connections: %.2f s, at most %u active",
                  elapsed, tally.max_active);

  g_assert_no_error (tally.first_error);
  g_assert_cmpuint (tally.done, ==, wait.expected);
  g_assert_cmpuint (tally.max_active, <=, 2);

  close_pool (pool);
}

static void
test_pool_queue_bound (void)
{
  DsdPgPool *pool = open_pool (1);
  Tally tally = { 0 };
  TallyWait wait = { &tally, DSD_PG_POOL_MAX_QUEUED + 2 };
  g_autofree Pending *pending = g_new0 (Pending, wait.expected);

  for (guint i = 0; i < wait.expected; i++)
    {
      pending[i] = (Pending) { &tally, i };
      dsd_pg_pool_query_async (pool, i == 0 ? "SELECT pg_sleep(1)" : "SELECT 1",
                               0, NULL, NULL, tally_cb, &pending[i]);
    }

  g_assert_true (dsd_test_run_until (tally_complete, &wait, 120000));

  /* One in flight, a full queue, and the one too many refused at once. On a
   * slow machine the tail of the queue may wait past
   * DSD_PG_POOL_ACQUIRE_TIMEOUT_MS and fail too (test_pool_deadlines). */
  g_assert_cmpuint (tally.failed, >=, 1);
  g_assert_error (tally.first_error, DISPATCH_ERROR, DISPATCH_ERROR_UNAVAILABLE);
  g_assert_cmpuint (pending[wait.expected - 1].rank, ==, 0);
  g_assert_cmpuint (tally.done + tally.failed, ==, DSD_PG_POOL_MAX_QUEUED + 2);
  g_test_message ("%u of %u queued queries waited too long", tally.failed - 1,
                  DSD_PG_POOL_MAX_QUEUED);
  g_clear_error (&tally.first_error);

  close_pool (pool);
}

/* A statement slower than statement_timeout is cancelled by the server, and
 * a query that cannot get a connection in time gives up: both UNAVAILABLE
 * (503 + Retry-After for a request), neither waits for the slow one. The
 * second is slow too: the acquire timeout and the first one's statement
 * timeout are equal, so it may get the connection just before its own
 * deadline, and must then fail by statement_timeout as well. */
static void
test_pool_deadlines (void)
{
  DsdPgPool *pool = open_pool (1);
  Tally tally = { 0 };
  TallyWait wait = { &tally, 2 };
  Pending pending[2] = { { &tally, 0 }, { &tally, 1 } };

  dsd_pg_pool_query_async (pool, "SELECT pg_sleep(600)", 0, NULL, NULL, tally_cb, &pending[0]);
  dsd_pg_pool_query_async (pool, "SELECT pg_sleep(600)", 0, NULL, NULL, tally_cb, &pending[1]);

  g_assert_true (dsd_test_run_until (tally_complete, &wait, 60000));
  g_assert_cmpuint (tally.failed, ==, 2);
  g_assert_error (tally.first_error, DISPATCH_ERROR, DISPATCH_ERROR_UNAVAILABLE);
  g_clear_error (&tally.first_error);

  close_pool (pool);
}

static void
test_pool_cancel (void)
{
  DsdPgPool *pool = open_pool (1);
  g_autoptr(GCancellable) in_flight = g_cancellable_new ();
  g_autoptr(GCancellable) queued = g_cancellable_new ();
  g_autoptr(GAsyncResult) first = NULL;
  g_autoptr(GAsyncResult) second = NULL;
  g_autoptr(PGresult) rows = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *value = NULL;
  GAsyncResult *first_slot = NULL;
  GAsyncResult *second_slot = NULL;

  dsd_pg_pool_query_async (pool, "SELECT pg_sleep(0.3)", 0, NULL, in_flight,
                           dsd_test_store_result_cb, &first_slot);
  dsd_pg_pool_query_async (pool, "SELECT 2", 0, NULL, queued,
                           dsd_test_store_result_cb, &second_slot);
  g_cancellable_cancel (queued);
  g_cancellable_cancel (in_flight);

  /* The queued one is dropped at once, the one in flight finishes first. */
  second = dsd_test_wait_result (&second_slot, WAIT_MS);
  g_assert_null (first_slot);
  rows = dsd_pg_pool_query_finish (pool, second, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (rows);
  g_clear_error (&error);

  first = dsd_test_wait_result (&first_slot, WAIT_MS);
  rows = dsd_pg_pool_query_finish (pool, first, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (rows);

  value = pool_query_value (pool, "SELECT 3", 0, NULL);
  g_assert_cmpstr (value, ==, "3");

  g_clear_object (&first);
  g_clear_object (&second);
  close_pool (pool);
}

static void
assert_pool_error (DsdPgPool          *pool,
                   const char         *sql,
                   int                 n_params,
                   const char * const *params,
                   DispatchError       code,
                   const char         *message,
                   const char         *field)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) rows = pool_query (pool, sql, n_params, params, &error);

  g_assert_null (rows);
  g_assert_error (error, DISPATCH_ERROR, (int) code);
  g_assert_cmpstr (error->message, ==, message);
  g_assert_cmpstr (dispatch_error_get_field (error), ==, field);
}

static void
test_pool_errors (void)
{
  const char *raise_sql = "SELECT public.dsd_test_raise($1, $2)";
  const char *transition[] = { "invalid_transition", "status" };
  const char *not_found[] = { "not_found", NULL };
  const char *unknown[] = { "no_such_code", NULL };
  const char *too_many[] = { "53300" };
  const char *link_failure[] = { "08006" };
  const char *zero[] = { "0" };
  const char *one[] = { "1" };
  g_autoptr(PGresult) function = NULL;
  g_autoptr(PGresult) rows = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *value = NULL;
  DsdPgPool *pool;

  function = exec_ok ("CREATE FUNCTION public.dsd_test_raise(p_code text, p_hint text) "
                      "RETURNS void LANGUAGE plpgsql AS $$ BEGIN "
                      "  IF p_hint IS NULL THEN "
                      "    RAISE EXCEPTION USING ERRCODE = 'DS001', MESSAGE = 'not like this', "
                      "      DETAIL = p_code; "
                      "  END IF; "
                      "  RAISE EXCEPTION USING ERRCODE = 'DS001', MESSAGE = 'not like this', "
                      "    DETAIL = p_code, HINT = p_hint; "
                      "END $$; "
                      "CREATE FUNCTION public.dsd_test_raise_state(p_state text) "
                      "RETURNS void LANGUAGE plpgsql AS $$ BEGIN "
                      "  RAISE EXCEPTION USING ERRCODE = p_state, MESSAGE = 'raised'; "
                      "END $$",
                      0, NULL);
  pool = open_pool (1);

  assert_pool_error (pool, raise_sql, 2, transition,
                     DISPATCH_ERROR_INVALID_TRANSITION, "not like this", "status");
  assert_pool_error (pool, raise_sql, 2, not_found,
                     DISPATCH_ERROR_NOT_FOUND, "not like this", NULL);
  assert_pool_error (pool, "SELECT public.dsd_test_raise_state($1)", 1, too_many,
                     DISPATCH_ERROR_UNAVAILABLE, "database unavailable", NULL);
  assert_pool_error (pool, "SELECT public.dsd_test_raise_state($1)", 1, link_failure,
                     DISPATCH_ERROR_UNAVAILABLE, "database unavailable", NULL);

  g_test_expect_message (STORE_DOMAIN, G_LOG_LEVEL_WARNING, "PostgreSQL error DS001: not like*");
  assert_pool_error (pool, raise_sql, 2, unknown,
                     DISPATCH_ERROR_INTERNAL, "internal error", NULL);
  g_test_assert_expected_messages ();

  g_test_expect_message (STORE_DOMAIN, G_LOG_LEVEL_WARNING, "PostgreSQL error 42601: *");
  assert_pool_error (pool, "SELEC 1", 0, NULL, DISPATCH_ERROR_INTERNAL, "internal error", NULL);
  g_test_assert_expected_messages ();

  g_test_expect_message (STORE_DOMAIN, G_LOG_LEVEL_WARNING, "PostgreSQL error 22012: *");
  assert_pool_error (pool, "SELECT 1 / $1::int", 1, zero,
                     DISPATCH_ERROR_INTERNAL, "internal error", NULL);
  g_test_assert_expected_messages ();

  /* The connection is still good after all that. */
  value = pool_query_value (pool, "SELECT 1 / $1::int", 1, one);
  g_assert_cmpstr (value, ==, "1");
  close_pool (pool);

  /* The same mapping for the synchronous path. */
  rows = dsd_pg_exec_sync (get_conninfo (), raise_sql, 2, transition, &error);
  g_assert_null (rows);
  g_assert_error (error, DISPATCH_ERROR, DISPATCH_ERROR_INVALID_TRANSITION);
  g_assert_cmpstr (dispatch_error_get_field (error), ==, "status");
  g_clear_error (&error);

  rows = dsd_pg_exec_sync ("host=/nonexistent dbname=nothing", "SELECT 1", 0, NULL, &error);
  g_assert_null (rows);
  g_assert_error (error, DISPATCH_ERROR, DISPATCH_ERROR_UNAVAILABLE);
}

static void
test_pool_unreachable (void)
{
  g_autoptr(DsdPgPool) pool = dsd_pg_pool_new ("host=/nonexistent dbname=nothing", 2);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(PGresult) rows = NULL;
  g_autoptr(GError) error = NULL;
  GAsyncResult *slot = NULL;

  dsd_pg_pool_open_async (pool, NULL, dsd_test_store_result_cb, &slot);
  result = dsd_test_wait_result (&slot, WAIT_MS);
  g_assert_false (dsd_pg_pool_open_finish (pool, result, &error));
  g_assert_error (error, DISPATCH_ERROR, DISPATCH_ERROR_UNAVAILABLE);
  g_clear_error (&error);
  g_clear_object (&result);

  rows = pool_query (pool, "SELECT 1", 0, NULL, &error);
  g_assert_null (rows);
  g_assert_error (error, DISPATCH_ERROR, DISPATCH_ERROR_UNAVAILABLE);

  close_pool (g_steal_pointer (&pool));
}

/* Listener ---------------------------------------------------------------- */

typedef struct
{
  DsdPgListener *listener;
  GPtrArray     *payloads;
  guint          reconnected;
} Heard;

static void
notify_received_cb (DsdPgListener *listener,
                    const char    *payload,
                    Heard         *heard)
{
  g_ptr_array_add (heard->payloads, g_strdup (payload));
}

static void
reconnected_cb (DsdPgListener *listener,
                Heard         *heard)
{
  heard->reconnected++;
}

static gboolean
is_listening (gpointer user_data)
{
  Heard *heard = user_data;

  return dsd_pg_listener_is_listening (heard->listener);
}

static gboolean
heard_two (gpointer user_data)
{
  Heard *heard = user_data;

  return heard->payloads->len >= 2;
}

static void
start_listener (Heard *heard)
{
  heard->listener = dsd_pg_listener_new (get_conninfo (), "dsd_test");
  heard->payloads = g_ptr_array_new_with_free_func (g_free);
  g_signal_connect (heard->listener, "notify-received", G_CALLBACK (notify_received_cb), heard);
  g_signal_connect (heard->listener, "reconnected", G_CALLBACK (reconnected_cb), heard);
  dsd_pg_listener_start (heard->listener);
  g_assert_true (dsd_test_run_until (is_listening, heard, WAIT_MS));
}

static void
notify_two (const char *first,
            const char *second)
{
  const char *params[] = { first, second };
  g_autoptr(PGresult) result = NULL;

  result = exec_ok ("SELECT pg_notify('other', 'ignored'), pg_notify('dsd_test', $1), "
                    "pg_notify('dsd_test', $2)",
                    2, params);
}

static void
stop_listener (Heard *heard)
{
  dsd_pg_listener_stop (heard->listener);
  g_assert_false (dsd_pg_listener_is_listening (heard->listener));
  g_assert_finalize_object (heard->listener);
  g_ptr_array_unref (heard->payloads);
}

static void
test_listener_notify (void)
{
  Heard heard = { 0 };

  start_listener (&heard);
  notify_two ("one", "two");
  g_assert_true (dsd_test_run_until (heard_two, &heard, WAIT_MS));
  g_assert_cmpuint (heard.payloads->len, ==, 2);
  g_assert_cmpstr (heard.payloads->pdata[0], ==, "one");
  g_assert_cmpstr (heard.payloads->pdata[1], ==, "two");
  g_assert_cmpuint (heard.reconnected, ==, 0);

  stop_listener (&heard);
}

/* Outage ------------------------------------------------------------------ */

static gboolean
pool_down (gpointer user_data)
{
  return !dsd_pg_pool_is_up (user_data);
}

static gboolean
pool_up (gpointer user_data)
{
  return dsd_pg_pool_is_up (user_data);
}

static gboolean
reconnected_and_listening (gpointer user_data)
{
  Heard *heard = user_data;

  return heard->reconnected > 0 && dsd_pg_listener_is_listening (heard->listener);
}

/* TARGETS R4: UNAVAILABLE while PostgreSQL is down, recovery by itself. */
static void
test_outage_recovery (void)
{
  DsdTestPg *pg = get_pg ();
  DsdPgPool *pool = open_pool (3);
  Heard heard = { 0 };
  g_autoptr(PGresult) rows = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  gint64 ready_at;
  double recovery;

  start_listener (&heard);
  before = pool_query_value (pool, "SELECT 1", 0, NULL);

  dsd_pg_cluster_stop (pg->cluster);
  g_assert_true (dsd_test_run_until (pool_down, pool, WAIT_MS));
  g_assert_false (dsd_pg_listener_is_listening (heard.listener));

  rows = pool_query (pool, "SELECT 1", 0, NULL, &error);
  g_assert_error (error, DISPATCH_ERROR, DISPATCH_ERROR_UNAVAILABLE);
  g_clear_error (&error);

  /* Long enough for the reconnection backoff to reach its ceiling. */
  dsd_test_run_for (4000);
  rows = pool_query (pool, "SELECT 1", 0, NULL, &error);
  g_assert_error (error, DISPATCH_ERROR, DISPATCH_ERROR_UNAVAILABLE);
  g_clear_error (&error);

  g_assert_true (dsd_test_pg_start_cluster (pg->cluster, NULL, &error));
  g_assert_no_error (error);
  ready_at = g_get_monotonic_time ();

  g_assert_true (dsd_test_run_until (pool_up, pool, WAIT_MS));
  recovery = (g_get_monotonic_time () - ready_at) / (double) G_USEC_PER_SEC;
  g_test_message ("pool up again %.2f s after PostgreSQL was", recovery);
  g_assert_cmpfloat (recovery, <=, 5.0);

  after = pool_query_value (pool, "SELECT 2", 0, NULL);
  g_assert_cmpstr (after, ==, "2");

  g_assert_true (dsd_test_run_until (reconnected_and_listening, &heard, WAIT_MS));
  notify_two ("three", "four");
  g_assert_true (dsd_test_run_until (heard_two, &heard, WAIT_MS));
  g_assert_cmpstr (heard.payloads->pdata[0], ==, "three");
  g_assert_cmpuint (heard.reconnected, ==, 1);

  stop_listener (&heard);
  close_pool (pool);
}

/* Shutdown ---------------------------------------------------------------- */

static void
test_shutdown_stop (void)
{
  DsdTestPg *pg = get_pg ();
  int pid = dsd_test_pg_get_pid (pg);
  g_autoptr(GArray) processes = dsd_test_child_pids (pid);

  g_array_append_val (processes, pid);

  dsd_pg_cluster_stop (pg->cluster);
  g_assert_false (dsd_pg_cluster_is_running (pg->cluster));
  g_assert_cmpint (dsd_test_pg_get_pid (pg), ==, 0);
  g_assert_true (all_dead (processes));

  g_clear_pointer (&shared_pg, dsd_test_pg_free);
}

int
main (int   argc,
      char *argv[])
{
  int ret;

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/pg/cluster/start", test_cluster_start);
  g_test_add_func ("/pg/cluster/reuse", test_cluster_reuse);
  g_test_add_func ("/pg/cluster/restart", test_cluster_restart);
  g_test_add_func ("/pg/cluster/killed-postmaster", test_cluster_killed_postmaster);
  g_test_add_func ("/pg/cluster/long-path", test_cluster_long_path);
  g_test_add_func ("/pg/migrations/once", test_migrations_once);
  g_test_add_func ("/pg/migrations/concurrent", test_migrations_concurrent);
  g_test_add_func ("/pg/migrations/functions-reapplied", test_migrations_functions_reapplied);
  g_test_add_func ("/pg/migrations/changed-refused", test_migrations_changed_refused);
  g_test_add_func ("/pg/migrations/newer-refused", test_migrations_newer_refused);
  g_test_add_func ("/pg/migrations/limits", test_migrations_limits);
  g_test_add_func ("/pg/pool/query", test_pool_query);
  g_test_add_func ("/pg/pool/committed", test_pool_committed);
  g_test_add_func ("/pg/pool/queue", test_pool_queue);
  g_test_add_func ("/pg/pool/queue-bound", test_pool_queue_bound);
  g_test_add_func ("/pg/pool/deadlines", test_pool_deadlines);
  g_test_add_func ("/pg/pool/cancel", test_pool_cancel);
  g_test_add_func ("/pg/pool/errors", test_pool_errors);
  g_test_add_func ("/pg/pool/unreachable", test_pool_unreachable);
  g_test_add_func ("/pg/listener/notify", test_listener_notify);
  g_test_add_func ("/pg/outage/recovery", test_outage_recovery);
  g_test_add_func ("/pg/shutdown/stop", test_shutdown_stop);

  ret = g_test_run ();

  /* When only some tests ran. */
  g_clear_pointer (&shared_pg, dsd_test_pg_free);

  return ret;
}
