/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dc-entity.h"

G_BEGIN_DECLS

#define DC_TYPE_STORE (dc_store_get_type ())

G_DECLARE_FINAL_TYPE (DcStore, dc_store, DC, STORE, GObject)

DcStore  *dc_store_new        (GType       item_type);
guint     dc_store_get_count  (DcStore    *self);
/* Like g_list_model_get_item() without the reference, for loops over every
 * item each frame. Returns: (transfer none) */
DcEntity *dc_store_get_entity (DcStore    *self,
                               guint       position);
/* Returns: (transfer none) (nullable) */
DcEntity *dc_store_lookup     (DcStore    *self,
                               const char *id);
/* Creates or updates the entity with the id of @object.
 * Returns: (transfer none) (nullable): the entity, NULL when @object has no id */
DcEntity *dc_store_upsert     (DcStore    *self,
                               JsonObject *object);
/* Updates the entity with the id of @object if the store still holds it (a
 * REST answer must not bring back what the stream removed meanwhile).
 * Returns: (transfer none) (nullable): the entity */
DcEntity *dc_store_update     (DcStore    *self,
                               JsonObject *object);
gboolean  dc_store_remove     (DcStore    *self,
                               const char *id);
/* Makes the store hold exactly @objects: updates in place, adds the new ones
 * and removes the ones that are gone. */
void      dc_store_reconcile  (DcStore    *self,
                               JsonArray  *objects);
/* Tells the lists that @entity sorts or filters differently now. */
void      dc_store_resort     (DcStore    *self,
                               DcEntity   *entity);
/* Emits ::changed: something the map draws changed. Cheap, for every
 * position update; views coalesce the redraws. */
void      dc_store_changed    (DcStore    *self);

G_END_DECLS
