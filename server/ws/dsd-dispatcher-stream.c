/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-ws"

#include "config.h"

#include <math.h>

#include "dispatch-geo.h"
#include "dispatch-json.h"
#include "dsd-dispatcher-stream.h"
#include "dsd-event-bus.h"
#include "dsd-event-view.h"
#include "dsd-event.h"
#include "dsd-pg-pool.h"
#include "dsd-snapshot-store.h"

#define RING_CAPACITY 4096
/* Queued bytes from which a client's locations are coalesced */
#define LOW_WATER (128 * 1024)
/* Queued bytes (beyond the snapshot) that close the client with 1013 */
#define MAX_BEHIND (4 * 1024 * 1024)
#define COALESCE_INTERVAL_MS 100
#define COALESCED_FRAME_MAX (64 * 1024)
/* The snapshot is taken from the snapshot store (a view of references to its
 * rendered objects) and goes out as one message in parts of about
 * SNAPSHOT_PART bytes, rendered as they are needed: queued while the client
 * has less than SNAPSHOT_WINDOW queued (and again when its queue drains to
 * LOW_WATER); more is rendered once the slowest client of the read has less
 * than SNAPSHOT_READ_AHEAD of parts left. So the server never holds a
 * snapshot of 100,000 orders whole a second time. */
#define SNAPSHOT_PART (64 * 1024)
#define SNAPSHOT_WINDOW (1024 * 1024)
#define SNAPSHOT_READ_AHEAD (2 * 1024 * 1024)

static const char scope_sql[] = "SELECT dispatch.scope_json($1::jsonb)::text";
static const char recent_sql[] =
  "SELECT seq, envelope::text FROM dispatch.stream_recent_events($1)";

typedef struct {
  gint64  seq;
  GBytes *text;
} HeldEvent;

/* One snapshot for the clients that waited for it (its readers), rendered
 * into the parts of one {"type":"snapshot",…} message as they are needed.
 * Parts every reader has queued are dropped. */
typedef struct {
  DsdDispatcherStream *stream;
  GPtrArray           *readers;     /* Subscriber, not owned */
  DsdSnapshotView     *view;
  gboolean             done;        /* every part rendered */
  GPtrArray           *parts;       /* GBytes not yet queued by every reader */
  guint                first_part;  /* the index in the message of parts[0] */
} SnapshotRead;

/* One connected client. */
typedef struct {
  DsdDispatcherStream *stream;
  DsdWsClient         *client;
  GCancellable        *cancellable;
  char                *actor;         /* the caller as the SQL functions take it */
  gint64               since;         /* ?since=, or -1 */
  gboolean             ready;         /* its scope is known: events may come */
  DsdScope            *scope;         /* a dispatcher scoped to teams; NULL: all */
  GArray              *held;          /* HeldEvent until the snapshot is out, then NULL */
  gsize                held_bytes;
  gint64               last_seq;
  SnapshotRead        *read;          /* while the snapshot's parts are being sent */
  guint                next_part;     /* index in the message */
  gsize                allowance;     /* the snapshot's part still queued, on top of MAX_BEHIND */
  gboolean             has_viewport;
  DispatchBBox         viewport;
  GHashTable          *pending;       /* driver id → GBytes item: coalesced locations */
  guint                coalesce_id;
} Subscriber;

/* A driver.location event as the fan-out needs it: worked out once per event,
 * and only when some subscriber needs it. */
typedef struct {
  DsdEvent *event;
  GBytes   *item;
} Location;

struct _DsdDispatcherStream {
  GObject       parent_instance;

  DsdContext   *context;
  DsdWsClients *clients;
  DsdEventRing *ring;
  DsdSnapshotStore *store;
  GPtrArray    *subscribers;   /* Subscriber */
  GCancellable *cancellable;
  /* The shared read still rendering, and the clients that came meanwhile (or
   * before the store was loaded): they wait for the next one. */
  SnapshotRead *reading;
  GPtrArray    *waiting;       /* Subscriber, not owned */
};

