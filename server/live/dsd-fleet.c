/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-live"

#include <math.h>
#include <stdlib.h>

#include "dispatch-geo.h"
#include "dispatch-json.h"
#include "dsd-fleet.h"
#include "dsd-geo-grid.h"

/* k-nearest searches start with this radius and widen it until they have k
 * (at least doubling, at most NEAREST_MAX_GROWTH times per step). */
#define NEAREST_START_RADIUS_M 1000.0
#define NEAREST_GROWTH_MARGIN 1.25
#define NEAREST_MAX_GROWTH 64.0
/* Half the circumference: every point of the sphere is within it. */
#define WHOLE_EARTH_M (G_PI * DISPATCH_EARTH_RADIUS_M)
/* Observed speed: exponential smoothing with this time constant, from
 * samples no faster than a car on a motorway; a gap longer than
 * SPEED_MAX_GAP_S between points says nothing about the speed. */
#define SPEED_TAU_S 60.0
#define SPEED_MAX_GAP_S 300.0
#define SPEED_MAX_MPS 50.0

typedef struct {
  DsdFleetDriver  driver;      /* first: the public view is the entry */
  DsdGeoGridItem  item;        /* in the grid while driver.has_location */
  char           *id;
  char           *name;
  gint64          state_seq;   /* seq of the state applied last */
} Entry;

struct _DsdFleet {
  GObject       parent_instance;

  DsdEventBus  *bus;
  GHashTable   *drivers;       /* id → Entry */
  DsdGeoGrid   *grid;
};

G_DEFINE_FINAL_TYPE (DsdFleet, dsd_fleet, G_TYPE_OBJECT)

