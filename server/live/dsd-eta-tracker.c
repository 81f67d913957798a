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
  gint64    ready_at_us;    /* wall clock, 0: none */
  gint64    deliver_before_us;
  int       eta_s;          /* last computed, -1 unknown */
  int       published_s;    /* last published, -1 none */
  gint64    published_us;   /* monotonic */
} Tracked;

/* A stop of a driver's route. */
typedef struct {
  char     *order_id;
  gboolean  dropoff;
  int       eta_s;          /* -1 unknown */
} Stop;

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
  GHashTable *by_driver;    /* driver id → GPtrArray of Tracked, in assignment order */
  GHashTable *routes;       /* driver id → GPtrArray of Stop, in driving order */
  double      max_delay_s;

  /* Order events that came while loading, replayed after the snapshot */
  GPtrArray  *held_events;
  gboolean    loading;

  GHashTable *writes;       /* order id → Write */
  GHashTable *route_writes; /* driver ids whose route is to be stored */
  guint       write_source;
  guint       writing;      /* calls under way */
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
  COL_READY_AT,
  COL_DELIVER_BEFORE,
};

static const char load_sql[] =
  "SELECT e.*, (extract(epoch FROM o.ready_at) * 1000000)::bigint, "
  "(extract(epoch FROM o.deliver_before) * 1000000)::bigint "
  "FROM dispatch.eta_orders() e LEFT JOIN dispatch.orders o ON o.id = e.id::uuid";
static const char write_sql[] =
  "SELECT dispatch.orders_set_eta($1::uuid[], $2::uuid[], $3::text[], $4::int[])";
static const char routes_sql[] = "SELECT dispatch.driver_routes_set($1::jsonb)";

static void
tracked_free (Tracked *tracked)
{
  g_free (tracked->id);
  g_free (tracked->driver_id);
  g_free (tracked);
}

static void
stop_free (Stop *stop)
{
  g_free (stop->order_id);
  g_free (stop);
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

/* A DsdRouteTravelFunc: user_data the driver, or NULL for a car at its
 * default speed (a driver without a position: the order of its stops only). */
static double
route_leg_s (double   from_lat,
             double   from_lon,
             double   to_lat,
             double   to_lon,
             gpointer user_data)
{
  const DsdFleetDriver *driver = user_data;

  if (driver == NULL)
    return dispatch_haversine_m (from_lat, from_lon, to_lat, to_lon) * DETOUR_FACTOR /
           dispatch_vehicle_speed_mps (DISPATCH_VEHICLE_CAR);

  return leg_s (driver, from_lat, from_lon, to_lat, to_lon);
}

gboolean
dsd_eta_route_params (const DsdFleetDriver *driver,
                      double                max_delay_s,
                      DsdRouteParams       *params)
{
  g_return_val_if_fail (driver != NULL && params != NULL, FALSE);

  if (!driver->has_location)
    return FALSE;

  *params = (DsdRouteParams) {
    .start_lat = driver->lat, .start_lon = driver->lon, .dwell_s = PICKUP_DWELL_S,
    .max_delay_s = max_delay_s, .travel = route_leg_s, .user_data = (gpointer) driver,
  };
  return TRUE;
}

void
dsd_eta_route_order (DsdRouteOrder *order,
                     gboolean       picked_up,
                     double         pickup_lat,
                     double         pickup_lon,
                     double         dropoff_lat,
                     double         dropoff_lon,
                     gint64         ready_at_us,
                     gint64         deliver_before_us,
                     gint64         now_us)
{
  g_return_if_fail (order != NULL);

  *order = (DsdRouteOrder) {
    .picked_up = picked_up,
    .pickup_lat = pickup_lat, .pickup_lon = pickup_lon,
    .dropoff_lat = dropoff_lat, .dropoff_lon = dropoff_lon,
    .ready_s = ready_at_us != 0 ? (ready_at_us - now_us) / (double) G_USEC_PER_SEC : -INFINITY,
    .deadline_s = deliver_before_us != 0
                  ? (deliver_before_us - now_us) / (double) G_USEC_PER_SEC : INFINITY,
  };
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

  self->writing--;
  rows = dsd_pg_pool_query_finish (DSD_PG_POOL (source), result, &error);
  /* Advisory data: the next publication writes the order again. */
  if (rows == NULL)
    g_debug ("Could not store ETAs or routes: %s", error->message);
}

/* The stored form of the driver's route (dispatch.driver_routes_set). */
static void
add_route_json (DsdEtaTracker *self,
                JsonBuilder   *builder,
                const char    *driver_id)
{
  GPtrArray *stops = g_hash_table_lookup (self->routes, driver_id);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "driver_id");
  json_builder_add_string_value (builder, driver_id);
  json_builder_set_member_name (builder, "stops");
  json_builder_begin_array (builder);
  for (guint i = 0; stops != NULL && i < stops->len; i++)
    {
      Stop *stop = g_ptr_array_index (stops, i);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "order_id");
      json_builder_add_string_value (builder, stop->order_id);
      json_builder_set_member_name (builder, "kind");
      json_builder_add_string_value (builder, stop->dropoff ? "dropoff" : "pickup");
      json_builder_set_member_name (builder, "eta_s");
      if (stop->eta_s >= 0)
        json_builder_add_int_value (builder, stop->eta_s);
      else
        json_builder_add_null_value (builder);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);
}

