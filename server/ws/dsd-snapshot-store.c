/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-ws"

#include "config.h"

#include <string.h>

#include "dispatch-json.h"
#include "dispatch-json-writer.h"
#include "dsd-eta-tracker.h"
#include "dsd-event-bus.h"
#include "dsd-event.h"
#include "dsd-pg-pool.h"
#include "dsd-snapshot-store.h"

#define PAGE_ROWS 2000
#define RETRY_MS 1000
/* State events waiting for a page: more than this (the database or the bus
 * far off its normal pace) starts the load again. */
#define MAX_WAITING 65536

static const char seq_sql[] = "SELECT dispatch.stream_snapshot_seq()";
/* Rows (key, id, sort, zone_id | location_at_us, head, body): see the functions */
static const char *const page_sql[] = {
  "SELECT * FROM dispatch.stream_store_orders($1, $2)",
  "SELECT * FROM dispatch.stream_store_drivers($1, $2)",
};

typedef enum {
  KIND_ORDER,
  KIND_DRIVER,
  N_KINDS,
} Kind;

/* The member kept apart from the rest of the object, because it changes
 * without a state event: an order's ETA, a driver's location. */
static const char *const head_member[N_KINDS] = { "eta_seconds", "location" };

typedef enum {
  LOAD_SEQ,
  LOAD_ORDERS,
  LOAD_DRIVERS,
  LOADED,
} LoadStage;

/* One object: its JSON is {head,rest of body} (body without the head's
 * member, starting with '{'). */
typedef struct {
  char          *id;
  char          *sort;        /* orders: created_at; drivers: name; NULL: not known yet */
  const char    *zone_id;     /* orders (interned), NULL: unzoned */
  GBytes        *body;        /* NULL: only the head is known yet (a driver's point) */
  GBytes        *head;        /* "member":value */
  gint64         head_time;   /* drivers: the location's recorded_at; -1: none */
  GSequenceIter *position;    /* in the sorted list, once body and sort are known */
} Entry;

typedef struct {
  GHashTable *by_id;    /* id → Entry (owned) */
  GSequence  *sorted;   /* Entry, by (sort, id) */
} Table;

struct _DsdSnapshotStore {
  GObject       parent_instance;

  DsdContext   *context;
  GCancellable *cancellable;
  Table         tables[N_KINDS];
  gint64        seq;
  LoadStage     stage;
  gboolean      querying;
  char         *after;       /* the key of the page's last row */
  GPtrArray    *waiting;     /* DsdEvent: state events during a page */
  guint         retry_id;
  gint64        load_started_us;
};

struct _DsdSnapshotView {
  gint64     seq;
  GPtrArray *items[N_KINDS];   /* GBytes: head, body, head, body, … */
  Kind       kind;
  guint      next;             /* in items[kind] */
  gboolean   started;
};

enum {
  LOAD_FINISHED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (DsdSnapshotStore, dsd_snapshot_store, G_TYPE_OBJECT)

static void
entry_free (Entry *entry)
{
  g_free (entry->id);
  g_free (entry->sort);
  g_clear_pointer (&entry->body, g_bytes_unref);
  g_clear_pointer (&entry->head, g_bytes_unref);
  g_free (entry);
}

static int
entry_compare (gconstpointer a,
               gconstpointer b,
               gpointer      user_data)
{
  const Entry *x = a;
  const Entry *y = b;
  int by_sort = strcmp (x->sort, y->sort);

  return by_sort != 0 ? by_sort : strcmp (x->id, y->id);
}

static void
table_init (Table *table)
{
  table->by_id = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                        (GDestroyNotify) entry_free);
  table->sorted = g_sequence_new (NULL);
}

static void
table_clear (Table *table)
{
  g_clear_pointer (&table->sorted, g_sequence_free);
  g_clear_pointer (&table->by_id, g_hash_table_unref);
}

static Entry *
table_lookup (Table      *table,
              const char *id,
              gboolean    create)
{
  Entry *entry = g_hash_table_lookup (table->by_id, id);

  if (entry == NULL && create)
    {
      entry = g_new0 (Entry, 1);
      entry->id = g_strdup (id);
      entry->head_time = -1;
      g_hash_table_insert (table->by_id, entry->id, entry);
    }
  return entry;
}

