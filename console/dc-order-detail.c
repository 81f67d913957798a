/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "dc-candidates.h"
#include "dc-format.h"
#include "dc-hold.h"
#include "dc-json.h"
#include "dc-order-detail.h"
#include "dc-proof-rows.h"
#include "dc-template.h"

#define MAX_CANDIDATES       5
#define CANDIDATES_REFRESH_S 5
#define TIMELINE_DEBOUNCE_MS 400

struct _DcOrderDetail
{
  GtkWidget parent_instance;

  DcContext *context;
  DcOrder *order;
  GSignalGroup *order_signals;
  GCancellable *events_cancellable;
  guint candidates_source;
  guint timeline_source;

  /* template */
  GtkLabel *title_label;
  GtkLabel *subtitle_label;
  GtkLabel *status_label;
  GtkLabel *eta_label;
  AdwActionRow *pickup_row;
  AdwActionRow *dropoff_row;
  AdwActionRow *customer_row;
  AdwActionRow *notes_row;
  AdwActionRow *load_row;
  AdwActionRow *driver_row;
  AdwActionRow *why_row;
  GtkSwitch *hold_switch;
  /* the switch follows the order: not a dispatcher's toggle */
  gboolean updating;
  GtkWidget *unassign_button;
  GtkWidget *candidates_group;
  GtkListBox *candidates_list;
  GtkListBox *timeline_list;
  GtkListBox *proof_list;
  GtkWidget *hold_row;
  GtkWidget *edit_button;
  GtkWidget *cancel_button;
};

G_DEFINE_FINAL_TYPE (DcOrderDetail, dc_order_detail, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_CONTEXT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
clear_list (GtkListBox *list)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (list))))
    gtk_list_box_remove (list, child);
}

static DcUnits
units (DcOrderDetail *self)
{
  return g_settings_get_enum (dc_context_get_settings (self->context), "units");
}

static DcDriver *
lookup_driver (DcOrderDetail *self,
               const char    *id)
{
  DcEntity *driver = dc_store_lookup (dc_context_get_drivers (self->context), id);

  return driver ? DC_DRIVER (driver) : NULL;
}

/* Who caused an event, as people call them: the driver's or customer's
 * name, "automation", or a role; never an internal id. The server gives an
 * object {"role", …} or a label "role:USER-ID". */
static char *
actor_name (DcOrderDetail *self,
            JsonObject    *event)
{
  JsonNode *actor = json_object_get_member (event, "actor");
  JsonObject *data = dc_json_object (event, "data");
  g_autofree char *role = NULL;
  DcDriver *driver;

  if (actor != NULL && JSON_NODE_HOLDS_OBJECT (actor))
    role = g_strdup (dc_json_string (json_node_get_object (actor), "role"));
  else if (actor != NULL && JSON_NODE_HOLDS_VALUE (actor) &&
           json_node_get_value_type (actor) == G_TYPE_STRING)
    role = g_strndup (json_node_get_string (actor), strcspn (json_node_get_string (actor), ":"));

  if (role == NULL || g_str_equal (role, "system"))
    return g_strdup (_("automation"));

  if (g_str_equal (role, "driver") &&
      (driver = lookup_driver (self, data ? dc_json_string (data, "driver_id") : NULL)) != NULL &&
      dc_driver_get_name (driver) != NULL)
    return g_strdup (dc_driver_get_name (driver));

  if (g_str_equal (role, "customer"))
    return g_strdup (dc_order_get_customer (self->order) ?: _("the customer"));
  if (g_str_equal (role, "driver"))
    return g_strdup (_("the driver"));
  if (g_str_equal (role, "admin"))
    return g_strdup (_("an admin"));

  return g_strdup (_("a dispatcher"));
}

/* "Priority 3", with the ready time, the planned pickup and the delivery
 * window when the order has them. */
