/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-ws"

#include "config.h"

#include "dispatch-json.h"
#include "dsd-tracking-stream.h"

#define LOW_WATER (64 * 1024)
#define N_VARIANTS 2

static const char tracking_sql[] =
  "SELECT dispatch.order_tracking($1::jsonb, $2)::text";
static const char public_order_sql[] =
  "SELECT dispatch.track_public_order($1)::text";

/*
 * An order followed for at least one client (or for a check that is reading
 * it: a pin, so that no change is missed between the read and the upgrade).
 * Found by order id, by public token, and by driver (for the fleet's moves).
 */
typedef struct {
  DsdTrackingStream *stream;
  guint              ref_count;
  DsdTrackedOrder    order;
  char              *id_key;          /* in by_id under it */
  char              *token;           /* in by_token under it */
  char              *driver_key;      /* in by_driver under it */
  GPtrArray         *watchers[N_VARIANTS];
  GBytes            *frames[N_VARIANTS];  /* the latest object per variant */
  gboolean           dirty;
} Watch;

typedef struct {
  Watch              *watch;
  DsdWsClient        *client;
  DsdTrackingVariant  variant;
  GBytes             *sent;           /* the latest frame it got */
} Watcher;

struct _DsdTrackingStream {
  GObject       parent_instance;

  DsdContext   *context;
  DsdWsClients *clients[N_VARIANTS];
  GHashTable   *by_id;       /* order id → Watch */
  GHashTable   *by_token;    /* tracking token → Watch */
  GHashTable   *by_driver;   /* driver id → GPtrArray of Watch */
  GPtrArray    *dirty;       /* Watch to render at the end of this iteration */
  guint         flush_id;
};

G_DEFINE_FINAL_TYPE (DsdTrackingStream, dsd_tracking_stream, G_TYPE_OBJECT)

static GQuark pin_quark;

static void watch_flush (Watch *watch);

/* Watches ------------------------------------------------------------------ */

static Watch *
watch_new (DsdTrackingStream *self)
{
  Watch *watch = g_new0 (Watch, 1);

  watch->stream = self;
  watch->ref_count = 1;
  watch->order.eta_seconds = -1;
  for (guint v = 0; v < N_VARIANTS; v++)
    watch->watchers[v] = g_ptr_array_new ();

  return watch;
}

static Watch *
watch_ref (Watch *watch)
{
  watch->ref_count++;
  return watch;
}

static void
unindex_driver (Watch *watch)
{
  GPtrArray *watches;

  if (watch->driver_key == NULL)
    return;

  watches = g_hash_table_lookup (watch->stream->by_driver, watch->driver_key);
  g_ptr_array_remove_fast (watches, watch);
  if (watches->len == 0)
    g_hash_table_remove (watch->stream->by_driver, watch->driver_key);
  g_clear_pointer (&watch->driver_key, g_free);
}

/* Files the watch under its driver, for the fleet's changes. */
static void
index_driver (Watch *watch)
{
  GHashTable *by_driver = watch->stream->by_driver;
  GPtrArray *watches;

  if (g_strcmp0 (watch->driver_key, watch->order.driver_id) == 0)
    return;

  unindex_driver (watch);
  if (watch->order.driver_id == NULL)
    return;

  watch->driver_key = g_strdup (watch->order.driver_id);
  watches = g_hash_table_lookup (by_driver, watch->driver_key);
  if (watches == NULL)
    {
      watches = g_ptr_array_new ();
      g_hash_table_insert (by_driver, g_strdup (watch->driver_key), watches);
    }
  g_ptr_array_add (watches, watch);
}

static void
watch_unref (Watch *watch)
{
  DsdTrackingStream *self = watch->stream;

  if (--watch->ref_count > 0)
    return;

  if (watch->id_key != NULL)
    g_hash_table_remove (self->by_id, watch->id_key);
  if (watch->token != NULL && g_hash_table_lookup (self->by_token, watch->token) == watch)
    g_hash_table_remove (self->by_token, watch->token);
  unindex_driver (watch);
  if (watch->dirty)
    g_ptr_array_remove_fast (self->dirty, watch);

  for (guint v = 0; v < N_VARIANTS; v++)
    {
      g_ptr_array_unref (watch->watchers[v]);
      g_clear_pointer (&watch->frames[v], g_bytes_unref);
    }
  dsd_tracked_order_clear (&watch->order);
  g_free (watch->id_key);
  g_free (watch->token);
  g_free (watch);
}

