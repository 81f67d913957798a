/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <shumate/shumate.h>

#include "dc-application.h"
#include "dc-preferences-window.h"
#include "dc-window.h"

struct _DcApplication
{
  AdwApplication parent_instance;

  DcContext *context;

  /* from the command line, for the first window */
  char *server_url;
  char *username;
};

G_DEFINE_FINAL_TYPE (DcApplication, dc_application, ADW_TYPE_APPLICATION)

static gboolean
nick_to_color_scheme (GValue   *value,
                      GVariant *variant,
                      gpointer  user_data)
{
  const char *nick = g_variant_get_string (variant, NULL);

  if (g_str_equal (nick, "light"))
    g_value_set_enum (value, ADW_COLOR_SCHEME_FORCE_LIGHT);
  else if (g_str_equal (nick, "dark"))
    g_value_set_enum (value, ADW_COLOR_SCHEME_FORCE_DARK);
  else
    g_value_set_enum (value, ADW_COLOR_SCHEME_DEFAULT);

  return TRUE;
}

static void
quit_action (GSimpleAction *action,
             GVariant      *parameter,
             gpointer       user_data)
{
  g_application_quit (G_APPLICATION (user_data));
}

static void
preferences_action (GSimpleAction *action,
                    GVariant      *parameter,
                    gpointer       user_data)
{
  DcApplication *self = user_data;
  GtkWindow *parent = gtk_application_get_active_window (GTK_APPLICATION (self));

  gtk_window_present (GTK_WINDOW (dc_preferences_window_new (
    parent, dc_context_get_settings (self->context))));
}

/* From a desktop notification: the window comes up showing the order or
 * driver (win.select-order, win.select-driver). */
static void
select_action (GSimpleAction *action,
               GVariant      *parameter,
               gpointer       user_data)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (user_data));
  g_autofree char *name = NULL;

  if (window == NULL)
    return;

  name = g_strconcat ("win.", g_action_get_name (G_ACTION (action)), NULL);
  gtk_window_present (window);
  gtk_widget_activate_action_variant (GTK_WIDGET (window), name, parameter);
}

static void
about_action (GSimpleAction *action,
              GVariant      *parameter,
              gpointer       user_data)
{
  GtkApplication *application = user_data;
  static const char *developers[] = { "The Dispatch developers", NULL };

  adw_show_about_window (gtk_application_get_active_window (application),
                         "application-name", _("Dispatch"),
                         "application-icon", APPLICATION_ID,
                         "developer-name", "The Dispatch developers",
                         "version", PACKAGE_VERSION,
                         "website", "https://github.com/dispatchd/dispatch",
                         "issue-url", "https://github.com/dispatchd/dispatch/issues",
                         "developers", developers,
                         "copyright", "© 2026 The Dispatch developers",
                         "license-type", GTK_LICENSE_GPL_3_0,
                         /* Translators: put your names here, one per line */
                         "translator-credits", _("translator-credits"),
                         NULL);
}

static const GOptionEntry main_options[] = {
  { "server", 's', 0, G_OPTION_ARG_STRING, NULL,
    N_("Address of the dispatchd server to sign in to"), N_("URL") },
  { "username", 'u', 0, G_OPTION_ARG_STRING, NULL,
    N_("User to sign in as; with the password in DISPATCH_CONSOLE_PASSWORD, signs in at once"),
    N_("NAME") },
  { NULL },
};

static const GActionEntry app_actions[] = {
  { "quit", quit_action },
  { "preferences", preferences_action },
  { "about", about_action },
  { "select-order", select_action, "s" },
  { "select-driver", select_action, "s" },
};

static void
dc_application_startup (GApplication *application)
{
  DcApplication *self = DC_APPLICATION (application);
  g_autofree char *user_agent = NULL;

  G_APPLICATION_CLASS (dc_application_parent_class)->startup (application);

  user_agent = g_strdup_printf ("dispatch-console/%s (%s)", PACKAGE_VERSION, APPLICATION_ID);
  shumate_set_user_agent (user_agent);
  g_set_application_name (_("Dispatch"));
  gtk_window_set_default_icon_name (APPLICATION_ID);

  self->context = dc_context_new ();
  g_settings_bind_with_mapping (dc_context_get_settings (self->context), "color-scheme",
                                adw_style_manager_get_default (), "color-scheme",
                                G_SETTINGS_BIND_GET, nick_to_color_scheme, NULL, NULL, NULL);

  g_action_map_add_action_entries (G_ACTION_MAP (self), app_actions,
                                   G_N_ELEMENTS (app_actions), self);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.quit",
                                         (const char *[]) { "<Control>q", NULL });
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.preferences",
                                         (const char *[]) { "<Control>comma", NULL });
}

static int
dc_application_handle_local_options (GApplication *application,
                                     GVariantDict *options)
{
  DcApplication *self = DC_APPLICATION (application);

  g_variant_dict_lookup (options, "server", "s", &self->server_url);
  g_variant_dict_lookup (options, "username", "s", &self->username);

  return -1;
}

static void
dc_application_activate (GApplication *application)
{
  DcApplication *self = DC_APPLICATION (application);
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

  if (window != NULL)
    {
      gtk_window_present (window);
      return;
    }

  window = GTK_WINDOW (dc_window_new (GTK_APPLICATION (self), self->context));
  gtk_window_present (window);

  /* The command line wins over the session kept from last time; with a
   * password in the environment it signs in unattended (benchmarks,
   * kiosks). */
  if (self->server_url != NULL || self->username != NULL)
    dc_window_sign_in (DC_WINDOW (window), self->server_url, self->username,
                       g_getenv ("DISPATCH_CONSOLE_PASSWORD"));
  else
    dc_context_restore_session (self->context);
}

static void
dc_application_shutdown (GApplication *application)
{
  DcApplication *self = DC_APPLICATION (application);

  G_APPLICATION_CLASS (dc_application_parent_class)->shutdown (application);

  g_clear_object (&self->context);
}

static void
dc_application_finalize (GObject *object)
{
  DcApplication *self = DC_APPLICATION (object);

  g_clear_pointer (&self->server_url, g_free);
  g_clear_pointer (&self->username, g_free);

  G_OBJECT_CLASS (dc_application_parent_class)->finalize (object);
}

static void
dc_application_class_init (DcApplicationClass *klass)
{
  GApplicationClass *application_class = G_APPLICATION_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = dc_application_finalize;

  application_class->handle_local_options = dc_application_handle_local_options;
  application_class->startup = dc_application_startup;
  application_class->activate = dc_application_activate;
  application_class->shutdown = dc_application_shutdown;
}

static void
dc_application_init (DcApplication *self)
{
  g_application_add_main_option_entries (G_APPLICATION (self), main_options);
}

DcApplication *
dc_application_new (void)
{
  return g_object_new (DC_TYPE_APPLICATION,
                       "application-id", APPLICATION_ID,
                       "flags", G_APPLICATION_DEFAULT_FLAGS,
                       "resource-base-path", "/io/github/dispatchd/Console",
                       NULL);
}

DcContext *
dc_application_get_context (DcApplication *self)
{
  g_return_val_if_fail (DC_IS_APPLICATION (self), NULL);

  return self->context;
}
