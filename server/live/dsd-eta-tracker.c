/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-live"

#include <math.h>
#include <stdlib.h>

#include "dispatch-geo.h"
#include "dispatch-json.h"
#include "dsd-eta-tracker.h"
#include "dsd-sql-array.h"

/* The model; docs/eta.md explains each figure and measures the error. */
#define DETOUR_FACTOR 1.3
#define PICKUP_DWELL_S 120.0
#define OBSERVED_WEIGHT 0.5
#define MIN_SPEED_FACTOR 0.5
#define MAX_SPEED_FACTOR 1.5

/* Publication: a change of at least max (15 s, 10 %), or any change of a
 * second or more once the published value is 30 s old. */
#define MEANINGFUL_CHANGE_S 15
#define MEANINGFUL_CHANGE_RATIO 0.1
#define REFRESH_AFTER_US (30 * G_USEC_PER_SEC)
/* Published ETAs are written to the orders in one call per interval. */
#define WRITE_INTERVAL_MS 250

typedef struct {
  char     *id;
  char     *driver_id;
  gboolean  picked_up;
  double    pickup_lat;
  double    pickup_lon;
  double    dropoff_lat;
  double    dropoff_lon;
  int       eta_s;          /* last computed, -1 unknown */
  int       published_s;    /* last published, -1 none */
  gint64    published_us;   /* monotonic */
} Tracked;

/* An ETA to store, with what it was computed for. */
typedef struct {
  char     *driver_id;
  gboolean  picked_up;
  int       eta_s;
} Write;

struct _DsdEtaTracker {
  GObject     parent_instance;

  DsdFleet   *fleet;
  DsdEventBus *bus;
  DsdPgPool  *pool;
  DsdArrivalWatch *arrivals;  /* nullable */

  GHashTable *orders;       /* id → Tracked */
  GHashTable *by_driver;    /* driver id → GPtrArray of Tracked */

  /* Order events that came while loading, replayed after the snapshot */
  GPtrArray  *held_events;
  gboolean    loading;

  GHashTable *writes;       /* order id → Write */
  guint       write_source;
  gboolean    writing;
};

G_DEFINE_FINAL_TYPE (DsdEtaTracker, dsd_eta_tracker, G_TYPE_OBJECT)

enum {
  ETA_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* dispatch.eta_orders (data/sql/0010-live.sql). */
enum {
  COL_SEQ,
  COL_ID,
  COL_DRIVER_ID,
  COL_STATUS,
  COL_PICKUP_LAT,
  COL_PICKUP_LON,
  COL_DROPOFF_LAT,
  COL_DROPOFF_LON,
  COL_ETA,
};

static const char load_sql[] = "SELECT * FROM dispatch.eta_orders()";
static const char write_sql[] =
  "SELECT dispatch.orders_set_eta($1::uuid[], $2::uuid[], $3::text[], $4::int[])";

static void
tracked_free (Tracked *tracked)
{
  g_free (tracked->id);
  g_free (tracked->driver_id);
  g_free (tracked);
}

static void
write_free (Write *write)
{
  g_free (write->driver_id);
  g_free (write);
}

/* The driver's speed: the vehicle's door-to-door default, half-way towards
 * what the driver has been observed doing, within sane bounds of it. */
static double
speed_mps (const DsdFleetDriver *driver)
{
  double base = dispatch_vehicle_speed_mps (driver->vehicle);
  double speed = base;

  if (!isnan (driver->observed_speed_mps))
    speed = (1.0 - OBSERVED_WEIGHT) * base + OBSERVED_WEIGHT * driver->observed_speed_mps;

  return CLAMP (speed, MIN_SPEED_FACTOR * base, MAX_SPEED_FACTOR * base);
}

static double
leg_s (const DsdFleetDriver *driver,
       double                from_lat,
       double                from_lon,
       double                to_lat,
       double                to_lon)
{
  return dispatch_haversine_m (from_lat, from_lon, to_lat, to_lon) * DETOUR_FACTOR /
         speed_mps (driver);
}

double
dsd_eta_estimate_s (const DsdFleetDriver *driver,
                    double                to_lat,
                    double                to_lon)
{
  g_return_val_if_fail (driver != NULL, INFINITY);

  if (!driver->has_location)
    return INFINITY;

  return leg_s (driver, driver->lat, driver->lon, to_lat, to_lon);
}

double
dsd_eta_order_s (const DsdFleetDriver *driver,
                 gboolean              picked_up,
                 double                pickup_lat,
                 double                pickup_lon,
                 double                dropoff_lat,
                 double                dropoff_lon)
{
  g_return_val_if_fail (driver != NULL, INFINITY);

  if (!driver->has_location)
    return INFINITY;

  if (picked_up)
    return leg_s (driver, driver->lat, driver->lon, dropoff_lat, dropoff_lon);

  return leg_s (driver, driver->lat, driver->lon, pickup_lat, pickup_lon) + PICKUP_DWELL_S +
         leg_s (driver, pickup_lat, pickup_lon, dropoff_lat, dropoff_lon);
}

static void
write_done_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(DsdEtaTracker) self = user_data;
  g_autoptr(PGresult) rows = NULL;
  g_autoptr(GError) error = NULL;

