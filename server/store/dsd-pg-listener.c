/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-store"

#include "config.h"

#include <string.h>

#include "dsd-pg-connection.h"
#include "dsd-pg-listener.h"
#include "dsd-pg-pool.h"

struct _DsdPgListener
{
  GObject          parent_instance;

  char            *conninfo;
  char            *channel;

  DsdPgConnection *connection;
  gboolean         listening;
  /* LISTEN succeeded before: the next success follows a reconnection */
  gboolean         listened;
};

G_DEFINE_FINAL_TYPE (DsdPgListener, dsd_pg_listener, G_TYPE_OBJECT)

enum {
  NOTIFY_RECEIVED,
  RECONNECTED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

enum {
  PROP_0,
  PROP_LISTENING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
set_listening (DsdPgListener *self,
               gboolean       listening)
{
  if (self->listening == listening)
    return;

  self->listening = listening;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LISTENING]);
}

static void
listen_cb (DsdPgConnection *connection,
           PGresult        *result,
           gpointer         user_data)
{
  DsdPgListener *self = user_data;
  g_autoptr(PGresult) owned = result;

  /* NULL: the connection went away first and will come back. */
  if (result == NULL)
    return;

  if (PQresultStatus (result) != PGRES_COMMAND_OK)
    {
      g_warning ("LISTEN %s failed: %s", self->channel,
                 PQresultErrorField (result, PG_DIAG_MESSAGE_PRIMARY));
      return;
    }

  set_listening (self, TRUE);

  if (self->listened)
    {
      g_message ("Listening on %s again", self->channel);
      g_signal_emit (self, signals[RECONNECTED], 0);
    }
  self->listened = TRUE;
}

static void
connected_cb (DsdPgConnection *connection,
              DsdPgListener   *self)
{
  PGconn *pg = dsd_pg_connection_get_pgconn (connection);
  char *channel = PQescapeIdentifier (pg, self->channel, strlen (self->channel));
  g_autofree char *sql = g_strdup_printf ("LISTEN %s", channel);

  PQfreemem (channel);
  dsd_pg_connection_send_query (connection, sql, listen_cb, self);
}

static void
disconnected_cb (DsdPgConnection *connection,
                 const char      *message,
                 DsdPgListener   *self)
{
  if (self->listening)
    g_message ("LISTEN connection for %s lost: %s", self->channel, message);

  set_listening (self, FALSE);
}

static void
notification_cb (DsdPgConnection *connection,
                 const char      *channel,
                 const char      *payload,
                 DsdPgListener   *self)
{
  if (g_strcmp0 (channel, self->channel) == 0)
    g_signal_emit (self, signals[NOTIFY_RECEIVED], 0, payload);
}

static void
dsd_pg_listener_dispose (GObject *object)
{
  dsd_pg_listener_stop (DSD_PG_LISTENER (object));

  G_OBJECT_CLASS (dsd_pg_listener_parent_class)->dispose (object);
}

static void
dsd_pg_listener_finalize (GObject *object)
{
  DsdPgListener *self = DSD_PG_LISTENER (object);

  g_clear_pointer (&self->conninfo, g_free);
  g_clear_pointer (&self->channel, g_free);

  G_OBJECT_CLASS (dsd_pg_listener_parent_class)->finalize (object);
}

static void
dsd_pg_listener_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  DsdPgListener *self = DSD_PG_LISTENER (object);

  switch (prop_id)
    {
    case PROP_LISTENING:
      g_value_set_boolean (value, self->listening);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dsd_pg_listener_class_init (DsdPgListenerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = dsd_pg_listener_dispose;
  object_class->finalize = dsd_pg_listener_finalize;
  object_class->get_property = dsd_pg_listener_get_property;

  properties[PROP_LISTENING] =
    g_param_spec_boolean ("listening", NULL, NULL,
                          FALSE,
                          (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[NOTIFY_RECEIVED] =
    g_signal_new ("notify-received",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_STRING);

  signals[RECONNECTED] =
    g_signal_new ("reconnected",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);
}

static void
dsd_pg_listener_init (DsdPgListener *self)
{
}

DsdPgListener *
dsd_pg_listener_new (const char *conninfo,
                     const char *channel)
{
  DsdPgListener *self;

  g_return_val_if_fail (conninfo != NULL, NULL);
  g_return_val_if_fail (channel != NULL, NULL);

  self = g_object_new (DSD_TYPE_PG_LISTENER, NULL);
  self->conninfo = g_strdup (conninfo);
  self->channel = g_strdup (channel);

  return self;
}

void
dsd_pg_listener_start (DsdPgListener *self)
{
  g_return_if_fail (DSD_IS_PG_LISTENER (self));

  if (self->connection != NULL)
    return;

  self->connection = dsd_pg_connection_new (self->conninfo);
  g_signal_connect (self->connection, "connected", G_CALLBACK (connected_cb), self);
  g_signal_connect (self->connection, "disconnected", G_CALLBACK (disconnected_cb), self);
  g_signal_connect (self->connection, "notification", G_CALLBACK (notification_cb), self);
  dsd_pg_connection_start (self->connection);
}

void
dsd_pg_listener_stop (DsdPgListener *self)
{
  g_return_if_fail (DSD_IS_PG_LISTENER (self));

  if (self->connection == NULL)
    return;

  g_signal_handlers_disconnect_by_data (self->connection, self);
  dsd_pg_connection_close (self->connection);
  g_clear_object (&self->connection);
  self->listened = FALSE;
  set_listening (self, FALSE);
}

gboolean
dsd_pg_listener_is_listening (DsdPgListener *self)
{
  g_return_val_if_fail (DSD_IS_PG_LISTENER (self), FALSE);

  return self->listening;
}
