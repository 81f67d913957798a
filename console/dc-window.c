/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "dc-driver.h"
#include "dc-driver-row.h"
#include "dc-format.h"
#include "dc-frame-stats.h"
#include "dc-order-form.h"
#include "dc-order.h"
#include "dc-order-row.h"
#include "dc-reports-window.h"
#include "dc-window-private.h"

G_DEFINE_FINAL_TYPE (DcWindow, dc_window, ADW_TYPE_APPLICATION_WINDOW)

enum {
  PROP_0,
  PROP_CONTEXT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
update_counts (DcWindow *self)
{
  guint drivers = dc_store_get_count (dc_context_get_drivers (self->context));
  guint orders = dc_store_get_count (dc_context_get_orders (self->context));
  const char *scope = dc_scope_get_label (dc_context_get_scope (self->context));
  g_autofree char *driver_text = NULL;
  g_autofree char *subtitle = NULL;

  driver_text = g_strdup_printf (ngettext ("%u driver", "%u drivers", drivers), drivers);
  /* Translators: "%s" is "N drivers" */
  subtitle = g_strdup_printf (ngettext ("%s · %u open order", "%s · %u open orders", orders),
                              driver_text, orders);
  /* a scoped dispatcher's teams first: whose drivers and orders these are */
  if (scope != NULL)
    {
      g_autofree char *counts = g_steal_pointer (&subtitle);

      subtitle = g_strdup_printf (_("%s · %s"), scope, counts);
    }
  adw_window_title_set_subtitle (self->window_title, subtitle);
}

static void
update_banner (DcWindow *self)
{
  DcStream *stream = dc_context_get_stream (self->context);
  gint64 last = dc_stream_get_last_update (stream);
  g_autofree char *text = NULL;

  if (last == 0)
    text = g_strdup (_("Connecting to the server…"));
  else
    {
      g_autofree char *age = dc_format_age (last, g_get_real_time ());

      /* Translators: %s is e.g. "12 seconds ago" */
      text = g_strdup_printf (_("Reconnecting… Last update %s; what you see may be out of date."),
                              age);
    }
  gtk_label_set_label (self->banner_label, text);
}

static gboolean
stale_tick_cb (gpointer user_data)
{
  update_banner (user_data);

  return G_SOURCE_CONTINUE;
}

/* Never show stale data as live: anything but a synced stream dims the
 * map and the lists and says since when the data is old. */
static void
connection_changed_cb (DcWindow *self)
{
  DcConnectionState state = dc_stream_get_state (dc_context_get_stream (self->context));
  gboolean live = state == DC_CONNECTION_LIVE;
  const char *label = NULL;
  const char *style = NULL;

  switch (state)
    {
    case DC_CONNECTION_LIVE:
      label = C_("connection", "Live");
      style = "live";
      break;

    case DC_CONNECTION_CONNECTING:
      label = C_("connection", "Connecting");
      style = "connecting";
      break;

    case DC_CONNECTION_DISCONNECTED:
    default:
      label = C_("connection", "Offline");
      style = "offline";
      break;
    }

  gtk_label_set_label (self->status_label, label);
  gtk_widget_set_css_classes (GTK_WIDGET (self->status_label),
                              (const char *[]) { "connection-status", style, NULL });
  dc_window_set_order_actions_enabled (self, live);

  if (live)
    {
      gtk_widget_remove_css_class (self->content, "stale");
      gtk_widget_remove_css_class (GTK_WIDGET (self->sidebar_stack), "stale");
      g_clear_handle_id (&self->stale_source, g_source_remove);
    }
  else
    {
      gtk_widget_add_css_class (self->content, "stale");
      gtk_widget_add_css_class (GTK_WIDGET (self->sidebar_stack), "stale");
      update_banner (self);
      if (self->stale_source == 0)
        self->stale_source = g_timeout_add_seconds (1, stale_tick_cb, self);
    }
  gtk_revealer_set_reveal_child (self->banner_revealer, !live);
}

static void
authenticated_cb (DcWindow *self)
{
  gboolean authenticated = dc_client_get_authenticated (dc_context_get_client (self->context));

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.sign-out", authenticated);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.show-reports", authenticated);
  gtk_stack_set_visible_child_name (self->main_stack, authenticated ? "console" : "sign-in");
  if (!authenticated)
    {
      dc_sign_in_page_reset (self->sign_in_page);
      dc_replay_bar_stop (self->replay_bar);
    }
}

