/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-store"

#include "dsd-retention.h"

#define PURGE_INTERVAL_S 600
/* Seconds from creation to the first run: after the start's own work */
#define FIRST_RUN_S 5
/* Rows per statement: a short transaction that never holds back the ingest. */
#define PURGE_BATCH 10000

struct _DsdRetention {
  GObject     parent_instance;

  DsdPgPool  *pool;
  char       *sql;
  char       *days;
  char       *what;
  guint       timer;
  gboolean    running;
  guint64     n_purged;
};

G_DEFINE_FINAL_TYPE (DsdRetention, dsd_retention, G_TYPE_OBJECT)

static void purge_next (DsdRetention *self);

static void
purged_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(DsdRetention) self = user_data;
  g_autoptr(PGresult) rows = NULL;
  g_autoptr(GError) error = NULL;
  guint64 n;

  rows = dsd_pg_pool_query_finish (DSD_PG_POOL (source), result, &error);
  if (rows == NULL)
    {
      g_warning ("Could not purge old %s: %s", self->what, error->message);
      self->running = FALSE;
      return;
    }

  n = g_ascii_strtoull (PQgetvalue (rows, 0, 0), NULL, 10);
  self->n_purged += n;
  if (n == PURGE_BATCH && self->timer != 0)
    {
      purge_next (self);
      return;
    }

  if (self->n_purged > 0)
    g_message ("Purged %" G_GUINT64_FORMAT " %s older than %s days", self->n_purged, self->what,
               self->days);
  self->running = FALSE;
}

static void
purge_next (DsdRetention *self)
{
  dsd_pg_pool_query_async (self->pool, self->sql, 2,
                           (const char * const[]) { self->days, G_STRINGIFY (PURGE_BATCH) },
                           NULL, purged_cb, g_object_ref (self));
}

static gboolean
tick_cb (gpointer user_data)
{
  DsdRetention *self = user_data;

  if (!self->running)
    {
      self->running = TRUE;
      self->n_purged = 0;
      purge_next (self);
    }

  return G_SOURCE_CONTINUE;
}

static void
dsd_retention_dispose (GObject *object)
{
  DsdRetention *self = DSD_RETENTION (object);

  g_clear_handle_id (&self->timer, g_source_remove);

  G_OBJECT_CLASS (dsd_retention_parent_class)->dispose (object);
}

static void
dsd_retention_finalize (GObject *object)
{
  DsdRetention *self = DSD_RETENTION (object);

  g_clear_object (&self->pool);
  g_free (self->sql);
  g_free (self->days);
  g_free (self->what);

  G_OBJECT_CLASS (dsd_retention_parent_class)->finalize (object);
}

static void
dsd_retention_class_init (DsdRetentionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = dsd_retention_dispose;
  object_class->finalize = dsd_retention_finalize;
}

static void
dsd_retention_init (DsdRetention *self)
{
}

static gboolean
first_run_cb (gpointer user_data)
{
  DsdRetention *self = user_data;

  tick_cb (self);
  self->timer = g_timeout_add_seconds (PURGE_INTERVAL_S, tick_cb, self);
  return G_SOURCE_REMOVE;
}

DsdRetention *
dsd_retention_new (DsdPgPool  *pool,
                   const char *purge_sql,
                   guint       days,
                   const char *what)
{
  DsdRetention *self;

  g_return_val_if_fail (DSD_IS_PG_POOL (pool), NULL);
  g_return_val_if_fail (purge_sql != NULL && what != NULL, NULL);

  self = g_object_new (DSD_TYPE_RETENTION, NULL);
  self->pool = g_object_ref (pool);
  self->sql = g_strdup (purge_sql);
  self->days = g_strdup_printf ("%u", days);
  self->what = g_strdup (what);
  if (days > 0)
    self->timer = g_timeout_add_seconds (FIRST_RUN_S, first_run_cb, self);

  return self;
}
