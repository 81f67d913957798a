/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The dispatcher stream's snapshot as the server keeps it in memory from the
 * events (DsdSnapshotStore) against the one it loads from PostgreSQL: after a
 * sequence of changes (orders created, updated, assigned, cancelled; drivers
 * going online, moving, changing team) a stream's snapshot equals, object by
 * object and in order, the one the server gives after starting again on the
 * same database; a scoped dispatcher's is the same filtered to its teams, both
 * times. last_seen_at is left out of the comparison: the store has it as of
 * the driver's last driver.updated (dsd-snapshot-store.h). A driver's first
 * point that comes before the event of the driver's creation is kept.
 *
 * Places: zone A is [50, 51] N × [10, 11] E, zone B [50, 51] N × [12, 13] E.
 */
#include <string.h>

#include "dsd-pg-pool.h"

#include "test-scenario.h"
#include "test-utils.h"
#include "test-websocket.h"

#define FRAME_TIMEOUT_MS 30000
#define PASSWORD "snapshot-test-password"

static DsdTestServer *server;

static const char *
admin_token (void)
{
  return dsd_test_server_get_admin_token (server);
}

static DsdTestResponse *
admin (const char *method,
       const char *path,
       const char *body)
{
  return dsd_test_request (server, method, path, admin_token (), body, NULL);
}

static char *
created_id (DsdTestResponse *response)
{
  if (response->status != 201)
    g_error ("expected 201, got %u: %s", response->status, response->text);
  return g_strdup (dsd_test_response_string (response, "id"));
}

static void
expect_ok (const char *method,
           const char *path,
           const char *body)
{
  g_autoptr(DsdTestResponse) response = admin (method, path, body);

  if (response->status != 200)
    g_error ("%s %s: expected 200, got %u: %s", method, path, response->status, response->text);
}

static char *
new_zone (double lon)
{
  g_autofree char *name = dsd_test_unique_name ("zone");
  g_autofree char *body = g_strdup_printf (
    "{\"name\":\"%s\",\"geometry\":{\"type\":\"Polygon\",\"coordinates\":"
    "[[[%g,50],[%g,50],[%g,51],[%g,51],[%g,50]]]}}", name, lon, lon + 1, lon + 1, lon, lon);
  g_autoptr(DsdTestResponse) response = admin ("POST", "/api/v1/zones", body);

  return created_id (response);
}

/* Offline, and without a location: automation leaves it alone. */
static char *
new_driver (void)
{
  g_autofree char *name = dsd_test_unique_name ("driver");
  g_autofree char *body = g_strdup_printf ("{\"name\":\"%s\",\"capacity\":3}", name);
  g_autoptr(DsdTestResponse) response = admin ("POST", "/api/v1/drivers", body);

  return created_id (response);
}

static char *
new_order (double lat,
           double lon)
{
  g_autofree char *body = g_strdup_printf ("{\"pickup\":{\"lat\":%.6f,\"lon\":%.6f},"
                                           "\"dropoff\":{\"lat\":%.6f,\"lon\":%.6f}}",
                                           lat, lon, lat + 0.01, lon + 0.01);
  g_autoptr(DsdTestResponse) response = admin ("POST", "/api/v1/orders", body);

  return created_id (response);
}

static void
put_team (const char *team_id,
          const char *dispatcher_id,
          const char *drivers,
          const char *zone_id)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/teams/%s", team_id);
  g_autofree char *body = g_strdup_printf ("{\"name\":\"team %s\",\"dispatchers\":[%s],"
                                           "\"drivers\":[%s],\"zones\":[\"%s\"]}",
                                           zone_id, dispatcher_id, drivers, zone_id);

  expect_ok ("PUT", path, body);
}

static JsonObject *
snapshot_of (const char *token)
{
  g_autoptr(DsdTestWebsocket) ws = dsd_test_websocket_connect (server, "/api/v1/stream", token,
                                                               NULL);
  JsonObject *snapshot;

  g_assert_nonnull (ws);
  snapshot = dsd_test_websocket_next (ws, FRAME_TIMEOUT_MS);
  g_assert_nonnull (snapshot);
  g_assert_cmpstr (json_object_get_string_member (snapshot, "type"), ==, "snapshot");
  return snapshot;
}

