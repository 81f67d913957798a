/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The dispatch engine against the real dispatchd: who gets an order, offers,
 * people winning over automation, capacity under bursts, two engines on one
 * database, alerts, pausing, explanations.
 *
 * Each test works in its own region (a degree of latitude apart, far beyond
 * DISPATCH_MAX_PICKUP_KM), so tests sharing a server never compete for
 * drivers.
 */
#include <math.h>

#include "dsd-pg-cluster.h"
#include "test-server.h"
#include "test-utils.h"
#include "test-websocket.h"

#define WAIT_TIMEOUT_MS 30000
#define POLL_MS 50
#define BURST_ORDERS 200
#define BURST_DRIVERS 5
#define PAIR_ORDERS_EACH 40
#define PAIR_DRIVERS 4
/* Metres per degree of latitude, near enough for placing test points. */
#define M_PER_DEG 111195.0

static DsdTestServer *server;         /* offers off, fast rounds, alerts after 2 s */
static DsdTestServer *offer_server;   /* DISPATCH_OFFER_TIMEOUT_S=2 */

static const char * const fast_env[] = {
  "DISPATCH_BATCH_INTERVAL_S=1",
  "DISPATCH_UNASSIGNED_ALERT_S=2",
  NULL
};

static const char * const offer_env[] = {
  "DISPATCH_BATCH_INTERVAL_S=1",
  "DISPATCH_OFFER_TIMEOUT_S=2",
  NULL
};

typedef struct {
  double lat;
  double lon;
} Region;

/* Region n: 40 + n degrees north, where nothing else happens. */
static Region
region (guint n)
{
  return (Region) { 40.0 + n, 10.0 };
}

/* x metres east, y metres north of the region's centre. */
static void
offset (Region  r,
        double  x,
        double  y,
        double *lat,
        double *lon)
{
  *lat = r.lat + y / M_PER_DEG;
  *lon = r.lon + x / (M_PER_DEG * cos (r.lat * G_PI / 180.0));
}

static char *
point_json (double lat,
            double lon)
{
  char lat_text[G_ASCII_DTOSTR_BUF_SIZE], lon_text[G_ASCII_DTOSTR_BUF_SIZE];

  return g_strdup_printf ("{\"lat\":%s,\"lon\":%s}",
                          g_ascii_dtostr (lat_text, sizeof lat_text, lat),
                          g_ascii_dtostr (lon_text, sizeof lon_text, lon));
}

static DsdTestResponse *
admin_request (DsdTestServer *s,
               const char    *method,
               const char    *path,
               const char    *body)
{
  return dsd_test_request (s, method, path, dsd_test_server_get_admin_token (s), body, NULL);
}

static void
set_driver_location (DsdTestServer *s,
                     const char    *driver_id,
                     double         lat,
                     double         lon)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/drivers/%s/location", driver_id);
  g_autofree char *point = point_json (lat, lon);
  g_autoptr(DsdTestResponse) response = admin_request (s, "POST", path, point);

  g_assert_cmpuint (response->status, ==, 202);
}

/* A driver user (capacity 1), online at (x, y) of r; returns its token. */
static char *
driver_user_at (DsdTestServer  *s,
                Region          r,
                double          x,
                double          y,
                char          **out_id)
{
  double lat, lon;

  offset (r, x, y, &lat, &lon);
  return dsd_test_create_online_driver (s, lat, lon, out_id);
}

/* A driver record of the given capacity and more members (extra: JSON
 * members after a comma, or ""), online at (x, y) of r; returns its id. */
static char *
driver_with_at (DsdTestServer *s,
                Region         r,
                double         x,
                double         y,
                guint          capacity,
                const char    *extra)
{
  g_autofree char *name = dsd_test_unique_name ("driver");
  g_autofree char *body = g_strdup_printf ("{\"name\":\"%s\",\"capacity\":%u%s}", name,
                                           capacity, extra);
  g_autoptr(DsdTestResponse) created = admin_request (s, "POST", "/api/v1/drivers", body);
  g_autoptr(DsdTestResponse) online = NULL;
  g_autofree char *id = NULL;
  g_autofree char *path = NULL;
  double lat, lon;

  g_assert_cmpuint (created->status, ==, 201);
  id = g_strdup (dsd_test_response_string (created, "id"));
  path = g_strdup_printf ("/api/v1/drivers/%s/online", id);
  online = admin_request (s, "POST", path, "{\"online\":true}");
  g_assert_cmpuint (online->status, ==, 200);
  offset (r, x, y, &lat, &lon);
  set_driver_location (s, id, lat, lon);

  return g_steal_pointer (&id);
}

/* A driver record of the given capacity, online at (x, y) of r; returns its id. */
static char *
driver_at (DsdTestServer *s,
           Region         r,
           double         x,
           double         y,
           guint          capacity)
{
  return driver_with_at (s, r, x, y, capacity, "");
}

static char *
order_body (Region r,
            double x,
            double y)
{
  double lat, lon;
  g_autofree char *pickup = NULL;
  g_autofree char *dropoff = NULL;

  offset (r, x, y, &lat, &lon);
  pickup = point_json (lat, lon);
  offset (r, x + 1500, y + 1500, &lat, &lon);
  dropoff = point_json (lat, lon);

  return g_strdup_printf ("{\"pickup\":%s,\"dropoff\":%s}", pickup, dropoff);
}

/* An order at (x, y) of r with more members (extra: JSON members after a comma, or ""). */
static char *
order_with_at (DsdTestServer *s,
               Region         r,
               double         x,
               double         y,
               const char    *extra)
{
  g_autofree char *plain = order_body (r, x, y);
  g_autofree char *body = g_strdup_printf ("%.*s%s}", (int) strlen (plain) - 1, plain, extra);
  g_autoptr(DsdTestResponse) response = admin_request (s, "POST", "/api/v1/orders", body);

  g_assert_cmpuint (response->status, ==, 201);
  return g_strdup (dsd_test_response_string (response, "id"));
}

static char *
order_at (DsdTestServer *s,
          Region         r,
          double         x,
          double         y)
{
  return order_with_at (s, r, x, y, "");
}

static DsdTestResponse *
get_order (DsdTestServer *s,
           const char    *id)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/orders/%s", id);
  DsdTestResponse *response = admin_request (s, "GET", path, NULL);

  g_assert_cmpuint (response->status, ==, 200);
  return response;
}

/* The order's offer.driver_id, or NULL. */
static const char *
offer_driver (DsdTestResponse *order)
{
  JsonObject *object = dsd_test_response_object (order);
  JsonNode *offer = json_object_get_member (object, "offer");

  if (offer == NULL || JSON_NODE_HOLDS_NULL (offer))
    return NULL;

  return json_object_get_string_member (json_node_get_object (offer), "driver_id");
}

typedef gboolean (*OrderCheck) (DsdTestResponse *order,
                                gconstpointer    expected);

static gboolean
is_assigned (DsdTestResponse *order,
             gconstpointer    unused)
{
  return g_strcmp0 (dsd_test_response_string (order, "status"), "assigned") == 0;
}

static gboolean
is_offered_to (DsdTestResponse *order,
               gconstpointer    driver_id)
{
  return g_strcmp0 (offer_driver (order), driver_id) == 0;
}

