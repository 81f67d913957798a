/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Zones and teams (issue 14, item 1) against the real dispatchd: zone
 * validation, the zone of an order (edges, vertices, holes), two teams whose
 * scoped dispatchers never see the other team's orders and drivers by any
 * route (REST, the dispatcher stream, its snapshot and its resume), unscoped
 * dispatchers and admins seeing all, automation kept within a team, the
 * per-zone automation settings and the history for replay.
 *
 * Places: zone A is [50, 51] N × [10, 11] E, zone B [50, 51] N × [12, 13] E;
 * the other tests work further away (more than DISPATCH_MAX_PICKUP_KM).
 */
#include <math.h>
#include <string.h>

#include "test-server.h"
#include "test-utils.h"
#include "test-websocket.h"

#define WAIT_TIMEOUT_MS 30000
#define POLL_MS 50
#define PASSWORD "teams-test-password"

static const char * const server_env[] = { "DISPATCH_BATCH_INTERVAL_S=1", NULL };

typedef struct {
  char *user_id;
  char *token;
} Dispatcher;

/* Two teams, each keeping its automation: a dispatcher, a driver, a zone. */
static struct {
  char       *zone[2];
  char       *team[2];
  char       *driver[2];       /* online in the middle of its zone, capacity 10 */
  char       *outsider;        /* in no team, nearer to zone A's pickups than driver[0] */
  Dispatcher  scoped[2];
  Dispatcher  unscoped;
  char       *order[2];        /* one in each zone */
  char       *unzoned;
} fx;

static DsdTestServer *server;

static DsdTestResponse *
call (const char *token,
      const char *method,
      const char *path,
      const char *body)
{
  return dsd_test_request (server, method, path, token, body, NULL);
}

static DsdTestResponse *
admin (const char *method,
       const char *path,
       const char *body)
{
  return call (dsd_test_server_get_admin_token (server), method, path, body);
}

static char *
created_id (DsdTestResponse *response)
{
  if (response->status != 201)
    g_error ("expected 201, got %u: %s", response->status, response->text);
  return g_strdup (dsd_test_response_string (response, "id"));
}

/* A Polygon: the square [lat, lat + size] × [lon, lon + size], [lon, lat] order. */
static char *
square (double lat,
        double lon,
        double size)
{
  return g_strdup_printf ("[[%g,%g],[%g,%g],[%g,%g],[%g,%g],[%g,%g]]",
                          lon, lat, lon + size, lat, lon + size, lat + size, lon, lat + size,
                          lon, lat);
}

static char *
new_zone (const char *settings,
          const char *rings)
{
  g_autofree char *name = dsd_test_unique_name ("zone");
  g_autofree char *body = g_strdup_printf (
    "{\"name\":\"%s\",\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[%s]}%s%s}",
    name, rings, settings != NULL ? "," : "", settings != NULL ? settings : "");
  g_autoptr(DsdTestResponse) response = admin ("POST", "/api/v1/zones", body);

  return created_id (response);
}

static char *
new_square_zone (double      lat,
                 double      lon,
                 const char *settings)
{
  g_autofree char *ring = square (lat, lon, 1);

  return new_zone (settings, ring);
}

static void
set_location (const char *driver_id,
              double      lat,
              double      lon)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/drivers/%s/location", driver_id);
  g_autofree char *body = g_strdup_printf ("{\"lat\":%.6f,\"lon\":%.6f}", lat, lon);
  g_autoptr(DsdTestResponse) response = admin ("POST", path, body);

  g_assert_cmpuint (response->status, ==, 202);
}

static char *
new_driver (double lat,
            double lon)
{
  g_autofree char *name = dsd_test_unique_name ("driver");
  g_autofree char *body = g_strdup_printf ("{\"name\":\"%s\",\"capacity\":10}", name);
  g_autoptr(DsdTestResponse) created = admin ("POST", "/api/v1/drivers", body);
  g_autoptr(DsdTestResponse) online = NULL;
  g_autofree char *id = created_id (created);
  g_autofree char *path = g_strdup_printf ("/api/v1/drivers/%s/online", id);

  online = admin ("POST", path, "{\"online\":true}");
  g_assert_cmpuint (online->status, ==, 200);
  set_location (id, lat, lon);
  return g_steal_pointer (&id);
}

static void
new_dispatcher (Dispatcher *d)
{
  g_autofree char *username = dsd_test_unique_name ("dispatcher");
  g_autofree char *body = g_strdup_printf (
    "{\"username\":\"%s\",\"password\":\"%s\",\"role\":\"dispatcher\"}", username, PASSWORD);
  g_autoptr(DsdTestResponse) created = admin ("POST", "/api/v1/users", body);

  d->user_id = created_id (created);
  d->token = dsd_test_login (server, username, PASSWORD);
}

static char *
order_body (double lat,
            double lon)
{
  return g_strdup_printf ("{\"pickup\":{\"lat\":%.7f,\"lon\":%.7f},"
                          "\"dropoff\":{\"lat\":%.7f,\"lon\":%.7f}}",
                          lat, lon, lat + 0.01, lon + 0.01);
}

static char *
new_order (double lat,
           double lon)
{
  g_autofree char *body = order_body (lat, lon);
  g_autoptr(DsdTestResponse) response = admin ("POST", "/api/v1/orders", body);

  return created_id (response);
}

static DsdTestResponse *
get_order (const char *id)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/orders/%s", id);
  DsdTestResponse *response = admin ("GET", path, NULL);

  g_assert_cmpuint (response->status, ==, 200);
  return response;
}