static gboolean
lists (JsonObject *snapshot,
       const char *section,
       const char *id)
{
  JsonArray *items = json_object_get_array_member (snapshot, section);

  for (guint i = 0; i < json_array_get_length (items); i++)
    if (g_str_equal (json_object_get_string_member (json_array_get_object_element (items, i),
                                                    "id"), id))
      return TRUE;
  return FALSE;
}

/* The section of the snapshot without last_seen_at. */
static JsonNode *
section_of (JsonObject *snapshot,
            const char *section)
{
  JsonNode *node = json_node_copy (json_object_get_member (snapshot, section));
  JsonArray *items = json_node_get_array (node);

  for (guint i = 0; i < json_array_get_length (items); i++)
    json_object_remove_member (json_array_get_object_element (items, i), "last_seen_at");
  return node;
}

static void
assert_same (JsonObject *memory,
             JsonObject *database)
{
  const char *const sections[] = { "orders", "drivers" };

  for (guint i = 0; i < G_N_ELEMENTS (sections); i++)
    {
      g_autoptr(JsonNode) a = section_of (memory, sections[i]);
      g_autoptr(JsonNode) b = section_of (database, sections[i]);

      if (!json_node_equal (a, b))
        {
          g_autofree char *x = json_to_string (a, TRUE);
          g_autofree char *y = json_to_string (b, TRUE);

          g_error ("the %s of the snapshots differ:\nmemory: %s\ndatabase: %s", sections[i], x,
                   y);
        }
    }
}

/* What a dispatcher scoped to zone_id and the drivers may see of snapshot. */
static JsonObject *
scoped_part (JsonObject         *snapshot,
             const char         *zone_id,
             const char * const *drivers)
{
  JsonObject *part = json_object_new ();
  JsonArray *orders = json_array_new ();
  JsonArray *listed = json_array_new ();
  JsonArray *items = json_object_get_array_member (snapshot, "orders");

  for (guint i = 0; i < json_array_get_length (items); i++)
    {
      JsonObject *order = json_array_get_object_element (items, i);

      if (g_strcmp0 (json_object_get_string_member (order, "zone_id"), zone_id) == 0)
        json_array_add_object_element (orders, json_object_ref (order));
    }
  items = json_object_get_array_member (snapshot, "drivers");
  for (guint i = 0; i < json_array_get_length (items); i++)
    {
      JsonObject *driver = json_array_get_object_element (items, i);

      if (g_strv_contains (drivers, json_object_get_string_member (driver, "id")))
        json_array_add_object_element (listed, json_object_ref (driver));
    }
  json_object_set_array_member (part, "orders", orders);
  json_object_set_array_member (part, "drivers", listed);
  return part;
}

static gboolean
frame_names (JsonObject *frame,
             const char *type,
             const char *id)
{
  JsonObject *data;

  if (g_strcmp0 (json_object_get_string_member_with_default (frame, "type", ""), type) != 0)
    return FALSE;
  data = json_object_get_object_member (frame, "data");
  return g_str_equal (json_object_get_string_member (data, type[0] == 'o' ? "id" : "driver_id"),
                      id);
}