static gboolean
flush_cb (gpointer user_data)
{
  DsdTrackingStream *self = user_data;
  g_autoptr(GPtrArray) dirty = g_steal_pointer (&self->dirty);

  self->flush_id = 0;
  self->dirty = g_ptr_array_new ();

  for (guint i = 0; i < dirty->len; i++)
    {
      Watch *watch = g_ptr_array_index (dirty, i);

      watch->dirty = FALSE;
      watch_flush (watch);
    }

  return G_SOURCE_REMOVE;
}

/* Renders at the end of this main-loop iteration: a move that also changes
 * the ETA makes one frame. */
static void
watch_changed (Watch *watch)
{
  DsdTrackingStream *self = watch->stream;

  index_driver (watch);
  if (watch->dirty)
    return;

  watch->dirty = TRUE;
  g_ptr_array_add (self->dirty, watch);
  if (self->flush_id == 0)
    self->flush_id = g_idle_add_full (G_PRIORITY_DEFAULT, flush_cb, self, NULL);
}

static void
watcher_send (Watcher *w)
{
  GBytes *frame = w->watch->frames[w->variant];
  gboolean finished = dsd_tracked_order_is_finished (&w->watch->order);

  if (frame == NULL || frame == w->sent)
    return;

  /* Behind: it gets the latest object once it has caught up (::drained). */
  if (!finished && dsd_ws_client_get_queued (w->client) > LOW_WATER)
    return;

  g_clear_pointer (&w->sent, g_bytes_unref);
  w->sent = g_bytes_ref (frame);
  dsd_ws_client_send (w->client, frame);

  if (finished)
    dsd_ws_client_close (w->client, SOUP_WEBSOCKET_CLOSE_NORMAL, "order finished", FALSE);
}

static void
watch_flush (Watch *watch)
{
  DsdTrackingStream *self = watch->stream;

  if (watch->order.status == NULL)
    return;

  for (guint v = 0; v < N_VARIANTS; v++)
    {
      g_autoptr(GBytes) frame = NULL;

      if (watch->watchers[v]->len == 0)
        {
          g_clear_pointer (&watch->frames[v], g_bytes_unref);
          continue;
        }

      frame = dsd_tracked_order_render (&watch->order, v,
                                        dsd_context_get (self->context, DSD_TYPE_FLEET),
                                        dsd_context_get (self->context, DSD_TYPE_ETA_TRACKER));
      if (watch->frames[v] == NULL || !g_bytes_equal (frame, watch->frames[v]))
        {
          g_clear_pointer (&watch->frames[v], g_bytes_unref);
          watch->frames[v] = g_steal_pointer (&frame);
        }

      for (guint i = 0; i < watch->watchers[v]->len; i++)
        watcher_send (g_ptr_array_index (watch->watchers[v], i));
    }
}

/* Pins ---------------------------------------------------------------------
 *
 * A check holds its watch as data of the request, released with the request
 * whatever becomes of the upgrade.
 */

static Watch *
get_pin (DsdRequest *request)
{
  return dsd_request_get_data (request, pin_quark);
}

static void
set_pin (DsdRequest *request,
         Watch      *watch)
{
  dsd_request_set_data (request, pin_quark, watch,
                        watch != NULL ? (GDestroyNotify) watch_unref : NULL);
}

/* The watch filed under key in table (by_id or by_token), or a new one
 * filed there; referenced. */
static Watch *
pin_watch (DsdTrackingStream *self,
           GHashTable        *table,
           const char        *key)
{
  Watch *watch = g_hash_table_lookup (table, key);

  if (watch != NULL)
    return watch_ref (watch);

  watch = watch_new (self);
  if (table == self->by_token)
    watch->token = g_strdup (key);
  else
    watch->id_key = g_strdup (key);
  g_hash_table_insert (table, g_strdup (key), watch);

  return watch;
}

/* A pin found by its token, now that the order is known, joins the watch of
 * that order if there is one (whose token it becomes). */