/* The order's zone_id, or NULL when unzoned. */
static char *
zone_of (const char *order_id)
{
  g_autoptr(DsdTestResponse) order = get_order (order_id);
  JsonNode *zone = json_object_get_member (dsd_test_response_object (order), "zone_id");

  g_assert_nonnull (zone);
  return JSON_NODE_HOLDS_NULL (zone) ? NULL : g_strdup (json_node_get_string (zone));
}

static void
make_fixtures (void)
{
  for (guint t = 0; t < 2; t++)
    {
      double lon = 10 + 2 * t;
      g_autofree char *body = NULL;
      g_autoptr(DsdTestResponse) team = NULL;

      fx.zone[t] = new_square_zone (50, lon, NULL);
      fx.driver[t] = new_driver (50.5, lon + 0.5);
      new_dispatcher (&fx.scoped[t]);
      body = g_strdup_printf ("{\"name\":\"team %u\",\"keep_automation\":true,"
                              "\"dispatchers\":[\"%s\"],\"drivers\":[\"%s\"],\"zones\":[\"%s\"]}",
                              t, fx.scoped[t].user_id, fx.driver[t], fx.zone[t]);
      team = admin ("POST", "/api/v1/teams", body);
      fx.team[t] = created_id (team);
    }
  new_dispatcher (&fx.unscoped);
  fx.outsider = new_driver (50.5, 10.501);

  fx.order[0] = new_order (50.5, 10.5009);
  fx.order[1] = new_order (50.5, 12.5009);
  fx.unzoned = new_order (45, 0);
}

/* Checks ---------------------------------------------------------------------- */

static void
expect_status (const char *token,
               const char *method,
               const char *path,
               const char *body,
               guint       status)
{
  g_autoptr(DsdTestResponse) response = call (token, method, path, body);

  if (response->status != status)
    g_error ("%s %s: expected %u, got %u: %s", method, path, status, response->status,
             response->text);
}

/* Whether the JSON text of a response or frame names id. */
static gboolean
names (const char *text,
       const char *id)
{
  return strstr (text, id) != NULL;
}

