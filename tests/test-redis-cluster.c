/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Two dispatchd instances on one PostgreSQL and one redis-server (all real,
 * on loopback): what they must share through Redis (positions, limits,
 * cached reads) and how they live without it (R3).
 */
#include "test-scenario.h"
#include "test-server.h"
#include "test-utils.h"

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

/* Reads and logins in flight at once. */
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
  }

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
  ADD ("/redis-cluster/shared-login-limit", test_shared_login_limit);
  ADD ("/redis-cluster/shared-request-limit", test_shared_request_limit);
  ADD ("/redis-cluster/cache-coherence", test_cache_coherence);
  ADD ("/redis-cluster/redis-down", test_redis_down);
#undef ADD

  return g_test_run ();
}