static char *
subtitle_text (DcOrder *order)
{
  /* Translators: %d is the priority 0–9 */
  g_autofree char *priority = g_strdup_printf (_("Priority %d"), dc_order_get_priority (order));
  GString *text = g_string_new (priority);
  gint64 now = g_get_real_time ();
  g_autofree char *window = NULL;
  gint64 after, before;

  dc_order_get_window (order, &after, &before);
  if (dc_order_get_ready_at (order) != 0)
    {
      g_autofree char *ready = dc_format_time_of_day (dc_order_get_ready_at (order), now);

      g_string_append (text, " · ");
      /* Translators: when a pickup is ready, e.g. "ready 14:05" */
      g_string_append_printf (text, _("ready %s"), ready);
    }
  if (dc_order_get_pickup_at (order) != 0 &&
      dc_order_get_pickup_at (order) != dc_order_get_ready_at (order))
    {
      g_autofree char *pickup = dc_format_time_of_day (dc_order_get_pickup_at (order), now);

      /* Translators: %s is a time of day */
      g_string_append_printf (text, _(" · pick up at %s"), pickup);
    }
  if ((window = dc_format_window (after, before, now)) != NULL)
    /* Translators: %s is a delivery window, e.g. "14:00–14:30" or "by 14:30" */
    g_string_append_printf (text, _(" · deliver %s"), window);

  return g_string_free (text, FALSE);
}

static char *
event_title (DcOrderDetail *self,
             const char    *type,
             JsonObject    *data)
{
  DispatchOrderStatus status;
  DcDriver *driver;

  if (g_strcmp0 (type, "order.created") == 0)
    return g_strdup (_("Created"));

  if (g_strcmp0 (type, "order.assigned") == 0 || g_strcmp0 (type, "order.offer") == 0)
    {
      const char *id = data ? dc_json_string (data, "driver_id") : NULL;
      JsonObject *offer = data ? dc_json_object (data, "offer") : NULL;
      const char *name;

      if (id == NULL && offer != NULL)
        id = dc_json_string (offer, "driver_id");
      driver = lookup_driver (self, id);
      name = driver ? dc_driver_get_name (driver) : NULL;

      if (g_strcmp0 (type, "order.offer") == 0)
        /* Translators: %s is a driver's name */
        return g_strdup_printf (_("Offered to %s"), name ?: _("a driver"));
      /* Translators: %s is a driver's name */
      return g_strdup_printf (_("Assigned to %s"), name ?: _("a driver"));
    }

  if (g_strcmp0 (type, "order.unassignable") == 0)
    return g_strdup (_("No driver available"));
  if (g_strcmp0 (type, "order.at_risk") == 0)
    return g_strdup (_("May miss its delivery window"));
  if (g_strcmp0 (type, "order.arriving") == 0 || g_strcmp0 (type, "order.arrived_at_stop") == 0)
    {
      JsonObject *arrival = data != NULL ? dc_json_object (data, "arrival") : NULL;
      gboolean dropoff = arrival != NULL &&
                         g_strcmp0 (dc_json_string (arrival, "stop"), "dropoff") == 0;

      if (g_strcmp0 (type, "order.arriving") == 0)
        return g_strdup (dropoff ? _("Driver arriving at the dropoff")
                                 : _("Driver arriving at the pickup"));
      return g_strdup (dropoff ? _("Driver at the dropoff") : _("Driver at the pickup"));
    }

  if (g_strcmp0 (type, "alert") == 0)
    return g_strdup (data != NULL && g_strcmp0 (dc_json_string (data, "kind"),
                                                 "proof_pin_locked") == 0
                     ? _("PIN locked: entered wrong too often") : _("Alert"));

  if (data != NULL && dispatch_order_status_from_string (dc_json_string (data, "status"), &status))
    return g_strdup (dc_format_order_status (status));

  return g_strdup (type);
}

/* The server may explain an assignment in the event's data; otherwise say
 * who made it. */
