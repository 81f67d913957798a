/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Cluster mode end to end: two dispatchd instances on one PostgreSQL and a
 * real Kafka 3.9 broker. Events caused on one instance reach the other's
 * streams in seq order with no gap, locations cross over, ?since= resumes
 * across instances, a killed relay leader is replaced without loss or
 * renumbering, and a broker outage loses nothing.
 */
#include <signal.h>
#include <sys/wait.h>

#include <librdkafka/rdkafka.h>

#include "dsd-pg-pool.h"
#include "test-kafka.h"
#include "test-server.h"
#include "test-utils.h"
#include "test-websocket.h"

#define FRAME_TIMEOUT_MS 30000
#define ORDER_BODY "{\"pickup\":{\"lat\":1,\"lon\":1},\"dropoff\":{\"lat\":1.01,\"lon\":1.01}}"

typedef struct {
  DsdTestPg     *pg;
  DsdTestKafka  *kafka;
  DsdTestServer *a;
  DsdTestServer *b;
} Cluster;

static Cluster cluster;

/* roles: DISPATCH_ROLES, or NULL for all. */
static DsdTestServer *
start_instance (const char *roles)
{
  g_autofree char *database = g_strdup_printf ("DATABASE_URL=%s",
                                               dsd_test_pg_get_conninfo (cluster.pg));
  g_autofree char *brokers = g_strdup_printf ("KAFKA_BROKERS=%s",
                                              dsd_test_kafka_get_bootstrap (cluster.kafka));
  g_autofree char *role_setting = g_strdup_printf ("DISPATCH_ROLES=%s", roles);
  const char *env[] = {
    database, brokers, "DISPATCH_KAFKA_PARTITIONS=3", "DISPATCH_WEBHOOK_ALLOW_PRIVATE=true",
    "DISPATCH_KAFKA_MAX_ATTEMPTS=3",
    roles != NULL ? role_setting : NULL, NULL
  };

  return dsd_test_server_start (env);
}

static gint64
query_count (const char *sql)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) result = dsd_pg_exec_sync (dsd_test_pg_get_conninfo (cluster.pg), sql, 0,
                                                 NULL, &error);

  g_assert_no_error (error);
  return g_ascii_strtoll (PQgetvalue (result, 0, 0), NULL, 10);
}

static const char *
frame_type (JsonObject *frame)
{
  return json_object_get_string_member_with_default (frame, "type", "");
}

static DsdTestWebsocket *
open_stream (DsdTestServer *server,
             const char    *query,
             gint64        *out_seq)
{
  g_autofree char *path = g_strconcat ("/api/v1/stream", query, NULL);
  DsdTestWebsocket *ws = dsd_test_websocket_connect (server, path,
                                                     dsd_test_server_get_admin_token (server),
                                                     NULL);
  g_assert_nonnull (ws);
  if (out_seq != NULL)
    {
      g_autoptr(JsonObject) snapshot = dsd_test_websocket_next (ws, FRAME_TIMEOUT_MS);

      g_assert_nonnull (snapshot);
      g_assert_cmpstr (frame_type (snapshot), ==, "snapshot");
      *out_seq = json_object_get_int_member (snapshot, "seq");
    }

  return ws;
}

static char *
create_order (DsdTestServer *server)
{
  g_autoptr(DsdTestResponse) response =
    dsd_test_request (server, "POST", "/api/v1/orders", dsd_test_server_get_admin_token (server),
                      ORDER_BODY, NULL);

  g_assert_cmpuint (response->status, ==, 201);
  return g_strdup (dsd_test_response_string (response, "id"));
}

/*
 * Reads state events from ws until every id in expected has been seen in an
 * order.created, asserting each seq is the one after the previous (from
 * *last_seq on) and no order is created twice. Returns how many state events
 * were read.
 */