static void
write_routes (DsdEtaTracker *self)
{
  g_autoptr(GHashTable) dirty = g_steal_pointer (&self->route_writes);
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;
  GHashTableIter iter;
  gpointer driver_id;

  self->route_writes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  json_builder_begin_array (builder);
  g_hash_table_iter_init (&iter, dirty);
  while (g_hash_table_iter_next (&iter, &driver_id, NULL))
    add_route_json (self, builder, driver_id);
  json_builder_end_array (builder);
  root = json_builder_get_root (builder);
  text = dispatch_json_to_string (root, NULL);

  self->writing++;
  dsd_pg_pool_query_async (self->pool, routes_sql, 1, (const char * const[]) { text },
                           NULL, write_done_cb, g_object_ref (self));
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

  /* One round of calls at a time; what comes meanwhile goes with the next. */
  if (self->writing > 0)
    return G_SOURCE_CONTINUE;

  self->write_source = 0;
  if (g_hash_table_size (self->route_writes) > 0)
    write_routes (self);
  if (g_hash_table_size (self->writes) == 0)
    return G_SOURCE_REMOVE;

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

  self->writing++;
  dsd_pg_pool_query_async (self->pool, write_sql, 4,
                           (const char * const[]) { ids, drivers, statuses, etas },
                           NULL, write_done_cb, g_object_ref (self));
  return G_SOURCE_REMOVE;
}