  self->writing = FALSE;
  rows = dsd_pg_pool_query_finish (DSD_PG_POOL (source), result, &error);
  /* Advisory data: the next publication writes the order again. */
  if (rows == NULL)
    g_debug ("Could not store ETAs: %s", error->message);
}

static gboolean
write_cb (gpointer user_data)
{
  DsdEtaTracker *self = user_data;
  g_autoptr(GHashTable) writes = NULL;
  GString *arrays[4];
  g_autofree char *ids = NULL;
  g_autofree char *drivers = NULL;
  g_autofree char *statuses = NULL;
  g_autofree char *etas = NULL;
  GHashTableIter iter;
  gpointer id, value;

  /* One call at a time; what comes meanwhile goes with the next. */
  if (self->writing)
    return G_SOURCE_CONTINUE;

  self->write_source = 0;
  writes = g_steal_pointer (&self->writes);
  self->writes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                        (GDestroyNotify) write_free);

  for (guint i = 0; i < G_N_ELEMENTS (arrays); i++)
    arrays[i] = g_string_new (NULL);

  g_hash_table_iter_init (&iter, writes);
  while (g_hash_table_iter_next (&iter, &id, &value))
    {
      Write *write = value;
      char eta[16];

      g_snprintf (eta, sizeof eta, "%d", write->eta_s);
      dsd_sql_array_append (arrays[0], id);
      dsd_sql_array_append (arrays[1], write->driver_id);
      dsd_sql_array_append (arrays[2], write->picked_up ? "picked_up" : "assigned");
      dsd_sql_array_append (arrays[3], eta);
    }
  ids = dsd_sql_array_free_to_text (arrays[0]);
  drivers = dsd_sql_array_free_to_text (arrays[1]);
  statuses = dsd_sql_array_free_to_text (arrays[2]);
  etas = dsd_sql_array_free_to_text (arrays[3]);

  self->writing = TRUE;
  dsd_pg_pool_query_async (self->pool, write_sql, 4,
                           (const char * const[]) { ids, drivers, statuses, etas },
                           NULL, write_done_cb, g_object_ref (self));
  return G_SOURCE_REMOVE;
}

static void
publish (DsdEtaTracker *self,
         Tracked       *tracked)
{
  Write *write = g_new0 (Write, 1);

  tracked->published_s = tracked->eta_s;
  tracked->published_us = g_get_monotonic_time ();

  write->driver_id = g_strdup (tracked->driver_id);
  write->picked_up = tracked->picked_up;
  write->eta_s = tracked->eta_s;
  g_hash_table_replace (self->writes, g_strdup (tracked->id), write);
  if (self->write_source == 0)
    self->write_source = g_timeout_add (WRITE_INTERVAL_MS, write_cb, self);

  g_signal_emit (self, signals[ETA_CHANGED], 0, tracked->id, tracked->eta_s);
}

static gboolean
changed_meaningfully (const Tracked *tracked)
{
  int change = ABS (tracked->eta_s - tracked->published_s);

  if (tracked->published_s < 0)
    return TRUE;

  return change >= MAX (MEANINGFUL_CHANGE_S, MEANINGFUL_CHANGE_RATIO * tracked->published_s) ||
         (change >= 1 &&
          g_get_monotonic_time () - tracked->published_us >= REFRESH_AFTER_US);
}

