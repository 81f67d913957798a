/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-auth"

#include "dispatch-json.h"
#include "dsd-scope.h"

struct _DsdScope {
  GHashTable *zones;     /* ids (owned) */
  GHashTable *drivers;   /* ids (owned) */
};

static GHashTable *
read_ids (JsonObject *object,
          const char *member)
{
  g_autoptr(GHashTable) ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  JsonArray *array = NULL;

  if (!dispatch_json_get_array (object, NULL, member, DISPATCH_JSON_REQUIRED, G_MAXUINT, &array,
                                NULL))
    return NULL;

  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *node = json_array_get_element (array, i);

      if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
        return NULL;
      g_hash_table_add (ids, g_strdup (json_node_get_string (node)));
    }

  return g_steal_pointer (&ids);
}

DsdScope *
dsd_scope_new_from_json (const char *text,
                         gssize      length)
{
  g_autoptr(JsonObject) object = NULL;
  g_autoptr(DsdScope) self = g_new0 (DsdScope, 1);

  g_return_val_if_fail (text != NULL, NULL);

  object = dispatch_json_parse_object (text, length, NULL);
  if (object == NULL ||
      (self->zones = read_ids (object, "zones")) == NULL ||
      (self->drivers = read_ids (object, "drivers")) == NULL)
    return NULL;

  return g_steal_pointer (&self);
}

void
dsd_scope_free (DsdScope *self)
{
  if (self == NULL)
    return;

  g_clear_pointer (&self->zones, g_hash_table_unref);
  g_clear_pointer (&self->drivers, g_hash_table_unref);
  g_free (self);
}

gboolean
dsd_scope_has_zone (const DsdScope *self,
                    const char     *zone_id)
{
  g_return_val_if_fail (self != NULL, FALSE);

  return zone_id != NULL && g_hash_table_contains (self->zones, zone_id);
}

gboolean
dsd_scope_has_driver (const DsdScope *self,
                      const char     *driver_id)
{
  g_return_val_if_fail (self != NULL, FALSE);

  return driver_id != NULL && g_hash_table_contains (self->drivers, driver_id);
}
