/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "dc-format.h"
#include "dc-new-order.h"
#include "dc-window-private.h"

#define PRIORITY_DEFAULT 3

/* The entry rows, in the order the body reads them. */
enum {
  PICKUP_ADDRESS,
  PICKUP_PLACE,
  DROPOFF_ADDRESS,
  DROPOFF_PLACE,
  CONTACT_NAME,
  CONTACT_PHONE,
  NOTES,
  N_FIELDS
};

typedef struct
{
  DcWindow *window;
  GtkEditable *fields[N_FIELDS];
  GtkSpinButton *priority;
} Form;

static void
form_free (Form *form)
{
  g_clear_object (&form->window);
  g_free (form);
}

static const char *
text (Form *form,
      guint field)
{
  const char *value = gtk_editable_get_text (form->fields[field]);

  return *value != '\0' ? value : NULL;
}

/* "52.52, 13.40" → a place object with @address; FALSE if it does not
 * read as two numbers. */
static gboolean
add_place (JsonObject *order,
           const char *member,
           const char *address,
           const char *coordinates)
{
  g_auto(GStrv) parts = g_strsplit (coordinates ?: "", ",", 2);
  g_autoptr(JsonObject) place = json_object_new ();
  double lat, lon;
  char *end;

  if (g_strv_length (parts) != 2)
    return FALSE;
  lat = g_ascii_strtod (g_strstrip (parts[0]), &end);
  if (*end != '\0' || *parts[0] == '\0')
    return FALSE;
  lon = g_ascii_strtod (g_strstrip (parts[1]), &end);
  if (*end != '\0' || *parts[1] == '\0')
    return FALSE;

  json_object_set_double_member (place, "lat", lat);
  json_object_set_double_member (place, "lon", lon);
  if (address != NULL)
    json_object_set_string_member (place, "address", address);
  json_object_set_object_member (order, member, g_steal_pointer (&place));

  return TRUE;
}

static void
created_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(DcWindow) window = user_data;
  g_autoptr(JsonObject) order = NULL;
  g_autoptr(GError) error = NULL;
  DcEntity *entity;

  if (!(order = dc_client_request_finish (DC_CLIENT (object), result, &error)))
    {
      g_autofree char *message = NULL;

      g_debug ("Order not created: %s", error->message);
      message = g_strdup_printf (_("Not done: %s"), dc_format_error (error));
      dc_window_show_toast (window, message);
      return;
    }

  entity = dc_store_upsert (dc_context_get_orders (dc_window_get_context (window)), order);
  if (entity != NULL)
    dc_window_select_order (window, DC_ORDER (entity), TRUE);
}

static void
response_cb (AdwMessageDialog *dialog,
             const char       *response,
             Form             *form)
{
  g_autoptr(JsonObject) order = json_object_new ();
  g_autoptr(JsonObject) contact = json_object_new ();
  g_autoptr(JsonNode) body = NULL;
  DcContext *context = dc_window_get_context (form->window);

  if (!g_str_equal (response, "create"))
    return;

  if (!add_place (order, "pickup", text (form, PICKUP_ADDRESS), text (form, PICKUP_PLACE)) ||
      !add_place (order, "dropoff", text (form, DROPOFF_ADDRESS), text (form, DROPOFF_PLACE)))
    {
      dc_window_show_toast (form->window,
                            _("Coordinates are latitude, longitude, e.g. 52.52, 13.40"));
      return;
    }
  if (text (form, CONTACT_NAME) != NULL)
    json_object_set_string_member (contact, "name", text (form, CONTACT_NAME));
  if (text (form, CONTACT_PHONE) != NULL)
    json_object_set_string_member (contact, "phone", text (form, CONTACT_PHONE));
  if (json_object_get_size (contact) > 0)
    json_object_set_object_member (order, "contact", g_steal_pointer (&contact));
  if (text (form, NOTES) != NULL)
    json_object_set_string_member (order, "notes", text (form, NOTES));
  json_object_set_int_member (order, "priority",
                              gtk_spin_button_get_value_as_int (form->priority));

  body = json_node_init_object (json_node_alloc (), order);
  dc_client_request_async (dc_context_get_client (context), "POST", "/api/v1/orders", body, NULL,
                           created_cb, g_object_ref (form->window));
}

static GtkEditable *
add_entry (GtkListBox *list,
           const char *title,
           const char *value)
{
  GtkWidget *row = adw_entry_row_new ();

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  if (value != NULL)
    gtk_editable_set_text (GTK_EDITABLE (row), value);
  gtk_list_box_append (list, row);

  return GTK_EDITABLE (row);
}

void
dc_new_order_present (DcWindow *window)
{
  GSettings *settings = dc_context_get_settings (dc_window_get_context (window));
  Form *form = g_new0 (Form, 1);
  g_autofree char *centre = NULL;
  char lat_text[G_ASCII_DTOSTR_BUF_SIZE], lon_text[G_ASCII_DTOSTR_BUF_SIZE];
  GtkWidget *dialog, *list, *row, *spin;
  double lat, lon, zoom;

  g_return_if_fail (DC_IS_WINDOW (window));

  form->window = g_object_ref (window);
  g_settings_get (settings, "map-view", "(ddd)", &lat, &lon, &zoom);
  centre = g_strdup_printf ("%s, %s",
                            g_ascii_formatd (lat_text, sizeof lat_text, "%.5f", lat),
                            g_ascii_formatd (lon_text, sizeof lon_text, "%.5f", lon));

  list = gtk_list_box_new ();
  gtk_list_box_set_selection_mode (GTK_LIST_BOX (list), GTK_SELECTION_NONE);
  gtk_widget_add_css_class (list, "boxed-list");
  form->fields[PICKUP_ADDRESS] = add_entry (GTK_LIST_BOX (list), _("Pickup address"), NULL);
  form->fields[PICKUP_PLACE] = add_entry (GTK_LIST_BOX (list), _("Pickup latitude, longitude"),
                                          centre);
  form->fields[DROPOFF_ADDRESS] = add_entry (GTK_LIST_BOX (list), _("Dropoff address"), NULL);
  form->fields[DROPOFF_PLACE] = add_entry (GTK_LIST_BOX (list),
                                           _("Dropoff latitude, longitude"), centre);
  form->fields[CONTACT_NAME] = add_entry (GTK_LIST_BOX (list), _("Customer name"), NULL);
  form->fields[CONTACT_PHONE] = add_entry (GTK_LIST_BOX (list), _("Customer phone"), NULL);
  form->fields[NOTES] = add_entry (GTK_LIST_BOX (list), _("Notes"), NULL);

  row = adw_action_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _("Priority"));
  spin = gtk_spin_button_new_with_range (0, 9, 1);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (spin), PRIORITY_DEFAULT);
  gtk_widget_set_valign (spin, GTK_ALIGN_CENTER);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), spin);
  gtk_list_box_append (GTK_LIST_BOX (list), row);
  form->priority = GTK_SPIN_BUTTON (spin);

  dialog = adw_message_dialog_new (GTK_WINDOW (window), _("New Order"),
                                   _("A phone order. The coordinates start at the map's "
                                     "centre."));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "close", _("_Close"),
                                    "create", _("C_reate"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "create",
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "create");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "close");
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), list);
  g_object_set_data_full (G_OBJECT (dialog), "form", form, (GDestroyNotify) form_free);
  g_signal_connect (dialog, "response", G_CALLBACK (response_cb), form);
  gtk_window_present (GTK_WINDOW (dialog));
}
