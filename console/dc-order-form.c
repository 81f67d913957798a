/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include <dispatch-json.h>

#include "dc-format.h"
#include "dc-json.h"
#include "dc-local-time.h"
#include "dc-order-form.h"
#include "dc-window-private.h"

#define PRIORITY_DEFAULT 3

/* The entry rows, in the order the form shows them. */
enum {
  PICKUP_ADDRESS,
  PICKUP_PLACE,
  DROPOFF_ADDRESS,
  DROPOFF_PLACE,
  ITEMS,
  CONTACT_NAME,
  CONTACT_PHONE,
  NOTES,
  READY_AT,
  DELIVER_AFTER,
  DELIVER_BEFORE,
  N_FIELDS
};

/* The server's members of the time rows, from READY_AT on. */
static const char * const time_members[] = { "ready_at", "deliver_after", "deliver_before" };

typedef struct
{
  DcWindow *window;
  GtkWidget *dialog;
  /* NULL for a new order */
  char *order_id;
  /* the order's contact as the server has it (its e-mail is kept) */
  JsonObject *contact;
  /* NULL where the form has no such row (items, when editing) */
  GtkEditable *fields[N_FIELDS];
  /* the time rows as the form opened them: an edit sends only those changed,
   * so a window that has begun or ended can stay as it is */
  char *initial_times[N_FIELDS - READY_AT];
  GtkSpinButton *priority;
  /* the place row that the next click on the map fills, while picking */
  GtkEditable *picking;
  gulong picked_handler;
  AdwToast *pick_toast;
} Form;

static void
stop_picking (Form *form)
{
  g_clear_signal_handler (&form->picked_handler, form->window->map_view);
  dc_map_view_set_picking_place (form->window->map_view, FALSE);
  if (form->pick_toast != NULL)
    adw_toast_dismiss (form->pick_toast);
  g_clear_object (&form->pick_toast);
  form->picking = NULL;
}

static void
form_free (Form *form)
{
  stop_picking (form);
  g_clear_object (&form->window);
  g_clear_pointer (&form->order_id, g_free);
  g_clear_pointer (&form->contact, json_object_unref);
  for (guint i = 0; i < G_N_ELEMENTS (form->initial_times); i++)
    g_free (form->initial_times[i]);
  g_free (form);
}

static const char *
text (Form *form,
      guint field)
{
  const char *value = gtk_editable_get_text (form->fields[field]);

  return *value != '\0' ? value : NULL;
}

static char *
format_place (double lat,
              double lon)
{
  char lat_text[G_ASCII_DTOSTR_BUF_SIZE], lon_text[G_ASCII_DTOSTR_BUF_SIZE];

  return g_strdup_printf ("%s, %s",
                          g_ascii_formatd (lat_text, sizeof lat_text, "%.5f", lat),
                          g_ascii_formatd (lon_text, sizeof lon_text, "%.5f", lon));
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

/* "2 PIZZA-MARG, COLA" → [{"sku":"PIZZA-MARG","quantity":2},{"sku":"COLA",
 * "quantity":1}]; FALSE if an entry does not read as "[quantity] SKU". */
static gboolean
add_items (JsonObject *order,
           const char *items_text)
{
  g_auto(GStrv) entries = g_strsplit (items_text ?: "", ",", -1);
  g_autoptr(JsonArray) items = json_array_new ();

  for (guint i = 0; entries[i] != NULL; i++)
    {
      g_auto(GStrv) words = g_strsplit (g_strstrip (entries[i]), " ", 2);
      g_autoptr(JsonObject) item = json_object_new ();
      guint64 quantity = 1;
      const char *sku = words[0];

      if (words[0] == NULL)
        continue;
      if (words[1] != NULL)
        {
          if (!g_ascii_string_to_unsigned (words[0], 10, 1, G_MAXINT, &quantity, NULL))
            return FALSE;
          sku = g_strstrip (words[1]);
        }
      if (*sku == '\0' || strchr (sku, ' ') != NULL)
        return FALSE;

      json_object_set_string_member (item, "sku", sku);
      json_object_set_int_member (item, "quantity", quantity);
      json_array_add_object_element (items, g_steal_pointer (&item));
    }

  if (json_array_get_length (items) > 0)
    json_object_set_array_member (order, "items", g_steal_pointer (&items));

  return TRUE;
}

/* The time rows as RFC 3339 members ("" clears on an edit); FALSE if one
 * does not read as a time. */
static gboolean
add_times (Form       *form,
           JsonObject *order)
{
  gint64 now = g_get_real_time ();

  for (guint field = READY_AT; field < N_FIELDS; field++)
    {
      const char *value = text (form, field);
      const char *member = time_members[field - READY_AT];
      g_autofree char *timestamp = NULL;
      gint64 usec;

      if (form->order_id != NULL &&
          g_strcmp0 (value ?: "", form->initial_times[field - READY_AT]) == 0)
        continue;
      if (value == NULL)
        {
          if (form->order_id != NULL)
            json_object_set_null_member (order, member);
          continue;
        }
      if (!dc_local_time_parse (value, now, &usec))
        return FALSE;
      timestamp = dispatch_format_timestamp (usec);
      json_object_set_string_member (order, member, timestamp);
    }

  return TRUE;
}

/* Shows the server's answer at once (the stream brings it a moment later),
 * unless an edited order has left the open ones meanwhile. */
static void
saved (GObject      *client,
       GAsyncResult *result,
       DcWindow     *window,
       gboolean      created)
{
  DcStore *orders = dc_context_get_orders (dc_window_get_context (window));
  g_autoptr(JsonObject) order = NULL;
  g_autoptr(GError) error = NULL;
  DcEntity *entity;

  if (!(order = dc_client_request_finish (DC_CLIENT (client), result, &error)))
    {
      g_autofree char *message = NULL;

      g_debug ("Order not saved: %s", error->message);
      message = g_strdup_printf (_("Not done: %s"), dc_format_error (error));
      dc_window_show_toast (window, message);
      return;
    }

  entity = created ? dc_store_upsert (orders, order) : dc_store_update (orders, order);
  if (entity != NULL)
    dc_window_select_order (window, DC_ORDER (entity), TRUE);
}

static void
created_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(DcWindow) window = user_data;

  saved (object, result, window, TRUE);
}

