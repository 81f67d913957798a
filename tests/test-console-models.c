/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <dispatch-json.h>

#include "dc-alerts.h"
#include "dc-candidates.h"
#include "dc-client.h"
#include "dc-driver.h"
#include "dc-format.h"
#include "dc-local-time.h"
#include "dc-marker-canvas.h"
#include "dc-order.h"
#include "dc-replay-model.h"
#include "dc-replay-period.h"
#include "dc-route.h"
#include "dc-store.h"
#include "dc-stream-private.h"
#include "test-console-data.h"

typedef struct
{
  DcClient *client;
  DcStore *orders;
  DcStore *drivers;
  DcStream *stream;
  JsonObject *snapshot;
} Fixture;

static void
feed (Fixture    *fixture,
      JsonObject *frame)
{
  g_autofree char *text = test_console_to_text (frame);

  dc_stream_handle_frame (fixture->stream, text, strlen (text));
}

static void
feed_text (Fixture    *fixture,
           const char *text)
{
  dc_stream_handle_frame (fixture->stream, text, strlen (text));
}

static JsonObject *
element (JsonObject *snapshot,
         const char *member,
         guint       index)
{
  return json_array_get_object_element (json_object_get_array_member (snapshot, member), index);
}

static const char *
id_of (JsonObject *object)
{
  return json_object_get_string_member (object, "id");
}

/* A deep copy to edit (json_node_copy shares objects). */
static JsonObject *
copy_object (JsonObject *object)
{
  g_autofree char *text = test_console_to_text (object);

  return dispatch_json_parse_object (text, -1, NULL);
}

/* An event frame around @data. */
static JsonObject *
event_frame (const char *type,
             gint64      seq,
             JsonObject *data)
{
  JsonObject *frame = json_object_new ();

  json_object_set_string_member (frame, "id", "event-id");
  json_object_set_string_member (frame, "type", type);
  if (seq >= 0)
    json_object_set_int_member (frame, "seq", seq);
  json_object_set_string_member (frame, "occurred_at", "2026-11-22T10:00:00Z");
  json_object_set_object_member (frame, "data", json_object_ref (data));

  return frame;
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  fixture->client = dc_client_new ();
  fixture->orders = dc_store_new (DC_TYPE_ORDER);
  fixture->drivers = dc_store_new (DC_TYPE_DRIVER);
  fixture->stream = dc_stream_new (fixture->client, fixture->orders, fixture->drivers);
  fixture->snapshot = test_console_load_snapshot ();
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_clear_object (&fixture->stream);
  g_clear_object (&fixture->orders);
  g_clear_object (&fixture->drivers);
  g_clear_object (&fixture->client);
  g_clear_pointer (&fixture->snapshot, json_object_unref);
}

/* A copy of the store's contents, kept up to date only through
 * items-changed: if the signals are wrong, the copy drifts. */
static void
mirror_changed_cb (GListModel *model,
                   guint       position,
                   guint       removed,
                   guint       added,
                   GPtrArray  *mirror)
{
  g_ptr_array_remove_range (mirror, position, removed);
  for (guint i = 0; i < added; i++)
    {
      g_autoptr(GObject) item = g_list_model_get_item (model, position + i);

      g_ptr_array_insert (mirror, position + i, item);
    }
}

static void
assert_mirror (GListModel *model,
               GPtrArray  *mirror)
{
  g_autoptr(GHashTable) ids = g_hash_table_new (g_str_hash, g_str_equal);

  g_assert_cmpuint (mirror->len, ==, g_list_model_get_n_items (model));
  for (guint i = 0; i < mirror->len; i++)
    {
      g_autoptr(DcEntity) item = g_list_model_get_item (model, i);

      g_assert_true (g_ptr_array_index (mirror, i) == (gpointer) item);
      /* no duplicates */
      g_assert_true (g_hash_table_add (ids, (gpointer) dc_entity_get_id (item)));
    }
}

static void
test_reconcile (Fixture       *fixture,
                gconstpointer  data)
{
  JsonArray *orders = json_object_get_array_member (fixture->snapshot, "orders");
  g_autoptr(GPtrArray) mirror = g_ptr_array_new ();
  g_autoptr(JsonArray) next = json_array_new ();
  g_autoptr(JsonArray) nothing = json_array_new ();
  g_autoptr(JsonObject) changed = copy_object (element (fixture->snapshot, "orders", 5));
  g_autoptr(JsonObject) fresh = copy_object (element (fixture->snapshot, "orders", 3));
  DcEntity *kept;
  DcEntity *entity;

  g_signal_connect (fixture->orders, "items-changed", G_CALLBACK (mirror_changed_cb), mirror);

  dc_store_reconcile (fixture->orders, orders);
  g_assert_cmpuint (dc_store_get_count (fixture->orders), ==, 25);
  assert_mirror (G_LIST_MODEL (fixture->orders), mirror);
  kept = dc_store_lookup (fixture->orders, id_of (element (fixture->snapshot, "orders", 4)));
  g_assert_nonnull (kept);

  /* The next snapshot: orders 0–2 are gone, 5 moved on, one is new, and one
   * comes twice. */
  json_object_set_string_member (changed, "status", "picked_up");
  json_object_set_string_member (fresh, "id", "fresh-order");
  for (guint i = 3; i < 25; i++)
    json_array_add_object_element (next, i == 5 ? json_object_ref (changed)
                                                : json_object_ref (element (fixture->snapshot,
                                                                            "orders", i)));
  json_array_add_object_element (next,
                                 json_object_ref (element (fixture->snapshot, "orders", 10)));
  json_array_add_object_element (next, json_object_ref (fresh));

  dc_store_reconcile (fixture->orders, next);
  g_assert_cmpuint (dc_store_get_count (fixture->orders), ==, 23);
  assert_mirror (G_LIST_MODEL (fixture->orders), mirror);

  for (guint i = 0; i < 3; i++)
    g_assert_null (dc_store_lookup (fixture->orders,
                                    id_of (element (fixture->snapshot, "orders", i))));
  /* updated in place: the same object the lists and the map hold */
  g_assert_true (dc_store_lookup (fixture->orders, dc_entity_get_id (kept)) == kept);
  entity = dc_store_lookup (fixture->orders, id_of (changed));
  g_assert_cmpint (dc_order_get_status (DC_ORDER (entity)), ==, DISPATCH_ORDER_PICKED_UP);
  g_assert_nonnull (dc_store_lookup (fixture->orders, "fresh-order"));

  dc_store_reconcile (fixture->orders, nothing);
  g_assert_cmpuint (dc_store_get_count (fixture->orders), ==, 0);
  assert_mirror (G_LIST_MODEL (fixture->orders), mirror);
}

