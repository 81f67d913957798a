/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "dc-store.h"

struct _DcStore
{
  GObject parent_instance;

  GType item_type;
  GPtrArray *items;
  /* id → position in items + 1 (0 is "absent" for GUINT_TO_POINTER) */
  GHashTable *index;
};

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (DcStore, dc_store, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

enum {
  PROP_0,
  PROP_ITEM_TYPE,
  PROP_N_ITEMS,
  N_PROPS
};

enum {
  CHANGED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static gboolean
lookup_position (DcStore    *self,
                 const char *id,
                 guint      *position)
{
  gpointer value = g_hash_table_lookup (self->index, id);

  if (value == NULL)
    return FALSE;

  *position = GPOINTER_TO_UINT (value) - 1;
  return TRUE;
}

static void
index_from (DcStore *self,
            guint    first)
{
  for (guint i = first; i < self->items->len; i++)
    {
      DcEntity *entity = g_ptr_array_index (self->items, i);

      g_hash_table_insert (self->index, (gpointer) dc_entity_get_id (entity),
                           GUINT_TO_POINTER (i + 1));
    }
}

static void
items_changed (DcStore *self,
               guint    position,
               guint    removed,
               guint    added)
{
  g_list_model_items_changed (G_LIST_MODEL (self), position, removed, added);
  if (removed != added)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
  dc_store_changed (self);
}

static GType
dc_store_get_item_type (GListModel *model)
{
  return DC_STORE (model)->item_type;
}

static guint
dc_store_get_n_items (GListModel *model)
{
  return DC_STORE (model)->items->len;
}

static gpointer
dc_store_get_item (GListModel *model,
                   guint       position)
{
  DcStore *self = DC_STORE (model);

  if (position >= self->items->len)
    return NULL;

  return g_object_ref (g_ptr_array_index (self->items, position));
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = dc_store_get_item_type;
  iface->get_n_items = dc_store_get_n_items;
  iface->get_item = dc_store_get_item;
}

static void
dc_store_finalize (GObject *object)
{
  DcStore *self = (DcStore *)object;

  g_clear_pointer (&self->index, g_hash_table_unref);
  g_clear_pointer (&self->items, g_ptr_array_unref);

  G_OBJECT_CLASS (dc_store_parent_class)->finalize (object);
}

static void
dc_store_get_property (GObject    *object,
                       guint       prop_id,
                       GValue     *value,
                       GParamSpec *pspec)
{
  DcStore *self = DC_STORE (object);

  switch (prop_id)
    {
    case PROP_ITEM_TYPE:
      g_value_set_gtype (value, self->item_type);
      break;

    case PROP_N_ITEMS:
      g_value_set_uint (value, self->items->len);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dc_store_set_property (GObject      *object,
                       guint         prop_id,
                       const GValue *value,
                       GParamSpec   *pspec)
{
  DcStore *self = DC_STORE (object);

  switch (prop_id)
    {
    case PROP_ITEM_TYPE:
      self->item_type = g_value_get_gtype (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dc_store_class_init (DcStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = dc_store_finalize;
  object_class->get_property = dc_store_get_property;
  object_class->set_property = dc_store_set_property;

  properties[PROP_ITEM_TYPE] =
    g_param_spec_gtype ("item-type", NULL, NULL, DC_TYPE_ENTITY,
                        G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_N_ITEMS] =
    g_param_spec_uint ("n-items", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[CHANGED] =
    g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
dc_store_init (DcStore *self)
{
  self->items = g_ptr_array_new_with_free_func (g_object_unref);
  /* Keys are the entities' own id strings, alive as long as the entry. */
  self->index = g_hash_table_new (g_str_hash, g_str_equal);
}

DcStore *
dc_store_new (GType item_type)
{
  g_return_val_if_fail (g_type_is_a (item_type, DC_TYPE_ENTITY), NULL);

  return g_object_new (DC_TYPE_STORE, "item-type", item_type, NULL);
}

guint
dc_store_get_count (DcStore *self)
{
  g_return_val_if_fail (DC_IS_STORE (self), 0);

  return self->items->len;
}

DcEntity *
dc_store_get_entity (DcStore *self,
                     guint    position)
{
  g_return_val_if_fail (DC_IS_STORE (self), NULL);
  g_return_val_if_fail (position < self->items->len, NULL);

  return g_ptr_array_index (self->items, position);
}

DcEntity *
dc_store_lookup (DcStore    *self,
                 const char *id)
{
  guint position;

  g_return_val_if_fail (DC_IS_STORE (self), NULL);

  if (id == NULL || !lookup_position (self, id, &position))
    return NULL;

  return g_ptr_array_index (self->items, position);
}

DcEntity *
dc_store_upsert (DcStore    *self,
                 JsonObject *object)
{
  g_autoptr(DcEntity) created = NULL;
  DcEntity *entity;
  const char *id;

  g_return_val_if_fail (DC_IS_STORE (self), NULL);
  g_return_val_if_fail (object != NULL, NULL);

  id = json_object_get_string_member_with_default (object, "id", NULL);
  if ((entity = dc_store_lookup (self, id)) != NULL)
    {
      if (dc_entity_apply_json (entity, object))
        dc_store_resort (self, entity);
      else
        dc_store_changed (self);
      return entity;
    }

  if ((created = dc_entity_new_from_json (self->item_type, object)) == NULL)
    return NULL;

  entity = created;
  g_ptr_array_add (self->items, g_steal_pointer (&created));
  index_from (self, self->items->len - 1);
  items_changed (self, self->items->len - 1, 0, 1);

  return entity;
}

DcEntity *
dc_store_update (DcStore    *self,
                 JsonObject *object)
{
  g_return_val_if_fail (DC_IS_STORE (self), NULL);
  g_return_val_if_fail (object != NULL, NULL);

  if (dc_store_lookup (self, json_object_get_string_member_with_default (object, "id",
                                                                          NULL)) == NULL)
    return NULL;

  return dc_store_upsert (self, object);
}

gboolean
dc_store_remove (DcStore    *self,
                 const char *id)
{
  guint position;

  g_return_val_if_fail (DC_IS_STORE (self), FALSE);

  if (id == NULL || !lookup_position (self, id, &position))
    return FALSE;

  g_hash_table_remove (self->index, id);
  g_ptr_array_remove_index (self->items, position);
  index_from (self, position);
  items_changed (self, position, 1, 0);

  return TRUE;
}

void
dc_store_reconcile (DcStore   *self,
                    JsonArray *objects)
{
  g_autoptr(GHashTable) seen = NULL;
  g_autoptr(GPtrArray) fresh = NULL;
  guint old_len;
  guint n_objects;
  guint kept;

  g_return_if_fail (DC_IS_STORE (self));
  g_return_if_fail (objects != NULL);

  n_objects = json_array_get_length (objects);
  seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  fresh = g_ptr_array_new ();

  /* Updates in place first (positions do not move), collecting what is
   * new; then one pass drops the vanished; then the new go to the end. */
  for (guint i = 0; i < n_objects; i++)
    {
      JsonNode *node = json_array_get_element (objects, i);
      JsonObject *object;
      DcEntity *entity;
      const char *id;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;

      object = json_node_get_object (node);
      id = json_object_get_string_member_with_default (object, "id", NULL);
      if (id == NULL || g_hash_table_contains (seen, id))
        continue;

      g_hash_table_add (seen, g_strdup (id));
      if ((entity = dc_store_lookup (self, id)) != NULL)
        {
          if (dc_entity_apply_json (entity, object))
            dc_store_resort (self, entity);
        }
      else
        g_ptr_array_add (fresh, object);
    }

  old_len = self->items->len;
  for (guint i = old_len; i > 0; i--)
    {
      DcEntity *entity = g_ptr_array_index (self->items, i - 1);
      guint end = i;

      if (g_hash_table_contains (seen, dc_entity_get_id (entity)))
        continue;

      /* Extend to the whole run of vanished items before this one. */
      while (i > 1 &&
             !g_hash_table_contains (seen,
                                     dc_entity_get_id (g_ptr_array_index (self->items, i - 2))))
        i--;

      for (guint j = i - 1; j < end; j++)
        g_hash_table_remove (self->index,
                             dc_entity_get_id (g_ptr_array_index (self->items, j)));
      g_ptr_array_remove_range (self->items, i - 1, end - (i - 1));
      index_from (self, i - 1);
      items_changed (self, i - 1, end - (i - 1), 0);
    }

  kept = self->items->len;
  for (guint i = 0; i < fresh->len; i++)
    {
      DcEntity *entity = dc_entity_new_from_json (self->item_type, g_ptr_array_index (fresh, i));

      if (entity != NULL)
        g_ptr_array_add (self->items, entity);
    }
  index_from (self, kept);
  if (self->items->len > kept)
    items_changed (self, kept, 0, self->items->len - kept);

  dc_store_changed (self);
}

void
dc_store_resort (DcStore  *self,
                 DcEntity *entity)
{
  guint position;

  g_return_if_fail (DC_IS_STORE (self));
  g_return_if_fail (DC_IS_ENTITY (entity));

  if (lookup_position (self, dc_entity_get_id (entity), &position))
    items_changed (self, position, 1, 1);
}

void
dc_store_changed (DcStore *self)
{
  g_return_if_fail (DC_IS_STORE (self));

  g_signal_emit (self, signals[CHANGED], 0);
}