static void
recompute (DsdEtaTracker *self,
           Tracked       *tracked)
{
  const DsdFleetDriver *driver = dsd_fleet_lookup (self->fleet, tracked->driver_id);
  double eta = INFINITY;

  if (driver != NULL)
    eta = dsd_eta_order_s (driver, tracked->picked_up, tracked->pickup_lat,
                           tracked->pickup_lon, tracked->dropoff_lat, tracked->dropoff_lon);

  tracked->eta_s = isfinite (eta) ? (int) MIN (ceil (eta), G_MAXINT32) : -1;
  if (tracked->eta_s >= 0 && changed_meaningfully (tracked))
    publish (self, tracked);

  if (driver != NULL && self->arrivals != NULL)
    {
      double lat = tracked->picked_up ? tracked->dropoff_lat : tracked->pickup_lat;
      double lon = tracked->picked_up ? tracked->dropoff_lon : tracked->pickup_lon;

      dsd_arrival_watch_check (self->arrivals, tracked->id, driver, tracked->picked_up,
                               lat, lon, dsd_eta_estimate_s (driver, lat, lon));
    }
}

static void
unlink_from_driver (DsdEtaTracker *self,
                    Tracked       *tracked)
{
  GPtrArray *list = g_hash_table_lookup (self->by_driver, tracked->driver_id);

  if (list == NULL)
    return;

  g_ptr_array_remove_fast (list, tracked);
  if (list->len == 0)
    g_hash_table_remove (self->by_driver, tracked->driver_id);
}

static void
link_to_driver (DsdEtaTracker *self,
                Tracked       *tracked)
{
  GPtrArray *list = g_hash_table_lookup (self->by_driver, tracked->driver_id);

  if (list == NULL)
    {
      list = g_ptr_array_new ();
      g_hash_table_insert (self->by_driver, g_strdup (tracked->driver_id), list);
    }
  g_ptr_array_add (list, tracked);
}

static void
forget (DsdEtaTracker *self,
        const char    *order_id)
{
  Tracked *tracked = g_hash_table_lookup (self->orders, order_id);

  if (tracked == NULL)
    return;

  g_hash_table_remove (self->writes, order_id);
  if (self->arrivals != NULL)
    dsd_arrival_watch_forget (self->arrivals, order_id);
  unlink_from_driver (self, tracked);
  g_hash_table_remove (self->orders, order_id);
}

/* An active order, as it is now. stored_s: the ETA its row holds, which
 * counts as published when the order is new here or changed hands or status
 * (the row's value was reset or carried over then); otherwise what this
 * tracker published last is newer than the row. */
static void
track (DsdEtaTracker *self,
       const char    *order_id,
       const char    *driver_id,
       gboolean       picked_up,
       double         pickup_lat,
       double         pickup_lon,
       double         dropoff_lat,
       double         dropoff_lon,
       int            stored_s)
{
  Tracked *tracked = g_hash_table_lookup (self->orders, order_id);
  gboolean changed = TRUE;

  if (tracked == NULL)
    {
      tracked = g_new0 (Tracked, 1);
      tracked->id = g_strdup (order_id);
      tracked->driver_id = g_strdup (driver_id);
      g_hash_table_insert (self->orders, tracked->id, tracked);
      link_to_driver (self, tracked);
    }
  else if (!g_str_equal (tracked->driver_id, driver_id))
    {
      unlink_from_driver (self, tracked);
      g_free (tracked->driver_id);
      tracked->driver_id = g_strdup (driver_id);
      link_to_driver (self, tracked);
    }
  else
    changed = tracked->picked_up != picked_up;

  if (changed)
    {
      tracked->published_s = stored_s;
      tracked->published_us = g_get_monotonic_time ();
    }
  tracked->picked_up = picked_up;
  tracked->pickup_lat = pickup_lat;
  tracked->pickup_lon = pickup_lon;
  tracked->dropoff_lat = dropoff_lat;
  tracked->dropoff_lon = dropoff_lon;

  recompute (self, tracked);
}

static gboolean
get_place (JsonObject *order,
           const char *member,
           double     *lat,
           double     *lon)
{
  JsonObject *place = NULL;

  return dispatch_json_get_object (order, NULL, member, DISPATCH_JSON_REQUIRED, &place, NULL) &&
         dispatch_json_get_double (place, NULL, "lat", DISPATCH_JSON_REQUIRED, -90, 90, lat,
                                   NULL) &&
         dispatch_json_get_double (place, NULL, "lon", DISPATCH_JSON_REQUIRED, -180, 180, lon,
                                   NULL);
}