G_DEFINE_FINAL_TYPE (DsdDispatcherStream, dsd_dispatcher_stream, G_TYPE_OBJECT)

static void
clear_held_event (gpointer data)
{
  HeldEvent *held = data;

  g_bytes_unref (held->text);
}

static void read_remove (SnapshotRead *read, Subscriber *s);

static void
subscriber_free (Subscriber *s)
{
  g_cancellable_cancel (s->cancellable);
  g_clear_object (&s->cancellable);
  g_clear_pointer (&s->scope, dsd_scope_free);
  g_free (s->actor);
  g_ptr_array_remove_fast (s->stream->waiting, s);
  if (s->read != NULL)
    read_remove (s->read, s);
  g_clear_handle_id (&s->coalesce_id, g_source_remove);
  g_clear_pointer (&s->held, g_array_unref);
  g_clear_pointer (&s->pending, g_hash_table_unref);
  g_signal_handlers_disconnect_by_data (s->client, s);
  g_clear_object (&s->client);
  g_free (s);
}

static void
close_behind (Subscriber *s)
{
  g_debug ("Dispatcher stream client too far behind: closing");
  dsd_ws_client_close (s->client, DSD_WS_CLOSE_TRY_AGAIN_LATER,
                       "too far behind: reconnect with ?since=<last seq>", TRUE);
}

/* Sends one event (state events once each, in order). */
static void
deliver (Subscriber *s,
         gint64      seq,
         GBytes     *text)
{
  if (seq > 0)
    {
      if (seq <= s->last_seq)
        return;
      s->last_seq = seq;
    }

  dsd_ws_client_send (s->client, text);
  if (dsd_ws_client_get_queued (s->client) > MAX_BEHIND + s->allowance)
    close_behind (s);
}

static void
hold (Subscriber *s,
      gint64      seq,
      GBytes     *text)
{
  HeldEvent held = { seq, g_bytes_ref (text) };

  g_array_append_val (s->held, held);
  s->held_bytes += g_bytes_get_size (text);
  if (s->held_bytes > MAX_BEHIND)
    close_behind (s);
}

static GBytes *
location_get_item (Location *location)
{
  if (location->item == NULL)
    location->item = dsd_event_dup_data_text (location->event);

  return location->item;
}

/* Up to COALESCED_FRAME_MAX of the pending locations in one frame. */
static void
send_coalesced (Subscriber *s)
{
  static const char head[] = "{\"type\":\"driver.locations\",\"items\":[";
  GString *frame = g_string_new (head);
  GHashTableIter iter;
  gpointer item;
  gsize length;

  g_hash_table_iter_init (&iter, s->pending);
  while (frame->len < COALESCED_FRAME_MAX && g_hash_table_iter_next (&iter, NULL, &item))
    {
      gconstpointer data = g_bytes_get_data (item, &length);

      if (frame->len > sizeof head - 1)
        g_string_append_c (frame, ',');
      g_string_append_len (frame, data, length);
      g_hash_table_iter_remove (&iter);
    }
  g_string_append (frame, "]}");

  {
    g_autoptr(GBytes) bytes = g_string_free_to_bytes (frame);

    deliver (s, 0, bytes);
  }
}

static gboolean
coalesce_cb (gpointer user_data)
{
  Subscriber *s = user_data;

  if (!dsd_ws_client_is_open (s->client))
    {
      s->coalesce_id = 0;
      return G_SOURCE_REMOVE;
    }

  /* (nothing goes between the snapshot's parts) */
  if (s->held != NULL || dsd_ws_client_get_queued (s->client) > LOW_WATER)
    return G_SOURCE_CONTINUE;

  send_coalesced (s);
  if (g_hash_table_size (s->pending) > 0)
    return G_SOURCE_CONTINUE;

  s->coalesce_id = 0;
  return G_SOURCE_REMOVE;
}

