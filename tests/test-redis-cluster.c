/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Two dispatchd instances on one PostgreSQL and one redis-server (all real,
 * on loopback): what they must share through Redis (positions, limits,
 * cached reads) and how they live without it (R3).
 */
#include "test-scenario.h"
#include "test-server.h"
#include "test-utils.h"
#include "test-websocket.h"

#define WAIT_MS 30000
/* Alexanderplatz, where dsd_test_create_order() picks up. */
#define PICKUP_LAT 52.5219
#define PICKUP_LON 13.4132

typedef struct {
  DsdTestPg     *pg;
  DsdTestRedis  *redis;
  char          *database_url;
  char          *redis_url;
} Fixture;

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  fixture->pg = dsd_test_pg_new ();
  fixture->redis = dsd_test_redis_new ();
  fixture->database_url = g_strconcat ("DATABASE_URL=", dsd_test_pg_get_conninfo (fixture->pg),
                                       NULL);
  fixture->redis_url = g_strconcat ("REDIS_URL=", dsd_test_redis_get_url (fixture->redis),
                                    NULL);
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  dsd_test_redis_free (fixture->redis);
  dsd_test_pg_free (fixture->pg);
  g_free (fixture->database_url);
  g_free (fixture->redis_url);
}

/* An instance on the fixture's database and Redis, with extra settings. */
static DsdTestServer *
start_instance (Fixture    *fixture,
                const char *setting,
                ...)
{
  g_autoptr(GPtrArray) env = g_ptr_array_new ();
  va_list args;

  g_ptr_array_add (env, fixture->database_url);
  g_ptr_array_add (env, fixture->redis_url);
  /* Tokens from one instance are good on the other. */
  g_ptr_array_add (env, "DISPATCH_JWT_SECRET=redis-cluster-test-secret-of-40-bytes!!");
  va_start (args, setting);
  for (const char *s = setting; s != NULL; s = va_arg (args, const char *))
    g_ptr_array_add (env, (gpointer) s);
  va_end (args);
  g_ptr_array_add (env, NULL);

  return dsd_test_server_start ((const char * const *) env->pdata);
}

typedef struct {
  DsdTestServer *server;
  const char    *path;
  const char    *member;
  const char    *expected;
} Wait;

/* The JSON body of GET path has member == expected (a string). */
static gboolean
member_is (gpointer user_data)
{
  Wait *wait = user_data;
  g_autoptr(DsdTestResponse) response = NULL;
  JsonObject *object;

  response = dsd_test_request (wait->server, "GET", wait->path,
                               dsd_test_server_get_admin_token (wait->server), NULL, NULL);
  if (response->status != 200 || response->json == NULL || !JSON_NODE_HOLDS_OBJECT (response->json))
    return FALSE;

  object = json_node_get_object (response->json);
  return g_strcmp0 (json_object_get_string_member_with_default (object, wait->member, ""),
                    wait->expected) == 0;
}

static gboolean
cache_up (gpointer user_data)
{
  return dsd_test_server_component_is (user_data, "cache", "up");
}

static gboolean
cache_down (gpointer user_data)
{
  return dsd_test_server_component_is (user_data, "cache", "down");
}

static char *
near_ids (DsdTestServer *server,
          double         lat,
          double         lon)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/drivers?near=%.6f,%.6f&radius_m=2000",
                                           lat, lon);
  g_autoptr(DsdTestResponse) response = dsd_test_request (server, "GET", path,
                                                          dsd_test_server_get_admin_token (server),
                                                          NULL, NULL);
  JsonArray *drivers;
  g_autoptr(GString) ids = g_string_new (NULL);

  g_assert_cmpuint (response->status, ==, 200);
  drivers = json_object_get_array_member (dsd_test_response_object (response), "drivers");
  for (guint i = 0; i < json_array_get_length (drivers); i++)
    g_string_append_printf (ids, "%s ", json_object_get_string_member (
                              json_array_get_object_element (drivers, i), "id"));

  return g_string_free (g_steal_pointer (&ids), FALSE);
}

/* The assigner (B) learns of a position reported to the other instance (A)
 * through Redis: without it, B's fleet would keep the position B loaded at
 * start, 9 km away, beyond DISPATCH_MAX_PICKUP_KM, and never assign. Then B
 * is killed and restarted while A takes points: its candidate search has the
 * newest position at once. */
