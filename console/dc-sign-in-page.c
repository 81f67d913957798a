/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "dc-format.h"
#include "dc-sign-in-page.h"
#include "dc-template.h"

struct _DcSignInPage
{
  GtkWidget parent_instance;

  DcContext *context;
  GCancellable *cancellable;

  /* template */
  AdwEntryRow *server_row;
  AdwEntryRow *username_row;
  AdwEntryRow *password_row;
  GtkStack *button_stack;
};

G_DEFINE_FINAL_TYPE (DcSignInPage, dc_sign_in_page, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_CONTEXT,
  N_PROPS
};

enum {
  FAILED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static const char *
text_of (AdwEntryRow *row)
{
  return gtk_editable_get_text (GTK_EDITABLE (row));
}

static void
set_busy (DcSignInPage *self,
          gboolean      busy)
{
  /* A focused entry that turns insensitive loses its focus-out event in
   * GTK 4.8 (and warns); leave the form first. */
  if (busy && gtk_widget_get_root (GTK_WIDGET (self)) != NULL)
    gtk_root_set_focus (gtk_widget_get_root (GTK_WIDGET (self)), NULL);

  gtk_stack_set_visible_child_name (self->button_stack, busy ? "busy" : "label");
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "sign-in.submit", !busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->server_row), !busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->username_row), !busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->password_row), !busy);
}

static void
signed_in_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(DcSignInPage) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!dc_context_sign_in_finish (DC_CONTEXT (object), result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;

      set_busy (self, FALSE);
      gtk_widget_grab_focus (GTK_WIDGET (self->password_row));
      g_signal_emit (self, signals[FAILED], 0, dc_format_error (error));
      return;
    }

  set_busy (self, FALSE);
  gtk_editable_set_text (GTK_EDITABLE (self->password_row), "");
}

static void
submit_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  DcSignInPage *self = DC_SIGN_IN_PAGE (widget);

  if (*text_of (self->server_row) == '\0' || *text_of (self->username_row) == '\0')
    {
      g_signal_emit (self, signals[FAILED], 0, _("Enter the server address and your username"));
      return;
    }

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();

  set_busy (self, TRUE);
  dc_context_sign_in_async (self->context, text_of (self->server_row),
                            text_of (self->username_row), text_of (self->password_row),
                            self->cancellable, signed_in_cb, g_object_ref (self));
}

static void
submit_cb (DcSignInPage *self)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "sign-in.submit", NULL);
}

static void
next_cb (DcSignInPage *self)
{
  gtk_widget_child_focus (GTK_WIDGET (self), GTK_DIR_TAB_FORWARD);
}

static void
dc_sign_in_page_dispose (GObject *object)
{
  DcSignInPage *self = (DcSignInPage *)object;

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  dc_template_dispose (GTK_WIDGET (self), DC_TYPE_SIGN_IN_PAGE);
  g_clear_object (&self->context);

  G_OBJECT_CLASS (dc_sign_in_page_parent_class)->dispose (object);
}

static void
dc_sign_in_page_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  DcSignInPage *self = DC_SIGN_IN_PAGE (object);

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
dc_sign_in_page_class_init (DcSignInPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = dc_sign_in_page_dispose;
  object_class->set_property = dc_sign_in_page_set_property;

  properties[PROP_CONTEXT] =
    g_param_spec_object ("context", NULL, NULL, DC_TYPE_CONTEXT,
                         G_PARAM_WRITABLE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[FAILED] =
    g_signal_new ("failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/dispatchd/Console/dc-sign-in-page.ui");
  gtk_widget_class_bind_template_child (widget_class, DcSignInPage, server_row);
  gtk_widget_class_bind_template_child (widget_class, DcSignInPage, username_row);
  gtk_widget_class_bind_template_child (widget_class, DcSignInPage, password_row);
  gtk_widget_class_bind_template_child (widget_class, DcSignInPage, button_stack);
  gtk_widget_class_bind_template_callback (widget_class, submit_cb);
  gtk_widget_class_bind_template_callback (widget_class, next_cb);

  gtk_widget_class_install_action (widget_class, "sign-in.submit", NULL, submit_action);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
dc_sign_in_page_init (DcSignInPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

DcSignInPage *
dc_sign_in_page_new (DcContext *context)
{
  g_return_val_if_fail (DC_IS_CONTEXT (context), NULL);

  return g_object_new (DC_TYPE_SIGN_IN_PAGE, "context", context, NULL);
}

void
dc_sign_in_page_reset (DcSignInPage *self)
{
  GSettings *settings;
  g_autofree char *server_url = NULL;
  g_autofree char *username = NULL;

  g_return_if_fail (DC_IS_SIGN_IN_PAGE (self));

  settings = dc_context_get_settings (self->context);
  server_url = g_settings_get_string (settings, "server-url");
  username = g_settings_get_string (settings, "last-username");
  gtk_editable_set_text (GTK_EDITABLE (self->server_row), server_url);
  gtk_editable_set_text (GTK_EDITABLE (self->username_row), username);
  gtk_editable_set_text (GTK_EDITABLE (self->password_row), "");

  gtk_widget_grab_focus (GTK_WIDGET (*username == '\0' ? self->username_row
                                                        : self->password_row));
}

void
dc_sign_in_page_fill (DcSignInPage *self,
                      const char   *server_url,
                      const char   *username,
                      const char   *password)
{
  g_return_if_fail (DC_IS_SIGN_IN_PAGE (self));

  if (server_url != NULL)
    gtk_editable_set_text (GTK_EDITABLE (self->server_row), server_url);
  if (username != NULL)
    gtk_editable_set_text (GTK_EDITABLE (self->username_row), username);
  if (password != NULL)
    gtk_editable_set_text (GTK_EDITABLE (self->password_row), password);
}
