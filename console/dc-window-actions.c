/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "dc-candidates.h"
#include "dc-driver.h"
#include "dc-format.h"
#include "dc-json.h"
#include "dc-order.h"
#include "dc-window-private.h"

/* What a gesture did, for its toast when it acted on several orders. */
typedef enum {
  VERB_ASSIGNED,
  VERB_UNASSIGNED,
  VERB_CANCELLED,
  VERB_HELD,
  VERB_OTHER,
} Verb;

/* One gesture: one or several requests, then one toast. */
typedef struct
{
  DcWindow *window;
  Verb verb;
  /* the toast when one order was acted on */
  char *success;
  guint pending;
  guint done;
  GError *error;
  /* what the server warned about an assignment beyond the driver's limits */
  char *warning;
  /* what Undo puts back, "a(ss)": an order and the driver it had before (""
   * for none); NULL for gestures without Undo */
  GVariantBuilder *undo;
} Batch;

typedef struct
{
  Batch *batch;
  char *order_id;
  /* the driver the order had before, for Undo ("" for none) */
  char *previous_driver_id;
} Request;

static Batch *
batch_new (DcWindow *self,
           Verb      verb,
           char     *success,
           gboolean  undoable)
{
  Batch *batch = g_new0 (Batch, 1);

  batch->window = g_object_ref (self);
  batch->verb = verb;
  batch->success = success;
  if (undoable)
    batch->undo = g_variant_builder_new (G_VARIANT_TYPE ("a(ss)"));

  return batch;
}

static void
batch_free (Batch *batch)
{
  g_clear_object (&batch->window);
  g_clear_pointer (&batch->success, g_free);
  g_clear_error (&batch->error);
  g_clear_pointer (&batch->warning, g_free);
  g_clear_pointer (&batch->undo, g_variant_builder_unref);
  g_free (batch);
}

static const char *
order_label (DcWindow   *self,
             const char *order_id)
{
  DcEntity *order = dc_store_lookup (dc_context_get_orders (self->context), order_id);

  return order != NULL ? dc_order_get_short_id (DC_ORDER (order)) : order_id;
}

static const char *
driver_label (DcWindow   *self,
              const char *driver_id)
{
  DcEntity *driver = dc_store_lookup (dc_context_get_drivers (self->context), driver_id);

  return driver != NULL ? dc_driver_get_name (DC_DRIVER (driver)) : driver_id;
}

static char *
count_text (Verb  verb,
            guint n)
{
  switch (verb)
    {
    case VERB_ASSIGNED:
      return g_strdup_printf (ngettext ("%u order assigned", "%u orders assigned", n), n);
    case VERB_UNASSIGNED:
      return g_strdup_printf (ngettext ("%u order waiting for a driver again",
                                        "%u orders waiting for a driver again", n), n);
    case VERB_CANCELLED:
      return g_strdup_printf (ngettext ("%u order cancelled", "%u orders cancelled", n), n);
    case VERB_HELD:
      return g_strdup_printf (ngettext ("%u order held", "%u orders held", n), n);
    case VERB_OTHER:
    default:
      return g_strdup_printf (ngettext ("%u order done", "%u orders done", n), n);
    }
}

/* The server's AssignWarning codes, for people; unknown ones as it says. */
static char *
warnings_text (JsonArray *warnings)
{
  g_autoptr(GPtrArray) parts = g_ptr_array_new ();

  for (guint i = 0; i < json_array_get_length (warnings); i++)
    {
      JsonNode *node = json_array_get_element (warnings, i);
      JsonObject *warning = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
      const char *code = warning != NULL ? dc_json_string (warning, "code") : NULL;

      if (g_strcmp0 (code, "over_capacity") == 0)
        g_ptr_array_add (parts, (gpointer) _("more orders than the vehicle's capacity"));
      else if (g_strcmp0 (code, "over_weight") == 0)
        g_ptr_array_add (parts, (gpointer) _("over the vehicle's weight limit"));
      else if (g_strcmp0 (code, "over_volume") == 0)
        g_ptr_array_add (parts, (gpointer) _("over the vehicle's volume limit"));
      else if (warning != NULL && dc_json_string (warning, "message") != NULL)
        g_ptr_array_add (parts, (gpointer) dc_json_string (warning, "message"));
    }
  if (parts->len == 0)
    return NULL;

  g_ptr_array_add (parts, NULL);
  /* Translators: the separator between warnings */
  return g_strjoinv (_(", "), (char **) parts->pdata);
}