static void
count_cb (GObject    *object,
          GParamSpec *pspec,
          guint      *count)
{
  (*count)++;
}

static void
test_notify_on_change (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autoptr(JsonObject) driver = copy_object (element (fixture->snapshot, "drivers", 0));
  guint any = 0, name = 0, state = 0;
  DcEntity *entity;

  entity = dc_store_upsert (fixture->drivers, driver);
  g_signal_connect (entity, "notify", G_CALLBACK (count_cb), &any);
  g_signal_connect (entity, "notify::name", G_CALLBACK (count_cb), &name);
  g_signal_connect (entity, "notify::state", G_CALLBACK (count_cb), &state);

  g_assert_true (dc_store_upsert (fixture->drivers, driver) == entity);
  g_assert_cmpuint (any, ==, 0);

  json_object_set_string_member (driver, "name", "Somebody Else");
  dc_store_upsert (fixture->drivers, driver);
  g_assert_cmpuint (name, ==, 1);
  g_assert_cmpuint (state, ==, 0);
  /* the name and the search text */
  g_assert_cmpuint (any, ==, 2);
  g_assert_cmpuint (dc_store_get_count (fixture->drivers), ==, 1);
}

static void
test_stream_events (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(JsonObject) order = copy_object (element (fixture->snapshot, "orders", 2));
  g_autoptr(JsonObject) driver = copy_object (element (fixture->snapshot, "drivers", 1));
  g_autoptr(JsonObject) frame = NULL;
  g_autofree char *now = dispatch_format_timestamp (g_get_real_time () + G_USEC_PER_SEC);
  g_autofree char *later = dispatch_format_timestamp (g_get_real_time () + 2 * G_USEC_PER_SEC);
  g_autofree char *locations = NULL;
  g_autofree char *location = NULL;
  DcDriver *moved;
  DcDriver *stale;
  double stale_lat;

  g_assert_cmpint (dc_stream_get_state (fixture->stream), ==, DC_CONNECTION_DISCONNECTED);
  feed (fixture, fixture->snapshot);
  g_assert_cmpint (dc_stream_get_state (fixture->stream), ==, DC_CONNECTION_LIVE);
  g_assert_cmpint (dc_stream_get_last_seq (fixture->stream), ==, 1200);
  g_assert_cmpuint (dc_store_get_count (fixture->orders), ==, 25);
  g_assert_cmpuint (dc_store_get_count (fixture->drivers), ==, 60);

  /* an update, then its replay with other data after a resume: ignored */
  json_object_set_string_member (order, "status", "assigned");
  json_object_set_string_member (order, "driver_id", id_of (driver));
  frame = event_frame ("order.assigned", 1201, order);
  feed (fixture, frame);
  g_clear_pointer (&frame, json_object_unref);
  json_object_set_string_member (order, "status", "cancelled");
  frame = event_frame ("order.updated", 1201, order);
  feed (fixture, frame);
  g_clear_pointer (&frame, json_object_unref);
  g_assert_cmpint (dc_stream_get_last_seq (fixture->stream), ==, 1201);
  g_assert_cmpint (dc_order_get_status (DC_ORDER (dc_store_lookup (fixture->orders,
                                                                   id_of (order)))),
                   ==, DISPATCH_ORDER_ASSIGNED);

  /* a terminal order leaves the open-order lists */
  json_object_set_string_member (order, "status", "delivered");
  frame = event_frame ("order.updated", 1202, order);
  feed (fixture, frame);
  g_clear_pointer (&frame, json_object_unref);
  g_assert_null (dc_store_lookup (fixture->orders, id_of (order)));
  g_assert_cmpuint (dc_store_get_count (fixture->orders), ==, 24);

  /* coalesced locations: the newer point moves, the older one does not */
  moved = DC_DRIVER (dc_store_lookup (fixture->drivers, id_of (driver)));
  stale = DC_DRIVER (dc_store_lookup (fixture->drivers,
                                      id_of (element (fixture->snapshot, "drivers", 2))));
  stale_lat = dc_driver_get_lat (stale);
  locations = g_strdup_printf ("{\"type\":\"driver.locations\",\"items\":["
                               "{\"driver_id\":\"%s\",\"lat\":52.5,\"lon\":13.4,\"heading\":90,"
                               "\"recorded_at\":\"%s\"},"
                               "{\"driver_id\":\"%s\",\"lat\":1.0,\"lon\":1.0,"
                               "\"recorded_at\":\"2000-01-01T00:00:00Z\"},"
                               "{\"driver_id\":\"nobody\",\"lat\":1.0,\"lon\":1.0,"
                               "\"recorded_at\":\"%s\"}]}",
                               id_of (driver), now, dc_entity_get_id (DC_ENTITY (stale)), now);
  feed_text (fixture, locations);
  g_assert_cmpfloat_with_epsilon (dc_driver_get_lat (moved), 52.5, 1e-9);
  g_assert_cmpfloat_with_epsilon (dc_driver_get_heading (moved), 90, 1e-9);
  g_assert_cmpfloat_with_epsilon (dc_driver_get_lat (stale), stale_lat, 1e-9);

  /* a single location as dispatchd sends it, without "seq": not a state
   * event, so not a replay either */
  location = g_strdup_printf ("{\"id\":\"e\",\"type\":\"driver.location\","
                              "\"occurred_at\":\"%s\",\"data\":{\"driver_id\":\"%s\","
                              "\"lat\":52.51,\"lon\":13.41,\"heading\":null,"
                              "\"speed_mps\":null,\"recorded_at\":\"%s\"}}",
                              later, id_of (driver), later);
  feed_text (fixture, location);
  g_assert_cmpfloat_with_epsilon (dc_driver_get_lat (moved), 52.51, 1e-9);
  g_assert_cmpint (dc_stream_get_last_seq (fixture->stream), ==, 1202);

  /* a new driver, whose first point came before it (the point is live at
   * once, the driver's event goes through the server's outbox) */
  g_free (location);
  location = g_strdup_printf ("{\"id\":\"e\",\"type\":\"driver.location\","
                              "\"occurred_at\":\"%s\",\"data\":{\"driver_id\":\"new-driver\","
                              "\"lat\":52.52,\"lon\":13.42,\"recorded_at\":\"%s\"}}",
                              later, later);
  feed_text (fixture, location);
  g_assert_cmpuint (dc_store_get_count (fixture->drivers), ==, 60);
  json_object_set_string_member (driver, "id", "new-driver");
  json_object_set_null_member (driver, "location");
  frame = event_frame ("driver.updated", 1203, driver);
  feed (fixture, frame);
  g_clear_pointer (&frame, json_object_unref);
  g_assert_cmpuint (dc_store_get_count (fixture->drivers), ==, 61);
  g_assert_cmpfloat_with_epsilon (dc_driver_get_lat (DC_DRIVER (dc_store_lookup (
                                    fixture->drivers, "new-driver"))), 52.52, 1e-9);

  /* garbage is dropped, loudly, and changes nothing */
  g_test_expect_message ("dispatch-console", G_LOG_LEVEL_WARNING, "*dropping a frame*");
  feed_text (fixture, "{not json");
  g_test_assert_expected_messages ();
  g_assert_cmpint (dc_stream_get_last_seq (fixture->stream), ==, 1203);

  /* the socket ends: no longer live, and the data stays for the resume */
  dc_stream_handle_closed (fixture->stream);
  g_assert_cmpint (dc_stream_get_state (fixture->stream), ==, DC_CONNECTION_DISCONNECTED);
  g_assert_cmpuint (dc_store_get_count (fixture->drivers), ==, 61);

  /* the server no longer had our seq and sent a new snapshot */
  feed (fixture, fixture->snapshot);
  g_assert_cmpint (dc_stream_get_state (fixture->stream), ==, DC_CONNECTION_LIVE);
  g_assert_cmpint (dc_stream_get_last_seq (fixture->stream), ==, 1200);
  g_assert_cmpuint (dc_store_get_count (fixture->drivers), ==, 60);
  g_assert_cmpuint (dc_store_get_count (fixture->orders), ==, 25);
}

