/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <math.h>
#include <string.h>

#include "test-scenario.h"
#include "test-utils.h"
#include "test-websocket.h"

#define FRAME_TIMEOUT_MS 10000
/* The server's resume ring (dsd-dispatcher-stream.h) */
#define RING_CAPACITY 4096

static DsdTestServer *server;
static char *dispatcher;

/* Helpers ------------------------------------------------------------------ */

static DsdTestWebsocket *
open_stream (const char *path,
             const char *token)
{
  guint status = 0;
  DsdTestWebsocket *ws = dsd_test_websocket_connect (server, path, token, &status);

  if (ws == NULL)
    g_error ("Could not open %s: HTTP %u", path, status);

  return ws;
}

static guint
refused_status (const char *path,
                const char *token)
{
  guint status = 0;
  g_autoptr(DsdTestWebsocket) ws = dsd_test_websocket_connect (server, path, token, &status);

  g_assert_null (ws);
  return status;
}

static const char *
frame_type (JsonObject *frame)
{
  return json_object_get_string_member_with_default (frame, "type", "");
}

static JsonObject *
frame_data (JsonObject *frame)
{
  return json_object_get_object_member (frame, "data");
}

/* The snapshot that opens a dispatcher stream; returns its seq. */
static gint64
expect_snapshot (DsdTestWebsocket *ws)
{
  g_autoptr(JsonObject) frame = dsd_test_websocket_next (ws, FRAME_TIMEOUT_MS);

  g_assert_nonnull (frame);
  g_assert_cmpstr (frame_type (frame), ==, "snapshot");
  g_assert_true (json_object_has_member (frame, "orders"));
  g_assert_true (json_object_has_member (frame, "drivers"));
  g_assert_nonnull (json_object_get_array_member (frame, "orders"));
  g_assert_nonnull (json_object_get_array_member (frame, "drivers"));

  return json_object_get_int_member (frame, "seq");
}

/* A driver without a location (automation leaves it alone) whose online flag
 * the test flips to make driver.updated events. */
static char *
create_idle_driver (void)
{
  g_autofree char *driver_id = NULL;
  g_autofree char *token = dsd_test_create_user (server, "driver", &driver_id, NULL);

  return g_steal_pointer (&driver_id);
}

static void
set_online (const char *driver_id,
            gboolean    online)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/drivers/%s/online", driver_id);
  g_autoptr(DsdTestResponse) response = NULL;

  response = dsd_test_request (server, "POST", path, dispatcher,
                               online ? "{\"online\":true}" : "{\"online\":false}", NULL);
  g_assert_cmpuint (response->status, ==, 200);
}

/* Driver location events in a frame (either form) of this driver. */
static gboolean
frame_has_location_of (JsonObject *frame,
                       const char *driver_id,
                       double     *lat)
{
  if (g_str_equal (frame_type (frame), "driver.location"))
    {
      JsonObject *data = frame_data (frame);

      /* API.md: location events carry recorded_at and no seq. */
      g_assert_false (json_object_has_member (frame, "seq"));

      if (g_strcmp0 (json_object_get_string_member (data, "driver_id"), driver_id) != 0)
        return FALSE;
      if (lat != NULL)
        *lat = json_object_get_double_member (data, "lat");
      return TRUE;
    }

  if (g_str_equal (frame_type (frame), "driver.locations"))
    {
      JsonArray *items = json_object_get_array_member (frame, "items");

      for (guint i = 0; i < json_array_get_length (items); i++)
        {
          JsonObject *item = json_array_get_object_element (items, i);

          if (g_strcmp0 (json_object_get_string_member (item, "driver_id"), driver_id) == 0)
            {
              if (lat != NULL)
                *lat = json_object_get_double_member (item, "lat");
              return TRUE;
            }
        }
    }

  return FALSE;
}

static gint64
current_seq (void)
{
  g_autoptr(DsdTestWebsocket) ws = open_stream ("/api/v1/stream", dispatcher);

  return expect_snapshot (ws);
}

/* Whether the stream's snapshot is at least at *(gint64 *) user_data. */
/* A stream handles a client's frames in order and answers a frame it does not
 * know with an error frame at once: sends one and reads up to the answer, so
 * that the frames sent before are in force. Returns how many other frames
 * came first. */
static guint
sync_stream (DsdTestWebsocket *ws)
{
  guint n_before = 0;

  dsd_test_websocket_send (ws, "{\"type\":\"test.sync\"}");
  for (;;)
    {
      g_autoptr(JsonObject) frame = dsd_test_websocket_next (ws, FRAME_TIMEOUT_MS);

      g_assert_nonnull (frame);
      if (g_str_equal (frame_type (frame), "error"))
        return n_before;
      n_before++;
    }
}

static gboolean
seq_reached (gpointer user_data)
{
  return current_seq () >= *(gint64 *) user_data;
}

/* Dispatcher stream -------------------------------------------------------- */

static void
test_snapshot_and_events (void)
{
  g_autoptr(DsdTestWebsocket) ws = open_stream ("/api/v1/stream", dispatcher);
  g_autoptr(JsonObject) order = NULL;
  g_autoptr(JsonObject) event = NULL;
  gint64 seq = expect_snapshot (ws);

  order = dsd_test_create_order (server, dispatcher, NULL);
  event = dsd_test_websocket_next_of_type (ws, "order.created", FRAME_TIMEOUT_MS);
  g_assert_nonnull (event);
  g_assert_cmpint (json_object_get_int_member (event, "seq"), >, seq);
  g_assert_true (json_object_has_member (event, "id"));
  g_assert_true (json_object_has_member (event, "occurred_at"));
  g_assert_cmpstr (json_object_get_string_member (frame_data (event), "id"), ==,
                   json_object_get_string_member (order, "id"));
}