static void
show_batch_toast (Batch *batch)
{
  g_autofree char *text = NULL;
  AdwToast *toast;

  if (batch->done == 0)
    /* Translators: why it failed; e.g. "Not done: the driver is offline" */
    text = g_strdup_printf (_("Not done: %s"), dc_format_error (batch->error));
  else if (batch->error != NULL)
    {
      g_autofree char *count = count_text (batch->verb, batch->done);

      /* Translators: "3 orders assigned", and why the others were not */
      text = g_strdup_printf (_("%s; the others not: %s"), count,
                              dc_format_error (batch->error));
    }
  else if (batch->done == 1 && batch->success != NULL)
    text = g_strdup (batch->success);
  else
    text = count_text (batch->verb, batch->done);
  if (batch->warning != NULL)
    {
      g_autofree char *plain = g_steal_pointer (&text);

      /* Translators: what was done, and the limits it goes beyond, e.g.
       * "Order 1A2B assigned to Anna — warning: over the vehicle's weight limit" */
      text = g_strdup_printf (_("%s — warning: %s"), plain, batch->warning);
    }

  toast = adw_toast_new (text);
  if (batch->undo != NULL && batch->done > 0)
    {
      adw_toast_set_button_label (toast, _("_Undo"));
      adw_toast_set_action_name (toast, "win.undo-assignment");
      adw_toast_set_action_target_value (toast, g_variant_builder_end (batch->undo));
      if (batch->window->undo_toast != NULL)
        adw_toast_dismiss (batch->window->undo_toast);
      g_set_weak_pointer (&batch->window->undo_toast, toast);
    }
  dc_window_add_toast (batch->window, toast);
}

static void
action_done_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  Request *request = user_data;
  Batch *batch = request->batch;
  g_autoptr(JsonObject) order = NULL;
  g_autoptr(GError) error = NULL;
  DcContext *context = batch->window->context;
  DcStore *orders = dc_context_get_orders (context);

  if ((order = dc_client_request_finish (DC_CLIENT (object), result, &error)) != NULL)
    {
      /* The stream brings the same change a moment later; showing the
       * answer now makes the gesture feel immediate. A finished order moves
       * from the open ones to today's finished ones in one step. */
      if (dc_finished_orders_add (dc_context_get_finished_orders (context), order))
        dc_store_remove (orders, dc_json_string (order, "id"));
      else
        dc_store_update (orders, order);
      batch->done++;
      if (batch->warning == NULL && dc_json_array (order, "warnings") != NULL)
        batch->warning = warnings_text (dc_json_array (order, "warnings"));
      if (batch->undo != NULL && request->previous_driver_id != NULL)
        g_variant_builder_add (batch->undo, "(ss)", request->order_id,
                               request->previous_driver_id);
    }
  else
    {
      g_debug ("Order action failed: %s", error->message);
      if (batch->error == NULL)
        batch->error = g_steal_pointer (&error);
    }

  g_free (request->order_id);
  g_free (request->previous_driver_id);
  g_free (request);

  if (--batch->pending == 0)
    {
      show_batch_toast (batch);
      batch_free (batch);
    }
}

/* POSTs @body (or {}) to /api/v1/orders/ORDER/VERB as part of @batch; its
 * Undo, if it has one, gives the order back to @previous_driver_id. */