static void
test_zone_of_order (void)
{
  /* [0, 2] × [20, 22] with the hole [0.5, 1.5] × [20.5, 21.5] */
  g_autofree char *outer = square (0, 20, 2);
  g_autofree char *hole = square (0.5, 20.5, 1);
  g_autofree char *rings = g_strdup_printf ("%s,%s", outer, hole);
  g_autofree char *zone = new_zone (NULL, rings);
  struct {
    double   lat;
    double   lon;
    gboolean inside;
  } points[] = {
    { 1.0, 20.25, TRUE },      /* inside, beside the hole */
    { 0.0, 21.0, TRUE },       /* on the outer edge */
    { 2.0, 22.0, TRUE },       /* on a vertex */
    { 0.5, 21.0, TRUE },       /* on the hole's edge: the zone's boundary */
    { 1.5, 21.5, TRUE },       /* on the hole's vertex */
    { 1.0, 21.0, FALSE },      /* in the hole */
    { -0.000001, 21.0, FALSE },
    { 1.0, 22.000001, FALSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (points); i++)
    {
      g_autofree char *order = new_order (points[i].lat, points[i].lon);
      g_autofree char *got = zone_of (order);

      if (points[i].inside)
        g_assert_cmpstr (got, ==, zone);
      else
        g_assert_null (got);
    }

  {
    g_autofree char *a = zone_of (fx.order[0]);
    g_autofree char *b = zone_of (fx.order[1]);
    g_autofree char *none = zone_of (fx.unzoned);

    g_assert_cmpstr (a, ==, fx.zone[0]);
    g_assert_cmpstr (b, ==, fx.zone[1]);
    g_assert_null (none);
  }
}

static void
test_zone_validation (void)
{
  g_autofree char *many = NULL;
  GString *ring = g_string_new ("[");
  struct {
    const char *geometry;
    const char *field;
  } bad[] = {
    { "\"geometry\":null", "geometry" },
    { "\"geometry\":{\"type\":\"Point\",\"coordinates\":[0,0]}", "geometry.type" },
    { "\"geometry\":{\"type\":\"Polygon\"}", "geometry.coordinates" },
    { "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[]}", "geometry.coordinates" },
    { "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[1,0],[1,1],[0,1]]]}",
      "geometry.coordinates[0]" },                                    /* not closed */
    { "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[1,0],[0,0]]]}",
      "geometry.coordinates[0]" },                                    /* too few */
    { "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[1,1],[1,0],[0,1],[0,0]]]}",
      "geometry.coordinates[0]" },                                    /* bow tie */
    { "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":"
      "[[[0,0],[2,0],[1,0],[1,1],[0,0]]]}", "geometry.coordinates[0]" }, /* folds back */
    { "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":"
      "[[[0,0],[2,0],[2,2],[1,0],[0,2],[0,0]]]}", "geometry.coordinates[0]" }, /* touches */
    { "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[1,0],[2,0],[0,0]]]}",
      "geometry.coordinates[0]" },                                    /* no area */
    { "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[1,0],[1,0],[1,1],[0,0]]]}",
      "geometry.coordinates[0][2]" },                                 /* repeated */
    { "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[200,0],[1,1],[0,0]]]}",
      "geometry.coordinates[0][1][0]" },
    { "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[1,0],[1,\"a\"],[0,0]]]}",
      "geometry.coordinates[0][2][1]" },
    { "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[1,0],[1],[0,0]]]}",
      "geometry.coordinates[0][2]" },
    { "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[4,0],[4,4],[0,4],[0,0]],"
      "[[1,1],[5,1],[5,2],[1,2],[1,1]]]}", "geometry.coordinates[1]" }, /* hole crosses */
    { "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[4,0],[4,4],[0,4],[0,0]],"
      "[[5,5],[6,5],[6,6],[5,6],[5,5]]]}", "geometry.coordinates[1]" }, /* hole outside */
    { "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[4,0],[4,4],[0,4],[0,0]],"
      "[[1,1],[3,1],[3,3],[1,3],[1,1]],[[1.5,1.5],[2,1.5],[2,2],[1.5,1.5]]]}",
      "geometry.coordinates[2]" },                                    /* hole in a hole */
    { "\"geometry\":{\"type\":\"MultiPolygon\",\"coordinates\":[]}", "geometry.coordinates" },
    { "\"geometry\":{\"type\":\"MultiPolygon\",\"coordinates\":"
      "[[[[0,0],[1,0],[1,1],[0,0]]],[[[0,0],[1,1],[1,0],[0,1],[0,0]]]]}",
      "geometry.coordinates[1][0]" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *body = g_strdup_printf ("{\"name\":\"bad\",%s}", bad[i].geometry);
      g_autoptr(DsdTestResponse) response = admin ("POST", "/api/v1/zones", body);

      g_test_message ("%s", body);
      dsd_test_assert_error (response, 400, "invalid_argument", bad[i].field);
    }

  /* over the limit of positions (a circle of 4097) */
  for (guint i = 0; i < 4096; i++)
    g_string_append_printf (ring, "[%.9f,%.9f],", cos (2 * G_PI * i / 4096),
                            sin (2 * G_PI * i / 4096));
  g_string_append (ring, "[1,0]]");
  many = g_string_free (ring, FALSE);
  {
    g_autofree char *body = g_strdup_printf (
      "{\"name\":\"big\",\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[%s]}}", many);
    g_autoptr(DsdTestResponse) response = admin ("POST", "/api/v1/zones", body);

    dsd_test_assert_error (response, 400, "invalid_argument", "geometry.coordinates[0]");
  }

  {
    g_autofree char *ok = square (70, 70, 1);
    const char *settings[][2] = {
      { "\"max_pickup_km\":0", "max_pickup_km" },
      { "\"max_pickup_km\":1001", "max_pickup_km" },
      { "\"offer_timeout_s\":3601", "offer_timeout_s" },
      { "\"offer_timeout_s\":1.5", "offer_timeout_s" },
      { "\"auto_dispatch\":\"yes\"", "auto_dispatch" },
    };

    for (guint i = 0; i < G_N_ELEMENTS (settings); i++)
      {
        g_autofree char *body = g_strdup_printf (
          "{\"name\":\"z\",\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[%s]},%s}",
          ok, settings[i][0]);
        g_autoptr(DsdTestResponse) response = admin ("POST", "/api/v1/zones", body);

        dsd_test_assert_error (response, 400, "invalid_argument", settings[i][1]);
      }
  }

  /* teams: unknown and repeated members, a non-dispatcher as dispatcher */
  {
    g_autofree char *unknown = g_strdup_printf ("{\"name\":\"t\",\"drivers\":[\"%s\",\"%s\"]}",
                                                fx.driver[0],
                                                "00000000-0000-4000-8000-000000000000");
    g_autofree char *twice = g_strdup_printf ("{\"name\":\"t\",\"zones\":[\"%s\",\"%s\"]}",
                                              fx.zone[0], fx.zone[0]);
    g_autofree char *role = g_strdup_printf ("{\"name\":\"t\",\"dispatchers\":[\"%s\"]}",
                                             fx.driver[0]);
    g_autoptr(DsdTestResponse) r1 = admin ("POST", "/api/v1/teams", unknown);
    g_autoptr(DsdTestResponse) r2 = admin ("POST", "/api/v1/teams", twice);
    g_autoptr(DsdTestResponse) r3 = admin ("POST", "/api/v1/teams", role);
    g_autoptr(DsdTestResponse) r4 = admin ("POST", "/api/v1/teams", "{\"zones\":[]}");

    dsd_test_assert_error (r1, 400, "invalid_argument", "drivers[1]");
    dsd_test_assert_error (r2, 400, "invalid_argument", "zones[1]");
    dsd_test_assert_error (r3, 400, "invalid_argument", "dispatchers[0]");
    dsd_test_assert_error (r4, 400, "invalid_argument", "name");
  }
}

static void
test_zone_and_team_resources (void)
{
  g_autofree char *zone = new_square_zone (72, 72, "\"max_pickup_km\":3");
  g_autofree char *path = g_strdup_printf ("/api/v1/zones/%s", zone);
  g_autofree char *ring = square (72, 72, 2);
  g_autofree char *put = g_strdup_printf (
    "{\"name\":\"renamed\",\"auto_dispatch\":false,\"offer_timeout_s\":30,"
    "\"geometry\":{\"type\":\"MultiPolygon\",\"coordinates\":[[%s]]}}", ring);
  g_autoptr(DsdTestResponse) got = admin ("GET", path, NULL);
  g_autoptr(DsdTestResponse) updated = admin ("PUT", path, put);
  g_autoptr(DsdTestResponse) list = admin ("GET", "/api/v1/zones?limit=1", NULL);
  g_autoptr(DsdTestResponse) team = NULL;
  g_autofree char *team_path = g_strdup_printf ("/api/v1/teams/%s", fx.team[0]);
  JsonObject *object;

  g_assert_cmpuint (got->status, ==, 200);
  g_assert_cmpfloat (json_object_get_double_member (dsd_test_response_object (got),
                                                    "max_pickup_km"), ==, 3);
  g_assert_cmpuint (updated->status, ==, 200);
  object = dsd_test_response_object (updated);
  g_assert_cmpstr (json_object_get_string_member (object, "name"), ==, "renamed");
  g_assert_false (json_object_get_boolean_member (object, "auto_dispatch"));
  g_assert_true (json_object_get_null_member (object, "max_pickup_km"));
  g_assert_cmpint (json_object_get_int_member (object, "offer_timeout_s"), ==, 30);
  g_assert_cmpuint (list->status, ==, 200);
  g_assert_false (json_object_get_null_member (dsd_test_response_object (list), "next"));

  team = admin ("GET", team_path, NULL);
  g_assert_cmpuint (team->status, ==, 200);
  g_assert_true (names (team->text, fx.scoped[0].user_id));
  g_assert_true (names (team->text, fx.zone[0]));

  /* a zone with open orders stays; an empty one goes */
  {
    g_autofree char *busy = g_strdup_printf ("/api/v1/zones/%s", fx.zone[1]);
    g_autoptr(DsdTestResponse) refused = admin ("DELETE", busy, NULL);

    dsd_test_assert_error (refused, 409, "conflict", NULL);
  }
  expect_status (dsd_test_server_get_admin_token (server), "DELETE", path, NULL, 204);
  expect_status (dsd_test_server_get_admin_token (server), "GET", path, NULL, 404);
  expect_status (dsd_test_server_get_admin_token (server), "PUT",
                 "/api/v1/teams/00000000-0000-4000-8000-000000000000", "{\"name\":\"x\"}", 404);
}

static void
test_rest_scope (void)
{
  const char *mine = fx.order[0], *theirs = fx.order[1];
  const char *token = fx.scoped[0].token;
  const char *other_driver = fx.driver[1];
  g_autofree char *assign_theirs = g_strdup_printf ("{\"driver_id\":\"%s\"}", fx.driver[0]);
  struct {
    const char *method;
    const char *resource;
    const char *id;      /* NULL: the other team's order and the unzoned one */
    const char *suffix;
    const char *body;
  } hidden[] = {
    { "GET", "orders", NULL, "", NULL },
    { "PATCH", "orders", NULL, "", "{\"notes\":\"mine now\"}" },
    { "GET", "orders", NULL, "/events", NULL },
    { "GET", "orders", NULL, "/tracking", NULL },
    { "GET", "orders", NULL, "/proof", NULL },
    { "GET", "orders", NULL, "/proof/photo", NULL },
    { "POST", "orders", NULL, "/assign", assign_theirs },
    { "POST", "orders", NULL, "/unassign", "{}" },
    { "POST", "orders", NULL, "/status", "{\"status\":\"picked_up\"}" },
    { "POST", "orders", NULL, "/cancel", "{}" },
    { "POST", "orders", NULL, "/hold", "{\"hold\":true}" },
    { "POST", "orders", NULL, "/exclude", assign_theirs },
    { "GET", "drivers", other_driver, "", NULL },
    { "GET", "drivers", other_driver, "/trail", NULL },
    { "GET", "drivers", other_driver, "/offers", NULL },
    { "GET", "drivers", other_driver, "/route", NULL },
    { "POST", "drivers", other_driver, "/online", "{\"online\":true}" },
    { "POST", "drivers", other_driver, "/location", "{\"lat\":50.5,\"lon\":12.5}" },
    { "POST", "drivers", other_driver, "/auto-dispatch", "{\"auto_dispatch\":true}" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (hidden); i++)
    {
      const char *ids[] = { theirs, fx.unzoned };

      for (guint j = 0; j < (hidden[i].id == NULL ? 2 : 1); j++)
        {
          g_autofree char *path = g_strconcat ("/api/v1/", hidden[i].resource, "/",
                                               hidden[i].id != NULL ? hidden[i].id : ids[j],
                                               hidden[i].suffix, NULL);
          g_autoptr(DsdTestResponse) response = call (token, hidden[i].method, path,
                                                      hidden[i].body);

          g_test_message ("%s %s", hidden[i].method, path);
          dsd_test_assert_error (response, 404, "not_found", NULL);
        }
    }

  /* the order stream of another team's order */
  {
    g_autofree char *path = g_strdup_printf ("/api/v1/orders/%s/stream", theirs);
    guint status = 0;
    g_autoptr(DsdTestWebsocket) ws = dsd_test_websocket_connect (server, path, token, &status);

    g_assert_null (ws);
    g_assert_cmpuint (status, ==, 404);
  }

  /* lists */
  {
    g_autoptr(DsdTestResponse) orders = call (token, "GET", "/api/v1/orders?limit=500", NULL);
    g_autofree char *by_driver = g_strdup_printf ("/api/v1/orders?driver_id=%s", other_driver);
    g_autoptr(DsdTestResponse) theirs_list = call (token, "GET", by_driver, NULL);
    g_autoptr(DsdTestResponse) drivers = call (token, "GET", "/api/v1/drivers?limit=500", NULL);
    g_autoptr(DsdTestResponse) near = call (token, "GET",
                                            "/api/v1/drivers?near=50.5,12.5&radius_m=500000",
                                            NULL);
    g_autoptr(DsdTestResponse) all = call (fx.unscoped.token, "GET", "/api/v1/orders?limit=500",
                                           NULL);

    g_assert_cmpuint (orders->status, ==, 200);
    g_assert_true (names (orders->text, mine));
    g_assert_false (names (orders->text, theirs));
    g_assert_false (names (orders->text, fx.unzoned));
    g_assert_cmpuint (theirs_list->status, ==, 200);
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (
      dsd_test_response_object (theirs_list), "orders")), ==, 0);
    g_assert_true (names (drivers->text, fx.driver[0]));
    g_assert_false (names (drivers->text, other_driver));
    g_assert_false (names (drivers->text, fx.outsider));
    g_assert_cmpuint (near->status, ==, 200);
    g_assert_false (names (near->text, other_driver));
    g_assert_true (names (all->text, mine));
    g_assert_true (names (all->text, theirs));
    g_assert_true (names (all->text, fx.unzoned));
  }

  /* its own team's: visible; another team's driver is no driver to assign */
  {
    g_autofree char *path = g_strdup_printf ("/api/v1/orders/%s", mine);
    g_autofree char *assign = g_strdup_printf ("/api/v1/orders/%s/assign", mine);
    g_autofree char *body = g_strdup_printf ("{\"driver_id\":\"%s\"}", other_driver);
    g_autofree char *driver = g_strdup_printf ("/api/v1/drivers/%s", fx.driver[0]);
    g_autoptr(DsdTestResponse) refused = call (token, "POST", assign, body);
    g_autofree char *in_a = order_body (50.2, 10.2);
    g_autofree char *in_b = order_body (50.2, 12.2);
    g_autoptr(DsdTestResponse) outside = call (token, "POST", "/api/v1/orders", in_b);

    expect_status (token, "GET", path, NULL, 200);
    expect_status (token, "GET", driver, NULL, 200);
    dsd_test_assert_error (refused, 400, "invalid_argument", "driver_id");
    expect_status (token, "POST", "/api/v1/orders", in_a, 201);
    dsd_test_assert_error (outside, 403, "permission_denied", "pickup");
  }

  /* a new pickup moves an order to its zone, never out of the caller's */
  {
    g_autofree char *order = new_order (50.4, 10.4);
    g_autofree char *path = g_strdup_printf ("/api/v1/orders/%s", order);
    g_autoptr(DsdTestResponse) refused = call (token, "PATCH", path,
                                               "{\"pickup\":{\"lat\":50.4,\"lon\":12.4}}");
    g_autoptr(DsdTestResponse) moved = admin ("PATCH", path,
                                              "{\"pickup\":{\"lat\":50.4,\"lon\":12.4}}");
    g_autofree char *zone = NULL;

    dsd_test_assert_error (refused, 403, "permission_denied", "pickup");
    g_assert_cmpuint (moved->status, ==, 200);
    zone = zone_of (order);
    g_assert_cmpstr (zone, ==, fx.zone[1]);
    expect_status (token, "GET", path, NULL, 404);
    expect_status (fx.scoped[1].token, "GET", path, NULL, 200);
  }

  /* the other team's dispatcher, the unscoped one and admins */
  for (guint i = 0; i < 2; i++)
    {
      g_autofree char *path = g_strdup_printf ("/api/v1/orders/%s", fx.order[i]);
      g_autofree char *unzoned = g_strdup_printf ("/api/v1/orders/%s", fx.unzoned);

      expect_status (fx.scoped[1].token, "GET", path, NULL, i == 1 ? 200 : 404);
      expect_status (fx.unscoped.token, "GET", path, NULL, 200);
      expect_status (fx.unscoped.token, "GET", unzoned, NULL, 200);
      expect_status (dsd_test_server_get_admin_token (server), "GET", path, NULL, 200);
    }
  /* admins only manage zones and teams */
  expect_status (token, "GET", "/api/v1/zones", NULL, 403);
  expect_status (token, "GET", "/api/v1/teams", NULL, 403);
  expect_status (fx.unscoped.token, "POST", "/api/v1/teams", "{\"name\":\"x\"}", 403);
}

/* Stream checks ------------------------------------------------------------------ */

static char *
frame_text (JsonObject *frame)
{
  g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), frame);

  return json_to_string (node, FALSE);
}

