/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "dc-driver.h"
#include "dc-order.h"
#include "dc-window-private.h"

typedef struct
{
  DcWindow *window;
  char *success;
} ActionData;

static void
action_data_free (ActionData *data)
{
  g_clear_object (&data->window);
  g_clear_pointer (&data->success, g_free);
  g_free (data);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ActionData, action_data_free)

static const char *
order_label (DcWindow   *self,
             const char *order_id)
{
  DcEntity *order = dc_store_lookup (dc_context_get_orders (self->context), order_id);

  return order != NULL ? dc_order_get_short_id (DC_ORDER (order)) : order_id;
}

static void
action_done_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(ActionData) data = user_data;
  g_autoptr(JsonObject) order = NULL;
  g_autoptr(GError) error = NULL;
  DcStore *orders = dc_context_get_orders (data->window->context);
  DcEntity *entity;

  if (!(order = dc_client_request_finish (DC_CLIENT (object), result, &error)))
    {
      dc_window_show_toast (data->window, error->message);
      return;
    }

  /* The stream brings the same change a moment later; showing the answer
   * now makes the gesture feel immediate. */
  entity = dc_store_upsert (orders, order);
  if (entity != NULL &&
      dispatch_order_status_is_terminal (dc_order_get_status (DC_ORDER (entity))))
    dc_store_remove (orders, dc_entity_get_id (entity));

  dc_window_show_toast (data->window, data->success);
}

/* POSTs @body (or {}) to /api/v1/orders/ORDER/VERB and reports the outcome. */
static void
post_order_action (DcWindow   *self,
                   const char *order_id,
                   const char *verb,
                   JsonNode   *body,
                   char       *success)
{
  g_autoptr(JsonNode) empty = NULL;
  g_autofree char *escaped = g_uri_escape_string (order_id, NULL, FALSE);
  g_autofree char *path = g_strdup_printf ("/api/v1/orders/%s/%s", escaped, verb);
  ActionData *data = g_new0 (ActionData, 1);

  data->window = g_object_ref (self);
  data->success = success;

  if (body == NULL)
    body = empty = json_node_init_object (json_node_alloc (), json_object_new ());

  dc_client_request_async (dc_context_get_client (self->context), "POST", path, body, NULL,
                           action_done_cb, data);
}

static JsonNode *
object_with_string (const char *member,
                    const char *value)
{
  g_autoptr(JsonObject) object = json_object_new ();

  json_object_set_string_member (object, member, value);

  return json_node_init_object (json_node_alloc (), object);
}

static void
assign_order_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  DcWindow *self = DC_WINDOW (widget);
  g_autoptr(JsonNode) body = NULL;
  DcEntity *driver;
  const char *order_id, *driver_id, *name;

  g_variant_get (parameter, "(&s&s)", &order_id, &driver_id);
  driver = dc_store_lookup (dc_context_get_drivers (self->context), driver_id);
  name = driver != NULL ? dc_driver_get_name (DC_DRIVER (driver)) : driver_id;

  body = object_with_string ("driver_id", driver_id);
  post_order_action (self, order_id, "assign", body,
                     /* Translators: order id, driver name */
                     g_strdup_printf (_("Order %s assigned to %s"),
                                      order_label (self, order_id), name));
}

static void
unassign_order_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  DcWindow *self = DC_WINDOW (widget);
  const char *order_id = g_variant_get_string (parameter, NULL);

  post_order_action (self, order_id, "unassign", NULL,
                     /* Translators: %s is an order id */
                     g_strdup_printf (_("Order %s is waiting for a driver again"),
                                      order_label (self, order_id)));
}

static void
cancel_response_cb (AdwMessageDialog *dialog,
                    const char       *response,
                    DcWindow         *self)
{
  GtkEditable *reason = GTK_EDITABLE (adw_message_dialog_get_extra_child (dialog));
  const char *order_id = g_object_get_data (G_OBJECT (dialog), "order-id");
  g_autoptr(JsonNode) body = NULL;

  if (!g_str_equal (response, "cancel"))
    return;

  if (*gtk_editable_get_text (reason) != '\0')
    body = object_with_string ("reason", gtk_editable_get_text (reason));

  post_order_action (self, order_id, "cancel", body,
                     /* Translators: %s is an order id */
                     g_strdup_printf (_("Order %s cancelled"), order_label (self, order_id)));
}

static void
cancel_order_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  DcWindow *self = DC_WINDOW (widget);
  const char *order_id = g_variant_get_string (parameter, NULL);
  GtkWidget *dialog;
  GtkWidget *reason;

  dialog = adw_message_dialog_new (GTK_WINDOW (self), NULL,
                                   _("The customer is told that the order was cancelled."));
  /* Translators: %s is an order id */
  adw_message_dialog_format_heading (ADW_MESSAGE_DIALOG (dialog), _("Cancel Order %s?"),
                                     order_label (self, order_id));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "keep", _("_Keep Order"),
                                    "cancel", _("_Cancel Order"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "cancel",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "keep");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "keep");

  reason = gtk_entry_new ();
  gtk_entry_set_placeholder_text (GTK_ENTRY (reason), _("Reason (optional)"));
  gtk_entry_set_activates_default (GTK_ENTRY (reason), TRUE);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), reason);

  g_object_set_data_full (G_OBJECT (dialog), "order-id", g_strdup (order_id), g_free);
  g_signal_connect_object (dialog, "response", G_CALLBACK (cancel_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

void
dc_window_class_install_order_actions (GtkWidgetClass *widget_class)
{
  gtk_widget_class_install_action (widget_class, "win.assign-order", "(ss)",
                                   assign_order_action);
  gtk_widget_class_install_action (widget_class, "win.unassign-order", "s",
                                   unassign_order_action);
  gtk_widget_class_install_action (widget_class, "win.cancel-order", "s",
                                   cancel_order_action);
}