static char *
why_text (DcOrderDetail *self,
          JsonObject    *event)
{
  JsonObject *data = dc_json_object (event, "data");
  JsonObject *assignment = data ? dc_json_object (data, "assignment") : NULL;
  const char *reason = NULL;
  g_autofree char *actor = actor_name (self, event);
  JsonNode *actor_node = json_object_get_member (event, "actor");
  gboolean automatic = actor_node == NULL ||
                       (JSON_NODE_HOLDS_VALUE (actor_node) &&
                        g_strcmp0 (json_node_get_string (actor_node), "system") == 0) ||
                       (JSON_NODE_HOLDS_OBJECT (actor_node) &&
                        g_strcmp0 (dc_json_string (json_node_get_object (actor_node), "role"),
                                   "system") == 0);

  if (data != NULL)
    reason = dc_json_string (data, "reason");
  if (reason == NULL && assignment != NULL)
    reason = dc_json_string (assignment, "reason");
  if (reason != NULL)
    return g_strdup (reason);

  if (automatic)
    return g_strdup (_("Chosen by automatic dispatch: the shortest estimated time to the pickup"));

  /* Translators: %s is who assigned the order, a username or a role */
  return g_strdup_printf (_("Assigned by hand by %s; automation will not override it"), actor);
}

static void
events_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(DcOrderDetail) self = user_data;
  g_autoptr(JsonObject) response = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *why = NULL;
  JsonArray *events;
  guint n;

  response = dc_client_request_finish (DC_CLIENT (object), result, &error);
  if (response == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("No timeline: %s", error->message);
      return;
    }

  clear_list (self->timeline_list);
  events = dc_json_array (response, "events");
  n = events != NULL ? json_array_get_length (events) : 0;

  /* Newest first reads best in a narrow pane. The server follows each
   * order.assigned and order.offer with an order.updated of the same change:
   * one row for both. */
  for (guint i = n; i > 0; i--)
    {
      JsonNode *node = json_array_get_element (events, i - 1);
      JsonNode *before = i > 1 ? json_array_get_element (events, i - 2) : NULL;
      JsonObject *event, *data;
      GtkWidget *row;
      const char *type, *reason, *code;
      g_autofree char *failure = NULL;
      g_autofree char *title = NULL;
      g_autofree char *time = NULL;
      g_autofree char *actor = NULL;
      g_autofree char *subtitle = NULL;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;

      event = json_node_get_object (node);
      type = dc_json_string (event, "type");
      if (g_strcmp0 (type, "order.updated") == 0 && before != NULL &&
          JSON_NODE_HOLDS_OBJECT (before) &&
          (g_strcmp0 (dc_json_string (json_node_get_object (before), "type"),
                      "order.assigned") == 0 ||
           g_strcmp0 (dc_json_string (json_node_get_object (before), "type"),
                      "order.offer") == 0))
        continue;

      data = dc_json_object (event, "data");
      actor = actor_name (self, event);
      title = event_title (self, type, data);
      reason = data != NULL && g_strcmp0 (type, "order.updated") == 0
               ? dc_json_string (data, "status_reason") : NULL;
      code = data != NULL && g_strcmp0 (type, "order.updated") == 0
             ? dc_json_string (data, "failure_code") : NULL;
      if (code != NULL && reason != NULL)
        /* Translators: a failure's reason code as a label and the words the
         * driver gave, e.g. "Customer absent — nobody opened" */
        reason = failure = g_strdup_printf (_("%s — %s"), dc_format_failure_reason (code),
                                            reason);
      else if (code != NULL)
        reason = dc_format_failure_reason (code);
      if (reason != NULL)
        {
          g_autofree char *plain = g_steal_pointer (&title);

          /* Translators: an event and the reason given, e.g. "Cancelled: customer called" */
          title = g_strdup_printf (_("%s: %s"), plain, reason);
        }
      time = dc_format_clock_time (dc_json_timestamp (event, "occurred_at"));
      /* Translators: time · who, e.g. "14:02:11 · Anna Schmidt" */
      subtitle = g_strdup_printf (_("%s · %s"), time, actor);

      if (why == NULL && g_strcmp0 (type, "order.assigned") == 0)
        why = why_text (self, event);

      row = adw_action_row_new ();
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
      adw_action_row_set_title_lines (ADW_ACTION_ROW (row), 1);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
      adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 1);
      gtk_widget_set_tooltip_text (row, title);
      gtk_list_box_append (self->timeline_list, row);
    }

  adw_action_row_set_subtitle (self->why_row, why ?: "—");
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->why_row), why);
}