static guint
follow_until_created (DsdTestWebsocket *ws,
                      gint64           *last_seq,
                      GHashTable       *expected)
{
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  guint n_events = 0;

  while (g_hash_table_size (seen) < g_hash_table_size (expected))
    {
      g_autoptr(JsonObject) frame = dsd_test_websocket_next (ws, FRAME_TIMEOUT_MS);
      const char *type;

      g_assert_nonnull (frame);
      type = frame_type (frame);
      g_assert_cmpstr (type, !=, "snapshot");
      if (!json_object_has_member (frame, "seq") ||
          json_object_get_int_member (frame, "seq") == 0)
        continue;

      g_assert_cmpint (json_object_get_int_member (frame, "seq"), ==, *last_seq + 1);
      *last_seq += 1;
      n_events++;
      if (g_str_equal (type, "order.created"))
        {
          const char *id = json_object_get_string_member (json_object_get_object_member (frame,
                                                                                         "data"),
                                                          "id");

          g_assert_false (g_hash_table_contains (seen, id));
          if (g_hash_table_contains (expected, id))
            g_hash_table_add (seen, g_strdup (id));
        }
    }

  return n_events;
}

static GHashTable *
new_id_set (void)
{
  return g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

/* A counter of /metrics (0 when it has no series yet). */
static double
metric (DsdTestServer *server,
        const char    *name)
{
  g_autoptr(DsdTestResponse) response = dsd_test_request (server, "GET", "/metrics", NULL, NULL,
                                                          NULL);
  g_autofree char *needle = g_strdup_printf ("\n%s ", name);
  const char *line;

  g_assert_cmpuint (response->status, ==, 200);
  line = strstr (response->text, needle);
  return line != NULL ? g_ascii_strtod (line + strlen (needle), NULL) : 0;
}

static gboolean
lag_reported_cb (gpointer user_data)
{
  g_autoptr(DsdTestResponse) metrics = dsd_test_request (user_data, "GET", "/metrics", NULL,
                                                         NULL, NULL);

  return strstr (metrics->text, "\ndispatch_relay_unpublished_events ") != NULL &&
         strstr (metrics->text, "\ndispatch_relay_oldest_unpublished_seconds ") != NULL &&
         strstr (metrics->text, "\ndispatch_bus_consumer_lag{consumer=\"feed\"") != NULL;
}

static void
test_order_crosses (void)
{
  g_autoptr(GHashTable) ids = new_id_set ();
  gint64 seq_b = 0;
  g_autoptr(DsdTestWebsocket) ws = open_stream (cluster.b, "", &seq_b);
  double repaired = metric (cluster.b, "dispatch_bus_repaired_events_total");

  for (guint i = 0; i < 20; i++)
    g_hash_table_add (ids, create_order (cluster.a));

  follow_until_created (ws, &seq_b, ids);
  /* They came through Kafka, not from the database. */
  g_assert_cmpfloat (metric (cluster.b, "dispatch_bus_repaired_events_total"), ==, repaired);
  /* Relay lag and consumer lag are reported (the feed's lag within its next
   * update, every second). */
  g_assert_true (dsd_test_run_until (lag_reported_cb, cluster.b, 10000));
}

static gboolean
location_seen (JsonObject *frame,
               const char *driver_id,
               double      lat)
{
  if (g_str_equal (frame_type (frame), "driver.location"))
    {
      JsonObject *data = json_object_get_object_member (frame, "data");

      return g_str_equal (json_object_get_string_member (data, "driver_id"), driver_id) &&
             json_object_get_double_member (data, "lat") == lat;
    }

  if (g_str_equal (frame_type (frame), "driver.locations"))
    {
      JsonArray *items = json_object_get_array_member (frame, "items");

      for (guint i = 0; i < json_array_get_length (items); i++)
        {
          JsonObject *item = json_array_get_object_element (items, i);

          if (g_str_equal (json_object_get_string_member (item, "driver_id"), driver_id) &&
              json_object_get_double_member (item, "lat") == lat)
            return TRUE;
        }
    }

  return FALSE;
}

static void
test_location_crosses (void)
{
  g_autofree char *driver_id = NULL;
  g_autofree char *token = dsd_test_create_online_driver (cluster.a, 40.0, 40.0, &driver_id);
  g_autofree char *path = g_strdup_printf ("/api/v1/drivers/%s/location", driver_id);
  g_autoptr(DsdTestWebsocket) ws = open_stream (cluster.b, "", NULL);
  g_autoptr(DsdTestResponse) response = NULL;
  gboolean seen = FALSE;

  g_assert_nonnull (dsd_test_websocket_next_of_type (ws, "snapshot", FRAME_TIMEOUT_MS));
  response = dsd_test_request (cluster.a, "POST", path, token,
                               "{\"lat\":40.125,\"lon\":40.25}", NULL);
  g_assert_cmpuint (response->status, ==, 202);

  while (!seen)
    {
      g_autoptr(JsonObject) frame = dsd_test_websocket_next (ws, FRAME_TIMEOUT_MS);

      g_assert_nonnull (frame);
      seen = location_seen (frame, driver_id, 40.125);
    }
}

/* ?since= on B after events caused on A: exactly the missed ones. */
static void
test_since_across (void)
{
  g_autoptr(GHashTable) ids = new_id_set ();
  gint64 seq_b = 0, seq_a = 0;
  g_autofree char *query = NULL;
  g_autoptr(DsdTestWebsocket) watcher = open_stream (cluster.a, "", &seq_a);
  g_autoptr(DsdTestWebsocket) ws = NULL;

  dsd_test_websocket_free (open_stream (cluster.b, "", &seq_b));

  for (guint i = 0; i < 5; i++)
    g_hash_table_add (ids, create_order (cluster.a));
  /* A saw them: the last seq to expect. */
  follow_until_created (watcher, &seq_a, ids);

  query = g_strdup_printf ("?since=%" G_GINT64_FORMAT, seq_b);
  ws = open_stream (cluster.b, query, NULL);
  while (seq_b < seq_a)
    {
      g_autoptr(JsonObject) frame = dsd_test_websocket_next (ws, FRAME_TIMEOUT_MS);

      g_assert_nonnull (frame);
      g_assert_cmpstr (frame_type (frame), !=, "snapshot");
      if (json_object_get_int_member_with_default (frame, "seq", 0) == 0)
        continue;
      g_assert_cmpint (json_object_get_int_member (frame, "seq"), ==, seq_b + 1);
      seq_b++;
    }
}

static gboolean
is_leader (DsdTestServer *server)
{
  g_autoptr(DsdTestResponse) response = dsd_test_request (server, "GET", "/metrics", NULL, NULL,
                                                          NULL);

  g_assert_cmpuint (response->status, ==, 200);
  return strstr (response->text, "\ndispatch_relay_leader 1\n") != NULL;
}

static gboolean
one_leader_cb (gpointer user_data)
{
  return is_leader (cluster.a) || is_leader (cluster.b);
}

typedef struct {
  DsdTestServer *server;
  GHashTable    *ids;
  guint          in_flight;
  guint          n_failed;
} Load;

static void
order_done_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  Load *load = user_data;
  g_autoptr(DsdTestResponse) response = dsd_test_request_finish (load->server, result);

  load->in_flight--;
  if (response->status == 201)
    g_hash_table_add (load->ids, g_strdup (dsd_test_response_string (response, "id")));
  else
    {
      load->n_failed++;
      g_test_message ("POST /orders: %u %s", response->status, response->text);
    }
}

