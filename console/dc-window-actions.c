/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "dc-candidates.h"
#include "dc-driver.h"
#include "dc-format.h"
#include "dc-order.h"
#include "dc-window-private.h"

typedef struct
{
  DcWindow *window;
  char *success;
  /* the order and the driver it had before an assignment, for its Undo
   * ("" for none); NULL for actions without one */
  char *undo_order_id;
  char *undo_driver_id;
} ActionData;

static void
action_data_free (ActionData *data)
{
  g_clear_object (&data->window);
  g_clear_pointer (&data->success, g_free);
  g_clear_pointer (&data->undo_order_id, g_free);
  g_clear_pointer (&data->undo_driver_id, g_free);
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

  AdwToast *toast;

  if (!(order = dc_client_request_finish (DC_CLIENT (object), result, &error)))
    {
      g_autofree char *text = NULL;

      g_debug ("Order action failed: %s", error->message);
      /* Translators: what failed, why; e.g. "Not assigned: the driver is offline" */
      text = g_strdup_printf (_("Not done: %s"), dc_format_error (error));
      dc_window_show_toast (data->window, text);
      return;
    }

  /* The stream brings the same change a moment later; showing the answer
   * now makes the gesture feel immediate. */
  entity = dc_store_upsert (orders, order);
  if (entity != NULL &&
      dispatch_order_status_is_terminal (dc_order_get_status (DC_ORDER (entity))))
    dc_store_remove (orders, dc_entity_get_id (entity));

  toast = adw_toast_new (data->success);
  if (data->undo_order_id != NULL)
    {
      adw_toast_set_button_label (toast, _("_Undo"));
      adw_toast_set_action_name (toast, "win.undo-assignment");
      adw_toast_set_action_target_value (toast, g_variant_new ("(ss)", data->undo_order_id,
                                                               data->undo_driver_id));
      adw_toast_set_priority (toast, ADW_TOAST_PRIORITY_HIGH);
      if (data->window->undo_toast != NULL)
        adw_toast_dismiss (data->window->undo_toast);
      g_set_weak_pointer (&data->window->undo_toast, toast);
    }
  dc_window_add_toast (data->window, toast);
}

/* POSTs @body (or {}) to /api/v1/orders/ORDER/VERB and reports the outcome;
 * takes @data, whose window and success text are set. */
static void
post_order_action (DcWindow   *self,
                   const char *order_id,
                   const char *verb,
                   JsonNode   *body,
                   ActionData *data)
{
  g_autoptr(JsonNode) empty = NULL;
  g_autofree char *escaped = g_uri_escape_string (order_id, NULL, FALSE);
  g_autofree char *path = g_strdup_printf ("/api/v1/orders/%s/%s", escaped, verb);

  if (body == NULL)
    body = empty = json_node_init_object (json_node_alloc (), json_object_new ());

  dc_client_request_async (dc_context_get_client (self->context), "POST", path, body, NULL,
                           action_done_cb, data);
}

static ActionData *
action_data_new (DcWindow *self,
                 char     *success)
{
  ActionData *data = g_new0 (ActionData, 1);

  data->window = g_object_ref (self);
  data->success = success;

  return data;
}

static JsonNode *
object_with_string (const char *member,
                    const char *value)
{
  g_autoptr(JsonObject) object = json_object_new ();

  json_object_set_string_member (object, member, value);

  return json_node_init_object (json_node_alloc (), object);
}

static const char *
driver_label (DcWindow   *self,
              const char *driver_id)
{
  DcEntity *driver = dc_store_lookup (dc_context_get_drivers (self->context), driver_id);

  return driver != NULL ? dc_driver_get_name (DC_DRIVER (driver)) : driver_id;
}

/* Assigns without asking; the toast's Undo gives the order back to
 * @previous_driver_id, or back to waiting with "". */
