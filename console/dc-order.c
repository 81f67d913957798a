/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "dc-json.h"
#include "dc-order.h"

/* An order is late when it waits this long for a driver (from its planned
 * pickup when that is later), or when its delivery runs this much past the
 * ETA the server last gave. */
#define LATE_PENDING_USEC (10 * G_USEC_PER_SEC * 60)
#define LATE_GRACE_USEC   (5 * G_USEC_PER_SEC * 60)
#define SHORT_ID_LENGTH   8

struct _DcOrder
{
  DcEntity parent_instance;

  int status;
  char *short_id;
  char *customer;
  char *notes;
  char *driver_id;
  gint64 eta_seconds;
  int priority;
  gint64 created_at;
  gint64 updated_at;
  gboolean late;
  gboolean held;
  gint64 ready_at;
  gint64 pickup_at;
  gint64 deliver_after;
  gint64 deliver_before;
  gboolean at_risk;
  /* what its items weigh and take up (the server's "load") */
  double weight_kg;
  double volume_l;
  char *failure_code;

  char *pickup_address;
  double pickup_lat;
  double pickup_lon;
  char *dropoff_address;
  double dropoff_lat;
  double dropoff_lon;
};

G_DEFINE_FINAL_TYPE (DcOrder, dc_order, DC_TYPE_ENTITY)

enum {
  PROP_0,
  PROP_STATUS,
  PROP_CUSTOMER,
  PROP_NOTES,
  PROP_DRIVER_ID,
  PROP_ETA_SECONDS,
  PROP_PRIORITY,
  PROP_UPDATED_AT,
  PROP_LATE,
  PROP_HELD,
  PROP_AT_RISK,
  PROP_PICKUP_ADDRESS,
  PROP_PICKUP_LAT,
  PROP_PICKUP_LON,
  PROP_DROPOFF_ADDRESS,
  PROP_DROPOFF_LAT,
  PROP_DROPOFF_LON,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* 0 sorts first: waiting and late, waiting, late, the rest. */
static int
urgency (DcOrder *self)
{
  gboolean waiting = self->status == DISPATCH_ORDER_PENDING;

  if (waiting && self->late)
    return 0;
  if (waiting)
    return 1;
  if (self->late)
    return 2;
  return 3;
}

static gboolean
apply_place (DcOrder     *self,
             JsonObject  *place,
             char       **address,
             double      *lat,
             double      *lon,
             guint        first_prop)
{
  gboolean changed = FALSE;

  if (place == NULL)
    return FALSE;

  changed |= dc_entity_set_string (DC_ENTITY (self), address,
                                   dc_json_string (place, "address"),
                                   properties[first_prop]);
  changed |= dc_entity_set_double (DC_ENTITY (self), lat,
                                   dc_json_double (place, "lat", *lat),
                                   properties[first_prop + 1]);
  changed |= dc_entity_set_double (DC_ENTITY (self), lon,
                                   dc_json_double (place, "lon", *lon),
                                   properties[first_prop + 2]);
  return changed;
}

static const char *
customer_from_json (JsonObject *object)
{
  JsonObject *contact = dc_json_object (object, "contact");
  const char *name = contact != NULL ? dc_json_string (contact, "name") : NULL;

  return name != NULL ? name : dc_json_string (object, "customer_id");
}

/* What the list's search looks at: what GET /api/v1/orders?q= searches
 * (id, customer id, addresses, notes, the contact's name, phone, e-mail). */
static void
update_search_text (DcOrder    *self,
                    JsonObject *object)
{
  JsonObject *contact = dc_json_object (object, "contact");
  JsonObject *pickup = dc_json_object (object, "pickup");
  JsonObject *dropoff = dc_json_object (object, "dropoff");
  const char *parts[] = {
    dc_entity_get_id (DC_ENTITY (self)),
    dc_json_string (object, "customer_id"),
    pickup != NULL ? dc_json_string (pickup, "address") : NULL,
    dropoff != NULL ? dc_json_string (dropoff, "address") : NULL,
    dc_json_string (object, "notes"),
    contact != NULL ? dc_json_string (contact, "name") : NULL,
    contact != NULL ? dc_json_string (contact, "phone") : NULL,
    contact != NULL ? dc_json_string (contact, "email") : NULL,
  };
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint i = 0; i < G_N_ELEMENTS (parts); i++)
    if (parts[i] != NULL)
      g_string_append_printf (text, "%s\n", parts[i]);
  dc_entity_set_search_text (DC_ENTITY (self), text->str);
}