static void
load_timeline (DcOrderDetail *self)
{
  g_autofree char *path = NULL;

  g_cancellable_cancel (self->events_cancellable);
  g_clear_object (&self->events_cancellable);
  if (self->order == NULL)
    return;

  self->events_cancellable = g_cancellable_new ();
  path = g_strdup_printf ("/api/v1/orders/%s/events", dc_entity_get_id (DC_ENTITY (self->order)));
  dc_client_request_async (dc_context_get_client (self->context), "GET", path, NULL,
                           self->events_cancellable, events_cb, g_object_ref (self));
  dc_proof_rows_load (self->proof_list, dc_context_get_client (self->context),
                      dc_entity_get_id (DC_ENTITY (self->order)), self->events_cancellable);
}

static gboolean
timeline_settled_cb (gpointer user_data)
{
  DcOrderDetail *self = user_data;

  self->timeline_source = 0;
  load_timeline (self);

  return G_SOURCE_REMOVE;
}

static void
stream_event_cb (DcOrderDetail *self,
                 const char    *type,
                 JsonObject    *data)
{
  if (self->order == NULL || !g_str_has_prefix (type, "order.") ||
      g_strcmp0 (dc_json_string (data, "id"), dc_entity_get_id (DC_ENTITY (self->order))) != 0)
    return;

  g_clear_handle_id (&self->timeline_source, g_source_remove);
  self->timeline_source = g_timeout_add (TIMELINE_DEBOUNCE_MS, timeline_settled_cb, self);
}

static char *
candidate_reason (DcOrderDetail     *self,
                  const DcCandidate *candidate)
{
  g_autofree char *distance = dc_format_distance (candidate->distance_m, units (self));
  g_autofree char *eta = dc_format_duration ((gint64) candidate->eta_s);
  DcDriver *driver = candidate->driver;
  int load = dc_driver_get_load (driver), capacity = dc_driver_get_capacity (driver);

  switch (candidate->tier)
    {
    case DC_CANDIDATE_FREE:
      /* Translators: why a driver ranks first: load, distance, time, e.g.
       * "Free (0/2) · 1.2 km · 4 min" */
      return g_strdup_printf (_("Free (%d/%d) · %s · %s"), load, capacity, distance, eta);

    case DC_CANDIDATE_FULL:
      /* Translators: why a driver ranks below the free ones */
      return g_strdup_printf (_("At capacity (%d/%d) · %s · %s"), load, capacity, distance, eta);

    case DC_CANDIDATE_FAR:
    default:
      /* Translators: why a driver ranks last: distance, load */
      return g_strdup_printf (_("Too far: %s · %d/%d orders"), distance, load, capacity);
    }
}