/* Reads frames until one names until_id; fails on a frame naming a forbidden id. */
static void
read_until (DsdTestWebsocket   *ws,
            const char         *until_id,
            const char * const *forbidden)
{
  for (;;)
    {
      g_autoptr(JsonObject) frame = dsd_test_websocket_next (ws, WAIT_TIMEOUT_MS);
      g_autofree char *text = NULL;

      g_assert_nonnull (frame);
      text = frame_text (frame);
      for (guint i = 0; forbidden[i] != NULL; i++)
        if (names (text, forbidden[i]))
          g_error ("a scoped stream sent another team's %s: %s", forbidden[i], text);
      if (names (text, until_id))
        return;
    }
}

static void
test_stream_scope (void)
{
  g_autoptr(DsdTestWebsocket) scoped = dsd_test_websocket_connect (server, "/api/v1/stream",
                                                                   fx.scoped[0].token, NULL);
  g_autoptr(DsdTestWebsocket) all = dsd_test_websocket_connect (server, "/api/v1/stream",
                                                                fx.unscoped.token, NULL);
  g_autoptr(JsonObject) snapshot = NULL;
  g_autoptr(JsonObject) all_snapshot = NULL;
  g_autofree char *snapshot_text = NULL;
  g_autofree char *all_text = NULL;
  g_autofree char *theirs = NULL;
  g_autofree char *mine = NULL;
  g_autofree char *resume = NULL;
  gint64 seq;

  g_assert_nonnull (scoped);
  g_assert_nonnull (all);
  snapshot = dsd_test_websocket_next_of_type (scoped, "snapshot", WAIT_TIMEOUT_MS);
  all_snapshot = dsd_test_websocket_next_of_type (all, "snapshot", WAIT_TIMEOUT_MS);
  g_assert_nonnull (snapshot);
  g_assert_nonnull (all_snapshot);
  snapshot_text = frame_text (snapshot);
  all_text = frame_text (all_snapshot);
  seq = json_object_get_int_member (snapshot, "seq");

  g_assert_true (names (snapshot_text, fx.order[0]));
  g_assert_true (names (snapshot_text, fx.driver[0]));
  g_assert_false (names (snapshot_text, fx.order[1]));
  g_assert_false (names (snapshot_text, fx.unzoned));
  g_assert_false (names (snapshot_text, fx.driver[1]));
  g_assert_false (names (snapshot_text, fx.outsider));
  g_assert_true (names (all_text, fx.order[1]));
  g_assert_true (names (all_text, fx.unzoned));
  g_assert_true (names (all_text, fx.driver[1]));

  /* state events: the other team's order first, then ours */
  theirs = new_order (50.3, 12.3);
  mine = new_order (50.3, 10.3);
  {
    const char * const forbidden[] = { theirs, fx.driver[1], fx.unzoned, NULL };

    read_until (scoped, mine, forbidden);
  }

  /* locations: the other team's driver first (seen by the unscoped stream),
   * then ours */
  set_location (fx.driver[1], 50.51, 12.51);
  {
    const char * const none[] = { NULL };

    read_until (all, fx.driver[1], none);
  }
  set_location (fx.driver[0], 50.51, 10.51);
  {
    const char * const forbidden[] = { theirs, fx.driver[1], NULL };

    read_until (scoped, fx.driver[0], forbidden);
  }

  /* a resume from the ring is filtered the same way */
  resume = g_strdup_printf ("/api/v1/stream?since=%" G_GINT64_FORMAT, seq);
  {
    g_autoptr(DsdTestWebsocket) resumed = dsd_test_websocket_connect (server, resume,
                                                                      fx.scoped[0].token,
                                                                      NULL);
    const char * const forbidden[] = { theirs, fx.driver[1], "\"snapshot\"", NULL };

    g_assert_nonnull (resumed);
    read_until (resumed, mine, forbidden);
  }
}