static void
table_remove (Table      *table,
              const char *id)
{
  Entry *entry = g_hash_table_lookup (table->by_id, id);

  if (entry == NULL)
    return;
  if (entry->position != NULL)
    g_sequence_remove (entry->position);
  g_hash_table_remove (table->by_id, id);
}

static void
entry_set_head (Entry  *entry,
                GBytes *head,
                gint64  head_time)
{
  g_clear_pointer (&entry->head, g_bytes_unref);
  entry->head = head;
  entry->head_time = head_time;
}

/* The object's body and place in the list (the head is set apart). */
static void
entry_set_body (Table      *table,
                Entry      *entry,
                const char *sort,
                GBytes     *body)
{
  g_clear_pointer (&entry->body, g_bytes_unref);
  entry->body = body;
  if (entry->position != NULL && g_strcmp0 (entry->sort, sort) == 0)
    return;

  if (entry->position != NULL)
    g_sequence_remove (entry->position);
  g_free (entry->sort);
  entry->sort = g_strdup (sort);
  entry->position = g_sequence_insert_sorted (table->sorted, entry, entry_compare, NULL);
}

static GBytes *
head_new (const char *member,
          const char *value,
          gssize      length)
{
  GString *head = g_string_new (NULL);

  g_string_append_printf (head, "\"%s\":", member);
  g_string_append_len (head, value, length);
  return g_string_free_to_bytes (head);
}

/* From an event's object: the body without the member, and the member's
 * value as text ("null" when absent). */
static GBytes *
split_object (JsonObject *object,
              const char *member,
              char      **value)
{
  g_autoptr(JsonObject) rest = json_object_new ();
  g_autoptr(JsonNode) node = json_node_alloc ();
  g_autoptr(GList) names = json_object_get_members (object);
  JsonNode *kept = json_object_get_member (object, member);
  gsize length;
  char *text;

  for (GList *l = names; l != NULL; l = l->next)
    if (strcmp (l->data, member) != 0)
      json_object_set_member (rest, l->data, json_node_copy (json_object_get_member (object,
                                                                                  l->data)));
  json_node_init_object (node, rest);
  text = dispatch_json_to_string (node, &length);
  *value = kept != NULL ? dispatch_json_to_string (kept, NULL) : g_strdup ("null");
  return g_bytes_new_take (text, length);
}

static void
apply_order (DsdSnapshotStore *self,
             JsonObject       *order)
{
  Table *table = &self->tables[KIND_ORDER];
  const char *id = NULL;
  const char *status = NULL;
  const char *created_at = NULL;
  const char *zone_id = NULL;
  g_autofree char *eta = NULL;
  GBytes *body;
  Entry *entry;

  if (!dispatch_json_get_string (order, NULL, "id", DISPATCH_JSON_REQUIRED, 0, &id, NULL) ||
      !dispatch_json_get_string (order, NULL, "status", DISPATCH_JSON_REQUIRED, 0, &status,
                                 NULL) ||
      !dispatch_json_get_string (order, NULL, "created_at", DISPATCH_JSON_REQUIRED, 0,
                                 &created_at, NULL) ||
      !dispatch_json_get_string (order, NULL, "zone_id", DISPATCH_JSON_NULLABLE, 0, &zone_id,
                                 NULL))
    {
      g_warning ("Snapshot store: ignoring an order event without id, status or created_at");
      return;
    }

  if (!g_str_equal (status, "pending") && !g_str_equal (status, "assigned") &&
      !g_str_equal (status, "picked_up"))
    {
      table_remove (table, id);
      return;
    }

  body = split_object (order, head_member[KIND_ORDER], &eta);
  entry = table_lookup (table, id, TRUE);
  entry->zone_id = g_intern_string (zone_id);
  entry_set_head (entry, head_new (head_member[KIND_ORDER], eta, -1), -1);
  entry_set_body (table, entry, created_at, body);
}

/* The location object's recorded_at; -1 without a location. */
static gint64
location_time (JsonObject *location)
{
  gint64 usec;

  if (location == NULL ||
      !dispatch_json_get_timestamp (location, NULL, "recorded_at", DISPATCH_JSON_REQUIRED, &usec,
                                    NULL))
    return -1;
  return usec;
}