static void
test_shared_positions (Fixture       *fixture,
                       gconstpointer  data)
{
  DsdTestServer *a = start_instance (fixture, "DISPATCH_ROLES=api,relay,notifier", NULL);
  DsdTestServer *b = NULL;
  g_autofree char *driver_id = NULL;
  g_autofree char *token = NULL;
  g_autofree char *near_a = NULL;
  g_autofree char *near_b = NULL;
  g_autoptr(JsonObject) order = NULL;
  g_autofree char *order_path = NULL;
  Wait wait;

  token = dsd_test_create_named_driver (a, PICKUP_LAT + 0.08, PICKUP_LON, &driver_id);
  b = start_instance (fixture, "DISPATCH_ROLES=api,assigner", "DISPATCH_MAX_PICKUP_KM=2",
                      "DISPATCH_BATCH_INTERVAL_S=1", NULL);

  dsd_test_post_location (a, driver_id, token, PICKUP_LAT + 0.001, PICKUP_LON);
  near_a = near_ids (a, PICKUP_LAT, PICKUP_LON);
  near_b = near_ids (b, PICKUP_LAT, PICKUP_LON);
  g_assert_cmpstr (near_a, ==, near_b);
  g_assert_nonnull (strstr (near_a, driver_id));

  /* The 202 comes once the point is in Redis: both instances' searches,
   * made right after it, see every move (away, then back). */
  for (guint i = 1; i <= 10; i++)
    {
      gboolean away = i % 2 == 1;

      g_clear_pointer (&near_a, g_free);
      g_clear_pointer (&near_b, g_free);
      dsd_test_post_location (a, driver_id, token, PICKUP_LAT + (away ? 0.08 : 0.001),
                              PICKUP_LON);
      near_a = near_ids (a, PICKUP_LAT, PICKUP_LON);
      near_b = near_ids (b, PICKUP_LAT, PICKUP_LON);
      g_assert_cmpstr (near_a, ==, near_b);
      g_assert_true ((strstr (near_a, driver_id) == NULL) == away);
    }

  order = dsd_test_create_order (a, dsd_test_server_get_admin_token (a), NULL);
  order_path = g_strdup_printf ("/api/v1/orders/%s",
                                json_object_get_string_member (order, "id"));
  wait = (Wait) { b, order_path, "driver_id", driver_id };
  g_assert_true (dsd_test_run_until (member_is, &wait, WAIT_MS));
  {
    g_autofree char *cancel = g_strconcat (order_path, "/cancel", NULL);

    /* Room for the next one. */
    dsd_test_post_ok (a, cancel, dsd_test_server_get_admin_token (a), "{}");
  }

  /* Restart under load: A keeps taking the driver's points meanwhile. */
  dsd_test_server_stop (b, TRUE);
  for (guint i = 1; i <= 20; i++)
    dsd_test_post_location (a, driver_id, token, PICKUP_LAT + 0.08 - 0.0001 * i, PICKUP_LON);
  dsd_test_server_restart (b);
  g_clear_pointer (&near_a, g_free);
  g_clear_pointer (&near_b, g_free);
  near_a = near_ids (a, PICKUP_LAT + 0.078, PICKUP_LON);
  near_b = near_ids (b, PICKUP_LAT + 0.078, PICKUP_LON);
  g_assert_cmpstr (near_b, ==, near_a);
  g_assert_nonnull (strstr (near_b, driver_id));
  {
    g_autoptr(JsonObject) second = dsd_test_create_order (a, dsd_test_server_get_admin_token (a),
                                                          NULL);
    g_autofree char *path = g_strdup_printf ("/api/v1/orders/%s",
                                             json_object_get_string_member (second, "id"));

    /* The newest point is 8.7 km away: B must not assign it from an older one. */
    dsd_test_post_location (a, driver_id, token, PICKUP_LAT - 0.0005, PICKUP_LON);
    wait = (Wait) { b, path, "driver_id", driver_id };
    g_assert_true (dsd_test_run_until (member_is, &wait, WAIT_MS));
  }

  dsd_test_server_free (b);
  dsd_test_server_free (a);
}

typedef struct {
  DsdTestServer *server;
  const char    *driver_id;
} Near;