static void
test_candidates (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autoptr(GArray) candidates = NULL;
  DcOrder *order;

  feed (fixture, fixture->snapshot);
  order = DC_ORDER (dc_store_lookup (fixture->orders,
                                     id_of (element (fixture->snapshot, "orders", 0))));
  candidates = dc_candidates_rank (fixture->drivers, order, 20000, 5);

  g_assert_cmpuint (candidates->len, ==, 5);
  for (guint i = 0; i < candidates->len; i++)
    {
      DcCandidate *candidate = &g_array_index (candidates, DcCandidate, i);

      g_assert_cmpint (dc_driver_get_state (candidate->driver), !=, DISPATCH_DRIVER_OFFLINE);
      g_assert_true (dc_driver_has_location (candidate->driver));
      g_assert_cmpfloat (candidate->distance_m, >, 0);
      if (i > 0 && candidate->tier == g_array_index (candidates, DcCandidate, i - 1).tier)
        g_assert_cmpfloat (candidate->eta_s, >=,
                           g_array_index (candidates, DcCandidate, i - 1).eta_s);
      if (i > 0)
        g_assert_cmpint (candidate->tier, >=, g_array_index (candidates, DcCandidate, i - 1).tier);
      if (candidate->tier == DC_CANDIDATE_FREE)
        g_assert_cmpint (dc_driver_get_load (candidate->driver), <,
                         dc_driver_get_capacity (candidate->driver));
    }
}

/* A vehicle's weight limit against a driver's load and an order's, as the
 * question before assigning says it; failure codes as labels. */
static void
test_limits (Fixture       *fixture,
             gconstpointer  data)
{
  g_autoptr(JsonObject) driver_json = NULL;
  g_autoptr(JsonObject) order_json = NULL;
  g_autoptr(JsonObject) driver_load = json_object_new ();
  g_autoptr(JsonObject) order_load = json_object_new ();
  g_autofree char *over = NULL;
  DcDriver *driver;
  DcOrder *order;

  feed (fixture, fixture->snapshot);
  driver_json = copy_object (element (fixture->snapshot, "drivers", 0));
  order_json = copy_object (element (fixture->snapshot, "orders", 0));
  json_object_set_string_member (order_json, "driver_id", NULL);
  json_object_set_double_member (driver_load, "weight_kg", 10);
  json_object_set_double_member (driver_load, "volume_l", 30);
  json_object_set_object_member (driver_json, "load", json_object_ref (driver_load));
  json_object_set_double_member (driver_json, "max_weight_kg", 20);
  json_object_set_double_member (order_load, "weight_kg", 8.5);
  json_object_set_double_member (order_load, "volume_l", 12);
  json_object_set_object_member (order_json, "load", json_object_ref (order_load));
  driver = DC_DRIVER (dc_store_update (fixture->drivers, driver_json));
  order = DC_ORDER (dc_store_update (fixture->orders, order_json));

  g_assert_null (dc_candidates_check_limits (driver, order));
  json_object_set_double_member (order_load, "weight_kg", 12.5);
  json_object_set_string_member (order_json, "updated_at", "2099-01-01T00:00:00Z");
  dc_store_update (fixture->orders, order_json);
  over = dc_candidates_check_limits (driver, order);
  g_assert_cmpstr (over, ==, "22.5 / 20 kg · 42 L");

  g_assert_cmpstr (dc_format_failure_reason ("customer_absent"), ==, "Customer absent");
  g_assert_cmpstr (dc_format_failure_reason ("teleported"), ==, "teleported");
}

static void
test_late (Fixture       *fixture,
           gconstpointer  data)
{
  g_autoptr(JsonObject) object = copy_object (element (fixture->snapshot, "orders", 0));
  g_autofree char *recent = dispatch_format_timestamp (g_get_real_time () - 60 * G_USEC_PER_SEC);
  DcOrder *order;

  /* pending for 25 minutes */
  order = DC_ORDER (dc_store_upsert (fixture->orders, object));
  g_assert_true (dc_order_get_late (order));
  g_assert_true (dc_entity_matches_category (DC_ENTITY (order), DC_ORDER_CATEGORY_LATE));

  json_object_set_string_member (object, "id", "recent");
  json_object_set_string_member (object, "created_at", recent);
  order = DC_ORDER (dc_store_upsert (fixture->orders, object));
  g_assert_false (dc_order_get_late (order));
  g_assert_false (dc_order_refresh_late (order, g_get_real_time ()));
  g_assert_true (dc_order_refresh_late (order, g_get_real_time () + G_TIME_SPAN_HOUR));
  g_assert_true (dc_order_get_late (order));
}