static void
apply_driver (DsdSnapshotStore *self,
              JsonObject       *driver)
{
  Table *table = &self->tables[KIND_DRIVER];
  const char *id = NULL;
  const char *name = NULL;
  JsonObject *location = NULL;
  g_autofree char *value = NULL;
  GBytes *body;
  Entry *entry;
  gint64 time;

  if (!dispatch_json_get_string (driver, NULL, "id", DISPATCH_JSON_REQUIRED, 0, &id, NULL) ||
      !dispatch_json_get_string (driver, NULL, "name", DISPATCH_JSON_REQUIRED, 0, &name, NULL))
    {
      g_warning ("Snapshot store: ignoring a driver event without id or name");
      return;
    }

  if (json_object_has_member (driver, "location") &&
      JSON_NODE_HOLDS_OBJECT (json_object_get_member (driver, "location")))
    location = json_object_get_object_member (driver, "location");
  time = location_time (location);
  body = split_object (driver, head_member[KIND_DRIVER], &value);
  entry = table_lookup (table, id, TRUE);
  /* (a newer point already seen stays) */
  if (entry->head == NULL || time >= entry->head_time)
    entry_set_head (entry, head_new (head_member[KIND_DRIVER], value, -1), time);
  entry_set_body (table, entry, name, body);
}

/* driver.location: its point as dispatch.location_json renders it (absent
 * members left out), written without printf: this runs for every point. */
static void
apply_location (DsdSnapshotStore *self,
                DsdEvent         *event)
{
  const DispatchLocationPoint *point = dsd_event_get_location (event);
  const char *driver_id = dsd_event_get_driver_id (event);
  GString *head;
  Entry *entry;

  if (driver_id == NULL || point == NULL)
    return;
  /* A driver not known yet is one whose driver.updated is still on its way
   * through the relay (the ingest takes points of existing drivers only):
   * the point waits in an entry without a body, which is not listed. */
  entry = table_lookup (&self->tables[KIND_DRIVER], driver_id, TRUE);
  if (entry->head != NULL && point->recorded_at_us <= entry->head_time)
    return;

  head = g_string_new ("\"location\":{\"lat\":");
  dispatch_json_append_double (head, point->lat);
  g_string_append (head, ",\"lon\":");
  dispatch_json_append_double (head, point->lon);
  if (point->flags & DISPATCH_LOCATION_HAS_HEADING)
    {
      g_string_append (head, ",\"heading\":");
      dispatch_json_append_double (head, point->heading);
    }
  if (point->flags & DISPATCH_LOCATION_HAS_SPEED)
    {
      g_string_append (head, ",\"speed_mps\":");
      dispatch_json_append_double (head, point->speed_mps);
    }
  g_string_append (head, ",\"recorded_at\":\"");
  dispatch_json_append_timestamp (head, point->recorded_at_us);
  g_string_append (head, "\"}");
  entry_set_head (entry, g_string_free_to_bytes (head), point->recorded_at_us);
}

/* order.at_risk sets the order's at_risk, and no order.updated follows: its
 * data is the order plus "predicted_delivery_at", which the order does not
 * keep. */
static void
apply_at_risk (DsdSnapshotStore *self,
               JsonObject       *data)
{
  g_autoptr(JsonObject) order = json_object_new ();
  g_autoptr(GList) members = json_object_get_members (data);

  for (GList *l = members; l != NULL; l = l->next)
    if (!g_str_equal (l->data, "predicted_delivery_at"))
      json_object_set_member (order, l->data, json_object_dup_member (data, l->data));
  apply_order (self, order);
}

static void
apply_state_event (DsdSnapshotStore *self,
                   DsdEvent         *event)
{
  const char *type = dsd_event_get_type_name (event);
  gint64 seq = dsd_event_get_seq (event);

  if (seq <= self->seq)
    return;
  self->seq = seq;

  if (g_str_equal (type, "order.created") || g_str_equal (type, "order.updated"))
    apply_order (self, dsd_event_get_data (event));
  else if (g_str_equal (type, "order.at_risk"))
    apply_at_risk (self, dsd_event_get_data (event));
  else if (g_str_equal (type, "driver.updated"))
    apply_driver (self, dsd_event_get_data (event));
}