static void
session_expired_cb (DcWindow *self)
{
  dc_window_show_toast (self, _("Your session has ended. Sign in again to go on."));
}

static void
sign_in_failed_cb (DcWindow   *self,
                   const char *message)
{
  dc_window_show_toast (self, message);
}

static void
unread_changed_cb (DcWindow *self)
{
  guint unread = dc_alerts_get_unread (dc_context_get_alerts (self->context));
  g_autofree char *text = g_strdup_printf ("%u", MIN (unread, 99));

  gtk_label_set_label (self->badge_label, text);
  gtk_widget_set_visible (GTK_WIDGET (self->badge_label), unread > 0);
}

#define ALERT_BURST_MS 300

static gboolean
show_alert_toast_cb (gpointer user_data)
{
  DcWindow *self = user_data;
  g_autofree char *title = NULL;
  AdwToast *toast;

  self->alert_toast_source = 0;

  if (self->pending_alerts == 1)
    {
      DcAlert *alert = self->last_alert;

      /* Translators: alert title: text, e.g. "Late order: Order 3f2a9c1d …" */
      title = g_strdup_printf (_("%s: %s"), dc_alert_get_title (alert),
                               dc_alert_get_body (alert));
      toast = adw_toast_new (title);
      if (dc_alert_get_order_id (alert) != NULL)
        {
          adw_toast_set_button_label (toast, _("Show"));
          adw_toast_set_action_name (toast, "win.select-order");
          adw_toast_set_action_target_value (toast,
                                             g_variant_new_string (dc_alert_get_order_id (alert)));
        }
    }
  else
    {
      title = g_strdup_printf (ngettext ("%u new alert", "%u new alerts", self->pending_alerts),
                               self->pending_alerts);
      toast = adw_toast_new (title);
      adw_toast_set_button_label (toast, _("Show"));
      adw_toast_set_action_name (toast, "win.show-alerts");
    }

  dc_window_add_toast (self, toast);

  self->pending_alerts = 0;
  g_clear_object (&self->last_alert);

  return G_SOURCE_REMOVE;
}

/* In the background, what needs action reaches the desktop. */
static void
notify_desktop (DcWindow *self,
                DcAlert  *alert)
{
  GApplication *application = G_APPLICATION (gtk_window_get_application (GTK_WINDOW (self)));
  g_autoptr(GNotification) notification = NULL;
  const char *order_id = dc_alert_get_order_id (alert);
  const char *driver_id = dc_alert_get_driver_id (alert);

  if (application == NULL || gtk_window_is_active (GTK_WINDOW (self)) ||
      (order_id == NULL && driver_id == NULL))
    return;

  notification = g_notification_new (dc_alert_get_title (alert));
  g_notification_set_body (notification, dc_alert_get_body (alert));
  g_notification_set_priority (notification, G_NOTIFICATION_PRIORITY_HIGH);
  if (order_id != NULL)
    g_notification_set_default_action_and_target (notification, "app.select-order", "s",
                                                  order_id);
  else
    g_notification_set_default_action_and_target (notification, "app.select-driver", "s",
                                                  driver_id);
  /* One per order or driver: a repeat replaces the earlier one. */
  g_application_send_notification (application, order_id ?: driver_id, notification);
}

static void
alert_raised_cb (DcWindow *self,
                 DcAlert  *alert)
{
  notify_desktop (self, alert);
  self->pending_alerts++;
  g_set_object (&self->last_alert, alert);
  if (self->alert_toast_source == 0)
    self->alert_toast_source = g_timeout_add (ALERT_BURST_MS, show_alert_toast_cb, self);
}

