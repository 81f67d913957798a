/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "dc-entity.h"
#include "dc-json.h"

typedef struct
{
  char *id;
  char *search_text;
} DcEntityPrivate;

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE (DcEntity, dc_entity, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ID,
  PROP_SEARCH_TEXT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static gboolean
dc_entity_real_matches_category (DcEntity *self,
                                 guint     category)
{
  return category == 0;
}

static int
dc_entity_real_compare (DcEntity *a,
                        DcEntity *b)
{
  return g_strcmp0 (dc_entity_get_id (a), dc_entity_get_id (b));
}

static void
dc_entity_finalize (GObject *object)
{
  DcEntityPrivate *priv = dc_entity_get_instance_private (DC_ENTITY (object));

  g_clear_pointer (&priv->id, g_free);
  g_clear_pointer (&priv->search_text, g_free);

  G_OBJECT_CLASS (dc_entity_parent_class)->finalize (object);
}

static void
dc_entity_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  DcEntityPrivate *priv = dc_entity_get_instance_private (DC_ENTITY (object));

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_string (value, priv->id);
      break;

    case PROP_SEARCH_TEXT:
      g_value_set_string (value, priv->search_text);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dc_entity_set_property (GObject      *object,
                        guint         prop_id,
                        const GValue *value,
                        GParamSpec   *pspec)
{
  DcEntityPrivate *priv = dc_entity_get_instance_private (DC_ENTITY (object));

  switch (prop_id)
    {
    case PROP_ID:
      priv->id = g_value_dup_string (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dc_entity_class_init (DcEntityClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = dc_entity_finalize;
  object_class->get_property = dc_entity_get_property;
  object_class->set_property = dc_entity_set_property;

  klass->compare = dc_entity_real_compare;
  klass->matches_category = dc_entity_real_matches_category;

  properties[PROP_ID] =
    g_param_spec_string ("id", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SEARCH_TEXT] =
    g_param_spec_string ("search-text", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
dc_entity_init (DcEntity *self)
{
}

/* Returns NULL when @object has no usable "id". */
DcEntity *
dc_entity_new_from_json (GType       type,
                         JsonObject *object)
{
  const char *id;
  DcEntity *self;

  g_return_val_if_fail (g_type_is_a (type, DC_TYPE_ENTITY), NULL);
  g_return_val_if_fail (object != NULL, NULL);

  id = dc_json_string (object, "id");
  if (id == NULL || *id == '\0')
    return NULL;

  self = g_object_new (type, "id", id, NULL);
  dc_entity_apply_json (self, object);

  return self;
}

const char *
dc_entity_get_id (DcEntity *self)
{
  DcEntityPrivate *priv = dc_entity_get_instance_private (self);

  g_return_val_if_fail (DC_IS_ENTITY (self), NULL);

  return priv->id;
}

const char *
dc_entity_get_search_text (DcEntity *self)
{
  DcEntityPrivate *priv = dc_entity_get_instance_private (self);

  g_return_val_if_fail (DC_IS_ENTITY (self), NULL);

  return priv->search_text;
}

gboolean
dc_entity_apply_json (DcEntity   *self,
                      JsonObject *object)
{
  g_return_val_if_fail (DC_IS_ENTITY (self), FALSE);
  g_return_val_if_fail (object != NULL, FALSE);

  return DC_ENTITY_GET_CLASS (self)->apply_json (self, object);
}

int
dc_entity_compare (DcEntity *a,
                   DcEntity *b)
{
  return DC_ENTITY_GET_CLASS (a)->compare (a, b);
}

gboolean
dc_entity_matches_category (DcEntity *self,
                            guint     category)
{
  return DC_ENTITY_GET_CLASS (self)->matches_category (self, category);
}

void
dc_entity_set_search_text (DcEntity   *self,
                           const char *text)
{
  DcEntityPrivate *priv = dc_entity_get_instance_private (self);

  dc_entity_set_string (self, &priv->search_text, text, properties[PROP_SEARCH_TEXT]);
}

gboolean
dc_entity_set_string (DcEntity    *self,
                      char       **field,
                      const char  *value,
                      GParamSpec  *pspec)
{
  if (g_strcmp0 (*field, value) == 0)
    return FALSE;

  g_free (*field);
  *field = g_strdup (value);
  g_object_notify_by_pspec (G_OBJECT (self), pspec);
  return TRUE;
}

gboolean
dc_entity_set_int (DcEntity   *self,
                   int        *field,
                   int         value,
                   GParamSpec *pspec)
{
  if (*field == value)
    return FALSE;

  *field = value;
  g_object_notify_by_pspec (G_OBJECT (self), pspec);
  return TRUE;
}

gboolean
dc_entity_set_int64 (DcEntity   *self,
                     gint64     *field,
                     gint64      value,
                     GParamSpec *pspec)
{
  if (*field == value)
    return FALSE;

  *field = value;
  g_object_notify_by_pspec (G_OBJECT (self), pspec);
  return TRUE;
}

gboolean
dc_entity_set_double (DcEntity   *self,
                      double     *field,
                      double      value,
                      GParamSpec *pspec)
{
  if (*field == value)
    return FALSE;

  *field = value;
  g_object_notify_by_pspec (G_OBJECT (self), pspec);
  return TRUE;
}

gboolean
dc_entity_set_boolean (DcEntity   *self,
                       gboolean   *field,
                       gboolean    value,
                       GParamSpec *pspec)
{
  value = !!value;
  if (*field == value)
    return FALSE;

  *field = value;
  g_object_notify_by_pspec (G_OBJECT (self), pspec);
  return TRUE;
}