static void
test_resume (void)
{
  g_autofree char *driver_id = create_idle_driver ();
  g_autoptr(DsdTestWebsocket) ws = open_stream ("/api/v1/stream", dispatcher);
  g_autoptr(JsonObject) first = NULL;
  g_autoptr(GPtrArray) missed_ids = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *path = NULL;
  gint64 last_seq;
  gint64 expected;
  gboolean online = TRUE;

  expect_snapshot (ws);
  set_online (driver_id, online);
  first = dsd_test_websocket_next_of_type (ws, "driver.updated", FRAME_TIMEOUT_MS);
  g_assert_nonnull (first);
  last_seq = json_object_get_int_member (first, "seq");
  g_clear_pointer (&ws, dsd_test_websocket_free);

  /* Changes while disconnected, observed by another client. */
  {
    g_autoptr(DsdTestWebsocket) watcher = open_stream ("/api/v1/stream", dispatcher);

    expect_snapshot (watcher);
    for (guint i = 0; i < 5; i++)
      {
        g_autoptr(JsonObject) event = NULL;

        online = !online;
        set_online (driver_id, online);
        event = dsd_test_websocket_next_of_type (watcher, "driver.updated", FRAME_TIMEOUT_MS);
        g_assert_nonnull (event);
        g_ptr_array_add (missed_ids, g_strdup (json_object_get_string_member (event, "id")));
      }
  }

  /* Exactly the missed state events, in order, each once, no snapshot. */
  path = g_strdup_printf ("/api/v1/stream?since=%" G_GINT64_FORMAT, last_seq);
  ws = open_stream (path, dispatcher);
  expected = last_seq + 1;
  for (guint found = 0; found < missed_ids->len;)
    {
      g_autoptr(JsonObject) frame = dsd_test_websocket_next (ws, FRAME_TIMEOUT_MS);
      gint64 seq;

      g_assert_nonnull (frame);
      g_assert_cmpstr (frame_type (frame), !=, "snapshot");
      seq = json_object_get_int_member_with_default (frame, "seq", 0);
      if (seq == 0)
        continue;

      g_assert_cmpint (seq, ==, expected);
      expected++;
      if (g_str_equal (json_object_get_string_member (frame, "id"),
                       g_ptr_array_index (missed_ids, found)))
        found++;
    }

  /* Nothing more: no duplicates behind them. */
  g_assert_cmpuint (sync_stream (ws), ==, 0);
}

static void
test_resume_too_old (void)
{
  g_autoptr(GPtrArray) drivers = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(DsdTestWebsocket) ws = NULL;
  g_autofree char *future = NULL;
  gint64 seq = current_seq ();
  gboolean online = TRUE;

  for (guint i = 0; i < 50; i++)
    g_ptr_array_add (drivers, create_idle_driver ());

  /* Enough events that seq 1 has left the ring. */
  while (seq < RING_CAPACITY + 100)
    {
      g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
      g_autoptr(GPtrArray) tokens = g_ptr_array_new ();
      g_autoptr(GPtrArray) bodies = g_ptr_array_new ();
      g_autoptr(GPtrArray) responses = NULL;

      for (guint i = 0; i < drivers->len; i++)
        {
          g_ptr_array_add (paths, g_strdup_printf ("/api/v1/drivers/%s/online",
                                                   (char *) g_ptr_array_index (drivers, i)));
          g_ptr_array_add (tokens, dispatcher);
          g_ptr_array_add (bodies, online ? "{\"online\":true}" : "{\"online\":false}");
        }
      responses = dsd_test_request_concurrently (server, "POST",
                                                 (const char * const *) paths->pdata,
                                                 (const char * const *) tokens->pdata,
                                                 (const char * const *) bodies->pdata,
                                                 drivers->len);
      for (guint i = 0; i < responses->len; i++)
        g_assert_cmpuint (((DsdTestResponse *) g_ptr_array_index (responses, i))->status, ==,
                          200);
      online = !online;
      seq += drivers->len;
    }

  /* Wait until the stream has them all. */
  g_assert_true (dsd_test_poll_until (seq_reached, &(gint64) { RING_CAPACITY + 100 }, 100,
                                      FRAME_TIMEOUT_MS));

  ws = open_stream ("/api/v1/stream?since=1", dispatcher);
  expect_snapshot (ws);
  g_clear_pointer (&ws, dsd_test_websocket_free);

  /* A seq this server never gave out */
  future = g_strdup_printf ("/api/v1/stream?since=%" G_GINT64_FORMAT, current_seq () + 1000);
  ws = open_stream (future, dispatcher);
  expect_snapshot (ws);

  g_assert_cmpuint (refused_status ("/api/v1/stream?since=abc", dispatcher), ==, 400);
  g_assert_cmpuint (refused_status ("/api/v1/stream?since=-1", dispatcher), ==, 400);
}

static void
test_viewport (void)
{
  g_autoptr(DsdTestWebsocket) ws = open_stream ("/api/v1/stream", dispatcher);
  g_autofree char *inside_id = NULL;
  g_autofree char *outside_id = NULL;
  g_autofree char *inside = NULL;
  g_autofree char *outside = NULL;
  gboolean marker_seen = FALSE;
  gboolean outside_updated = FALSE;

  expect_snapshot (ws);
  dsd_test_websocket_send (ws, "{\"type\":\"viewport\",\"bbox\":[10,10,11,11]}");

  inside = dsd_test_create_online_driver (server, 10.5, 10.5, &inside_id);
  outside = dsd_test_create_online_driver (server, 20.5, 20.5, &outside_id);
  dsd_test_post_location (server, outside_id, outside, 20.6, 20.6);
  /* The marker: after the outside points in the stream's order */
  dsd_test_post_location (server, inside_id, inside, 10.75, 10.75);

  while (!marker_seen || !outside_updated)
    {
      g_autoptr(JsonObject) frame = dsd_test_websocket_next (ws, FRAME_TIMEOUT_MS);
      double lat = 0;

      g_assert_nonnull (frame);
      g_assert_cmpstr (frame_type (frame), !=, "error");
      g_assert_false (frame_has_location_of (frame, outside_id, NULL));
      if (frame_has_location_of (frame, inside_id, &lat) && lat == 10.75)
        marker_seen = TRUE;
      if (g_str_equal (frame_type (frame), "driver.updated") &&
          g_str_equal (json_object_get_string_member (frame_data (frame), "id"), outside_id))
        outside_updated = TRUE;
    }

  /* Without a viewport, every location flows again. */
  dsd_test_websocket_send (ws, "{\"type\":\"viewport\",\"bbox\":null}");
  sync_stream (ws);
  dsd_test_post_location (server, outside_id, outside, 20.7, 20.7);
  for (;;)
    {
      g_autoptr(JsonObject) frame = dsd_test_websocket_next (ws, FRAME_TIMEOUT_MS);

      g_assert_nonnull (frame);
      if (frame_has_location_of (frame, outside_id, NULL))
        {
          /* A quiet stream sends it alone, not coalesced: the form that has an envelope. */
          g_assert_cmpstr (frame_type (frame), ==, "driver.location");
          break;
        }
    }
}