typedef struct {
  DsdTestServer   *server;
  const char      *id;
  OrderCheck       check;
  gconstpointer    expected;
  DsdTestResponse *order;     /* the last one seen */
} OrderWait;

static gboolean
order_reached_cb (gpointer data)
{
  OrderWait *wait = data;

  g_clear_pointer (&wait->order, dsd_test_response_free);
  wait->order = get_order (wait->server, wait->id);
  return wait->check (wait->order, wait->expected);
}

/* Polls the order until check holds; returns the order then. */
static DsdTestResponse *
wait_for_order (DsdTestServer *s,
                const char    *id,
                OrderCheck     check,
                gconstpointer  expected)
{
  OrderWait wait = { s, id, check, expected, NULL };

  if (!dsd_test_poll_until (order_reached_cb, &wait, POLL_MS, WAIT_TIMEOUT_MS))
    g_error ("order %s did not reach the expected state: %s", id, wait.order->text);

  return wait.order;
}

/* An array member of what GET path answers (200); the response holds it. */
static JsonArray *
get_array (DsdTestServer    *s,
           const char       *path,
           const char       *member,
           DsdTestResponse **out_response)
{
  *out_response = admin_request (s, "GET", path, NULL);
  g_assert_cmpuint ((*out_response)->status, ==, 200);
  return json_object_get_array_member (dsd_test_response_object (*out_response), member);
}

static JsonArray *
events_of (DsdTestServer    *s,
           const char       *order_id,
           DsdTestResponse **out_response)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/orders/%s/events", order_id);

  return get_array (s, path, "events", out_response);
}

static guint
count_events (JsonArray  *events,
              const char *type)
{
  guint n = 0;

  for (guint i = 0; i < json_array_get_length (events); i++)
    {
      JsonObject *event = json_array_get_object_element (events, i);

      if (g_str_equal (json_object_get_string_member (event, "type"), type))
        n++;
    }

  return n;
}

/* The data of the last event of this type, or NULL. */
static JsonObject *
last_event (JsonArray  *events,
            const char *type)
{
  JsonObject *found = NULL;

  for (guint i = 0; i < json_array_get_length (events); i++)
    {
      JsonObject *event = json_array_get_object_element (events, i);

      if (g_str_equal (json_object_get_string_member (event, "type"), type))
        found = json_object_get_object_member (event, "data");
    }

  return found;
}

/* The sum of every series of a metric family. */
static double
metric_value (DsdTestServer *s,
              const char    *name)
{
  g_autoptr(DsdTestResponse) response = dsd_test_request (s, "GET", "/metrics", NULL, NULL,
                                                          NULL);
  g_auto(GStrv) lines = g_strsplit (response->text, "\n", -1);
  double sum = 0;

  g_assert_cmpuint (response->status, ==, 200);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *rest = lines[i] + strlen (name);

      if (!g_str_has_prefix (lines[i], name) || (*rest != ' ' && *rest != '{'))
        continue;
      sum += g_ascii_strtod (strrchr (lines[i], ' ') + 1, NULL);
    }

  return sum;
}

typedef struct {
  DsdTestServer *server;
  double         target;
} RoundsWait;

static gboolean
rounds_done_cb (gpointer data)
{
  RoundsWait *wait = data;

  return metric_value (wait->server, "dispatch_rounds_total") >= wait->target;
}

/* Waits until the engine has completed n more rounds (a "nothing changed
 * across rounds" check needs rounds to have happened). */
static void
wait_rounds (DsdTestServer *s,
             guint          n)
{
  RoundsWait wait = { s, metric_value (s, "dispatch_rounds_total") + n };

  g_assert_true (dsd_test_poll_until (rounds_done_cb, &wait, POLL_MS, WAIT_TIMEOUT_MS));
}

static JsonArray *
active_orders (DsdTestServer    *s,
               const char       *driver_id,
               DsdTestResponse **out_response)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/drivers/%s", driver_id);

  return get_array (s, path, "active_orders", out_response);
}

/* Asserts no driver holds more than capacity; returns how many orders they hold. */
static guint
assert_capacity (DsdTestServer *s,
                 GPtrArray     *driver_ids,
                 guint          capacity)
{
  guint total = 0;

  for (guint i = 0; i < driver_ids->len; i++)
    {
      g_autoptr(DsdTestResponse) driver = NULL;
      guint n = json_array_get_length (active_orders (s, g_ptr_array_index (driver_ids, i),
                                                      &driver));

      g_assert_cmpuint (n, <=, capacity);
      total += n;
    }

  return total;
}

typedef struct {
  DsdTestServer *server;
  GPtrArray     *driver_ids;
  guint          capacity;
  guint          expected;
} ActiveWait;

static gboolean
all_active_cb (gpointer data)
{
  ActiveWait *wait = data;

  return assert_capacity (wait->server, wait->driver_ids, wait->capacity) >= wait->expected;
}

/* Until the drivers hold expected orders in all, never more than capacity each. */
static void
wait_total_active (DsdTestServer *s,
                   GPtrArray     *driver_ids,
                   guint          capacity,
                   guint          expected)
{
  ActiveWait wait = { s, driver_ids, capacity, expected };

  g_assert_true (dsd_test_poll_until (all_active_cb, &wait, POLL_MS, WAIT_TIMEOUT_MS));
}

/*
 * Every order's history: no order.assigned without the order having become
 * pending again in between (an order is never given twice at once), and per
 * driver the number of order.assigned events naming it. Returns the total.
 */
static guint
audit_assignments (DsdTestServer *s,
                   GPtrArray     *order_ids,
                   GHashTable    *per_driver)
{
  guint total = 0;

  for (guint i = 0; i < order_ids->len; i++)
    {
      g_autoptr(DsdTestResponse) response = NULL;
      JsonArray *events = events_of (s, g_ptr_array_index (order_ids, i), &response);
      gboolean holding = FALSE;

      for (guint e = 0; e < json_array_get_length (events); e++)
        {
          JsonObject *event = json_array_get_object_element (events, e);
          const char *type = json_object_get_string_member (event, "type");
          JsonObject *data = json_object_get_object_member (event, "data");
          const char *status = json_object_get_string_member (data, "status");

          if (g_str_equal (type, "order.assigned"))
            {
              const char *driver = json_object_get_string_member (data, "driver_id");

              g_assert_false (holding);
              holding = TRUE;
              total++;
              g_hash_table_insert (per_driver, g_strdup (driver),
                                   GUINT_TO_POINTER (GPOINTER_TO_UINT (
                                     g_hash_table_lookup (per_driver, driver)) + 1));
            }
          else if (g_str_equal (type, "order.updated") && g_str_equal (status, "pending"))
            {
              holding = FALSE;
            }
        }
    }

  return total;
}

static void
deliver_all (DsdTestServer *s,
             GPtrArray     *driver_ids)
{
  for (guint i = 0; i < driver_ids->len; i++)
    {
      g_autoptr(DsdTestResponse) driver = NULL;
      JsonArray *active = active_orders (s, g_ptr_array_index (driver_ids, i), &driver);

      for (guint a = 0; a < json_array_get_length (active); a++)
        {
          g_autofree char *path = g_strdup_printf ("/api/v1/orders/%s/status",
                                                   json_array_get_string_element (active, a));
          g_autoptr(DsdTestResponse) picked = NULL;
          g_autoptr(DsdTestResponse) delivered = NULL;

          picked = admin_request (s, "POST", path, "{\"status\":\"picked_up\"}");
          g_assert_cmpuint (picked->status, ==, 200);
          delivered = admin_request (s, "POST", path, "{\"status\":\"delivered\"}");
          g_assert_cmpuint (delivered->status, ==, 200);
        }
    }
}