static gboolean
dc_order_apply_json (DcEntity   *entity,
                     JsonObject *object)
{
  DcOrder *self = DC_ORDER (entity);
  DispatchOrderStatus status = self->status;
  gboolean reorder = FALSE;
  gboolean searchable = FALSE;

  /* A REST answer may arrive after the stream brought a newer state. */
  if (dc_json_timestamp (object, "updated_at") < self->updated_at)
    return FALSE;

  g_object_freeze_notify (G_OBJECT (self));

  dispatch_order_status_from_string (dc_json_string (object, "status"), &status);
  reorder |= dc_entity_set_int (entity, &self->status, status, properties[PROP_STATUS]);
  reorder |= dc_entity_set_int (entity, &self->priority,
                                dc_json_int (object, "priority", 0),
                                properties[PROP_PRIORITY]);
  dc_entity_set_string (entity, &self->driver_id, dc_json_string (object, "driver_id"),
                        properties[PROP_DRIVER_ID]);
  dc_entity_set_int64 (entity, &self->eta_seconds, dc_json_int (object, "eta_seconds", -1),
                       properties[PROP_ETA_SECONDS]);
  dc_entity_set_int64 (entity, &self->updated_at, dc_json_timestamp (object, "updated_at"),
                       properties[PROP_UPDATED_AT]);
  dc_entity_set_string (entity, &self->notes, dc_json_string (object, "notes"),
                        properties[PROP_NOTES]);
  dc_entity_set_boolean (entity, &self->held, dc_json_boolean (object, "held", FALSE),
                         properties[PROP_HELD]);
  if (self->created_at == 0)
    self->created_at = dc_json_timestamp (object, "created_at");
  /* order.at_risk leaves updated_at as it was: its own notification */
  dc_entity_set_boolean (entity, &self->at_risk, dc_json_boolean (object, "at_risk", FALSE),
                         properties[PROP_AT_RISK]);
  /* they change with updated_at, whose notification redraws what shows them */
  self->ready_at = dc_json_timestamp (object, "ready_at");
  self->pickup_at = dc_json_timestamp (object, "pickup_at");
  self->deliver_after = dc_json_timestamp (object, "deliver_after");
  self->deliver_before = dc_json_timestamp (object, "deliver_before");
  if (dc_json_object (object, "load") != NULL)
    {
      self->weight_kg = dc_json_double (dc_json_object (object, "load"), "weight_kg", 0);
      self->volume_l = dc_json_double (dc_json_object (object, "load"), "volume_l", 0);
    }
  g_free (self->failure_code);
  self->failure_code = g_strdup (dc_json_string (object, "failure_code"));

  searchable |= dc_entity_set_string (entity, &self->customer, customer_from_json (object),
                                      properties[PROP_CUSTOMER]);
  searchable |= apply_place (self, dc_json_object (object, "pickup"), &self->pickup_address,
                             &self->pickup_lat, &self->pickup_lon, PROP_PICKUP_ADDRESS);
  searchable |= apply_place (self, dc_json_object (object, "dropoff"), &self->dropoff_address,
                             &self->dropoff_lat, &self->dropoff_lon, PROP_DROPOFF_ADDRESS);
  update_search_text (self, object);

  reorder |= dc_order_refresh_late (self, g_get_real_time ());

  g_object_thaw_notify (G_OBJECT (self));

  return reorder || searchable;
}

