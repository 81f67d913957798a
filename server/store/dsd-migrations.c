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
/* Any constant shared by all appliers: "dspm" in ASCII */
#define MIGRATIONS_LOCK "1685287021"

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

static GPtrArray *
list_migrations (GError **error)
{
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_auto(GStrv) children = NULL;

  /* dsd_get_resource() also makes sure the resource is linked into the binary. */
  children = g_resource_enumerate_children (dsd_get_resource (), MIGRATIONS_PATH,
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

static gboolean
apply_one (PGconn      *pg,
           const char  *name,
           int          version,
           gboolean    *applied,
           GError     **error)
{
  g_autofree char *path = g_strconcat (MIGRATIONS_PATH, name, NULL);
  g_autofree char *version_text = g_strdup_printf ("%d", version);
  g_autofree char *checksum = NULL;
  g_autofree char *what = NULL;
  g_autoptr(PGresult) result = NULL;
  g_autoptr(GBytes) bytes = NULL;
  const char *params[3];

  *applied = FALSE;

  if (!(bytes = g_resource_lookup_data (dsd_get_resource (), path,
                                        G_RESOURCE_LOOKUP_FLAGS_NONE, error)))
    return FALSE;

  checksum = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, bytes);
  params[0] = version_text;
  params[1] = name;
  params[2] = checksum;

  if (!exec_checked (pg, "SELECT checksum FROM public.schema_migrations WHERE version = $1",
                     1, params, "schema_migrations", &result, error))
    return FALSE;

  if (PQntuples (result) > 0)
    {
      if (g_strcmp0 (PQgetvalue (result, 0, 0), checksum) != 0)
        g_warning ("Migration %s changed after it was applied; the change is not applied", name);
      return TRUE;
    }

  g_message ("Applying migration %s", name);
  what = g_strdup_printf ("migration %s", name);

  /* Resource data is always NUL-terminated. */
  if (!exec_checked (pg, "BEGIN", 0, NULL, what, NULL, error) ||
      !exec_checked (pg, g_bytes_get_data (bytes, NULL), 0, NULL, what, NULL, error) ||
      !exec_checked (pg,
                     "INSERT INTO public.schema_migrations (version, name, checksum) "
                     "VALUES ($1, $2, $3)",
                     3, params, what, NULL, error) ||
      !exec_checked (pg, "COMMIT", 0, NULL, what, NULL, error))
    {
      g_clear_pointer (&result, PQclear);
      result = PQexec (pg, "ROLLBACK");
      return FALSE;
    }

  *applied = TRUE;

  return TRUE;
}

gboolean
dsd_migrations_apply (const char  *conninfo,
                      guint       *n_applied,
                      GError     **error)
{
  g_autoptr(GPtrArray) names = NULL;
  g_autoptr(PGconn) pg = NULL;
  guint applied = 0;
  int previous = 0;

  g_return_val_if_fail (conninfo != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!(names = list_migrations (error)) || !(pg = dsd_pg_connect_sync (conninfo, error)))
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
                     0, NULL, "schema_migrations", NULL, error))
    return FALSE;

  for (guint i = 0; i < names->len; i++)
    {
      const char *name = g_ptr_array_index (names, i);
      gboolean done;
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

      if (!apply_one (pg, name, version, &done, error))
        return FALSE;

      applied += done;
    }

  if (n_applied != NULL)
    *n_applied = applied;

  return TRUE;
}