/* Creates n orders around r's centre at once; their ids are added to ids. */
static void
burst_orders (DsdTestServer *s,
              Region         r,
              guint          n,
              GPtrArray     *ids)
{
  g_autoptr(GPtrArray) bodies = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) paths = g_ptr_array_new ();
  g_autoptr(GPtrArray) tokens = g_ptr_array_new ();
  g_autoptr(GPtrArray) responses = NULL;

  for (guint i = 0; i < n; i++)
    {
      g_ptr_array_add (bodies, order_body (r, 200.0 * (i % 10) - 1000, 200.0 * (i / 10 % 10)));
      g_ptr_array_add (paths, (gpointer) "/api/v1/orders");
      g_ptr_array_add (tokens, (gpointer) dsd_test_server_get_admin_token (s));
    }

  responses = dsd_test_request_concurrently (s, "POST", (const char * const *) paths->pdata,
                                             (const char * const *) tokens->pdata,
                                             (const char * const *) bodies->pdata, n);
  for (guint i = 0; i < n; i++)
    {
      DsdTestResponse *response = g_ptr_array_index (responses, i);

      g_assert_cmpuint (response->status, ==, 201);
      g_ptr_array_add (ids, g_strdup (dsd_test_response_string (response, "id")));
    }
}

static void
test_nearer_driver_wins (void)
{
  Region r = region (1);
  g_autofree char *far_id = driver_at (server, r, 3000, 0, 1);
  g_autofree char *near_id = driver_at (server, r, -500, 0, 1);
  g_autofree char *id = order_at (server, r, 0, 0);
  g_autoptr(DsdTestResponse) order = wait_for_order (server, id, is_assigned, NULL);
  g_autoptr(DsdTestResponse) history = NULL;
  JsonArray *events, *candidates;
  JsonObject *assigned, *assignment, *first;

  g_assert_cmpstr (dsd_test_response_string (order, "driver_id"), ==, near_id);
  g_assert_false (json_object_get_boolean_member (dsd_test_response_object (order), "manual"));
  g_assert_cmpint (json_object_get_int_member (dsd_test_response_object (order),
                                               "assignment_attempts"), ==, 1);

  /* Why this driver: the explanation in the order.assigned event. */
  events = events_of (server, id, &history);
  g_assert_cmpuint (count_events (events, "order.assigned"), ==, 1);
  assigned = last_event (events, "order.assigned");
  g_assert_cmpstr (json_object_get_string_member (assigned, "driver_id"), ==, near_id);
  assignment = json_object_get_object_member (assigned, "assignment");
  g_assert_nonnull (assignment);
  g_assert_true (g_str_equal (json_object_get_string_member (assignment, "method"),
                              "immediate") ||
                 g_str_equal (json_object_get_string_member (assignment, "method"), "batch"));
  g_assert_cmpstr (json_object_get_string_member (assignment, "driver_id"), ==, near_id);
  g_assert_cmpfloat (json_object_get_double_member (assignment, "eta_s"), >, 0);
  candidates = json_object_get_array_member (assignment, "candidates");
  g_assert_cmpuint (json_array_get_length (candidates), ==, 2);
  first = json_array_get_object_element (candidates, 0);
  g_assert_cmpstr (json_object_get_string_member (first, "driver_id"), ==, near_id);
  g_assert_cmpfloat (json_object_get_double_member (first, "eta_s"), <,
                     json_object_get_double_member (json_array_get_object_element (candidates,
                                                                                   1),
                                                    "eta_s"));
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (candidates,
                                                                                 1),
                                                  "driver_id"), ==, far_id);
  /* The order.updated of the same change carries the plain order. */
  g_assert_false (json_object_has_member (last_event (events, "order.updated"), "assignment"));
}

/* The order's events as the holder of token sees them. */
static JsonArray *
events_as (const char       *token,
           const char       *order_id,
           DsdTestResponse **out_response)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/orders/%s/events", order_id);

  *out_response = dsd_test_request (server, "GET", path, token, NULL, NULL);
  g_assert_cmpuint ((*out_response)->status, ==, 200);
  return json_object_get_array_member (dsd_test_response_object (*out_response), "events");
}

/* Each role sees only what it may (issue 16, item 8): the engine's
 * explanation names other drivers and counts the fleet; staff only. */
static void
test_what_each_role_sees (void)
{
  Region r = region (8);
  g_autofree char *near_id = NULL;
  g_autofree char *driver = driver_user_at (server, r, -500, 0, &near_id);
  g_autofree char *far_id = driver_at (server, r, 3000, 0, 1);
  g_autofree char *customer = dsd_test_create_user (server, "customer", NULL, NULL);
  g_autofree char *dispatcher = dsd_test_create_user (server, "dispatcher", NULL, NULL);
  g_autofree char *stream_path = g_strdup_printf ("/api/v1/drivers/%s/stream", near_id);
  g_autoptr(DsdTestWebsocket) socket = dsd_test_websocket_connect (server, stream_path, driver,
                                                                   NULL);
  g_autofree char *body = order_body (r, 0, 0);
  g_autoptr(DsdTestResponse) created = NULL;
  g_autoptr(DsdTestResponse) order = NULL;
  g_autoptr(JsonObject) frame = NULL;
  g_autoptr(JsonObject) snapshot = NULL;
  const char *tokens[] = { dsd_test_server_get_admin_token (server), dispatcher, customer, driver };
  const gboolean staff[] = { TRUE, TRUE, FALSE, FALSE };
  const char *id;

  g_assert_nonnull (socket);
  snapshot = dsd_test_websocket_next_of_type (socket, "snapshot", 5000);
  g_assert_nonnull (snapshot);
  created = dsd_test_request (server, "POST", "/api/v1/orders", customer, body, NULL);
  g_assert_cmpuint (created->status, ==, 201);
  id = dsd_test_response_string (created, "id");
  order = wait_for_order (server, id, is_assigned, NULL);
  g_assert_cmpstr (dsd_test_response_string (order, "driver_id"), ==, near_id);

  for (guint i = 0; i < G_N_ELEMENTS (tokens); i++)
    {
      g_autoptr(DsdTestResponse) history = NULL;
      JsonArray *events = events_as (tokens[i], id, &history);
      JsonObject *assigned = last_event (events, "order.assigned");

      g_test_message ("role %u", i);
      g_assert_nonnull (assigned);
      g_assert_cmpstr (json_object_get_string_member (assigned, "driver_id"), ==, near_id);
      g_assert_cmpint (json_object_has_member (assigned, "assignment"), ==, staff[i]);
      g_assert_cmpint (strstr (history->text, far_id) != NULL, ==, staff[i]);
      g_assert_cmpint (strstr (history->text, "drivers_considered") != NULL, ==, staff[i]);
    }

  /* The driver's stream carries the assignment without the explanation. */
  frame = dsd_test_websocket_next_of_type (socket, "order.assigned", 10000);
  g_assert_nonnull (frame);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (frame, "data"),
                                                  "id"), ==, id);
  g_assert_false (json_object_has_member (json_object_get_object_member (frame, "data"),
                                          "assignment"));
}