static int
dc_order_compare (DcEntity *a,
                  DcEntity *b)
{
  DcOrder *order_a = DC_ORDER (a);
  DcOrder *order_b = DC_ORDER (b);
  gboolean finished_a = dispatch_order_status_is_terminal (order_a->status);
  int diff;

  if (finished_a != dispatch_order_status_is_terminal (order_b->status))
    return finished_a ? 1 : -1;
  if (finished_a && order_a->updated_at != order_b->updated_at)
    return order_a->updated_at > order_b->updated_at ? -1 : 1;
  if ((diff = urgency (order_a) - urgency (order_b)) != 0)
    return diff;
  if ((diff = order_b->priority - order_a->priority) != 0)
    return diff;
  if (order_a->created_at != order_b->created_at)
    return order_a->created_at < order_b->created_at ? -1 : 1;

  return DC_ENTITY_CLASS (dc_order_parent_class)->compare (a, b);
}

static gboolean
dc_order_matches_category (DcEntity *entity,
                           guint     category)
{
  DcOrder *self = DC_ORDER (entity);

  switch ((DcOrderCategory) category)
    {
    case DC_ORDER_CATEGORY_ALL:
      return !dispatch_order_status_is_terminal (self->status);

    case DC_ORDER_CATEGORY_UNASSIGNED:
      return self->status == DISPATCH_ORDER_PENDING;

    case DC_ORDER_CATEGORY_IN_PROGRESS:
      return self->status == DISPATCH_ORDER_ASSIGNED || self->status == DISPATCH_ORDER_PICKED_UP;

    case DC_ORDER_CATEGORY_LATE:
      return self->late;

    case DC_ORDER_CATEGORY_FINISHED:
      return dispatch_order_status_is_terminal (self->status);

    default:
      return FALSE;
    }
}

static void
dc_order_finalize (GObject *object)
{
  DcOrder *self = (DcOrder *)object;

  g_clear_pointer (&self->short_id, g_free);
  g_clear_pointer (&self->customer, g_free);
  g_clear_pointer (&self->notes, g_free);
  g_clear_pointer (&self->failure_code, g_free);
  g_clear_pointer (&self->driver_id, g_free);
  g_clear_pointer (&self->pickup_address, g_free);
  g_clear_pointer (&self->dropoff_address, g_free);

  G_OBJECT_CLASS (dc_order_parent_class)->finalize (object);
}