static gboolean
near_lists (gpointer user_data)
{
  Near *near = user_data;
  g_autofree char *ids = near_ids (near->server, PICKUP_LAT, PICKUP_LON);

  return strstr (ids, near->driver_id) != NULL;
}

static gboolean
is_nil (redisReply *reply)
{
  gboolean nil = reply->type == REDIS_REPLY_NIL;

  freeReplyObject (reply);
  return nil;
}

/* near= answers from the shared live positions (Redis GEO): the same on both
 * instances, only positions at most DISPATCH_LOCATION_MAX_AGE_S old, stale
 * GEO members pruned when found; too many within the radius, or Redis down,
 * from PostgreSQL (every known position) without a 5xx. */
static void
test_near_live (Fixture       *fixture,
                gconstpointer  data)
{
  DsdTestServer *a = start_instance (fixture, "DISPATCH_ROLES=api", NULL);
  DsdTestServer *b = start_instance (fixture, "DISPATCH_ROLES=api", NULL);
  const char *admin = dsd_test_server_get_admin_token (a);
  g_autoptr(DsdTestResponse) stale = NULL;
  g_autoptr(DsdTestResponse) accepted = NULL;
  g_autofree char *fresh_id = NULL;
  g_autofree char *pruned_id = NULL;
  g_autofree char *fresh_token = dsd_test_create_named_driver (a, 0, 0, &fresh_id);
  g_autofree char *pruned_token = dsd_test_create_named_driver (a, 0, 0, &pruned_id);
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr(GDateTime) old = g_date_time_add_minutes (now, -10);
  g_autofree char *old_text = g_date_time_format_iso8601 (old);
  g_autofree char *stale_path = NULL;
  g_autofree char *stale_point = g_strdup_printf (
    "{\"lat\":%f,\"lon\":%f,\"recorded_at\":\"%s\"}", PICKUP_LAT + 0.001, PICKUP_LON,
    old_text);
  g_autofree char *near_a = NULL;
  g_autofree char *near_b = NULL;
  g_autofree char *expected = g_strconcat (fresh_id, " ", NULL);
  g_autoptr(redisReply) added = NULL;
  Near near = { b, fresh_id };
  const char *stale_id;

  /* Known to PostgreSQL: 10 minutes old, of no use as a live position. */
  stale = dsd_test_request (a, "POST", "/api/v1/drivers", admin, "{\"name\":\"Old Timer\"}",
                            NULL);
  g_assert_cmpuint (stale->status, ==, 201);
  stale_id = dsd_test_response_string (stale, "id");
  stale_path = g_strdup_printf ("/api/v1/drivers/%s/location", stale_id);
  accepted = dsd_test_request (a, "POST", stale_path, admin, stale_point, NULL);
  g_assert_cmpuint (accepted->status, ==, 202);
  dsd_test_post_location (a, pruned_id, pruned_token, PICKUP_LAT + 0.002, PICKUP_LON);
  dsd_test_post_location (a, fresh_id, fresh_token, PICKUP_LAT + 0.001, PICKUP_LON);
  g_assert_true (dsd_test_run_until (near_lists, &near, WAIT_MS));
  g_assert_true (is_nil (dsd_test_redis_command (fixture->redis,
                                                 "ZSCORE dispatch:positions:seen %s",
                                                 stale_id)));
  /* One that has grown old since (GEO members never expire). */
  added = dsd_test_redis_command (fixture->redis, "ZADD dispatch:positions:seen 1 %s",
                                  pruned_id);

  near_a = near_ids (a, PICKUP_LAT, PICKUP_LON);
  near_b = near_ids (b, PICKUP_LAT, PICKUP_LON);
  g_assert_cmpstr (near_a, ==, near_b);
  g_assert_cmpstr (near_a, ==, expected);
  g_assert_true (is_nil (dsd_test_redis_command (fixture->redis,
                                                 "ZSCORE dispatch:positions:geo %s",
                                                 pruned_id)));

  /* Reported again: live again; paged on A, the next page on B. */
  dsd_test_post_location (a, pruned_id, pruned_token, PICKUP_LAT + 0.002, PICKUP_LON);
  near = (Near) { b, pruned_id };
  g_assert_true (dsd_test_run_until (near_lists, &near, WAIT_MS));
  {
    g_autofree char *first = g_strdup_printf ("/api/v1/drivers?near=%.6f,%.6f&limit=1",
                                              PICKUP_LAT, PICKUP_LON);
    g_autoptr(DsdTestResponse) page = dsd_test_request (a, "GET", first, admin, NULL, NULL);
    g_autoptr(DsdTestResponse) next_page = NULL;
    g_autofree char *second = NULL;
    JsonArray *drivers;

    g_assert_cmpuint (page->status, ==, 200);
    drivers = json_object_get_array_member (dsd_test_response_object (page), "drivers");
    g_assert_cmpuint (json_array_get_length (drivers), ==, 1);
    g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (drivers, 0),
                                                    "id"), ==, fresh_id);
    second = g_strdup_printf ("%s&next=%s", first, dsd_test_response_string (page, "next"));
    next_page = dsd_test_request (b, "GET", second, admin, NULL, NULL);
    g_assert_cmpuint (next_page->status, ==, 200);
    drivers = json_object_get_array_member (dsd_test_response_object (next_page), "drivers");
    g_assert_cmpuint (json_array_get_length (drivers), ==, 1);
    g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (drivers, 0),
                                                    "id"), ==, pruned_id);
    g_assert_true (json_node_is_null (json_object_get_member (
      dsd_test_response_object (next_page), "next")));
  }

  /* A radius that holds more members than one search takes (NEAR_MAX_IDS of
   * dsd-redis-cache.c, 10,000): answered from PostgreSQL, which lists the
   * stale driver too. */
  {
    for (guint i = 0; i <= 10000; i++)
      {
        g_autoptr(redisReply) crowded = dsd_test_redis_command (
          fixture->redis, "GEOADD dispatch:positions:geo %f %f crowd-%u", PICKUP_LON,
          PICKUP_LAT, i);

        g_assert_cmpint (crowded->type, ==, REDIS_REPLY_INTEGER);
      }
    g_clear_pointer (&near_a, g_free);
    near_a = near_ids (a, PICKUP_LAT, PICKUP_LON);
    g_assert_nonnull (strstr (near_a, stale_id));
    g_assert_nonnull (strstr (near_a, fresh_id));
  }

  dsd_test_redis_kill (fixture->redis);
  g_assert_true (dsd_test_run_until (cache_down, a, WAIT_MS));
  g_clear_pointer (&near_a, g_free);
  near_a = near_ids (a, PICKUP_LAT, PICKUP_LON);
  g_assert_nonnull (strstr (near_a, fresh_id));
  g_assert_nonnull (strstr (near_a, stale_id));
  g_assert_nonnull (strstr (near_a, pruned_id));

  dsd_test_server_free (b);
  dsd_test_server_free (a);
}