static void
assign (DcWindow   *self,
        const char *order_id,
        const char *driver_id,
        const char *previous_driver_id)
{
  g_autoptr(JsonNode) body = object_with_string ("driver_id", driver_id);
  ActionData *data;

  data = action_data_new (self,
                          /* Translators: order id, driver name */
                          g_strdup_printf (_("Order %s assigned to %s"),
                                           order_label (self, order_id),
                                           driver_label (self, driver_id)));
  if (previous_driver_id != NULL)
    {
      data->undo_order_id = g_strdup (order_id);
      data->undo_driver_id = g_strdup (previous_driver_id);
    }
  post_order_action (self, order_id, "assign", body, data);
}

/* Back to waiting; the toast's Undo gives the order back to
 * @previous_driver_id, if any. */
static void
unassign (DcWindow   *self,
          const char *order_id,
          const char *previous_driver_id)
{
  ActionData *data;

  data = action_data_new (self,
                          /* Translators: %s is an order id */
                          g_strdup_printf (_("Order %s is waiting for a driver again"),
                                           order_label (self, order_id)));
  if (previous_driver_id != NULL)
    {
      data->undo_order_id = g_strdup (order_id);
      data->undo_driver_id = g_strdup (previous_driver_id);
    }
  post_order_action (self, order_id, "unassign", NULL, data);
}

static void
confirm_assign_cb (AdwMessageDialog *dialog,
                   const char       *response,
                   DcWindow         *self)
{
  if (g_str_equal (response, "assign"))
    assign (self, g_object_get_data (G_OBJECT (dialog), "order-id"),
            g_object_get_data (G_OBJECT (dialog), "driver-id"),
            g_object_get_data (G_OBJECT (dialog), "previous-driver-id"));
}

/* People win, after confirming: an assignment beyond the driver's capacity
 * or the sane pickup distance asks first. */
static void
assign_order_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  DcWindow *self = DC_WINDOW (widget);
  const char *order_id, *driver_id, *previous;
  g_autofree char *body = NULL;
  g_autofree char *distance = NULL;
  DcCandidate measured = { 0 };
  DcEntity *order, *driver;
  GtkWidget *dialog;

  g_variant_get (parameter, "(&s&s)", &order_id, &driver_id);
  order = dc_store_lookup (dc_context_get_orders (self->context), order_id);
  driver = dc_store_lookup (dc_context_get_drivers (self->context), driver_id);
  previous = order != NULL ? dc_order_get_driver_id (DC_ORDER (order)) ?: "" : NULL;

  if (order == NULL || driver == NULL ||
      !dc_candidate_measure (DC_DRIVER (driver), DC_ORDER (order),
                             dc_context_get_max_pickup_m (self->context), &measured) ||
      measured.tier == DC_CANDIDATE_FREE)
    {
      assign (self, order_id, driver_id, previous);
      return;
    }

  distance = dc_format_distance (measured.distance_m,
                                 g_settings_get_enum (dc_context_get_settings (self->context),
                                                      "units"));
  if (measured.tier == DC_CANDIDATE_FAR)
    /* Translators: driver name, distance */
    body = g_strdup_printf (_("%s is %s from the pickup, farther than a sensible pickup."),
                            driver_label (self, driver_id), distance);
  else
    /* Translators: driver name, orders held, capacity */
    body = g_strdup_printf (_("%s already holds %d of %d orders; this one goes beyond "
                              "the vehicle's capacity."),
                            driver_label (self, driver_id),
                            dc_driver_get_load (DC_DRIVER (driver)),
                            dc_driver_get_capacity (DC_DRIVER (driver)));

  dialog = adw_message_dialog_new (GTK_WINDOW (self), NULL, body);
  /* Translators: %s is an order id */
  adw_message_dialog_format_heading (ADW_MESSAGE_DIALOG (dialog), _("Assign Order %s Anyway?"),
                                     order_label (self, order_id));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "keep", _("_Do Not Assign"),
                                    "assign", _("_Assign Anyway"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "assign",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "keep");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "keep");
  g_object_set_data_full (G_OBJECT (dialog), "order-id", g_strdup (order_id), g_free);
  g_object_set_data_full (G_OBJECT (dialog), "driver-id", g_strdup (driver_id), g_free);
  g_object_set_data_full (G_OBJECT (dialog), "previous-driver-id", g_strdup (previous), g_free);
  g_signal_connect_object (dialog, "response", G_CALLBACK (confirm_assign_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* Gives the order back to the driver it had before, or back to waiting. */
static void
undo_assignment_action (GtkWidget  *widget,
                        const char *action_name,
                        GVariant   *parameter)
{
  DcWindow *self = DC_WINDOW (widget);
  const char *order_id, *driver_id;

  g_variant_get (parameter, "(&s&s)", &order_id, &driver_id);
  if (*driver_id != '\0')
    assign (self, order_id, driver_id, NULL);
  else
    unassign (self, order_id, NULL);
}

static void
unassign_order_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  DcWindow *self = DC_WINDOW (widget);
  const char *order_id = g_variant_get_string (parameter, NULL);
  DcEntity *order = dc_store_lookup (dc_context_get_orders (self->context), order_id);

  unassign (self, order_id, order != NULL ? dc_order_get_driver_id (DC_ORDER (order)) : NULL);
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
                     action_data_new (self, g_strdup_printf (_("Order %s cancelled"),
                                                             order_label (self, order_id))));
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

static void
hold_order_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  DcWindow *self = DC_WINDOW (widget);
  g_autoptr(JsonObject) object = json_object_new ();
  g_autoptr(JsonNode) body = NULL;
  const char *order_id;
  gboolean hold;

  g_variant_get (parameter, "(&sb)", &order_id, &hold);
  json_object_set_boolean_member (object, "hold", hold);
  body = json_node_init_object (json_node_alloc (), object);
  post_order_action (self, order_id, "hold", body,
                     action_data_new (self, hold
                                      /* Translators: %s is an order id */
                                      ? g_strdup_printf (_("Order %s held: automation leaves "
                                                           "it to you"),
                                                         order_label (self, order_id))
                                      /* Translators: %s is an order id */
                                      : g_strdup_printf (_("Order %s released to automation"),
                                                         order_label (self, order_id))));
}