static Watch *
file_by_id (Watch *pin)
{
  DsdTrackingStream *self = pin->stream;
  Watch *watch;

  if (pin->id_key != NULL)
    return pin;

  watch = g_hash_table_lookup (self->by_id, pin->order.order_id);
  if (watch == NULL)
    {
      pin->id_key = g_strdup (pin->order.order_id);
      g_hash_table_insert (self->by_id, g_strdup (pin->id_key), pin);
      return pin;
    }

  dsd_tracked_order_merge (&watch->order, &pin->order);
  if (watch->token == NULL)
    {
      watch->token = g_strdup (pin->token);
      g_hash_table_replace (self->by_token, g_strdup (watch->token), watch);
    }
  watch_changed (watch);

  return watch;
}

typedef struct {
  DsdTrackingStream *self;
  DsdRequest        *request;
} Check;

static void
check_free (Check *check)
{
  dsd_request_unref (check->request);
  g_object_unref (check->self);
  g_free (check);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Check, check_free)

static Check *
check_new (DsdTrackingStream *self,
           DsdRequest        *request)
{
  Check *check = g_new0 (Check, 1);

  check->self = g_object_ref (self);
  check->request = dsd_request_ref (request);

  return check;
}

/* The database's answer: the object to merge, or NULL after refusing the
 * upgrade with the error. */
static JsonObject *
finish_check (Check        *check,
              GAsyncResult *result)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) rows = NULL;
  JsonObject *object = NULL;

  rows = dsd_pg_pool_query_finish (dsd_context_get (check->self->context, DSD_TYPE_PG_POOL),
                                   result, &error);
  if (rows != NULL && PQgetisnull (rows, 0, 0))
    g_set_error_literal (&error, DISPATCH_ERROR, DISPATCH_ERROR_NOT_FOUND, "not found");
  else if (rows != NULL)
    object = dispatch_json_parse_object (PQgetvalue (rows, 0, 0), PQgetlength (rows, 0, 0),
                                         &error);
  if (object == NULL)
    {
      set_pin (check->request, NULL);
      dsd_request_respond_error (check->request, error);
    }

  return object;
}

static void
order_checked_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(Check) check = user_data;
  g_autoptr(JsonObject) tracking = finish_check (check, result);
  Watch *watch = get_pin (check->request);

  if (tracking == NULL)
    return;

  dsd_tracked_order_merge_tracking (&watch->order, tracking);
  watch_changed (watch);
  dsd_request_accept_websocket (check->request);
}

static void
order_check_cb (DsdRequest *request,
                gpointer    user_data)
{
  DsdTrackingStream *self = user_data;
  g_autofree char *actor = dsd_request_dup_actor_json (request);
  const char *id = dsd_request_get_param (request, "id");
  g_autofree char *key = g_ascii_strdown (id, -1);

  /* Following the order before it is read: no change can fall in between. */
  set_pin (request, pin_watch (self, self->by_id, key));

  dsd_pg_pool_query_async (dsd_context_get (self->context, DSD_TYPE_PG_POOL), tracking_sql, 2,
                           (const char * const[]) { actor, id }, NULL,
                           order_checked_cb, check_new (self, request));
}

static void
public_checked_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(Check) check = user_data;
  g_autoptr(JsonObject) order = finish_check (check, result);
  Watch *pin = get_pin (check->request);
  Watch *watch;

  if (order == NULL)
    return;

  dsd_tracked_order_merge_order (&pin->order, order);
  watch = file_by_id (pin);
  if (watch != pin)
    set_pin (check->request, watch_ref (watch));
  else
    watch_changed (watch);

  dsd_request_accept_websocket (check->request);
}

static void
public_check_cb (DsdRequest *request,
                 gpointer    user_data)
{
  DsdTrackingStream *self = user_data;
  const char *token = dsd_request_get_param (request, "token");

  set_pin (request, pin_watch (self, self->by_token, token));

  dsd_pg_pool_query_async (dsd_context_get (self->context, DSD_TYPE_PG_POOL), public_order_sql, 1,
                           (const char * const[]) { token }, NULL,
                           public_checked_cb, check_new (self, request));
}

/* Clients ------------------------------------------------------------------ */

