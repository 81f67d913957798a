/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "dc-driver-detail.h"
#include "dc-format.h"
#include "dc-json.h"
#include "dc-order.h"
#include "dc-template.h"

#define ORDERS_SHOWN 20

struct _DcDriverDetail
{
  GtkWidget parent_instance;

  DcContext *context;
  DcDriver *driver;
  GSignalGroup *driver_signals;
  GCancellable *orders_cancellable;
  /* the switch follows the driver: not a dispatcher's toggle */
  gboolean updating;

  /* template */
  GtkLabel *title_label;
  GtkLabel *subtitle_label;
  AdwActionRow *state_row;
  AdwActionRow *load_row;
  AdwActionRow *vehicle_load_row;
  GtkSwitch *auto_switch;
  GtkListBox *route_list;
  GtkListBox *orders_list;
};

G_DEFINE_FINAL_TYPE (DcDriverDetail, dc_driver_detail, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_CONTEXT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* The age of the last position: ticks with the context's clock. */
static void
update_age (DcDriverDetail *self)
{
  g_autofree char *age = NULL;
  g_autofree char *subtitle = NULL;

  if (self->driver == NULL)
    return;

  age = dc_format_age (dc_driver_get_recorded_at (self->driver), g_get_real_time ());
  /* Translators: e.g. "Last position 12 seconds ago" */
  subtitle = g_strdup_printf (_("Last position %s"), age);
  adw_action_row_set_subtitle (self->state_row, subtitle);
}

static void
update (DcDriverDetail *self)
{
  DcDriver *driver = self->driver;
  g_autofree char *subtitle = NULL;
  g_autofree char *load = NULL;
  g_autofree char *weights = NULL;
  double max_weight_kg, max_volume_l, weight_kg, volume_l;
  gboolean limited;

  if (driver == NULL)
    return;

  gtk_label_set_label (self->title_label, dc_driver_get_name (driver) ?: _("Unnamed driver"));
  if (dc_driver_get_phone (driver) != NULL)
    /* Translators: vehicle · phone, e.g. "Scooter · +49 30 1234567" */
    subtitle = g_strdup_printf (_("%s · %s"), dc_format_vehicle (dc_driver_get_vehicle (driver)),
                                dc_driver_get_phone (driver));
  else
    subtitle = g_strdup (dc_format_vehicle (dc_driver_get_vehicle (driver)));
  gtk_label_set_label (self->subtitle_label, subtitle);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->state_row),
                                 dc_format_driver_state (dc_driver_get_state (driver)));
  /* Translators: orders held / capacity, e.g. "1 of 3" */
  load = g_strdup_printf (_("%d of %d"), dc_driver_get_load (driver),
                          dc_driver_get_capacity (driver));
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->load_row), load);
  limited = dc_driver_get_limits (driver, &max_weight_kg, &max_volume_l, &weight_kg, &volume_l);
  weights = dc_format_load (weight_kg, volume_l, max_weight_kg, max_volume_l);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->vehicle_load_row), weights);
  gtk_widget_set_visible (GTK_WIDGET (self->vehicle_load_row), limited);
  if ((max_weight_kg > 0 && weight_kg > max_weight_kg) ||
      (max_volume_l > 0 && volume_l > max_volume_l))
    gtk_widget_add_css_class (GTK_WIDGET (self->vehicle_load_row), "warning");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->vehicle_load_row), "warning");

  self->updating = TRUE;
  gtk_switch_set_active (self->auto_switch, dc_driver_get_auto_dispatch (driver));
  self->updating = FALSE;
  update_age (self);
}

static GtkWidget *
order_row (JsonObject *order)
{
  const char *id = dc_json_string (order, "id");
  JsonObject *pickup = dc_json_object (order, "pickup");
  g_autofree char *short_id = dc_order_format_short_id (id);
  g_autofree char *title = NULL;
  DispatchOrderStatus status = DISPATCH_ORDER_PENDING;
  GtkWidget *row = adw_action_row_new ();

  dispatch_order_status_from_string (dc_json_string (order, "status"), &status);
  /* Translators: short order id · status, e.g. "3f2a9c1d · Delivered" */
  title = g_strdup_printf (_("%s · %s"), short_id, dc_format_order_status (status));
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row),
                               pickup != NULL ? dc_json_string (pickup, "address") ?: "" : "");
  adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 1);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row),
                                    !dispatch_order_status_is_terminal (status));
  g_object_set_data_full (G_OBJECT (row), "order-id", g_strdup (id), g_free);

  return row;
}

/* "2  Drop off 3f2a9c1d", "Torstraße 5 · ETA 14:20 · by 14:30"; a stop
 * whose ETA is past its window's end is marked. */