/* Client frames ------------------------------------------------------------ */

static void
assert_error_frame (DsdTestWebsocket *ws,
                    const char       *field)
{
  g_autoptr(JsonObject) frame = dsd_test_websocket_next_of_type (ws, "error", FRAME_TIMEOUT_MS);
  JsonObject *error;

  g_assert_nonnull (frame);
  error = json_object_get_object_member (frame, "error");
  g_assert_cmpstr (json_object_get_string_member (error, "code"), ==, "invalid_argument");
  g_assert_cmpstr (json_object_get_string_member (error, "message"), !=, "");
  if (field != NULL)
    g_assert_cmpstr (json_object_get_string_member_with_default (error, "field", NULL), ==,
                     field);
}

static void
test_client_frames (void)
{
  g_autoptr(DsdTestWebsocket) ws = open_stream ("/api/v1/stream", dispatcher);
  g_autoptr(GSocketConnection) raw = NULL;
  g_autofree char *big = NULL;
  g_autofree char *half = NULL;
  static const char invalid_utf8[] = "{\"type\":\"viewport\",\"x\":\"\xc3\x28\"}";

  expect_snapshot (ws);

  dsd_test_websocket_send (ws, "this is not JSON");
  assert_error_frame (ws, NULL);
  dsd_test_websocket_send (ws, "[1,2]");
  assert_error_frame (ws, NULL);
  dsd_test_websocket_send (ws, "{\"type\":\"subscribe\"}");
  assert_error_frame (ws, "type");
  dsd_test_websocket_send (ws, "{\"type\":\"viewport\",\"bbox\":[91,0,92,1]}");
  assert_error_frame (ws, "bbox[0]");
  dsd_test_websocket_send (ws, "{\"type\":\"viewport\",\"bbox\":[1,1,0,0]}");
  assert_error_frame (ws, "bbox");
  g_assert_true (dsd_test_websocket_is_open (ws));

  dsd_test_websocket_send_binary (ws, "\x01\x02", 2);
  g_assert_cmpuint (dsd_test_websocket_wait_closed (ws, FRAME_TIMEOUT_MS), ==,
                    SOUP_WEBSOCKET_CLOSE_UNSUPPORTED_DATA);

  raw = dsd_test_raw_websocket_open (server, "/api/v1/stream", dispatcher, 0);
  dsd_test_raw_websocket_send_frame (raw, 0x1, TRUE, invalid_utf8, strlen (invalid_utf8));
  g_assert_cmpuint (dsd_test_raw_websocket_read_close (raw, NULL), ==,
                    SOUP_WEBSOCKET_CLOSE_BAD_DATA);
  g_clear_object (&raw);

  /* 70 KiB in one frame, then in fragments that are each small enough */
  big = g_strnfill (70 * 1024, 'a');
  raw = dsd_test_raw_websocket_open (server, "/api/v1/stream", dispatcher, 0);
  dsd_test_raw_websocket_send_frame (raw, 0x1, TRUE, big, strlen (big));
  g_assert_cmpuint (dsd_test_raw_websocket_read_close (raw, NULL), ==,
                    SOUP_WEBSOCKET_CLOSE_TOO_BIG);
  g_clear_object (&raw);

  half = g_strnfill (35 * 1024, 'b');
  raw = dsd_test_raw_websocket_open (server, "/api/v1/stream", dispatcher, 0);
  dsd_test_raw_websocket_send_frame (raw, 0x1, FALSE, half, strlen (half));
  dsd_test_raw_websocket_send_frame (raw, 0x0, FALSE, half, strlen (half));
  dsd_test_raw_websocket_send_frame (raw, 0x0, TRUE, "}", 1);
  g_assert_cmpuint (dsd_test_raw_websocket_read_close (raw, NULL), ==,
                    SOUP_WEBSOCKET_CLOSE_TOO_BIG);
}

/* Slow consumers ----------------------------------------------------------- */

static gsize
server_rss_kib (void)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/status", dsd_test_server_get_pid (server));
  g_autofree char *status = NULL;
  const char *line;

  g_assert_true (g_file_get_contents (path, &status, NULL, NULL));
  line = strstr (status, "VmRSS:");
  g_assert_nonnull (line);

  return g_ascii_strtoull (line + strlen ("VmRSS:"), NULL, 10);
}

static double
slow_closes (void)
{
  g_autoptr(DsdTestResponse) metrics = dsd_test_request (server, "GET", "/metrics", NULL, NULL,
                                                         NULL);
  static const char series[] =
    "dispatch_websocket_closes_total{stream=\"dispatcher\",code=\"1013\"} ";
  const char *line = strstr (metrics->text, series);

  return line != NULL ? g_ascii_strtod (line + strlen (series), NULL) : 0;
}

/* A client that pings without reading is closed with 1008 (policy) after 50
 * pings in 10 s; the pongs it does not read never pile up. */