static void
schedule_write (DsdEtaTracker *self)
{
  if (self->write_source == 0)
    self->write_source = g_timeout_add (WRITE_INTERVAL_MS, write_cb, self);
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
  schedule_write (self);

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

static Stop *
stop_new (const Tracked *tracked,
          gboolean       dropoff,
          double         eta)
{
  Stop *stop = g_new0 (Stop, 1);

  stop->order_id = g_strdup (tracked->id);
  stop->dropoff = dropoff;
  stop->eta_s = isfinite (eta) ? (int) MIN (ceil (MAX (eta, 0)), G_MAXINT32) : -1;
  return stop;
}

/* The driver's stops in the order dsd-route-plan.h picks (driver: NULL or
 * without a position, ETAs unknown). */
static void
plan_stops (DsdEtaTracker        *self,
            const DsdFleetDriver *driver,
            GPtrArray            *list,
            GPtrArray            *stops)
{
  DsdRouteOrder orders[DSD_ROUTE_MAX_ORDERS];
  DsdRouteParams params;
  DsdRoutePlan plan;
  gint64 now_us = g_get_real_time ();
  gboolean located = driver != NULL && dsd_eta_route_params (driver, self->max_delay_s,
                                                             &params);

  for (guint i = 0; i < list->len; i++)
    {
      const Tracked *t = g_ptr_array_index (list, i);

      dsd_eta_route_order (&orders[i], t->picked_up, t->pickup_lat, t->pickup_lon,
                           t->dropoff_lat, t->dropoff_lon, t->ready_at_us,
                           t->deliver_before_us, now_us);
    }
  if (!located)
    {
      params = (DsdRouteParams) {
        .start_lat = orders[0].picked_up ? orders[0].dropoff_lat : orders[0].pickup_lat,
        .start_lon = orders[0].picked_up ? orders[0].dropoff_lon : orders[0].pickup_lon,
        .dwell_s = PICKUP_DWELL_S, .max_delay_s = self->max_delay_s, .travel = route_leg_s,
      };
    }

  dsd_route_plan (&params, orders, list->len, &plan);
  for (guint s = 0; s < plan.n_stops; s++)
    g_ptr_array_add (stops, stop_new (g_ptr_array_index (list, plan.stops[s].order),
                                      plan.stops[s].dropoff,
                                      located ? plan.stops[s].arrive_s : INFINITY));
}

/* More orders than the planner takes: in assignment order, each alone. */
static void
line_up_stops (const DsdFleetDriver *driver,
               GPtrArray            *list,
               GPtrArray            *stops)
{
  for (guint i = 0; i < list->len; i++)
    {
      const Tracked *t = g_ptr_array_index (list, i);

      if (!t->picked_up)
        g_ptr_array_add (stops, stop_new (t, FALSE,
                                          driver != NULL
                                          ? dsd_eta_estimate_s (driver, t->pickup_lat,
                                                                t->pickup_lon)
                                          : INFINITY));
      g_ptr_array_add (stops, stop_new (t, TRUE,
                                        driver != NULL
                                        ? dsd_eta_order_s (driver, t->picked_up, t->pickup_lat,
                                                           t->pickup_lon, t->dropoff_lat,
                                                           t->dropoff_lon)
                                        : INFINITY));
    }
}

static gboolean
same_sequence (GPtrArray *a,
               GPtrArray *b)
{
  guint n_a = a != NULL ? a->len : 0;
  guint n_b = b != NULL ? b->len : 0;

  if (n_a != n_b)
    return FALSE;

  for (guint i = 0; i < n_a; i++)
    {
      const Stop *x = g_ptr_array_index (a, i);
      const Stop *y = g_ptr_array_index (b, i);

      if (x->dropoff != y->dropoff || !g_str_equal (x->order_id, y->order_id))
        return FALSE;
    }
  return TRUE;
}

/* The dropoff ETA of the order in stops, -1 when unknown. */
static int
dropoff_eta (GPtrArray     *stops,
             const Tracked *tracked)
{
  for (guint i = 0; i < stops->len; i++)
    {
      const Stop *stop = g_ptr_array_index (stops, i);

      if (stop->dropoff && g_str_equal (stop->order_id, tracked->id))
        return stop->eta_s;
    }
  return -1;
}

/* Plans the driver's route again; publishes the ETAs that changed
 * meaningfully, and has the route stored when its sequence or a published
 * ETA changed. */
static void
recompute_driver (DsdEtaTracker *self,
                  const char    *driver_id)
{
  GPtrArray *list = g_hash_table_lookup (self->by_driver, driver_id);
  const DsdFleetDriver *driver = dsd_fleet_lookup (self->fleet, driver_id);
  g_autoptr(GPtrArray) stops = g_ptr_array_new_with_free_func ((GDestroyNotify) stop_free);
  gboolean changed;

  if (list != NULL && list->len <= DSD_ROUTE_MAX_ORDERS)
    plan_stops (self, driver, list, stops);
  else if (list != NULL)
    line_up_stops (driver, list, stops);

  changed = !same_sequence (g_hash_table_lookup (self->routes, driver_id), stops);
  for (guint i = 0; list != NULL && i < list->len; i++)
    {
      Tracked *tracked = g_ptr_array_index (list, i);

      tracked->eta_s = dropoff_eta (stops, tracked);
      if (tracked->eta_s >= 0 && changed_meaningfully (tracked))
        {
          publish (self, tracked);
          changed = TRUE;
        }

      if (driver != NULL && self->arrivals != NULL)
        {
          double lat = tracked->picked_up ? tracked->dropoff_lat : tracked->pickup_lat;
          double lon = tracked->picked_up ? tracked->dropoff_lon : tracked->pickup_lon;

          dsd_arrival_watch_check (self->arrivals, tracked->id, driver, tracked->picked_up,
                                   lat, lon, dsd_eta_estimate_s (driver, lat, lon));
        }
    }

  if (!changed)
    return;

  if (stops->len > 0)
    g_hash_table_replace (self->routes, g_strdup (driver_id), g_steal_pointer (&stops));
  else
    g_hash_table_remove (self->routes, driver_id);
  g_hash_table_add (self->route_writes, g_strdup (driver_id));
  schedule_write (self);
}

static void
unlink_from_driver (DsdEtaTracker *self,
                    Tracked       *tracked)
{
  GPtrArray *list = g_hash_table_lookup (self->by_driver, tracked->driver_id);

  if (list == NULL)
    return;

  g_ptr_array_remove (list, tracked);
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
  g_autofree char *driver_id = NULL;

  if (tracked == NULL)
    return;

  g_hash_table_remove (self->writes, order_id);
  if (self->arrivals != NULL)
    dsd_arrival_watch_forget (self->arrivals, order_id);
  unlink_from_driver (self, tracked);
  driver_id = g_strdup (tracked->driver_id);
  g_hash_table_remove (self->orders, order_id);
  recompute_driver (self, driver_id);
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
       gint64         ready_at_us,
       gint64         deliver_before_us,
       int            stored_s)
{
  Tracked *tracked = g_hash_table_lookup (self->orders, order_id);
  g_autofree char *previous_driver = NULL;
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
      previous_driver = g_steal_pointer (&tracked->driver_id);
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
  tracked->ready_at_us = ready_at_us;
  tracked->deliver_before_us = deliver_before_us;

  if (previous_driver != NULL)
    recompute_driver (self, previous_driver);
  recompute_driver (self, driver_id);
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
  gint64 ready_at_us = 0;
  gint64 deliver_before_us = 0;
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
                              G_MAXINT32, &eta, NULL) ||
      !dispatch_json_get_timestamp (order, NULL, "ready_at", DISPATCH_JSON_NULLABLE,
                                    &ready_at_us, NULL) ||
      !dispatch_json_get_timestamp (order, NULL, "deliver_before", DISPATCH_JSON_NULLABLE,
                                    &deliver_before_us, NULL))
    {
      g_warning ("Ignoring a malformed %s event %s", dsd_event_get_type_name (event),
                 dsd_event_get_id (event));
      return;
    }

  track (self, id, driver_id, g_str_equal (status, "picked_up"), pickup_lat, pickup_lon,
         dropoff_lat, dropoff_lon, ready_at_us, deliver_before_us, eta);
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

  if (g_hash_table_contains (self->by_driver, driver_id))
    recompute_driver (self, driver_id);
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
  g_clear_pointer (&self->routes, g_hash_table_unref);
  g_clear_pointer (&self->route_writes, g_hash_table_unref);
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
  self->routes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                        (GDestroyNotify) g_ptr_array_unref);
  self->route_writes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->max_delay_s = 600;
  self->held_events = g_ptr_array_new_with_free_func ((GDestroyNotify) dsd_event_unref);
}