static gboolean
load_done_cb (gpointer user_data)
{
  return ((Load *) user_data)->in_flight == 0;
}

static void
send_orders (Load  *load,
             guint  n)
{
  for (guint i = 0; i < n; i++)
    {
      load->in_flight++;
      dsd_test_request_async (load->server, "POST", "/api/v1/orders",
                              dsd_test_server_get_admin_token (load->server), ORDER_BODY,
                              order_done_cb, load);
    }
}

/* kill -9 of the relay leader while orders flow: the other takes over, the
 * survivor's stream shows every order once with contiguous seq. */
static void
test_relay_failover (void)
{
  g_autoptr(GHashTable) ids = new_id_set ();
  DsdTestServer *leader, *survivor;
  gint64 seq = 0;
  g_autoptr(DsdTestWebsocket) ws = NULL;
  Load load = { NULL, ids, 0, 0 };

  g_assert_true (dsd_test_run_until (one_leader_cb, NULL, 30000));
  leader = is_leader (cluster.a) ? cluster.a : cluster.b;
  survivor = leader == cluster.a ? cluster.b : cluster.a;
  load.server = survivor;

  ws = open_stream (survivor, "", &seq);
  send_orders (&load, 50);
  dsd_test_server_stop (leader, TRUE);
  send_orders (&load, 50);
  g_assert_true (dsd_test_run_until (load_done_cb, &load, 60000));
  g_assert_cmpuint (load.n_failed, ==, 0);
  g_assert_cmpuint (g_hash_table_size (ids), ==, 100);

  follow_until_created (ws, &seq, ids);
  g_assert_true (is_leader (survivor));

  dsd_test_server_restart (leader);
}

