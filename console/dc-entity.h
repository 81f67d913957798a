/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define DC_TYPE_ENTITY (dc_entity_get_type ())

G_DECLARE_DERIVABLE_TYPE (DcEntity, dc_entity, DC, ENTITY, GObject)

/*
 * DcEntity:
 *
 * A server object known by its id (an order or a driver). Subclasses apply
 * wire objects to themselves, order themselves for the lists and sort into
 * the categories of the list's filter menu.
 */
struct _DcEntityClass
{
  GObjectClass parent_class;

  /* Returns TRUE when a value the lists sort or filter by changed. */
  gboolean (*apply_json)       (DcEntity   *self,
                                JsonObject *object);
  int      (*compare)          (DcEntity   *a,
                                DcEntity   *b);
  gboolean (*matches_category) (DcEntity   *self,
                                guint       category);
};

DcEntity   *dc_entity_new_from_json     (GType       type,
                                         JsonObject *object);
const char *dc_entity_get_id            (DcEntity   *self);
const char *dc_entity_get_search_text   (DcEntity   *self);
gboolean    dc_entity_apply_json        (DcEntity   *self,
                                         JsonObject *object);
int         dc_entity_compare           (DcEntity   *a,
                                         DcEntity   *b);
gboolean    dc_entity_matches_category  (DcEntity   *self,
                                         guint       category);

/* For subclasses: each setter notifies @pspec only when the value changes
 * and returns whether it did. */
void        dc_entity_set_search_text   (DcEntity    *self,
                                         const char  *text);
gboolean    dc_entity_set_string        (DcEntity    *self,
                                         char       **field,
                                         const char  *value,
                                         GParamSpec  *pspec);
gboolean    dc_entity_set_int           (DcEntity    *self,
                                         int         *field,
                                         int          value,
                                         GParamSpec  *pspec);
gboolean    dc_entity_set_int64         (DcEntity    *self,
                                         gint64      *field,
                                         gint64       value,
                                         GParamSpec  *pspec);
gboolean    dc_entity_set_double        (DcEntity    *self,
                                         double      *field,
                                         double       value,
                                         GParamSpec  *pspec);
gboolean    dc_entity_set_boolean       (DcEntity    *self,
                                         gboolean    *field,
                                         gboolean     value,
                                         GParamSpec  *pspec);

G_END_DECLS
