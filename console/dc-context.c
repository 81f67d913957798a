/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "dc-context.h"
#include "dc-credentials.h"
#include "dc-driver.h"
#include "dc-order.h"

struct _DcContext
{
  GObject parent_instance;

  GSettings *settings;
  DcClient *client;
  DcStore *orders;
  DcFinishedOrders *finished;
  DcStore *drivers;
  DcStream *stream;
  DcAlerts *alerts;
  DcClock *clock;
  DcScope *scope;
};

G_DEFINE_FINAL_TYPE (DcContext, dc_context, G_TYPE_OBJECT)

static void
stored_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  /* Without a keyring the console still works; it just asks again next time. */
  if (!dc_credentials_store_finish (result, &error))
    g_message ("Could not keep the token in the keyring: %s", error->message);
}

static void
cleared_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!dc_credentials_clear_finish (result, &error))
    g_message ("Could not remove the token from the keyring: %s", error->message);
}

static void
forget_token (DcContext *self)
{
  dc_credentials_clear_async (dc_client_get_server_url (self->client),
                              dc_client_get_username (self->client),
                              NULL, cleared_cb, NULL);
}

static void
authenticated_cb (DcContext  *self,
                  GParamSpec *pspec,
                  DcClient   *client)
{
  if (dc_client_get_authenticated (client))
    dc_stream_start (self->stream);
  else
    dc_stream_stop (self->stream);
}

static void
lookup_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(DcContext) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *token = NULL;
  g_autofree char *server_url = NULL;
  g_autofree char *username = NULL;

  if (!(token = dc_credentials_lookup_finish (result, &error)))
    {
      if (error != NULL)
        g_message ("Could not read the keyring: %s", error->message);
      return;
    }

  if (dc_client_get_authenticated (self->client))
    return;

  server_url = g_settings_get_string (self->settings, "server-url");
  username = g_settings_get_string (self->settings, "last-username");
  dc_client_set_session (self->client, server_url, username, token);
}

static void
sign_in_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  DcClient *client = DC_CLIENT (object);
  g_autoptr(GTask) task = user_data;
  DcContext *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;

  if (!dc_client_sign_in_finish (client, result, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  g_settings_set_string (self->settings, "server-url", dc_client_get_server_url (client));
  g_settings_set_string (self->settings, "last-username", dc_client_get_username (client));
  dc_credentials_store_async (dc_client_get_server_url (client),
                              dc_client_get_username (client),
                              dc_client_get_token (client),
                              NULL, stored_cb, NULL);

  g_task_return_boolean (task, TRUE);
}

static void
dc_context_dispose (GObject *object)
{
  DcContext *self = (DcContext *)object;

  g_clear_object (&self->alerts);
  g_clear_object (&self->scope);
  g_clear_object (&self->clock);
  g_clear_object (&self->stream);
  g_clear_object (&self->finished);
  g_clear_object (&self->orders);
  g_clear_object (&self->drivers);
  g_clear_object (&self->client);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (dc_context_parent_class)->dispose (object);
}

static void
dc_context_class_init (DcContextClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = dc_context_dispose;
}

static void
dc_context_init (DcContext *self)
{
  g_autofree char *journal = NULL;

  self->settings = g_settings_new (APPLICATION_ID);
  self->client = dc_client_new ();
  self->clock = dc_clock_new ();
  self->orders = dc_store_new (DC_TYPE_ORDER);
  self->drivers = dc_store_new (DC_TYPE_DRIVER);
  self->stream = dc_stream_new (self->client, self->orders, self->drivers);
  self->finished = dc_finished_orders_new (self->client, self->stream);
  journal = g_build_filename (g_get_user_data_dir (), "dispatch-console", "alerts.json", NULL);
  self->alerts = dc_alerts_new (self->stream, self->orders, journal);
  self->scope = dc_scope_new (self->client);

  g_signal_connect_object (self->client, "notify::authenticated",
                           G_CALLBACK (authenticated_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->client, "session-expired",
                           G_CALLBACK (forget_token), self, G_CONNECT_SWAPPED);
}

DcScope *
dc_context_get_scope (DcContext *self)
{
  g_return_val_if_fail (DC_IS_CONTEXT (self), NULL);

  return self->scope;
}

DcContext *
dc_context_new (void)
{
  return g_object_new (DC_TYPE_CONTEXT, NULL);
}

GSettings *
dc_context_get_settings (DcContext *self)
{
  g_return_val_if_fail (DC_IS_CONTEXT (self), NULL);

  return self->settings;
}

DcClient *
dc_context_get_client (DcContext *self)
{
  g_return_val_if_fail (DC_IS_CONTEXT (self), NULL);

  return self->client;
}

DcStore *
dc_context_get_orders (DcContext *self)
{
  g_return_val_if_fail (DC_IS_CONTEXT (self), NULL);

  return self->orders;
}

DcFinishedOrders *
dc_context_get_finished_orders (DcContext *self)
{
  g_return_val_if_fail (DC_IS_CONTEXT (self), NULL);

  return self->finished;
}

DcStore *
dc_context_get_drivers (DcContext *self)
{
  g_return_val_if_fail (DC_IS_CONTEXT (self), NULL);

  return self->drivers;
}

DcStream *
dc_context_get_stream (DcContext *self)
{
  g_return_val_if_fail (DC_IS_CONTEXT (self), NULL);

  return self->stream;
}

DcAlerts *
dc_context_get_alerts (DcContext *self)
{
  g_return_val_if_fail (DC_IS_CONTEXT (self), NULL);

  return self->alerts;
}

double
dc_context_get_max_pickup_m (DcContext *self)
{
  g_return_val_if_fail (DC_IS_CONTEXT (self), 0);

  return g_settings_get_double (self->settings, "max-pickup-km") * 1000.0;
}

DcClock *
dc_context_get_clock (DcContext *self)
{
  g_return_val_if_fail (DC_IS_CONTEXT (self), NULL);

  return self->clock;
}

void
dc_context_restore_session (DcContext *self)
{
  g_autofree char *server_url = NULL;
  g_autofree char *username = NULL;

  g_return_if_fail (DC_IS_CONTEXT (self));

  server_url = g_settings_get_string (self->settings, "server-url");
  username = g_settings_get_string (self->settings, "last-username");
  if (*server_url == '\0' || *username == '\0')
    return;

  dc_credentials_lookup_async (server_url, username, NULL, lookup_cb, g_object_ref (self));
}

void
dc_context_sign_in_async (DcContext           *self,
                          const char          *server_url,
                          const char          *username,
                          const char          *password,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (DC_IS_CONTEXT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, dc_context_sign_in_async);

  dc_client_sign_in_async (self->client, server_url, username, password, cancellable,
                           sign_in_cb, task);
}

gboolean
dc_context_sign_in_finish (DcContext     *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (DC_IS_CONTEXT (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

void
dc_context_sign_out (DcContext *self)
{
  g_autoptr(JsonArray) nothing = json_array_new ();

  g_return_if_fail (DC_IS_CONTEXT (self));

  forget_token (self);
  dc_client_set_session (self->client, dc_client_get_server_url (self->client),
                         dc_client_get_username (self->client), NULL);
  dc_stream_forget (self->stream);
  dc_store_reconcile (self->orders, nothing);
  dc_finished_orders_clear (self->finished);
  dc_store_reconcile (self->drivers, nothing);
  dc_alerts_clear (self->alerts);
}