static gboolean
bus_down_cb (gpointer user_data)
{
  return dsd_test_server_component_is (user_data, "bus", "down");
}

static gboolean
bus_up_cb (gpointer user_data)
{
  return dsd_test_server_component_is (user_data, "bus", "up");
}

/* A webhook receiver on its own thread: deliveries counted per order. */
typedef struct {
  GThread      *thread;
  GMainContext *context;
  GMainLoop    *loop;
  GMutex        lock;
  guint         port;
  GHashTable   *deliveries;   /* order id → count */
  guint         n_deliveries;
} Receiver;

static void
receive_cb (SoupServer        *server,
            SoupServerMessage *message,
            const char        *path,
            GHashTable        *query,
            gpointer           user_data)
{
  Receiver *receiver = user_data;
  g_autoptr(GBytes) body = soup_message_body_flatten (
    soup_server_message_get_request_body (message));
  g_autoptr(JsonParser) parser = json_parser_new ();
  const char *order_id;

  g_assert_true (json_parser_load_from_data (parser, g_bytes_get_data (body, NULL),
                                             g_bytes_get_size (body), NULL));
  order_id = json_object_get_string_member (
    json_object_get_object_member (json_node_get_object (json_parser_get_root (parser)), "data"),
    "id");

  g_mutex_lock (&receiver->lock);
  g_hash_table_insert (receiver->deliveries, g_strdup (order_id),
                       GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (
                         receiver->deliveries, order_id)) + 1));
  receiver->n_deliveries++;
  g_mutex_unlock (&receiver->lock);
  soup_server_message_set_status (message, 200, NULL);
}

static gpointer
receiver_thread (gpointer user_data)
{
  Receiver *receiver = user_data;
  g_autoptr(SoupServer) server = NULL;
  g_autoptr(GError) error = NULL;
  GSList *uris;

  g_main_context_push_thread_default (receiver->context);
  server = soup_server_new (NULL, NULL);
  soup_server_add_handler (server, "/hook", receive_cb, receiver, NULL);
  soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_assert_no_error (error);
  uris = soup_server_get_uris (server);
  g_mutex_lock (&receiver->lock);
  receiver->port = g_uri_get_port (uris->data);
  g_mutex_unlock (&receiver->lock);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  g_main_loop_run (receiver->loop);
  soup_server_disconnect (server);
  g_main_context_pop_thread_default (receiver->context);
  return NULL;
}

static gboolean
receiver_listening_cb (gpointer user_data)
{
  Receiver *receiver = user_data;
  gboolean listening;

  g_mutex_lock (&receiver->lock);
  listening = receiver->port != 0;
  g_mutex_unlock (&receiver->lock);
  return listening;
}

static Receiver *
receiver_start (void)
{
  Receiver *receiver = g_new0 (Receiver, 1);

  g_mutex_init (&receiver->lock);
  receiver->context = g_main_context_new ();
  receiver->loop = g_main_loop_new (receiver->context, FALSE);
  receiver->deliveries = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  receiver->thread = g_thread_new ("webhook-receiver", receiver_thread, receiver);
  g_assert_true (dsd_test_run_until (receiver_listening_cb, receiver, 10000));

  return receiver;
}