/* Automation ----------------------------------------------------------------------- */

typedef struct {
  const char *order_id;
  const char *want;      /* "assigned" or "offered" */
} OrderWait;

static gboolean
order_placed (gpointer user_data)
{
  OrderWait *wait = user_data;
  g_autoptr(DsdTestResponse) order = get_order (wait->order_id);
  JsonObject *object = dsd_test_response_object (order);

  if (g_str_equal (wait->want, "assigned"))
    return g_str_equal (json_object_get_string_member (object, "status"), "assigned");
  return !json_object_get_null_member (object, "offer");
}

static JsonObject *
wait_placed (const char *order_id,
             const char *want)
{
  OrderWait wait = { order_id, want };
  g_autoptr(DsdTestResponse) order = NULL;

  g_assert_true (dsd_test_poll_until (order_placed, &wait, POLL_MS, WAIT_TIMEOUT_MS));
  order = get_order (order_id);
  return json_object_ref (dsd_test_response_object (order));
}

static void
test_automation_within_team (void)
{
  /* The outsider waits nearer to zone A's orders than team A's driver. */
  for (guint t = 0; t < 2; t++)
    {
      g_autoptr(JsonObject) order = wait_placed (fx.order[t], "assigned");

      g_assert_cmpstr (json_object_get_string_member (order, "driver_id"), ==, fx.driver[t]);
    }

  /* The explanation of the automatic assignment names team drivers only. */
  {
    g_autofree char *path = g_strdup_printf ("/api/v1/orders/%s/events", fx.order[0]);
    g_autoptr(DsdTestResponse) events = admin ("GET", path, NULL);

    g_assert_true (names (events->text, "\"assignment\""));
    g_assert_false (names (events->text, fx.outsider));
    g_assert_false (names (events->text, fx.driver[1]));
  }
}