static void
post_order_action (Batch      *batch,
                   const char *order_id,
                   const char *verb,
                   JsonNode   *body,
                   const char *previous_driver_id)
{
  g_autoptr(JsonNode) empty = NULL;
  g_autofree char *escaped = g_uri_escape_string (order_id, NULL, FALSE);
  g_autofree char *path = g_strdup_printf ("/api/v1/orders/%s/%s", escaped, verb);
  Request *request = g_new0 (Request, 1);

  request->batch = batch;
  request->order_id = g_strdup (order_id);
  request->previous_driver_id = g_strdup (previous_driver_id);
  batch->pending++;

  if (body == NULL)
    body = empty = json_node_init_object (json_node_alloc (), json_object_new ());

  dc_client_request_async (dc_context_get_client (batch->window->context), "POST", path, body,
                           NULL, action_done_cb, request);
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
post_assign (Batch      *batch,
             const char *order_id,
             const char *driver_id,
             const char *previous_driver_id)
{
  g_autoptr(JsonNode) body = object_with_string ("driver_id", driver_id);

  post_order_action (batch, order_id, "assign", body, previous_driver_id);
}

static void
post_hold (Batch      *batch,
           const char *order_id,
           gboolean    hold)
{
  g_autoptr(JsonObject) object = json_object_new ();
  g_autoptr(JsonNode) body = NULL;

  json_object_set_boolean_member (object, "hold", hold);
  body = json_node_init_object (json_node_alloc (), object);
  post_order_action (batch, order_id, "hold", body, NULL);
}

/* The driver an order has now, for an Undo: "" for none. */
static const char *
current_driver (DcWindow   *self,
                const char *order_id)
{
  DcEntity *order = dc_store_lookup (dc_context_get_orders (self->context), order_id);

  return order != NULL ? dc_order_get_driver_id (DC_ORDER (order)) ?: "" : "";
}

/* Assigns without asking; the toast's Undo gives the order back to
 * @previous_driver_id ("" for back to waiting; NULL: no Undo). */
static void
assign (DcWindow   *self,
        const char *order_id,
        const char *driver_id,
        const char *previous_driver_id)
{
  Batch *batch = batch_new (self, VERB_ASSIGNED,
                            /* Translators: order id, driver name */
                            g_strdup_printf (_("Order %s assigned to %s"),
                                             order_label (self, order_id),
                                             driver_label (self, driver_id)),
                            previous_driver_id != NULL);

  post_assign (batch, order_id, driver_id, previous_driver_id);
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

/* People win, after confirming: an assignment beyond the driver's capacity,
 * its vehicle's weight or volume limit or the sane pickup distance asks
 * first. */
static void
assign_order_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  DcWindow *self = DC_WINDOW (widget);
  const char *order_id, *driver_id, *previous;
  g_autofree char *body = NULL;
  g_autofree char *distance = NULL;
  g_autofree char *limits = NULL;
  DcCandidate measured = { 0 };
  DcEntity *order, *driver;
  GtkWidget *dialog;

  g_variant_get (parameter, "(&s&s)", &order_id, &driver_id);
  order = dc_store_lookup (dc_context_get_orders (self->context), order_id);
  driver = dc_store_lookup (dc_context_get_drivers (self->context), driver_id);
  previous = current_driver (self, order_id);
  if (order != NULL && driver != NULL)
    limits = dc_candidates_check_limits (DC_DRIVER (driver), DC_ORDER (order));

  if (order == NULL || driver == NULL ||
      ((!dc_candidate_measure (DC_DRIVER (driver), DC_ORDER (order),
                               dc_context_get_max_pickup_m (self->context), &measured) ||
        measured.tier == DC_CANDIDATE_FREE) && limits == NULL))
    {
      assign (self, order_id, driver_id, previous);
      return;
    }

  distance = dc_format_distance (measured.distance_m,
                                 g_settings_get_enum (dc_context_get_settings (self->context),
                                                      "units"));
  if (limits != NULL)
    /* Translators: driver name, load with this order / the vehicle's limits,
     * e.g. "30 / 20 kg · 10 / 100 L" */
    body = g_strdup_printf (_("With this order %s would carry %s, beyond the vehicle's "
                              "weight or volume limit."),
                            driver_label (self, driver_id), limits);
  else if (measured.tier == DC_CANDIDATE_FAR)
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

/* Puts back what the toast's gesture changed: each order to the driver it
 * had before, or back to waiting. */
static void
undo_assignment_action (GtkWidget  *widget,
                        const char *action_name,
                        GVariant   *parameter)
{
  DcWindow *self = DC_WINDOW (widget);
  Batch *batch = batch_new (self, VERB_OTHER, g_strdup (_("Undone")), FALSE);
  GVariantIter iter;
  const char *order_id, *driver_id;

  g_variant_iter_init (&iter, parameter);
  while (g_variant_iter_next (&iter, "(&s&s)", &order_id, &driver_id))
    if (*driver_id != '\0')
      post_assign (batch, order_id, driver_id, NULL);
    else
      post_order_action (batch, order_id, "unassign", NULL, NULL);

  if (batch->pending == 0)
    batch_free (batch);
}

static void
unassign_order_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  DcWindow *self = DC_WINDOW (widget);
  const char *order_id = g_variant_get_string (parameter, NULL);
  Batch *batch = batch_new (self, VERB_UNASSIGNED,
                            /* Translators: %s is an order id */
                            g_strdup_printf (_("Order %s is waiting for a driver again"),
                                             order_label (self, order_id)),
                            TRUE);

  post_order_action (batch, order_id, "unassign", NULL, current_driver (self, order_id));
}

/* The orders to cancel travel with the dialog as a NULL-terminated list. */
static void
cancel_response_cb (AdwMessageDialog *dialog,
                    const char       *response,
                    DcWindow         *self)
{
  GtkEditable *reason = GTK_EDITABLE (adw_message_dialog_get_extra_child (dialog));
  const char * const *order_ids = g_object_get_data (G_OBJECT (dialog), "order-ids");
  g_autoptr(JsonNode) body = NULL;
  Batch *batch;

  if (!g_str_equal (response, "cancel"))
    return;

  if (*gtk_editable_get_text (reason) != '\0')
    body = object_with_string ("reason", gtk_editable_get_text (reason));

  batch = batch_new (self, VERB_CANCELLED,
                     /* Translators: %s is an order id */
                     g_strdup_printf (_("Order %s cancelled"), order_label (self, order_ids[0])),
                     FALSE);
  for (guint i = 0; order_ids[i] != NULL; i++)
    post_order_action (batch, order_ids[i], "cancel", body, NULL);
}

/* Asks, with a place for the reason, before cancelling @order_ids. */
static void
confirm_cancel (DcWindow           *self,
                const char * const *order_ids)
{
  guint n = g_strv_length ((char **) order_ids);
  GtkWidget *dialog;
  GtkWidget *reason;

  dialog = adw_message_dialog_new (GTK_WINDOW (self), NULL,
                                   ngettext ("The customer is told that the order was cancelled.",
                                             "The customers are told that their orders were "
                                             "cancelled.", n));
  if (n == 1)
    /* Translators: %s is an order id */
    adw_message_dialog_format_heading (ADW_MESSAGE_DIALOG (dialog), _("Cancel Order %s?"),
                                       order_label (self, order_ids[0]));
  else
    adw_message_dialog_format_heading (ADW_MESSAGE_DIALOG (dialog),
                                       ngettext ("Cancel %u Order?", "Cancel %u Orders?", n), n);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "keep", ngettext ("_Keep Order", "_Keep Orders", n),
                                    "cancel", ngettext ("_Cancel Order", "_Cancel Orders", n),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "cancel",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "keep");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "keep");

  reason = gtk_entry_new ();
  gtk_entry_set_placeholder_text (GTK_ENTRY (reason), _("Reason (optional)"));
  gtk_entry_set_activates_default (GTK_ENTRY (reason), TRUE);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), reason);

  g_object_set_data_full (G_OBJECT (dialog), "order-ids", g_strdupv ((char **) order_ids),
                          (GDestroyNotify) g_strfreev);
  g_signal_connect_object (dialog, "response", G_CALLBACK (cancel_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
cancel_order_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  const char *order_ids[] = { g_variant_get_string (parameter, NULL), NULL };

  confirm_cancel (DC_WINDOW (widget), order_ids);
}

static void
hold_order_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  DcWindow *self = DC_WINDOW (widget);
  const char *order_id;
  gboolean hold;
  Batch *batch;

  g_variant_get (parameter, "(&sb)", &order_id, &hold);
  batch = batch_new (self, VERB_OTHER,
                     hold
                     /* Translators: %s is an order id */
                     ? g_strdup_printf (_("Order %s held: automation leaves it to you"),
                                        order_label (self, order_id))
                     /* Translators: %s is an order id */
                     : g_strdup_printf (_("Order %s released to automation"),
                                        order_label (self, order_id)),
                     FALSE);
  post_hold (batch, order_id, hold);
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
  Batch *batch;

  g_variant_get (parameter, "(&s&s)", &order_id, &driver_id);
  body = object_with_string ("driver_id", driver_id);
  batch = batch_new (self, VERB_OTHER,
                     /* Translators: order id, driver name */
                     g_strdup_printf (_("Automation will not give order %s to %s"),
                                      order_label (self, order_id),
                                      driver_label (self, driver_id)),
                     FALSE);
  post_order_action (batch, order_id, "exclude", body, NULL);
}