static void
deliver_location (Subscriber *s,
                  Location   *location)
{
  const char *driver_id = dsd_event_get_driver_id (location->event);
  const DispatchLocationPoint *point = dsd_event_get_location (location->event);

  if (s->has_viewport &&
      (point == NULL || !dispatch_bbox_contains (&s->viewport, point->lat, point->lon)))
    return;

  /* While the snapshot goes out, a point without a driver waits with the
   * state events. */
  if (driver_id == NULL && s->held != NULL)
    {
      hold (s, 0, dsd_event_get_envelope (location->event));
      return;
    }

  /* Behind or still sending the snapshot: the latest point per driver waits
   * for the next coalesced frame (and a driver already waiting there stays
   * there, to keep the order). */
  if (driver_id != NULL &&
      (s->held != NULL || dsd_ws_client_get_queued (s->client) > LOW_WATER ||
       (s->pending != NULL && g_hash_table_contains (s->pending, driver_id))))
    {
      if (s->pending == NULL)
        s->pending = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                            (GDestroyNotify) g_bytes_unref);
      g_hash_table_replace (s->pending, g_strdup (driver_id),
                            g_bytes_ref (location_get_item (location)));
      if (s->coalesce_id == 0)
        s->coalesce_id = g_timeout_add (COALESCE_INTERVAL_MS, coalesce_cb, s);
      return;
    }

  deliver (s, 0, dsd_event_get_envelope (location->event));
}

static void
event_cb (DsdEventBus *bus,
          DsdEvent    *event,
          gpointer     user_data)
{
  DsdDispatcherStream *self = user_data;
  gint64 seq = dsd_event_get_seq (event);
  GBytes *text = dsd_event_get_envelope (event);
  Location location = { .event = event };
  gboolean is_location;

  is_location = seq == 0 && g_strcmp0 (dsd_event_get_type_name (event), "driver.location") == 0;
  if (seq > 0)
    dsd_event_ring_append (self->ring, seq, text);

  for (guint i = 0; i < self->subscribers->len; i++)
    {
      Subscriber *s = g_ptr_array_index (self->subscribers, i);

      if (!s->ready || !dsd_event_view_in_scope (event, s->scope))
        continue;
      if (is_location)
        deliver_location (s, &location);
      else if (s->held != NULL)
        hold (s, seq, text);
      else
        deliver (s, seq, text);
    }

  g_clear_pointer (&location.item, g_bytes_unref);
}

static void start_reads (DsdDispatcherStream *self);

static void
read_free (SnapshotRead *read)
{
  g_ptr_array_unref (read->readers);
  dsd_snapshot_view_free (read->view);
  g_ptr_array_unref (read->parts);
  g_free (read);
}

/* The readers that have queued the whole message leave it: their held events
 * follow. */
static gboolean
read_send (SnapshotRead *read,
           Subscriber   *s)
{
  guint end = read->first_part + read->parts->len;
  g_autoptr(GArray) held = NULL;

  while (s->next_part < end && dsd_ws_client_get_queued (s->client) < SNAPSHOT_WINDOW)
    {
      guint i = s->next_part++;

      dsd_ws_client_send_part (s->client, g_ptr_array_index (read->parts, i - read->first_part),
                               i == 0, read->done && i == end - 1);
    }
  if (!read->done || s->next_part < end)
    return FALSE;

  s->read = NULL;
  s->allowance = dsd_ws_client_get_queued (s->client);

  /* What arrived meanwhile, minus what the snapshot already reflects */
  held = g_steal_pointer (&s->held);
  for (guint i = 0; i < held->len; i++)
    {
      HeldEvent *event = &g_array_index (held, HeldEvent, i);

      deliver (s, event->seq, event->text);
    }
  return TRUE;
}

