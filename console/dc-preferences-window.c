/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "dc-preferences-window.h"

struct _DcPreferencesWindow
{
  AdwPreferencesWindow parent_instance;

  GSettings *settings;

  /* template */
  AdwEntryRow *server_row;
  AdwEntryRow *tiles_row;
  AdwComboRow *units_row;
  AdwComboRow *style_row;
};

G_DEFINE_FINAL_TYPE (DcPreferencesWindow, dc_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

/* The nicks of the enum settings, in the order of the combo rows' items. */
static const char * const unit_nicks[] = { "metric", "imperial", NULL };
static const char * const style_nicks[] = { "default", "light", "dark", NULL };

static gboolean
nick_to_position (GValue   *value,
                  GVariant *variant,
                  gpointer  user_data)
{
  const char * const *nicks = user_data;
  const char *nick = g_variant_get_string (variant, NULL);

  for (guint i = 0; nicks[i] != NULL; i++)
    {
      if (g_str_equal (nicks[i], nick))
        {
          g_value_set_uint (value, i);
          return TRUE;
        }
    }

  return FALSE;
}

static GVariant *
position_to_nick (const GValue       *value,
                  const GVariantType *expected_type,
                  gpointer            user_data)
{
  const char * const *nicks = user_data;
  guint position = g_value_get_uint (value);

  if (position >= g_strv_length ((char **) nicks))
    return NULL;

  return g_variant_new_string (nicks[position]);
}

static void
bind_combo (DcPreferencesWindow *self,
            const char          *key,
            AdwComboRow         *row,
            const char * const  *nicks)
{
  g_settings_bind_with_mapping (self->settings, key, row, "selected", G_SETTINGS_BIND_DEFAULT,
                                nick_to_position, position_to_nick, (gpointer) nicks, NULL);
}

static void
server_applied_cb (DcPreferencesWindow *self)
{
  g_settings_set_string (self->settings, "server-url",
                         gtk_editable_get_text (GTK_EDITABLE (self->server_row)));
}

static void
tiles_applied_cb (DcPreferencesWindow *self)
{
  g_settings_set_string (self->settings, "tile-url",
                         gtk_editable_get_text (GTK_EDITABLE (self->tiles_row)));
}

static void
tiles_reset_cb (DcPreferencesWindow *self)
{
  g_autofree char *url = NULL;

  g_settings_reset (self->settings, "tile-url");
  url = g_settings_get_string (self->settings, "tile-url");
  gtk_editable_set_text (GTK_EDITABLE (self->tiles_row), url);
}

static void
dc_preferences_window_dispose (GObject *object)
{
  DcPreferencesWindow *self = (DcPreferencesWindow *)object;

  gtk_widget_dispose_template (GTK_WIDGET (self), DC_TYPE_PREFERENCES_WINDOW);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (dc_preferences_window_parent_class)->dispose (object);
}

static void
dc_preferences_window_class_init (DcPreferencesWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = dc_preferences_window_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/dispatchd/Console/"
                                               "dc-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, DcPreferencesWindow, server_row);
  gtk_widget_class_bind_template_child (widget_class, DcPreferencesWindow, tiles_row);
  gtk_widget_class_bind_template_child (widget_class, DcPreferencesWindow, units_row);
  gtk_widget_class_bind_template_child (widget_class, DcPreferencesWindow, style_row);
  gtk_widget_class_bind_template_callback (widget_class, server_applied_cb);
  gtk_widget_class_bind_template_callback (widget_class, tiles_applied_cb);
  gtk_widget_class_bind_template_callback (widget_class, tiles_reset_cb);
}

static void
dc_preferences_window_init (DcPreferencesWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

DcPreferencesWindow *
dc_preferences_window_new (GtkWindow *parent,
                           GSettings *settings)
{
  DcPreferencesWindow *self;
  g_autofree char *server_url = NULL;
  g_autofree char *tile_url = NULL;

  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);

  self = g_object_new (DC_TYPE_PREFERENCES_WINDOW, "transient-for", parent, NULL);
  self->settings = g_object_ref (settings);

  server_url = g_settings_get_string (settings, "server-url");
  tile_url = g_settings_get_string (settings, "tile-url");
  gtk_editable_set_text (GTK_EDITABLE (self->server_row), server_url);
  gtk_editable_set_text (GTK_EDITABLE (self->tiles_row), tile_url);
  bind_combo (self, "units", self->units_row, unit_nicks);
  bind_combo (self, "color-scheme", self->style_row, style_nicks);

  return self;
}