static GtkWidget *
candidate_row (DcOrderDetail     *self,
               const DcCandidate *candidate)
{
  g_autofree char *subtitle = candidate_reason (self, candidate);
  g_autofree char *tooltip = NULL;
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *button = gtk_button_new_with_label (_("Assign"));
  DcDriver *driver = candidate->driver;

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row),
                                 dc_driver_get_name (driver) ?: _("Unnamed driver"));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 1);
  if (candidate->tier != DC_CANDIDATE_FREE)
    gtk_widget_add_css_class (row, "dim-candidate");
  g_object_set_data_full (G_OBJECT (row), "driver", g_object_ref (driver), g_object_unref);

  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (button), "win.assign-order");
  gtk_actionable_set_action_target (GTK_ACTIONABLE (button), "(ss)",
                                    dc_entity_get_id (DC_ENTITY (self->order)),
                                    dc_entity_get_id (DC_ENTITY (driver)));
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), button);

  button = gtk_button_new_from_icon_name ("action-unavailable-symbolic");
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (button, "flat");
  /* Translators: %s is a driver's name */
  tooltip = g_strdup_printf (_("Not This Driver: automation never gives the order to %s"),
                             dc_driver_get_name (driver) ?: _("Unnamed driver"));
  gtk_widget_set_tooltip_text (button, tooltip);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (button), "win.exclude-driver");
  gtk_actionable_set_action_target (GTK_ACTIONABLE (button), "(ss)",
                                    dc_entity_get_id (DC_ENTITY (self->order)),
                                    dc_entity_get_id (DC_ENTITY (driver)));
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), button);

  return row;
}

/* While held, the rows stay where they are and only their reasons change. */
static void
refresh_held_candidates (DcOrderDetail *self)
{
  double max_pickup_m = dc_context_get_max_pickup_m (self->context);

  for (GtkWidget *row = gtk_widget_get_first_child (GTK_WIDGET (self->candidates_list));
       row != NULL; row = gtk_widget_get_next_sibling (row))
    {
      DcDriver *driver = g_object_get_data (G_OBJECT (row), "driver");
      DcCandidate candidate;
      g_autofree char *reason = NULL;

      if (driver == NULL || !dc_candidate_measure (driver, self->order, max_pickup_m, &candidate))
        continue;

      candidate.driver = driver;
      reason = candidate_reason (self, &candidate);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), reason);
    }
}

/* Re-ranks the candidates unless @calm is FALSE and the dispatcher is
 * pointing at or focusing on them. */
static void
update_candidates (DcOrderDetail *self,
                   gboolean       calm)
{
  g_autoptr(GArray) candidates = NULL;
  DispatchOrderStatus status;

  if (self->order == NULL)
    {
      clear_list (self->candidates_list);
      return;
    }

  status = dc_order_get_status (self->order);
  gtk_widget_set_visible (self->candidates_group,
                          status == DISPATCH_ORDER_PENDING || status == DISPATCH_ORDER_ASSIGNED);
  if (!gtk_widget_get_visible (self->candidates_group))
    return;

  if (!calm && dc_hold_is_held (GTK_WIDGET (self->candidates_list)))
    {
      refresh_held_candidates (self);
      return;
    }

  clear_list (self->candidates_list);
  candidates = dc_candidates_rank (dc_context_get_drivers (self->context), self->order,
                                   dc_context_get_max_pickup_m (self->context), MAX_CANDIDATES);
  for (guint i = 0; i < candidates->len; i++)
    gtk_list_box_append (self->candidates_list,
                         candidate_row (self, &g_array_index (candidates, DcCandidate, i)));

  if (candidates->len == 0)
    {
      GtkWidget *row = adw_action_row_new ();

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _("No driver is available"));
      gtk_list_box_append (self->candidates_list, row);
    }
}

static void
units_changed_cb (DcOrderDetail *self)
{
  update_candidates (self, FALSE);
}