static GtkWidget *
stop_row (const DcRouteStop *stop,
          guint              number)
{
  g_autofree char *short_id = dc_order_format_short_id (stop->order_id);
  g_autofree char *title = NULL;
  g_autofree char *digits = g_strdup_printf ("%u", number);
  gint64 now = g_get_real_time ();
  g_autoptr(GPtrArray) parts = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *subtitle = NULL;
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *badge = gtk_label_new (digits);

  if (stop->kind == DC_STOP_PICKUP)
    /* Translators: a stop of a driver's route; %s is a short order id */
    title = g_strdup_printf (_("Pick up %s"), short_id);
  else
    /* Translators: a stop of a driver's route; %s is a short order id */
    title = g_strdup_printf (_("Drop off %s"), short_id);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);

  if (stop->address != NULL)
    g_ptr_array_add (parts, g_strdup (stop->address));
  if (stop->eta != 0)
    {
      g_autofree char *eta = dc_format_time_of_day (stop->eta, now);

      /* Translators: when the driver is expected at a stop, e.g. "ETA 14:20" */
      g_ptr_array_add (parts, g_strdup_printf (_("ETA %s"), eta));
    }
  if (stop->kind == DC_STOP_PICKUP && stop->ready_at != 0)
    {
      g_autofree char *ready = dc_format_time_of_day (stop->ready_at, now);

      /* Translators: when a pickup is ready, e.g. "ready 14:05" */
      g_ptr_array_add (parts, g_strdup_printf (_("ready %s"), ready));
    }
  if (stop->kind == DC_STOP_DROPOFF && stop->deliver_before != 0)
    g_ptr_array_add (parts, dc_format_window (0, stop->deliver_before, now));
  g_ptr_array_add (parts, NULL);
  subtitle = g_strjoinv (" · ", (char **) parts->pdata);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);

  gtk_widget_add_css_class (badge, "stop-number");
  gtk_widget_add_css_class (badge, stop->kind == DC_STOP_PICKUP ? "pickup" : "dropoff");
  gtk_widget_set_valign (badge, GTK_ALIGN_CENTER);
  adw_action_row_add_prefix (ADW_ACTION_ROW (row), badge);
  if (stop->eta != 0 && stop->deliver_before != 0 && stop->eta > stop->deliver_before)
    gtk_widget_add_css_class (row, "warning");
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
  g_object_set_data_full (G_OBJECT (row), "order-id", g_strdup (stop->order_id), g_free);

  return row;
}

/* The driver's stops from the context's route, when it is this driver's. */
static void
update_route (DcDriverDetail *self)
{
  DcRoute *route = dc_context_get_route (self->context);
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->route_list))))
    gtk_list_box_remove (self->route_list, child);

  if (self->driver == NULL ||
      g_strcmp0 (dc_route_get_driver_id (route), dc_entity_get_id (DC_ENTITY (self->driver))))
    return;

  for (guint i = 0; i < dc_route_get_n_stops (route); i++)
    gtk_list_box_append (self->route_list, stop_row (dc_route_get_stop (route, i), i + 1));
}

static int
open_first (gconstpointer a,
            gconstpointer b)
{
  DispatchOrderStatus status_a = DISPATCH_ORDER_PENDING, status_b = DISPATCH_ORDER_PENDING;

  dispatch_order_status_from_string (dc_json_string (*(JsonObject **) a, "status"), &status_a);
  dispatch_order_status_from_string (dc_json_string (*(JsonObject **) b, "status"), &status_b);

  return dispatch_order_status_is_terminal (status_a) -
         dispatch_order_status_is_terminal (status_b);
}

static void
orders_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(DcDriverDetail) self = user_data;
  g_autoptr(JsonObject) response = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) orders = g_ptr_array_new ();
  JsonArray *array;
  GtkWidget *child;

  response = dc_client_request_finish (DC_CLIENT (object), result, &error);
  if (response == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("No orders of the driver: %s", error->message);
      return;
    }

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->orders_list))))
    gtk_list_box_remove (self->orders_list, child);

  array = dc_json_array (response, "orders");
  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    if (JSON_NODE_HOLDS_OBJECT (json_array_get_element (array, i)))
      g_ptr_array_add (orders, json_array_get_object_element (array, i));
  /* stable: the server's order inside each group */
  g_ptr_array_sort (orders, open_first);
  for (guint i = 0; i < orders->len; i++)
    gtk_list_box_append (self->orders_list, order_row (g_ptr_array_index (orders, i)));
}

static void
load_orders (DcDriverDetail *self)
{
  g_autofree char *escaped = NULL;
  g_autofree char *path = NULL;

  g_cancellable_cancel (self->orders_cancellable);
  g_clear_object (&self->orders_cancellable);
  if (self->driver == NULL)
    return;

  self->orders_cancellable = g_cancellable_new ();
  escaped = g_uri_escape_string (dc_entity_get_id (DC_ENTITY (self->driver)), NULL, FALSE);
  path = g_strdup_printf ("/api/v1/orders?driver_id=%s&limit=%d", escaped, ORDERS_SHOWN);
  dc_client_request_async (dc_context_get_client (self->context), "GET", path, NULL,
                           self->orders_cancellable, orders_cb, g_object_ref (self));
}