/* Renders parts until SNAPSHOT_READ_AHEAD are left or the message is whole. */
static void
read_render (SnapshotRead *read)
{
  gsize left = 0;

  for (guint i = 0; i < read->parts->len; i++)
    left += g_bytes_get_size (g_ptr_array_index (read->parts, i));

  while (!read->done && left < SNAPSHOT_READ_AHEAD)
    {
      GString *part = g_string_sized_new (SNAPSHOT_PART + 4096);

      read->done = !dsd_snapshot_view_render (read->view, part, SNAPSHOT_PART);
      left += part->len;
      g_ptr_array_add (read->parts, g_string_free_to_bytes (part));
    }

  if (read->done && read->stream->reading == read)
    {
      read->stream->reading = NULL;
      start_reads (read->stream);
    }
}

/* Drops the parts every reader has queued and ends the read when nobody
 * needs it. */
static void
read_advance (SnapshotRead *read)
{
  DsdDispatcherStream *self = read->stream;
  guint slowest = read->first_part + read->parts->len;

  if (read->readers->len == 0)
    {
      if (self->reading == read)
        {
          self->reading = NULL;
          start_reads (self);
        }
      read_free (read);
      return;
    }

  for (guint i = 0; i < read->readers->len; i++)
    slowest = MIN (slowest, ((Subscriber *) g_ptr_array_index (read->readers, i))->next_part);
  g_ptr_array_remove_range (read->parts, 0, slowest - read->first_part);
  read->first_part = slowest;
}

static void
read_remove (SnapshotRead *read,
             Subscriber   *s)
{
  g_ptr_array_remove_fast (read->readers, s);
  s->read = NULL;
  read_advance (read);
}

/* Every reader takes what it can of the parts (the slowest one paces the
 * rendering; a stuck one is closed by the held events' bound or as a dead
 * peer). */
static void
read_feed (SnapshotRead *read)
{
  guint before;

  do
    {
      before = read->first_part + read->parts->len;
      read_render (read);
      for (guint i = read->readers->len; i > 0; i--)
        {
          Subscriber *s = g_ptr_array_index (read->readers, i - 1);

          if (read_send (read, s))
            g_ptr_array_remove_index_fast (read->readers, i - 1);
        }
      if (read->readers->len == 0)
        break;
      read_advance (read);
    }
  while (read->first_part + read->parts->len > before);
  read_advance (read);
}

/* scope NULL: the shared read (the stream's reading); else a scoped
 * dispatcher's own. */
static void
start_read (DsdDispatcherStream *self,
            GPtrArray           *readers,
            const DsdScope      *scope)
{
  SnapshotRead *read = g_new0 (SnapshotRead, 1);

  read->stream = self;
  read->readers = readers;
  read->view = dsd_snapshot_store_freeze (self->store, scope);
  read->parts = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  for (guint i = 0; i < readers->len; i++)
    {
      Subscriber *s = g_ptr_array_index (readers, i);

      s->read = read;
      s->last_seq = dsd_snapshot_view_get_seq (read->view);
    }
  if (scope == NULL)
    self->reading = read;
  read_feed (read);
}

/* The clients waiting for a snapshot get one, if the store has it: a scoped
 * dispatcher its own, the others one they share, unless one is still being
 * rendered. */
static void
start_reads (DsdDispatcherStream *self)
{
  g_autoptr(GPtrArray) shared = g_ptr_array_new ();

  if (!dsd_snapshot_store_is_loaded (self->store))
    return;

  for (guint i = self->waiting->len; i > 0; i--)
    {
      Subscriber *s = g_ptr_array_index (self->waiting, i - 1);

      if (s->scope == NULL)
        {
          if (self->reading == NULL)
            g_ptr_array_add (shared, g_ptr_array_steal_index (self->waiting, i - 1));
          continue;
        }
      g_ptr_array_steal_index (self->waiting, i - 1);
      {
        g_autoptr(GPtrArray) readers = g_ptr_array_new ();

        g_ptr_array_add (readers, s);
        start_read (self, g_steal_pointer (&readers), s->scope);
      }
    }
  if (shared->len > 0)
    start_read (self, g_steal_pointer (&shared), NULL);
}