/* A scheduled order is not late while it waits for its planned pickup; the
 * window and the at-risk mark come from the server's object. */
static void
test_scheduled (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(JsonObject) object = copy_object (element (fixture->snapshot, "orders", 0));
  gint64 now = g_get_real_time ();
  g_autofree char *pickup = dispatch_format_timestamp (now + G_TIME_SPAN_HOUR);
  g_autofree char *before = dispatch_format_timestamp (now + 2 * G_TIME_SPAN_HOUR);
  gint64 after_usec, before_usec;
  DcOrder *order;

  json_object_set_string_member (object, "id", "scheduled");
  json_object_set_string_member (object, "pickup_at", pickup);
  json_object_set_string_member (object, "deliver_before", before);
  json_object_set_boolean_member (object, "at_risk", TRUE);
  order = DC_ORDER (dc_store_upsert (fixture->orders, object));
  g_assert_false (dc_order_get_late (order));
  g_assert_false (dc_order_refresh_late (order, now + G_TIME_SPAN_HOUR));
  g_assert_true (dc_order_refresh_late (order, now + 2 * G_TIME_SPAN_HOUR));
  dc_order_get_window (order, &after_usec, &before_usec);
  g_assert_cmpint (after_usec, ==, 0);
  g_assert_cmpint (before_usec, ==, now + 2 * G_TIME_SPAN_HOUR);
  g_assert_cmpint (dc_order_get_pickup_at (order), ==, now + G_TIME_SPAN_HOUR);
  g_assert_true (dc_order_get_at_risk (order));
}

static void
counted_cb (gpointer  instance,
            guint    *count)
{
  (*count)++;
}

static void
notified_cb (GObject    *object,
             GParamSpec *pspec,
             guint      *count)
{
  (*count)++;
}

/* order.at_risk keeps updated_at: the mark still notifies, and the order's
 * marks say "at risk" until it ends. */
static void
test_at_risk (Fixture       *fixture,
              gconstpointer  data)
{
  g_autoptr(JsonObject) object = copy_object (element (fixture->snapshot, "orders", 1));
  g_autoptr(JsonObject) frame = NULL;
  guint notified = 0;
  DcOrder *order;

  json_object_set_string_member (object, "status", "assigned");
  json_object_set_null_member (object, "eta_seconds");
  order = DC_ORDER (dc_store_upsert (fixture->orders, object));
  g_assert_false (dc_order_get_at_risk (order));
  g_assert_cmpstr (dc_format_order_css_class (order), !=, "at-risk");
  g_signal_connect (order, "notify::at-risk", G_CALLBACK (notified_cb), &notified);

  json_object_set_boolean_member (object, "at_risk", TRUE);
  frame = event_frame ("order.at_risk", 1301, object);
  feed (fixture, frame);
  g_assert_cmpuint (notified, ==, 1);
  g_assert_true (dc_order_get_at_risk (order));
  g_assert_cmpstr (dc_format_order_css_class (order), ==, "at-risk");
  g_assert_cmpstr (dc_format_order_badge (order), ==, "At risk");
}

/* A driver.route object with @n stops of @driver_id: pickup and dropoff of
 * "order-a", then "order-b"'s dropoff. */
static JsonObject *
route_object (const char *driver_id,
              const char *updated_at,
              guint       n)
{
  g_autofree char *text = g_strdup_printf (
    "{\"driver_id\":\"%s\",\"updated_at\":\"%s\",\"stops\":["
    "{\"order_id\":\"order-a\",\"kind\":\"pickup\","
    "\"location\":{\"lat\":52.5,\"lon\":13.4,\"address\":\"Market St 1\"},"
    "\"eta\":\"2026-11-22T10:05:00Z\",\"ready_at\":\"2026-11-22T10:04:00Z\"},"
    "{\"order_id\":\"order-b\",\"kind\":\"dropoff\",\"location\":{\"lat\":52.51,\"lon\":13.41},"
    "\"eta\":null,\"deliver_before\":\"2026-11-22T10:30:00Z\"},"
    "{\"order_id\":\"order-a\",\"kind\":\"dropoff\","
    "\"location\":{\"lat\":52.52,\"lon\":13.42,\"address\":\"Dock 9\"},"
    "\"eta\":\"2026-11-22T10:20:00Z\"}]}", driver_id, updated_at);
  JsonObject *route = dispatch_json_parse_object (text, -1, NULL);
  JsonArray *stops = json_object_get_array_member (route, "stops");

  while (json_array_get_length (stops) > n)
    json_array_remove_element (stops, json_array_get_length (stops) - 1);

  return route;
}

/* The route follows driver.route events of its driver only, the newest
 * winning; a stop that does not read leaves the route as it was. */