enum {
  DRIVER_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* The snapshot's columns (dispatch.fleet_snapshot, data/sql/0010-live.sql). */
enum {
  COL_SEQ,
  COL_ID,
  COL_NAME,
  COL_VEHICLE,
  COL_CAPACITY,
  COL_ONLINE,
  COL_AUTO_DISPATCH,
  COL_LAT,
  COL_LON,
  COL_HEADING,
  COL_SPEED,
  COL_RECORDED_AT,
  COL_N_ACTIVE,
  /* joined: dispatch.fleet_loads() (functions/13-proof.sql) */
  COL_MAX_WEIGHT,
  COL_MAX_VOLUME,
  COL_LOAD_WEIGHT,
  COL_LOAD_VOLUME,
};

#define SNAPSHOT_SQL(ARGS) \
  "SELECT f.*, l.max_weight_kg, l.max_volume_l, l.weight_kg, l.volume_l " \
  "FROM dispatch.fleet_snapshot(" ARGS ") f LEFT JOIN dispatch.fleet_loads() l ON l.id = f.id"
static const char snapshot_sql[] = SNAPSHOT_SQL ("");
static const char driver_sql[] = SNAPSHOT_SQL ("$1::uuid");

static void
entry_free (Entry *entry)
{
  g_free (entry->id);
  g_free (entry->name);
  g_free (entry);
}

static Entry *
ensure_entry (DsdFleet   *self,
              const char *id)
{
  Entry *entry = g_hash_table_lookup (self->drivers, id);

  if (entry != NULL)
    return entry;

  entry = g_new0 (Entry, 1);
  entry->id = g_strdup (id);
  entry->name = g_strdup ("");
  entry->driver.id = entry->id;
  entry->driver.name = entry->name;
  entry->driver.vehicle = DISPATCH_VEHICLE_CAR;
  entry->driver.capacity = 1;
  entry->driver.max_weight_kg = INFINITY;
  entry->driver.max_volume_l = INFINITY;
  entry->driver.auto_dispatch = TRUE;
  entry->driver.heading = NAN;
  entry->driver.speed_mps = NAN;
  entry->driver.observed_speed_mps = NAN;
  g_hash_table_insert (self->drivers, entry->id, entry);

  return entry;
}

static void
set_name (Entry      *entry,
          const char *name)
{
  if (g_strcmp0 (entry->name, name) == 0)
    return;

  g_free (entry->name);
  entry->name = g_strdup (name);
  entry->driver.name = entry->name;
}

/* One smoothing step with the point's reported speed, or else the speed
 * implied by the distance from the previous point. */
static void
observe_speed (DsdFleetDriver *driver,
               double          lat,
               double          lon,
               double          speed_mps,
               gint64          recorded_at_us)
{
  double dt = (recorded_at_us - driver->recorded_at_us) / (double) G_USEC_PER_SEC;
  double sample = speed_mps;

  if (isnan (sample))
    {
      if (dt > SPEED_MAX_GAP_S)
        return;
      sample = dispatch_haversine_m (driver->lat, driver->lon, lat, lon) / dt;
    }
  sample = CLAMP (sample, 0.0, SPEED_MAX_MPS);

  if (isnan (driver->observed_speed_mps) || dt > SPEED_MAX_GAP_S)
    driver->observed_speed_mps = sample;
  else
    driver->observed_speed_mps += (1.0 - exp (-dt / SPEED_TAU_S)) *
                                  (sample - driver->observed_speed_mps);
}

/* Latest wins: returns FALSE (and changes nothing) for a point that is not
 * newer than the live position. */
static gboolean
move_driver (DsdFleet *self,
             Entry    *entry,
             double    lat,
             double    lon,
             double    heading,
             double    speed_mps,
             gint64    recorded_at_us)
{
  DsdFleetDriver *driver = &entry->driver;

  if (!dispatch_lat_lon_is_valid (lat, lon) ||
      (driver->has_location && recorded_at_us <= driver->recorded_at_us))
    return FALSE;

  if (driver->has_location)
    observe_speed (driver, lat, lon, speed_mps, recorded_at_us);
  else if (!isnan (speed_mps))
    driver->observed_speed_mps = CLAMP (speed_mps, 0.0, SPEED_MAX_MPS);

  dsd_geo_grid_place (self->grid, &entry->item, lat, lon);
  driver->has_location = TRUE;
  driver->lat = lat;
  driver->lon = lon;
  driver->heading = heading;
  driver->speed_mps = speed_mps;
  driver->recorded_at_us = recorded_at_us;

  return TRUE;
}

static double
value_or_nan (PGresult *rows,
              int       row,
              int       column)
{
  if (PQgetisnull (rows, row, column))
    return NAN;

  return g_ascii_strtod (PQgetvalue (rows, row, column), NULL);
}

static double
value_or (PGresult *rows,
          int       row,
          int       column,
          double    fallback)
{
  double value = value_or_nan (rows, row, column);

  return isnan (value) ? fallback : value;
}

static const DsdFleetDriver *
apply_row (DsdFleet *self,
           PGresult *rows,
           int       row)
{
  Entry *entry = ensure_entry (self, PQgetvalue (rows, row, COL_ID));
  gint64 seq = g_ascii_strtoll (PQgetvalue (rows, row, COL_SEQ), NULL, 10);
  DispatchVehicle vehicle;

  /* A state event newer than the snapshot may have arrived while it loaded. */
  if (entry->state_seq <= seq)
    {
      entry->state_seq = seq;
      set_name (entry, PQgetvalue (rows, row, COL_NAME));
      if (dispatch_vehicle_from_string (PQgetvalue (rows, row, COL_VEHICLE), &vehicle))
        entry->driver.vehicle = vehicle;
      entry->driver.capacity = strtoul (PQgetvalue (rows, row, COL_CAPACITY), NULL, 10);
      entry->driver.online = *PQgetvalue (rows, row, COL_ONLINE) == 't';
      entry->driver.auto_dispatch = *PQgetvalue (rows, row, COL_AUTO_DISPATCH) == 't';
      entry->driver.n_active = strtoul (PQgetvalue (rows, row, COL_N_ACTIVE), NULL, 10);
      entry->driver.max_weight_kg = value_or (rows, row, COL_MAX_WEIGHT, INFINITY);
      entry->driver.max_volume_l = value_or (rows, row, COL_MAX_VOLUME, INFINITY);
      entry->driver.load_weight_kg = value_or (rows, row, COL_LOAD_WEIGHT, 0);
      entry->driver.load_volume_l = value_or (rows, row, COL_LOAD_VOLUME, 0);
    }

  if (!PQgetisnull (rows, row, COL_LAT))
    move_driver (self, entry,
                 value_or_nan (rows, row, COL_LAT), value_or_nan (rows, row, COL_LON),
                 value_or_nan (rows, row, COL_HEADING), value_or_nan (rows, row, COL_SPEED),
                 g_ascii_strtoll (PQgetvalue (rows, row, COL_RECORDED_AT), NULL, 10));

  g_signal_emit (self, signals[DRIVER_CHANGED], 0, entry->id);
  return &entry->driver;
}

/* A number member, NAN when absent, null or not a number. */
static double
member_double (JsonObject *object,
               const char *member)
{
  double value = NAN;

  if (!dispatch_json_get_double (object, NULL, member, DISPATCH_JSON_NULLABLE,
                                 -G_MAXDOUBLE, G_MAXDOUBLE, &value, NULL))
    return NAN;

  return value;
}

/* Moves the driver to the position of a location object
 * {"lat","lon","heading"?,"speed_mps"?,"recorded_at"} if it is newer. */
static gboolean
apply_position (DsdFleet   *self,
                Entry      *entry,
                JsonObject *location)
{
  gint64 recorded_at_us;

  if (!dispatch_json_get_timestamp (location, NULL, "recorded_at", DISPATCH_JSON_REQUIRED,
                                    &recorded_at_us, NULL))
    return FALSE;

  return move_driver (self, entry,
                      member_double (location, "lat"), member_double (location, "lon"),
                      member_double (location, "heading"), member_double (location, "speed_mps"),
                      recorded_at_us);
}

/* "max_weight_kg", "max_volume_l" (null: none) and "load" of a driver object. */
static void
apply_limits (DsdFleetDriver *driver,
              JsonObject     *data)
{
  JsonObject *load = NULL;
  double weight = member_double (data, "max_weight_kg");
  double volume = member_double (data, "max_volume_l");

  driver->max_weight_kg = isnan (weight) ? INFINITY : weight;
  driver->max_volume_l = isnan (volume) ? INFINITY : volume;
  driver->load_weight_kg = 0;
  driver->load_volume_l = 0;
  if (dispatch_json_get_object (data, NULL, "load", DISPATCH_JSON_NULLABLE, &load, NULL) &&
      load != NULL)
    {
      weight = member_double (load, "weight_kg");
      volume = member_double (load, "volume_l");
      driver->load_weight_kg = isnan (weight) ? 0 : weight;
      driver->load_volume_l = isnan (volume) ? 0 : volume;
    }
}

/* driver.updated: the full driver object. */
static void
apply_driver_event (DsdFleet *self,
                    DsdEvent *event)
{
  JsonObject *data = dsd_event_get_data (event);
  const char *id = dsd_event_get_driver_id (event);
  const char *name = NULL;
  const char *vehicle_name = NULL;
  JsonObject *location = NULL;
  JsonArray *active = NULL;
  gint64 capacity = 1;
  gboolean online = FALSE;
  gboolean auto_dispatch;
  DispatchVehicle vehicle;
  Entry *entry;

  if (id == NULL)
    return;

  entry = ensure_entry (self, id);
  if (dsd_event_get_seq (event) > entry->state_seq)
    {
      auto_dispatch = entry->driver.auto_dispatch;
      if (!dispatch_json_get_string (data, NULL, "name", DISPATCH_JSON_REQUIRED, 0, &name,
                                     NULL) ||
          !dispatch_json_get_enum (data, NULL, "vehicle", DISPATCH_JSON_REQUIRED,
                                   dispatch_enum_names (DISPATCH_TYPE_VEHICLE), &vehicle_name,
                                   NULL) ||
          !dispatch_json_get_int (data, NULL, "capacity", DISPATCH_JSON_REQUIRED, 1,
                                  G_MAXUINT, &capacity, NULL) ||
          !dispatch_json_get_boolean (data, NULL, "online", DISPATCH_JSON_REQUIRED, &online,
                                      NULL) ||
          !dispatch_json_get_array (data, NULL, "active_orders", DISPATCH_JSON_NULLABLE,
                                    G_MAXUINT, &active, NULL) ||
          !dispatch_json_get_boolean (data, NULL, "auto_dispatch", DISPATCH_JSON_NULLABLE,
                                      &auto_dispatch, NULL))
        {
          g_warning ("Ignoring a malformed driver.updated event %s", dsd_event_get_id (event));
          return;
        }

      entry->state_seq = dsd_event_get_seq (event);
      set_name (entry, name);
      if (dispatch_vehicle_from_string (vehicle_name, &vehicle))
        entry->driver.vehicle = vehicle;
      entry->driver.capacity = capacity;
      entry->driver.online = online;
      entry->driver.auto_dispatch = auto_dispatch;
      entry->driver.n_active = active != NULL ? json_array_get_length (active) : 0;
      apply_limits (&entry->driver, data);
    }

  /* The stored position; older than the live one unless nothing newer came. */
  if (dispatch_json_get_object (data, NULL, "location", DISPATCH_JSON_NULLABLE, &location,
                                NULL) && location != NULL)
    apply_position (self, entry, location);

  g_signal_emit (self, signals[DRIVER_CHANGED], 0, entry->id);
}

static void
apply_location_event (DsdFleet *self,
                      DsdEvent *event)
{
  const char *id = dsd_event_get_driver_id (event);
  const DispatchLocationPoint *point = dsd_event_get_location (event);
  Entry *entry = id != NULL ? g_hash_table_lookup (self->drivers, id) : NULL;

  if (entry != NULL && point != NULL &&
      move_driver (self, entry, point->lat, point->lon,
                   point->flags & DISPATCH_LOCATION_HAS_HEADING ? point->heading : NAN,
                   point->flags & DISPATCH_LOCATION_HAS_SPEED ? point->speed_mps : NAN,
                   point->recorded_at_us))
    g_signal_emit (self, signals[DRIVER_CHANGED], 0, entry->id);
}

static void
event_cb (DsdEventBus *bus,
          DsdEvent    *event,
          gpointer     user_data)
{
  DsdFleet *self = user_data;
  const char *type = dsd_event_get_type_name (event);

  if (g_str_equal (type, "driver.location"))
    apply_location_event (self, event);
  else if (g_str_equal (type, "driver.updated"))
    apply_driver_event (self, event);
}

static void
dsd_fleet_dispose (GObject *object)
{
  DsdFleet *self = DSD_FLEET (object);

  if (self->bus != NULL)
    g_signal_handlers_disconnect_by_data (self->bus, self);
  g_clear_object (&self->bus);

  G_OBJECT_CLASS (dsd_fleet_parent_class)->dispose (object);
}

static void
dsd_fleet_finalize (GObject *object)
{
  DsdFleet *self = DSD_FLEET (object);

  /* The grid first: it points into the entries. */
  g_clear_pointer (&self->grid, dsd_geo_grid_free);
  g_clear_pointer (&self->drivers, g_hash_table_unref);

  G_OBJECT_CLASS (dsd_fleet_parent_class)->finalize (object);
}

static void
dsd_fleet_class_init (DsdFleetClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = dsd_fleet_dispose;
  object_class->finalize = dsd_fleet_finalize;

  /* A typed marshaller: emitted for every point that moves a driver. */
  signals[DRIVER_CHANGED] =
    g_signal_new ("driver-changed",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, g_cclosure_marshal_VOID__STRING,
                  G_TYPE_NONE, 1, G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE);
  g_signal_set_va_marshaller (signals[DRIVER_CHANGED], G_TYPE_FROM_CLASS (klass),
                              g_cclosure_marshal_VOID__STRINGv);
}

static void
dsd_fleet_init (DsdFleet *self)
{
  self->drivers = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                         (GDestroyNotify) entry_free);
  self->grid = dsd_geo_grid_new ();
}