static void
store_loaded_cb (DsdSnapshotStore *store,
                 gboolean          ok,
                 gpointer          user_data)
{
  DsdDispatcherStream *self = user_data;

  if (ok)
    {
      start_reads (self);
      return;
    }

  while (self->waiting->len > 0)
    {
      Subscriber *s = g_ptr_array_steal_index_fast (self->waiting, 0);

      dsd_ws_client_close (s->client, DSD_WS_CLOSE_TRY_AGAIN_LATER,
                           "the snapshot is unavailable, try again", TRUE);
    }
}

static void
subscriber_drained_cb (DsdWsClient *client,
                       gpointer     user_data)
{
  Subscriber *s = user_data;
  SnapshotRead *read = s->read;

  if (read == NULL)
    return;

  if (read_send (read, s))
    g_ptr_array_remove_fast (read->readers, s);
  read_feed (read);
}

static void
subscriber_closed_cb (DsdWsClient *client,
                      gpointer     user_data)
{
  Subscriber *s = user_data;

  /* (frees it) */
  g_ptr_array_remove_fast (s->stream->subscribers, s);
}

static gboolean
get_coordinate (JsonArray   *array,
                guint        index,
                double       limit,
                double      *out,
                GError     **error)
{
  JsonNode *node = json_array_get_element (array, index);

  if (!JSON_NODE_HOLDS_VALUE (node) ||
      (json_node_get_value_type (node) != G_TYPE_DOUBLE &&
       json_node_get_value_type (node) != G_TYPE_INT64) ||
      !isfinite (json_node_get_double (node)) || fabs (json_node_get_double (node)) > limit)
    {
      g_autofree char *path = dispatch_json_index_path ("bbox", index);

      dispatch_set_field_error (error, DISPATCH_ERROR_INVALID_ARGUMENT, path,
                                "%s must be a number within [-%g, %g]", path, limit, limit);
      return FALSE;
    }

  *out = json_node_get_double (node);
  return TRUE;
}

/* {"type":"viewport","bbox":[min_lat,min_lon,max_lat,max_lon]}; null: everywhere */
static gboolean
viewport_cb (DsdWsClient  *client,
             JsonObject   *frame,
             gpointer      user_data,
             GError      **error)
{
  Subscriber *s = user_data;
  JsonNode *member = json_object_get_member (frame, "bbox");
  JsonArray *bbox = NULL;
  DispatchBBox viewport;

  if (member != NULL && JSON_NODE_HOLDS_NULL (member))
    {
      s->has_viewport = FALSE;
      return TRUE;
    }

  if (!dispatch_json_get_array (frame, NULL, "bbox", DISPATCH_JSON_REQUIRED, 4, &bbox, error))
    return FALSE;

  if (json_array_get_length (bbox) != 4)
    {
      dispatch_set_field_error (error, DISPATCH_ERROR_INVALID_ARGUMENT, "bbox",
                                "bbox must be [min_lat, min_lon, max_lat, max_lon]");
      return FALSE;
    }

  if (!get_coordinate (bbox, 0, 90, &viewport.min_lat, error) ||
      !get_coordinate (bbox, 1, 180, &viewport.min_lon, error) ||
      !get_coordinate (bbox, 2, 90, &viewport.max_lat, error) ||
      !get_coordinate (bbox, 3, 180, &viewport.max_lon, error))
    return FALSE;

  if (viewport.min_lat > viewport.max_lat || viewport.min_lon > viewport.max_lon)
    {
      dispatch_set_field_error (error, DISPATCH_ERROR_INVALID_ARGUMENT, "bbox",
                                "bbox minimums must not exceed its maximums");
      return FALSE;
    }

  s->viewport = viewport;
  s->has_viewport = TRUE;
  return TRUE;
}