static void load_start (DsdSnapshotStore *self);

static void
event_cb (DsdEventBus *bus,
          DsdEvent    *event,
          gpointer     user_data)
{
  DsdSnapshotStore *self = user_data;

  if (dsd_event_get_seq (event) == 0)
    {
      if (g_str_equal (dsd_event_get_type_name (event), "driver.location") &&
          self->stage != LOAD_SEQ)
        apply_location (self, event);
      return;
    }

  if (!self->querying)
    {
      apply_state_event (self, event);
      return;
    }

  g_ptr_array_add (self->waiting, dsd_event_ref (event));
  if (self->waiting->len > MAX_WAITING)
    {
      g_message ("Snapshot store: %u events while a page was read; loading again",
                 self->waiting->len);
      g_cancellable_cancel (self->cancellable);
      g_clear_object (&self->cancellable);
      self->cancellable = g_cancellable_new ();
      load_start (self);
    }
}

static void
eta_changed_cb (DsdEtaTracker *eta,
                const char    *order_id,
                int            eta_seconds,
                gpointer       user_data)
{
  DsdSnapshotStore *self = user_data;
  Entry *entry = table_lookup (&self->tables[KIND_ORDER], order_id, FALSE);
  char value[16];

  if (entry == NULL)
    return;
  g_snprintf (value, sizeof value, "%d", MAX (eta_seconds, 0));
  entry_set_head (entry, head_new (head_member[KIND_ORDER], value, -1), -1);
}

/* A page of (key, id, sort, zone_id | location_at_us, head value, body),
 * kept without PostgreSQL's spaces. */
static void
take_page (DsdSnapshotStore *self,
           PGresult         *rows)
{
  Kind kind = self->stage == LOAD_ORDERS ? KIND_ORDER : KIND_DRIVER;
  Table *table = &self->tables[kind];
  int n = PQntuples (rows);

  for (int i = 0; i < n; i++)
    {
      Entry *entry = table_lookup (table, PQgetvalue (rows, i, 1), TRUE);
      g_autoptr(GBytes) value = dispatch_json_compact (PQgetvalue (rows, i, 4),
                                                       PQgetlength (rows, i, 4));
      gsize length;
      const char *data = g_bytes_get_data (value, &length);
      GBytes *head = head_new (head_member[kind], data, length);
      GBytes *body = dispatch_json_compact (PQgetvalue (rows, i, 5), PQgetlength (rows, i, 5));

      if (kind == KIND_ORDER)
        {
          entry->zone_id = PQgetisnull (rows, i, 3) ? NULL
                                                    : g_intern_string (PQgetvalue (rows, i, 3));
          entry_set_head (entry, head, -1);
        }
      else
        {
          gint64 time = PQgetisnull (rows, i, 3) ? -1
                                                 : g_ascii_strtoll (PQgetvalue (rows, i, 3),
                                                                    NULL, 10);

          /* (a newer point already seen stays) */
          if (entry->head == NULL || time >= entry->head_time)
            entry_set_head (entry, head, time);
          else
            g_bytes_unref (head);
        }
      entry_set_body (table, entry, PQgetvalue (rows, i, 2), body);
    }

  if (n > 0)
    {
      g_free (self->after);
      self->after = g_strdup (PQgetvalue (rows, n - 1, 0));
    }
  if (n < PAGE_ROWS)
    {
      self->stage++;
      g_clear_pointer (&self->after, g_free);
    }
}

/* Drivers known only by a point (their body never came) are not listed. */
static void
drop_partial_drivers (DsdSnapshotStore *self)
{
  GHashTableIter iter;
  Entry *entry;

  g_hash_table_iter_init (&iter, self->tables[KIND_DRIVER].by_id);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &entry))
    if (entry->body == NULL)
      g_hash_table_iter_remove (&iter);
}

static void load_query (DsdSnapshotStore *self);

static gboolean
retry_cb (gpointer user_data)
{
  DsdSnapshotStore *self = user_data;

  self->retry_id = 0;
  load_start (self);
  return G_SOURCE_REMOVE;
}

