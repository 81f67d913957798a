/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-live"

#include "dsd-location-retention.h"

#define PURGE_INTERVAL_S 600
/* Rows per statement: a short transaction that never holds back the ingest. */
#define PURGE_BATCH 10000

static const char purge_sql[] =
  "SELECT dispatch.purge_driver_locations(now() - make_interval(days => $1::int), $2::int)";

struct _DsdLocationRetention {
  GObject     parent_instance;

  DsdPgPool  *pool;
  char       *days;
  guint       timer;
  gboolean    running;
  guint64     n_purged;
};

G_DEFINE_FINAL_TYPE (DsdLocationRetention, dsd_location_retention, G_TYPE_OBJECT)

static void purge_next (DsdLocationRetention *self);

static void
purged_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(DsdLocationRetention) self = user_data;
  g_autoptr(PGresult) rows = NULL;
  g_autoptr(GError) error = NULL;
  guint64 n;

  rows = dsd_pg_pool_query_finish (DSD_PG_POOL (source), result, &error);
  if (rows == NULL)
    {
      g_warning ("Could not delete old location history: %s", error->message);
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
    g_message ("Deleted %" G_GUINT64_FORMAT " location points older than %s days",
               self->n_purged, self->days);
  self->running = FALSE;
}

static void
purge_next (DsdLocationRetention *self)
{
  dsd_pg_pool_query_async (self->pool, purge_sql, 2,
                           (const char * const[]) { self->days, G_STRINGIFY (PURGE_BATCH) },
                           NULL, purged_cb, g_object_ref (self));
}

static gboolean
tick_cb (gpointer user_data)
{
  DsdLocationRetention *self = user_data;

  if (!self->running)
    {
      self->running = TRUE;
      self->n_purged = 0;
      purge_next (self);
    }

  return G_SOURCE_CONTINUE;
}

static void
dsd_location_retention_dispose (GObject *object)
{
  DsdLocationRetention *self = DSD_LOCATION_RETENTION (object);

  g_clear_handle_id (&self->timer, g_source_remove);

  G_OBJECT_CLASS (dsd_location_retention_parent_class)->dispose (object);
}

static void
dsd_location_retention_finalize (GObject *object)
{
  DsdLocationRetention *self = DSD_LOCATION_RETENTION (object);

  g_clear_object (&self->pool);
  g_free (self->days);

  G_OBJECT_CLASS (dsd_location_retention_parent_class)->finalize (object);
}

static void
dsd_location_retention_class_init (DsdLocationRetentionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = dsd_location_retention_dispose;
  object_class->finalize = dsd_location_retention_finalize;
}

static void
dsd_location_retention_init (DsdLocationRetention *self)
{
}

DsdLocationRetention *
dsd_location_retention_new (DsdPgPool *pool,
                            guint      days)
{
  DsdLocationRetention *self;

  g_return_val_if_fail (DSD_IS_PG_POOL (pool), NULL);

  self = g_object_new (DSD_TYPE_LOCATION_RETENTION, NULL);
  self->pool = g_object_ref (pool);
  self->days = g_strdup_printf ("%u", days);
  if (days > 0)
    self->timer = g_timeout_add_seconds (PURGE_INTERVAL_S, tick_cb, self);

  return self;
}
