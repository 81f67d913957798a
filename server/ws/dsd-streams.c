/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-ws"

#include "config.h"

#include "dsd-dispatcher-stream.h"
#include "dsd-driver-stream.h"
#include "dsd-streams.h"
#include "dsd-tracking-stream.h"

/* Longer than a DsdWsStream waits for its last bytes to leave. */
#define STOP_TIMEOUT_MS 3000
/* How often the clients' tokens are checked against the account states. */
#define REVOCATION_CHECK_MS 1000

struct _DsdStreams {
  GObject              parent_instance;

  DsdContext          *context;
  DsdDispatcherStream *dispatcher;
  DsdTrackingStream   *tracking;
  DsdDriverStream     *drivers;
  GPtrArray           *client_sets;   /* DsdWsClients */
  guint                revocation_id;

  GTask               *stop_task;
  guint                stop_timeout_id;
};

G_DEFINE_FINAL_TYPE (DsdStreams, dsd_streams, G_TYPE_OBJECT)

static void
finish_stop (DsdStreams *self)
{
  g_autoptr(GTask) task = g_steal_pointer (&self->stop_task);

  g_clear_handle_id (&self->stop_timeout_id, g_source_remove);
  for (guint i = 0; i < self->client_sets->len; i++)
    g_signal_handlers_disconnect_by_data (g_ptr_array_index (self->client_sets, i), self);

  g_task_return_boolean (task, TRUE);
}

static guint
count_clients (DsdStreams *self)
{
  guint n = 0;

  for (guint i = 0; i < self->client_sets->len; i++)
    n += dsd_ws_clients_get_n_clients (g_ptr_array_index (self->client_sets, i));

  return n;
}

static void
n_clients_cb (GObject    *object,
              GParamSpec *pspec,
              gpointer    user_data)
{
  DsdStreams *self = user_data;

  if (self->stop_task != NULL && count_clients (self) == 0)
    finish_stop (self);
}

static gboolean
stop_timeout_cb (gpointer user_data)
{
  DsdStreams *self = user_data;

  self->stop_timeout_id = 0;
  g_message ("Stopping with %u stream clients still closing", count_clients (self));
  finish_stop (self);

  return G_SOURCE_REMOVE;
}

static gboolean
close_revoked_cb (gpointer user_data)
{
  DsdStreams *self = user_data;

  for (guint i = 0; i < self->client_sets->len; i++)
    dsd_ws_clients_close_revoked (g_ptr_array_index (self->client_sets, i));

  return G_SOURCE_CONTINUE;
}

static void
dsd_streams_dispose (GObject *object)
{
  DsdStreams *self = DSD_STREAMS (object);

  g_clear_handle_id (&self->stop_timeout_id, g_source_remove);
  g_clear_handle_id (&self->revocation_id, g_source_remove);
  g_clear_pointer (&self->client_sets, g_ptr_array_unref);
  /* (the driver stream borrows the dispatcher stream's ring) */
  g_clear_object (&self->drivers);
  g_clear_object (&self->dispatcher);
  g_clear_object (&self->tracking);
  g_clear_object (&self->context);

  G_OBJECT_CLASS (dsd_streams_parent_class)->dispose (object);
}

static void
dsd_streams_class_init (DsdStreamsClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = dsd_streams_dispose;
}

static void
dsd_streams_init (DsdStreams *self)
{
  self->client_sets = g_ptr_array_new_with_free_func (g_object_unref);
}

DsdStreams *
dsd_streams_new (DsdContext *context)
{
  DsdStreams *self;

  g_return_val_if_fail (DSD_IS_CONTEXT (context), NULL);

  self = g_object_new (DSD_TYPE_STREAMS, NULL);
  self->context = g_object_ref (context);

  dsd_ws_clients_register_metrics (dsd_context_get_metrics (context));
  self->dispatcher = dsd_dispatcher_stream_new (context);
  self->tracking = dsd_tracking_stream_new (context);
  self->drivers = dsd_driver_stream_new (context,
                                         dsd_dispatcher_stream_get_ring (self->dispatcher));

  g_ptr_array_add (self->client_sets,
                   g_object_ref (dsd_dispatcher_stream_get_clients (self->dispatcher)));
  g_ptr_array_add (self->client_sets,
                   g_object_ref (dsd_tracking_stream_get_clients (self->tracking,
                                                                  DSD_TRACKING_FULL)));
  g_ptr_array_add (self->client_sets,
                   g_object_ref (dsd_tracking_stream_get_clients (self->tracking,
                                                                  DSD_TRACKING_PUBLIC)));
  g_ptr_array_add (self->client_sets,
                   g_object_ref (dsd_driver_stream_get_clients (self->drivers)));

  return self;
}

void
dsd_streams_register (DsdStreams *self,
                      DsdRouter  *router)
{
  g_return_if_fail (DSD_IS_STREAMS (self));
  g_return_if_fail (DSD_IS_ROUTER (router));

  dsd_dispatcher_stream_register (self->dispatcher, router);
  dsd_tracking_stream_register (self->tracking, router);
  dsd_driver_stream_register (self->drivers, router);
}

void
dsd_streams_set_accounts (DsdStreams       *self,
                          DsdAccountStates *accounts)
{
  g_return_if_fail (DSD_IS_STREAMS (self));
  g_return_if_fail (DSD_IS_ACCOUNT_STATES (accounts));

  for (guint i = 0; i < self->client_sets->len; i++)
    dsd_ws_clients_set_accounts (g_ptr_array_index (self->client_sets, i), accounts);
  if (self->revocation_id == 0)
    self->revocation_id = g_timeout_add (REVOCATION_CHECK_MS, close_revoked_cb, self);
}

void
dsd_streams_stop_async (DsdStreams          *self,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (DSD_IS_STREAMS (self));
  g_return_if_fail (self->stop_task == NULL);

  task = g_task_new (self, NULL, callback, user_data);
  g_task_set_source_tag (task, dsd_streams_stop_async);
  g_clear_handle_id (&self->revocation_id, g_source_remove);

  for (guint i = 0; i < self->client_sets->len; i++)
    {
      DsdWsClients *clients = g_ptr_array_index (self->client_sets, i);

      g_signal_connect (clients, "notify::n-clients", G_CALLBACK (n_clients_cb), self);
      dsd_ws_clients_close_all (clients, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, "server shutting down");
    }

  self->stop_task = g_steal_pointer (&task);
  if (count_clients (self) == 0)
    finish_stop (self);
  else
    self->stop_timeout_id = g_timeout_add (STOP_TIMEOUT_MS, stop_timeout_cb, self);
}

void
dsd_streams_stop_finish (DsdStreams   *self,
                         GAsyncResult *result)
{
  g_return_if_fail (g_task_is_valid (result, self));

  g_task_propagate_boolean (G_TASK (result), NULL);
}