static void
update (DcOrderDetail *self)
{
  DcOrder *order = self->order;
  DispatchOrderStatus status;
  DcDriver *driver;
  const char *look;
  g_autofree char *title = NULL;
  g_autofree char *subtitle = NULL;
  g_autofree char *eta = NULL;
  g_autofree char *problem = NULL;
  g_autofree char *load = NULL;
  double weight_kg, volume_l;

  if (order == NULL)
    return;

  status = dc_order_get_status (order);
  look = dc_format_order_css_class (order);

  /* Translators: %s is a short order id */
  title = g_strdup_printf (_("Order %s"), dc_order_get_short_id (order));
  gtk_label_set_label (self->title_label, title);
  subtitle = subtitle_text (order);
  gtk_label_set_label (self->subtitle_label, subtitle);

  gtk_label_set_label (self->status_label, dc_format_order_badge (order));
  gtk_widget_set_css_classes (GTK_WIDGET (self->status_label),
                              (const char *[]) { "status-badge", "large", look, NULL });
  if (dc_order_get_eta_seconds (order) >= 0)
    {
      g_autofree char *duration = dc_format_duration (dc_order_get_eta_seconds (order));

      eta = g_strdup_printf (_("ETA %s"), duration);
    }
  gtk_label_set_label (self->eta_label, eta ?: "");

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->pickup_row),
                                 dc_order_get_pickup_address (order) ?: _("No address"));
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->dropoff_row),
                                 dc_order_get_dropoff_address (order) ?: _("No address"));
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->customer_row),
                                 dc_order_get_customer (order) ?: _("Unknown"));
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->notes_row),
                                 dc_order_get_notes (order) ?: "");
  gtk_widget_set_visible (GTK_WIDGET (self->notes_row), dc_order_get_notes (order) != NULL);
  dc_order_get_load (order, &weight_kg, &volume_l);
  load = dc_format_load (weight_kg, volume_l, 0, 0);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->load_row), load);
  gtk_widget_set_visible (GTK_WIDGET (self->load_row), weight_kg > 0 || volume_l > 0);

  /* The section stays when there is no driver, so that nothing below it
   * moves when one is assigned or taken away. */
  driver = lookup_driver (self, dc_order_get_driver_id (order));
  problem = dc_candidates_check (dc_context_get_drivers (self->context), order,
                                 dc_context_get_max_pickup_m (self->context), units (self));
  if (dc_order_get_driver_id (order) == NULL)
    adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->driver_row), _("Nobody yet"));
  else
    adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->driver_row),
                                   driver ? dc_driver_get_name (driver) : _("Unknown driver"));
  if (problem != NULL)
    adw_action_row_set_subtitle (self->driver_row, problem);
  else if (driver != NULL)
    adw_action_row_set_subtitle (self->driver_row,
                                 dc_format_vehicle (dc_driver_get_vehicle (driver)));
  else
    adw_action_row_set_subtitle (self->driver_row, "");
  if (problem != NULL)
    gtk_widget_add_css_class (GTK_WIDGET (self->driver_row), "warning");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->driver_row), "warning");
  gtk_widget_set_visible (self->unassign_button, status == DISPATCH_ORDER_ASSIGNED);
  self->updating = TRUE;
  gtk_switch_set_active (self->hold_switch, dc_order_get_held (order));
  self->updating = FALSE;
  /* what may still change: until pickup (PATCH /orders/{id}); automation
   * only dispatches until then too */
  gtk_widget_set_visible (self->edit_button,
                          status == DISPATCH_ORDER_PENDING || status == DISPATCH_ORDER_ASSIGNED);
  gtk_widget_set_visible (self->hold_row,
                          status == DISPATCH_ORDER_PENDING || status == DISPATCH_ORDER_ASSIGNED);
  gtk_widget_set_visible (self->cancel_button,
                          status == DISPATCH_ORDER_PENDING || status == DISPATCH_ORDER_ASSIGNED);
}

static gboolean
candidates_tick_cb (gpointer user_data)
{
  /* the flag of an assignment without an ETA comes with time */
  update (user_data);
  update_candidates (user_data, FALSE);

  return G_SOURCE_CONTINUE;
}

static void
hold_toggled_cb (DcOrderDetail *self)
{
  if (self->updating || self->order == NULL)
    return;

  gtk_widget_activate_action (GTK_WIDGET (self), "win.hold-order", "(sb)",
                              dc_entity_get_id (DC_ENTITY (self->order)),
                              gtk_switch_get_active (self->hold_switch));
}