static void
driver_changed_cb (DcDriverDetail *self,
                   GParamSpec     *pspec)
{
  update (self);
  if (g_strcmp0 (pspec->name, "load") == 0)
    load_orders (self);
}

static void
auto_toggled_cb (DcDriverDetail *self)
{
  if (self->updating || self->driver == NULL)
    return;

  gtk_widget_activate_action (GTK_WIDGET (self), "win.set-auto-dispatch", "(sb)",
                              dc_entity_get_id (DC_ENTITY (self->driver)),
                              gtk_switch_get_active (self->auto_switch));
}

static void
order_activated_cb (DcDriverDetail *self,
                    GtkListBoxRow  *row)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "win.select-order", "s",
                              g_object_get_data (G_OBJECT (row), "order-id"));
}

/* Offline the switch cannot work: its action is disabled, so is it. */
static void
connection_changed_cb (DcDriverDetail *self)
{
  gtk_widget_set_sensitive (GTK_WIDGET (self->auto_switch),
                            dc_stream_get_state (dc_context_get_stream (self->context)) ==
                            DC_CONNECTION_LIVE);
}

static void
dc_driver_detail_constructed (GObject *object)
{
  DcDriverDetail *self = DC_DRIVER_DETAIL (object);

  G_OBJECT_CLASS (dc_driver_detail_parent_class)->constructed (object);

  g_signal_connect_object (dc_context_get_stream (self->context), "notify::state",
                           G_CALLBACK (connection_changed_cb), self, G_CONNECT_SWAPPED);
  connection_changed_cb (self);

  g_signal_connect_object (dc_context_get_clock (self->context), "tick",
                           G_CALLBACK (update_age), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (dc_context_get_route (self->context), "changed",
                           G_CALLBACK (update_route), self, G_CONNECT_SWAPPED);
}

static void
dc_driver_detail_dispose (GObject *object)
{
  DcDriverDetail *self = (DcDriverDetail *)object;

  g_cancellable_cancel (self->orders_cancellable);
  g_clear_object (&self->orders_cancellable);
  g_clear_object (&self->driver_signals);
  g_clear_object (&self->driver);
  dc_template_dispose (GTK_WIDGET (self), DC_TYPE_DRIVER_DETAIL);
  g_clear_object (&self->context);

  G_OBJECT_CLASS (dc_driver_detail_parent_class)->dispose (object);
}

static void
dc_driver_detail_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  DcDriverDetail *self = DC_DRIVER_DETAIL (object);

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
dc_driver_detail_class_init (DcDriverDetailClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = dc_driver_detail_constructed;
  object_class->dispose = dc_driver_detail_dispose;
  object_class->set_property = dc_driver_detail_set_property;

  properties[PROP_CONTEXT] =
    g_param_spec_object ("context", NULL, NULL, DC_TYPE_CONTEXT,
                         G_PARAM_WRITABLE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/dispatchd/Console/dc-driver-detail.ui");
  gtk_widget_class_bind_template_child (widget_class, DcDriverDetail, title_label);
  gtk_widget_class_bind_template_child (widget_class, DcDriverDetail, subtitle_label);
  gtk_widget_class_bind_template_child (widget_class, DcDriverDetail, state_row);
  gtk_widget_class_bind_template_child (widget_class, DcDriverDetail, load_row);
  gtk_widget_class_bind_template_child (widget_class, DcDriverDetail, vehicle_load_row);
  gtk_widget_class_bind_template_child (widget_class, DcDriverDetail, auto_switch);
  gtk_widget_class_bind_template_child (widget_class, DcDriverDetail, route_list);
  gtk_widget_class_bind_template_child (widget_class, DcDriverDetail, orders_list);
  gtk_widget_class_bind_template_callback (widget_class, auto_toggled_cb);
  gtk_widget_class_bind_template_callback (widget_class, order_activated_cb);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "dc-driver-detail");
}

static void
dc_driver_detail_init (DcDriverDetail *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->driver_signals = g_signal_group_new (DC_TYPE_DRIVER);
  g_signal_group_connect_swapped (self->driver_signals, "notify",
                                  G_CALLBACK (driver_changed_cb), self);
}

DcDriverDetail *
dc_driver_detail_new (DcContext *context)
{
  g_return_val_if_fail (DC_IS_CONTEXT (context), NULL);

  return g_object_new (DC_TYPE_DRIVER_DETAIL, "context", context, NULL);
}

void
dc_driver_detail_set_driver (DcDriverDetail *self,
                             DcDriver       *driver)
{
  g_return_if_fail (DC_IS_DRIVER_DETAIL (self));
  g_return_if_fail (driver == NULL || DC_IS_DRIVER (driver));

  if (!g_set_object (&self->driver, driver))
    return;

  g_signal_group_set_target (self->driver_signals, driver);
  update (self);
  update_route (self);
  load_orders (self);
}