static void
dc_order_get_property (GObject    *object,
                       guint       prop_id,
                       GValue     *value,
                       GParamSpec *pspec)
{
  DcOrder *self = DC_ORDER (object);

  switch (prop_id)
    {
    case PROP_STATUS:
      g_value_set_int (value, self->status);
      break;

    case PROP_CUSTOMER:
      g_value_set_string (value, self->customer);
      break;

    case PROP_NOTES:
      g_value_set_string (value, self->notes);
      break;

    case PROP_DRIVER_ID:
      g_value_set_string (value, self->driver_id);
      break;

    case PROP_ETA_SECONDS:
      g_value_set_int64 (value, self->eta_seconds);
      break;

    case PROP_PRIORITY:
      g_value_set_int (value, self->priority);
      break;

    case PROP_UPDATED_AT:
      g_value_set_int64 (value, self->updated_at);
      break;

    case PROP_HELD:
      g_value_set_boolean (value, self->held);
      break;

    case PROP_LATE:
      g_value_set_boolean (value, self->late);
      break;

    case PROP_AT_RISK:
      g_value_set_boolean (value, self->at_risk);
      break;

    case PROP_PICKUP_ADDRESS:
      g_value_set_string (value, self->pickup_address);
      break;

    case PROP_PICKUP_LAT:
      g_value_set_double (value, self->pickup_lat);
      break;

    case PROP_PICKUP_LON:
      g_value_set_double (value, self->pickup_lon);
      break;

    case PROP_DROPOFF_ADDRESS:
      g_value_set_string (value, self->dropoff_address);
      break;

    case PROP_DROPOFF_LAT:
      g_value_set_double (value, self->dropoff_lat);
      break;

    case PROP_DROPOFF_LON:
      g_value_set_double (value, self->dropoff_lon);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static GParamSpec *
readable_string (const char *name)
{
  return g_param_spec_string (name, NULL, NULL, NULL,
                              G_PARAM_READABLE | G_PARAM_STATIC_STRINGS |
                              G_PARAM_EXPLICIT_NOTIFY);
}

static GParamSpec *
readable_double (const char *name,
                 double      limit)
{
  return g_param_spec_double (name, NULL, NULL, -limit, limit, 0,
                              G_PARAM_READABLE | G_PARAM_STATIC_STRINGS |
                              G_PARAM_EXPLICIT_NOTIFY);
}

static void
dc_order_class_init (DcOrderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  DcEntityClass *entity_class = DC_ENTITY_CLASS (klass);
  const GParamFlags flags =
    G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->finalize = dc_order_finalize;
  object_class->get_property = dc_order_get_property;

  entity_class->apply_json = dc_order_apply_json;
  entity_class->compare = dc_order_compare;
  entity_class->matches_category = dc_order_matches_category;

  properties[PROP_STATUS] =
    g_param_spec_int ("status", NULL, NULL,
                      DISPATCH_ORDER_PENDING, DISPATCH_ORDER_FAILED, DISPATCH_ORDER_PENDING,
                      flags);
  properties[PROP_CUSTOMER] = readable_string ("customer");
  properties[PROP_NOTES] = readable_string ("notes");
  properties[PROP_DRIVER_ID] = readable_string ("driver-id");
  properties[PROP_ETA_SECONDS] =
    g_param_spec_int64 ("eta-seconds", NULL, NULL, -1, G_MAXINT64, -1, flags);
  properties[PROP_PRIORITY] = g_param_spec_int ("priority", NULL, NULL, 0, 9, 0, flags);
  properties[PROP_UPDATED_AT] =
    g_param_spec_int64 ("updated-at", NULL, NULL, 0, G_MAXINT64, 0, flags);
  properties[PROP_LATE] = g_param_spec_boolean ("late", NULL, NULL, FALSE, flags);
  properties[PROP_HELD] = g_param_spec_boolean ("held", NULL, NULL, FALSE, flags);
  properties[PROP_AT_RISK] = g_param_spec_boolean ("at-risk", NULL, NULL, FALSE, flags);
  properties[PROP_PICKUP_ADDRESS] = readable_string ("pickup-address");
  properties[PROP_PICKUP_LAT] = readable_double ("pickup-lat", 90);
  properties[PROP_PICKUP_LON] = readable_double ("pickup-lon", 180);
  properties[PROP_DROPOFF_ADDRESS] = readable_string ("dropoff-address");
  properties[PROP_DROPOFF_LAT] = readable_double ("dropoff-lat", 90);
  properties[PROP_DROPOFF_LON] = readable_double ("dropoff-lon", 180);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
dc_order_init (DcOrder *self)
{
  self->eta_seconds = -1;
}

DispatchOrderStatus
dc_order_get_status (DcOrder *self)
{
  g_return_val_if_fail (DC_IS_ORDER (self), DISPATCH_ORDER_PENDING);

  return self->status;
}

const char *
dc_order_get_short_id (DcOrder *self)
{
  g_return_val_if_fail (DC_IS_ORDER (self), NULL);

  /* The tail: dispatchd's ids are time-ordered UUIDs, whose heads are the
   * same for every order of the same minute. */
  if (self->short_id == NULL)
    self->short_id = dc_order_format_short_id (dc_entity_get_id (DC_ENTITY (self)));

  return self->short_id;
}

char *
dc_order_format_short_id (const char *id)
{
  glong tail;

  g_return_val_if_fail (id != NULL, NULL);

  tail = MAX (0, g_utf8_strlen (id, -1) - SHORT_ID_LENGTH);

  return g_strdup (g_utf8_offset_to_pointer (id, tail));
}

const char *
dc_order_get_customer (DcOrder *self)
{
  g_return_val_if_fail (DC_IS_ORDER (self), NULL);

  return self->customer;
}

const char *
dc_order_get_pickup_address (DcOrder *self)
{
  g_return_val_if_fail (DC_IS_ORDER (self), NULL);

  return self->pickup_address;
}

const char *
dc_order_get_dropoff_address (DcOrder *self)
{
  g_return_val_if_fail (DC_IS_ORDER (self), NULL);

  return self->dropoff_address;
}

void
dc_order_get_pickup (DcOrder *self,
                     double  *lat,
                     double  *lon)
{
  g_return_if_fail (DC_IS_ORDER (self));

  *lat = self->pickup_lat;
  *lon = self->pickup_lon;
}

void
dc_order_get_dropoff (DcOrder *self,
                      double  *lat,
                      double  *lon)
{
  g_return_if_fail (DC_IS_ORDER (self));

  *lat = self->dropoff_lat;
  *lon = self->dropoff_lon;
}

const char *
dc_order_get_driver_id (DcOrder *self)
{
  g_return_val_if_fail (DC_IS_ORDER (self), NULL);

  return self->driver_id;
}

const char *
dc_order_get_notes (DcOrder *self)
{
  g_return_val_if_fail (DC_IS_ORDER (self), NULL);

  return self->notes;
}

void
dc_order_get_load (DcOrder *self,
                   double  *weight_kg,
                   double  *volume_l)
{
  g_return_if_fail (DC_IS_ORDER (self));

  *weight_kg = self->weight_kg;
  *volume_l = self->volume_l;
}

const char *
dc_order_get_failure_code (DcOrder *self)
{
  g_return_val_if_fail (DC_IS_ORDER (self), NULL);

  return self->failure_code;
}

gint64
dc_order_get_eta_seconds (DcOrder *self)
{
  g_return_val_if_fail (DC_IS_ORDER (self), -1);

  return self->eta_seconds;
}

int
dc_order_get_priority (DcOrder *self)
{
  g_return_val_if_fail (DC_IS_ORDER (self), 0);

  return self->priority;
}

gint64
dc_order_get_updated_at (DcOrder *self)
{
  g_return_val_if_fail (DC_IS_ORDER (self), 0);

  return self->updated_at;
}

gint64
dc_order_get_created_at (DcOrder *self)
{
  g_return_val_if_fail (DC_IS_ORDER (self), 0);

  return self->created_at;
}

gboolean
dc_order_get_late (DcOrder *self)
{
  g_return_val_if_fail (DC_IS_ORDER (self), FALSE);

  return self->late;
}

/* Re-evaluates lateness against @now_usec; returns whether it changed. */
gboolean
dc_order_refresh_late (DcOrder *self,
                       gint64   now_usec)
{
  gboolean late = FALSE;

  g_return_val_if_fail (DC_IS_ORDER (self), FALSE);

  switch ((DispatchOrderStatus) self->status)
    {
    case DISPATCH_ORDER_PENDING:
      late = self->created_at != 0 &&
             now_usec - MAX (self->created_at, self->pickup_at) > LATE_PENDING_USEC;
      break;

    case DISPATCH_ORDER_ASSIGNED:
    case DISPATCH_ORDER_PICKED_UP:
      late = self->eta_seconds >= 0 && self->updated_at != 0 &&
             now_usec > self->updated_at + self->eta_seconds * G_USEC_PER_SEC + LATE_GRACE_USEC;
      break;

    case DISPATCH_ORDER_DELIVERED:
    case DISPATCH_ORDER_CANCELLED:
    case DISPATCH_ORDER_FAILED:
    default:
      break;
    }

  return dc_entity_set_boolean (DC_ENTITY (self), &self->late, late, properties[PROP_LATE]);
}

void
dc_order_get_window (DcOrder *self,
                     gint64  *after_usec,
                     gint64  *before_usec)
{
  g_return_if_fail (DC_IS_ORDER (self));

  *after_usec = self->deliver_after;
  *before_usec = self->deliver_before;
}

gint64
dc_order_get_ready_at (DcOrder *self)
{
  g_return_val_if_fail (DC_IS_ORDER (self), 0);

  return self->ready_at;
}

gint64
dc_order_get_pickup_at (DcOrder *self)
{
  g_return_val_if_fail (DC_IS_ORDER (self), 0);

  return self->pickup_at;
}

gboolean
dc_order_get_at_risk (DcOrder *self)
{
  g_return_val_if_fail (DC_IS_ORDER (self), FALSE);

  return self->at_risk;
}

gboolean
dc_order_get_held (DcOrder *self)
{
  g_return_val_if_fail (DC_IS_ORDER (self), FALSE);

  return self->held;
}