static void
test_zone_settings (void)
{
  g_autofree char *off = new_square_zone (30, 30, "\"auto_dispatch\":false");
  g_autofree char *near = new_square_zone (32, 30, "\"max_pickup_km\":1");
  g_autofree char *offers = new_square_zone (34, 30, "\"offer_timeout_s\":600");
  g_autofree char *off_driver = new_driver (30.5, 30.5);
  g_autofree char *far_driver = new_driver (32.5, 30.53);    /* ≈ 2.9 km east */
  g_autofree char *offer_driver = new_driver (34.5, 30.5);
  g_autofree char *manual = new_order (30.5, 30.501);
  g_autofree char *too_far = new_order (32.5, 30.5);
  g_autofree char *offered = new_order (34.5, 30.501);
  g_autoptr(JsonObject) placed = wait_placed (offered, "offered");
  g_autoptr(DsdTestResponse) later = NULL;
  g_autoptr(DsdTestResponse) m = NULL;
  g_autoptr(DsdTestResponse) f = NULL;
  g_autofree char *assign = g_strdup_printf ("/api/v1/orders/%s/assign", manual);
  g_autofree char *body = g_strdup_printf ("{\"driver_id\":\"%s\"}", off_driver);

  /* the zone's offer timeout although the server's is 0 */
  g_assert_cmpstr (json_object_get_string_member (
    json_object_get_object_member (placed, "offer"), "driver_id"), ==, offer_driver);
  g_assert_cmpstr (json_object_get_string_member (placed, "status"), ==, "pending");

  /* Each order of a zone waits for an engine round that knows its zone's
   * rules; the offered order came after the other two, so they had theirs:
   * neither was given to the driver in reach. */
  m = get_order (manual);
  f = get_order (too_far);
  g_assert_cmpstr (json_object_get_string_member (dsd_test_response_object (m), "status"), ==,
                   "pending");
  g_assert_true (json_object_get_null_member (dsd_test_response_object (m), "offer"));
  g_assert_cmpstr (json_object_get_string_member (dsd_test_response_object (f), "status"), ==,
                   "pending");
  g_assert_true (json_object_get_null_member (dsd_test_response_object (f), "offer"));
  (void) far_driver;

  /* people still assign in a zone without automation */
  later = admin ("POST", assign, body);
  g_assert_cmpuint (later->status, ==, 200);
}