static void
watcher_free (Watcher *w)
{
  g_ptr_array_remove_fast (w->watch->watchers[w->variant], w);
  g_signal_handlers_disconnect_by_data (w->client, w);
  watch_unref (w->watch);
  g_clear_pointer (&w->sent, g_bytes_unref);
  g_object_unref (w->client);
  g_free (w);
}

static void
watcher_closed_cb (DsdWsClient *client,
                   gpointer     user_data)
{
  watcher_free (user_data);
}

/* Every watch with a client is filed by id (pins live only during checks). */
static void
free_watchers (DsdTrackingStream *self)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->by_id);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Watch *watch = value;

      for (guint v = 0; v < N_VARIANTS; v++)
        if (watch->watchers[v]->len > 0)
          {
            watcher_free (g_ptr_array_index (watch->watchers[v], 0));
            g_hash_table_iter_init (&iter, self->by_id);
            break;
          }
    }
}

static void
watcher_drained_cb (DsdWsClient *client,
                    gpointer     user_data)
{
  watcher_send (user_data);
}

static void
attach (DsdTrackingStream       *self,
        DsdRequest              *request,
        SoupWebsocketConnection *connection,
        DsdTrackingVariant       variant)
{
  Watch *watch = get_pin (request);
  Watcher *w;

  g_return_if_fail (watch != NULL && watch->order.status != NULL);

  w = g_new0 (Watcher, 1);
  w->watch = watch_ref (watch);
  w->variant = variant;
  w->client = g_object_ref (dsd_ws_clients_add (self->clients[variant], connection,
                                               dsd_request_get_principal (request)));
  dsd_ws_client_set_low_water (w->client, LOW_WATER);
  g_signal_connect (w->client, "closed", G_CALLBACK (watcher_closed_cb), w);
  g_signal_connect (w->client, "drained", G_CALLBACK (watcher_drained_cb), w);
  g_ptr_array_add (watch->watchers[variant], w);

  /* The first object now: the others' are brought up to date on the way. */
  if (watch->dirty)
    {
      watch->dirty = FALSE;
      g_ptr_array_remove_fast (self->dirty, watch);
    }
  watch_flush (watch);
}

static void
order_stream_cb (DsdRequest              *request,
                 SoupWebsocketConnection *connection,
                 gpointer                 user_data)
{
  attach (user_data, request, connection, DSD_TRACKING_FULL);
}

static void
public_stream_cb (DsdRequest              *request,
                  SoupWebsocketConnection *connection,
                  gpointer                 user_data)
{
  attach (user_data, request, connection, DSD_TRACKING_PUBLIC);
}

/* What moves the objects ---------------------------------------------------- */

static void
event_cb (DsdEventBus *bus,
          DsdEvent    *event,
          gpointer     user_data)
{
  DsdTrackingStream *self = user_data;
  const char *order_id = dsd_event_get_order_id (event);
  JsonObject *data;
  Watch *watch = NULL;
  JsonNode *token;

  if (order_id == NULL || !g_str_has_prefix (dsd_event_get_type_name (event), "order."))
    return;

  data = dsd_event_get_data (event);

  watch = g_hash_table_lookup (self->by_id, order_id);
  if (watch == NULL && (token = json_object_get_member (data, "tracking_token")) != NULL &&
      JSON_NODE_HOLDS_VALUE (token) && json_node_get_value_type (token) == G_TYPE_STRING)
    watch = g_hash_table_lookup (self->by_token, json_node_get_string (token));

  if (watch != NULL && dsd_tracked_order_merge_order (&watch->order, data))
    watch_changed (watch);
}

static void
driver_changed_cb (DsdFleet   *fleet,
                   const char *driver_id,
                   gpointer    user_data)
{
  DsdTrackingStream *self = user_data;
  GPtrArray *watches = g_hash_table_lookup (self->by_driver, driver_id);

  for (guint i = 0; watches != NULL && i < watches->len; i++)
    {
      Watch *watch = g_ptr_array_index (watches, i);

      if (dsd_tracked_order_is_active (&watch->order))
        watch_changed (watch);
    }
}