static void
test_ping_flood (void)
{
  g_autoptr(GSocketConnection) raw = NULL;
  g_autofree char *payload = g_strnfill (125, 'p');
  gsize rss_before;
  gsize rss_after;

  raw = dsd_test_raw_websocket_open (server, "/api/v1/stream", dispatcher, 4096);
  rss_before = server_rss_kib ();
  for (guint i = 0; i < 60; i++)
    dsd_test_raw_websocket_send_frame (raw, 0x9, TRUE, payload, strlen (payload));

  g_assert_cmpuint (dsd_test_raw_websocket_read_close (raw, NULL), ==,
                    SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION);
  rss_after = server_rss_kib ();
  g_test_message ("Server RSS %zu KiB before, %zu KiB after the ping flood", rss_before,
                  rss_after);
  g_assert_cmpuint (rss_after, <, rss_before + 16 * 1024);
}

/* An order with 200 items: an order.created event of about 60 KB. */
static char *
big_order_members (void)
{
  g_autoptr(GString) members = g_string_new (",\"items\":[");
  g_autofree char *name = g_strnfill (200, 'n');

  for (guint i = 0; i < 200; i++)
    g_string_append_printf (members, "%s{\"sku\":\"slow-%u\",\"name\":\"%s\",\"quantity\":1}",
                            i > 0 ? "," : "", i, name);
  g_string_append (members, "]");

  return g_string_free (g_steal_pointer (&members), FALSE);
}

/* Not to burden later snapshots with them */
static void
cancel_orders (GPtrArray *orders)
{
  for (guint i = 0; i < orders->len; i++)
    {
      JsonObject *order = g_ptr_array_index (orders, i);
      g_autofree char *path = g_strdup_printf ("/api/v1/orders/%s/cancel",
                                               json_object_get_string_member (order, "id"));
      g_autoptr(DsdTestResponse) response = NULL;

      response = dsd_test_request (server, "POST", path, dispatcher, "{}", NULL);
      g_assert_cmpuint (response->status, ==, 200);
    }
}

static void
test_slow_consumer (void)
{
  g_autoptr(GSocketConnection) raw = NULL;
  g_autoptr(GPtrArray) orders = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  g_autofree char *members = big_order_members ();
  double closes_before = slow_closes ();
  gsize rss_before;
  gsize rss_after;
  guint n_frames = 0;

  /* Handshake, then never read. */
  raw = dsd_test_raw_websocket_open (server, "/api/v1/stream", dispatcher, 4096);
  rss_before = server_rss_kib ();

  /* ~24 MB of events: more than the kernel buffers and the server's budget */
  for (guint i = 0; i < 400 && slow_closes () == closes_before; i++)
    g_ptr_array_add (orders, dsd_test_create_order (server, dispatcher, members));

  rss_after = server_rss_kib ();
  g_test_message ("Server RSS %zu KiB before, %zu KiB after %u big events", rss_before,
                  rss_after, orders->len);
  g_assert_cmpuint (rss_after, <, rss_before + 64 * 1024);
  g_assert_cmpfloat (slow_closes (), ==, closes_before + 1);

  /* The client finds the end of the stream after what it had not read. */
  dsd_test_raw_websocket_read_close (raw, &n_frames);
  g_assert_cmpuint (n_frames, >, 0);

  cancel_orders (orders);
}

/* The first byte of the next frame of a raw websocket: FIN bit and opcode. */
static guint8
raw_frame_start (GSocketConnection *raw)
{
  g_autoptr(GError) error = NULL;
  guint8 start;
  gsize n = 0;

  g_input_stream_read_all (g_io_stream_get_input_stream (G_IO_STREAM (raw)), &start, 1, &n,
                           NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (n, ==, 1);
  return start;
}

/* Until watch (a dispatcher stream opened before orders were created) has
 * seen their order.created: the relay has published them, and the snapshot
 * store, which follows the same bus, holds them. A snapshot is the state at
 * its seq, so an order acknowledged but not yet published comes as the first
 * events after it instead (docs/architecture.md, "Snapshot store"). */
static void
wait_published (DsdTestWebsocket *watch,
                GPtrArray        *orders)
{
  g_autoptr(GHashTable) waiting = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; i < orders->len; i++)
    g_hash_table_add (waiting,
                      (gpointer) json_object_get_string_member (orders->pdata[i], "id"));
  while (g_hash_table_size (waiting) > 0)
    {
      g_autoptr(JsonObject) frame = dsd_test_websocket_next (watch, FRAME_TIMEOUT_MS);

      g_assert_nonnull (frame);
      if (g_str_equal (frame_type (frame), "order.created"))
        g_hash_table_remove (waiting, json_object_get_string_member (frame_data (frame), "id"));
    }
}

/* A snapshot over one part (64 KiB) goes out as a fragmented message; every
 * client reading it at the same time gets the open orders (oldest first, as
 * the REST API shows them) and every driver (by name), then the events after
 * its seq. */