typedef struct {
  DsdTestServer    *server;
  DsdTestWebsocket *stream;
} Opening;

static DsdTestWebsocket *
open_stream (DsdTestServer *server,
             guint         *out_status)
{
  return dsd_test_websocket_connect (server, "/api/v1/stream",
                                     dsd_test_server_get_admin_token (server), out_status);
}

/* Asserts a refusal (429) until the stream opens. */
static gboolean
stream_opens (gpointer user_data)
{
  Opening *opening = user_data;
  guint status = 0;

  if (opening->stream != NULL)
    return TRUE;
  opening->stream = open_stream (opening->server, &status);
  if (opening->stream == NULL)
    g_assert_cmpuint (status, ==, 429);
  return opening->stream != NULL;
}

static void
assert_stream_refused (DsdTestServer *server)
{
  guint status = 0;
  g_autoptr(DsdTestWebsocket) refused = open_stream (server, &status);

  g_assert_null (refused);
  g_assert_cmpuint (status, ==, 429);
}

/* DISPATCH_CLIENT_MAX_STREAMS counts a client's open streams on all
 * instances together: a closed stream frees its slot, a crashed instance's
 * slots stop counting once it no longer renews them, and with Redis down
 * each instance counts its own. */
static void
test_shared_stream_cap (Fixture       *fixture,
                        gconstpointer  data)
{
  DsdTestServer *a = start_instance (fixture, "DISPATCH_CLIENT_MAX_STREAMS=2", NULL);
  DsdTestServer *b = start_instance (fixture, "DISPATCH_CLIENT_MAX_STREAMS=2", NULL);
  g_autoptr(DsdTestWebsocket) on_a = open_stream (a, NULL);
  DsdTestWebsocket *on_b = open_stream (b, NULL);
  Opening opening = { a, NULL };

  g_assert_nonnull (on_a);
  g_assert_nonnull (on_b);
  assert_stream_refused (a);
  assert_stream_refused (b);

  /* Closed on B: A may open one. */
  dsd_test_websocket_free (on_b);
  g_assert_true (dsd_test_poll_until (stream_opens, &opening, 100, WAIT_MS));
  assert_stream_refused (b);

  /* B crashes holding one: its slot stops counting within 30 s. (A frees the
   * slot of the stream closed here once it sees the close: B polls.) */
  dsd_test_websocket_free (g_steal_pointer (&opening.stream));
  opening = (Opening) { b, NULL };
  g_assert_true (dsd_test_poll_until (stream_opens, &opening, 100, WAIT_MS));
  on_b = g_steal_pointer (&opening.stream);
  assert_stream_refused (a);
  dsd_test_server_stop (b, TRUE);
  opening = (Opening) { a, NULL };
  g_assert_true (dsd_test_poll_until (stream_opens, &opening, 100, 2 * WAIT_MS));
  dsd_test_websocket_free (on_b);

  /* Redis down: A counts alone, and still holds two. */
  dsd_test_redis_kill (fixture->redis);
  g_assert_true (dsd_test_run_until (cache_down, a, WAIT_MS));
  assert_stream_refused (a);
  dsd_test_websocket_free (g_steal_pointer (&opening.stream));
  opening = (Opening) { a, NULL };
  g_assert_true (dsd_test_poll_until (stream_opens, &opening, 100, WAIT_MS));
  assert_stream_refused (a);

  /* Back: what A holds counts again, for every instance. */
  dsd_test_redis_start (fixture->redis);
  g_assert_true (dsd_test_run_until (cache_up, a, WAIT_MS));
  dsd_test_server_restart (b);
  assert_stream_refused (b);

  dsd_test_websocket_free (opening.stream);
  dsd_test_server_free (b);
  dsd_test_server_free (a);
}

