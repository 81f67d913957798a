/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <dispatch-geo.h>

#include "dc-driver.h"
#include "dc-json.h"
#include "dc-projection.h"

struct _DcDriver
{
  DcEntity parent_instance;

  char *name;
  char *phone;
  int vehicle;
  int capacity;
  int state;
  int load;
  gboolean online;
  gboolean auto_dispatch;

  /* Live position; recorded_at == 0 means none. */
  double lat;
  double lon;
  double world_x;
  double world_y;
  double heading;
  gint64 recorded_at;
  /* the vehicle's limits, 0 for none, and its active orders' load */
  double max_weight_kg;
  double max_volume_l;
  double weight_kg;
  double volume_l;
};

G_DEFINE_FINAL_TYPE (DcDriver, dc_driver, DC_TYPE_ENTITY)

enum {
  PROP_0,
  PROP_NAME,
  PROP_PHONE,
  PROP_VEHICLE,
  PROP_CAPACITY,
  PROP_STATE,
  PROP_LOAD,
  PROP_ONLINE,
  PROP_AUTO_DISPATCH,
  PROP_RECORDED_AT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* Idle drivers first: they are the ones a dispatcher looks for. */
static int
state_rank (int state)
{
  switch ((DispatchDriverState) state)
    {
    case DISPATCH_DRIVER_IDLE:
      return 0;
    case DISPATCH_DRIVER_BUSY:
      return 1;
    case DISPATCH_DRIVER_OFFLINE:
    default:
      return 2;
    }
}

static gboolean
dc_driver_apply_json (DcEntity   *entity,
                      JsonObject *object)
{
  DcDriver *self = DC_DRIVER (entity);
  DispatchDriverState state = self->state;
  DispatchVehicle vehicle = self->vehicle;
  JsonArray *active = dc_json_array (object, "active_orders");
  JsonObject *location = dc_json_object (object, "location");
  JsonObject *load;
  gboolean reorder = FALSE;
  gboolean searchable = FALSE;

  g_object_freeze_notify (G_OBJECT (self));

  dispatch_driver_state_from_string (dc_json_string (object, "state"), &state);
  dispatch_vehicle_from_string (dc_json_string (object, "vehicle"), &vehicle);

  reorder |= dc_entity_set_int (entity, &self->state, state, properties[PROP_STATE]);
  reorder |= dc_entity_set_int (entity, &self->load,
                                active != NULL ? (int) json_array_get_length (active) : 0,
                                properties[PROP_LOAD]);
  reorder |= dc_entity_set_boolean (entity, &self->online,
                                    dc_json_boolean (object, "online", self->online),
                                    properties[PROP_ONLINE]);
  dc_entity_set_boolean (entity, &self->auto_dispatch,
                         dc_json_boolean (object, "auto_dispatch", self->auto_dispatch),
                         properties[PROP_AUTO_DISPATCH]);
  dc_entity_set_int (entity, &self->vehicle, vehicle, properties[PROP_VEHICLE]);
  dc_entity_set_int (entity, &self->capacity, dc_json_int (object, "capacity", 1),
                     properties[PROP_CAPACITY]);
  searchable |= dc_entity_set_string (entity, &self->name, dc_json_string (object, "name"),
                                      properties[PROP_NAME]);
  searchable |= dc_entity_set_string (entity, &self->phone, dc_json_string (object, "phone"),
                                      properties[PROP_PHONE]);
  if (location != NULL)
    dc_driver_apply_location (self, location);
  /* not properties: they change with the driver's orders or vehicle, whose
   * notifications redraw what shows them */
  self->max_weight_kg = dc_json_double (object, "max_weight_kg", 0);
  self->max_volume_l = dc_json_double (object, "max_volume_l", 0);
  load = dc_json_object (object, "load");
  self->weight_kg = load != NULL ? dc_json_double (load, "weight_kg", 0) : 0;
  self->volume_l = load != NULL ? dc_json_double (load, "volume_l", 0) : 0;

  if (searchable || dc_entity_get_search_text (entity) == NULL)
    {
      g_autofree char *text = g_strjoin (" ", dc_entity_get_id (entity),
                                         self->name ? self->name : "",
                                         self->phone ? self->phone : "", NULL);

      dc_entity_set_search_text (entity, text);
    }

  g_object_thaw_notify (G_OBJECT (self));

  return reorder || searchable;
}

static int
dc_driver_compare (DcEntity *a,
                   DcEntity *b)
{
  DcDriver *driver_a = DC_DRIVER (a);
  DcDriver *driver_b = DC_DRIVER (b);
  int diff;

  if ((diff = state_rank (driver_a->state) - state_rank (driver_b->state)) != 0)
    return diff;
  if ((diff = driver_a->load - driver_b->load) != 0)
    return diff;
  if ((diff = g_utf8_collate (driver_a->name ? driver_a->name : "",
                              driver_b->name ? driver_b->name : "")) != 0)
    return diff;

  return DC_ENTITY_CLASS (dc_driver_parent_class)->compare (a, b);
}

static gboolean
dc_driver_matches_category (DcEntity *entity,
                            guint     category)
{
  DcDriver *self = DC_DRIVER (entity);

  switch ((DcDriverCategory) category)
    {
    case DC_DRIVER_CATEGORY_ALL:
      return TRUE;

    case DC_DRIVER_CATEGORY_IDLE:
      return self->state == DISPATCH_DRIVER_IDLE;

    case DC_DRIVER_CATEGORY_BUSY:
      return self->state == DISPATCH_DRIVER_BUSY;

    case DC_DRIVER_CATEGORY_OFFLINE:
      return self->state == DISPATCH_DRIVER_OFFLINE;

    default:
      return FALSE;
    }
}

static void
dc_driver_finalize (GObject *object)
{
  DcDriver *self = (DcDriver *)object;

  g_clear_pointer (&self->name, g_free);
  g_clear_pointer (&self->phone, g_free);

  G_OBJECT_CLASS (dc_driver_parent_class)->finalize (object);
}

static void
dc_driver_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  DcDriver *self = DC_DRIVER (object);