static void
edited_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(DcWindow) window = user_data;

  saved (object, result, window, FALSE);
}

/* The body of the POST (new) or PATCH (edit); NULL after telling the user
 * what does not read. */
static JsonNode *
build_body (Form *form)
{
  g_autoptr(JsonObject) order = json_object_new ();
  g_autoptr(JsonObject) contact = json_object_new ();

  if (!add_place (order, "pickup", text (form, PICKUP_ADDRESS), text (form, PICKUP_PLACE)) ||
      !add_place (order, "dropoff", text (form, DROPOFF_ADDRESS), text (form, DROPOFF_PLACE)))
    {
      dc_window_show_toast (form->window,
                            _("Coordinates are latitude, longitude, e.g. 52.52, 13.40"));
      return NULL;
    }
  if (form->fields[ITEMS] != NULL && !add_items (order, text (form, ITEMS)))
    {
      dc_window_show_toast (form->window,
                            _("Items are a quantity and an SKU, e.g. 2 PIZZA, 1 COLA"));
      return NULL;
    }

  if (!add_times (form, order))
    {
      dc_window_show_toast (form->window,
                            _("Times are local, e.g. 14:30 or 2026-12-24 14:30"));
      return NULL;
    }

  /* an edit replaces the contact: the e-mail the form does not show stays */
  if (form->contact != NULL && dc_json_string (form->contact, "email") != NULL)
    json_object_set_string_member (contact, "email", dc_json_string (form->contact, "email"));
  if (text (form, CONTACT_NAME) != NULL)
    json_object_set_string_member (contact, "name", text (form, CONTACT_NAME));
  if (text (form, CONTACT_PHONE) != NULL)
    json_object_set_string_member (contact, "phone", text (form, CONTACT_PHONE));
  if (json_object_get_size (contact) > 0)
    json_object_set_object_member (order, "contact", g_steal_pointer (&contact));
  else if (form->order_id != NULL)
    json_object_set_null_member (order, "contact");

  if (text (form, NOTES) != NULL)
    json_object_set_string_member (order, "notes", text (form, NOTES));
  else if (form->order_id != NULL)
    json_object_set_null_member (order, "notes");
  json_object_set_int_member (order, "priority",
                              gtk_spin_button_get_value_as_int (form->priority));

  return json_node_init_object (json_node_alloc (), order);
}