static void
test_route (Fixture       *fixture,
            gconstpointer  data)
{
  g_autoptr(DcRoute) route = dc_route_new (NULL, fixture->stream);
  g_autoptr(JsonObject) first = route_object ("driver-1", "2026-11-22T10:00:00Z", 3);
  g_autoptr(JsonObject) other = route_object ("driver-2", "2026-11-22T10:01:00Z", 1);
  g_autoptr(JsonObject) older = route_object ("driver-1", "2026-11-22T09:59:00Z", 1);
  g_autoptr(JsonObject) newer = route_object ("driver-1", "2026-11-22T10:02:00Z", 1);
  g_autoptr(JsonObject) broken = route_object ("driver-1", "2026-11-22T10:03:00Z", 2);
  g_autoptr(JsonObject) frame = NULL;
  const DcRouteStop *stop;
  gint64 usec = 0;
  guint changed = 0;

  g_signal_connect (route, "changed", G_CALLBACK (counted_cb), &changed);
  /* followed by no one: nothing applies */
  g_assert_false (dc_route_apply_json (route, first));
  dc_route_set_driver_id (route, "driver-1");
  g_assert_cmpuint (changed, ==, 1);

  frame = event_frame ("driver.route", 1401, first);
  feed (fixture, frame);
  g_assert_cmpuint (changed, ==, 2);
  g_assert_cmpuint (dc_route_get_n_stops (route), ==, 3);
  stop = dc_route_get_stop (route, 0);
  g_assert_cmpstr (stop->order_id, ==, "order-a");
  g_assert_cmpint (stop->kind, ==, DC_STOP_PICKUP);
  g_assert_cmpfloat (stop->lat, ==, 52.5);
  g_assert_cmpstr (stop->address, ==, "Market St 1");
  g_assert_true (dispatch_parse_timestamp ("2026-11-22T10:05:00Z", &usec));
  g_assert_cmpint (stop->eta, ==, usec);
  g_assert_true (dispatch_parse_timestamp ("2026-11-22T10:04:00Z", &usec));
  g_assert_cmpint (stop->ready_at, ==, usec);
  stop = dc_route_get_stop (route, 1);
  g_assert_cmpint (stop->kind, ==, DC_STOP_DROPOFF);
  g_assert_cmpint (stop->eta, ==, 0);
  g_assert_null (stop->address);
  g_assert_true (dispatch_parse_timestamp ("2026-11-22T10:30:00Z", &usec));
  g_assert_cmpint (stop->deliver_before, ==, usec);
  g_assert_cmpstr (dc_route_get_stop (route, 2)->order_id, ==, "order-a");

  /* another driver's, an older one, a stop of unknown kind: ignored */
  g_assert_false (dc_route_apply_json (route, other));
  g_assert_false (dc_route_apply_json (route, older));
  json_object_set_string_member (json_array_get_object_element (
                                   json_object_get_array_member (broken, "stops"), 1),
                                 "kind", "detour");
  g_assert_false (dc_route_apply_json (route, broken));
  g_assert_cmpuint (dc_route_get_n_stops (route), ==, 3);
  g_assert_cmpuint (changed, ==, 2);

  g_assert_true (dc_route_apply_json (route, newer));
  g_assert_cmpuint (dc_route_get_n_stops (route), ==, 1);

  /* another driver on show: empty until its route comes */
  dc_route_set_driver_id (route, "driver-2");
  g_assert_cmpuint (dc_route_get_n_stops (route), ==, 0);
  g_assert_true (dc_route_apply_json (route, other));
  g_assert_cmpuint (dc_route_get_n_stops (route), ==, 1);
}

/* Times typed in the form and the window as the lists show it. */
static void
test_local_time (void)
{
  g_autoptr(GDateTime) now = g_date_time_new_local (2026, 12, 7, 9, 15, 0);
  g_autoptr(GDateTime) expected = g_date_time_new_local (2026, 12, 7, 14, 30, 0);
  g_autoptr(GDateTime) other_day = g_date_time_new_local (2026, 12, 24, 8, 5, 0);
  gint64 now_usec = g_date_time_to_unix (now) * G_USEC_PER_SEC;
  gint64 at_usec = g_date_time_to_unix (expected) * G_USEC_PER_SEC;
  gint64 other_usec = g_date_time_to_unix (other_day) * G_USEC_PER_SEC;
  const char *bad[] = { "", "14", "14:3x", "25:00", "14:60", "2026-13-01 10:00", "tomorrow",
                        "14:30 pm" };
  g_autofree char *short_form = NULL;
  g_autofree char *long_form = NULL;
  g_autofree char *window = NULL;
  g_autofree char *by = NULL;
  g_autofree char *from = NULL;
  gint64 usec = 0;

  g_assert_true (dc_local_time_parse ("14:30", now_usec, &usec));
  g_assert_cmpint (usec, ==, at_usec);
  g_assert_true (dc_local_time_parse (" 2026-12-24 08:05 ", now_usec, &usec));
  g_assert_cmpint (usec, ==, other_usec);
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_test_message ("%s", bad[i]);
      g_assert_false (dc_local_time_parse (bad[i], now_usec, &usec));
    }

  short_form = dc_local_time_format (at_usec, now_usec, DC_LOCAL_TIME_DATED);
  g_assert_cmpstr (short_form, ==, "14:30");
  long_form = dc_local_time_format (other_usec, now_usec, DC_LOCAL_TIME_DATED);
  g_assert_cmpstr (long_form, ==, "2026-12-24 08:05");

  window = dc_format_window (now_usec, at_usec, now_usec);
  g_assert_cmpstr (window, ==, "09:15–14:30");
  by = dc_format_window (0, at_usec, now_usec);
  g_assert_cmpstr (by, ==, "by 14:30");
  from = dc_format_window (other_usec, 0, now_usec);
  g_assert_true (g_str_has_prefix (from, "from ") && g_str_has_suffix (from, " 08:05"));
  g_assert_null (dc_format_window (0, 0, now_usec));
}

static void
raised_cb (DcAlerts *alerts,
           DcAlert  *alert,
           guint    *count)
{
  (*count)++;
}

static void
test_alerts (Fixture       *fixture,
             gconstpointer  data)
{
  g_autoptr(DcAlerts) alerts = dc_alerts_new (fixture->stream, fixture->orders, NULL);
  g_autoptr(JsonObject) order = copy_object (element (fixture->snapshot, "orders", 1));
  g_autoptr(JsonObject) alert = json_object_new ();
  g_autoptr(JsonObject) frame = NULL;
  g_autoptr(DcAlert) first = NULL;
  guint raised = 0;
  guint late;

  g_signal_connect (alerts, "raised", G_CALLBACK (raised_cb), &raised);

  /* in sync: the snapshot's late orders are reported at once */
  feed (fixture, fixture->snapshot);
  late = raised;
  g_assert_cmpuint (late, >=, 2);

  frame = event_frame ("order.unassignable", 1201, order);
  feed (fixture, frame);
  g_clear_pointer (&frame, json_object_unref);
  json_object_set_string_member (alert, "message", "Ana went offline with 2 orders");
  frame = event_frame ("alert", 1202, alert);
  feed (fixture, frame);
  g_clear_pointer (&frame, json_object_unref);
  frame = event_frame ("order.at_risk", 1203, order);
  feed (fixture, frame);

  g_assert_cmpuint (raised, ==, late + 3);
  g_assert_cmpuint (dc_alerts_get_unread (alerts), ==, late + 3);
  /* newest first */
  first = g_list_model_get_item (dc_alerts_get_model (alerts), 0);
  g_assert_cmpstr (dc_alert_get_order_id (first), ==, id_of (order));
  g_clear_object (&first);
  first = g_list_model_get_item (dc_alerts_get_model (alerts), 2);
  g_assert_cmpstr (dc_alert_get_order_id (first), ==, id_of (order));

  /* each late order is reported once */
  dc_alerts_check_late (alerts);
  g_assert_cmpuint (raised, ==, late + 3);

  dc_alerts_mark_read (alerts);
  g_assert_cmpuint (dc_alerts_get_unread (alerts), ==, 0);
}