static guint
login_status (DsdTestServer *server,
              const char    *username)
{
  g_autofree char *body = g_strdup_printf ("{\"username\":\"%s\",\"password\":\"wrong-one\"}",
                                           username);
  g_autoptr(DsdTestResponse) response = dsd_test_request (server, "POST", "/api/v1/auth/token",
                                                          NULL, body, NULL);

  return response->status;
}

/* 10 failed logins for one username within 5 minutes, whichever instance
 * they reach: the 11th is refused on both. */
static void
test_shared_login_limit (Fixture       *fixture,
                         gconstpointer  data)
{
  DsdTestServer *a = start_instance (fixture, NULL);
  DsdTestServer *b = start_instance (fixture, NULL);
  g_autofree char *username = dsd_test_unique_name ("ghost");

  for (guint i = 0; i < 10; i++)
    g_assert_cmpuint (login_status (i % 2 ? a : b, username), ==, 401);
  g_assert_cmpuint (login_status (a, username), ==, 429);
  g_assert_cmpuint (login_status (b, username), ==, 429);

  dsd_test_server_free (b);
  dsd_test_server_free (a);
}

/* DISPATCH_CLIENT_RATE_LIMIT counts a client's requests on all instances
 * together; probes are not counted. */
static void
test_shared_request_limit (Fixture       *fixture,
                           gconstpointer  data)
{
  DsdTestServer *a = start_instance (fixture, "DISPATCH_CLIENT_RATE_LIMIT=30", NULL);
  DsdTestServer *b = start_instance (fixture, "DISPATCH_CLIENT_RATE_LIMIT=30", NULL);
  g_autoptr(DsdTestResponse) refused = NULL;
  guint n_ok = 0;

  /* Each start logged in once, through its own instance. */
  for (guint i = 0; i < 40; i++)
    {
      DsdTestServer *server = i % 2 ? a : b;
      const char *token = dsd_test_server_get_admin_token (server);
      g_autoptr(DsdTestResponse) response = dsd_test_request (server, "GET", "/api/v1/orders",
                                                              token, NULL, NULL);

      if (response->status == 200)
        n_ok++;
      else
        dsd_test_assert_error (response, 429, "rate_limited", NULL);
    }
  g_assert_cmpuint (n_ok, ==, 30 - 2);

  refused = dsd_test_request (a, "GET", "/api/v1/orders", dsd_test_server_get_admin_token (a),
                              NULL, NULL);
  dsd_test_assert_error (refused, 429, "rate_limited", NULL);
  g_assert_nonnull (soup_message_headers_get_one (refused->headers, "Retry-After"));
  g_assert_true (dsd_test_server_component_is (a, "cache", "up"));
  g_assert_true (dsd_test_server_component_is (b, "cache", "up"));

  dsd_test_server_free (b);
  dsd_test_server_free (a);
}