static void
test_paused_driver (void)
{
  Region r = region (2);
  g_autofree char *paused_id = NULL;
  g_autofree char *paused_token = driver_user_at (server, r, 300, 0, &paused_id);
  g_autofree char *other_id = driver_at (server, r, 4000, 0, 1);
  g_autofree char *path = g_strdup_printf ("/api/v1/drivers/%s/auto-dispatch", paused_id);
  g_autoptr(DsdTestResponse) by_driver = NULL;
  g_autoptr(DsdTestResponse) bad = NULL;
  g_autoptr(DsdTestResponse) unknown = NULL;
  g_autoptr(DsdTestResponse) paused = NULL;
  g_autoptr(DsdTestResponse) order = NULL;
  g_autoptr(DsdTestResponse) history = NULL;
  g_autoptr(DsdTestResponse) resumed = NULL;
  g_autofree char *id = NULL;
  JsonArray *events;

  by_driver = dsd_test_request (server, "POST", path, paused_token,
                                "{\"auto_dispatch\":false}", NULL);
  dsd_test_assert_error (by_driver, 403, "permission_denied", NULL);
  bad = admin_request (server, "POST", path, "{\"auto_dispatch\":\"no\"}");
  dsd_test_assert_error (bad, 400, "invalid_argument", "auto_dispatch");
  unknown = admin_request (server, "POST",
                           "/api/v1/drivers/00000000-0000-4000-8000-000000000000/auto-dispatch",
                           "{\"auto_dispatch\":false}");
  dsd_test_assert_error (unknown, 404, "not_found", NULL);

  paused = admin_request (server, "POST", path, "{\"auto_dispatch\":false}");
  g_assert_cmpuint (paused->status, ==, 200);
  g_assert_cmpstr (dsd_test_response_string (paused, "id"), ==, paused_id);
  g_assert_false (json_object_get_boolean_member (dsd_test_response_object (paused),
                                                  "auto_dispatch"));

  id = order_at (server, r, 0, 0);
  order = wait_for_order (server, id, is_assigned, NULL);
  g_assert_cmpstr (dsd_test_response_string (order, "driver_id"), ==, other_id);
  events = events_of (server, id, &history);
  g_assert_cmpuint (count_events (events, "order.assigned"), ==, 1);

  resumed = admin_request (server, "POST", path, "{\"auto_dispatch\":true}");
  g_assert_cmpuint (resumed->status, ==, 200);
  g_assert_true (json_object_get_boolean_member (dsd_test_response_object (resumed),
                                                 "auto_dispatch"));
}

/* "items" of n units weighing kg and taking litres each. */
static char *
items_of (guint  n,
          double kg,
          double litres)
{
  char kg_text[G_ASCII_DTOSTR_BUF_SIZE], l_text[G_ASCII_DTOSTR_BUF_SIZE];

  return g_strdup_printf (",\"items\":[{\"sku\":\"crate\",\"quantity\":%u,"
                          "\"weight_kg\":%s,\"volume_l\":%s}]", n,
                          g_ascii_dtostr (kg_text, sizeof kg_text, kg),
                          g_ascii_dtostr (l_text, sizeof l_text, litres));
}

static const char *
assigned_driver (DsdTestServer *s,
                 const char    *id,
                 GPtrArray     *keep)
{
  DsdTestResponse *order = wait_for_order (s, id, is_assigned, NULL);

  g_ptr_array_add (keep, order);
  return dsd_test_response_string (order, "driver_id");
}

/* Each order's stops in a route: at most one pickup, then its dropoff. */
static void
assert_route_valid (JsonArray *stops)
{
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; i < json_array_get_length (stops); i++)
    {
      JsonObject *stop = json_array_get_object_element (stops, i);
      const char *order = json_object_get_string_member (stop, "order_id");
      const char *kind = json_object_get_string_member (stop, "kind");
      const char *before = g_hash_table_lookup (seen, order);

      if (g_str_equal (kind, "pickup"))
        g_assert_null (before);
      else
        g_assert_true (before == NULL || g_str_equal (before, "pickup"));
      g_hash_table_insert (seen, (gpointer) order, (gpointer) kind);
    }
}

/* Issue 12 item 3: automation never goes beyond a vehicle's weight and
 * volume (the nearest driver is passed over for what does not fit); a
 * dispatcher may, and is warned. */
static void
test_vehicle_limits (void)
{
  Region r = region (9);
  g_autoptr(GPtrArray) keep = g_ptr_array_new_with_free_func (
                                (GDestroyNotify) dsd_test_response_free);
  g_autofree char *van = driver_with_at (server, r, 200, 0, 3,
                                         ",\"max_weight_kg\":30,\"max_volume_l\":100");
  g_autofree char *truck = driver_at (server, r, 3000, 0, 3);
  g_autofree char *twenty = items_of (2, 10, 5);
  g_autofree char *bulky = items_of (1, 5, 150);
  g_autofree char *five = items_of (1, 5, 5);
  g_autofree char *a = order_with_at (server, r, 0, 0, twenty);
  g_autofree char *b = NULL;
  g_autofree char *c = NULL;
  g_autofree char *d = NULL;
  g_autofree char *van_path = g_strdup_printf ("/api/v1/drivers/%s", van);
  g_autofree char *assign = NULL;
  g_autofree char *to_van = g_strdup_printf ("{\"driver_id\":\"%s\"}", van);
  g_autoptr(DsdTestResponse) van_now = NULL;
  g_autoptr(DsdTestResponse) manual = NULL;
  g_autoptr(DsdTestResponse) read = NULL;
  JsonObject *load;
  JsonArray *warnings;

  g_assert_cmpstr (assigned_driver (server, a, keep), ==, van);
  /* 20 + 20 kg > 30: the farther truck */
  b = order_with_at (server, r, 0, 0, twenty);
  g_assert_cmpstr (assigned_driver (server, b, keep), ==, truck);
  /* 150 l > 100 l */
  c = order_with_at (server, r, 0, 0, bulky);
  g_assert_cmpstr (assigned_driver (server, c, keep), ==, truck);
  /* 20 + 5 kg fits */
  d = order_with_at (server, r, 0, 0, five);
  g_assert_cmpstr (assigned_driver (server, d, keep), ==, van);

  van_now = admin_request (server, "GET", van_path, NULL);
  load = json_object_get_object_member (dsd_test_response_object (van_now), "load");
  g_assert_cmpfloat (json_object_get_double_member (load, "weight_kg"), ==, 25);
  g_assert_cmpfloat (json_object_get_double_member (load, "volume_l"), ==, 15);

  /* People may: with a warning in the answer only */
  assign = g_strdup_printf ("/api/v1/orders/%s/assign", b);
  manual = admin_request (server, "POST", assign, to_van);
  g_assert_cmpuint (manual->status, ==, 200);
  g_assert_cmpstr (dsd_test_response_string (manual, "driver_id"), ==, van);
  warnings = json_object_get_array_member (dsd_test_response_object (manual), "warnings");
  g_assert_cmpuint (json_array_get_length (warnings), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (warnings, 0),
                                                  "code"), ==, "over_weight");
  read = get_order (server, b);
  g_assert_false (json_object_has_member (dsd_test_response_object (read), "warnings"));
  load = json_object_get_object_member (dsd_test_response_object (read), "load");
  g_assert_cmpfloat (json_object_get_double_member (load, "weight_kg"), ==, 20);
}