DsdFleet *
dsd_fleet_new (DsdEventBus *bus)
{
  DsdFleet *self;

  g_return_val_if_fail (DSD_IS_EVENT_BUS (bus), NULL);

  self = g_object_new (DSD_TYPE_FLEET, NULL);
  self->bus = g_object_ref (bus);
  g_signal_connect_object (bus, "event", G_CALLBACK (event_cb), self, 0);

  return self;
}

/* The rows of dispatch.fleet_snapshot, for a load (all drivers) or a fetch (one). */
static void
snapshot_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  DsdFleet *self = g_task_get_source_object (task);
  const DsdFleetDriver *driver = NULL;
  g_autoptr(PGresult) rows = NULL;
  GError *error = NULL;

  rows = dsd_pg_pool_query_finish (DSD_PG_POOL (source), result, &error);
  if (rows == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  for (int i = 0; i < PQntuples (rows); i++)
    driver = apply_row (self, rows, i);

  if (g_task_get_source_tag (task) == dsd_fleet_load_async)
    {
      g_debug ("Fleet loaded: %u drivers, %u with a position in %u cells",
               g_hash_table_size (self->drivers), dsd_geo_grid_get_n_items (self->grid),
               dsd_geo_grid_get_n_cells (self->grid));
      g_task_return_boolean (task, TRUE);
    }
  else if (driver == NULL)
    g_task_return_new_error (task, DISPATCH_ERROR, DISPATCH_ERROR_NOT_FOUND, "no such driver");
  else
    g_task_return_pointer (task, (gpointer) driver, NULL);
}