static gboolean
key_exists (DsdTestRedis *redis,
            const char   *prefix,
            const char   *name)
{
  g_autoptr(redisReply) reply = dsd_test_redis_command (redis, "EXISTS %s%s", prefix, name);

  return reply->type == REDIS_REPLY_INTEGER && reply->integer == 1;
}

static gboolean
subscribed (gpointer user_data)
{
  g_autoptr(redisReply) clients = dsd_test_redis_command (user_data, "CLIENT LIST TYPE pubsub");

  return clients->type == REDIS_REPLY_STRING && strstr (clients->str, "sub=1") != NULL;
}

typedef struct {
  DsdTestServer *server;
  const char    *order_path;
  guint          n_sent;
  guint          n_answered;
  guint          n_5xx;
} Load;

static void
load_answered_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  Load *load = user_data;
  g_autoptr(DsdTestResponse) response = dsd_test_request_finish (load->server, result);

  load->n_answered++;
  if (response->status >= 500)
    load->n_5xx++;
}

/* Reads (orders, near) and logins in flight at once. */
static void
send_load (Load  *load,
           guint  n)
{
  for (guint i = 0; i < n; i++, load->n_sent++)
    {
      if (i % 10 == 9)
        dsd_test_request_async (load->server, "POST", "/api/v1/auth/token", NULL,
                                "{\"username\":\"nobody\",\"password\":\"wrong-one\"}",
                                load_answered_cb, load);
      else if (i % 10 == 5)
        dsd_test_request_async (load->server, "GET", "/api/v1/drivers?near=52.52,13.41",
                                dsd_test_server_get_admin_token (load->server), NULL,
                                load_answered_cb, load);
      else
        dsd_test_request_async (load->server, "GET", load->order_path,
                                dsd_test_server_get_admin_token (load->server), NULL,
                                load_answered_cb, load);
    }
}

static gboolean
load_done (gpointer user_data)
{
  Load *load = user_data;

  return load->n_answered == load->n_sent;
}

static gboolean
load_under_way (gpointer user_data)
{
  Load *load = user_data;

  return load->n_answered >= 10;
}

/* R3: Redis killed under load. Nothing fails beyond the moment it dies (and
 * nothing at all here: every Redis use falls back), /readyz says the cache is
 * down and stays ready, and the cache comes back by itself. */
static void
test_redis_down (Fixture       *fixture,
                 gconstpointer  data)
{
  DsdTestServer *a = start_instance (fixture, NULL);
  g_autoptr(JsonObject) order = dsd_test_create_order (a, dsd_test_server_get_admin_token (a),
                                                       NULL);
  g_autofree char *order_path = g_strdup_printf ("/api/v1/orders/%s",
                                                 json_object_get_string_member (order, "id"));
  g_autofree char *username = dsd_test_unique_name ("ghost");
  Load load = { a, order_path };

  g_assert_true (dsd_test_server_component_is (a, "cache", "up"));
  send_load (&load, 100);
  g_assert_true (dsd_test_run_until (load_under_way, &load, WAIT_MS));
  dsd_test_redis_kill (fixture->redis);
  send_load (&load, 100);
  g_assert_true (dsd_test_run_until (load_done, &load, WAIT_MS));
  g_assert_cmpuint (load.n_5xx, ==, 0);

  g_assert_true (dsd_test_run_until (cache_down, a, WAIT_MS));
  send_load (&load, 100);
  g_assert_true (dsd_test_run_until (load_done, &load, WAIT_MS));
  g_assert_cmpuint (load.n_5xx, ==, 0);

  /* Limits count locally meanwhile. */
  for (guint i = 0; i < 10; i++)
    g_assert_cmpuint (login_status (a, username), ==, 401);
  g_assert_cmpuint (login_status (a, username), ==, 429);

  dsd_test_redis_start (fixture->redis);
  g_assert_true (dsd_test_run_until (cache_up, a, WAIT_MS));
  {
    g_autofree char *other = dsd_test_unique_name ("ghost");

    for (guint i = 0; i < 10; i++)
      g_assert_cmpuint (login_status (a, other), ==, 401);
    g_assert_cmpuint (login_status (a, other), ==, 429);
    /* Counted in Redis again. */
    g_assert_true (key_exists (fixture->redis, "dispatch:limit:login-failures:", other));
  }

  dsd_test_server_free (a);
}