static void
page_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  DsdSnapshotStore *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) rows = NULL;
  g_autoptr(GPtrArray) waiting = NULL;

  rows = dsd_pg_pool_query_finish (DSD_PG_POOL (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  self->querying = FALSE;
  waiting = g_steal_pointer (&self->waiting);
  self->waiting = g_ptr_array_new_with_free_func ((GDestroyNotify) dsd_event_unref);
  if (rows == NULL)
    {
      g_message ("Snapshot store: loading failed: %s", error->message);
      g_signal_emit (self, signals[LOAD_FINISHED], 0, FALSE);
      self->retry_id = g_timeout_add (RETRY_MS, retry_cb, self);
      return;
    }

  if (self->stage == LOAD_SEQ)
    {
      self->seq = g_ascii_strtoll (PQgetvalue (rows, 0, 0), NULL, 10);
      self->stage = LOAD_ORDERS;
    }
  else
    {
      take_page (self, rows);
    }

  /* What happened while the page was read, in order, after it */
  for (guint i = 0; i < waiting->len; i++)
    apply_state_event (self, g_ptr_array_index (waiting, i));

  if (self->stage != LOADED)
    {
      load_query (self);
      return;
    }

  drop_partial_drivers (self);
  g_message ("Snapshot store loaded in %.1f s at seq %" G_GINT64_FORMAT ": %u open orders, "
             "%u drivers", (g_get_monotonic_time () - self->load_started_us) / 1e6, self->seq,
             g_hash_table_size (self->tables[KIND_ORDER].by_id),
             g_hash_table_size (self->tables[KIND_DRIVER].by_id));
  g_signal_emit (self, signals[LOAD_FINISHED], 0, TRUE);
}

static void
load_query (DsdSnapshotStore *self)
{
  DsdPgPool *pool = dsd_context_get (self->context, DSD_TYPE_PG_POOL);
  char limit[16];

  self->querying = TRUE;
  if (self->stage == LOAD_SEQ)
    {
      dsd_pg_pool_query_async (pool, seq_sql, 0, NULL, self->cancellable, page_cb, self);
      return;
    }

  g_snprintf (limit, sizeof limit, "%d", PAGE_ROWS);
  dsd_pg_pool_query_async (pool, page_sql[self->stage - LOAD_ORDERS], 2,
                           (const char * const[]) { self->after, limit }, self->cancellable,
                           page_cb, self);
}

static void
load_start (DsdSnapshotStore *self)
{
  for (guint k = 0; k < N_KINDS; k++)
    {
      table_clear (&self->tables[k]);
      table_init (&self->tables[k]);
    }
  g_ptr_array_set_size (self->waiting, 0);
  g_clear_pointer (&self->after, g_free);
  self->seq = 0;
  self->stage = LOAD_SEQ;
  self->load_started_us = g_get_monotonic_time ();
  load_query (self);
}

static void
dsd_snapshot_store_dispose (GObject *object)
{
  DsdSnapshotStore *self = DSD_SNAPSHOT_STORE (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->retry_id, g_source_remove);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->context);

  G_OBJECT_CLASS (dsd_snapshot_store_parent_class)->dispose (object);
}

static void
dsd_snapshot_store_finalize (GObject *object)
{
  DsdSnapshotStore *self = DSD_SNAPSHOT_STORE (object);

  for (guint k = 0; k < N_KINDS; k++)
    table_clear (&self->tables[k]);
  g_ptr_array_unref (self->waiting);
  g_free (self->after);

  G_OBJECT_CLASS (dsd_snapshot_store_parent_class)->finalize (object);
}

static void
dsd_snapshot_store_class_init (DsdSnapshotStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = dsd_snapshot_store_dispose;
  object_class->finalize = dsd_snapshot_store_finalize;

  signals[LOAD_FINISHED] =
    g_signal_new ("load-finished",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_BOOLEAN);
}

static void
dsd_snapshot_store_init (DsdSnapshotStore *self)
{
  for (guint k = 0; k < N_KINDS; k++)
    table_init (&self->tables[k]);
  self->waiting = g_ptr_array_new_with_free_func ((GDestroyNotify) dsd_event_unref);
  self->cancellable = g_cancellable_new ();
}