static void
stream_check_cb (DsdRequest *request,
                 gpointer    user_data)
{
  g_autoptr(GError) error = NULL;
  gint64 since;

  if (!dsd_ws_get_since (request, &since, &error))
    dsd_request_respond_error (request, error);
  else
    dsd_request_accept_websocket (request);
}

/* With the scope known: the missed events from the ring, or a snapshot
 * (the shared one, or a scoped dispatcher's own). */
static void
begin (Subscriber *s)
{
  DsdDispatcherStream *self = s->stream;

  s->ready = TRUE;
  if (s->since >= 0 && dsd_event_ring_covers (self->ring, s->since))
    {
      g_autoptr(GPtrArray) missed = dsd_event_ring_get_since (self->ring, s->since);

      s->last_seq = s->since;
      for (guint i = 0; i < missed->len; i++)
        {
          GBytes *text = g_ptr_array_index (missed, i);
          gsize length;
          gconstpointer data = g_bytes_get_data (text, &length);
          g_autoptr(DsdEvent) event = NULL;

          if (s->scope != NULL &&
              ((event = dsd_event_new_from_json (data, length, NULL)) == NULL ||
               !dsd_event_view_in_scope (event, s->scope)))
            continue;
          deliver (s, s->since + 1 + i, text);
        }
      return;
    }

  s->held = g_array_new (FALSE, FALSE, sizeof (HeldEvent));
  g_array_set_clear_func (s->held, clear_held_event);
  g_ptr_array_add (self->waiting, s);
  start_reads (self);
}

static void
scope_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  Subscriber *s = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) rows = NULL;

  rows = dsd_pg_pool_query_finish (DSD_PG_POOL (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  if (rows == NULL || PQntuples (rows) != 1 ||
      (!PQgetisnull (rows, 0, 0) &&
       (s->scope = dsd_scope_new_from_json (PQgetvalue (rows, 0, 0),
                                            PQgetlength (rows, 0, 0))) == NULL))
    {
      g_message ("Stream scope failed: %s", error != NULL ? error->message : "unexpected answer");
      dsd_ws_client_close (s->client, DSD_WS_CLOSE_TRY_AGAIN_LATER,
                           "the snapshot is unavailable, try again", TRUE);
      return;
    }

  begin (s);
}

static void
stream_cb (DsdRequest              *request,
           SoupWebsocketConnection *connection,
           gpointer                 user_data)
{
  DsdDispatcherStream *self = user_data;
  Subscriber *s = g_new0 (Subscriber, 1);
  gint64 since;

  s->stream = self;
  s->client = g_object_ref (dsd_ws_clients_add (self->clients, connection,
                                               dsd_request_get_principal (request)));
  dsd_ws_client_set_low_water (s->client, LOW_WATER);
  g_signal_connect (s->client, "closed", G_CALLBACK (subscriber_closed_cb), s);
  g_signal_connect (s->client, "drained", G_CALLBACK (subscriber_drained_cb), s);
  dsd_ws_client_set_frame_handler (s->client, "viewport", viewport_cb, s);
  g_ptr_array_add (self->subscribers, s);

  s->cancellable = g_cancellable_new ();
  s->actor = dsd_request_dup_actor_json (request);
  /* (validated by the check) */
  dsd_ws_get_since (request, &since, NULL);
  s->since = since;
  if (dsd_request_get_principal (request)->role == DSD_ROLE_DISPATCHER)
    dsd_pg_pool_query_async (dsd_context_get (self->context, DSD_TYPE_PG_POOL), scope_sql, 1,
                             (const char * const[]) { s->actor }, s->cancellable, scope_cb, s);
  else
    begin (s);
}

static void
recent_events_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  DsdDispatcherStream *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) rows = NULL;

  rows = dsd_pg_pool_query_finish (DSD_PG_POOL (source), result, &error);
  if (rows == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_message ("Could not load recent events for stream resumes: %s", error->message);
      return;
    }

  /* Newest first, in front of what the bus delivered meanwhile */
  for (int i = PQntuples (rows) - 1; i >= 0; i--)
    {
      g_autoptr(GBytes) text = g_bytes_new (PQgetvalue (rows, i, 1), PQgetlength (rows, i, 1));

      if (!dsd_event_ring_prepend (self->ring, g_ascii_strtoll (PQgetvalue (rows, i, 0), NULL, 10),
                                   text))
        break;
    }
}