/* order.created / .updated / .assigned carry the full order. */
static void
apply_order_event (DsdEtaTracker *self,
                   DsdEvent      *event)
{
  JsonObject *order = dsd_event_get_data (event);
  const char *id = dsd_event_get_order_id (event);
  const char *driver_id = dsd_event_get_driver_id (event);
  const char *status = NULL;
  gint64 eta = -1;
  double pickup_lat, pickup_lon, dropoff_lat, dropoff_lon;

  if (id == NULL ||
      !dispatch_json_get_string (order, NULL, "status", DISPATCH_JSON_REQUIRED, 0, &status,
                                 NULL))
    return;

  if (driver_id == NULL ||
      (!g_str_equal (status, "assigned") && !g_str_equal (status, "picked_up")))
    {
      forget (self, id);
      return;
    }

  if (!get_place (order, "pickup", &pickup_lat, &pickup_lon) ||
      !get_place (order, "dropoff", &dropoff_lat, &dropoff_lon) ||
      !dispatch_json_get_int (order, NULL, "eta_seconds", DISPATCH_JSON_NULLABLE, 0,
                              G_MAXINT32, &eta, NULL))
    {
      g_warning ("Ignoring a malformed %s event %s", dsd_event_get_type_name (event),
                 dsd_event_get_id (event));
      return;
    }

  track (self, id, driver_id, g_str_equal (status, "picked_up"), pickup_lat, pickup_lon,
         dropoff_lat, dropoff_lon, eta);
}

static gboolean
is_order_state_event (DsdEvent *event)
{
  static const char * const types[] = {
    "order.created", "order.updated", "order.assigned", NULL
  };

  return g_strv_contains (types, dsd_event_get_type_name (event));
}

static void
event_cb (DsdEventBus *bus,
          DsdEvent    *event,
          gpointer     user_data)
{
  DsdEtaTracker *self = user_data;

  if (!is_order_state_event (event))
    return;

  if (self->loading)
    g_ptr_array_add (self->held_events, dsd_event_ref (event));
  else
    apply_order_event (self, event);
}

static void
driver_changed_cb (DsdFleet   *fleet,
                   const char *driver_id,
                   gpointer    user_data)
{
  DsdEtaTracker *self = user_data;
  GPtrArray *list = g_hash_table_lookup (self->by_driver, driver_id);

  for (guint i = 0; list != NULL && i < list->len; i++)
    recompute (self, g_ptr_array_index (list, i));
}

static void
dsd_eta_tracker_dispose (GObject *object)
{
  DsdEtaTracker *self = DSD_ETA_TRACKER (object);

  if (self->bus != NULL)
    g_signal_handlers_disconnect_by_data (self->bus, self);
  if (self->fleet != NULL)
    g_signal_handlers_disconnect_by_data (self->fleet, self);
  g_clear_handle_id (&self->write_source, g_source_remove);
  g_clear_object (&self->bus);
  g_clear_object (&self->fleet);
  g_clear_object (&self->pool);
  g_clear_object (&self->arrivals);

  G_OBJECT_CLASS (dsd_eta_tracker_parent_class)->dispose (object);
}

static void
dsd_eta_tracker_finalize (GObject *object)
{
  DsdEtaTracker *self = DSD_ETA_TRACKER (object);

  g_clear_pointer (&self->by_driver, g_hash_table_unref);
  g_clear_pointer (&self->orders, g_hash_table_unref);
  g_clear_pointer (&self->writes, g_hash_table_unref);
  g_clear_pointer (&self->held_events, g_ptr_array_unref);

  G_OBJECT_CLASS (dsd_eta_tracker_parent_class)->finalize (object);
}

static void
dsd_eta_tracker_class_init (DsdEtaTrackerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = dsd_eta_tracker_dispose;
  object_class->finalize = dsd_eta_tracker_finalize;

  signals[ETA_CHANGED] =
    g_signal_new ("eta-changed",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE, G_TYPE_INT);
}

