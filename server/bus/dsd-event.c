/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-bus"

#include <math.h>

#include "dispatch-json.h"
#include "dispatch-json-writer.h"
#include "dsd-event.h"

/* Bytes of a driver.location envelope with room to spare. */
#define LOCATION_ENVELOPE_SIZE 320

struct _DsdEvent {
  gatomicrefcount        ref_count;
  gint64                 seq;
  char                  *id;
  char                  *type;
  char                  *order_id;
  char                  *driver_id;
  /* A point's event builds it at first use (atomically: events are shared). */
  JsonObject            *data;
  GBytes                *envelope;
  /* Where "data" is in the envelope, when known (length > 0). */
  gsize                  data_start;
  gsize                  data_length;
  /* The position of a driver.location event, when has_point. */
  gboolean               has_point;
  DispatchLocationPoint  point;
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

/* The point of driver.location data from another instance or the log. */
static void
read_point (DsdEvent *self)
{
  DispatchLocationPoint *point = &self->point;

  point->lat = member_double (self->data, "lat");
  point->lon = member_double (self->data, "lon");
  point->heading = member_double (self->data, "heading");
  point->speed_mps = member_double (self->data, "speed_mps");
  if (!isnan (point->heading))
    point->flags |= DISPATCH_LOCATION_HAS_HEADING;
  if (!isnan (point->speed_mps))
    point->flags |= DISPATCH_LOCATION_HAS_SPEED;

  self->has_point = !isnan (point->lat) && !isnan (point->lon) &&
                    dispatch_json_get_timestamp (self->data, NULL, "recorded_at",
                                                 DISPATCH_JSON_REQUIRED, &point->recorded_at_us,
                                                 NULL);
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
  if (seq == 0 && g_str_equal (type, "driver.location"))
    read_point (self);

  return g_steal_pointer (&self);
}

static void
append_optional_double (GString *text,
                        gboolean present,
                        double   value)
{
  if (present)
    dispatch_json_append_double (text, value);
  else
    g_string_append (text, "null");
}

/* A random (version 4) UUID, as g_uuid_string_random() makes it but
 * without its printf, the dearest part of a location event. */
static char *
random_uuid (void)
{
  static const char hex[] = "0123456789abcdef";
  guint8 bytes[16];
  char *text = g_malloc (37);
  guint at = 0;

  for (guint i = 0; i < sizeof bytes; i += 4)
    {
      guint32 r = g_random_int ();

      bytes[i] = r;
      bytes[i + 1] = r >> 8;
      bytes[i + 2] = r >> 16;
      bytes[i + 3] = r >> 24;
    }
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;

  for (guint i = 0; i < sizeof bytes; i++)
    {
      if (i == 4 || i == 6 || i == 8 || i == 10)
        text[at++] = '-';
      text[at++] = hex[bytes[i] >> 4];
      text[at++] = hex[bytes[i] & 0xf];
    }
  text[at] = '\0';

  return text;
}

DsdEvent *
dsd_event_new_location (const char                  *driver_id,
                        const DispatchLocationPoint *point)
{
  DsdEvent *self = g_new0 (DsdEvent, 1);
  GString *text = g_string_sized_new (LOCATION_ENVELOPE_SIZE);

  g_atomic_ref_count_init (&self->ref_count);
  self->id = random_uuid ();
  self->type = g_strdup ("driver.location");
  self->driver_id = g_strdup (driver_id);
  /* (the accuracy is not part of the event) */
  self->has_point = TRUE;
  self->point = *point;
  self->point.flags &= ~DISPATCH_LOCATION_HAS_ACCURACY;

  g_string_append (text, "{\"id\":\"");
  g_string_append (text, self->id);
  g_string_append (text, "\",\"type\":\"driver.location\",\"occurred_at\":\"");
  dispatch_json_append_timestamp (text, g_get_real_time ());
  g_string_append (text, "\",\"data\":");
  self->data_start = text->len;
  g_string_append (text, "{\"driver_id\":");
  dispatch_json_append_string (text, driver_id);
  g_string_append (text, ",\"lat\":");
  dispatch_json_append_double (text, point->lat);
  g_string_append (text, ",\"lon\":");
  dispatch_json_append_double (text, point->lon);
  g_string_append (text, ",\"heading\":");
  append_optional_double (text, point->flags & DISPATCH_LOCATION_HAS_HEADING, point->heading);
  g_string_append (text, ",\"speed_mps\":");
  append_optional_double (text, point->flags & DISPATCH_LOCATION_HAS_SPEED, point->speed_mps);
  g_string_append (text, ",\"recorded_at\":\"");
  dispatch_json_append_timestamp (text, point->recorded_at_us);
  g_string_append (text, "\"}");
  self->data_length = text->len - self->data_start;
  g_string_append_c (text, '}');
  self->envelope = g_string_free_to_bytes (text);

  return self;
}

static void
set_optional_double (JsonObject *object,
                     const char *member,
                     gboolean    present,
                     double      value)
{
  if (present)
    json_object_set_double_member (object, member, value);
  else
    json_object_set_null_member (object, member);
}

/* The data of a point's event, as its envelope has it. */
static JsonObject *
point_data (DsdEvent *self)
{
  JsonObject *data = json_object_new ();
  const DispatchLocationPoint *point = &self->point;
  g_autofree char *recorded_at = dispatch_format_timestamp (point->recorded_at_us);

  json_object_set_string_member (data, "driver_id", self->driver_id);
  json_object_set_double_member (data, "lat", point->lat);
  json_object_set_double_member (data, "lon", point->lon);
  set_optional_double (data, "heading", point->flags & DISPATCH_LOCATION_HAS_HEADING,
                       point->heading);
  set_optional_double (data, "speed_mps", point->flags & DISPATCH_LOCATION_HAS_SPEED,
                       point->speed_mps);
  json_object_set_string_member (data, "recorded_at", recorded_at);

  return data;
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
  JsonObject *data = g_atomic_pointer_get (&self->data);

  if (data == NULL)
    {
      data = point_data (self);
      if (!g_atomic_pointer_compare_and_exchange (&self->data, NULL, data))
        {
          json_object_unref (data);
          data = g_atomic_pointer_get (&self->data);
        }
    }

  return data;
}

GBytes *
dsd_event_dup_data_text (DsdEvent *self)
{
  g_autoptr(JsonNode) node = NULL;
  gsize length;
  char *text;

  if (self->data_length > 0)
    return g_bytes_new_from_bytes (self->envelope, self->data_start, self->data_length);

  node = json_node_init_object (json_node_alloc (), dsd_event_get_data (self));
  text = dispatch_json_to_string (node, &length);
  return g_bytes_new_take (text, length);
}

const DispatchLocationPoint *
dsd_event_get_location (DsdEvent *self)
{
  return self->has_point ? &self->point : NULL;
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