static void
test_snapshot_in_parts (void)
{
  g_autoptr(GPtrArray) orders = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  g_autofree char *members = big_order_members ();
  g_autofree char *driver_id = create_idle_driver ();
  g_autoptr(GSocketConnection) raw = NULL;
  g_autoptr(DsdTestWebsocket) watch = open_stream ("/api/v1/stream", dispatcher);
  DsdTestWebsocket *ws[2];

  expect_snapshot (watch);
  /* ~60 KB each: the snapshot is several parts */
  for (guint i = 0; i < 4; i++)
    g_ptr_array_add (orders, dsd_test_create_order (server, dispatcher, members));
  wait_published (watch, orders);

  raw = dsd_test_raw_websocket_open (server, "/api/v1/stream", dispatcher, 0);
  /* A text frame without FIN: the first part */
  g_assert_cmphex (raw_frame_start (raw), ==, 0x01);

  for (guint c = 0; c < G_N_ELEMENTS (ws); c++)
    ws[c] = open_stream ("/api/v1/stream", dispatcher);

  for (guint c = 0; c < G_N_ELEMENTS (ws); c++)
    {
      g_autoptr(JsonObject) snapshot = dsd_test_websocket_next (ws[c], FRAME_TIMEOUT_MS);
      g_autoptr(JsonObject) event = NULL;
      g_autoptr(JsonObject) created = NULL;
      JsonArray *listed;
      const char *previous_name = "";
      guint next = 0;
      gboolean has_driver = FALSE;

      g_assert_nonnull (snapshot);
      g_assert_cmpstr (frame_type (snapshot), ==, "snapshot");

      listed = json_object_get_array_member (snapshot, "orders");
      for (guint i = 0; i < json_array_get_length (listed) && next < orders->len; i++)
        {
          JsonObject *order = json_array_get_object_element (listed, i);
          JsonObject *ours = g_ptr_array_index (orders, next);
          g_autofree char *path = NULL;
          g_autoptr(DsdTestResponse) response = NULL;
          g_autoptr(JsonNode) a = NULL;
          g_autoptr(JsonNode) b = NULL;

          if (!g_str_equal (json_object_get_string_member (order, "id"),
                            json_object_get_string_member (ours, "id")))
            continue;

          /* The order as the REST API has it */
          path = g_strdup_printf ("/api/v1/orders/%s", json_object_get_string_member (ours, "id"));
          response = dsd_test_request (server, "GET", path, dispatcher, NULL, NULL);
          g_assert_cmpuint (response->status, ==, 200);
          a = json_node_init_object (json_node_alloc (), order);
          b = json_node_init_object (json_node_alloc (), dsd_test_response_object (response));
          g_assert_true (json_node_equal (a, b));
          next++;
        }
      g_assert_cmpuint (next, ==, orders->len);

      listed = json_object_get_array_member (snapshot, "drivers");
      for (guint i = 0; i < json_array_get_length (listed); i++)
        {
          JsonObject *driver = json_array_get_object_element (listed, i);
          const char *name = json_object_get_string_member (driver, "name");

          g_assert_cmpint (strcmp (previous_name, name), <=, 0);
          previous_name = name;
          has_driver |= g_str_equal (json_object_get_string_member (driver, "id"), driver_id);
        }
      g_assert_true (has_driver);

      /* Then the events after it */
      if (c == 0)
        created = dsd_test_create_order (server, dispatcher, NULL);
      event = dsd_test_websocket_next_of_type (ws[c], "order.created", FRAME_TIMEOUT_MS);
      g_assert_nonnull (event);
      g_assert_cmpint (json_object_get_int_member (event, "seq"), >,
                       json_object_get_int_member (snapshot, "seq"));
    }

  for (guint c = 0; c < G_N_ELEMENTS (ws); c++)
    dsd_test_websocket_free (ws[c]);
  cancel_orders (orders);
}

/* Order and public tracking streams --------------------------------------- */

/* The next tracking frame whose data satisfies status (and, when lat is not
 * NAN, shows the driver at that latitude). */
static JsonObject *
next_tracking (DsdTestWebsocket *ws,
               const char       *status,
               double            lat)
{
  for (;;)
    {
      g_autoptr(JsonObject) frame = dsd_test_websocket_next (ws, FRAME_TIMEOUT_MS);
      JsonObject *data;
      JsonObject *driver;

      g_assert_nonnull (frame);
      g_assert_cmpstr (frame_type (frame), ==, "tracking");
      data = frame_data (frame);
      if (!g_str_equal (json_object_get_string_member (data, "status"), status))
        continue;
      if (isnan (lat))
        return json_object_ref (data);

      driver = json_object_get_object_member (data, "driver");
      if (driver != NULL && json_object_get_object_member (driver, "location") != NULL &&
          json_object_get_double_member (json_object_get_object_member (driver, "location"),
                                         "lat") == lat)
        return json_object_ref (data);
    }
}

static void
assert_public_shape (JsonObject *data)
{
  static const char * const members[] = {
    "order_id", "status", "eta_seconds", "driver", "pickup", "dropoff", "updated_at",
  };
  JsonObject *driver = json_object_get_object_member (data, "driver");
  JsonObject *pickup = json_object_get_object_member (data, "pickup");

  g_assert_cmpuint (json_object_get_size (data), ==, G_N_ELEMENTS (members));
  for (guint i = 0; i < G_N_ELEMENTS (members); i++)
    g_assert_true (json_object_has_member (data, members[i]));

  g_assert_cmpuint (json_object_get_size (pickup), ==, 2);
  g_assert_cmpfloat (json_object_get_double_member (pickup, "lat"), ==, 52.5219);
  if (driver != NULL)
    {
      g_assert_cmpuint (json_object_get_size (driver), ==, 3);
      g_assert_cmpstr (json_object_get_string_member (driver, "first_name"), ==, "Maria");
      g_assert_cmpstr (json_object_get_string_member (driver, "vehicle"), ==, "scooter");
      g_assert_true (json_object_has_member (driver, "location"));
    }
}