static GtkWidget *
create_alert_row (gpointer item,
                  gpointer user_data)
{
  DcAlert *alert = item;
  GtkWidget *row = adw_action_row_new ();
  g_autofree char *time = dc_format_clock_time (dc_alert_get_time (alert));
  g_autofree char *subtitle = NULL;
  g_autofree char *title = NULL;
  guint count = dc_alert_get_count (alert);

  /* Translators: time · text */
  subtitle = g_strdup_printf (_("%s · %s"), time, dc_alert_get_body (alert));
  /* Translators: an alert raised several times, e.g. "Late order (×3)" */
  title = count > 1 ? g_strdup_printf (_("%s (×%u)"), dc_alert_get_title (alert), count)
                    : g_strdup (dc_alert_get_title (alert));
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row),
                                    dc_alert_get_order_id (alert) != NULL ||
                                    dc_alert_get_driver_id (alert) != NULL);
  if (gtk_list_box_row_get_activatable (GTK_LIST_BOX_ROW (row)))
    adw_action_row_add_suffix (ADW_ACTION_ROW (row),
                               gtk_image_new_from_icon_name ("go-next-symbolic"));
  g_object_set_data_full (G_OBJECT (row), "alert", g_object_ref (alert), g_object_unref);

  return row;
}

static void
alert_activated_cb (DcWindow      *self,
                    GtkListBoxRow *row)
{
  DcAlert *alert = g_object_get_data (G_OBJECT (row), "alert");

  gtk_popover_popdown (gtk_menu_button_get_popover (self->alerts_button));
  if (dc_alert_get_order_id (alert) != NULL &&
      dc_store_lookup (dc_context_get_orders (self->context), dc_alert_get_order_id (alert)))
    gtk_widget_activate_action (GTK_WIDGET (self), "win.select-order", "s",
                                dc_alert_get_order_id (alert));
  else if (dc_alert_get_driver_id (alert) != NULL)
    gtk_widget_activate_action (GTK_WIDGET (self), "win.select-driver", "s",
                                dc_alert_get_driver_id (alert));
  else
    gtk_widget_activate_action (GTK_WIDGET (self), "win.select-order", "s",
                                dc_alert_get_order_id (alert));
}

static void
alerts_shown_cb (DcWindow *self)
{
  dc_alerts_mark_read (dc_context_get_alerts (self->context));
}

static void
clear_alerts_cb (DcWindow *self)
{
  dc_alerts_clear (dc_context_get_alerts (self->context));
}

static void
order_activated_cb (DcWindow *self,
                    DcEntity *entity)
{
  dc_window_select_order (self, DC_ORDER (entity), TRUE);
}

static void
driver_activated_cb (DcWindow *self,
                     DcEntity *entity)
{
  dc_window_select_driver (self, DC_DRIVER (entity), TRUE);
}

/* "Finished today" is searched by the server: each search loads it anew. */
static void
orders_filter_changed_cb (DcWindow *self)
{
  if (dc_list_pane_get_category (self->orders_pane) == DC_ORDER_CATEGORY_FINISHED)
    dc_finished_orders_load (dc_context_get_finished_orders (self->context),
                             dc_list_pane_get_search_text (self->orders_pane));
}

static void
orders_selection_changed_cb (DcWindow *self)
{
  g_autoptr(GPtrArray) selection = dc_list_pane_get_selection (self->orders_pane);
  g_autofree char *text = NULL;

  text = g_strdup_printf (ngettext ("%u order selected", "%u orders selected", selection->len),
                          selection->len);
  gtk_label_set_label (self->bulk_label, text);
  gtk_revealer_set_reveal_child (self->bulk_revealer, selection->len > 1);
}

/* One pane at a time, the header bar is short of room: the connection's
 * state shows in the banner then (it is only shown when not live). */
static void
folded_cb (DcWindow *self)
{
  gtk_widget_set_visible (GTK_WIDGET (self->status_label),
                          !adw_leaflet_get_folded (self->leaflet));
}

static void
back_cb (DcWindow *self)
{
  adw_leaflet_navigate (self->leaflet, ADW_NAVIGATION_DIRECTION_BACK);
}