static void
eta_changed_cb (DsdEtaTracker *eta,
                const char    *order_id,
                int            eta_seconds,
                gpointer       user_data)
{
  DsdTrackingStream *self = user_data;
  Watch *watch = g_hash_table_lookup (self->by_id, order_id);

  if (watch != NULL)
    watch_changed (watch);
}

static void
dsd_tracking_stream_dispose (GObject *object)
{
  DsdTrackingStream *self = DSD_TRACKING_STREAM (object);

  if (self->context != NULL)
    {
      GType sources[] = { DSD_TYPE_EVENT_BUS, DSD_TYPE_FLEET, DSD_TYPE_ETA_TRACKER };

      for (guint i = 0; i < G_N_ELEMENTS (sources); i++)
        g_signal_handlers_disconnect_by_data (dsd_context_get (self->context, sources[i]), self);
    }
  g_clear_handle_id (&self->flush_id, g_source_remove);
  free_watchers (self);
  for (guint v = 0; v < N_VARIANTS; v++)
    g_clear_object (&self->clients[v]);
  g_clear_object (&self->context);

  G_OBJECT_CLASS (dsd_tracking_stream_parent_class)->dispose (object);
}

static void
dsd_tracking_stream_finalize (GObject *object)
{
  DsdTrackingStream *self = DSD_TRACKING_STREAM (object);

  g_hash_table_unref (self->by_id);
  g_hash_table_unref (self->by_token);
  g_hash_table_unref (self->by_driver);
  g_ptr_array_unref (self->dirty);

  G_OBJECT_CLASS (dsd_tracking_stream_parent_class)->finalize (object);
}

static void
dsd_tracking_stream_class_init (DsdTrackingStreamClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = dsd_tracking_stream_dispose;
  object_class->finalize = dsd_tracking_stream_finalize;

  pin_quark = g_quark_from_static_string ("dsd-tracking-pin");
}

static void
dsd_tracking_stream_init (DsdTrackingStream *self)
{
  /* Watches remove themselves when the last reference goes. */
  self->by_id = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->by_token = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->by_driver = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                           (GDestroyNotify) g_ptr_array_unref);
  self->dirty = g_ptr_array_new ();
}

DsdTrackingStream *
dsd_tracking_stream_new (DsdContext *context)
{
  DsdTrackingStream *self;
  DsdMetrics *metrics;

  g_return_val_if_fail (DSD_IS_CONTEXT (context), NULL);

  self = g_object_new (DSD_TYPE_TRACKING_STREAM, NULL);
  self->context = g_object_ref (context);
  metrics = dsd_context_get_metrics (context);
  self->clients[DSD_TRACKING_FULL] = dsd_ws_clients_new (metrics, "order");
  self->clients[DSD_TRACKING_PUBLIC] = dsd_ws_clients_new (metrics, "tracking");

  g_signal_connect_object (dsd_context_get (context, DSD_TYPE_EVENT_BUS), "event::state",
                           G_CALLBACK (event_cb), self, 0);
  g_signal_connect_object (dsd_context_get (context, DSD_TYPE_FLEET), "driver-changed",
                           G_CALLBACK (driver_changed_cb), self, 0);
  g_signal_connect_object (dsd_context_get (context, DSD_TYPE_ETA_TRACKER), "eta-changed",
                           G_CALLBACK (eta_changed_cb), self, 0);

  return self;
}

void
dsd_tracking_stream_register (DsdTrackingStream *self,
                              DsdRouter         *router)
{
  g_return_if_fail (DSD_IS_TRACKING_STREAM (self));

  dsd_router_add_websocket (router, "/api/v1/orders/{id}/stream",
                            DSD_ROLE_CUSTOMER | DSD_ROLES_STAFF,
                            order_check_cb, order_stream_cb, self);
  dsd_router_add_websocket (router, "/api/v1/track/{token}/stream", 0,
                            public_check_cb, public_stream_cb, self);
}

DsdWsClients *
dsd_tracking_stream_get_clients (DsdTrackingStream  *self,
                                 DsdTrackingVariant  variant)
{
  g_return_val_if_fail (DSD_IS_TRACKING_STREAM (self), NULL);
  g_return_val_if_fail (variant < N_VARIANTS, NULL);

  return self->clients[variant];
}