  switch (prop_id)
    {
    case PROP_NAME:
      g_value_set_string (value, self->name);
      break;

    case PROP_PHONE:
      g_value_set_string (value, self->phone);
      break;

    case PROP_VEHICLE:
      g_value_set_int (value, self->vehicle);
      break;

    case PROP_CAPACITY:
      g_value_set_int (value, self->capacity);
      break;

    case PROP_STATE:
      g_value_set_int (value, self->state);
      break;

    case PROP_LOAD:
      g_value_set_int (value, self->load);
      break;

    case PROP_AUTO_DISPATCH:
      g_value_set_boolean (value, self->auto_dispatch);
      break;

    case PROP_ONLINE:
      g_value_set_boolean (value, self->online);
      break;

    case PROP_RECORDED_AT:
      g_value_set_int64 (value, self->recorded_at);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dc_driver_class_init (DcDriverClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  DcEntityClass *entity_class = DC_ENTITY_CLASS (klass);
  const GParamFlags flags =
    G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->finalize = dc_driver_finalize;
  object_class->get_property = dc_driver_get_property;

  entity_class->apply_json = dc_driver_apply_json;
  entity_class->compare = dc_driver_compare;
  entity_class->matches_category = dc_driver_matches_category;

  properties[PROP_NAME] = g_param_spec_string ("name", NULL, NULL, NULL, flags);
  properties[PROP_PHONE] = g_param_spec_string ("phone", NULL, NULL, NULL, flags);
  properties[PROP_VEHICLE] =
    g_param_spec_int ("vehicle", NULL, NULL, DISPATCH_VEHICLE_BIKE, DISPATCH_VEHICLE_VAN,
                      DISPATCH_VEHICLE_CAR, flags);
  properties[PROP_CAPACITY] = g_param_spec_int ("capacity", NULL, NULL, 0, G_MAXINT, 1, flags);
  properties[PROP_STATE] =
    g_param_spec_int ("state", NULL, NULL, DISPATCH_DRIVER_OFFLINE, DISPATCH_DRIVER_BUSY,
                      DISPATCH_DRIVER_OFFLINE, flags);
  properties[PROP_LOAD] = g_param_spec_int ("load", NULL, NULL, 0, G_MAXINT, 0, flags);
  properties[PROP_ONLINE] = g_param_spec_boolean ("online", NULL, NULL, FALSE, flags);
  properties[PROP_AUTO_DISPATCH] =
    g_param_spec_boolean ("auto-dispatch", NULL, NULL, TRUE, flags);
  properties[PROP_RECORDED_AT] =
    g_param_spec_int64 ("recorded-at", NULL, NULL, 0, G_MAXINT64, 0, flags);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
dc_driver_init (DcDriver *self)
{
  self->state = DISPATCH_DRIVER_OFFLINE;
  self->vehicle = DISPATCH_VEHICLE_CAR;
  self->auto_dispatch = TRUE;
  self->capacity = 1;
  self->heading = -1;
}

const char *
dc_driver_get_name (DcDriver *self)
{
  g_return_val_if_fail (DC_IS_DRIVER (self), NULL);

  return self->name;
}

DispatchVehicle
dc_driver_get_vehicle (DcDriver *self)
{
  g_return_val_if_fail (DC_IS_DRIVER (self), DISPATCH_VEHICLE_CAR);

  return self->vehicle;
}

DispatchDriverState
dc_driver_get_state (DcDriver *self)
{
  g_return_val_if_fail (DC_IS_DRIVER (self), DISPATCH_DRIVER_OFFLINE);

  return self->state;
}

int
dc_driver_get_capacity (DcDriver *self)
{
  g_return_val_if_fail (DC_IS_DRIVER (self), 1);

  return self->capacity;
}

gboolean
dc_driver_get_limits (DcDriver *self,
                      double   *max_weight_kg,
                      double   *max_volume_l,
                      double   *weight_kg,
                      double   *volume_l)
{
  g_return_val_if_fail (DC_IS_DRIVER (self), FALSE);

  *max_weight_kg = self->max_weight_kg;
  *max_volume_l = self->max_volume_l;
  *weight_kg = self->weight_kg;
  *volume_l = self->volume_l;

  return self->max_weight_kg > 0 || self->max_volume_l > 0;
}

int
dc_driver_get_load (DcDriver *self)
{
  g_return_val_if_fail (DC_IS_DRIVER (self), 0);

  return self->load;
}

gboolean
dc_driver_has_location (DcDriver *self)
{
  g_return_val_if_fail (DC_IS_DRIVER (self), FALSE);

  return self->recorded_at != 0;
}

double
dc_driver_get_lat (DcDriver *self)
{
  g_return_val_if_fail (DC_IS_DRIVER (self), 0);

  return self->lat;
}

double
dc_driver_get_lon (DcDriver *self)
{
  g_return_val_if_fail (DC_IS_DRIVER (self), 0);

  return self->lon;
}

gboolean
dc_driver_get_world_position (DcDriver *self,
                              double   *world_x,
                              double   *world_y)
{
  g_return_val_if_fail (DC_IS_DRIVER (self), FALSE);

  *world_x = self->world_x;
  *world_y = self->world_y;

  return self->recorded_at != 0;
}

double
dc_driver_get_heading (DcDriver *self)
{
  g_return_val_if_fail (DC_IS_DRIVER (self), -1);

  return self->heading;
}

gint64
dc_driver_get_recorded_at (DcDriver *self)
{
  g_return_val_if_fail (DC_IS_DRIVER (self), 0);

  return self->recorded_at;
}

gboolean
dc_driver_apply_location (DcDriver   *self,
                          JsonObject *point)
{
  gint64 recorded_at;
  double lat, lon;

  g_return_val_if_fail (DC_IS_DRIVER (self), FALSE);
  g_return_val_if_fail (point != NULL, FALSE);

  recorded_at = dc_json_timestamp (point, "recorded_at");
  lat = dc_json_double (point, "lat", G_MAXDOUBLE);
  lon = dc_json_double (point, "lon", G_MAXDOUBLE);

  if (recorded_at == 0 || recorded_at < self->recorded_at || !dispatch_lat_lon_is_valid (lat, lon))
    return FALSE;

  self->lat = lat;
  self->lon = lon;
  dc_projection_world_from_location (lat, lon, &self->world_x, &self->world_y);
  self->heading = dc_json_double (point, "heading", -1);
  /* The timestamp is the one property that says "the position changed". */
  dc_entity_set_int64 (DC_ENTITY (self), &self->recorded_at, recorded_at,
                       properties[PROP_RECORDED_AT]);

  return TRUE;
}

const char *
dc_driver_get_phone (DcDriver *self)
{
  g_return_val_if_fail (DC_IS_DRIVER (self), NULL);

  return self->phone;
}

gboolean
dc_driver_get_auto_dispatch (DcDriver *self)
{
  g_return_val_if_fail (DC_IS_DRIVER (self), FALSE);

  return self->auto_dispatch;
}