static void
select_order_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  DcWindow *self = DC_WINDOW (widget);
  const char *id = g_variant_get_string (parameter, NULL);
  DcEntity *order = dc_store_lookup (dc_context_get_orders (self->context), id);

  if (order == NULL)
    order = dc_store_lookup (dc_finished_orders_get_store (
                               dc_context_get_finished_orders (self->context)), id);
  if (order == NULL)
    {
      dc_window_show_toast (self, _("That order is no longer open"));
      return;
    }

  dc_window_select_order (self, DC_ORDER (order), FALSE);
}

static void
select_driver_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  DcWindow *self = DC_WINDOW (widget);
  DcEntity *driver = dc_store_lookup (dc_context_get_drivers (self->context),
                                      g_variant_get_string (parameter, NULL));

  if (driver != NULL)
    dc_window_select_driver (self, DC_DRIVER (driver), TRUE);
}

static void
close_detail_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  DcWindow *self = DC_WINDOW (widget);

  dc_window_select_order (self, NULL, FALSE);
  dc_window_select_driver (self, NULL, FALSE);
}

static void
show_page_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  DcWindow *self = DC_WINDOW (widget);

  adw_view_stack_set_visible_child_name (self->sidebar_stack,
                                         g_variant_get_string (parameter, NULL));
  adw_leaflet_navigate (self->leaflet, ADW_NAVIGATION_DIRECTION_BACK);
}

static void
search_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  DcWindow *self = DC_WINDOW (widget);
  const char *page = adw_view_stack_get_visible_child_name (self->sidebar_stack);

  adw_leaflet_navigate (self->leaflet, ADW_NAVIGATION_DIRECTION_BACK);
  dc_list_pane_focus_search (g_strcmp0 (page, "drivers") == 0 ? self->drivers_pane
                                                              : self->orders_pane);
}

static void
step_order (DcWindow *self,
            int       delta)
{
  g_autoptr(DcEntity) order = dc_list_pane_get_neighbour (self->orders_pane, delta);

  if (order != NULL)
    dc_window_select_order (self, DC_ORDER (order), TRUE);
  else
    gtk_widget_error_bell (GTK_WIDGET (self));
}

static void
next_order_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  step_order (DC_WINDOW (widget), 1);
}

static void
previous_order_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  step_order (DC_WINDOW (widget), -1);
}

/* The hot path from the keyboard: the open order to the candidate shown
 * first (asking first, as a click does, when that one is full or far). */
static void
assign_top_candidate_action (GtkWidget  *widget,
                             const char *action_name,
                             GVariant   *parameter)
{
  DcWindow *self = DC_WINDOW (widget);
  DcOrder *order = dc_order_detail_get_order (self->detail);
  DcDriver *driver = dc_order_detail_get_top_candidate (self->detail);

  if (order == NULL || driver == NULL)
    {
      gtk_widget_error_bell (widget);
      return;
    }

  gtk_widget_activate_action (widget, "win.assign-order", "(ss)",
                              dc_entity_get_id (DC_ENTITY (order)),
                              dc_entity_get_id (DC_ENTITY (driver)));
}

static void
hold_current_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  DcWindow *self = DC_WINDOW (widget);
  DcOrder *order = dc_order_detail_get_order (self->detail);

  if (order != NULL)
    gtk_widget_activate_action (widget, "win.hold-order", "(sb)",
                                dc_entity_get_id (DC_ENTITY (order)),
                                !dc_order_get_held (order));
}

static void
cancel_current_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  DcWindow *self = DC_WINDOW (widget);
  DcOrder *order = dc_order_detail_get_order (self->detail);

  if (order != NULL)
    gtk_widget_activate_action (widget, "win.cancel-order", "s",
                                dc_entity_get_id (DC_ENTITY (order)));
}

static void
new_order_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  dc_order_form_present (DC_WINDOW (widget), NULL);
}