/* A driver ------------------------------------------------------------------- */

static void
auto_dispatch_set_cb (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(DcWindow) self = user_data;
  g_autoptr(JsonObject) driver = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  DcEntity *entity;

  if (!(driver = dc_client_request_finish (DC_CLIENT (object), result, &error)))
    {
      g_debug ("Automatic dispatch not changed: %s", error->message);
      text = g_strdup_printf (_("Not done: %s"), dc_format_error (error));
      dc_window_show_toast (self, text);
      return;
    }

  entity = dc_store_upsert (dc_context_get_drivers (self->context), driver);
  if (entity == NULL)
    return;
  text = dc_driver_get_auto_dispatch (DC_DRIVER (entity))
         /* Translators: %s is a driver's name */
         ? g_strdup_printf (_("Automation may give orders to %s again"),
                            dc_driver_get_name (DC_DRIVER (entity)))
         /* Translators: %s is a driver's name */
         : g_strdup_printf (_("Automation leaves %s out"),
                            dc_driver_get_name (DC_DRIVER (entity)));
  dc_window_show_toast (self, text);
}

static void
set_auto_dispatch_action (GtkWidget  *widget,
                          const char *action_name,
                          GVariant   *parameter)
{
  DcWindow *self = DC_WINDOW (widget);
  g_autoptr(JsonObject) object = json_object_new ();
  g_autoptr(JsonNode) body = NULL;
  g_autofree char *escaped = NULL;
  g_autofree char *path = NULL;
  const char *driver_id;
  gboolean on;

  g_variant_get (parameter, "(&sb)", &driver_id, &on);
  json_object_set_boolean_member (object, "auto_dispatch", on);
  body = json_node_init_object (json_node_alloc (), object);
  escaped = g_uri_escape_string (driver_id, NULL, FALSE);
  path = g_strdup_printf ("/api/v1/drivers/%s/auto-dispatch", escaped);
  dc_client_request_async (dc_context_get_client (self->context), "POST", path, body, NULL,
                           auto_dispatch_set_cb, g_object_ref (self));
}