static void
test_manual_assignment_survives (void)
{
  Region r = region (3);
  g_autofree char *near_id = driver_at (server, r, 200, 0, 1);
  g_autofree char *far_id = driver_at (server, r, 2500, 0, 1);
  g_autofree char *id = order_at (server, r, 0, 0);
  g_autofree char *assign = g_strdup_printf ("/api/v1/orders/%s/assign", id);
  g_autofree char *unassign = g_strdup_printf ("/api/v1/orders/%s/unassign", id);
  g_autofree char *to_far = g_strdup_printf ("{\"driver_id\":\"%s\"}", far_id);
  g_autoptr(DsdTestResponse) automatic = wait_for_order (server, id, is_assigned, NULL);
  g_autoptr(DsdTestResponse) manual = NULL;
  g_autoptr(DsdTestResponse) later = NULL;
  g_autoptr(DsdTestResponse) pending = NULL;
  g_autoptr(DsdTestResponse) again = NULL;

  g_assert_cmpstr (dsd_test_response_string (automatic, "driver_id"), ==, near_id);

  manual = admin_request (server, "POST", assign, to_far);
  g_assert_cmpuint (manual->status, ==, 200);
  g_assert_cmpstr (dsd_test_response_string (manual, "driver_id"), ==, far_id);

  /* The near driver is free again and nearer: automation must leave it be. */
  wait_rounds (server, 3);
  later = get_order (server, id);
  g_assert_cmpstr (dsd_test_response_string (later, "status"), ==, "assigned");
  g_assert_cmpstr (dsd_test_response_string (later, "driver_id"), ==, far_id);
  g_assert_true (json_object_get_boolean_member (dsd_test_response_object (later), "manual"));

  /* Unassigned: automation may take it, but not for the driver it was taken from. */
  pending = admin_request (server, "POST", unassign, NULL);
  g_assert_cmpuint (pending->status, ==, 200);
  again = wait_for_order (server, id, is_assigned, NULL);
  g_assert_cmpstr (dsd_test_response_string (again, "driver_id"), ==, near_id);
}

static void
test_capacity_under_burst (void)
{
  Region r = region (4);
  g_autoptr(GPtrArray) drivers = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) orders = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GHashTable) per_driver = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                            NULL);
  GHashTableIter iter;
  gpointer count;

  for (guint i = 0; i < BURST_DRIVERS; i++)
    g_ptr_array_add (drivers, driver_at (server, r, 400.0 * i - 800, 300, 2));

  burst_orders (server, r, BURST_ORDERS, orders);
  wait_total_active (server, drivers, 2, 2 * BURST_DRIVERS);
  wait_rounds (server, 2);
  g_assert_cmpuint (assert_capacity (server, drivers, 2), ==, 2 * BURST_DRIVERS);
  g_assert_cmpuint (audit_assignments (server, orders, per_driver), ==, 2 * BURST_DRIVERS);
  g_hash_table_iter_init (&iter, per_driver);
  while (g_hash_table_iter_next (&iter, NULL, &count))
    g_assert_cmpuint (GPOINTER_TO_UINT (count), <=, 2);

  /* Drivers free up: the next orders go out, still within capacity. */
  deliver_all (server, drivers);
  wait_total_active (server, drivers, 2, 2 * BURST_DRIVERS);
  wait_rounds (server, 2);
  g_assert_cmpuint (assert_capacity (server, drivers, 2), ==, 2 * BURST_DRIVERS);
  g_hash_table_remove_all (per_driver);
  g_assert_cmpuint (audit_assignments (server, orders, per_driver), ==, 4 * BURST_DRIVERS);
  g_hash_table_iter_init (&iter, per_driver);
  while (g_hash_table_iter_next (&iter, NULL, &count))
    g_assert_cmpuint (GPOINTER_TO_UINT (count), <=, 4);
}

typedef struct {
  DsdTestServer *server;
  const char    *order_id;
  const char    *type;
} EventWait;

static gboolean
has_event_cb (gpointer data)
{
  EventWait *wait = data;
  g_autoptr(DsdTestResponse) response = NULL;

  return count_events (events_of (wait->server, wait->order_id, &response), wait->type) > 0;
}

static void
test_unassignable_alert (void)
{
  Region r = region (5);
  g_autofree char *id = order_at (server, r, 0, 0);
  EventWait wait = { server, id, "order.unassignable" };
  g_autoptr(DsdTestResponse) history = NULL;
  g_autoptr(DsdTestResponse) later = NULL;
  g_autoptr(DsdTestResponse) order = NULL;
  g_autofree char *driver_id = NULL;
  JsonArray *events;

  g_assert_true (dsd_test_poll_until (has_event_cb, &wait, POLL_MS, WAIT_TIMEOUT_MS));
  events = events_of (server, id, &history);
  g_assert_cmpstr (json_object_get_string_member (last_event (events, "order.unassignable"),
                                                  "status"), ==, "pending");

  /* Once per order, and it keeps being tried. */
  wait_rounds (server, 3);
  events = events_of (server, id, &later);
  g_assert_cmpuint (count_events (events, "order.unassignable"), ==, 1);

  driver_id = driver_at (server, r, 1000, 0, 1);
  order = wait_for_order (server, id, is_assigned, NULL);
  g_assert_cmpstr (dsd_test_response_string (order, "driver_id"), ==, driver_id);
}