static void
test_memory_equals_database (void)
{
  g_autofree char *username = dsd_test_unique_name ("dispatcher");
  g_autofree char *body = g_strdup_printf (
    "{\"username\":\"%s\",\"password\":\"%s\",\"role\":\"dispatcher\"}", username, PASSWORD);
  g_autoptr(DsdTestResponse) user = admin ("POST", "/api/v1/users", body);
  g_autofree char *dispatcher_id = created_id (user);
  g_autofree char *quoted_dispatcher = g_strdup_printf ("\"%s\"", dispatcher_id);
  g_autofree char *scoped = dsd_test_login (server, username, PASSWORD);
  char *zone[2] = { new_zone (10), new_zone (12) };
  char *driver[2] = { new_driver (), new_driver () };
  char *team[2] = { NULL, NULL };
  char *order[5] = { NULL };
  g_autofree char *moved = g_strdup_printf ("\"%s\",\"%s\"", driver[0], driver[1]);
  g_autoptr(DsdTestWebsocket) watch = NULL;
  g_autoptr(JsonObject) memory = NULL;
  g_autoptr(JsonObject) memory_scoped = NULL;
  g_autoptr(JsonObject) database = NULL;
  g_autoptr(JsonObject) database_scoped = NULL;
  g_autoptr(JsonObject) expected = NULL;
  g_autofree char *path = NULL;
  gboolean seen[2] = { FALSE, FALSE };

  for (guint t = 0; t < 2; t++)
    {
      g_autofree char *team_body = g_strdup_printf (
        "{\"name\":\"team %u\",\"dispatchers\":[%s],\"drivers\":[\"%s\"],\"zones\":[\"%s\"]}",
        t, t == 0 ? quoted_dispatcher : "", driver[t], zone[t]);
      g_autoptr(DsdTestResponse) created = admin ("POST", "/api/v1/teams", team_body);

      team[t] = created_id (created);
    }

  /* The store is loaded: what follows comes to it as events. */
  watch = dsd_test_websocket_connect (server, "/api/v1/stream", admin_token (), NULL);
  g_assert_nonnull (watch);
  memory = dsd_test_websocket_next (watch, FRAME_TIMEOUT_MS);
  g_assert_nonnull (memory);
  g_clear_pointer (&memory, json_object_unref);

  order[0] = new_order (50.5, 10.5);    /* zone A, assigned */
  order[1] = new_order (50.5, 12.5);    /* zone B, edited */
  order[2] = new_order (45, 0);         /* unzoned */
  order[3] = new_order (50.6, 10.6);    /* zone A, cancelled */
  order[4] = new_order (50.7, 10.7);    /* zone A, assigned, then unassigned */

  path = g_strdup_printf ("/api/v1/drivers/%s/online", driver[0]);
  expect_ok ("POST", path, "{\"online\":true}");
  dsd_test_assign (server, order[0], driver[0]);
  dsd_test_assign (server, order[4], driver[0]);
  g_free (path);
  path = g_strdup_printf ("/api/v1/orders/%s/unassign", order[4]);
  expect_ok ("POST", path, "{}");
  g_free (path);
  path = g_strdup_printf ("/api/v1/orders/%s", order[1]);
  expect_ok ("PATCH", path, "{\"notes\":\"ring twice\",\"priority\":3}");
  g_free (path);
  path = g_strdup_printf ("/api/v1/orders/%s/cancel", order[3]);
  expect_ok ("POST", path, "{}");
  /* driver 1 (offline) moves and changes team */
  dsd_test_post_location (server, driver[1], admin_token (), 50.51, 12.52);
  put_team (team[0], quoted_dispatcher, moved, zone[0]);
  put_team (team[1], "", "", zone[1]);
  /* the last state change */
  g_free (path);
  path = g_strdup_printf ("/api/v1/orders/%s", order[2]);
  expect_ok ("PATCH", path, "{\"notes\":\"last\"}");

  /* Every change has reached the stream (and so the store) */
  while (!seen[0] || !seen[1])
    {
      g_autoptr(JsonObject) frame = dsd_test_websocket_next (watch, FRAME_TIMEOUT_MS);
      JsonArray *items;

      g_assert_nonnull (frame);
      seen[0] |= frame_names (frame, "order.updated", order[2]);
      seen[1] |= frame_names (frame, "driver.location", driver[1]);
      if (!g_str_equal (json_object_get_string_member (frame, "type"), "driver.locations"))
        continue;
      items = json_object_get_array_member (frame, "items");
      for (guint i = 0; i < json_array_get_length (items); i++)
        seen[1] |= g_str_equal (json_object_get_string_member (
                                  json_array_get_object_element (items, i), "driver_id"),
                                driver[1]);
    }

  memory = snapshot_of (admin_token ());
  memory_scoped = snapshot_of (scoped);
  g_assert_true (lists (memory, "orders", order[0]));
  g_assert_true (lists (memory, "orders", order[4]));
  g_assert_false (lists (memory, "orders", order[3]));
  g_assert_true (lists (memory_scoped, "drivers", driver[1]));
  g_assert_false (lists (memory_scoped, "orders", order[1]));
  {
    const char *const drivers[] = { driver[0], driver[1], NULL };

    expected = scoped_part (memory, zone[0], drivers);
    assert_same (memory_scoped, expected);
  }

  /* The same server started again loads it from the database */
  g_clear_pointer (&watch, dsd_test_websocket_free);
  dsd_test_server_stop (server, FALSE);
  dsd_test_server_restart (server);
  g_free (scoped);
  scoped = dsd_test_login (server, username, PASSWORD);
  database = snapshot_of (admin_token ());
  database_scoped = snapshot_of (scoped);
  g_assert_cmpint (json_object_get_int_member (database, "seq"), >=,
                   json_object_get_int_member (memory, "seq"));
  assert_same (memory, database);
  assert_same (memory_scoped, database_scoped);

  for (guint i = 0; i < 2; i++)
    {
      g_free (zone[i]);
      g_free (driver[i]);
      g_free (team[i]);
    }
  for (guint i = 0; i < G_N_ELEMENTS (order); i++)
    g_free (order[i]);
}