/* hiredis reconnects after CLIENT KILL (commands and subscriber): the
 * instance uses Redis again without a restart. */
static void
test_client_kill (Fixture       *fixture,
                  gconstpointer  data)
{
  DsdTestServer *a = start_instance (fixture, NULL);
  g_autofree char *username = dsd_test_unique_name ("ghost");
  g_autoptr(redisReply) killed = NULL;
  g_autoptr(redisReply) killed_subscriber = NULL;
  Load load = { a, "/api/v1/drivers?near=52.52,13.41" };

  g_assert_true (dsd_test_server_component_is (a, "cache", "up"));
  killed = dsd_test_redis_command (fixture->redis, "CLIENT KILL TYPE normal SKIPME yes");
  killed_subscriber = dsd_test_redis_command (fixture->redis, "CLIENT KILL TYPE pubsub");
  g_assert_cmpint (killed->type, ==, REDIS_REPLY_INTEGER);
  g_assert_cmpint (killed->integer, >=, 1);
  g_assert_cmpint (killed_subscriber->integer, >=, 1);
  send_load (&load, 50);
  g_assert_true (dsd_test_run_until (load_done, &load, WAIT_MS));
  g_assert_cmpuint (load.n_5xx, ==, 0);

  g_assert_true (dsd_test_run_until (cache_up, a, WAIT_MS));
  g_assert_cmpuint (login_status (a, username), ==, 401);
  g_assert_true (key_exists (fixture->redis, "dispatch:limit:login-failures:", username));
  g_assert_true (dsd_test_poll_until (subscribed, fixture->redis, 100, WAIT_MS));

  dsd_test_server_free (a);
}

static double
metric_value (DsdTestServer *server,
              const char    *line_prefix)
{
  g_autoptr(DsdTestResponse) response = dsd_test_request (server, "GET", "/metrics", NULL, NULL,
                                                          NULL);
  const char *line = strstr (response->text, line_prefix);

  return line != NULL ? g_ascii_strtod (line + strlen (line_prefix), NULL) : 0;
}

static guint
get_status (DsdTestServer *server,
            const char    *path,
            const char    *token)
{
  g_autoptr(DsdTestResponse) response = dsd_test_request (server, "GET", path, token, NULL,
                                                          NULL);

  return response->status;
}

/* Reads on B come from Redis, and a change made on A is seen on B once its
 * event has arrived (never older than that afterwards); a customer's foreign
 * order stays 404 whatever the cache holds. */
