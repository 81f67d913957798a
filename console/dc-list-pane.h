/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "dc-entity.h"

G_BEGIN_DECLS

#define DC_TYPE_LIST_PANE (dc_list_pane_get_type ())

G_DECLARE_FINAL_TYPE (DcListPane, dc_list_pane, DC, LIST_PANE, GtkWidget)

/*
 * DcListPane:
 *
 * A searchable, filterable list of entities: the "model" (a DcStore) sorted
 * by dc_entity_compare(), filtered by the entities' search text and by the
 * category picked in the "choices" menu (dc_entity_matches_category() with
 * the position of the choice). Rows come from the "factory". A click opens
 * a row (::activated); Ctrl- and Shift-clicks select several
 * (::selection-changed, dc_list_pane_get_selection()). ::filter-changed
 * tells when the search text or the category changed.
 */
void      dc_list_pane_set_model    (DcListPane *self,
                                     GListModel *model);
/* Selects @entity's row (or none) without emitting ::activated. */
void      dc_list_pane_select       (DcListPane *self,
                                     DcEntity   *entity);
void      dc_list_pane_focus_search (DcListPane *self);
const char *dc_list_pane_get_search_text (DcListPane *self);
/* The position of the category picked in the "choices". */
guint     dc_list_pane_get_category (DcListPane *self);
void      dc_list_pane_set_category (DcListPane *self,
                                     guint       category);
/* The entities selected, in the list's order.
 * Returns: (transfer full) (element-type DcEntity) */
GPtrArray *dc_list_pane_get_selection (DcListPane *self);
/* The entity @delta rows from the selected one as the list shows it now (the
 * first one when nothing is selected); NULL past either end.
 * Returns: (transfer full) (nullable) */
DcEntity *dc_list_pane_get_neighbour (DcListPane *self,
                                      int         delta);

G_END_DECLS