/* Waits on stream ws for the event that cancels order_id. */
static void
wait_ended (DsdTestWebsocket *ws,
            const char       *order_id)
{
  for (;;)
    {
      g_autoptr(JsonObject) frame = dsd_test_websocket_next (ws, WAIT_TIMEOUT_MS);
      g_autofree char *text = NULL;

      g_assert_nonnull (frame);
      text = frame_text (frame);
      if (names (text, order_id) && strstr (text, "\"cancelled\"") != NULL)
        return;
    }
}

/* A dispatcher moved from zone A's team to zone B's: its open stream is
 * closed with 4409 once this instance sees the change, and from then on its
 * reads (cached ones too: an order of A's that ended, so that no event of
 * its own drops the cached answer) and a new stream are B's. */
static void
test_scope_change (void)
{
  Dispatcher d = { 0 };
  g_autofree char *body = NULL;
  g_autofree char *moved = NULL;
  g_autofree char *team = NULL;
  g_autofree char *team_path = NULL;
  g_autofree char *ended = new_order (50.5, 10.5008);
  g_autofree char *a_path = g_strdup_printf ("/api/v1/orders/%s", ended);
  g_autofree char *cancel = g_strdup_printf ("/api/v1/orders/%s/cancel", ended);
  g_autofree char *b_path = g_strdup_printf ("/api/v1/orders/%s", fx.order[1]);
  g_autofree char *text = NULL;
  g_autoptr(DsdTestResponse) created = NULL;
  g_autoptr(DsdTestResponse) put = NULL;
  g_autoptr(DsdTestWebsocket) before = NULL;
  g_autoptr(DsdTestWebsocket) after = NULL;
  g_autoptr(JsonObject) snapshot = NULL;

  new_dispatcher (&d);
  body = g_strdup_printf ("{\"name\":\"movers\",\"dispatchers\":[\"%s\"],\"drivers\":[\"%s\"],"
                          "\"zones\":[\"%s\"]}", d.user_id, fx.driver[0], fx.zone[0]);
  created = admin ("POST", "/api/v1/teams", body);
  team = created_id (created);
  team_path = g_strdup_printf ("/api/v1/teams/%s", team);

  before = dsd_test_websocket_connect (server, "/api/v1/stream", d.token, NULL);
  g_assert_nonnull (before);
  snapshot = dsd_test_websocket_next_of_type (before, "snapshot", WAIT_TIMEOUT_MS);
  g_assert_nonnull (snapshot);
  expect_status (dsd_test_server_get_admin_token (server), "POST", cancel, "{}", 200);
  wait_ended (before, ended);

  /* read twice: the second answer comes from the cache */
  expect_status (d.token, "GET", a_path, NULL, 200);
  expect_status (d.token, "GET", a_path, NULL, 200);
  expect_status (d.token, "GET", b_path, NULL, 404);

  moved = g_strdup_printf ("{\"name\":\"movers\",\"dispatchers\":[\"%s\"],\"drivers\":[\"%s\"],"
                           "\"zones\":[\"%s\"]}", d.user_id, fx.driver[1], fx.zone[1]);
  put = admin ("PUT", team_path, moved);
  g_assert_cmpuint (put->status, ==, 200);
  g_assert_cmpuint (dsd_test_websocket_wait_closed (before, WAIT_TIMEOUT_MS), ==, 4409);

  expect_status (d.token, "GET", a_path, NULL, 404);
  expect_status (d.token, "GET", b_path, NULL, 200);
  after = dsd_test_websocket_connect (server, "/api/v1/stream", d.token, NULL);
  g_assert_nonnull (after);
  g_clear_pointer (&snapshot, json_object_unref);
  snapshot = dsd_test_websocket_next_of_type (after, "snapshot", WAIT_TIMEOUT_MS);
  g_assert_nonnull (snapshot);
  text = frame_text (snapshot);
  g_assert_true (names (text, fx.order[1]));
  g_assert_false (names (text, fx.order[0]));
  g_assert_false (names (text, ended));
  g_free (d.user_id);
  g_free (d.token);
}

/* The pickups a token's demand counts: each cell's count by the side of
 * zone A (lon < 11), zone B (lon > 12) or elsewhere. */
static void
demand_of (const char *token,
           gint64      out_counts[3])
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr(GDateTime) from = g_date_time_add_days (now, -1);
  g_autoptr(GDateTime) to = g_date_time_add_days (now, 1);
  g_autofree char *from_text = g_date_time_format (from, "%FT%TZ");
  g_autofree char *to_text = g_date_time_format (to, "%FT%TZ");
  g_autofree char *path = g_strdup_printf ("/api/v1/reports/demand?from=%s&to=%s&cell=1000",
                                           from_text, to_text);
  g_autoptr(DsdTestResponse) response = call (token, "GET", path, NULL);
  JsonArray *cells;
  gint64 sum = 0;

  g_assert_cmpuint (response->status, ==, 200);
  cells = json_object_get_array_member (dsd_test_response_object (response), "cells");
  memset (out_counts, 0, 3 * sizeof (gint64));
  for (guint i = 0; i < json_array_get_length (cells); i++)
    {
      JsonObject *cell = json_array_get_object_element (cells, i);
      JsonArray *bbox = json_object_get_array_member (cell, "bbox");
      double lat = json_array_get_double_element (bbox, 0);
      double lon = json_array_get_double_element (bbox, 1);
      gint64 count = json_object_get_int_member (cell, "count");
      guint side = lat >= 50 && lat < 51 ? (lon >= 10 && lon < 11 ? 0 : lon >= 12 && lon < 13
                                                                         ? 1 : 2) : 2;

      out_counts[side] += count;
      sum += count;
    }
  g_assert_cmpint (sum, ==, json_object_get_int_member (dsd_test_response_object (response),
                                                        "total"));
}