static void
dsd_dispatcher_stream_dispose (GObject *object)
{
  DsdDispatcherStream *self = DSD_DISPATCHER_STREAM (object);

  g_cancellable_cancel (self->cancellable);
  if (self->context != NULL)
    g_signal_handlers_disconnect_by_data (dsd_context_get (self->context, DSD_TYPE_EVENT_BUS),
                                          self);
  g_clear_pointer (&self->subscribers, g_ptr_array_unref);
  g_clear_pointer (&self->waiting, g_ptr_array_unref);
  g_clear_pointer (&self->ring, dsd_event_ring_free);
  g_clear_object (&self->store);
  g_clear_object (&self->clients);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->context);

  G_OBJECT_CLASS (dsd_dispatcher_stream_parent_class)->dispose (object);
}

static void
dsd_dispatcher_stream_class_init (DsdDispatcherStreamClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = dsd_dispatcher_stream_dispose;
}

static void
dsd_dispatcher_stream_init (DsdDispatcherStream *self)
{
  self->ring = dsd_event_ring_new (RING_CAPACITY);
  self->subscribers = g_ptr_array_new_with_free_func ((GDestroyNotify) subscriber_free);
  self->waiting = g_ptr_array_new ();
  self->cancellable = g_cancellable_new ();
}

DsdDispatcherStream *
dsd_dispatcher_stream_new (DsdContext *context)
{
  DsdDispatcherStream *self;
  char capacity[16];

  g_return_val_if_fail (DSD_IS_CONTEXT (context), NULL);

  self = g_object_new (DSD_TYPE_DISPATCHER_STREAM, NULL);
  self->context = g_object_ref (context);
  self->clients = dsd_ws_clients_new (dsd_context_get_metrics (context), "dispatcher");
  g_signal_connect_object (dsd_context_get (context, DSD_TYPE_EVENT_BUS), "event",
                           G_CALLBACK (event_cb), self, 0);
  self->store = dsd_snapshot_store_new (context);
  g_signal_connect_object (self->store, "load-finished", G_CALLBACK (store_loaded_cb), self, 0);

  g_snprintf (capacity, sizeof capacity, "%u", RING_CAPACITY);
  dsd_pg_pool_query_async (dsd_context_get (context, DSD_TYPE_PG_POOL), recent_sql, 1,
                           (const char * const[]) { capacity }, self->cancellable,
                           recent_events_cb, self);

  return self;
}

void
dsd_dispatcher_stream_register (DsdDispatcherStream *self,
                                DsdRouter           *router)
{
  g_return_if_fail (DSD_IS_DISPATCHER_STREAM (self));

  dsd_router_add_websocket (router, "/api/v1/stream", DSD_ROLES_STAFF,
                            stream_check_cb, stream_cb, self);
}

DsdWsClients *
dsd_dispatcher_stream_get_clients (DsdDispatcherStream *self)
{
  g_return_val_if_fail (DSD_IS_DISPATCHER_STREAM (self), NULL);

  return self->clients;
}

DsdEventRing *
dsd_dispatcher_stream_get_ring (DsdDispatcherStream *self)
{
  g_return_val_if_fail (DSD_IS_DISPATCHER_STREAM (self), NULL);

  return self->ring;
}