static void
test_cache_coherence (Fixture       *fixture,
                      gconstpointer  data)
{
  DsdTestServer *a = start_instance (fixture, NULL);
  DsdTestServer *b = start_instance (fixture, NULL);
  const char *admin = dsd_test_server_get_admin_token (a);
  g_autofree char *customer = dsd_test_create_user (a, "customer", NULL, NULL);
  g_autofree char *stranger = dsd_test_create_user (a, "customer", NULL, NULL);
  g_autoptr(JsonObject) order = dsd_test_create_order (a, customer, NULL);
  const char *id = json_object_get_string_member (order, "id");
  g_autofree char *path = g_strdup_printf ("/api/v1/orders/%s", id);
  g_autofree char *tracking = g_strdup_printf ("/api/v1/orders/%s/tracking", id);
  g_autofree char *public = g_strdup_printf ("/api/v1/track/%s",
                                             json_object_get_string_member (order,
                                                                            "tracking_token"));
  g_autofree char *cancel = g_strdup_printf ("/api/v1/orders/%s/cancel", id);
  const char *hits = "dispatch_cache_lookups_total{result=\"hit\"} ";
  double hits_before;
  Wait wait;

  /* Filled on B, then served from Redis on both. */
  for (guint i = 0; i < 2; i++)
    {
      g_assert_cmpuint (get_status (b, path, customer), ==, 200);
      g_assert_cmpuint (get_status (b, tracking, customer), ==, 200);
      g_assert_cmpuint (get_status (b, public, NULL), ==, 200);
      g_assert_cmpuint (get_status (a, path, admin), ==, 200);
    }
  hits_before = metric_value (b, hits);
  g_assert_cmpfloat (hits_before, >=, 1);
  g_assert_cmpuint (get_status (a, path, customer), ==, 200);
  g_assert_cmpuint (get_status (b, path, stranger), ==, 404);
  g_assert_cmpuint (get_status (a, tracking, stranger), ==, 404);
  g_assert_cmpuint (get_status (b, path, stranger), ==, 404);

  dsd_test_post_ok (a, cancel, admin, "{}");
  wait = (Wait) { b, path, "status", "cancelled" };
  g_assert_true (dsd_test_run_until (member_is, &wait, WAIT_MS));
  wait = (Wait) { b, public, "status", "cancelled" };
  g_assert_true (dsd_test_run_until (member_is, &wait, WAIT_MS));
  wait = (Wait) { b, tracking, "status", "cancelled" };
  g_assert_true (dsd_test_run_until (member_is, &wait, WAIT_MS));
  for (guint i = 0; i < 5; i++)
    {
      g_assert_true (member_is (&(Wait) { b, path, "status", "cancelled" }));
      g_assert_true (member_is (&(Wait) { a, path, "status", "cancelled" }));
    }
  g_assert_cmpfloat (metric_value (b, hits), >, hits_before);
  {
    /* Invalidated by the event, not merely expired. */
    g_autoptr(redisReply) generation = dsd_test_redis_command (fixture->redis,
                                                               "GET dispatch:gen:order:%s", id);

    g_assert_cmpint (generation->type, ==, REDIS_REPLY_STRING);
    g_assert_cmpint (atoi (generation->str), >=, 1);
  }

  dsd_test_server_free (b);
  dsd_test_server_free (a);
}

/* A setting the server accepts does what it says: a malformed REDIS_URL
 * stops it at start, saying why. */
static void
test_bad_url (void)
{
  g_autofree char *program = g_build_filename (g_getenv ("DISPATCH_TEST_TOP_BUILDDIR"),
                                               "server", "dispatchd", NULL);
  g_autofree char *data_dir = dsd_test_make_tmp_dir ("dsd-test-bad-url");
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                                        G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_setenv (launcher, "REDIS_URL", "redis://user:secret@localhost", TRUE);
  g_subprocess_launcher_setenv (launcher, "DISPATCH_DATA_DIR", data_dir, TRUE);
  g_subprocess_launcher_setenv (launcher, "DISPATCH_LISTEN", "127.0.0.1:0", TRUE);
  process = g_subprocess_launcher_spawn (launcher, &error, program, NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, NULL, &err, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (process));
  g_assert_cmpint (g_subprocess_get_exit_status (process), !=, 0);
  g_assert_nonnull (strstr (err, "REDIS_URL: user names are not supported"));
  dsd_test_remove_tree (data_dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/redis-cluster/bad-url", test_bad_url);
#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/redis-cluster/shared-positions", test_shared_positions);
  ADD ("/redis-cluster/near-live", test_near_live);
  ADD ("/redis-cluster/shared-login-limit", test_shared_login_limit);
  ADD ("/redis-cluster/shared-stream-cap", test_shared_stream_cap);
  ADD ("/redis-cluster/shared-request-limit", test_shared_request_limit);
  ADD ("/redis-cluster/cache-coherence", test_cache_coherence);
  ADD ("/redis-cluster/redis-down", test_redis_down);
  ADD ("/redis-cluster/client-kill", test_client_kill);
#undef ADD

  return g_test_run ();
}