static void
receiver_stop (Receiver *receiver)
{
  g_main_loop_quit (receiver->loop);
  g_thread_join (receiver->thread);
  g_main_loop_unref (receiver->loop);
  g_main_context_unref (receiver->context);
  g_hash_table_unref (receiver->deliveries);
  g_mutex_clear (&receiver->lock);
  g_free (receiver);
}

typedef struct {
  Receiver   *receiver;
  GHashTable *ids;
} Awaited;

static gboolean
all_delivered_cb (gpointer user_data)
{
  Awaited *awaited = user_data;
  GHashTableIter iter;
  gpointer id;
  gboolean all = TRUE;

  g_mutex_lock (&awaited->receiver->lock);
  g_hash_table_iter_init (&iter, awaited->ids);
  while (all && g_hash_table_iter_next (&iter, &id, NULL))
    all = g_hash_table_contains (awaited->receiver->deliveries, id);
  g_mutex_unlock (&awaited->receiver->lock);

  return all && query_count ("SELECT count(*) FROM dispatch.notifications "
                             "WHERE status = 'pending'") == 0;
}

/* A webhook on A for order.created, delivered to receiver; returns its id. */
static char *
add_webhook (Receiver *receiver)
{
  g_autofree char *body = g_strdup_printf ("{\"url\":\"http://127.0.0.1:%u/hook\","
                                           "\"events\":[\"order.created\"]}", receiver->port);
  g_autoptr(DsdTestResponse) hook =
    dsd_test_request (cluster.a, "POST", "/api/v1/webhooks",
                      dsd_test_server_get_admin_token (cluster.a), body, NULL);

  g_assert_cmpuint (hook->status, ==, 201);
  return g_strdup (dsd_test_response_string (hook, "id"));
}

/* Not to deliver during later tests. */
static void
delete_webhook (const char *id)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/webhooks/%s", id);
  g_autoptr(DsdTestResponse) deleted =
    dsd_test_request (cluster.a, "DELETE", path, dsd_test_server_get_admin_token (cluster.a),
                      NULL, NULL);

  g_assert_cmpuint (deleted->status / 100, ==, 2);
}

/* Every order of ids delivered, once; nothing else delivered twice. */
static void
assert_delivered_once (Receiver   *receiver,
                       GHashTable *ids)
{
  Awaited awaited = { receiver, ids };
  GHashTableIter iter;
  gpointer count;

  g_assert_true (dsd_test_run_until (all_delivered_cb, &awaited, 60000));
  g_mutex_lock (&receiver->lock);
  g_assert_cmpuint (receiver->n_deliveries, ==, g_hash_table_size (receiver->deliveries));
  g_hash_table_iter_init (&iter, receiver->deliveries);
  while (g_hash_table_iter_next (&iter, NULL, &count))
    g_assert_cmpuint (GPOINTER_TO_UINT (count), ==, 1);
  g_mutex_unlock (&receiver->lock);
}

/* Three notifier instances (A, B and C, which has no other role): every
 * webhook delivery happens once. */
static void
test_webhooks_once (void)
{
  g_autoptr(GHashTable) ids = new_id_set ();
  DsdTestServer *c = start_instance ("notifier");
  Receiver *receiver = receiver_start ();
  g_autofree char *hook_id = add_webhook (receiver);
  g_autoptr(DsdTestResponse) refused = NULL;
  g_autoptr(DsdTestResponse) ready = NULL;

  /* Without the api role: health, readiness and metrics only. */
  refused = dsd_test_request (c, "GET", "/api/v1/orders",
                              dsd_test_server_get_admin_token (cluster.a), NULL, NULL);
  g_assert_cmpuint (refused->status, ==, 404);
  ready = dsd_test_request (c, "GET", "/readyz", NULL, NULL, NULL);
  g_assert_cmpuint (ready->status, ==, 200);

  for (guint i = 0; i < 30; i++)
    g_hash_table_add (ids, create_order (i % 2 ? cluster.a : cluster.b));
  assert_delivered_once (receiver, ids);

  delete_webhook (hook_id);
  dsd_test_server_free (c);
  receiver_stop (receiver);
}