/* "Not this driver": automation never gives the order to the driver. */
static void
exclude_driver_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  DcWindow *self = DC_WINDOW (widget);
  g_autoptr(JsonNode) body = NULL;
  const char *order_id, *driver_id;

  g_variant_get (parameter, "(&s&s)", &order_id, &driver_id);
  body = object_with_string ("driver_id", driver_id);
  post_order_action (self, order_id, "exclude", body,
                     /* Translators: order id, driver name */
                     action_data_new (self, g_strdup_printf (_("Automation will not give order "
                                                               "%s to %s"),
                                                             order_label (self, order_id),
                                                             driver_label (self, driver_id))));
}

static const char * const order_actions[] = {
  "win.assign-order",
  "win.hold-order",
  "win.exclude-driver",
  "win.undo-assignment",
  "win.unassign-order",
  "win.cancel-order",
};

void
dc_window_set_order_actions_enabled (DcWindow *self,
                                     gboolean  enabled)
{
  for (guint i = 0; i < G_N_ELEMENTS (order_actions); i++)
    gtk_widget_action_set_enabled (GTK_WIDGET (self), order_actions[i], enabled);
}

void
dc_window_class_install_order_actions (GtkWidgetClass *widget_class)
{
  gtk_widget_class_install_action (widget_class, "win.assign-order", "(ss)",
                                   assign_order_action);
  gtk_widget_class_install_action (widget_class, "win.hold-order", "(sb)", hold_order_action);
  gtk_widget_class_install_action (widget_class, "win.exclude-driver", "(ss)",
                                   exclude_driver_action);
  gtk_widget_class_install_action (widget_class, "win.undo-assignment", "(ss)",
                                   undo_assignment_action);
  gtk_widget_class_install_action (widget_class, "win.unassign-order", "s",
                                   unassign_order_action);
  gtk_widget_class_install_action (widget_class, "win.cancel-order", "s",
                                   cancel_order_action);
}