/* The container of images in @node, the markers of a DcMarkerCanvas at
 * @scale: in device pixels, inside a scale to logical pixels unless 1. */
static GskRenderNode *
marker_images (GskRenderNode *node,
               int            scale)
{
  if (scale != 1)
    {
      float scale_x, scale_y, dx, dy;

      g_assert_cmpint (gsk_render_node_get_node_type (node), ==, GSK_TRANSFORM_NODE);
      gsk_transform_to_affine (gsk_transform_node_get_transform (node),
                               &scale_x, &scale_y, &dx, &dy);
      g_assert_cmpfloat (scale_x, ==, 1.0f / scale);
      g_assert_cmpfloat (scale_y, ==, 1.0f / scale);
      g_assert_cmpfloat (dx, ==, 0);
      g_assert_cmpfloat (dy, ==, 0);
      node = gsk_transform_node_get_child (node);
    }
  g_assert_cmpint (gsk_render_node_get_node_type (node), ==, GSK_CONTAINER_NODE);

  return node;
}

/* The image @child draws, a cairo node of device pixels, drawn as the
 * cairo renderer draws it at scale 1. */
static cairo_surface_t *
image_of (GskRenderNode *child)
{
  cairo_surface_t *image;
  graphene_rect_t bounds;
  cairo_t *cr;

  g_assert_cmpint (gsk_render_node_get_node_type (child), ==, GSK_CAIRO_NODE);
  gsk_render_node_get_bounds (child, &bounds);
  image = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, (int) bounds.size.width,
                                      (int) bounds.size.height);
  cr = cairo_create (image);
  cairo_translate (cr, -bounds.origin.x, -bounds.origin.y);
  gsk_render_node_draw (child, cr);
  cairo_destroy (cr);
  cairo_surface_flush (image);

  return image;
}

/* Premultiplied ARGB of device pixel (@x, @y) of the markers in @node, of
 * a DcMarkerCanvas at @scale; 0 where no image covers it. */
static guint32
pixel_at (GskRenderNode *node,
          int            scale,
          int            x,
          int            y)
{
  GskRenderNode *images = marker_images (node, scale);

  for (guint i = 0; i < gsk_container_node_get_n_children (images); i++)
    {
      GskRenderNode *child = gsk_container_node_get_child (images, i);
      cairo_surface_t *image;
      graphene_rect_t bounds;
      guint32 pixel;
      int left, top;

      gsk_render_node_get_bounds (child, &bounds);
      left = (int) bounds.origin.x;
      top = (int) bounds.origin.y;
      if (x < left || y < top || x >= left + bounds.size.width || y >= top + bounds.size.height)
        continue;

      image = image_of (child);
      pixel = *(guint32 *) (cairo_image_surface_get_data (image) +
                            (gsize) (y - top) * cairo_image_surface_get_stride (image) +
                            (gsize) (x - left) * sizeof (guint32));
      cairo_surface_destroy (image);

      return pixel;
    }

  return 0;
}

/* Device pixels the images of @node hold. */
static int
image_area (GskRenderNode *node,
            int            scale)
{
  GskRenderNode *images = marker_images (node, scale);
  int area = 0;

  for (guint i = 0; i < gsk_container_node_get_n_children (images); i++)
    {
      graphene_rect_t bounds;

      gsk_render_node_get_bounds (gsk_container_node_get_child (images, i), &bounds);
      area += (int) (bounds.size.width * bounds.size.height);
    }

  return area;
}

