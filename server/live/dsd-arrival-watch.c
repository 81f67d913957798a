/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-live"

#include <math.h>

#include "dispatch-geo.h"
#include "dsd-arrival-watch.h"

static const char alert_sql[] =
  "SELECT dispatch.order_stop_alert($1, $2, $3, $4, $5::int, $6::float8)";

struct _DsdArrivalWatch {
  GObject     parent_instance;

  DsdPgPool  *pool;
  guint       alert_s;
  guint       alert_m;
  guint       radius_m;
  double      speed_mps;

  GHashTable *asked;   /* order id → GHashTable of "stop/kind" asked for */
};

G_DEFINE_FINAL_TYPE (DsdArrivalWatch, dsd_arrival_watch, G_TYPE_OBJECT)

typedef struct {
  DsdArrivalWatch *self;
  char            *order_id;
  char            *key;
} Ask;

static void
ask_free (Ask *ask)
{
  g_object_unref (ask->self);
  g_free (ask->order_id);
  g_free (ask->key);
  g_free (ask);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Ask, ask_free)

static void
asked_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(Ask) ask = user_data;
  g_autoptr(PGresult) rows = NULL;
  g_autoptr(GError) error = NULL;
  GHashTable *keys;

  rows = dsd_pg_pool_query_finish (DSD_PG_POOL (source), result, &error);
  if (rows != NULL)
    return;

  /* Ask again at the next point. */
  g_debug ("Arrival alert of order %s failed: %s", ask->order_id, error->message);
  keys = g_hash_table_lookup (ask->self->asked, ask->order_id);
  if (keys != NULL)
    g_hash_table_remove (keys, ask->key);
}

static void
ask_once (DsdArrivalWatch *self,
          const char      *order_id,
          const char      *driver_id,
          const char      *stop,
          const char      *kind,
          double           eta_s,
          double           distance_m)
{
  GHashTable *keys = g_hash_table_lookup (self->asked, order_id);
  g_autofree char *key = g_strconcat (stop, "/", kind, NULL);
  char eta_text[16];
  char distance_text[G_ASCII_DTOSTR_BUF_SIZE];
  Ask *ask;

  if (keys == NULL)
    {
      keys = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      g_hash_table_insert (self->asked, g_strdup (order_id), keys);
    }
  if (g_hash_table_contains (keys, key))
    return;
  g_hash_table_add (keys, g_strdup (key));

  g_snprintf (eta_text, sizeof eta_text, "%d", (int) MIN (ceil (eta_s), G_MAXINT32));
  g_ascii_dtostr (distance_text, sizeof distance_text, distance_m);
  ask = g_new0 (Ask, 1);
  ask->self = g_object_ref (self);
  ask->order_id = g_strdup (order_id);
  ask->key = g_steal_pointer (&key);
  dsd_pg_pool_write_async (self->pool, alert_sql, 6,
                           (const char * const[]) { order_id, driver_id, stop, kind, eta_text,
                                                    distance_text },
                           NULL, asked_cb, ask);
}

static void
dsd_arrival_watch_finalize (GObject *object)
{
  DsdArrivalWatch *self = DSD_ARRIVAL_WATCH (object);

  g_clear_object (&self->pool);
  g_clear_pointer (&self->asked, g_hash_table_unref);

  G_OBJECT_CLASS (dsd_arrival_watch_parent_class)->finalize (object);
}

static void
dsd_arrival_watch_class_init (DsdArrivalWatchClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = dsd_arrival_watch_finalize;
}

static void
dsd_arrival_watch_init (DsdArrivalWatch *self)
{
  self->asked = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                       (GDestroyNotify) g_hash_table_unref);
}

DsdArrivalWatch *
dsd_arrival_watch_new (DsdPgPool *pool,
                       guint      alert_s,
                       guint      alert_m,
                       guint      radius_m,
                       double     speed_mps)
{
  DsdArrivalWatch *self;

  g_return_val_if_fail (DSD_IS_PG_POOL (pool), NULL);

  self = g_object_new (DSD_TYPE_ARRIVAL_WATCH, NULL);
  self->pool = g_object_ref (pool);
  self->alert_s = alert_s;
  self->alert_m = alert_m;
  self->radius_m = radius_m;
  self->speed_mps = speed_mps;
  return self;
}

void
dsd_arrival_watch_check (DsdArrivalWatch      *self,
                         const char           *order_id,
                         const DsdFleetDriver *driver,
                         gboolean              to_dropoff,
                         double                stop_lat,
                         double                stop_lon,
                         double                eta_s)
{
  const char *stop = to_dropoff ? "dropoff" : "pickup";
  double distance_m, speed;

  g_return_if_fail (DSD_IS_ARRIVAL_WATCH (self));

  if (!driver->has_location || !isfinite (eta_s))
    return;

  distance_m = dispatch_haversine_m (driver->lat, driver->lon, stop_lat, stop_lon);
  if ((self->alert_s > 0 && eta_s <= self->alert_s) ||
      (self->alert_m > 0 && distance_m <= self->alert_m))
    ask_once (self, order_id, driver->id, stop, "arriving", eta_s, distance_m);

  speed = !isnan (driver->speed_mps) ? driver->speed_mps : driver->observed_speed_mps;
  if (distance_m <= self->radius_m && !isnan (speed) && speed <= self->speed_mps)
    ask_once (self, order_id, driver->id, stop, "arrived", eta_s, distance_m);
}

void
dsd_arrival_watch_forget (DsdArrivalWatch *self,
                          const char      *order_id)
{
  g_return_if_fail (DSD_IS_ARRIVAL_WATCH (self));

  g_hash_table_remove (self->asked, order_id);
}
