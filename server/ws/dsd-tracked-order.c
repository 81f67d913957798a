/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-ws"

#include "config.h"

#include <math.h>
#include <string.h>

#include "dispatch-json.h"
#include "dsd-tracked-order.h"

/* One order object or tracking object, as far as tracking needs it. */
typedef struct {
  const char *order_id;
  const char *status;
  const char *driver_id;
  const char *updated_at;
  gint64      eta_seconds;
  gboolean    has_places;
  double      pickup_lat;
  double      pickup_lon;
  double      dropoff_lat;
  double      dropoff_lon;
} Update;

static const char *
get_string (JsonObject *object,
            const char *member)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, member) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;

  return json_node_get_string (node);
}

/* -1 for null or absent */
static gint64
get_seconds (JsonObject *object,
             const char *member)
{
  JsonNode *node = json_object_get_member (object, member);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return -1;

  return json_node_get_int (node);
}

static gboolean
get_point (JsonObject *object,
           const char *member,
           double     *lat,
           double     *lon)
{
  JsonNode *node = json_object_get_member (object, member);
  JsonObject *point;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return FALSE;

  point = json_node_get_object (node);
  if (!json_object_has_member (point, "lat") || !json_object_has_member (point, "lon"))
    return FALSE;

  *lat = json_object_get_double_member (point, "lat");
  *lon = json_object_get_double_member (point, "lon");
  return TRUE;
}

static void
replace_string (char       **field,
                const char  *value)
{
  if (g_strcmp0 (*field, value) != 0)
    {
      g_free (*field);
      *field = g_strdup (value);
    }
}

static gboolean
apply (DsdTrackedOrder *self,
       const Update    *update)
{
  if (update->order_id == NULL || update->status == NULL || update->updated_at == NULL)
    return FALSE;

  /* Where an order picks up and drops off never changes. */
  if (update->has_places && !self->has_places)
    {
      self->has_places = TRUE;
      self->pickup_lat = update->pickup_lat;
      self->pickup_lon = update->pickup_lon;
      self->dropoff_lat = update->dropoff_lat;
      self->dropoff_lon = update->dropoff_lon;
    }

  /* Sources arrive in any order (database reads race with the bus). */
  if (self->updated_at != NULL && strcmp (update->updated_at, self->updated_at) < 0)
    return TRUE;

  replace_string (&self->order_id, update->order_id);
  replace_string (&self->status, update->status);
  replace_string (&self->driver_id, update->driver_id);
  replace_string (&self->updated_at, update->updated_at);
  self->eta_seconds = update->eta_seconds;

  return TRUE;
}

void
dsd_tracked_order_clear (DsdTrackedOrder *self)
{
  g_clear_pointer (&self->order_id, g_free);
  g_clear_pointer (&self->status, g_free);
  g_clear_pointer (&self->driver_id, g_free);
  g_clear_pointer (&self->updated_at, g_free);
}

gboolean
dsd_tracked_order_merge_order (DsdTrackedOrder *self,
                               JsonObject      *order)
{
  Update update = {
    .order_id = get_string (order, "id"),
    .status = get_string (order, "status"),
    .driver_id = get_string (order, "driver_id"),
    .updated_at = get_string (order, "updated_at"),
    .eta_seconds = get_seconds (order, "eta_seconds"),
  };

  update.has_places = get_point (order, "pickup", &update.pickup_lat, &update.pickup_lon) &&
                      get_point (order, "dropoff", &update.dropoff_lat, &update.dropoff_lon);

  return apply (self, &update);
}

gboolean
dsd_tracked_order_merge_tracking (DsdTrackedOrder *self,
                                  JsonObject      *tracking)
{
  JsonNode *driver = json_object_get_member (tracking, "driver");
  Update update = {
    .order_id = get_string (tracking, "order_id"),
    .status = get_string (tracking, "status"),
    .updated_at = get_string (tracking, "updated_at"),
    .eta_seconds = get_seconds (tracking, "eta_seconds"),
  };

  if (driver != NULL && JSON_NODE_HOLDS_OBJECT (driver))
    update.driver_id = get_string (json_node_get_object (driver), "id");

  return apply (self, &update);
}

void
dsd_tracked_order_merge (DsdTrackedOrder       *self,
                         const DsdTrackedOrder *other)
{
  Update update = {
    .order_id = other->order_id,
    .status = other->status,
    .driver_id = other->driver_id,
    .updated_at = other->updated_at,
    .eta_seconds = other->eta_seconds,
    .has_places = other->has_places,
    .pickup_lat = other->pickup_lat,
    .pickup_lon = other->pickup_lon,
    .dropoff_lat = other->dropoff_lat,
    .dropoff_lon = other->dropoff_lon,
  };

  apply (self, &update);
}

gboolean
dsd_tracked_order_is_active (const DsdTrackedOrder *self)
{
  return g_strcmp0 (self->status, "assigned") == 0 || g_strcmp0 (self->status, "picked_up") == 0;
}

gboolean
dsd_tracked_order_is_finished (const DsdTrackedOrder *self)
{
  DispatchOrderStatus status;

  return self->status != NULL && dispatch_order_status_from_string (self->status, &status) &&
         dispatch_order_status_is_terminal (status);
}