static void
test_order_stream (void)
{
  g_autofree char *customer_id = NULL;
  g_autofree char *customer = dsd_test_create_user (server, "customer", NULL, &customer_id);
  g_autofree char *driver_id = NULL;
  g_autofree char *driver = NULL;
  g_autoptr(JsonObject) order = dsd_test_create_order (server, customer, NULL);
  const char *order_id = json_object_get_string_member (order, "id");
  g_autofree char *path = g_strdup_printf ("/api/v1/orders/%s/stream", order_id);
  g_autofree char *public_path = NULL;
  g_autofree char *status = g_strdup_printf ("/api/v1/orders/%s/status", order_id);
  g_autoptr(DsdTestWebsocket) ws = open_stream (path, customer);
  g_autoptr(DsdTestWebsocket) pub = NULL;
  g_autoptr(JsonObject) first = dsd_test_websocket_next (ws, FRAME_TIMEOUT_MS);
  g_autoptr(JsonObject) assigned = NULL;
  g_autoptr(JsonObject) moved = NULL;
  g_autoptr(JsonObject) data = NULL;
  JsonObject *driver_object;

  g_assert_nonnull (first);
  g_assert_cmpstr (frame_type (first), ==, "tracking");
  g_assert_cmpstr (json_object_get_string_member (frame_data (first), "order_id"), ==, order_id);
  g_assert_cmpstr (json_object_get_string_member (frame_data (first), "status"), ==, "pending");

  driver = dsd_test_create_named_driver (server, 52.52, 13.40, &driver_id);
  dsd_test_assign (server, order_id, driver_id);

  assigned = next_tracking (ws, "assigned", NAN);
  driver_object = json_object_get_object_member (assigned, "driver");
  g_assert_nonnull (driver_object);
  g_assert_cmpstr (json_object_get_string_member (driver_object, "id"), ==, driver_id);
  g_assert_nonnull (json_object_get_string_member (driver_object, "name"));

  /* The same object as the REST tracking endpoint's */
  {
    g_autofree char *rest_path = g_strdup_printf ("/api/v1/orders/%s/tracking", order_id);
    g_autoptr(DsdTestResponse) rest = dsd_test_request (server, "GET", rest_path, customer,
                                                        NULL, NULL);
    JsonObject *rest_object = dsd_test_response_object (rest);

    JsonObject *rest_driver = json_object_get_object_member (rest_object, "driver");

    g_assert_cmpstr (json_object_get_string_member (rest_object, "status"), ==, "assigned");
    g_assert_cmpstr (json_object_get_string_member (rest_driver, "id"), ==, driver_id);
    g_assert_cmpstr (json_object_get_string_member (rest_driver, "name"), ==,
                     json_object_get_string_member (driver_object, "name"));
  }

  /* The driver moves: a frame with the new position */
  dsd_test_post_location (server, driver_id, driver, 52.5234, 13.4011);
  moved = next_tracking (ws, "assigned", 52.5234);
  g_assert_cmpfloat (json_object_get_double_member (
                       json_object_get_object_member (
                         json_object_get_object_member (moved, "driver"), "location"), "lon"),
                     ==, 13.4011);

  /* The public stream of the same order */
  public_path = g_strdup_printf ("/api/v1/track/%s/stream",
                                 json_object_get_string_member (order, "tracking_token"));
  pub = open_stream (public_path, NULL);
  data = next_tracking (pub, "assigned", NAN);
  assert_public_shape (data);
  g_clear_pointer (&data, json_object_unref);

  dsd_test_post_ok (server, status, driver, "{\"status\":\"picked_up\"}");
  data = next_tracking (ws, "picked_up", NAN);
  g_clear_pointer (&data, json_object_unref);
  data = next_tracking (pub, "picked_up", NAN);
  assert_public_shape (data);
  g_clear_pointer (&data, json_object_unref);

  /* The last object, then a normal close */
  dsd_test_post_ok (server, status, driver, "{\"status\":\"delivered\"}");
  data = next_tracking (ws, "delivered", NAN);
  g_assert_true (JSON_NODE_HOLDS_NULL (json_object_get_member (data, "driver")));
  g_assert_true (JSON_NODE_HOLDS_NULL (json_object_get_member (data, "eta_seconds")));
  g_clear_pointer (&data, json_object_unref);
  data = next_tracking (pub, "delivered", NAN);
  assert_public_shape (data);
  g_assert_cmpuint (dsd_test_websocket_wait_closed (ws, FRAME_TIMEOUT_MS), ==,
                    SOUP_WEBSOCKET_CLOSE_NORMAL);
  g_assert_cmpuint (dsd_test_websocket_wait_closed (pub, FRAME_TIMEOUT_MS), ==,
                    SOUP_WEBSOCKET_CLOSE_NORMAL);
}

static void
test_tracking_auth (void)
{
  g_autofree char *owner = dsd_test_create_user (server, "customer", NULL, NULL);
  g_autofree char *other = dsd_test_create_user (server, "customer", NULL, NULL);
  g_autofree char *driver = dsd_test_create_user (server, "driver", NULL, NULL);
  g_autoptr(JsonObject) order = dsd_test_create_order (server, owner, NULL);
  g_autofree char *path = g_strdup_printf ("/api/v1/orders/%s/stream",
                                           json_object_get_string_member (order, "id"));
  g_autofree char *with_query = g_strdup_printf ("%s?access_token=%s", path, owner);
  g_autofree char *public_path = g_strdup_printf ("/api/v1/track/%s/stream",
                                                  json_object_get_string_member (order,
                                                                                 "tracking_token"));
  g_autoptr(DsdTestWebsocket) ws = NULL;

  g_assert_cmpuint (refused_status (path, NULL), ==, 401);
  g_assert_cmpuint (refused_status (path, driver), ==, 403);
  g_assert_cmpuint (refused_status (path, other), ==, 404);
  g_assert_cmpuint (refused_status ("/api/v1/orders/not-an-id/stream", dispatcher), ==, 404);
  g_assert_cmpuint (refused_status ("/api/v1/track/no-such-token/stream", NULL), ==, 404);

  ws = open_stream (with_query, NULL);
  g_assert_nonnull (dsd_test_websocket_next_of_type (ws, "tracking", FRAME_TIMEOUT_MS));
  g_clear_pointer (&ws, dsd_test_websocket_free);

  ws = open_stream (path, dispatcher);
  g_assert_nonnull (dsd_test_websocket_next_of_type (ws, "tracking", FRAME_TIMEOUT_MS));
  g_clear_pointer (&ws, dsd_test_websocket_free);

  ws = open_stream (public_path, NULL);
  g_assert_nonnull (dsd_test_websocket_next_of_type (ws, "tracking", FRAME_TIMEOUT_MS));
  /* The public stream takes no frames */
  dsd_test_websocket_send (ws, "{\"type\":\"viewport\",\"bbox\":null}");
  assert_error_frame (ws, "type");
}

/* Driver stream ------------------------------------------------------------- */

