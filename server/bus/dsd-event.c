/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-bus"

#include "dispatch-json.h"
#include "dsd-event.h"

struct _DsdEvent {
  gatomicrefcount  ref_count;
  gint64           seq;
  char            *id;
  char            *type;
  char            *order_id;
  char            *driver_id;
  JsonObject      *data;
  GBytes          *envelope;
};

G_DEFINE_BOXED_TYPE (DsdEvent, dsd_event, dsd_event_ref, dsd_event_unref)

static char *
dup_string_member (JsonObject *object,
                   const char *member)
{
  JsonNode *node = object ? json_object_get_member (object, member) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;

  return g_strdup (json_node_get_string (node));
}

/* order.* events carry the full order, driver.* the driver or a location. */
static void
find_subjects (DsdEvent *self)
{
  if (g_str_has_prefix (self->type, "order."))
    {
      self->order_id = dup_string_member (self->data, "id");
      if (self->order_id == NULL)
        self->order_id = dup_string_member (self->data, "order_id");
      self->driver_id = dup_string_member (self->data, "driver_id");
    }
  else if (g_str_equal (self->type, "driver.updated"))
    {
      self->driver_id = dup_string_member (self->data, "id");
    }
  else
    {
      self->order_id = dup_string_member (self->data, "order_id");
      self->driver_id = dup_string_member (self->data, "driver_id");
    }
}

DsdEvent *
dsd_event_new_from_json (const char  *envelope,
                         gssize       length,
                         GError     **error)
{
  g_autoptr(JsonObject) root = NULL;
  g_autoptr(DsdEvent) self = NULL;
  JsonObject *data = NULL;
  const char *id = NULL;
  const char *type = NULL;
  gint64 seq = 0;

  if (length < 0)
    length = strlen (envelope);

  root = dispatch_json_parse_object (envelope, length, error);
  if (root == NULL ||
      !dispatch_json_get_string (root, NULL, "id", DISPATCH_JSON_REQUIRED, 0, &id, error) ||
      !dispatch_json_get_string (root, NULL, "type", DISPATCH_JSON_REQUIRED, 0, &type, error) ||
      !dispatch_json_get_int (root, NULL, "seq", DISPATCH_JSON_NULLABLE, 0, G_MAXINT64,
                              &seq, error) ||
      !dispatch_json_get_object (root, NULL, "data", DISPATCH_JSON_REQUIRED, &data, error))
    return NULL;

  self = g_new0 (DsdEvent, 1);
  g_atomic_ref_count_init (&self->ref_count);
  self->seq = seq;
  self->id = g_strdup (id);
  self->type = g_strdup (type);
  self->data = json_object_ref (data);
  self->envelope = g_bytes_new (envelope, length);
  find_subjects (self);

  return g_steal_pointer (&self);
}

static void
set_optional_double (JsonObject *object,
                     const char *member,
                     gboolean    present,
                     double      value,
                     char       *text)
{
  if (present)
    {
      json_object_set_double_member (object, member, value);
      g_ascii_dtostr (text, G_ASCII_DTOSTR_BUF_SIZE, value);
    }
  else
    {
      json_object_set_null_member (object, member);
      strcpy (text, "null");
    }
}

DsdEvent *
dsd_event_new_location (const char                  *driver_id,
                        const DispatchLocationPoint *point)
{
  DsdEvent *self = g_new0 (DsdEvent, 1);
  g_autofree char *now = dispatch_format_timestamp (g_get_real_time ());
  g_autofree char *recorded_at = dispatch_format_timestamp (point->recorded_at_us);
  char lat[G_ASCII_DTOSTR_BUF_SIZE], lon[G_ASCII_DTOSTR_BUF_SIZE];
  char heading[G_ASCII_DTOSTR_BUF_SIZE], speed[G_ASCII_DTOSTR_BUF_SIZE];
  char *text;

  g_atomic_ref_count_init (&self->ref_count);
  self->id = g_uuid_string_random ();
  self->type = g_strdup ("driver.location");
  self->driver_id = g_strdup (driver_id);
  self->data = json_object_new ();
  json_object_set_string_member (self->data, "driver_id", driver_id);
  json_object_set_double_member (self->data, "lat", point->lat);
  json_object_set_double_member (self->data, "lon", point->lon);
  set_optional_double (self->data, "heading", point->flags & DISPATCH_LOCATION_HAS_HEADING,
                       point->heading, heading);
  set_optional_double (self->data, "speed_mps", point->flags & DISPATCH_LOCATION_HAS_SPEED,
                       point->speed_mps, speed);
  json_object_set_string_member (self->data, "recorded_at", recorded_at);

  text = g_strdup_printf ("{\"id\":\"%s\",\"type\":\"driver.location\","
                          "\"occurred_at\":\"%s\",\"data\":{\"driver_id\":\"%s\",\"lat\":%s,"
                          "\"lon\":%s,\"heading\":%s,\"speed_mps\":%s,\"recorded_at\":\"%s\"}}",
                          self->id, now, driver_id,
                          g_ascii_dtostr (lat, sizeof lat, point->lat),
                          g_ascii_dtostr (lon, sizeof lon, point->lon),
                          heading, speed, recorded_at);
  self->envelope = g_bytes_new_take (text, strlen (text));

  return self;
}

DsdEvent *
dsd_event_ref (DsdEvent *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
dsd_event_unref (DsdEvent *self)
{
  g_return_if_fail (self != NULL);

  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;

  g_free (self->id);
  g_free (self->type);
  g_free (self->order_id);
  g_free (self->driver_id);
  g_clear_pointer (&self->data, json_object_unref);
  g_clear_pointer (&self->envelope, g_bytes_unref);
  g_free (self);
}

gint64
dsd_event_get_seq (DsdEvent *self)
{
  return self->seq;
}

const char *
dsd_event_get_id (DsdEvent *self)
{
  return self->id;
}

const char *
dsd_event_get_type_name (DsdEvent *self)
{
  return self->type;
}

JsonObject *
dsd_event_get_data (DsdEvent *self)
{
  return self->data;
}

const char *
dsd_event_get_order_id (DsdEvent *self)
{
  return self->order_id;
}

const char *
dsd_event_get_driver_id (DsdEvent *self)
{
  return self->driver_id;
}

const char *
dsd_event_get_key (DsdEvent *self)
{
  return self->order_id != NULL ? self->order_id : self->driver_id;
}

GBytes *
dsd_event_get_envelope (DsdEvent *self)
{
  return self->envelope;
}