/* Replay of a past period, or back to live. */
static void
replay_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  DcWindow *self = DC_WINDOW (widget);

  if (dc_replay_bar_get_active (self->replay_bar))
    dc_replay_bar_stop (self->replay_bar);
  else
    dc_replay_bar_start (self->replay_bar);
}

static void
edit_order_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  dc_order_form_present (DC_WINDOW (widget), g_variant_get_string (parameter, NULL));
}

/* One reports window per console window. */
static void
show_reports_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  DcWindow *self = DC_WINDOW (widget);
  GtkApplication *application = gtk_window_get_application (GTK_WINDOW (self));
  DcReportsWindow *reports = NULL;

  for (GList *l = gtk_application_get_windows (application); l != NULL; l = l->next)
    if (DC_IS_REPORTS_WINDOW (l->data) &&
        gtk_window_get_transient_for (GTK_WINDOW (l->data)) == GTK_WINDOW (self))
      reports = l->data;

  if (reports == NULL)
    {
      reports = dc_reports_window_new (self->context);
      gtk_window_set_transient_for (GTK_WINDOW (reports), GTK_WINDOW (self));
      gtk_window_set_application (GTK_WINDOW (reports), application);
    }
  gtk_window_present (GTK_WINDOW (reports));
}

static void
focus_map_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  DcWindow *self = DC_WINDOW (widget);

  adw_leaflet_navigate (self->leaflet, ADW_NAVIGATION_DIRECTION_FORWARD);
  gtk_widget_grab_focus (GTK_WIDGET (self->map_view));
}

static void
reconnect_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  DcWindow *self = DC_WINDOW (widget);

  dc_stream_start (dc_context_get_stream (self->context));
}

static void
show_alerts_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  DcWindow *self = DC_WINDOW (widget);

  gtk_menu_button_popup (self->alerts_button);
}

static void
sign_out_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  DcWindow *self = DC_WINDOW (widget);

  dc_window_select_order (self, NULL, FALSE);
  dc_window_select_driver (self, NULL, FALSE);
  dc_context_sign_out (self->context);
}

