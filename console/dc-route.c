/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>

#include "dc-json.h"
#include "dc-route.h"

struct _DcRoute
{
  GObject parent_instance;

  DcClient *client;
  char *driver_id;
  GArray *stops;
  gint64 updated_at;
  GCancellable *cancellable;
};

G_DEFINE_FINAL_TYPE (DcRoute, dc_route, G_TYPE_OBJECT)

enum {
  CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
stop_clear (gpointer data)
{
  DcRouteStop *stop = data;

  g_free (stop->order_id);
  g_free (stop->address);
}

/* A stop as the server sends it; FALSE when a required member is missing
 * or out of range. */
static gboolean
read_stop (JsonNode    *node,
           DcRouteStop *stop)
{
  JsonObject *object, *location;
  const char *kind;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    return FALSE;
  object = json_node_get_object (node);
  location = dc_json_object (object, "location");
  kind = dc_json_string (object, "kind");
  if (dc_json_string (object, "order_id") == NULL || location == NULL ||
      !json_object_has_member (location, "lat") || !json_object_has_member (location, "lon"))
    return FALSE;

  if (g_strcmp0 (kind, "pickup") == 0)
    stop->kind = DC_STOP_PICKUP;
  else if (g_strcmp0 (kind, "dropoff") == 0)
    stop->kind = DC_STOP_DROPOFF;
  else
    return FALSE;

  stop->lat = dc_json_double (location, "lat", G_MAXDOUBLE);
  stop->lon = dc_json_double (location, "lon", G_MAXDOUBLE);
  if (fabs (stop->lat) > 90 || fabs (stop->lon) > 180)
    return FALSE;

  stop->order_id = g_strdup (dc_json_string (object, "order_id"));
  stop->address = g_strdup (dc_json_string (location, "address"));
  stop->eta = dc_json_timestamp (object, "eta");
  stop->ready_at = dc_json_timestamp (object, "ready_at");
  stop->deliver_before = dc_json_timestamp (object, "deliver_before");

  return TRUE;
}

gboolean
dc_route_apply_json (DcRoute    *self,
                     JsonObject *object)
{
  g_autoptr(GArray) stops = NULL;
  JsonArray *items;
  gint64 updated_at;

  g_return_val_if_fail (DC_IS_ROUTE (self), FALSE);
  g_return_val_if_fail (object != NULL, FALSE);

  items = dc_json_array (object, "stops");
  updated_at = dc_json_timestamp (object, "updated_at");
  if (self->driver_id == NULL || items == NULL ||
      g_strcmp0 (dc_json_string (object, "driver_id"), self->driver_id) != 0 ||
      updated_at < self->updated_at)
    return FALSE;

  stops = g_array_sized_new (FALSE, TRUE, sizeof (DcRouteStop), json_array_get_length (items));
  g_array_set_clear_func (stops, stop_clear);
  for (guint i = 0; i < json_array_get_length (items); i++)
    {
      DcRouteStop stop = { 0 };

      if (!read_stop (json_array_get_element (items, i), &stop))
        {
          g_debug ("route: stop %u of driver %s does not read", i, self->driver_id);
          return FALSE;
        }
      g_array_append_val (stops, stop);
    }

  g_clear_pointer (&self->stops, g_array_unref);
  self->stops = g_steal_pointer (&stops);
  self->updated_at = updated_at;
  g_signal_emit (self, signals[CHANGED], 0);

  return TRUE;
}

static void
fetched_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(DcRoute) self = user_data;
  g_autoptr(JsonObject) route = NULL;
  g_autoptr(GError) error = NULL;

  route = dc_client_request_finish (DC_CLIENT (object), result, &error);
  if (route != NULL)
    dc_route_apply_json (self, route);
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_debug ("route: none for driver %s: %s", self->driver_id, error->message);
}

/* Asks the server for the followed driver's route. */
static void
fetch (DcRoute *self)
{
  g_autofree char *path = NULL;

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->driver_id == NULL || self->client == NULL)
    return;

  self->cancellable = g_cancellable_new ();
  path = g_strdup_printf ("/api/v1/drivers/%s/route", self->driver_id);
  dc_client_request_async (self->client, "GET", path, NULL, self->cancellable, fetched_cb,
                           g_object_ref (self));
}

/* Back in sync after a reconnection: driver.route events may have been
 * missed meanwhile (a resume replays only state events). */
static void
stream_state_cb (DcRoute    *self,
                 GParamSpec *pspec,
                 DcStream   *stream)
{
  if (dc_stream_get_state (stream) == DC_CONNECTION_LIVE)
    fetch (self);
}

static void
route_event_cb (DcRoute    *self,
                const char *type,
                JsonObject *data)
{
  dc_route_apply_json (self, data);
}

static void
dc_route_dispose (GObject *object)
{
  DcRoute *self = DC_ROUTE (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->client);

  G_OBJECT_CLASS (dc_route_parent_class)->dispose (object);
}

static void
dc_route_finalize (GObject *object)
{
  DcRoute *self = DC_ROUTE (object);

  g_clear_pointer (&self->driver_id, g_free);
  g_clear_pointer (&self->stops, g_array_unref);

  G_OBJECT_CLASS (dc_route_parent_class)->finalize (object);
}

static void
dc_route_class_init (DcRouteClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = dc_route_dispose;
  object_class->finalize = dc_route_finalize;

  signals[CHANGED] =
    g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 0);
}

static void
dc_route_init (DcRoute *self)
{
  self->stops = g_array_new (FALSE, TRUE, sizeof (DcRouteStop));
  g_array_set_clear_func (self->stops, stop_clear);
}

DcRoute *
dc_route_new (DcClient *client,
              DcStream *stream)
{
  DcRoute *self = g_object_new (DC_TYPE_ROUTE, NULL);

  g_return_val_if_fail (client == NULL || DC_IS_CLIENT (client), NULL);
  g_return_val_if_fail (stream == NULL || DC_IS_STREAM (stream), NULL);

  self->client = client != NULL ? g_object_ref (client) : NULL;
  if (stream != NULL)
    {
      g_signal_connect_object (stream, "event::driver.route", G_CALLBACK (route_event_cb),
                               self, G_CONNECT_SWAPPED);
      g_signal_connect_object (stream, "notify::state", G_CALLBACK (stream_state_cb),
                               self, G_CONNECT_SWAPPED);
    }

  return self;
}

void
dc_route_set_driver_id (DcRoute    *self,
                        const char *driver_id)
{
  g_return_if_fail (DC_IS_ROUTE (self));

  if (g_strcmp0 (self->driver_id, driver_id) == 0)
    return;

  g_free (self->driver_id);
  self->driver_id = g_strdup (driver_id);
  self->updated_at = 0;
  g_array_set_size (self->stops, 0);
  g_signal_emit (self, signals[CHANGED], 0);
  fetch (self);
}

const char *
dc_route_get_driver_id (DcRoute *self)
{
  g_return_val_if_fail (DC_IS_ROUTE (self), NULL);

  return self->driver_id;
}

guint
dc_route_get_n_stops (DcRoute *self)
{
  g_return_val_if_fail (DC_IS_ROUTE (self), 0);

  return self->stops->len;
}

const DcRouteStop *
dc_route_get_stop (DcRoute *self,
                   guint    index)
{
  g_return_val_if_fail (DC_IS_ROUTE (self), NULL);
  g_return_val_if_fail (index < self->stops->len, NULL);

  return &g_array_index (self->stops, DcRouteStop, index);
}