void
dsd_eta_tracker_set_max_delay (DsdEtaTracker *self,
                               guint          max_delay_s)
{
  g_return_if_fail (DSD_IS_ETA_TRACKER (self));

  self->max_delay_s = max_delay_s;
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

/* 0 for NULL */
static gint64
column_time_us (PGresult *rows,
                int       row,
                int       column)
{
  return PQgetisnull (rows, row, column) ? 0
         : g_ascii_strtoll (PQgetvalue (rows, row, column), NULL, 10);
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
             column_time_us (rows, i, COL_READY_AT), column_time_us (rows, i, COL_DELIVER_BEFORE),
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

int
dsd_eta_tracker_get_route_orders (DsdEtaTracker *self,
                                  const char    *driver_id,
                                  gint64         now_us,
                                  DsdRouteOrder *orders,
                                  guint          max)
{
  GPtrArray *list;

  g_return_val_if_fail (DSD_IS_ETA_TRACKER (self), -1);
  g_return_val_if_fail (driver_id != NULL, -1);

  list = g_hash_table_lookup (self->by_driver, driver_id);
  if (list == NULL)
    return 0;
  if (list->len > max)
    return -1;

  for (guint i = 0; i < list->len; i++)
    {
      const Tracked *t = g_ptr_array_index (list, i);

      dsd_eta_route_order (&orders[i], t->picked_up, t->pickup_lat, t->pickup_lon,
                           t->dropoff_lat, t->dropoff_lon, t->ready_at_us,
                           t->deliver_before_us, now_us);
    }
  return list->len;
}