DsdSnapshotStore *
dsd_snapshot_store_new (DsdContext *context)
{
  DsdSnapshotStore *self;

  g_return_val_if_fail (DSD_IS_CONTEXT (context), NULL);

  self = g_object_new (DSD_TYPE_SNAPSHOT_STORE, NULL);
  self->context = g_object_ref (context);
  g_signal_connect_object (dsd_context_get (context, DSD_TYPE_EVENT_BUS), "event",
                           G_CALLBACK (event_cb), self, 0);
  g_signal_connect_object (dsd_context_get (context, DSD_TYPE_ETA_TRACKER), "eta-changed",
                           G_CALLBACK (eta_changed_cb), self, 0);
  load_start (self);

  return self;
}

gboolean
dsd_snapshot_store_is_loaded (DsdSnapshotStore *self)
{
  g_return_val_if_fail (DSD_IS_SNAPSHOT_STORE (self), FALSE);

  return self->stage == LOADED;
}

DsdSnapshotView *
dsd_snapshot_store_freeze (DsdSnapshotStore *self,
                           const DsdScope   *scope)
{
  DsdSnapshotView *view;

  g_return_val_if_fail (DSD_IS_SNAPSHOT_STORE (self), NULL);
  g_return_val_if_fail (self->stage == LOADED, NULL);

  view = g_new0 (DsdSnapshotView, 1);
  view->seq = self->seq;
  for (guint k = 0; k < N_KINDS; k++)
    {
      GSequence *sorted = self->tables[k].sorted;
      GSequenceIter *iter;

      view->items[k] = g_ptr_array_new_full (2 * g_sequence_get_length (sorted),
                                             (GDestroyNotify) g_bytes_unref);
      for (iter = g_sequence_get_begin_iter (sorted); !g_sequence_iter_is_end (iter);
           iter = g_sequence_iter_next (iter))
        {
          Entry *entry = g_sequence_get (iter);

          if (scope != NULL && !(k == KIND_ORDER ? dsd_scope_has_zone (scope, entry->zone_id)
                                                 : dsd_scope_has_driver (scope, entry->id)))
            continue;
          g_ptr_array_add (view->items[k], g_bytes_ref (entry->head));
          g_ptr_array_add (view->items[k], g_bytes_ref (entry->body));
        }
    }
  return view;
}

gint64
dsd_snapshot_view_get_seq (DsdSnapshotView *view)
{
  g_return_val_if_fail (view != NULL, 0);

  return view->seq;
}

gboolean
dsd_snapshot_view_render (DsdSnapshotView *view,
                          GString         *out,
                          gsize            size)
{
  static const char *const section_end[N_KINDS] = { "],\"drivers\":[", "]}" };

  g_return_val_if_fail (view != NULL, FALSE);

  if (!view->started)
    {
      view->started = TRUE;
      g_string_append_printf (out, "{\"type\":\"snapshot\",\"seq\":%" G_GINT64_FORMAT
                              ",\"orders\":[", view->seq);
    }

  while (view->kind < N_KINDS && out->len < size)
    {
      GPtrArray *items = view->items[view->kind];

      if (view->next >= items->len)
        {
          g_string_append (out, section_end[view->kind]);
          /* (what is sent is no longer held) */
          g_ptr_array_set_size (items, 0);
          view->kind++;
          view->next = 0;
          continue;
        }

      {
        gsize head_length, body_length;
        const char *head = g_bytes_get_data (g_ptr_array_index (items, view->next),
                                             &head_length);
        const char *body = g_bytes_get_data (g_ptr_array_index (items, view->next + 1),
                                             &body_length);

        if (view->next > 0)
          g_string_append_c (out, ',');
        g_string_append_c (out, '{');
        g_string_append_len (out, head, head_length);
        /* body is "{}" or "{…}" */
        if (body_length > 2)
          g_string_append_c (out, ',');
        g_string_append_len (out, body + 1, body_length - 1);
        view->next += 2;
      }
    }

  return view->kind < N_KINDS;
}

void
dsd_snapshot_view_free (DsdSnapshotView *view)
{
  for (guint k = 0; k < N_KINDS; k++)
    g_ptr_array_unref (view->items[k]);
  g_free (view);
}