static gboolean
drivers_busy_cb (gpointer user_data)
{
  return query_count ("SELECT count(*) FROM dispatch.orders WHERE status = 'assigned'") >=
         GPOINTER_TO_INT (user_data);
}

/* Two assigners (A and B) over the same pending orders and drivers: no order
 * is assigned twice, no driver gets more than its capacity. */
static void
test_assigners_never_double_assign (void)
{
  gint64 before = query_count ("SELECT count(*) FROM dispatch.orders WHERE status = 'assigned'");

  for (guint i = 0; i < 8; i++)
    {
      g_autofree char *driver_id = NULL;
      g_autofree char *token = dsd_test_create_online_driver (i % 2 ? cluster.a : cluster.b,
                                                              1.0 + i * 0.001, 1.0, &driver_id);
    }
  for (guint i = 0; i < 16; i++)
    g_free (create_order (i % 2 ? cluster.a : cluster.b));

  g_assert_true (dsd_test_run_until (drivers_busy_cb, GINT_TO_POINTER (before + 8), 60000));
  g_assert_cmpint (query_count ("SELECT count(*) FROM (SELECT driver_id FROM dispatch.orders "
                                "WHERE status = 'assigned' GROUP BY driver_id "
                                "HAVING count(*) > 1) d"), ==, 0);
  g_assert_cmpint (query_count ("SELECT count(*) FROM (SELECT order_id FROM dispatch.events "
                                "WHERE type = 'order.assigned' GROUP BY order_id "
                                "HAVING count(*) > 1) o"), ==, 0);
}

typedef struct {
  Load       load;
  Load       other;
  char      *driver_path;
  char      *driver_token;
  guint      n_points;
  guint      n_points_failed;
} Outage;

static void
point_done_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  Outage *outage = user_data;
  g_autoptr(DsdTestResponse) response = dsd_test_request_finish (cluster.a, result);

  if (response->status != 202)
    outage->n_points_failed++;
}

/* Every 100 ms during the outage: an order on each instance and a point. */
static gboolean
outage_load_cb (gpointer user_data)
{
  Outage *outage = user_data;
  g_autofree char *point = g_strdup_printf ("{\"lat\":50.%04u,\"lon\":50.0}",
                                            ++outage->n_points);

  send_orders (&outage->load, 1);
  send_orders (&outage->other, 1);
  dsd_test_request_async (cluster.a, "POST", outage->driver_path, outage->driver_token, point,
                          point_done_cb, outage);
  return G_SOURCE_CONTINUE;
}

static gboolean
outage_done_cb (gpointer user_data)
{
  Outage *outage = user_data;

  return outage->load.in_flight == 0 && outage->other.in_flight == 0;
}

/* TARGETS R2: the broker stops for 30 s under order and location load: the
 * API keeps answering 201/202, /readyz says the bus is down, and once it is
 * back every event arrives on the other instance once, in order, and every
 * webhook is delivered once. */