static void
test_offers (void)
{
  Region r = region (6);
  g_autofree char *near_id = NULL;
  g_autofree char *near = driver_user_at (offer_server, r, 300, 0, &near_id);
  g_autofree char *mid_id = NULL;
  g_autofree char *mid = driver_user_at (offer_server, r, 2000, 0, &mid_id);
  g_autofree char *id = order_at (offer_server, r, 0, 0);
  g_autofree char *accept = g_strdup_printf ("/api/v1/orders/%s/accept", id);
  g_autofree char *decline = g_strdup_printf ("/api/v1/orders/%s/decline", id);
  g_autofree char *offers_path = g_strdup_printf ("/api/v1/drivers/%s/offers", near_id);
  g_autoptr(DsdTestResponse) offered = NULL;
  g_autoptr(DsdTestResponse) offers = NULL;
  g_autoptr(DsdTestResponse) wrong = NULL;
  g_autoptr(DsdTestResponse) declined = NULL;
  g_autoptr(DsdTestResponse) second = NULL;
  g_autoptr(DsdTestResponse) expired = NULL;
  g_autoptr(DsdTestResponse) late = NULL;
  g_autoptr(DsdTestResponse) third = NULL;
  g_autoptr(DsdTestResponse) accepted = NULL;
  g_autoptr(DsdTestResponse) history = NULL;
  g_autofree char *last_id = NULL;
  g_autofree char *last = NULL;
  JsonArray *list, *events;

  /* The nearest driver gets the offer; the order stays pending. */
  offered = wait_for_order (offer_server, id, is_offered_to, near_id);
  g_assert_cmpstr (dsd_test_response_string (offered, "status"), ==, "pending");
  offers = dsd_test_request (offer_server, "GET", offers_path, near, NULL, NULL);
  g_assert_cmpuint (offers->status, ==, 200);
  list = json_object_get_array_member (dsd_test_response_object (offers), "offers");
  g_assert_cmpuint (json_array_get_length (list), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (list, 0),
                                                  "order_id"), ==, id);
  wrong = dsd_test_request (offer_server, "POST", accept, mid, NULL, NULL);
  dsd_test_assert_error (wrong, 409, "conflict", NULL);

  /* Declined: the next candidate, never the same driver again. */
  declined = dsd_test_request (offer_server, "POST", decline, near, NULL, NULL);
  g_assert_cmpuint (declined->status, ==, 200);
  second = wait_for_order (offer_server, id, is_offered_to, mid_id);

  /* Let expire: that driver is excluded too, nobody is left. */
  expired = wait_for_order (offer_server, id, is_offered_to, NULL);
  g_assert_cmpstr (dsd_test_response_string (expired, "status"), ==, "pending");
  late = dsd_test_request (offer_server, "POST", accept, mid, NULL, NULL);
  dsd_test_assert_error (late, 409, "conflict", NULL);

  /* A new driver nearby gets it and accepts. */
  last = driver_user_at (offer_server, r, 1000, 0, &last_id);
  third = wait_for_order (offer_server, id, is_offered_to, last_id);
  accepted = dsd_test_request (offer_server, "POST", accept, last, NULL, NULL);
  g_assert_cmpuint (accepted->status, ==, 200);
  g_assert_cmpstr (dsd_test_response_string (accepted, "status"), ==, "assigned");
  g_assert_cmpstr (dsd_test_response_string (accepted, "driver_id"), ==, last_id);
  g_assert_cmpint (json_object_get_int_member (dsd_test_response_object (accepted),
                                               "assignment_attempts"), ==, 3);

  events = events_of (offer_server, id, &history);
  g_assert_cmpuint (count_events (events, "order.offer"), ==, 3);
  g_assert_cmpuint (count_events (events, "order.assigned"), ==, 1);
  g_assert_nonnull (json_object_get_object_member (last_event (events, "order.offer"),
                                                   "assignment"));
  g_assert_cmpstr (json_object_get_string_member (
                     json_object_get_object_member (last_event (events, "order.offer"), "offer"),
                     "driver_id"), ==, last_id);
}

/* Until the driver's position has reached the database (the location
 * ingest writes it in batches). */
typedef struct {
  DsdTestServer *server;
  char          *path;
} LocationWait;

static gboolean
location_stored_cb (gpointer data)
{
  LocationWait *wait = data;
  g_autoptr(DsdTestResponse) driver = admin_request (wait->server, "GET", wait->path, NULL);
  JsonNode *location = json_object_get_member (dsd_test_response_object (driver), "location");

  return location != NULL && !JSON_NODE_HOLDS_NULL (location);
}

static void
wait_location_stored (DsdTestServer *s,
                      const char    *driver_id)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/drivers/%s", driver_id);
  LocationWait wait = { s, path };

  g_assert_true (dsd_test_poll_until (location_stored_cb, &wait, POLL_MS, WAIT_TIMEOUT_MS));
}

static void
test_two_instances (void)
{
  Region r = region (7);
  DsdTestServer *first = dsd_test_server_start (fast_env);
  DsdTestServer *second = NULL;
  g_autoptr(DsdPgCluster) cluster = dsd_pg_cluster_new (dsd_test_server_get_data_dir (first));
  g_autofree char *database_url = g_strconcat ("DATABASE_URL=",
                                               dsd_pg_cluster_get_conninfo (cluster), NULL);
  const char * const second_env[] = {
    database_url, "DISPATCH_BATCH_INTERVAL_S=1", "DISPATCH_UNASSIGNED_ALERT_S=2", NULL
  };
  g_autoptr(GPtrArray) drivers = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) orders = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GHashTable) per_driver = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                            NULL);
  GHashTableIter iter;
  gpointer count;

  /* Without a shared bus (Kafka) each instance sees only the events its own
   * relay publishes, so the second one learns the drivers from the database
   * when it starts. */
  for (guint i = 0; i < PAIR_DRIVERS; i++)
    {
      g_ptr_array_add (drivers, driver_at (first, r, 500.0 * i, 0, 2));
      wait_location_stored (first, g_ptr_array_index (drivers, i));
    }
  second = dsd_test_server_start (second_env);
  wait_rounds (first, 1);
  wait_rounds (second, 1);

  for (guint cycle = 1; cycle <= 2; cycle++)
    {
      burst_orders (first, r, PAIR_ORDERS_EACH, orders);
      burst_orders (second, r, PAIR_ORDERS_EACH, orders);
      wait_total_active (first, drivers, 2, 2 * PAIR_DRIVERS);
      wait_rounds (first, 2);
      wait_rounds (second, 2);
      g_assert_cmpuint (assert_capacity (second, drivers, 2), ==, 2 * PAIR_DRIVERS);

      g_hash_table_remove_all (per_driver);
      g_assert_cmpuint (audit_assignments (first, orders, per_driver), ==,
                        2 * PAIR_DRIVERS * cycle);
      g_hash_table_iter_init (&iter, per_driver);
      while (g_hash_table_iter_next (&iter, NULL, &count))
        g_assert_cmpuint (GPOINTER_TO_UINT (count), <=, 2 * cycle);

      deliver_all (first, drivers);
    }

  /* Both engines took part. */
  g_assert_cmpfloat (metric_value (first, "dispatch_assignment_attempts_total"), >, 0);
  g_assert_cmpfloat (metric_value (second, "dispatch_assignment_attempts_total"), >, 0);

  dsd_test_server_free (second);
  dsd_test_server_free (first);
}

static void
test_roles_without_assigner (void)
{
  const char * const env[] = { "DISPATCH_ROLES=api,notifier,relay", NULL };
  DsdTestServer *api_only = dsd_test_server_start (env);
  g_autoptr(DsdTestResponse) metrics = dsd_test_request (api_only, "GET", "/metrics", NULL,
                                                         NULL, NULL);
  g_autofree char *log = dsd_test_server_get_log (api_only);
  g_autofree char *assigner_log = dsd_test_server_get_log (server);

  /* No engine: it did not start, its metric families do not exist. */
  g_assert_nonnull (strstr (assigner_log, "Assignment engine:"));
  g_assert_null (strstr (log, "Assignment engine:"));
  g_assert_cmpuint (metrics->status, ==, 200);
  g_assert_null (strstr (metrics->text, "dispatch_rounds_total"));

  dsd_test_server_free (api_only);
}


/* Orders that are not "now" ----------------------------------------------------- */

/* RFC 3339 UTC of now + offset_s. */
static char *
time_from_now (gint64 offset_s)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr(GDateTime) then = g_date_time_add_seconds (now, (double) offset_s);

  return g_date_time_format (then, "%Y-%m-%dT%H:%M:%SZ");
}

/* An order at (x, y) of r to (x + dx, y) with extra members (JSON text without braces). */
static char *
order_with (DsdTestServer *s,
            Region         r,
            double         x,
            double         y,
            double         dx,
            const char    *members)
{
  double lat, lon;
  g_autofree char *pickup = NULL;
  g_autofree char *dropoff = NULL;
  g_autofree char *body = NULL;
  g_autoptr(DsdTestResponse) response = NULL;

  offset (r, x, y, &lat, &lon);
  pickup = point_json (lat, lon);
  offset (r, x + dx, y, &lat, &lon);
  dropoff = point_json (lat, lon);
  body = g_strdup_printf ("{\"pickup\":%s,\"dropoff\":%s,%s}", pickup, dropoff, members);
  response = admin_request (s, "POST", "/api/v1/orders", body);
  g_assert_cmpuint (response->status, ==, 201);
  return g_strdup (dsd_test_response_string (response, "id"));
}

