/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <adwaita.h>

#include "dc-hold.h"
#include "dc-list-pane.h"
#include "dc-template.h"

/* How often the list may re-rank, when the pointer and the focus are
 * elsewhere. */
#define RERANK_INTERVAL_S 2

struct _DcListPane
{
  GtkWidget parent_instance;

  /* template */
  GtkSearchEntry *search_entry;
  GtkDropDown *category_dropdown;
  GtkStack *stack;
  GtkListView *list_view;
  AdwStatusPage *empty_page;

  GtkSortListModel *sorted;
  GtkFilterListModel *filtered;
  GtkMultiSelection *selection;
  GtkStringFilter *search_filter;
  GtkCustomFilter *category_filter;
  /* the item last selected (compared, never dereferenced), so that rows
   * moving around in a re-sort do not count as the user picking it again */
  gpointer selected;
  gboolean selecting;

  /* The order rows are shown in: each entity's rank as of the last calm
   * moment (entities new since then go last). Re-ranked on an interval,
   * never while the pointer or the focus is in the list. */
  GHashTable *ranks;
  gboolean rank_dirty;
  guint rerank_source;
};

G_DEFINE_FINAL_TYPE (DcListPane, dc_list_pane, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_CHOICES,
  PROP_FACTORY,
  PROP_PLACEHOLDER_TEXT,
  PROP_EMPTY_TITLE,
  PROP_EMPTY_DESCRIPTION,
  PROP_EMPTY_ICON_NAME,
  N_PROPS
};

enum {
  ACTIVATED,
  SELECTION_CHANGED,
  FILTER_CHANGED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static int
compare_entities (gconstpointer a,
                  gconstpointer b,
                  gpointer      user_data)
{
  return dc_entity_compare ((DcEntity *) a, (DcEntity *) b);
}

static int
compare_entities_indirect (gconstpointer a,
                           gconstpointer b,
                           gpointer      user_data)
{
  return dc_entity_compare (*(DcEntity **) a, *(DcEntity **) b);
}

static int
compare_ranks (gconstpointer a,
               gconstpointer b,
               gpointer      user_data)
{
  DcListPane *self = user_data;
  guint rank_a = GPOINTER_TO_UINT (g_hash_table_lookup (self->ranks, a));
  guint rank_b = GPOINTER_TO_UINT (g_hash_table_lookup (self->ranks, b));

  /* 0 is "not ranked yet": after the ranked ones, in their live order */
  if (rank_a != rank_b)
    return rank_a == 0 ? 1 : rank_b == 0 ? -1 : rank_a < rank_b ? -1 : 1;

  return compare_entities (a, b, NULL);
}

static void
rerank (DcListPane *self)
{
  GListModel *model = gtk_sort_list_model_get_model (self->sorted);
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);
  guint n = model != NULL ? g_list_model_get_n_items (model) : 0;

  for (guint i = 0; i < n; i++)
    g_ptr_array_add (items, g_list_model_get_item (model, i));
  g_ptr_array_sort_with_data (items, compare_entities_indirect, NULL);

  /* Keys are never dereferenced: a removed entity's entry is only stale. */
  g_hash_table_remove_all (self->ranks);
  for (guint i = 0; i < items->len; i++)
    g_hash_table_insert (self->ranks, g_ptr_array_index (items, i), GUINT_TO_POINTER (i + 1));

  self->rank_dirty = FALSE;
  gtk_sorter_changed (gtk_sort_list_model_get_sorter (self->sorted), GTK_SORTER_CHANGE_DIFFERENT);
}

static gboolean
rerank_cb (gpointer user_data)
{
  DcListPane *self = user_data;

  if (self->rank_dirty && !dc_hold_is_held (GTK_WIDGET (self->list_view)))
    rerank (self);

  return G_SOURCE_CONTINUE;
}

static void
model_changed_cb (DcListPane *self)
{
  self->rank_dirty = TRUE;
}

static gboolean
match_category (gpointer item,
                gpointer user_data)
{
  DcListPane *self = user_data;

  return dc_entity_matches_category (item, gtk_drop_down_get_selected (self->category_dropdown));
}