static void
test_broker_outage (void)
{
  g_autoptr(GHashTable) ids = new_id_set ();
  g_autoptr(GHashTable) other_ids = new_id_set ();
  g_autofree char *driver_id = NULL;
  gint64 seq = 0;
  g_autoptr(DsdTestWebsocket) ws = open_stream (cluster.b, "", &seq);
  Receiver *receiver = receiver_start ();
  g_autofree char *hook_id = add_webhook (receiver);
  Outage outage = { { cluster.a, ids, 0, 0 }, { cluster.b, other_ids, 0, 0 } };
  GHashTableIter iter;
  gpointer id;
  guint load_source;

  outage.driver_token = dsd_test_create_online_driver (cluster.a, 50.0, 50.0, &driver_id);
  outage.driver_path = g_strdup_printf ("/api/v1/drivers/%s/location", driver_id);

  g_assert_true (dsd_test_run_until (bus_up_cb, cluster.a, 30000));
  dsd_test_kafka_stop (cluster.kafka);
  load_source = g_timeout_add (100, outage_load_cb, &outage);
  g_assert_true (dsd_test_run_until (bus_down_cb, cluster.a, 30000));
  g_assert_true (dsd_test_run_until (bus_down_cb, cluster.b, 30000));
  /* The outage lasts 30 s of load, whatever the checks above took. */
  dsd_test_run_for (30000);
  g_source_remove (load_source);
  g_assert_true (dsd_test_run_until (outage_done_cb, &outage, 60000));
  g_assert_cmpuint (outage.load.n_failed + outage.other.n_failed, ==, 0);
  g_assert_cmpuint (outage.n_points_failed, ==, 0);
  g_assert_cmpuint (g_hash_table_size (ids), >, 100);

  dsd_test_kafka_start (cluster.kafka);
  g_assert_true (dsd_test_run_until (bus_up_cb, cluster.a, 60000));
  g_assert_true (dsd_test_run_until (bus_up_cb, cluster.b, 60000));

  g_hash_table_iter_init (&iter, other_ids);
  while (g_hash_table_iter_next (&iter, &id, NULL))
    g_hash_table_add (ids, g_strdup (id));
  follow_until_created (ws, &seq, ids);
  assert_delivered_once (receiver, ids);

  delete_webhook (hook_id);
  receiver_stop (receiver);
  g_free (outage.driver_path);
  g_free (outage.driver_token);
}

/* Runs dispatchctl against the cluster; returns its standard output. */
static char *
dispatchctl (const char * const *args,
             int                *out_status)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_auto(GStrv) env = g_get_environ ();
  g_autofree char *out = NULL;
  g_autoptr(GError) error = NULL;
  int wait_status = 0;

  g_ptr_array_add (argv, g_build_filename (g_getenv ("DISPATCH_TEST_TOP_BUILDDIR"), "server",
                                           "dispatchctl", NULL));
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, g_strdup (args[i]));
  g_ptr_array_add (argv, NULL);
  env = g_environ_setenv (env, "DATABASE_URL", dsd_test_pg_get_conninfo (cluster.pg), TRUE);
  env = g_environ_setenv (env, "KAFKA_BROKERS", dsd_test_kafka_get_bootstrap (cluster.kafka),
                          TRUE);

  g_spawn_sync (NULL, (char **) argv->pdata, env, G_SPAWN_DEFAULT, NULL, NULL, &out, NULL,
                &wait_status, &error);
  g_assert_no_error (error);
  *out_status = WIFEXITED (wait_status) ? WEXITSTATUS (wait_status) : -1;
  return g_steal_pointer (&out);
}

/* Replaying archived events publishes them again with their seq: streams
 * drop them as repeats and go on without a gap. */
static void
test_replay (void)
{
  g_autoptr(GHashTable) ids = new_id_set ();
  gint64 seq = 0, last = query_count ("SELECT last_seq FROM dispatch.relay_state");
  g_autoptr(DsdTestWebsocket) ws = open_stream (cluster.b, "", &seq);
  g_autofree char *to = g_strdup_printf ("%" G_GINT64_FORMAT, last);
  g_autofree char *expected = g_strdup_printf ("Published %" G_GINT64_FORMAT " events\n", last);
  const char * const args[] = { "replay", "--from-seq", "1", "--to-seq", to, NULL };
  const char * const no_range[] = { "replay", NULL };
  g_autofree char *out = NULL;
  g_autofree char *refused = NULL;
  int status = -1;

  out = dispatchctl (args, &status);
  g_assert_cmpint (status, ==, 0);
  g_assert_cmpstr (out, ==, expected);
  refused = dispatchctl (no_range, &status);
  g_assert_cmpint (status, ==, 2);

  g_hash_table_add (ids, create_order (cluster.a));
  follow_until_created (ws, &seq, ids);
}