static void
test_marker_canvas (void)
{
  /* 2×2 device pixels: opaque red, half-transparent white, clear, opaque blue */
  guint32 art[] = { 0xffff0000, 0x80808080, 0x00000000, 0xff0000ff };
  DcSprite sprite = { 2, 2, art };
  g_autoptr(DcMarkerCanvas) canvas = NULL;
  g_autoptr(DcMarkerCanvas) large = NULL;
  g_autoptr(GskRenderNode) node = NULL;

  /* GSK registers its node types with the first of them asked for; GTK
   * does that at start, and this test does not start GTK. */
  g_type_ensure (GSK_TYPE_CAIRO_NODE);

  /* nothing on it: no image at all */
  canvas = dc_marker_canvas_new (4, 3, 2);
  dc_marker_canvas_draw (canvas, &sprite, -5, -5);
  g_assert_null (dc_marker_canvas_take_node (canvas));

  /* logical (1, 1) at scale 2 is device (2, 2): the sprite covers 1..2 */
  dc_marker_canvas_draw (canvas, &sprite, 1, 1);
  dc_marker_canvas_draw (canvas, &sprite, 1, 1);
  /* half off the top left corner: only its last pixel lands, at (0, 0) */
  dc_marker_canvas_draw (canvas, &sprite, 0, 0);
  node = dc_marker_canvas_take_node (canvas);
  g_assert_nonnull (node);
  /* only what was drawn into: device 0..2 square */
  g_assert_cmpint (image_area (node, 2), ==, 9);

  g_assert_cmphex (pixel_at (node, 2, 1, 1), ==, 0xffff0000);
  /* 50 % white over 50 % white: 75 % */
  g_assert_cmphex (pixel_at (node, 2, 2, 1), ==, 0xc0c0c0c0);
  g_assert_cmphex (pixel_at (node, 2, 1, 2), ==, 0x00000000);
  g_assert_cmphex (pixel_at (node, 2, 2, 2), ==, 0xff0000ff);
  g_assert_cmphex (pixel_at (node, 2, 0, 0), ==, 0xff0000ff);
  g_assert_cmphex (pixel_at (node, 2, 3, 3), ==, 0x00000000);
  g_clear_pointer (&node, gsk_render_node_unref);

  /* Taken, the canvas is clear for the next drawing: what is drawn then
   * lands on clear pixels. */
  g_assert_null (dc_marker_canvas_take_node (canvas));
  dc_marker_canvas_draw (canvas, &sprite, 1, 1);
  node = dc_marker_canvas_take_node (canvas);
  g_assert_cmphex (pixel_at (node, 2, 2, 1), ==, 0x80808080);
  g_assert_cmphex (pixel_at (node, 2, 0, 0), ==, 0x00000000);
  g_clear_pointer (&node, gsk_render_node_unref);

  /* On a larger canvas, markers far apart make an image each that holds
   * them and not the empty map between them, even in the same row of
   * tiles; one across the edge of two tiles makes one. */
  large = dc_marker_canvas_new (600, 400, 1);
  dc_marker_canvas_draw (large, &sprite, 10, 300);
  dc_marker_canvas_draw (large, &sprite, 500, 300);
  dc_marker_canvas_draw (large, &sprite, 128, 50);
  node = dc_marker_canvas_take_node (large);
  g_assert_cmpuint (gsk_container_node_get_n_children (marker_images (node, 1)), ==, 3);
  g_assert_cmpint (image_area (node, 1), ==, 3 * 4);
  g_assert_cmphex (pixel_at (node, 1, 9, 299), ==, 0xffff0000);
  g_assert_cmphex (pixel_at (node, 1, 500, 300), ==, 0xff0000ff);
  g_assert_cmphex (pixel_at (node, 1, 127, 49), ==, 0xffff0000);
  g_assert_cmphex (pixel_at (node, 1, 128, 49), ==, 0x80808080);
  g_assert_cmphex (pixel_at (node, 1, 128, 50), ==, 0xff0000ff);
  g_assert_cmphex (pixel_at (node, 1, 300, 200), ==, 0x00000000);
  g_clear_pointer (&node, gsk_render_node_unref);

  /* Markers that fill most of what they span make one image of it all. */
  for (int y = 1; y < 100; y += 2)
    for (int x = 1; x < 100; x += 2)
      dc_marker_canvas_draw (large, &sprite, x, y);
  dc_marker_canvas_draw (large, &sprite, 120, 120);
  node = dc_marker_canvas_take_node (large);
  g_assert_cmpuint (gsk_container_node_get_n_children (marker_images (node, 1)), ==, 1);
  g_assert_cmpint (image_area (node, 1), ==, 121 * 121);
  g_assert_cmphex (pixel_at (node, 1, 98, 98), ==, 0xffff0000);
  g_assert_cmphex (pixel_at (node, 1, 99, 99), ==, 0xff0000ff);
  g_assert_cmphex (pixel_at (node, 1, 110, 110), ==, 0x00000000);
}

#define SECONDS(n) ((gint64) (n) * G_USEC_PER_SEC)