/* Several orders at once ---------------------------------------------------- */

static GPtrArray *
selected_orders (DcWindow *self)
{
  return dc_list_pane_get_selection (self->orders_pane);
}

/* Each selected order that still needs a driver to its best free candidate,
 * no driver twice; one toast, one Undo. */
static void
bulk_assign_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  DcWindow *self = DC_WINDOW (widget);
  g_autoptr(GPtrArray) orders = selected_orders (self);
  g_autoptr(GHashTable) taken = g_hash_table_new (g_str_hash, g_str_equal);
  Batch *batch = batch_new (self, VERB_ASSIGNED, NULL, TRUE);

  for (guint i = 0; i < orders->len; i++)
    {
      DcOrder *order = g_ptr_array_index (orders, i);
      g_autoptr(GArray) candidates = NULL;

      if (dc_order_get_status (order) != DISPATCH_ORDER_PENDING)
        continue;

      candidates = dc_candidates_rank (dc_context_get_drivers (self->context), order,
                                       dc_context_get_max_pickup_m (self->context), G_MAXUINT);
      for (guint j = 0; j < candidates->len; j++)
        {
          DcCandidate *candidate = &g_array_index (candidates, DcCandidate, j);
          const char *driver_id = dc_entity_get_id (DC_ENTITY (candidate->driver));

          if (candidate->tier != DC_CANDIDATE_FREE)
            break;
          if (g_hash_table_contains (taken, driver_id))
            continue;

          g_hash_table_add (taken, (gpointer) driver_id);
          post_assign (batch, dc_entity_get_id (DC_ENTITY (order)), driver_id, "");
          break;
        }
    }

  if (batch->pending == 0)
    {
      dc_window_show_toast (self, _("No free driver for the selected orders"));
      batch_free (batch);
    }
}