static gboolean
dead_letter_listed_cb (gpointer user_data)
{
  const char * const args[] = { "dead-letters", "list", NULL };
  char **out = user_data;
  int status = -1;

  g_free (*out);
  *out = dispatchctl (args, &status);
  g_assert_cmpint (status, ==, 0);
  return strstr (*out, "\"origin\":\"dispatch.notifier/") != NULL;
}

/* A record no one can process goes to the dead-letter topic after
 * DISPATCH_KAFKA_MAX_ATTEMPTS, and dispatchctl lists it. */
static void
test_dead_letters (void)
{
  static const char garbage[] = "not an event";
  g_autofree char *out = NULL;
  char errstr[256];
  rd_kafka_conf_t *conf = rd_kafka_conf_new ();
  rd_kafka_t *rk;

  g_assert_cmpint (rd_kafka_conf_set (conf, "bootstrap.servers",
                                      dsd_test_kafka_get_bootstrap (cluster.kafka), errstr,
                                      sizeof errstr), ==, RD_KAFKA_CONF_OK);
  rk = rd_kafka_new (RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  g_assert_nonnull (rk);
  g_assert_cmpint (rd_kafka_producev (rk, RD_KAFKA_V_TOPIC ("dispatch.events"),
                                      RD_KAFKA_V_VALUE ((void *) garbage, strlen (garbage)),
                                      RD_KAFKA_V_MSGFLAGS (RD_KAFKA_MSG_F_COPY),
                                      RD_KAFKA_V_END), ==, RD_KAFKA_RESP_ERR_NO_ERROR);
  g_assert_cmpint (rd_kafka_flush (rk, 30000), ==, RD_KAFKA_RESP_ERR_NO_ERROR);
  rd_kafka_destroy (rk);

  g_assert_true (dsd_test_run_until (dead_letter_listed_cb, &out, 60000));
  g_assert_nonnull (strstr (out, "\"attempts\":\"3\""));
  g_assert_nonnull (strstr (out, "\"event\":null"));
}

static gboolean
first_acked_cb (gpointer user_data)
{
  return query_count ("SELECT acked_seq FROM dispatch.relay_state") >= 1;
}

int
main (int    argc,
      char **argv)
{
  int status;

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  cluster.pg = dsd_test_pg_new ();
  cluster.kafka = dsd_test_kafka_new ();
  cluster.a = start_instance (NULL);
  cluster.b = start_instance (NULL);
  g_assert_true (dsd_test_run_until (bus_up_cb, cluster.a, 60000));
  g_assert_true (dsd_test_run_until (bus_up_cb, cluster.b, 60000));
  /* The relay leader's producer is through its first round trip (the
   * broker's coordinators load while it starts). */
  g_free (create_order (cluster.a));
  if (!dsd_test_run_until (first_acked_cb, NULL, 60000))
    {
      g_autofree char *log_a = dsd_test_server_get_log (cluster.a);
      g_autofree char *log_b = dsd_test_server_get_log (cluster.b);

      g_error ("The relay did not publish:\nA:\n%s\nB:\n%s", log_a, log_b);
    }

  g_test_add_func ("/cluster/order-crosses", test_order_crosses);
  g_test_add_func ("/cluster/location-crosses", test_location_crosses);
  g_test_add_func ("/cluster/since-across", test_since_across);
  g_test_add_func ("/cluster/webhooks-once", test_webhooks_once);
  g_test_add_func ("/cluster/assigners-never-double-assign",
                   test_assigners_never_double_assign);
  g_test_add_func ("/cluster/replay", test_replay);
  g_test_add_func ("/cluster/dead-letters", test_dead_letters);
  g_test_add_func ("/cluster/relay-failover", test_relay_failover);
  g_test_add_func ("/cluster/broker-outage", test_broker_outage);

  status = g_test_run ();

  dsd_test_server_free (cluster.a);
  dsd_test_server_free (cluster.b);
  dsd_test_kafka_free (cluster.kafka);
  dsd_test_pg_free (cluster.pg);
  return status;
}
