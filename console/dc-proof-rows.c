/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "dc-format.h"
#include "dc-json.h"
#include "dc-proof-rows.h"

#define THUMBNAIL_WIDTH  64
#define THUMBNAIL_HEIGHT 48
#define LARGE_WIDTH      640
#define LARGE_HEIGHT     480

typedef struct
{
  GtkListBox *list;
  DcClient *client;
  char *order_id;
  GCancellable *cancellable;
} Load;

static void
load_free (Load *load)
{
  g_clear_object (&load->list);
  g_clear_object (&load->client);
  g_free (load->order_id);
  g_clear_object (&load->cancellable);
  g_free (load);
}

static gboolean
requires (JsonObject *proof,
          const char *what)
{
  JsonArray *required = dc_json_array (proof, "required");

  for (guint i = 0; required != NULL && i < json_array_get_length (required); i++)
    if (g_strcmp0 (json_array_get_string_element (required, i), what) == 0)
      return TRUE;

  return FALSE;
}

/* @blocked: the delivery can no longer get it (a locked PIN). */
static GtkWidget *
proof_row (GtkListBox *list,
           const char *title,
           const char *subtitle,
           gboolean    blocked)
{
  GtkWidget *row = adw_action_row_new ();

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  if (blocked)
    gtk_widget_add_css_class (row, "warning");
  gtk_list_box_append (list, row);

  return row;
}

static void
pin_row (GtkListBox *list,
         JsonObject *proof)
{
  gint64 left = dc_json_int (proof, "pin_attempts_left", 0);
  g_autofree char *subtitle = NULL;
  const char *pin = dc_json_string (proof, "pin");
  GtkWidget *row, *label;

  if (dc_json_boolean (proof, "pin_verified", FALSE))
    subtitle = g_strdup (_("Entered by the driver"));
  else if (left == 0)
    subtitle = g_strdup (_("Locked: entered wrong too often"));
  else
    subtitle = g_strdup_printf (ngettext ("Not entered yet · %d try left",
                                          "Not entered yet · %d tries left", left), (int) left);

  row = proof_row (list, _("PIN"), subtitle,
                   left == 0 && !dc_json_boolean (proof, "pin_verified", FALSE));
  if (pin != NULL)
    {
      label = gtk_label_new (pin);
      gtk_widget_add_css_class (label, "numeric");
      gtk_widget_add_css_class (label, "dim-label");
      /* Translators: the PIN the customer tells the driver */
      gtk_widget_set_tooltip_text (label, _("The customer's PIN"));
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), label);
    }
}

static void
show_large_cb (GtkButton *button,
               GtkWidget *thumbnail)
{
  GdkPaintable *paintable = gtk_picture_get_paintable (GTK_PICTURE (thumbnail));
  GtkWidget *window, *picture;

  if (paintable == NULL)
    return;

  window = gtk_window_new ();
  gtk_window_set_title (GTK_WINDOW (window), gtk_widget_get_tooltip_text (GTK_WIDGET (button)));
  gtk_window_set_transient_for (GTK_WINDOW (window),
                                GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (button))));
  gtk_window_set_modal (GTK_WINDOW (window), TRUE);
  gtk_window_set_default_size (GTK_WINDOW (window), LARGE_WIDTH, LARGE_HEIGHT);
  picture = gtk_picture_new_for_paintable (paintable);
  gtk_window_set_child (GTK_WINDOW (window), picture);
  gtk_window_present (GTK_WINDOW (window));
}

static void
image_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GtkPicture) picture = user_data;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autoptr(GError) error = NULL;

  if (!(bytes = dc_client_fetch_bytes_finish (DC_CLIENT (object), result, &error)) ||
      !(texture = gdk_texture_new_from_bytes (bytes, &error)))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("No proof image: %s", error->message);
      return;
    }

  gtk_picture_set_paintable (picture, GDK_PAINTABLE (texture));
}

/* A row for the photo or the signature, with its thumbnail once loaded. */
static void
image_row (Load       *load,
           JsonObject *proof,
           const char *kind,
           const char *title)
{
  g_autofree char *member = g_strdup_printf ("%s_at", kind);
  gint64 at = dc_json_timestamp (proof, member);
  g_autofree char *subtitle = NULL;
  g_autofree char *path = NULL;
  g_autofree char *escaped = NULL;
  GtkWidget *row, *button, *picture;

  if (at == 0 && !requires (proof, kind))
    return;

  if (at != 0)
    {
      g_autofree char *time = dc_format_clock_time (at);

      /* Translators: %s is a time of day */
      subtitle = g_strdup_printf (_("Uploaded at %s"), time);
    }
  else
    subtitle = g_strdup (_("Not uploaded yet"));

  row = proof_row (load->list, title, subtitle, FALSE);
  if (at == 0)
    return;

  picture = gtk_picture_new ();
  gtk_picture_set_can_shrink (GTK_PICTURE (picture), TRUE);
  gtk_widget_set_size_request (picture, THUMBNAIL_WIDTH, THUMBNAIL_HEIGHT);
  button = gtk_button_new ();
  gtk_button_set_child (GTK_BUTTON (button), picture);
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (button, "flat");
  gtk_widget_add_css_class (button, "proof-thumbnail");
  gtk_widget_set_tooltip_text (button, title);
  g_signal_connect (button, "clicked", G_CALLBACK (show_large_cb), picture);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), button);
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), button);

  escaped = g_uri_escape_string (load->order_id, NULL, FALSE);
  path = g_strdup_printf ("/api/v1/orders/%s/proof/%s", escaped, kind);
  dc_client_fetch_bytes_async (load->client, path, load->cancellable, image_cb,
                               g_object_ref (picture));
}

static void
proof_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  Load *load = user_data;
  g_autoptr(JsonObject) proof = NULL;
  g_autoptr(GError) error = NULL;
  GtkWidget *child;

  proof = dc_client_request_finish (DC_CLIENT (object), result, &error);
  if (proof == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("No proof of delivery: %s", error->message);
      load_free (load);
      return;
    }

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (load->list))))
    gtk_list_box_remove (load->list, child);

  if (requires (proof, "pin"))
    pin_row (load->list, proof);
  image_row (load, proof, "photo", _("Photo"));
  image_row (load, proof, "signature", _("Signature"));
  if (gtk_widget_get_first_child (GTK_WIDGET (load->list)) == NULL)
    proof_row (load->list, _("None required"), _("The driver may deliver without proof"),
               FALSE);

  load_free (load);
}

void
dc_proof_rows_load (GtkListBox   *list,
                    DcClient     *client,
                    const char   *order_id,
                    GCancellable *cancellable)
{
  g_autofree char *escaped = NULL;
  g_autofree char *path = NULL;
  Load *load;

  g_return_if_fail (GTK_IS_LIST_BOX (list));
  g_return_if_fail (DC_IS_CLIENT (client));
  g_return_if_fail (order_id != NULL);

  load = g_new0 (Load, 1);
  load->list = g_object_ref (list);
  load->client = g_object_ref (client);
  load->order_id = g_strdup (order_id);
  load->cancellable = cancellable != NULL ? g_object_ref (cancellable) : NULL;

  escaped = g_uri_escape_string (order_id, NULL, FALSE);
  path = g_strdup_printf ("/api/v1/orders/%s/proof", escaped);
  dc_client_request_async (client, "GET", path, NULL, cancellable, proof_cb, load);
}