static void
dsd_eta_tracker_init (DsdEtaTracker *self)
{
  self->orders = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                        (GDestroyNotify) tracked_free);
  self->by_driver = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                           (GDestroyNotify) g_ptr_array_unref);
  self->writes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                        (GDestroyNotify) write_free);
  self->held_events = g_ptr_array_new_with_free_func ((GDestroyNotify) dsd_event_unref);
}

void
dsd_eta_tracker_set_arrival_watch (DsdEtaTracker   *self,
                                   DsdArrivalWatch *arrivals)
{
  g_return_if_fail (DSD_IS_ETA_TRACKER (self));

  g_set_object (&self->arrivals, arrivals);
}

DsdEtaTracker *
dsd_eta_tracker_new (DsdFleet    *fleet,
                     DsdEventBus *bus,
                     DsdPgPool   *pool)
{
  DsdEtaTracker *self;

  g_return_val_if_fail (DSD_IS_FLEET (fleet), NULL);
  g_return_val_if_fail (DSD_IS_EVENT_BUS (bus), NULL);
  g_return_val_if_fail (DSD_IS_PG_POOL (pool), NULL);

  self = g_object_new (DSD_TYPE_ETA_TRACKER, NULL);
  self->fleet = g_object_ref (fleet);
  self->bus = g_object_ref (bus);
  self->pool = g_object_ref (pool);
  g_signal_connect_object (bus, "event::state", G_CALLBACK (event_cb), self, 0);
  g_signal_connect_object (fleet, "driver-changed", G_CALLBACK (driver_changed_cb), self, 0);

  return self;
}

static double
column_double (PGresult *rows,
               int       row,
               int       column)
{
  return g_ascii_strtod (PQgetvalue (rows, row, column), NULL);
}

static void
loaded_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  DsdEtaTracker *self = g_task_get_source_object (task);
  g_autoptr(GPtrArray) held = g_steal_pointer (&self->held_events);
  g_autoptr(PGresult) rows = NULL;
  GError *error = NULL;
  gint64 seq = 0;

  self->held_events = g_ptr_array_new_with_free_func ((GDestroyNotify) dsd_event_unref);
  self->loading = FALSE;

  rows = dsd_pg_pool_query_finish (DSD_PG_POOL (source), result, &error);
  if (rows == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  for (int i = 0; i < PQntuples (rows); i++)
    {
      seq = g_ascii_strtoll (PQgetvalue (rows, i, COL_SEQ), NULL, 10);
      if (PQgetisnull (rows, i, COL_ID))
        continue;

      track (self, PQgetvalue (rows, i, COL_ID), PQgetvalue (rows, i, COL_DRIVER_ID),
             g_str_equal (PQgetvalue (rows, i, COL_STATUS), "picked_up"),
             column_double (rows, i, COL_PICKUP_LAT), column_double (rows, i, COL_PICKUP_LON),
             column_double (rows, i, COL_DROPOFF_LAT), column_double (rows, i, COL_DROPOFF_LON),
             PQgetisnull (rows, i, COL_ETA) ? -1 : atoi (PQgetvalue (rows, i, COL_ETA)));
    }

  /* What the snapshot does not reflect yet. */
  for (guint i = 0; i < held->len; i++)
    {
      DsdEvent *event = g_ptr_array_index (held, i);

      if (dsd_event_get_seq (event) > seq)
        apply_order_event (self, event);
    }

  g_debug ("ETA tracker loaded: %u active orders", g_hash_table_size (self->orders));
  g_task_return_boolean (task, TRUE);
}

void
dsd_eta_tracker_load_async (DsdEtaTracker       *self,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (DSD_IS_ETA_TRACKER (self));
  g_return_if_fail (!self->loading);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, dsd_eta_tracker_load_async);
  self->loading = TRUE;
  dsd_pg_pool_query_async (self->pool, load_sql, 0, NULL, cancellable, loaded_cb,
                           g_steal_pointer (&task));
}

gboolean
dsd_eta_tracker_load_finish (DsdEtaTracker  *self,
                             GAsyncResult   *result,
                             GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

int
dsd_eta_tracker_get (DsdEtaTracker *self,
                     const char    *order_id)
{
  Tracked *tracked;

  g_return_val_if_fail (DSD_IS_ETA_TRACKER (self), -1);
  g_return_val_if_fail (order_id != NULL, -1);

  tracked = g_hash_table_lookup (self->orders, order_id);
  return tracked != NULL ? tracked->eta_s : -1;
}