static gboolean
driver_at (gpointer user_data)
{
  const char **args = user_data;
  g_autofree char *path = g_strdup_printf ("/api/v1/drivers/%s", args[0]);
  g_autoptr(DsdTestResponse) response = dsd_test_request (server, "GET", path, dispatcher,
                                                          NULL, NULL);
  JsonNode *location = json_object_get_member (dsd_test_response_object (response), "location");

  return location != NULL && JSON_NODE_HOLDS_OBJECT (location) &&
         json_object_get_double_member (json_node_get_object (location), "lat") ==
         g_ascii_strtod (args[1], NULL);
}

static void
test_driver_stream (void)
{
  g_autofree char *driver_id = NULL;
  g_autofree char *driver = dsd_test_create_online_driver (server, 48.85, 2.35, &driver_id);
  g_autofree char *other = dsd_test_create_user (server, "driver", NULL, NULL);
  g_autofree char *path = g_strdup_printf ("/api/v1/drivers/%s/stream", driver_id);
  g_autofree char *unassign = NULL;
  g_autofree char *online = g_strdup_printf ("/api/v1/drivers/%s/online", driver_id);
  g_autofree char *resume = NULL;
  g_autoptr(DsdTestWebsocket) ws = NULL;
  g_autoptr(JsonObject) snapshot = NULL;
  g_autoptr(JsonObject) order = NULL;
  const char *args[] = { driver_id, "48.8612" };
  const char *order_id;
  gboolean lost = FALSE;
  gboolean offline = FALSE;
  gint64 seq = 0;

  g_assert_cmpuint (refused_status (path, NULL), ==, 401);
  g_assert_cmpuint (refused_status (path, other), ==, 403);
  g_assert_cmpuint (refused_status (path, dispatcher), ==, 403);
  g_assert_cmpuint (refused_status ("/api/v1/drivers/7d1c2b4e-3a57-4c1e-9a8e-2d6f0b1a9c11/stream",
                                    dsd_test_server_get_admin_token (server)), ==, 404);

  ws = open_stream (path, driver);
  snapshot = dsd_test_websocket_next (ws, FRAME_TIMEOUT_MS);
  g_assert_nonnull (snapshot);
  g_assert_cmpstr (frame_type (snapshot), ==, "snapshot");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (snapshot, "orders")),
                    ==, 0);
  g_assert_cmpstr (json_object_get_string_member (
                     json_array_get_object_element (
                       json_object_get_array_member (snapshot, "drivers"), 0), "id"),
                   ==, driver_id);

  /* Location frames move the driver. */
  dsd_test_websocket_send (ws, "{\"type\":\"location\",\"lat\":48.8612,\"lon\":2.3413,"
                               "\"heading\":90,\"speed_mps\":5.5}");
  g_assert_true (dsd_test_run_until (driver_at, args, FRAME_TIMEOUT_MS));

  dsd_test_websocket_send (ws, "{\"type\":\"location\",\"lat\":100,\"lon\":2}");
  assert_error_frame (ws, "lat");
  dsd_test_websocket_send (ws, "{\"type\":\"location\",\"lon\":2}");
  assert_error_frame (ws, "lat");
  dsd_test_websocket_send (ws, "{\"type\":\"status\"}");
  assert_error_frame (ws, "type");
  g_assert_true (dsd_test_websocket_is_open (ws));

  /* An assignment shows up on the driver's stream. */
  order = dsd_test_create_order (server, dispatcher, NULL);
  order_id = json_object_get_string_member (order, "id");
  dsd_test_assign (server, order_id, driver_id);
  for (;;)
    {
      g_autoptr(JsonObject) event = dsd_test_websocket_next_of_type (ws, "order.assigned",
                                                                     FRAME_TIMEOUT_MS);

      g_assert_nonnull (event);
      g_assert_cmpstr (json_object_get_string_member (frame_data (event), "driver_id"), ==,
                       driver_id);
      if (g_str_equal (json_object_get_string_member (frame_data (event), "id"), order_id))
        {
          seq = json_object_get_int_member (event, "seq");
          break;
        }
    }
  g_clear_pointer (&ws, dsd_test_websocket_free);

  /* Away, the driver loses the order and goes offline; on resuming, it
   * learns both, without a snapshot. */
  unassign = g_strdup_printf ("/api/v1/orders/%s/unassign", order_id);
  dsd_test_post_ok (server, unassign, dispatcher, "{}");
  dsd_test_post_ok (server, online, dispatcher, "{\"online\":false}");

  resume = g_strdup_printf ("%s?since=%" G_GINT64_FORMAT, path, seq);
  ws = open_stream (resume, driver);
  while (!lost || !offline)
    {
      g_autoptr(JsonObject) event = dsd_test_websocket_next (ws, FRAME_TIMEOUT_MS);
      JsonObject *data;

      g_assert_nonnull (event);
      g_assert_cmpstr (frame_type (event), !=, "snapshot");
      g_assert_cmpint (json_object_get_int_member (event, "seq"), >, seq);
      seq = json_object_get_int_member (event, "seq");
      data = frame_data (event);

      if (g_str_equal (frame_type (event), "order.updated") &&
          g_str_equal (json_object_get_string_member (data, "id"), order_id) &&
          JSON_NODE_HOLDS_NULL (json_object_get_member (data, "driver_id")))
        lost = TRUE;
      if (g_str_equal (frame_type (event), "driver.updated") &&
          g_str_equal (json_object_get_string_member (data, "id"), driver_id) &&
          !json_object_get_boolean_member (data, "online"))
        offline = TRUE;
    }
  g_clear_pointer (&ws, dsd_test_websocket_free);

  /* An admin may watch it too. */
  ws = open_stream (path, dsd_test_server_get_admin_token (server));
  g_clear_pointer (&snapshot, json_object_unref);
  snapshot = dsd_test_websocket_next (ws, FRAME_TIMEOUT_MS);
  g_assert_nonnull (snapshot);
  g_assert_cmpstr (frame_type (snapshot), ==, "snapshot");
}

/* Stopping the server ------------------------------------------------------ */

