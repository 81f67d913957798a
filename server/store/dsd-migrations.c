/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-store"

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "dispatch-error.h"
#include "dsd-migrations.h"
#include "dsd-pg-pool.h"
#include "dsd-resources.h"

#define MIGRATIONS_PATH "/io/github/dispatchd/server/sql/"
#define FUNCTIONS_PATH MIGRATIONS_PATH "functions/"
/* Any constant shared by all appliers: "dspm" in ASCII */
#define MIGRATIONS_LOCK "1685287021"

/* A migration not applied yet */
typedef struct
{
  char   *name;
  int     version;
  GBytes *sql;
  char   *checksum;
} Migration;

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

/* The *.sql files right under path, in name order (subfolders are skipped). */
static GPtrArray *
list_sql (const char  *path,
          GError     **error)
{
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_auto(GStrv) children = NULL;

  /* dsd_get_resource() also makes sure the resource is linked into the binary. */
  children = g_resource_enumerate_children (dsd_get_resource (), path,
                                            G_RESOURCE_LOOKUP_FLAGS_NONE, error);
  if (children == NULL)
    return NULL;

  for (guint i = 0; children[i] != NULL; i++)
    {
      if (g_str_has_suffix (children[i], ".sql"))
        g_ptr_array_add (names, g_strdup (children[i]));
    }
  g_ptr_array_sort (names, compare_names);

  return g_steal_pointer (&names);
}

/* "0007-orders.sql" → 7 */
static gboolean
parse_version (const char  *name,
               int         *version,
               GError     **error)
{
  g_autofree char *digits = g_strndup (name, strspn (name, "0123456789"));
  guint64 value;

  if (name[strlen (digits)] != '-' ||
      !g_ascii_string_to_unsigned (digits, 10, 1, G_MAXINT, &value, NULL))
    {
      g_set_error (error, DISPATCH_ERROR, DISPATCH_ERROR_INTERNAL,
                   "migration %s: the name must be NNNN-name.sql", name);
      return FALSE;
    }

  *version = (int) value;

  return TRUE;
}

/* position: PG_DIAG_STATEMENT_POSITION, 1-based, in characters */
static int
position_to_line (const char *text,
                  const char *position)
{
  long chars = strtol (position, NULL, 10);
  int line = 1;

  for (const char *p = text; *p != '\0' && chars > 1; p = g_utf8_next_char (p), chars--)
    {
      if (*p == '\n')
        line++;
    }

  return line;
}

static gboolean
exec_checked (PGconn              *pg,
              const char          *sql,
              int                  n_params,
              const char * const  *params,
              const char          *what,
              PGresult           **out_result,
              GError             **error)
{
  g_autoptr(PGresult) result = NULL;
  g_autofree char *message = NULL;
  const char *position;
  ExecStatusType status;

  /* PQexec for whole files: PQexecParams takes a single statement only. */
  if (n_params == 0)
    result = PQexec (pg, sql);
  else
    result = PQexecParams (pg, sql, n_params, NULL, params, NULL, NULL, 0);

  status = PQresultStatus (result);
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_EMPTY_QUERY)
    {
      if (out_result != NULL)
        *out_result = g_steal_pointer (&result);
      return TRUE;
    }

  message = g_strchomp (g_strdup (result != NULL ? PQresultErrorMessage (result)
                                                 : PQerrorMessage (pg)));
  position = PQresultErrorField (result, PG_DIAG_STATEMENT_POSITION);

  if (position != NULL)
    g_set_error (error, DISPATCH_ERROR, DISPATCH_ERROR_INTERNAL, "%s, line %d: %s",
                 what, position_to_line (sql, position), message);
  else
    g_set_error (error, DISPATCH_ERROR, DISPATCH_ERROR_INTERNAL, "%s: %s", what, message);

  return FALSE;
}

static GBytes *
load_sql (const char  *folder,
          const char  *name,
          GError     **error)
{
  g_autofree char *path = g_strconcat (folder, name, NULL);

  /* Resource data is always NUL-terminated. */
  return g_resource_lookup_data (dsd_get_resource (), path, G_RESOURCE_LOOKUP_FLAGS_NONE, error);
}

static gboolean
rollback (PGconn *pg)
{
  g_autoptr(PGresult) result = PQexec (pg, "ROLLBACK");

  return FALSE;
}

static gpointer
migration_new (const char *name,
               int         version,
               GBytes     *sql,
               const char *checksum)
{
  Migration *migration = g_new0 (Migration, 1);

  migration->name = g_strdup (name);
  migration->version = version;
  migration->sql = g_bytes_ref (sql);
  migration->checksum = g_strdup (checksum);

  return migration;
}

static void
migration_free (gpointer data)
{
  Migration *migration = data;

  g_free (migration->name);
  g_bytes_unref (migration->sql);
  g_free (migration->checksum);
  g_free (migration);
}

static gboolean
apply_migration (PGconn     *pg,
                 Migration  *migration,
                 GError    **error)
{
  g_autofree char *version_text = g_strdup_printf ("%d", migration->version);
  g_autofree char *what = g_strdup_printf ("migration %s", migration->name);
  const char *params[] = { version_text, migration->name, migration->checksum };

  g_message ("Applying migration %s", migration->name);

  if (!exec_checked (pg, "BEGIN", 0, NULL, what, NULL, error))
    return FALSE;

  if (!exec_checked (pg, g_bytes_get_data (migration->sql, NULL), 0, NULL, what, NULL,
                     error) ||
      !exec_checked (pg,
                     "INSERT INTO public.schema_migrations (version, name, checksum) "
                     "VALUES ($1, $2, $3)",
                     3, params, what, NULL, error) ||
      !exec_checked (pg, "COMMIT", 0, NULL, what, NULL, error))
    return rollback (pg);

  return TRUE;
}