static JsonObject *
driver_in (JsonObject *snapshot,
           const char *id)
{
  JsonArray *items = json_object_get_array_member (snapshot, "drivers");

  for (guint i = 0; i < json_array_get_length (items); i++)
    {
      JsonObject *driver = json_array_get_object_element (items, i);

      if (g_str_equal (json_object_get_string_member (driver, "id"), id))
        return driver;
    }
  return NULL;
}

static void
exec_sql (PGconn     *db,
          const char *sql)
{
  g_autoptr(PGresult) result = PQexec (db, sql);

  if (PQresultStatus (result) != PGRES_TUPLES_OK)
    g_error ("%s: %s", sql, PQerrorMessage (db));
}

/* A new driver's first point can reach the store before the event of its
 * creation does: the point is live at once, the event goes through the
 * outbox relay. The store keeps the point for the driver's entry. The test
 * holds the relay back with its lock (dispatch.relay_claim's) meanwhile. */
static void
test_point_before_driver (void)
{
  g_autofree char *socket_dir = g_build_filename (dsd_test_server_get_database_dir (server),
                                                  "postgresql", "run", NULL);
  g_autofree char *conninfo = g_strdup_printf ("host=%s port=5432 dbname=dispatch "
                                               "user=dispatch", socket_dir);
  g_autoptr(DsdTestWebsocket) watch = NULL;
  g_autoptr(JsonObject) first = NULL;
  g_autoptr(JsonObject) snapshot = NULL;
  g_autofree char *driver = NULL;
  gboolean created = FALSE;
  PGconn *db = PQconnectdb (conninfo);
  JsonObject *listed, *location;

  g_assert_cmpint (PQstatus (db), ==, CONNECTION_OK);
  watch = dsd_test_websocket_connect (server, "/api/v1/stream", admin_token (), NULL);
  g_assert_nonnull (watch);
  first = dsd_test_websocket_next (watch, FRAME_TIMEOUT_MS);
  g_assert_nonnull (first);

  exec_sql (db, "SELECT pg_advisory_lock(7144650001)");
  driver = new_driver ();
  dsd_test_post_location (server, driver, admin_token (), 50.25, 10.75);
  exec_sql (db, "SELECT pg_advisory_unlock(7144650001)");
  PQfinish (db);

  while (!created)
    {
      g_autoptr(JsonObject) frame = dsd_test_websocket_next (watch, FRAME_TIMEOUT_MS);
      JsonObject *data;

      g_assert_nonnull (frame);
      if (!g_str_equal (json_object_get_string_member (frame, "type"), "driver.updated"))
        continue;
      data = json_object_get_object_member (frame, "data");
      created = g_str_equal (json_object_get_string_member (data, "id"), driver);
    }

  snapshot = snapshot_of (admin_token ());
  listed = driver_in (snapshot, driver);
  g_assert_nonnull (listed);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_object_get_member (listed, "location")));
  location = json_object_get_object_member (listed, "location");
  g_assert_cmpfloat (json_object_get_double_member (location, "lat"), ==, 50.25);
  g_assert_cmpfloat (json_object_get_double_member (location, "lon"), ==, 10.75);
}

int
main (int   argc,
      char *argv[])
{
  int result;

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  server = dsd_test_server_start (NULL);

  g_test_add_func ("/snapshot-store/memory-equals-database", test_memory_equals_database);
  g_test_add_func ("/snapshot-store/point-before-driver", test_point_before_driver);

  result = g_test_run ();

  dsd_test_server_free (server);

  return result;
}