static void
test_shutdown (void)
{
  g_autofree char *driver_id = NULL;
  g_autofree char *driver = dsd_test_create_online_driver (server, 48.2, 16.37, &driver_id);
  g_autofree char *driver_path = g_strdup_printf ("/api/v1/drivers/%s/stream", driver_id);
  g_autoptr(JsonObject) order = dsd_test_create_order (server, dispatcher, NULL);
  g_autofree char *public_path = g_strdup_printf ("/api/v1/track/%s/stream",
                                                  json_object_get_string_member (order,
                                                                                 "tracking_token"));
  DsdTestWebsocket *clients[3];

  clients[0] = open_stream ("/api/v1/stream", dispatcher);
  clients[1] = open_stream (driver_path, driver);
  clients[2] = open_stream (public_path, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (clients); i++)
    g_assert_nonnull (dsd_test_websocket_next (clients[i], FRAME_TIMEOUT_MS));

  /* SIGTERM: every stream client is told the server is going away. */
  dsd_test_server_stop (server, FALSE);
  for (guint i = 0; i < G_N_ELEMENTS (clients); i++)
    {
      g_assert_cmpuint (dsd_test_websocket_wait_closed (clients[i], FRAME_TIMEOUT_MS), ==,
                        SOUP_WEBSOCKET_CLOSE_GOING_AWAY);
      dsd_test_websocket_free (clients[i]);
    }

  dsd_test_server_restart (server);
}

/* Auth ---------------------------------------------------------------------- */

static void
test_dispatcher_auth (void)
{
  g_autofree char *customer = dsd_test_create_user (server, "customer", NULL, NULL);
  g_autofree char *driver = dsd_test_create_user (server, "driver", NULL, NULL);
  g_autofree char *with_query = g_strconcat ("/api/v1/stream?access_token=", dispatcher, NULL);
  g_autoptr(DsdTestWebsocket) ws = NULL;

  g_assert_cmpuint (refused_status ("/api/v1/stream", NULL), ==, 401);
  g_assert_cmpuint (refused_status ("/api/v1/stream", "not-a-token"), ==, 401);
  g_assert_cmpuint (refused_status ("/api/v1/stream", customer), ==, 403);
  g_assert_cmpuint (refused_status ("/api/v1/stream", driver), ==, 403);

  ws = open_stream (with_query, NULL);
  expect_snapshot (ws);
  g_clear_pointer (&ws, dsd_test_websocket_free);

  ws = open_stream ("/api/v1/stream", dsd_test_server_get_admin_token (server));
  expect_snapshot (ws);
}

typedef struct {
  DsdTestServer    *server;
  DsdTestWebsocket *stream;
} CapOpening;

static gboolean
cap_stream_opens (gpointer user_data)
{
  CapOpening *opening = user_data;

  if (opening->stream == NULL)
    opening->stream = dsd_test_websocket_connect (opening->server, "/api/v1/stream",
                                                  dsd_test_server_get_admin_token (
                                                    opening->server), NULL);
  return opening->stream != NULL;
}

/* DISPATCH_CLIENT_MAX_STREAMS without Redis: counted in the process; a
 * closed stream, and a request refused before its upgrade, give their slot
 * back. */
static void
test_client_cap (void)
{
  const char *env[] = { "DISPATCH_CLIENT_MAX_STREAMS=2", NULL };
  DsdTestServer *capped = dsd_test_server_start (env);
  const char *admin = dsd_test_server_get_admin_token (capped);
  g_autoptr(DsdTestWebsocket) first = NULL;
  g_autoptr(DsdTestWebsocket) refused = NULL;
  g_autoptr(DsdTestWebsocket) unknown = NULL;
  DsdTestWebsocket *second;
  CapOpening opening = { capped, NULL };
  guint status = 0;

  unknown = dsd_test_websocket_connect (capped, "/api/v1/orders/"
                                        "00000000-0000-4000-8000-000000000000/stream",
                                        admin, &status);
  g_assert_null (unknown);
  g_assert_cmpuint (status, ==, 404);

  first = dsd_test_websocket_connect (capped, "/api/v1/stream", admin, NULL);
  g_assert_true (dsd_test_poll_until (cap_stream_opens, &opening, 100, 30000));
  second = g_steal_pointer (&opening.stream);
  refused = dsd_test_websocket_connect (capped, "/api/v1/stream", admin, &status);
  g_assert_null (refused);
  g_assert_cmpuint (status, ==, 429);

  dsd_test_websocket_free (second);
  g_assert_true (dsd_test_poll_until (cap_stream_opens, &opening, 100, 30000));
  dsd_test_websocket_free (opening.stream);
  dsd_test_server_free (capped);
}

int
main (int   argc,
      char *argv[])
{
  int result;

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  server = dsd_test_server_start (NULL);
  dispatcher = dsd_test_create_user (server, "dispatcher", NULL, NULL);

  g_test_add_func ("/streams/dispatcher/snapshot-and-events", test_snapshot_and_events);
  g_test_add_func ("/streams/dispatcher/resume", test_resume);
  g_test_add_func ("/streams/dispatcher/resume-too-old", test_resume_too_old);
  g_test_add_func ("/streams/dispatcher/viewport", test_viewport);
  g_test_add_func ("/streams/dispatcher/auth", test_dispatcher_auth);
  g_test_add_func ("/streams/order/tracking", test_order_stream);
  g_test_add_func ("/streams/order/auth", test_tracking_auth);
  g_test_add_func ("/streams/driver", test_driver_stream);
  g_test_add_func ("/streams/client-frames", test_client_frames);
  g_test_add_func ("/streams/slow-consumer", test_slow_consumer);
  g_test_add_func ("/streams/dispatcher/snapshot-in-parts", test_snapshot_in_parts);
  g_test_add_func ("/streams/ping-flood", test_ping_flood);
  g_test_add_func ("/streams/shutdown", test_shutdown);
  g_test_add_func ("/streams/client-cap", test_client_cap);

  result = g_test_run ();

  g_free (dispatcher);
  dsd_test_server_free (server);

  return result;
}