void
dsd_fleet_load_async (DsdFleet            *self,
                      DsdPgPool           *pool,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (DSD_IS_FLEET (self));
  g_return_if_fail (DSD_IS_PG_POOL (pool));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, dsd_fleet_load_async);
  dsd_pg_pool_query_async (pool, snapshot_sql, 0, NULL, cancellable, snapshot_cb,
                           g_steal_pointer (&task));
}

gboolean
dsd_fleet_load_finish (DsdFleet      *self,
                       GAsyncResult  *result,
                       GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

const DsdFleetDriver *
dsd_fleet_lookup (DsdFleet   *self,
                  const char *driver_id)
{
  g_return_val_if_fail (DSD_IS_FLEET (self), NULL);
  g_return_val_if_fail (driver_id != NULL, NULL);

  return g_hash_table_lookup (self->drivers, driver_id);
}

void
dsd_fleet_fetch_async (DsdFleet            *self,
                       DsdPgPool           *pool,
                       const char          *driver_id,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  const DsdFleetDriver *driver;

  g_return_if_fail (DSD_IS_FLEET (self));
  g_return_if_fail (DSD_IS_PG_POOL (pool));
  g_return_if_fail (driver_id != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, dsd_fleet_fetch_async);

  if ((driver = dsd_fleet_lookup (self, driver_id)) != NULL)
    g_task_return_pointer (task, (gpointer) driver, NULL);
  else if (!g_uuid_string_is_valid (driver_id))
    g_task_return_new_error (task, DISPATCH_ERROR, DISPATCH_ERROR_NOT_FOUND, "no such driver");
  else
    dsd_pg_pool_query_async (pool, driver_sql, 1, &driver_id, cancellable, snapshot_cb,
                             g_steal_pointer (&task));
}

const DsdFleetDriver *
dsd_fleet_fetch_finish (DsdFleet      *self,
                        GAsyncResult  *result,
                        GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

guint
dsd_fleet_get_n_drivers (DsdFleet *self)
{
  g_return_val_if_fail (DSD_IS_FLEET (self), 0);

  return g_hash_table_size (self->drivers);
}

GPtrArray *
dsd_fleet_list (DsdFleet       *self,
                DsdFleetFilter  filter,
                gpointer        user_data)
{
  GPtrArray *drivers = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer value;

  g_return_val_if_fail (DSD_IS_FLEET (self), drivers);

  g_hash_table_iter_init (&iter, self->drivers);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      const DsdFleetDriver *driver = &((Entry *) value)->driver;

      if (filter == NULL || filter (driver, user_data))
        g_ptr_array_add (drivers, (gpointer) driver);
    }

  return drivers;
}

typedef struct {
  const DsdFleetDriver *driver;
  double                distance_m;
} Hit;

typedef struct {
  GArray         *hits;
  DsdFleetFilter  filter;
  gpointer        filter_data;
} Search;

static gboolean
collect_cb (DsdGeoGridItem *item,
            double          distance_m,
            gpointer        user_data)
{
  Search *search = user_data;
  Entry *entry = (Entry *) ((char *) item - G_STRUCT_OFFSET (Entry, item));
  Hit hit = { &entry->driver, distance_m };

  if (search->filter == NULL || search->filter (hit.driver, search->filter_data))
    g_array_append_val (search->hits, hit);

  return TRUE;
}

/* Nearest first; equal distances by id, so that results are deterministic. */
static int
compare_hits (gconstpointer a,
              gconstpointer b)
{
  const Hit *x = a;
  const Hit *y = b;

  if (x->distance_m != y->distance_m)
    return x->distance_m < y->distance_m ? -1 : 1;

  return strcmp (x->driver->id, y->driver->id);
}

guint
dsd_fleet_nearest (DsdFleet              *self,
                   double                 lat,
                   double                 lon,
                   double                 max_radius_m,
                   guint                  k,
                   DsdFleetFilter         filter,
                   gpointer               user_data,
                   const DsdFleetDriver **out_drivers,
                   double                *out_distances_m)
{
  g_autoptr(GArray) hits = g_array_new (FALSE, FALSE, sizeof (Hit));
  Search search = { hits, filter, user_data };
  double max_radius = MIN (max_radius_m, WHOLE_EARTH_M);
  double radius;
  guint n;

  g_return_val_if_fail (DSD_IS_FLEET (self), 0);
  g_return_val_if_fail (dispatch_lat_lon_is_valid (lat, lon), 0);
  g_return_val_if_fail (k == 0 || out_drivers != NULL, 0);

  if (k == 0 || dsd_geo_grid_get_n_items (self->grid) == 0 || !(max_radius >= 0))
    return 0;

  /* Everything within the radius is nearer than anything outside it: once
   * k candidates are inside, the k nearest are among them. Otherwise the
   * radius grows by what the density seen so far suggests (area ∝ r²). */
  radius = k >= dsd_geo_grid_get_n_items (self->grid) ? max_radius
                                                       : MIN (NEAREST_START_RADIUS_M, max_radius);
  for (;;)
    {
      double growth;

      g_array_set_size (hits, 0);
      dsd_geo_grid_query (self->grid, lat, lon, radius, collect_cb, &search);
      if (hits->len >= k || radius >= max_radius)
        break;
      growth = CLAMP (NEAREST_GROWTH_MARGIN * sqrt ((double) k / MAX (hits->len, 1)),
                      2.0, NEAREST_MAX_GROWTH);
      radius = MIN (radius * growth, max_radius);
    }

  /* qsort must not see the NULL data of an empty array. */
  if (hits->len > 1)
    qsort (hits->data, hits->len, sizeof (Hit), compare_hits);
  n = MIN (k, hits->len);
  for (guint i = 0; i < n; i++)
    {
      out_drivers[i] = g_array_index (hits, Hit, i).driver;
      if (out_distances_m != NULL)
        out_distances_m[i] = g_array_index (hits, Hit, i).distance_m;
    }

  return n;
}