static void
update_empty (DcListPane *self)
{
  gboolean empty = g_list_model_get_n_items (G_LIST_MODEL (self->filtered)) == 0;

  gtk_stack_set_visible_child_name (self->stack, empty ? "empty" : "list");
}

static void
search_changed_cb (DcListPane *self)
{
  gtk_string_filter_set_search (self->search_filter,
                                gtk_editable_get_text (GTK_EDITABLE (self->search_entry)));
  g_signal_emit (self, signals[FILTER_CHANGED], 0);
}

static void
stop_search_cb (DcListPane *self)
{
  gtk_editable_set_text (GTK_EDITABLE (self->search_entry), "");
}

static void
category_changed_cb (DcListPane *self)
{
  if (self->category_filter != NULL)
    gtk_filter_changed (GTK_FILTER (self->category_filter), GTK_FILTER_CHANGE_DIFFERENT);
  g_signal_emit (self, signals[FILTER_CHANGED], 0);
}

/* The position of the only selected row, or GTK_INVALID_LIST_POSITION with
 * none or several. */
static guint
single_selected (DcListPane *self)
{
  g_autoptr(GtkBitset) selected =
    gtk_selection_model_get_selection (GTK_SELECTION_MODEL (self->selection));

  return gtk_bitset_get_size (selected) == 1 ? gtk_bitset_get_nth (selected, 0)
                                             : GTK_INVALID_LIST_POSITION;
}

/* One row picked opens it (::activated); rows picked with Ctrl or Shift
 * make a selection to act on together (::selection-changed). */
static void
selection_changed_cb (DcListPane *self)
{
  guint position = single_selected (self);
  g_autoptr(GObject) item = NULL;
  gboolean changed;

  if (position != GTK_INVALID_LIST_POSITION)
    item = g_list_model_get_item (G_LIST_MODEL (self->selection), position);
  changed = item != self->selected;
  self->selected = item;
  if (!self->selecting && changed && item != NULL)
    g_signal_emit (self, signals[ACTIVATED], 0, item);
  g_signal_emit (self, signals[SELECTION_CHANGED], 0);
}

static void
dc_list_pane_dispose (GObject *object)
{
  DcListPane *self = (DcListPane *)object;

  g_clear_handle_id (&self->rerank_source, g_source_remove);
  dc_template_dispose (GTK_WIDGET (self), DC_TYPE_LIST_PANE);
  g_clear_object (&self->selection);
  g_clear_pointer (&self->ranks, g_hash_table_unref);

  G_OBJECT_CLASS (dc_list_pane_parent_class)->dispose (object);
}