static void
order_changed_cb (DcOrderDetail *self,
                  GParamSpec    *pspec)
{
  update (self);
  if (g_strcmp0 (pspec->name, "status") == 0 || g_strcmp0 (pspec->name, "driver-id") == 0)
    update_candidates (self, FALSE);
}

/* Offline the switch cannot work: its action is disabled, so is it. */
static void
connection_changed_cb (DcOrderDetail *self)
{
  gtk_widget_set_sensitive (GTK_WIDGET (self->hold_switch),
                            dc_stream_get_state (dc_context_get_stream (self->context)) ==
                            DC_CONNECTION_LIVE);
}

static void
dc_order_detail_constructed (GObject *object)
{
  DcOrderDetail *self = DC_ORDER_DETAIL (object);

  G_OBJECT_CLASS (dc_order_detail_parent_class)->constructed (object);

  g_signal_connect_object (dc_context_get_stream (self->context), "notify::state",
                           G_CALLBACK (connection_changed_cb), self, G_CONNECT_SWAPPED);
  connection_changed_cb (self);

  g_signal_connect_object (dc_context_get_stream (self->context), "event",
                           G_CALLBACK (stream_event_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (dc_context_get_settings (self->context), "changed::units",
                           G_CALLBACK (units_changed_cb), self, G_CONNECT_SWAPPED);
}

static void
dc_order_detail_dispose (GObject *object)
{
  DcOrderDetail *self = (DcOrderDetail *)object;

  g_clear_handle_id (&self->candidates_source, g_source_remove);
  g_clear_handle_id (&self->timeline_source, g_source_remove);
  g_cancellable_cancel (self->events_cancellable);
  g_clear_object (&self->events_cancellable);
  g_clear_object (&self->order_signals);
  g_clear_object (&self->order);
  dc_template_dispose (GTK_WIDGET (self), DC_TYPE_ORDER_DETAIL);
  g_clear_object (&self->context);

  G_OBJECT_CLASS (dc_order_detail_parent_class)->dispose (object);
}

static void
dc_order_detail_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  DcOrderDetail *self = DC_ORDER_DETAIL (object);

  switch (prop_id)
    {
    case PROP_CONTEXT:
      self->context = g_value_dup_object (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dc_order_detail_class_init (DcOrderDetailClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = dc_order_detail_constructed;
  object_class->dispose = dc_order_detail_dispose;
  object_class->set_property = dc_order_detail_set_property;

  properties[PROP_CONTEXT] =
    g_param_spec_object ("context", NULL, NULL, DC_TYPE_CONTEXT,
                         G_PARAM_WRITABLE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/dispatchd/Console/dc-order-detail.ui");
  gtk_widget_class_bind_template_child (widget_class, DcOrderDetail, title_label);
  gtk_widget_class_bind_template_child (widget_class, DcOrderDetail, subtitle_label);
  gtk_widget_class_bind_template_child (widget_class, DcOrderDetail, status_label);
  gtk_widget_class_bind_template_child (widget_class, DcOrderDetail, eta_label);
  gtk_widget_class_bind_template_child (widget_class, DcOrderDetail, pickup_row);
  gtk_widget_class_bind_template_child (widget_class, DcOrderDetail, dropoff_row);
  gtk_widget_class_bind_template_child (widget_class, DcOrderDetail, customer_row);
  gtk_widget_class_bind_template_child (widget_class, DcOrderDetail, notes_row);
  gtk_widget_class_bind_template_child (widget_class, DcOrderDetail, driver_row);
  gtk_widget_class_bind_template_child (widget_class, DcOrderDetail, why_row);
  gtk_widget_class_bind_template_child (widget_class, DcOrderDetail, hold_switch);
  gtk_widget_class_bind_template_callback (widget_class, hold_toggled_cb);
  gtk_widget_class_bind_template_child (widget_class, DcOrderDetail, unassign_button);
  gtk_widget_class_bind_template_child (widget_class, DcOrderDetail, candidates_group);
  gtk_widget_class_bind_template_child (widget_class, DcOrderDetail, candidates_list);
  gtk_widget_class_bind_template_child (widget_class, DcOrderDetail, timeline_list);
  gtk_widget_class_bind_template_child (widget_class, DcOrderDetail, proof_list);
  gtk_widget_class_bind_template_child (widget_class, DcOrderDetail, load_row);
  gtk_widget_class_bind_template_child (widget_class, DcOrderDetail, hold_row);
  gtk_widget_class_bind_template_child (widget_class, DcOrderDetail, edit_button);
  gtk_widget_class_bind_template_child (widget_class, DcOrderDetail, cancel_button);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "dc-order-detail");
}

static void
dc_order_detail_init (DcOrderDetail *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  /* too long for the .ui's lines */
  adw_preferences_group_set_description (ADW_PREFERENCES_GROUP (self->candidates_group),
                                         _("Free drivers first, then by estimated time to the "
                                           "pickup. The list holds still while you point at "
                                           "it. Drag the order onto a driver to assign it, "
                                           "too."));

  self->order_signals = g_signal_group_new (DC_TYPE_ORDER);
  g_signal_group_connect_swapped (self->order_signals, "notify",
                                  G_CALLBACK (order_changed_cb), self);

  dc_hold_watch (GTK_WIDGET (self->candidates_list));
}

DcOrderDetail *
dc_order_detail_new (DcContext *context)
{
  g_return_val_if_fail (DC_IS_CONTEXT (context), NULL);

  return g_object_new (DC_TYPE_ORDER_DETAIL, "context", context, NULL);
}

void
dc_order_detail_set_order (DcOrderDetail *self,
                           DcOrder       *order)
{
  g_autofree char *id = NULL;

  g_return_if_fail (DC_IS_ORDER_DETAIL (self));
  g_return_if_fail (order == NULL || DC_IS_ORDER (order));

  if (!g_set_object (&self->order, order))
    return;

  g_signal_group_set_target (self->order_signals, order);
  g_clear_handle_id (&self->candidates_source, g_source_remove);
  clear_list (self->timeline_list);
  clear_list (self->proof_list);
  adw_action_row_set_subtitle (self->why_row, "—");
  if (order == NULL)
    return;

  id = g_strdup (dc_entity_get_id (DC_ENTITY (order)));
  /* The .ui cannot name these actions: they take the order's id. */
  gtk_actionable_set_action_target (GTK_ACTIONABLE (self->unassign_button), "s", id);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (self->unassign_button), "win.unassign-order");
  gtk_actionable_set_action_target (GTK_ACTIONABLE (self->edit_button), "s", id);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (self->edit_button), "win.edit-order");
  gtk_actionable_set_action_target (GTK_ACTIONABLE (self->cancel_button), "s", id);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (self->cancel_button), "win.cancel-order");

  update (self);
  update_candidates (self, TRUE);
  load_timeline (self);
  self->candidates_source = g_timeout_add_seconds (CANDIDATES_REFRESH_S, candidates_tick_cb,
                                                   self);
}

DcOrder *
dc_order_detail_get_order (DcOrderDetail *self)
{
  g_return_val_if_fail (DC_IS_ORDER_DETAIL (self), NULL);

  return self->order;
}

DcDriver *
dc_order_detail_get_top_candidate (DcOrderDetail *self)
{
  GtkWidget *first;

  g_return_val_if_fail (DC_IS_ORDER_DETAIL (self), NULL);

  first = gtk_widget_get_first_child (GTK_WIDGET (self->candidates_list));
  if (self->order == NULL || first == NULL ||
      !gtk_widget_get_visible (self->candidates_group))
    return NULL;

  return g_object_get_data (G_OBJECT (first), "driver");
}