/* Ready in 10 minutes (DISPATCH_READY_MAX_WAIT_S 300, lead 1800): the driver
 * next to the kitchen would wait there almost 10 minutes, the one 3 km away
 * (≈ 460 s by car) arrives near the ready time: it gets the order. An order
 * ready in 2 hours waits for its lead, raising no unassignable alert. */
static void
test_ready_time (void)
{
  Region r = region (20);
  Region quiet = region (21);
  g_autofree char *near = driver_at (server, r, 50, 0, 1);
  g_autofree char *far = driver_at (server, r, 0, 3000, 1);
  g_autofree char *idle = driver_at (server, quiet, 50, 0, 1);
  g_autofree char *soon = time_from_now (600);
  g_autofree char *later = time_from_now (7200);
  g_autofree char *ready_soon = g_strdup_printf ("\"ready_at\":\"%s\"", soon);
  g_autofree char *ready_later = g_strdup_printf ("\"ready_at\":\"%s\"", later);
  g_autofree char *id = order_with (server, r, 0, 0, 1500, ready_soon);
  g_autofree char *scheduled = order_with (server, quiet, 0, 0, 1500, ready_later);
  g_autoptr(DsdTestResponse) order = NULL;
  g_autoptr(DsdTestResponse) waiting = NULL;
  g_autoptr(DsdTestResponse) history = NULL;

  order = wait_for_order (server, id, is_assigned, NULL);
  g_assert_cmpstr (dsd_test_response_string (order, "driver_id"), ==, far);

  wait_rounds (server, 3);
  waiting = get_order (server, scheduled);
  g_assert_cmpstr (dsd_test_response_string (waiting, "status"), ==, "pending");
  g_assert_cmpuint (count_events (events_of (server, scheduled, &history), "order.unassignable"),
                    ==, 0);
}

/* A 20 km trip cannot end within 10 minutes: order.at_risk, once, while the
 * order still waits; an order with room in its window raises nothing. */
static void
test_at_risk (void)
{
  Region r = region (22);
  g_autofree char *soon = time_from_now (600);
  g_autofree char *later = time_from_now (3 * 3600);
  g_autofree char *tight = g_strdup_printf ("\"deliver_before\":\"%s\"", soon);
  g_autofree char *roomy = g_strdup_printf ("\"deliver_before\":\"%s\"", later);
  g_autofree char *fine = order_with (server, r, 0, 0, 1500, roomy);
  g_autofree char *risky = order_with (server, r, 0, 0, 20000, tight);
  EventWait wait = { server, risky, "order.at_risk" };
  g_autoptr(DsdTestResponse) history = NULL;
  g_autoptr(DsdTestResponse) later_history = NULL;
  g_autoptr(DsdTestResponse) fine_history = NULL;
  g_autoptr(DsdTestResponse) order = NULL;
  JsonObject *data;

  g_assert_true (dsd_test_poll_until (has_event_cb, &wait, POLL_MS, WAIT_TIMEOUT_MS));
  data = last_event (events_of (server, risky, &history), "order.at_risk");
  g_assert_cmpstr (json_object_get_string_member (data, "status"), ==, "pending");
  g_assert_true (json_object_get_boolean_member (data, "at_risk"));
  g_assert_nonnull (json_object_get_string_member (data, "predicted_delivery_at"));
  order = get_order (server, risky);
  g_assert_true (json_object_get_boolean_member (dsd_test_response_object (order), "at_risk"));

  wait_rounds (server, 2);
  g_assert_cmpuint (count_events (events_of (server, risky, &later_history), "order.at_risk"),
                    ==, 1);
  g_assert_cmpuint (count_events (events_of (server, fine, &fine_history), "order.at_risk"),
                    ==, 0);
}

/* Issue 12 item 2: a driver with room takes a second order whose stops
 * combine with the first's (the route grows little and no order is delayed
 * beyond DISPATCH_TRIP_MAX_DELAY_S, 600 s); an order that would delay the
 * others too much waits for another driver. */
static void
test_trip_batching (void)
{
  Region r = region (30);
  g_autofree char *x = driver_at (server, r, 0, 0, 3);
  g_autofree char *a = order_at (server, r, 0, 0);
  g_autofree char *b = NULL;
  g_autofree char *c = NULL;
  g_autofree char *y = NULL;
  g_autoptr(GPtrArray) keep = g_ptr_array_new_with_free_func (
                                (GDestroyNotify) dsd_test_response_free);
  g_autofree char *route_path = g_strdup_printf ("/api/v1/drivers/%s/route", x);
  g_autoptr(DsdTestResponse) route = NULL;
  g_autoptr(DsdTestResponse) waiting = NULL;
  JsonArray *stops;

  g_assert_cmpstr (assigned_driver (server, a, keep), ==, x);
  /* the same street, the same way: batched */
  b = order_at (server, r, 100, 0);
  g_assert_cmpstr (assigned_driver (server, b, keep), ==, x);

  route = admin_request (server, "GET", route_path, NULL);
  g_assert_cmpuint (route->status, ==, 200);
  stops = json_object_get_array_member (dsd_test_response_object (route), "stops");
  g_assert_cmpuint (json_array_get_length (stops), ==, 4);
  assert_route_valid (stops);

  /* 8.5 km the other way: together, someone would wait far beyond 600 s */
  c = order_at (server, r, -6000, -6000);
  wait_rounds (server, 3);
  waiting = get_order (server, c);
  g_assert_cmpstr (dsd_test_response_string (waiting, "status"), ==, "pending");

  y = driver_at (server, r, -6000, -6000, 1);
  g_assert_cmpstr (assigned_driver (server, c, keep), ==, y);
}

/* The next driver.route frame of the socket with n stops (earlier ones with
 * other counts are passed over). */
static JsonObject *
next_route (DsdTestWebsocket *socket,
            guint             n)
{
  for (;;)
    {
      g_autoptr(JsonObject) frame = dsd_test_websocket_next_of_type (socket, "driver.route",
                                                                     WAIT_TIMEOUT_MS);
      JsonObject *data;

      g_assert_nonnull (frame);
      data = json_object_get_object_member (frame, "data");
      if (json_array_get_length (json_object_get_array_member (data, "stops")) == n)
        return json_object_ref (data);
    }
}

/* GET /drivers/{id}/route and the driver.route event: the driver's open
 * stops in driving order, following assignment, pickup, cancel, delivery;
 * who may read it. */