/* GET /users/me names a scoped dispatcher's team, and nobody else's; the
 * demand counts only the caller's teams' zones. */
static void
test_me_and_demand (void)
{
  g_autofree char *team_path = g_strdup_printf ("/api/v1/teams/%s", fx.team[0]);
  g_autoptr(DsdTestResponse) team = admin ("GET", team_path, NULL);
  g_autoptr(DsdTestResponse) scoped = call (fx.scoped[0].token, "GET", "/api/v1/users/me", NULL);
  g_autoptr(DsdTestResponse) unscoped = call (fx.unscoped.token, "GET", "/api/v1/users/me",
                                              NULL);
  g_autoptr(DsdTestResponse) root = admin ("GET", "/api/v1/users/me", NULL);
  JsonArray *teams;
  gint64 mine[3], all[3];

  g_assert_cmpuint (scoped->status, ==, 200);
  g_assert_cmpstr (dsd_test_response_string (scoped, "id"), ==, fx.scoped[0].user_id);
  g_assert_cmpstr (dsd_test_response_string (scoped, "role"), ==, "dispatcher");
  teams = json_object_get_array_member (dsd_test_response_object (scoped), "teams");
  g_assert_cmpuint (json_array_get_length (teams), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (teams, 0),
                                                  "id"), ==, fx.team[0]);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (teams, 0),
                                                  "name"), ==,
                   dsd_test_response_string (team, "name"));
  g_assert_cmpuint (unscoped->status, ==, 200);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (
                      dsd_test_response_object (unscoped), "teams")), ==, 0);
  g_assert_cmpuint (root->status, ==, 200);
  g_assert_cmpstr (dsd_test_response_string (root, "role"), ==, "admin");

  demand_of (fx.scoped[0].token, mine);
  demand_of (fx.unscoped.token, all);
  g_assert_cmpint (mine[0], >=, 1);
  g_assert_cmpint (mine[1], ==, 0);
  g_assert_cmpint (mine[2], ==, 0);
  g_assert_cmpint (all[0], ==, mine[0]);
  g_assert_cmpint (all[1], >=, 1);
  g_assert_cmpint (all[2], >=, 1);
}

/* What resource answers for the last hour as token sees it. */
static char *
last_hour (const char *token,
           const char *resource,
           const char *more_query)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr(GDateTime) from = g_date_time_add_hours (now, -1);
  g_autoptr(GDateTime) to = g_date_time_add_minutes (now, 1);
  g_autofree char *from_text = g_date_time_format_iso8601 (from);
  g_autofree char *to_text = g_date_time_format_iso8601 (to);
  g_autofree char *path = g_strdup_printf ("%s?from=%s&to=%s%s", resource, from_text, to_text,
                                           more_query);
  g_autoptr(DsdTestResponse) response = call (token, "GET", path, NULL);

  g_assert_cmpuint (response->status, ==, 200);
  return g_strdup (response->text);
}

/* The last hour's history (GET /api/v1/history). */
static char *
last_hour_history (const char *token)
{
  return last_hour (token, "/api/v1/history", "&step_s=1");
}

static gboolean
history_shows_both_drivers (gpointer user_data)
{
  g_autofree char *text = last_hour_history (dsd_test_server_get_admin_token (server));

  return names (text, fx.driver[0]) && names (text, fx.driver[1]);
}

static void
test_history_scope (void)
{
  g_autofree char *mine = NULL;
  g_autofree char *all = NULL;

  /* positions reach the history table in batches */
  g_assert_true (dsd_test_poll_until (history_shows_both_drivers, NULL, POLL_MS,
                                      WAIT_TIMEOUT_MS));
  all = last_hour_history (fx.unscoped.token);
  mine = last_hour_history (fx.scoped[0].token);
  g_assert_true (names (all, fx.order[1]) && names (all, fx.unzoned) && names (all, fx.outsider));
  g_assert_true (names (mine, fx.order[0]) && names (mine, fx.driver[0]));
  g_assert_false (names (mine, fx.order[1]));
  g_assert_false (names (mine, fx.unzoned));
  g_assert_false (names (mine, fx.driver[1]));
  g_assert_false (names (mine, fx.outsider));
}

/* The orders export holds the caller's teams' orders only. */
static void
test_export_scope (void)
{
  g_autofree char *all = last_hour (fx.unscoped.token, "/api/v1/reports/orders", "");
  g_autofree char *mine = last_hour (fx.scoped[0].token, "/api/v1/reports/orders", "");

  g_assert_true (names (all, fx.order[0]) && names (all, fx.order[1]) &&
                 names (all, fx.unzoned));
  g_assert_true (names (mine, fx.order[0]));
  g_assert_false (names (mine, fx.order[1]));
  g_assert_false (names (mine, fx.unzoned));
}

int
main (int   argc,
      char *argv[])
{
  int status;

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/teams/zone-of-order", test_zone_of_order);
  g_test_add_func ("/teams/zone-validation", test_zone_validation);
  g_test_add_func ("/teams/rest-scope", test_rest_scope);
  g_test_add_func ("/teams/stream-scope", test_stream_scope);
  g_test_add_func ("/teams/automation-within-team", test_automation_within_team);
  g_test_add_func ("/teams/zone-settings", test_zone_settings);
  g_test_add_func ("/teams/zone-and-team-resources", test_zone_and_team_resources);
  g_test_add_func ("/teams/me-and-demand", test_me_and_demand);
  g_test_add_func ("/teams/history-scope", test_history_scope);
  g_test_add_func ("/teams/export-scope", test_export_scope);
  g_test_add_func ("/teams/scope-change", test_scope_change);

  server = dsd_test_server_start (server_env);
  make_fixtures ();
  status = g_test_run ();
  dsd_test_server_free (server);

  return status;
}