static void
bulk_unassign_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  DcWindow *self = DC_WINDOW (widget);
  g_autoptr(GPtrArray) orders = selected_orders (self);
  Batch *batch = batch_new (self, VERB_UNASSIGNED, NULL, TRUE);

  for (guint i = 0; i < orders->len; i++)
    {
      DcOrder *order = g_ptr_array_index (orders, i);

      if (dc_order_get_status (order) == DISPATCH_ORDER_ASSIGNED)
        post_order_action (batch, dc_entity_get_id (DC_ENTITY (order)), "unassign", NULL,
                           dc_order_get_driver_id (order));
    }

  if (batch->pending == 0)
    batch_free (batch);
}

static void
bulk_hold_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  DcWindow *self = DC_WINDOW (widget);
  g_autoptr(GPtrArray) orders = selected_orders (self);
  Batch *batch = batch_new (self, VERB_HELD, NULL, FALSE);

  for (guint i = 0; i < orders->len; i++)
    post_hold (batch, dc_entity_get_id (DC_ENTITY (g_ptr_array_index (orders, i))), TRUE);

  if (batch->pending == 0)
    batch_free (batch);
}

static void
bulk_cancel_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  DcWindow *self = DC_WINDOW (widget);
  g_autoptr(GPtrArray) orders = selected_orders (self);
  g_autoptr(GStrvBuilder) ids = g_strv_builder_new ();
  g_auto(GStrv) order_ids = NULL;

  for (guint i = 0; i < orders->len; i++)
    g_strv_builder_add (ids, dc_entity_get_id (DC_ENTITY (g_ptr_array_index (orders, i))));
  order_ids = g_strv_builder_end (ids);

  if (order_ids[0] != NULL)
    confirm_cancel (self, (const char * const *) order_ids);
}

static const char * const order_actions[] = {
  "win.new-order",
  "win.edit-order",
  "win.assign-order",
  "win.set-auto-dispatch",
  "win.bulk-assign",
  "win.bulk-unassign",
  "win.bulk-hold",
  "win.bulk-cancel",
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
  gtk_widget_class_install_action (widget_class, "win.set-auto-dispatch", "(sb)",
                                   set_auto_dispatch_action);
  gtk_widget_class_install_action (widget_class, "win.bulk-assign", NULL, bulk_assign_action);
  gtk_widget_class_install_action (widget_class, "win.bulk-unassign", NULL,
                                   bulk_unassign_action);
  gtk_widget_class_install_action (widget_class, "win.bulk-hold", NULL, bulk_hold_action);
  gtk_widget_class_install_action (widget_class, "win.bulk-cancel", NULL, bulk_cancel_action);
  gtk_widget_class_install_action (widget_class, "win.undo-assignment", "a(ss)",
                                   undo_assignment_action);
  gtk_widget_class_install_action (widget_class, "win.unassign-order", "s",
                                   unassign_order_action);
  gtk_widget_class_install_action (widget_class, "win.cancel-order", "s",
                                   cancel_order_action);
}