static void
response_cb (AdwMessageDialog *dialog,
             const char       *response,
             Form             *form)
{
  DcClient *client = dc_context_get_client (dc_window_get_context (form->window));
  g_autofree char *path = NULL;
  g_autoptr(JsonNode) body = NULL;

  if (!g_str_equal (response, "save"))
    return;

  if (!(body = build_body (form)))
    return;

  if (form->order_id == NULL)
    dc_client_request_async (client, "POST", "/api/v1/orders", body, NULL, created_cb,
                             g_object_ref (form->window));
  else
    {
      path = g_strdup_printf ("/api/v1/orders/%s", form->order_id);
      dc_client_request_async (client, "PATCH", path, body, NULL, edited_cb,
                               g_object_ref (form->window));
    }
}

static void
place_picked_cb (DcMapView *map_view,
                 double     lat,
                 double     lon,
                 Form      *form)
{
  g_autofree char *place = format_place (lat, lon);

  gtk_editable_set_text (form->picking, place);
  stop_picking (form);
  gtk_window_present (GTK_WINDOW (form->dialog));
}

static void
pick_cancelled_cb (Form *form)
{
  stop_picking (form);
  gtk_window_present (GTK_WINDOW (form->dialog));
}

/* The form steps aside; the next click on the map fills @row. */
static void
pick_clicked_cb (GtkButton *button,
                 Form      *form)
{
  GtkEditable *row = g_object_get_data (G_OBJECT (button), "row");

  stop_picking (form);
  form->picking = row;
  form->picked_handler = g_signal_connect (form->window->map_view, "place-picked",
                                           G_CALLBACK (place_picked_cb), form);
  dc_map_view_set_picking_place (form->window->map_view, TRUE);
  gtk_widget_set_visible (form->dialog, FALSE);
  gtk_widget_activate_action (GTK_WIDGET (form->window), "win.focus-map", NULL);

  form->pick_toast = g_object_ref (adw_toast_new (_("Click the place on the map")));
  adw_toast_set_timeout (form->pick_toast, 0);
  adw_toast_set_button_label (form->pick_toast, _("Back to the Form"));
  g_signal_connect_swapped (form->pick_toast, "button-clicked", G_CALLBACK (pick_cancelled_cb),
                            form);
  adw_toast_overlay_add_toast (form->window->toast_overlay, g_object_ref (form->pick_toast));
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

static GtkEditable *
add_place_entry (Form       *form,
                 GtkListBox *list,
                 const char *title,
                 const char *value)
{
  GtkEditable *row = add_entry (list, title, value);
  GtkWidget *button = gtk_button_new_from_icon_name ("mark-location-symbolic");

  gtk_widget_set_tooltip_text (button, _("Pick on the Map"));
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (button, "flat");
  g_object_set_data (G_OBJECT (button), "row", row);
  g_signal_connect (button, "clicked", G_CALLBACK (pick_clicked_cb), form);
  adw_entry_row_add_suffix (ADW_ENTRY_ROW (row), button);

  return row;
}

/* The coordinates of @place ("pickup"...) as the form shows them, or
 * @fallback. */
static char *
place_text (JsonObject *order,
            const char *member,
            const char *fallback)
{
  JsonObject *place = order != NULL ? dc_json_object (order, member) : NULL;

  if (place == NULL)
    return g_strdup (fallback);

  return format_place (dc_json_double (place, "lat", 0), dc_json_double (place, "lon", 0));
}

static const char *
member_text (JsonObject *object,
             const char *member)
{
  return object != NULL ? dc_json_string (object, member) : NULL;
}

/* Ready time and delivery window, each empty or a local time. */
static void
add_time_entries (Form       *form,
                  GtkListBox *list,
                  JsonObject *order)
{
  const char *titles[] = {
    _("Ready at (14:30, optional)"), _("Deliver after"), _("Deliver before"),
  };
  gint64 now = g_get_real_time ();

  for (guint field = READY_AT; field < N_FIELDS; field++)
    {
      gint64 usec = order != NULL ? dc_json_timestamp (order, time_members[field - READY_AT]) : 0;
      char *value = usec != 0 ? dc_local_time_format (usec, now, DC_LOCAL_TIME_DATED)
                              : g_strdup ("");

      form->initial_times[field - READY_AT] = value;
      form->fields[field] = add_entry (list, titles[field - READY_AT], value);
    }
}

/* Shows the form, empty (new order) or filled from @order. */
static void
present (Form       *form,
         JsonObject *order)
{
  GSettings *settings = dc_context_get_settings (dc_window_get_context (form->window));
  g_autofree char *centre = NULL;
  g_autofree char *pickup = NULL;
  g_autofree char *dropoff = NULL;
  GtkWidget *dialog, *list, *row, *spin;
  JsonObject *pickup_place = order != NULL ? dc_json_object (order, "pickup") : NULL;
  JsonObject *dropoff_place = order != NULL ? dc_json_object (order, "dropoff") : NULL;
  double lat, lon, zoom;

  g_settings_get (settings, "map-view", "(ddd)", &lat, &lon, &zoom);
  centre = format_place (lat, lon);
  pickup = place_text (order, "pickup", centre);
  dropoff = place_text (order, "dropoff", centre);
  if (order != NULL && dc_json_object (order, "contact") != NULL)
    form->contact = json_object_ref (dc_json_object (order, "contact"));

  list = gtk_list_box_new ();
  gtk_list_box_set_selection_mode (GTK_LIST_BOX (list), GTK_SELECTION_NONE);
  gtk_widget_add_css_class (list, "boxed-list");
  form->fields[PICKUP_ADDRESS] = add_entry (GTK_LIST_BOX (list), _("Pickup address"),
                                            member_text (pickup_place, "address"));
  form->fields[PICKUP_PLACE] = add_place_entry (form, GTK_LIST_BOX (list),
                                                _("Pickup latitude, longitude"), pickup);
  form->fields[DROPOFF_ADDRESS] = add_entry (GTK_LIST_BOX (list), _("Dropoff address"),
                                             member_text (dropoff_place, "address"));
  form->fields[DROPOFF_PLACE] = add_place_entry (form, GTK_LIST_BOX (list),
                                                 _("Dropoff latitude, longitude"), dropoff);
  /* items have their stock reserved: they are fixed once the order exists */
  if (order == NULL)
    form->fields[ITEMS] = add_entry (GTK_LIST_BOX (list), _("Items (quantity SKU, …)"), NULL);
  form->fields[CONTACT_NAME] = add_entry (GTK_LIST_BOX (list), _("Customer name"),
                                          member_text (form->contact, "name"));
  form->fields[CONTACT_PHONE] = add_entry (GTK_LIST_BOX (list), _("Customer phone"),
                                           member_text (form->contact, "phone"));
  form->fields[NOTES] = add_entry (GTK_LIST_BOX (list), _("Notes"),
                                   member_text (order, "notes"));
  add_time_entries (form, GTK_LIST_BOX (list), order);

  row = adw_action_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _("Priority"));
  spin = gtk_spin_button_new_with_range (0, 9, 1);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (spin),
                             order != NULL ? dc_json_int (order, "priority", 0)
                                           : PRIORITY_DEFAULT);
  gtk_widget_set_valign (spin, GTK_ALIGN_CENTER);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), spin);
  gtk_list_box_append (GTK_LIST_BOX (list), row);
  form->priority = GTK_SPIN_BUTTON (spin);

  if (order == NULL)
    dialog = adw_message_dialog_new (GTK_WINDOW (form->window), _("New Order"),
                                     _("A phone order. The coordinates start at the map's "
                                       "centre; pick them on the map with the pin."));
  else
    dialog = adw_message_dialog_new (GTK_WINDOW (form->window), _("Edit Order"),
                                     _("Until pickup, places, contact, priority, notes and "
                                       "times may change; the items stay."));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "close", _("_Close"),
                                    "save", order == NULL ? _("C_reate") : _("_Save"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "save",
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "save");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "close");
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), list);
  form->dialog = dialog;
  g_object_set_data_full (G_OBJECT (dialog), "form", form, (GDestroyNotify) form_free);
  g_signal_connect (dialog, "response", G_CALLBACK (response_cb), form);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
fetched_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  Form *form = user_data;
  g_autoptr(JsonObject) order = NULL;
  g_autoptr(GError) error = NULL;

  if (!(order = dc_client_request_finish (DC_CLIENT (object), result, &error)))
    {
      g_autofree char *message = NULL;

      message = g_strdup_printf (_("Not done: %s"), dc_format_error (error));
      dc_window_show_toast (form->window, message);
      form_free (form);
      return;
    }

  present (form, order);
}

void
dc_order_form_present (DcWindow   *window,
                       const char *order_id)
{
  Form *form = g_new0 (Form, 1);
  g_autofree char *path = NULL;

  g_return_if_fail (DC_IS_WINDOW (window));

  form->window = g_object_ref (window);
  if (order_id == NULL)
    {
      present (form, NULL);
      return;
    }

  /* the form edits what the server has now, contact included */
  form->order_id = g_strdup (order_id);
  path = g_strdup_printf ("/api/v1/orders/%s", order_id);
  dc_client_request_async (dc_context_get_client (dc_window_get_context (window)), "GET", path,
                           NULL, NULL, fetched_cb, form);
}