static void
test_route (void)
{
  Region r = region (31);
  g_autofree char *driver_id = NULL;
  g_autofree char *driver = driver_user_at (server, r, 0, 0, &driver_id);
  g_autofree char *other = dsd_test_create_user (server, "driver", NULL, NULL);
  g_autofree char *customer = dsd_test_create_user (server, "customer", NULL, NULL);
  g_autofree char *dispatcher = dsd_test_create_user (server, "dispatcher", NULL, NULL);
  g_autofree char *path = g_strdup_printf ("/api/v1/drivers/%s/route", driver_id);
  g_autofree char *pause = g_strdup_printf ("/api/v1/drivers/%s/auto-dispatch", driver_id);
  g_autofree char *stream = g_strdup_printf ("/api/v1/drivers/%s/stream", driver_id);
  g_autofree char *to_driver = g_strdup_printf ("{\"driver_id\":\"%s\"}", driver_id);
  g_autoptr(DsdTestWebsocket) socket = NULL;
  g_autoptr(DsdTestWebsocket) staff = NULL;
  g_autoptr(DsdTestResponse) paused = admin_request (server, "POST", pause,
                                                     "{\"auto_dispatch\":false}");
  g_autoptr(JsonObject) four = NULL;
  g_autoptr(JsonObject) three = NULL;
  g_autoptr(JsonObject) one = NULL;
  g_autoptr(JsonObject) none = NULL;
  g_autoptr(JsonObject) seen = NULL;
  g_autofree char *a = NULL;
  g_autofree char *b = NULL;
  const char *unknown = "/api/v1/drivers/7d1c2b4e-3a57-4c1e-9a8e-2d6f0b1a9c11/route";
  const struct { const char *token; const char *path; guint status; } access[] = {
    { NULL, path, 401 },
    { other, path, 403 },
    { customer, path, 403 },
    { dsd_test_server_get_admin_token (server), unknown, 404 },
    { dispatcher, path, 200 },
    { driver, path, 200 },
  };

  g_assert_cmpuint (paused->status, ==, 200);
  for (guint i = 0; i < G_N_ELEMENTS (access); i++)
    {
      g_autoptr(DsdTestResponse) answer = dsd_test_request (server, "GET", access[i].path,
                                                            access[i].token, NULL, NULL);

      g_test_message ("access %u", i);
      g_assert_cmpuint (answer->status, ==, access[i].status);
      if (access[i].status == 200)
        {
          JsonObject *body = dsd_test_response_object (answer);

          g_assert_cmpstr (json_object_get_string_member (body, "driver_id"), ==, driver_id);
          g_assert_cmpuint (json_array_get_length (json_object_get_array_member (body, "stops")),
                            ==, 0);
          g_assert_true (json_object_has_member (body, "updated_at"));
        }
    }

  socket = dsd_test_websocket_connect (server, stream, driver, NULL);
  g_assert_nonnull (socket);
  g_assert_nonnull (dsd_test_websocket_next_of_type (socket, "snapshot", WAIT_TIMEOUT_MS));
  staff = dsd_test_websocket_connect (server, "/api/v1/stream", dispatcher, NULL);
  g_assert_nonnull (staff);

  /* Two orders given by hand (the second beyond the driver's capacity) */
  a = order_at (server, r, 0, 0);
  b = order_at (server, r, 200, 0);
  for (guint i = 0; i < 2; i++)
    {
      g_autofree char *assign = g_strdup_printf ("/api/v1/orders/%s/assign", i == 0 ? a : b);
      g_autoptr(DsdTestResponse) assigned = admin_request (server, "POST", assign, to_driver);

      g_assert_cmpuint (assigned->status, ==, 200);
    }
  four = next_route (socket, 4);
  g_assert_cmpstr (json_object_get_string_member (four, "driver_id"), ==, driver_id);
  assert_route_valid (json_object_get_array_member (four, "stops"));
  {
    g_autoptr(DsdTestResponse) read = dsd_test_request (server, "GET", path, driver, NULL, NULL);
    JsonArray *stops = json_object_get_array_member (dsd_test_response_object (read), "stops");
    JsonArray *sent = json_object_get_array_member (four, "stops");

    g_assert_cmpuint (json_array_get_length (stops), ==, 4);
    for (guint i = 0; i < 4; i++)
      {
        JsonObject *stop = json_array_get_object_element (stops, i);
        JsonObject *location = json_object_get_object_member (stop, "location");

        g_assert_cmpstr (json_object_get_string_member (stop, "order_id"), ==,
                         json_object_get_string_member (
                           json_array_get_object_element (sent, i), "order_id"));
        g_assert_cmpstr (json_object_get_string_member (stop, "kind"), ==,
                         json_object_get_string_member (
                           json_array_get_object_element (sent, i), "kind"));
        g_assert_true (json_object_has_member (location, "lat"));
        g_assert_true (json_object_has_member (location, "lon"));
        g_assert_true (json_object_has_member (stop, "eta"));
      }
  }

  /* A picked up: only its dropoff is left */
  {
    g_autofree char *status = g_strdup_printf ("/api/v1/orders/%s/status", a);
    g_autoptr(DsdTestResponse) picked = dsd_test_request (server, "POST", status, driver,
                                                          "{\"status\":\"picked_up\"}", NULL);

    g_assert_cmpuint (picked->status, ==, 200);
    three = next_route (socket, 3);
    assert_route_valid (json_object_get_array_member (three, "stops"));
  }

  /* B cancelled, A delivered */
  {
    g_autofree char *cancel = g_strdup_printf ("/api/v1/orders/%s/cancel", b);
    g_autofree char *status = g_strdup_printf ("/api/v1/orders/%s/status", a);
    g_autoptr(DsdTestResponse) cancelled = admin_request (server, "POST", cancel, "{}");
    g_autoptr(DsdTestResponse) delivered = NULL;

    g_assert_cmpuint (cancelled->status, ==, 200);
    one = next_route (socket, 1);
    g_assert_cmpstr (json_object_get_string_member (
                       json_array_get_object_element (
                         json_object_get_array_member (one, "stops"), 0), "kind"), ==, "dropoff");
    delivered = dsd_test_request (server, "POST", status, driver, "{\"status\":\"delivered\"}",
                                  NULL);
    g_assert_cmpuint (delivered->status, ==, 200);
    none = next_route (socket, 0);
  }

  /* The dispatcher's stream carries it too */
  seen = next_route (staff, 0);
  g_assert_cmpstr (json_object_get_string_member (seen, "driver_id"), ==, driver_id);
}

int
main (int   argc,
      char *argv[])
{
  int status;

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/dispatch/nearer-driver-wins", test_nearer_driver_wins);
  g_test_add_func ("/dispatch/what-each-role-sees", test_what_each_role_sees);
  g_test_add_func ("/dispatch/paused-driver", test_paused_driver);
  g_test_add_func ("/dispatch/manual-assignment-survives", test_manual_assignment_survives);
  g_test_add_func ("/dispatch/capacity-under-burst", test_capacity_under_burst);
  g_test_add_func ("/dispatch/vehicle-limits", test_vehicle_limits);
  g_test_add_func ("/dispatch/unassignable-alert", test_unassignable_alert);
  g_test_add_func ("/dispatch/offers", test_offers);
  g_test_add_func ("/dispatch/two-instances", test_two_instances);
  g_test_add_func ("/dispatch/roles-without-assigner", test_roles_without_assigner);
  g_test_add_func ("/dispatch/ready-time", test_ready_time);
  g_test_add_func ("/dispatch/at-risk", test_at_risk);
  g_test_add_func ("/dispatch/trips/batching", test_trip_batching);
  g_test_add_func ("/dispatch/trips/route", test_route);

  server = dsd_test_server_start (fast_env);
  offer_server = dsd_test_server_start (offer_env);
  status = g_test_run ();
  dsd_test_server_free (offer_server);
  dsd_test_server_free (server);

  return status;
}