/* A replay's state at any time from the frames of GET /api/v1/history. */
static void
test_replay_model (void)
{
  static const char history[] =
    "{\"from\":\"2019-06-01T10:00:00Z\",\"to\":\"2019-06-01T11:00:00Z\",\"step_s\":10,"
    "\"frames\":["
    "{\"t\":\"2019-06-01T10:00:00Z\",\"type\":\"order\",\"order_id\":\"o1\","
    "\"status\":\"assigned\",\"driver_id\":\"ann\",\"pickup\":{\"lat\":50,\"lon\":10},"
    "\"dropoff\":{\"lat\":51,\"lon\":11}},"
    "{\"t\":\"2019-06-01T10:00:04Z\",\"type\":\"position\",\"driver_id\":\"ann\","
    "\"lat\":50.1,\"lon\":10.1},"
    "{\"t\":\"2019-06-01T10:00:30Z\",\"type\":\"position\",\"driver_id\":\"ann\","
    "\"lat\":50.2,\"lon\":10.2},"
    "{\"t\":\"2019-06-01T10:01:00Z\",\"type\":\"order\",\"order_id\":\"o2\","
    "\"status\":\"pending\",\"driver_id\":null,\"pickup\":{\"lat\":52,\"lon\":12},"
    "\"dropoff\":{\"lat\":53,\"lon\":13}},"
    "{\"t\":\"2019-06-01T10:02:00Z\",\"type\":\"order\",\"order_id\":\"o1\","
    "\"status\":\"picked_up\",\"driver_id\":\"ann\",\"pickup\":{\"lat\":50,\"lon\":10},"
    "\"dropoff\":{\"lat\":51,\"lon\":11}},"
    "{\"t\":\"2019-06-01T10:05:00Z\",\"type\":\"position\",\"driver_id\":\"ann\","
    "\"lat\":50.5,\"lon\":10.5},"
    "{\"t\":\"2019-06-01T10:06:00Z\",\"type\":\"zone\"},"
    "{\"t\":\"2019-06-01T10:10:00Z\",\"type\":\"order\",\"order_id\":\"o1\","
    "\"status\":\"delivered\",\"driver_id\":\"ann\",\"pickup\":{\"lat\":50,\"lon\":10},"
    "\"dropoff\":{\"lat\":51,\"lon\":11}}]}";
  g_autoptr(JsonObject) object = dispatch_json_parse_object (history, -1, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(DcReplayModel) model = dc_replay_model_new_from_history (object, &error);
  gint64 from = SECONDS (1559383200);   /* 2019-06-01T10:00:00Z */
  const DcReplayPoint *points = NULL;
  const DcReplayOrderState *state;
  guint counts[DC_REPLAY_N_STATUSES];
  g_autoptr(JsonObject) late = NULL;

  g_assert_no_error (error);
  g_assert_cmpint (dc_replay_model_get_from (model), ==, from);
  g_assert_cmpint (dc_replay_model_get_to (model), ==, from + SECONDS (3600));
  g_assert_cmpuint (dc_replay_model_get_n_drivers (model), ==, 1);
  g_assert_cmpuint (dc_replay_model_get_n_orders (model), ==, 2);
  g_assert_cmpstr (dc_replay_model_get_driver_id (model, 0), ==, "ann");

  /* Before its first position the driver is nowhere; then at its last one. */
  g_assert_cmpuint (dc_replay_model_get_trail (model, 0, from + SECONDS (3),
                                               SECONDS (60), &points), ==, 0);
  g_assert_cmpuint (dc_replay_model_get_trail (model, 0, from + SECONDS (40),
                                               SECONDS (60), &points), ==, 2);
  g_assert_cmpfloat (points[1].lat, ==, 50.2);
  /* a one-minute trail at 10:05:00 holds only the point of 10:05 */
  g_assert_cmpuint (dc_replay_model_get_trail (model, 0, from + SECONDS (300),
                                               SECONDS (60), &points), ==, 1);
  g_assert_cmpfloat (points[0].lat, ==, 50.5);
  /* a long-gone last position is still where it is at t */
  g_assert_cmpuint (dc_replay_model_get_trail (model, 0, from + SECONDS (3000),
                                               SECONDS (60), &points), ==, 1);

  /* Orders: o2 appears at 10:01; o1 goes assigned → picked up → delivered. */
  g_assert_null (dc_replay_model_get_order_at (model, 1, from + SECONDS (59)));
  state = dc_replay_model_get_order_at (model, 0, from + SECONDS (119));
  g_assert_cmpint (state->status, ==, DC_REPLAY_ASSIGNED);
  g_assert_cmpint (state->driver, ==, 0);
  g_assert_cmpfloat (state->dropoff_lon, ==, 11);
  state = dc_replay_model_get_order_at (model, 0, from + SECONDS (120));
  g_assert_cmpint (state->status, ==, DC_REPLAY_PICKED_UP);
  dc_replay_model_count_at (model, from + SECONDS (61), counts);
  g_assert_cmpuint (counts[DC_REPLAY_PENDING], ==, 1);
  g_assert_cmpuint (counts[DC_REPLAY_ASSIGNED], ==, 1);
  dc_replay_model_count_at (model, from + SECONDS (3599), counts);
  g_assert_cmpuint (counts[DC_REPLAY_DELIVERED], ==, 1);
  g_assert_cmpuint (counts[DC_REPLAY_PICKED_UP], ==, 0);
  g_assert_cmpuint (counts[DC_REPLAY_PENDING], ==, 1);

  /* A frame older than the last one, or one that cannot be read, is refused. */
  late = dispatch_json_parse_object ("{\"t\":\"2019-06-01T10:00:00Z\",\"type\":\"position\","
                                     "\"driver_id\":\"ann\",\"lat\":1,\"lon\":1}", -1, NULL);
  g_assert_false (dc_replay_model_add_frame (model, late, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_clear_error (&error);
  json_object_set_string_member (late, "t", "2019-06-01T10:20:00Z");
  json_object_remove_member (late, "lat");
  g_assert_false (dc_replay_model_add_frame (model, late, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
}

/* The period a dispatcher asks to replay. */
static void
test_replay_period (void)
{
  g_autoptr(GDateTime) now = g_date_time_new_local (2026, 12, 7, 18, 30, 15);
  g_autoptr(GDateTime) nine = g_date_time_new_local (2026, 12, 7, 9, 0, 0);
  g_autoptr(GDateTime) evening = g_date_time_new_local (2026, 12, 6, 20, 15, 0);
  g_autoptr(GDateTime) earlier = g_date_time_new_local (2026, 11, 30, 23, 5, 0);
  gint64 now_us = g_date_time_to_unix (now) * G_USEC_PER_SEC;
  gint64 from = 0, to = 0;

  /* empty: the hours up to now */
  g_assert_true (dc_replay_period_parse ("  ", 3, now, &from, &to));
  g_assert_cmpint (to, ==, now_us);
  g_assert_cmpint (from, ==, now_us - SECONDS (3 * 3600));
  /* "HH:MM" today; one still to come is yesterday's */
  g_assert_true (dc_replay_period_parse ("09:00", 1, now, &from, &to));
  g_assert_cmpint (from, ==, SECONDS (g_date_time_to_unix (nine)));
  g_assert_cmpint (to, ==, from + SECONDS (3600));
  g_assert_true (dc_replay_period_parse ("20:15", 24, now, &from, &to));
  g_assert_cmpint (from, ==, SECONDS (g_date_time_to_unix (evening)));
  g_assert_cmpint (to, ==, now_us);  /* never after now */
  g_assert_true (dc_replay_period_parse ("2026-11-30 23:05", 1, now, &from, &to));
  g_assert_cmpint (from, ==, SECONDS (g_date_time_to_unix (earlier)));
  /* not a time, or not before now */
  g_assert_false (dc_replay_period_parse ("9 o'clock", 1, now, &from, &to));
  g_assert_false (dc_replay_period_parse ("25:00", 1, now, &from, &to));
  g_assert_false (dc_replay_period_parse ("09:00x", 1, now, &from, &to));
  g_assert_false (dc_replay_period_parse ("2026-12-08 09:00", 1, now, &from, &to));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add ("/console/store/reconcile", Fixture, NULL,
              fixture_set_up, test_reconcile, fixture_tear_down);
  g_test_add ("/console/store/notify-on-change", Fixture, NULL,
              fixture_set_up, test_notify_on_change, fixture_tear_down);
  g_test_add ("/console/stream/events", Fixture, NULL,
              fixture_set_up, test_stream_events, fixture_tear_down);
  g_test_add ("/console/candidates", Fixture, NULL,
              fixture_set_up, test_candidates, fixture_tear_down);
  g_test_add ("/console/candidates/limits", Fixture, NULL,
              fixture_set_up, test_limits, fixture_tear_down);
  g_test_add ("/console/order/late", Fixture, NULL,
              fixture_set_up, test_late, fixture_tear_down);
  g_test_add ("/console/order/scheduled", Fixture, NULL,
              fixture_set_up, test_scheduled, fixture_tear_down);
  g_test_add ("/console/alerts", Fixture, NULL,
              fixture_set_up, test_alerts, fixture_tear_down);
  g_test_add ("/console/order/at-risk", Fixture, NULL,
              fixture_set_up, test_at_risk, fixture_tear_down);
  g_test_add ("/console/route", Fixture, NULL,
              fixture_set_up, test_route, fixture_tear_down);
  g_test_add_func ("/console/local-time", test_local_time);
  g_test_add_func ("/console/marker-canvas", test_marker_canvas);
  g_test_add_func ("/console/replay-model", test_replay_model);
  g_test_add_func ("/console/replay-period", test_replay_period);

  return g_test_run ();
}
