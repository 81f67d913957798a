/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "dc-json.h"
#include "dc-scope.h"

struct _DcScope
{
  GObject parent_instance;

  DcClient *client;
  GStrv teams;
  char *label;
  GCancellable *cancellable;
};

G_DEFINE_FINAL_TYPE (DcScope, dc_scope, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_LABEL,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
set_teams (DcScope *self,
           GStrv    teams)
{
  g_strfreev (self->teams);
  self->teams = teams;
  g_free (self->label);
  self->label = NULL;
  if (teams[0] != NULL)
    {
      g_autofree char *names = g_strjoinv (", ", teams);

      self->label = g_strdup_printf (ngettext ("Team: %s", "Teams: %s", g_strv_length (teams)),
                                     names);
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LABEL]);
}

static void
me_cb (GObject      *object,
       GAsyncResult *result,
       gpointer      user_data)
{
  g_autoptr(DcScope) self = user_data;
  g_autoptr(JsonObject) me = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GStrvBuilder) names = g_strv_builder_new ();
  JsonArray *teams;

  me = dc_client_request_finish (DC_CLIENT (object), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (me == NULL)
    {
      /* a server from before teams: it scopes nobody */
      g_debug ("No scope: %s", error->message);
      return;
    }

  if ((teams = dc_json_array (me, "teams")) != NULL)
    for (guint i = 0; i < json_array_get_length (teams); i++)
      {
        const char *name = dc_json_string (json_array_get_object_element (teams, i), "name");

        if (name != NULL)
          g_strv_builder_add (names, name);
      }
  set_teams (self, g_strv_builder_end (names));
}

static void
authenticated_cb (DcScope *self)
{
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  set_teams (self, g_new0 (char *, 1));

  if (!dc_client_get_authenticated (self->client))
    return;
  self->cancellable = g_cancellable_new ();
  dc_client_request_async (self->client, "GET", "/api/v1/users/me", NULL, self->cancellable,
                           me_cb, g_object_ref (self));
}

static void
dc_scope_dispose (GObject *object)
{
  DcScope *self = DC_SCOPE (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->client);

  G_OBJECT_CLASS (dc_scope_parent_class)->dispose (object);
}

static void
dc_scope_finalize (GObject *object)
{
  DcScope *self = DC_SCOPE (object);

  g_strfreev (self->teams);
  g_free (self->label);

  G_OBJECT_CLASS (dc_scope_parent_class)->finalize (object);
}

static void
dc_scope_get_property (GObject    *object,
                       guint       prop_id,
                       GValue     *value,
                       GParamSpec *pspec)
{
  DcScope *self = DC_SCOPE (object);

  switch (prop_id)
    {
    case PROP_LABEL:
      g_value_set_string (value, self->label);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dc_scope_class_init (DcScopeClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = dc_scope_dispose;
  object_class->finalize = dc_scope_finalize;
  object_class->get_property = dc_scope_get_property;

  properties[PROP_LABEL] =
    g_param_spec_string ("label", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
dc_scope_init (DcScope *self)
{
  self->teams = g_new0 (char *, 1);
}

DcScope *
dc_scope_new (DcClient *client)
{
  DcScope *self = g_object_new (DC_TYPE_SCOPE, NULL);

  self->client = g_object_ref (client);
  g_signal_connect_object (client, "notify::authenticated", G_CALLBACK (authenticated_cb), self,
                           G_CONNECT_SWAPPED);
  authenticated_cb (self);

  return self;
}

const char * const *
dc_scope_get_teams (DcScope *self)
{
  g_return_val_if_fail (DC_IS_SCOPE (self), NULL);

  return (const char * const *) self->teams;
}

const char *
dc_scope_get_label (DcScope *self)
{
  g_return_val_if_fail (DC_IS_SCOPE (self), NULL);

  return self->label;
}