static void
dc_list_pane_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  DcListPane *self = DC_LIST_PANE (object);

  switch (prop_id)
    {
    case PROP_CHOICES:
      g_value_set_object (value, gtk_drop_down_get_model (self->category_dropdown));
      break;

    case PROP_FACTORY:
      g_value_set_object (value, gtk_list_view_get_factory (self->list_view));
      break;

    case PROP_PLACEHOLDER_TEXT:
      /* no accessors before GTK 4.10 */
      g_object_get_property (G_OBJECT (self->search_entry), "placeholder-text", value);
      break;

    case PROP_EMPTY_TITLE:
      g_value_set_string (value, adw_status_page_get_title (self->empty_page));
      break;

    case PROP_EMPTY_DESCRIPTION:
      g_value_set_string (value, adw_status_page_get_description (self->empty_page));
      break;

    case PROP_EMPTY_ICON_NAME:
      g_value_set_string (value, adw_status_page_get_icon_name (self->empty_page));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dc_list_pane_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  DcListPane *self = DC_LIST_PANE (object);

  switch (prop_id)
    {
    case PROP_CHOICES:
      gtk_drop_down_set_model (self->category_dropdown, g_value_get_object (value));
      break;

    case PROP_FACTORY:
      gtk_list_view_set_factory (self->list_view, g_value_get_object (value));
      break;

    case PROP_PLACEHOLDER_TEXT:
      g_object_set_property (G_OBJECT (self->search_entry), "placeholder-text", value);
      break;

    case PROP_EMPTY_TITLE:
      adw_status_page_set_title (self->empty_page, g_value_get_string (value));
      break;

    case PROP_EMPTY_DESCRIPTION:
      adw_status_page_set_description (self->empty_page, g_value_get_string (value));
      break;

    case PROP_EMPTY_ICON_NAME:
      adw_status_page_set_icon_name (self->empty_page, g_value_get_string (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dc_list_pane_class_init (DcListPaneClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS;

  object_class->dispose = dc_list_pane_dispose;
  object_class->get_property = dc_list_pane_get_property;
  object_class->set_property = dc_list_pane_set_property;

  properties[PROP_CHOICES] =
    g_param_spec_object ("choices", NULL, NULL, G_TYPE_LIST_MODEL, flags);
  properties[PROP_FACTORY] =
    g_param_spec_object ("factory", NULL, NULL, GTK_TYPE_LIST_ITEM_FACTORY, flags);
  properties[PROP_PLACEHOLDER_TEXT] =
    g_param_spec_string ("placeholder-text", NULL, NULL, NULL, flags);
  properties[PROP_EMPTY_TITLE] = g_param_spec_string ("empty-title", NULL, NULL, NULL, flags);
  properties[PROP_EMPTY_DESCRIPTION] =
    g_param_spec_string ("empty-description", NULL, NULL, NULL, flags);
  properties[PROP_EMPTY_ICON_NAME] =
    g_param_spec_string ("empty-icon-name", NULL, NULL, NULL, flags);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[ACTIVATED] =
    g_signal_new ("activated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, DC_TYPE_ENTITY);
  signals[SELECTION_CHANGED] =
    g_signal_new ("selection-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[FILTER_CHANGED] =
    g_signal_new ("filter-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/dispatchd/Console/dc-list-pane.ui");
  gtk_widget_class_bind_template_child (widget_class, DcListPane, search_entry);
  gtk_widget_class_bind_template_child (widget_class, DcListPane, category_dropdown);
  gtk_widget_class_bind_template_child (widget_class, DcListPane, stack);
  gtk_widget_class_bind_template_child (widget_class, DcListPane, list_view);
  gtk_widget_class_bind_template_child (widget_class, DcListPane, empty_page);
  gtk_widget_class_bind_template_callback (widget_class, search_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, stop_search_cb);
  gtk_widget_class_bind_template_callback (widget_class, category_changed_cb);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BOX_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "dc-list-pane");
}

static void
dc_list_pane_init (DcListPane *self)
{
  GtkLayoutManager *layout;
  GtkEveryFilter *filter;

  gtk_widget_init_template (GTK_WIDGET (self));
  layout = gtk_widget_get_layout_manager (GTK_WIDGET (self));
  gtk_orientable_set_orientation (GTK_ORIENTABLE (layout), GTK_ORIENTATION_VERTICAL);

  self->search_filter =
    gtk_string_filter_new (gtk_property_expression_new (DC_TYPE_ENTITY, NULL, "search-text"));
  gtk_string_filter_set_ignore_case (self->search_filter, TRUE);
  gtk_string_filter_set_match_mode (self->search_filter, GTK_STRING_FILTER_MATCH_MODE_SUBSTRING);
  self->category_filter = gtk_custom_filter_new (match_category, self, NULL);

  filter = gtk_every_filter_new ();
  gtk_multi_filter_append (GTK_MULTI_FILTER (filter), GTK_FILTER (self->search_filter));
  gtk_multi_filter_append (GTK_MULTI_FILTER (filter), GTK_FILTER (self->category_filter));

  self->ranks = g_hash_table_new (NULL, NULL);
  self->sorted = gtk_sort_list_model_new (NULL,
                                          GTK_SORTER (gtk_custom_sorter_new (compare_ranks,
                                                                             self, NULL)));
  self->filtered = gtk_filter_list_model_new (G_LIST_MODEL (self->sorted), GTK_FILTER (filter));
  self->selection = gtk_multi_selection_new (G_LIST_MODEL (self->filtered));
  gtk_list_view_set_model (self->list_view, GTK_SELECTION_MODEL (self->selection));

  g_signal_connect_object (self->selection, "selection-changed",
                           G_CALLBACK (selection_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->filtered, "items-changed",
                           G_CALLBACK (update_empty), self, G_CONNECT_SWAPPED);
  update_empty (self);

  dc_hold_watch (GTK_WIDGET (self->list_view));
  self->rerank_source = g_timeout_add_seconds (RERANK_INTERVAL_S, rerank_cb, self);
}

void
dc_list_pane_set_model (DcListPane *self,
                        GListModel *model)
{
  g_return_if_fail (DC_IS_LIST_PANE (self));
  g_return_if_fail (model == NULL || G_IS_LIST_MODEL (model));

  if (model != NULL)
    g_signal_connect_object (model, "items-changed", G_CALLBACK (model_changed_cb), self,
                             G_CONNECT_SWAPPED);
  gtk_sort_list_model_set_model (self->sorted, model);
  rerank (self);
}

void
dc_list_pane_select (DcListPane *self,
                     DcEntity   *entity)
{
  guint n, position = GTK_INVALID_LIST_POSITION;

  g_return_if_fail (DC_IS_LIST_PANE (self));

  n = g_list_model_get_n_items (G_LIST_MODEL (self->filtered));
  for (guint i = 0; entity != NULL && i < n; i++)
    {
      g_autoptr(GObject) item = g_list_model_get_item (G_LIST_MODEL (self->filtered), i);

      if (item == (GObject *) entity)
        {
          position = i;
          break;
        }
    }

  self->selecting = TRUE;
  if (position != GTK_INVALID_LIST_POSITION)
    gtk_selection_model_select_item (GTK_SELECTION_MODEL (self->selection), position, TRUE);
  else
    gtk_selection_model_unselect_all (GTK_SELECTION_MODEL (self->selection));
  self->selecting = FALSE;

  if (position != GTK_INVALID_LIST_POSITION)
    gtk_widget_activate_action (GTK_WIDGET (self->list_view), "list.scroll-to-item", "u",
                                position);
}

void
dc_list_pane_focus_search (DcListPane *self)
{
  g_return_if_fail (DC_IS_LIST_PANE (self));

  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
}

DcEntity *
dc_list_pane_get_neighbour (DcListPane *self,
                            int         delta)
{
  guint selected, n;
  gint64 position;

  g_return_val_if_fail (DC_IS_LIST_PANE (self), NULL);

  selected = single_selected (self);
  n = g_list_model_get_n_items (G_LIST_MODEL (self->filtered));
  position = selected == GTK_INVALID_LIST_POSITION ? 0 : (gint64) selected + delta;
  if (position < 0 || position >= n)
    return NULL;

  return g_list_model_get_item (G_LIST_MODEL (self->filtered), (guint) position);
}

GPtrArray *
dc_list_pane_get_selection (DcListPane *self)
{
  g_autoptr(GtkBitset) selected = NULL;
  GtkBitsetIter iter;
  GPtrArray *entities;
  guint position;

  g_return_val_if_fail (DC_IS_LIST_PANE (self), NULL);

  entities = g_ptr_array_new_with_free_func (g_object_unref);
  selected = gtk_selection_model_get_selection (GTK_SELECTION_MODEL (self->selection));
  for (gboolean more = gtk_bitset_iter_init_first (&iter, selected, &position); more;
       more = gtk_bitset_iter_next (&iter, &position))
    g_ptr_array_add (entities, g_list_model_get_item (G_LIST_MODEL (self->selection), position));

  return entities;
}

const char *
dc_list_pane_get_search_text (DcListPane *self)
{
  g_return_val_if_fail (DC_IS_LIST_PANE (self), NULL);

  return gtk_editable_get_text (GTK_EDITABLE (self->search_entry));
}

guint
dc_list_pane_get_category (DcListPane *self)
{
  g_return_val_if_fail (DC_IS_LIST_PANE (self), 0);

  return gtk_drop_down_get_selected (self->category_dropdown);
}

void
dc_list_pane_set_category (DcListPane *self,
                           guint       category)
{
  g_return_if_fail (DC_IS_LIST_PANE (self));

  gtk_drop_down_set_selected (self->category_dropdown, category);
}