static void
dc_window_constructed (GObject *object)
{
  DcWindow *self = DC_WINDOW (object);
  DcContext *context = self->context;
  GSettings *settings = dc_context_get_settings (context);
  DcStream *stream = dc_context_get_stream (context);
  DcAlerts *alerts = dc_context_get_alerts (context);
  g_autoptr(GtkFlattenListModel) all_orders = NULL;
  g_autoptr(GListStore) orders = NULL;

  G_OBJECT_CLASS (dc_window_parent_class)->constructed (object);

  self->sign_in_page = dc_sign_in_page_new (context);
  self->map_view = dc_map_view_new (context);
  self->detail = dc_order_detail_new (context);
  self->driver_detail = dc_driver_detail_new (context);
  self->detail_stack = GTK_STACK (gtk_stack_new ());
  gtk_stack_add_named (self->detail_stack, GTK_WIDGET (self->detail), "order");
  gtk_stack_add_named (self->detail_stack, GTK_WIDGET (self->driver_detail), "driver");
  adw_bin_set_child (self->sign_in_bin, GTK_WIDGET (self->sign_in_page));
  adw_bin_set_child (self->map_bin, GTK_WIDGET (self->map_view));
  self->replay_bar = dc_replay_bar_new (context, self->map_view);
  gtk_box_insert_child_after (GTK_BOX (self->content), GTK_WIDGET (self->replay_bar),
                              GTK_WIDGET (self->banner_revealer));
  adw_bin_set_child (self->detail_bin, GTK_WIDGET (self->detail_stack));
  g_signal_connect_object (self->sign_in_page, "failed", G_CALLBACK (sign_in_failed_cb), self,
                           G_CONNECT_SWAPPED);

  /* the open orders, and today's finished ones beside them */
  orders = g_list_store_new (G_TYPE_LIST_MODEL);
  g_list_store_append (orders, dc_context_get_orders (context));
  g_list_store_append (orders, dc_finished_orders_get_store (
                                 dc_context_get_finished_orders (context)));
  all_orders = gtk_flatten_list_model_new (G_LIST_MODEL (g_steal_pointer (&orders)));
  dc_list_pane_set_model (self->orders_pane, G_LIST_MODEL (all_orders));
  dc_list_pane_set_model (self->drivers_pane, G_LIST_MODEL (dc_context_get_drivers (context)));

  g_settings_bind (settings, "window-width", self, "default-width", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "window-height", self, "default-height", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "window-maximized", self, "maximized", G_SETTINGS_BIND_DEFAULT);

  g_signal_connect_object (dc_context_get_client (context), "notify::authenticated",
                           G_CALLBACK (authenticated_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (dc_context_get_client (context), "session-expired",
                           G_CALLBACK (session_expired_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (stream, "notify::state", G_CALLBACK (connection_changed_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (dc_context_get_orders (context), "notify::n-items",
                           G_CALLBACK (update_counts), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (dc_context_get_drivers (context), "notify::n-items",
                           G_CALLBACK (update_counts), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (dc_context_get_scope (context), "notify::label",
                           G_CALLBACK (update_counts), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (alerts, "notify::unread", G_CALLBACK (unread_changed_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (alerts, "raised", G_CALLBACK (alert_raised_cb), self,
                           G_CONNECT_SWAPPED);
  gtk_list_box_bind_model (self->alerts_list, dc_alerts_get_model (alerts),
                           create_alert_row, NULL, NULL);

  g_signal_connect_object (self->leaflet, "notify::folded", G_CALLBACK (folded_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->orders_pane, "selection-changed",
                           G_CALLBACK (orders_selection_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->orders_pane, "filter-changed",
                           G_CALLBACK (orders_filter_changed_cb), self, G_CONNECT_SWAPPED);

  authenticated_cb (self);
  connection_changed_cb (self);
  folded_cb (self);
  update_counts (self);
  unread_changed_cb (self);

  dc_frame_stats_attach_from_env (GTK_WIDGET (self));
}

static void
dc_window_dispose (GObject *object)
{
  DcWindow *self = (DcWindow *)object;

  g_clear_handle_id (&self->stale_source, g_source_remove);
  g_clear_handle_id (&self->alert_toast_source, g_source_remove);
  g_clear_object (&self->last_alert);
  g_clear_weak_pointer (&self->undo_toast);
  gtk_widget_dispose_template (GTK_WIDGET (self), DC_TYPE_WINDOW);
  g_clear_object (&self->context);

  G_OBJECT_CLASS (dc_window_parent_class)->dispose (object);
}

static void
dc_window_set_property (GObject      *object,
                        guint         prop_id,
                        const GValue *value,
                        GParamSpec   *pspec)
{
  DcWindow *self = DC_WINDOW (object);

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
dc_window_class_init (DcWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = dc_window_constructed;
  object_class->dispose = dc_window_dispose;
  object_class->set_property = dc_window_set_property;

  properties[PROP_CONTEXT] =
    g_param_spec_object ("context", NULL, NULL, DC_TYPE_CONTEXT,
                         G_PARAM_WRITABLE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (DC_TYPE_LIST_PANE);
  g_type_ensure (DC_TYPE_ORDER_ROW);
  g_type_ensure (DC_TYPE_DRIVER_ROW);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/dispatchd/Console/dc-window.ui");
  gtk_widget_class_bind_template_child (widget_class, DcWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, DcWindow, main_stack);
  gtk_widget_class_bind_template_child (widget_class, DcWindow, sign_in_bin);
  gtk_widget_class_bind_template_child (widget_class, DcWindow, leaflet);
  gtk_widget_class_bind_template_child (widget_class, DcWindow, sidebar);
  gtk_widget_class_bind_template_child (widget_class, DcWindow, sidebar_stack);
  gtk_widget_class_bind_template_child (widget_class, DcWindow, orders_pane);
  gtk_widget_class_bind_template_child (widget_class, DcWindow, drivers_pane);
  gtk_widget_class_bind_template_child (widget_class, DcWindow, content);
  gtk_widget_class_bind_template_child (widget_class, DcWindow, status_label);
  gtk_widget_class_bind_template_child (widget_class, DcWindow, window_title);
  gtk_widget_class_bind_template_child (widget_class, DcWindow, alerts_button);
  gtk_widget_class_bind_template_child (widget_class, DcWindow, badge_label);
  gtk_widget_class_bind_template_child (widget_class, DcWindow, banner_revealer);
  gtk_widget_class_bind_template_child (widget_class, DcWindow, banner_label);
  gtk_widget_class_bind_template_child (widget_class, DcWindow, detail_flap);
  gtk_widget_class_bind_template_child (widget_class, DcWindow, map_bin);
  gtk_widget_class_bind_template_child (widget_class, DcWindow, detail_bin);
  gtk_widget_class_bind_template_child (widget_class, DcWindow, alerts_list);
  gtk_widget_class_bind_template_child (widget_class, DcWindow, bulk_revealer);
  gtk_widget_class_bind_template_child (widget_class, DcWindow, bulk_label);
  gtk_widget_class_bind_template_callback (widget_class, order_activated_cb);
  gtk_widget_class_bind_template_callback (widget_class, driver_activated_cb);
  gtk_widget_class_bind_template_callback (widget_class, back_cb);
  gtk_widget_class_bind_template_callback (widget_class, alert_activated_cb);
  gtk_widget_class_bind_template_callback (widget_class, alerts_shown_cb);
  gtk_widget_class_bind_template_callback (widget_class, clear_alerts_cb);

  gtk_widget_class_install_action (widget_class, "win.select-order", "s", select_order_action);
  gtk_widget_class_install_action (widget_class, "win.select-driver", "s",
                                   select_driver_action);
  gtk_widget_class_install_action (widget_class, "win.close-detail", NULL, close_detail_action);
  gtk_widget_class_install_action (widget_class, "win.show-page", "s", show_page_action);
  gtk_widget_class_install_action (widget_class, "win.search", NULL, search_action);
  gtk_widget_class_install_action (widget_class, "win.reconnect", NULL, reconnect_action);
  gtk_widget_class_install_action (widget_class, "win.show-alerts", NULL, show_alerts_action);
  gtk_widget_class_install_action (widget_class, "win.sign-out", NULL, sign_out_action);
  gtk_widget_class_install_action (widget_class, "win.next-order", NULL, next_order_action);
  gtk_widget_class_install_action (widget_class, "win.previous-order", NULL,
                                   previous_order_action);
  gtk_widget_class_install_action (widget_class, "win.assign-top-candidate", NULL,
                                   assign_top_candidate_action);
  gtk_widget_class_install_action (widget_class, "win.hold-current", NULL,
                                   hold_current_action);
  gtk_widget_class_install_action (widget_class, "win.cancel-current", NULL,
                                   cancel_current_action);
  gtk_widget_class_install_action (widget_class, "win.focus-map", NULL, focus_map_action);
  gtk_widget_class_install_action (widget_class, "win.new-order", NULL, new_order_action);
  gtk_widget_class_install_action (widget_class, "win.replay", NULL, replay_action);
  gtk_widget_class_install_action (widget_class, "win.edit-order", "s", edit_order_action);
  gtk_widget_class_install_action (widget_class, "win.show-reports", NULL, show_reports_action);
  dc_window_class_install_order_actions (widget_class);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_f, GDK_CONTROL_MASK,
                                       "win.search", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_1, GDK_CONTROL_MASK,
                                       "win.show-page", "s", "orders");
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_2, GDK_CONTROL_MASK,
                                       "win.show-page", "s", "drivers");
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0,
                                       "win.close-detail", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Down, GDK_ALT_MASK,
                                       "win.next-order", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Up, GDK_ALT_MASK,
                                       "win.previous-order", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Return, GDK_CONTROL_MASK,
                                       "win.assign-top-candidate", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_h, GDK_CONTROL_MASK,
                                       "win.hold-current", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Delete, GDK_CONTROL_MASK,
                                       "win.cancel-current", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_m, GDK_CONTROL_MASK,
                                       "win.focus-map", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_n, GDK_CONTROL_MASK,
                                       "win.new-order", NULL);
}

static void
dc_window_init (DcWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

DcWindow *
dc_window_new (GtkApplication *application,
               DcContext      *context)
{
  g_return_val_if_fail (GTK_IS_APPLICATION (application), NULL);
  g_return_val_if_fail (DC_IS_CONTEXT (context), NULL);

  return g_object_new (DC_TYPE_WINDOW, "application", application, "context", context, NULL);
}

DcContext *
dc_window_get_context (DcWindow *self)
{
  g_return_val_if_fail (DC_IS_WINDOW (self), NULL);

  return self->context;
}

void
dc_window_show_toast (DcWindow   *self,
                      const char *message)
{
  g_return_if_fail (DC_IS_WINDOW (self));

  dc_window_add_toast (self, adw_toast_new (message));
}

/* Toasts keep the normal priority: libadwaita 1.2 puts the toast a
 * high-priority one replaces back in its queue while it still fades out, and
 * shows it again with its old widget (an assertion, the console aborts) when
 * the new one goes within that moment, e.g. an Undo toast replaced by the
 * next assignment's. */
void
dc_window_add_toast (DcWindow *self,
                     AdwToast *toast)
{
  g_return_if_fail (DC_IS_WINDOW (self));
  g_return_if_fail (ADW_IS_TOAST (toast));

  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

void
dc_window_sign_in (DcWindow   *self,
                   const char *server_url,
                   const char *username,
                   const char *password)
{
  g_return_if_fail (DC_IS_WINDOW (self));

  dc_sign_in_page_fill (self->sign_in_page, server_url, username, password);
  if (password != NULL)
    gtk_widget_activate_action (GTK_WIDGET (self->sign_in_page), "sign-in.submit", NULL);
}

void
dc_window_select_order (DcWindow *self,
                        DcOrder  *order,
                        gboolean  pan)
{
  g_return_if_fail (DC_IS_WINDOW (self));

  dc_order_detail_set_order (self->detail, order);
  dc_map_view_set_selected_order (self->map_view, order);
  dc_list_pane_select (self->orders_pane, DC_ENTITY (order));
  if (order != NULL)
    gtk_stack_set_visible_child_name (self->detail_stack, "order");
  if (order != NULL || g_strcmp0 (gtk_stack_get_visible_child_name (self->detail_stack),
                                  "order") == 0)
    adw_flap_set_reveal_flap (self->detail_flap, order != NULL);

  if (order == NULL)
    return;

  dc_list_pane_select (self->drivers_pane, NULL);
  adw_leaflet_navigate (self->leaflet, ADW_NAVIGATION_DIRECTION_FORWARD);
  if (pan)
    dc_map_view_show_selection (self->map_view);
}

void
dc_window_select_driver (DcWindow *self,
                         DcDriver *driver,
                         gboolean  pan)
{
  g_return_if_fail (DC_IS_WINDOW (self));

  if (driver != NULL)
    dc_window_select_order (self, NULL, FALSE);

  dc_route_set_driver_id (dc_context_get_route (self->context),
                          driver != NULL ? dc_entity_get_id (DC_ENTITY (driver)) : NULL);
  dc_map_view_set_selected_driver (self->map_view, driver);
  dc_list_pane_select (self->drivers_pane, DC_ENTITY (driver));
  dc_driver_detail_set_driver (self->driver_detail, driver);
  if (driver != NULL)
    gtk_stack_set_visible_child_name (self->detail_stack, "driver");
  if (driver != NULL || g_strcmp0 (gtk_stack_get_visible_child_name (self->detail_stack),
                                   "driver") == 0)
    adw_flap_set_reveal_flap (self->detail_flap, driver != NULL);

  if (driver == NULL)
    return;

  adw_view_stack_set_visible_child_name (self->sidebar_stack, "drivers");
  if (pan)
    {
      adw_leaflet_navigate (self->leaflet, ADW_NAVIGATION_DIRECTION_FORWARD);
      dc_map_view_show_selection (self->map_view);
    }
}