static void
add_location (JsonBuilder          *builder,
              const DsdFleetDriver *driver)
{
  g_autofree char *recorded_at = NULL;

  json_builder_set_member_name (builder, "location");
  if (driver == NULL || !driver->has_location)
    {
      json_builder_add_null_value (builder);
      return;
    }

  recorded_at = dispatch_format_timestamp (driver->recorded_at_us);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "lat");
  json_builder_add_double_value (builder, driver->lat);
  json_builder_set_member_name (builder, "lon");
  json_builder_add_double_value (builder, driver->lon);
  if (!isnan (driver->heading))
    {
      json_builder_set_member_name (builder, "heading");
      json_builder_add_double_value (builder, driver->heading);
    }
  if (!isnan (driver->speed_mps))
    {
      json_builder_set_member_name (builder, "speed_mps");
      json_builder_add_double_value (builder, driver->speed_mps);
    }
  json_builder_set_member_name (builder, "recorded_at");
  json_builder_add_string_value (builder, recorded_at);
  json_builder_end_object (builder);
}

/* The first word of the name (docs/openapi.json: the public object names no one fully). */
static char *
first_name (const char *name)
{
  const char *start = name;
  const char *end;

  while (*start != '\0' && g_unichar_isspace (g_utf8_get_char (start)))
    start = g_utf8_next_char (start);
  for (end = start; *end != '\0' && !g_unichar_isspace (g_utf8_get_char (end));)
    end = g_utf8_next_char (end);

  return g_strndup (start, end - start);
}

static void
add_driver (JsonBuilder           *builder,
            const DsdTrackedOrder *self,
            DsdTrackingVariant     variant,
            DsdFleet              *fleet)
{
  const DsdFleetDriver *driver = NULL;

  json_builder_set_member_name (builder, "driver");
  if (self->driver_id == NULL || !dsd_tracked_order_is_active (self))
    {
      json_builder_add_null_value (builder);
      return;
    }

  driver = dsd_fleet_lookup (fleet, self->driver_id);
  json_builder_begin_object (builder);
  if (variant == DSD_TRACKING_PUBLIC)
    {
      g_autofree char *first = driver != NULL ? first_name (driver->name) : NULL;

      json_builder_set_member_name (builder, "first_name");
      json_builder_add_string_value (builder, first);
      json_builder_set_member_name (builder, "vehicle");
      json_builder_add_string_value (builder, driver != NULL
                                              ? dispatch_vehicle_to_string (driver->vehicle)
                                              : NULL);
    }
  else
    {
      json_builder_set_member_name (builder, "id");
      json_builder_add_string_value (builder, self->driver_id);
      json_builder_set_member_name (builder, "name");
      json_builder_add_string_value (builder, driver != NULL ? driver->name : NULL);
    }
  add_location (builder, driver);
  json_builder_end_object (builder);
}

static void
add_eta (JsonBuilder           *builder,
         const DsdTrackedOrder *self,
         DsdEtaTracker         *eta)
{
  gint64 seconds = -1;

  if (!dsd_tracked_order_is_finished (self))
    {
      /* The tracker's live figure, else the one stored with the order */
      seconds = eta != NULL ? dsd_eta_tracker_get (eta, self->order_id) : -1;
      if (seconds < 0)
        seconds = self->eta_seconds;
    }

  json_builder_set_member_name (builder, "eta_seconds");
  if (seconds < 0)
    json_builder_add_null_value (builder);
  else
    json_builder_add_int_value (builder, seconds);
}

static void
add_place (JsonBuilder           *builder,
           const DsdTrackedOrder *self,
           const char            *member,
           double                 lat,
           double                 lon)
{
  json_builder_set_member_name (builder, member);
  if (!self->has_places)
    {
      json_builder_add_null_value (builder);
      return;
    }

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "lat");
  json_builder_add_double_value (builder, lat);
  json_builder_set_member_name (builder, "lon");
  json_builder_add_double_value (builder, lon);
  json_builder_end_object (builder);
}

GBytes *
dsd_tracked_order_render (const DsdTrackedOrder *self,
                          DsdTrackingVariant     variant,
                          DsdFleet              *fleet,
                          DsdEtaTracker         *eta)
{
  g_autoptr(JsonBuilder) builder = json_builder_new_immutable ();
  g_autoptr(JsonNode) root = NULL;
  gsize length;
  char *text;

  g_return_val_if_fail (self->status != NULL, NULL);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, "tracking");
  json_builder_set_member_name (builder, "data");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "order_id");
  json_builder_add_string_value (builder, self->order_id);
  json_builder_set_member_name (builder, "status");
  json_builder_add_string_value (builder, self->status);

  if (variant == DSD_TRACKING_PUBLIC)
    {
      add_eta (builder, self, eta);
      add_driver (builder, self, variant, fleet);
      add_place (builder, self, "pickup", self->pickup_lat, self->pickup_lon);
      add_place (builder, self, "dropoff", self->dropoff_lat, self->dropoff_lon);
    }
  else
    {
      add_driver (builder, self, variant, fleet);
      add_eta (builder, self, eta);
    }

  json_builder_set_member_name (builder, "updated_at");
  json_builder_add_string_value (builder, self->updated_at);
  json_builder_end_object (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  text = dispatch_json_to_string (root, &length);
  return g_bytes_new_take (text, length);
}