/* Every file of FUNCTIONS_PATH, in name order, in one transaction: the
 * database runs either all of this build's functions or none of them. */
static gboolean
apply_functions (PGconn      *pg,
                 GError     **error)
{
  g_autoptr(GPtrArray) names = NULL;

  if (!(names = list_sql (FUNCTIONS_PATH, error)) ||
      !exec_checked (pg, "BEGIN", 0, NULL, "functions", NULL, error))
    return FALSE;

  for (guint i = 0; i < names->len; i++)
    {
      const char *name = g_ptr_array_index (names, i);
      g_autofree char *what = g_strdup_printf ("functions/%s", name);
      g_autoptr(GBytes) sql = NULL;

      if (!(sql = load_sql (FUNCTIONS_PATH, name, error)) ||
          !exec_checked (pg, g_bytes_get_data (sql, NULL), 0, NULL, what, NULL, error))
        return rollback (pg);
    }

  if (!exec_checked (pg, "COMMIT", 0, NULL, "functions", NULL, error))
    return rollback (pg);

  return TRUE;
}

/* applied: the rows of schema_migrations (version, name, checksum). A file
 * that was applied must be the same file now; a row without a file means that
 * a newer build upgraded the database, and this build's functions would
 * replace newer ones. */
static gboolean
check_applied (PGresult    *applied,
               const char  *name,
               int          version,
               const char  *checksum,
               gboolean    *is_applied,
               GError     **error)
{
  *is_applied = FALSE;

  for (int row = 0; row < PQntuples (applied); row++)
    {
      if (atoi (PQgetvalue (applied, row, 0)) != version)
        continue;

      if (g_strcmp0 (PQgetvalue (applied, row, 1), name) != 0 ||
          g_strcmp0 (PQgetvalue (applied, row, 2), checksum) != 0)
        {
          g_set_error (error, DISPATCH_ERROR, DISPATCH_ERROR_INTERNAL,
                       "migration %s differs from the %s applied to this database "
                       "(sha256 %s, applied %s): a migration never changes once shipped, "
                       "changes go into a new migration file",
                       name, PQgetvalue (applied, row, 1), checksum,
                       PQgetvalue (applied, row, 2));
          return FALSE;
        }

      *is_applied = TRUE;
      return TRUE;
    }

  return TRUE;
}

static gboolean
check_known (PGresult    *applied,
             GPtrArray   *names,
             GError     **error)
{
  for (int row = 0; row < PQntuples (applied); row++)
    {
      const char *name = PQgetvalue (applied, row, 1);

      if (!g_ptr_array_find_with_equal_func (names, name, g_str_equal, NULL))
        {
          g_set_error (error, DISPATCH_ERROR, DISPATCH_ERROR_INTERNAL,
                       "migration %s was applied to this database by a newer dispatchd "
                       "and this one does not know it: run the newer version", name);
          return FALSE;
        }
    }

  return TRUE;
}

gboolean
dsd_migrations_apply (const char  *conninfo,
                      guint       *n_applied,
                      GError     **error)
{
  g_autoptr(GPtrArray) names = NULL;
  g_autoptr(PGresult) applied = NULL;
  g_autoptr(PGconn) pg = NULL;
  g_autoptr(GPtrArray) pending = g_ptr_array_new_with_free_func (migration_free);
  int previous = 0;

  g_return_val_if_fail (conninfo != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!(names = list_sql (MIGRATIONS_PATH, error)) ||
      !(pg = dsd_pg_connect_sync (conninfo, error)))
    return FALSE;

  /* Concurrent appliers wait here; the lock goes with the connection. */
  if (!exec_checked (pg, "SELECT pg_advisory_lock(" MIGRATIONS_LOCK ")", 0, NULL,
                     "migrations lock", NULL, error) ||
      !exec_checked (pg,
                     "CREATE TABLE IF NOT EXISTS public.schema_migrations ("
                     " version integer PRIMARY KEY,"
                     " name text NOT NULL,"
                     " checksum text NOT NULL,"
                     " applied_at timestamptz NOT NULL DEFAULT now())",
                     0, NULL, "schema_migrations", NULL, error) ||
      !exec_checked (pg, "SELECT version, name, checksum FROM public.schema_migrations",
                     0, NULL, "schema_migrations", &applied, error) ||
      !check_known (applied, names, error))
    return FALSE;

  for (guint i = 0; i < names->len; i++)
    {
      const char *name = g_ptr_array_index (names, i);
      g_autofree char *checksum = NULL;
      g_autoptr(GBytes) sql = NULL;
      gboolean is_applied;
      int version;

      if (!parse_version (name, &version, error))
        return FALSE;

      if (version == previous)
        {
          g_set_error (error, DISPATCH_ERROR, DISPATCH_ERROR_INTERNAL,
                       "migration %s: another migration has version %d", name, version);
          return FALSE;
        }
      previous = version;

      if (!(sql = load_sql (MIGRATIONS_PATH, name, error)))
        return FALSE;
      checksum = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, sql);

      /* Every applied file is checked before anything new is applied. */
      if (!check_applied (applied, name, version, checksum, &is_applied, error))
        return FALSE;
      if (!is_applied)
        g_ptr_array_add (pending, migration_new (name, version, sql, checksum));
    }

  for (guint i = 0; i < pending->len; i++)
    {
      Migration *migration = g_ptr_array_index (pending, i);

      if (!apply_migration (pg, migration, error))
        return FALSE;
    }

  if (!apply_functions (pg, error))
    return FALSE;

  if (n_applied != NULL)
    *n_applied = pending->len;

  return TRUE;
}
