/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <signal.h>
#include <stdlib.h>

#include "dispatch-json.h"
#include "test-server.h"
#include "test-utils.h"

#define MAX_BUFFERED_POINTS 200000
#define POINTS_PER_REQUEST 1000

static DsdTestServer *server;

static char *
driver_path (const char *id,
             const char *suffix)
{
  return g_strdup_printf ("/api/v1/drivers/%s%s", id, suffix ? suffix : "");
}

/* RFC 3339, offset_s from now. */
static char *
time_from_now (double offset_s)
{
  return dispatch_format_timestamp (g_get_real_time () + (gint64) (offset_s * G_USEC_PER_SEC));
}

static char *
point_json (double      lat,
            double      lon,
            const char *recorded_at)
{
  char lat_text[G_ASCII_DTOSTR_BUF_SIZE], lon_text[G_ASCII_DTOSTR_BUF_SIZE];

  return g_strdup_printf ("{\"lat\":%s,\"lon\":%s,\"recorded_at\":\"%s\"}",
                          g_ascii_dtostr (lat_text, sizeof lat_text, lat),
                          g_ascii_dtostr (lon_text, sizeof lon_text, lon), recorded_at);
}

/* The driver's trail of the last hour (as JSON, owned by *out_response). */
static JsonArray *
get_trail (const char       *token,
           const char       *driver_id,
           DsdTestResponse **out_response)
{
  g_autofree char *path = driver_path (driver_id, "/trail?limit=10000");

  *out_response = dsd_test_request (server, "GET", path, token, NULL, NULL);
  g_assert_cmpuint ((*out_response)->status, ==, 200);
  return json_object_get_array_member (dsd_test_response_object (*out_response), "points");
}

static guint
count_points_at_lat (JsonArray *points,
                     double     lat)
{
  guint n = 0;

  for (guint i = 0; i < json_array_get_length (points); i++)
    n += json_object_get_double_member (json_array_get_object_element (points, i), "lat") == lat;

  return n;
}

static void
assert_time_order (JsonArray *points)
{
  for (guint i = 1; i < json_array_get_length (points); i++)
    {
      const char *a = json_object_get_string_member (json_array_get_object_element (points,
                                                                                  i - 1),
                                                     "recorded_at");
      const char *b = json_object_get_string_member (json_array_get_object_element (points, i),
                                                     "recorded_at");

      g_assert_cmpstr (a, <=, b);
    }
}

static JsonObject *
get_live_location (const char       *token,
                   const char       *driver_id,
                   DsdTestResponse **out_response)
{
  g_autofree char *path = driver_path (driver_id, NULL);

  *out_response = dsd_test_request (server, "GET", path, token, NULL, NULL);
  g_assert_cmpuint ((*out_response)->status, ==, 200);
  return json_object_get_object_member (dsd_test_response_object (*out_response), "location");
}

/* Invalid batches are refused whole, with the path of the first bad field;
 * nothing of them is stored. */
static void
test_batch_validation (void)
{
  g_autofree char *driver_id = NULL;
  g_autofree char *driver = dsd_test_create_online_driver (server, 40.0, -3.7, &driver_id);
  g_autofree char *location = driver_path (driver_id, "/location");
  g_autofree char *now = time_from_now (0);
  g_autofree char *future = time_from_now (6 * 60);
  g_autofree char *good = point_json (33.3, -3.7, now);
  g_autoptr(DsdTestResponse) trail_response = NULL;
  g_autoptr(GString) too_many = g_string_new ("{\"points\":[");
  JsonArray *trail;
  struct {
    char       *body;
    guint       status;
    const char *field;
  } cases[] = {
    { g_strdup_printf ("{\"points\":[%s,{\"lat\":91,\"lon\":1}]}", good), 400, "points[1].lat" },
    { g_strdup_printf ("{\"points\":[%s,{\"lat\":1,\"lon\":-180.5}]}", good), 400,
      "points[1].lon" },
    { g_strdup_printf ("{\"points\":[%s,{\"lat\":\"1\",\"lon\":1}]}", good), 400,
      "points[1].lat" },
    { g_strdup_printf ("{\"points\":[%s,{\"lon\":1}]}", good), 400, "points[1].lat" },
    { g_strdup_printf ("{\"points\":[%s,{\"lat\":1,\"lon\":1,\"speed_mps\":1e999}]}", good),
      400, NULL },
    { g_strdup_printf ("{\"points\":[%s,{\"lat\":1,\"lon\":1,\"heading\":360}]}", good), 400,
      "points[1].heading" },
    { g_strdup_printf ("{\"points\":[%s,{\"lat\":1,\"lon\":1,\"accuracy_m\":-1}]}", good), 400,
      "points[1].accuracy_m" },
    { g_strdup_printf ("{\"points\":[%s,{\"lat\":1,\"lon\":1,\"recorded_at\":\"today\"}]}",
                       good), 400, "points[1].recorded_at" },
    { g_strdup_printf ("{\"points\":[%s,{\"lat\":1,\"lon\":1,\"recorded_at\":\"%s\"}]}", good,
                       future), 422, "points[1].recorded_at" },
    { g_strdup_printf ("{\"points\":[%s,[1,2]]}", good), 400, "points[1]" },
    { g_strdup ("{\"points\":[]}"), 400, "points" },
    { g_strdup ("{\"points\":{}}"), 400, "points" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(DsdTestResponse) response = NULL;

      response = dsd_test_request (server, "POST", location, driver, cases[i].body, NULL);
      g_test_message ("case %u: %s → %u %s", i, cases[i].body, response->status,
                      response->text);
      dsd_test_assert_error (response, cases[i].status, "invalid_argument", cases[i].field);
      g_free (cases[i].body);
    }

  for (guint i = 0; i <= 1000; i++)
    g_string_append_printf (too_many, "%s%s", i ? "," : "", good);
  g_string_append (too_many, "]}");
  {
    g_autoptr(DsdTestResponse) response = NULL;

    response = dsd_test_request (server, "POST", location, driver, too_many->str, NULL);
    dsd_test_assert_error (response, 400, "invalid_argument", "points");
  }

  trail = get_trail (driver, driver_id, &trail_response);
  g_assert_cmpuint (count_points_at_lat (trail, 33.3), ==, 0);
}

static void
test_permissions (void)
{
  g_autofree char *driver_id = NULL;
  g_autofree char *driver = dsd_test_create_user (server, "driver", &driver_id, NULL);
  g_autofree char *other_id = NULL;
  g_autofree char *other = dsd_test_create_user (server, "driver", &other_id, NULL);
  g_autofree char *dispatcher = dsd_test_create_user (server, "dispatcher", NULL, NULL);
  g_autofree char *customer = dsd_test_create_user (server, "customer", NULL, NULL);
  g_autofree char *foreign = driver_path (other_id, "/location");
  g_autofree char *own = driver_path (driver_id, "/location");
  g_autofree char *upper = NULL;
  g_autofree char *upper_path = NULL;
  const char *point = "{\"lat\":1,\"lon\":2}";
  g_autoptr(DsdTestResponse) r1 = NULL;
  g_autoptr(DsdTestResponse) r2 = NULL;
  g_autoptr(DsdTestResponse) r3 = NULL;
  g_autoptr(DsdTestResponse) r4 = NULL;
  g_autoptr(DsdTestResponse) r5 = NULL;
  g_autoptr(DsdTestResponse) r6 = NULL;
  g_autoptr(DsdTestResponse) r7 = NULL;

  r1 = dsd_test_request (server, "POST", foreign, driver, point, NULL);
  dsd_test_assert_error (r1, 403, "permission_denied", NULL);

  r2 = dsd_test_request (server, "POST",
                         "/api/v1/drivers/00000000-0000-4000-8000-000000000000/location",
                         dispatcher, point, NULL);
  dsd_test_assert_error (r2, 404, "not_found", NULL);

  r3 = dsd_test_request (server, "POST", "/api/v1/drivers/not-a-driver/location", dispatcher,
                         point, NULL);
  dsd_test_assert_error (r3, 404, "not_found", NULL);

  r4 = dsd_test_request (server, "POST", own, customer, point, NULL);
  dsd_test_assert_error (r4, 403, "permission_denied", NULL);

  r5 = dsd_test_request (server, "POST", own, driver, point, NULL);
  g_assert_cmpuint (r5->status, ==, 202);
  r6 = dsd_test_request (server, "POST", foreign, dispatcher, point, NULL);
  g_assert_cmpuint (r6->status, ==, 202);

  /* The id in another case is the same driver. */
  upper = g_ascii_strup (driver_id, -1);
  upper_path = driver_path (upper, "/location");
  r7 = dsd_test_request (server, "POST", upper_path, driver, point, NULL);
  g_assert_cmpuint (r7->status, ==, 202);
}

/* An older point goes to history only; the trail is in time order. */
static void
test_out_of_order (void)
{
  g_autofree char *driver_id = NULL;
  g_autofree char *driver = dsd_test_create_online_driver (server, 10.0, 10.0, &driver_id);
  g_autofree char *location = driver_path (driver_id, "/location");
  /* Newer than the point of create_online_driver (now). */
  g_autofree char *t_new = time_from_now (20);
  g_autofree char *t_old = time_from_now (-120);
  g_autofree char *p_new = point_json (10.5, 10.5, t_new);
  g_autofree char *p_old = point_json (11.0, 11.0, t_old);
  g_autofree char *scrambled = NULL;
  g_autofree char *t1 = time_from_now (-50);
  g_autofree char *t2 = time_from_now (-40);
  g_autofree char *t3 = time_from_now (-30);
  g_autofree char *b1 = point_json (12.0, 12.0, t3);
  g_autofree char *b2 = point_json (12.1, 12.1, t1);
  g_autofree char *b3 = point_json (12.2, 12.2, t2);
  g_autoptr(DsdTestResponse) r1 = NULL;
  g_autoptr(DsdTestResponse) r2 = NULL;
  g_autoptr(DsdTestResponse) r3 = NULL;
  g_autoptr(DsdTestResponse) live_response = NULL;
  g_autoptr(DsdTestResponse) live_again = NULL;
  g_autoptr(DsdTestResponse) trail_response = NULL;
  JsonObject *live;
  JsonArray *trail;

  r1 = dsd_test_request (server, "POST", location, driver, p_new, NULL);
  g_assert_cmpuint (r1->status, ==, 202);
  r2 = dsd_test_request (server, "POST", location, driver, p_old, NULL);
  g_assert_cmpuint (r2->status, ==, 202);
  g_assert_cmpint (json_object_get_int_member (dsd_test_response_object (r2), "accepted"), ==, 1);

  live = get_live_location (driver, driver_id, &live_response);
  g_assert_cmpfloat (json_object_get_double_member (live, "lat"), ==, 10.5);
  g_assert_cmpstr (json_object_get_string_member (live, "recorded_at"), ==, t_new);

  /* A batch out of order, all older than the live position. */
  scrambled = g_strdup_printf ("{\"points\":[%s,%s,%s]}", b1, b2, b3);
  r3 = dsd_test_request (server, "POST", location, driver, scrambled, NULL);
  g_assert_cmpuint (r3->status, ==, 202);
  g_assert_cmpint (json_object_get_int_member (dsd_test_response_object (r3), "accepted"), ==, 3);
  live = get_live_location (driver, driver_id, &live_again);
  g_assert_cmpfloat (json_object_get_double_member (live, "lat"), ==, 10.5);

  trail = get_trail (driver, driver_id, &trail_response);
  assert_time_order (trail);
  g_assert_cmpuint (count_points_at_lat (trail, 11.0), ==, 1);
  g_assert_cmpuint (count_points_at_lat (trail, 10.5), ==, 1);
  g_assert_cmpuint (count_points_at_lat (trail, 12.0), ==, 1);
  g_assert_cmpuint (count_points_at_lat (trail, 12.1), ==, 1);
  g_assert_cmpuint (count_points_at_lat (trail, 12.2), ==, 1);
}

/* 202 is sent after the commit: the points are in the trail at once. */
static void
test_acknowledged_in_trail (void)
{
  g_autofree char *driver_id = NULL;
  g_autofree char *driver = dsd_test_create_online_driver (server, 20.0, 20.0, &driver_id);
  g_autofree char *location = driver_path (driver_id, "/location");

  for (guint i = 0; i < 20; i++)
    {
      g_autoptr(GString) body = g_string_new ("{\"points\":[");
      g_autoptr(DsdTestResponse) response = NULL;
      g_autoptr(DsdTestResponse) trail_response = NULL;
      double lat = 20.0 + (i + 1) / 100.0;
      JsonArray *trail;

      for (guint j = 0; j < 5; j++)
        {
          g_autofree char *at = time_from_now (-100.0 + i * 5 + j);
          g_autofree char *point = point_json (lat, 20.0, at);

          g_string_append_printf (body, "%s%s", j ? "," : "", point);
        }
      g_string_append (body, "]}");

      response = dsd_test_request (server, "POST", location, driver, body->str, NULL);
      g_assert_cmpuint (response->status, ==, 202);
      g_assert_cmpint (json_object_get_int_member (dsd_test_response_object (response),
                                                   "accepted"), ==, 5);

      trail = get_trail (driver, driver_id, &trail_response);
      g_assert_cmpuint (count_points_at_lat (trail, lat), ==, 5);
    }
}

typedef struct {
  const char *token;
  char       *path;
  int         previous;
  int         current;
} EtaWatch;

/* The tracking object's eta_seconds is set and differs from the previous one. */
static gboolean
eta_changed (gpointer user_data)
{
  EtaWatch *watch = user_data;
  g_autoptr(DsdTestResponse) response = NULL;
  JsonNode *eta;

  response = dsd_test_request (server, "GET", watch->path, watch->token, NULL, NULL);
  g_assert_cmpuint (response->status, ==, 200);
  eta = json_object_get_member (dsd_test_response_object (response), "eta_seconds");
  watch->current = eta == NULL || JSON_NODE_HOLDS_NULL (eta) ? -1 : json_node_get_int (eta);

  return watch->current >= 0 && watch->current != watch->previous;
}

static int
wait_for_new_eta (EtaWatch *watch)
{
  g_assert_true (dsd_test_run_until (eta_changed, watch, 10000));
  watch->previous = watch->current;
  return watch->current;
}

/* As the driver approaches the pickup, the published ETA goes down. */
static void
test_eta_approach (void)
{
  const double pickup_lat = 48.137, pickup_lon = 11.575;
  g_autofree char *driver_id = NULL;
  g_autofree char *driver = dsd_test_create_online_driver (server, pickup_lat + 0.1, pickup_lon,
                                                           &driver_id);
  g_autofree char *dispatcher = dsd_test_create_user (server, "dispatcher", NULL, NULL);
  g_autofree char *location = driver_path (driver_id, "/location");
  g_autofree char *order_body = NULL;
  g_autofree char *assign_path = NULL;
  g_autofree char *assign_body = NULL;
  g_autoptr(DsdTestResponse) created = NULL;
  g_autoptr(DsdTestResponse) assigned = NULL;
  EtaWatch watch = { dispatcher, NULL, -1, -1 };
  const char *order_id;

  order_body = g_strdup_printf ("{\"pickup\":{\"lat\":%.3f,\"lon\":%.3f},"
                                "\"dropoff\":{\"lat\":48.120,\"lon\":11.600}}",
                                pickup_lat, pickup_lon);
  created = dsd_test_request (server, "POST", "/api/v1/orders", dispatcher, order_body, NULL);
  g_assert_cmpuint (created->status, ==, 201);
  order_id = dsd_test_response_string (created, "id");
  assign_path = g_strdup_printf ("/api/v1/orders/%s/assign", order_id);
  assign_body = g_strdup_printf ("{\"driver_id\":\"%s\"}", driver_id);
  assigned = dsd_test_request (server, "POST", assign_path, dispatcher, assign_body, NULL);
  g_assert_cmpuint (assigned->status, ==, 200);

  watch.path = g_strdup_printf ("/api/v1/orders/%s/tracking", order_id);
  g_test_message ("ETA at 11.1 km from the pickup: %d s", wait_for_new_eta (&watch));

  for (guint step = 1; step <= 4; step++)
    {
      g_autofree char *at = time_from_now (step);
      g_autofree char *point = NULL;
      g_autoptr(DsdTestResponse) posted = NULL;
      int before = watch.previous;

      point = point_json (pickup_lat + 0.1 - step * 0.024, pickup_lon, at);
      posted = dsd_test_request (server, "POST", location, driver, point, NULL);
      g_assert_cmpuint (posted->status, ==, 202);

      g_test_message ("ETA at %.1f km from the pickup: %d s",
                      (0.1 - step * 0.024) * 111.2, wait_for_new_eta (&watch));
      g_assert_cmpint (watch.previous, <, before);
    }

  g_free (watch.path);
}

static void
test_metrics (void)
{
  g_autoptr(DsdTestResponse) response = NULL;

  response = dsd_test_request (server, "GET", "/metrics", NULL, NULL, NULL);
  g_assert_cmpuint (response->status, ==, 200);
  g_assert_nonnull (strstr (response->text, "\ndispatch_location_points_total "));
  g_assert_nonnull (strstr (response->text, "\ndispatch_location_history_lag_seconds "));
  g_assert_nonnull (strstr (response->text, "\ndispatch_location_history_backlog_points "));
}

/* What was acknowledged survives kill -9; the live position is reloaded. */
static void
test_kill_restart (void)
{
  DsdTestServer *own = dsd_test_server_start (NULL);
  g_autofree char *driver_id = NULL;
  g_autofree char *driver = dsd_test_create_online_driver (own, 30.0, 30.0, &driver_id);
  g_autofree char *location = driver_path (driver_id, "/location");
  g_autofree char *trail_path = driver_path (driver_id, "/trail?limit=10000");
  g_autofree char *profile = driver_path (driver_id, NULL);
  g_autofree char *newest = NULL;
  g_autoptr(GPtrArray) responses = NULL;
  g_autoptr(GPtrArray) bodies = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) paths = g_ptr_array_new ();
  g_autoptr(GPtrArray) tokens = g_ptr_array_new ();
  g_autoptr(DsdTestResponse) trail = NULL;
  g_autoptr(DsdTestResponse) fetched = NULL;
  JsonObject *live;
  /* Within one trail page (at most 500 points). */
  const guint n_requests = 20, n_points = 20;

  for (guint i = 0; i < n_requests; i++)
    {
      g_autoptr(GString) body = g_string_new ("{\"points\":[");

      for (guint j = 0; j < n_points; j++)
        {
          /* After the point of create_online_driver: the newest is live. */
          g_autofree char *at = time_from_now (1.0 + (i * n_points + j) * 0.5);
          g_autofree char *point = point_json (30.0 + i / 1000.0, 30.0 + j / 1000.0, at);

          g_string_append_printf (body, "%s%s", j ? "," : "", point);
          if (i == n_requests - 1 && j == n_points - 1)
            newest = g_steal_pointer (&at);
        }
      g_string_append (body, "]}");
      g_ptr_array_add (bodies, g_string_free (g_steal_pointer (&body), FALSE));
      g_ptr_array_add (paths, location);
      g_ptr_array_add (tokens, driver);
    }

  responses = dsd_test_request_concurrently (own, "POST", (const char * const *) paths->pdata,
                                             (const char * const *) tokens->pdata,
                                             (const char * const *) bodies->pdata, n_requests);
  for (guint i = 0; i < n_requests; i++)
    g_assert_cmpuint (((DsdTestResponse *) responses->pdata[i])->status, ==, 202);

  dsd_test_server_stop (own, TRUE);
  dsd_test_server_restart (own);

  trail = dsd_test_request (own, "GET", trail_path, driver, NULL, NULL);
  g_assert_cmpuint (trail->status, ==, 200);
  /* The points of create_online_driver, and every acknowledged one. */
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (
                      dsd_test_response_object (trail), "points")), ==,
                    1 + n_requests * n_points);

  fetched = dsd_test_request (own, "GET", profile, driver, NULL, NULL);
  live = json_object_get_object_member (dsd_test_response_object (fetched), "location");
  g_assert_cmpstr (json_object_get_string_member (live, "recorded_at"), ==, newest);

  dsd_test_server_free (own);
}

typedef struct {
  guint n_answered;
  guint n_accepted;
  guint n_refused;
} Tally;

static void
tally_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  Tally *tally = user_data;
  g_autoptr(DsdTestResponse) response = dsd_test_request_finish (NULL, result);

  tally->n_answered++;
  if (response->status == 202)
    {
      tally->n_accepted++;
      return;
    }

  dsd_test_assert_error (response, 503, "unavailable", NULL);
  g_assert_nonnull (soup_message_headers_get_one (response->headers, "Retry-After"));
  tally->n_refused++;
}

static gboolean
some_refused (gpointer user_data)
{
  return ((Tally *) user_data)->n_refused > 0;
}

static gboolean
all_answered (gpointer user_data)
{
  Tally *tally = user_data;

  return tally->n_answered == MAX_BUFFERED_POINTS / POINTS_PER_REQUEST + 5;
}

/* A database that does not keep up: points beyond the bounded backlog get
 * 503 with Retry-After; those accepted are answered once it is back. */
static void
test_back_pressure (void)
{
  DsdTestServer *own = dsd_test_server_start (NULL);
  g_autofree char *driver_id = NULL;
  g_autofree char *driver = dsd_test_create_online_driver (own, 50.0, 8.0, &driver_id);
  g_autofree char *location = driver_path (driver_id, "/location");
  g_autoptr(GString) body = g_string_new ("{\"points\":[");
  const guint n_requests = MAX_BUFFERED_POINTS / POINTS_PER_REQUEST + 5;
  Tally tally = { 0 };

  for (guint j = 0; j < POINTS_PER_REQUEST; j++)
    g_string_append_printf (body, "%s{\"lat\":50.0,\"lon\":8.0}", j ? "," : "");
  g_string_append (body, "]}");

  dsd_test_server_signal_database (own, SIGSTOP);
  for (guint i = 0; i < n_requests; i++)
    dsd_test_request_async (own, "POST", location, driver, body->str, tally_cb, &tally);

  g_assert_true (dsd_test_run_until (some_refused, &tally, 60000));
  g_test_message ("%u requests answered while the database hangs, all refused",
                  tally.n_answered);
  g_assert_cmpuint (tally.n_accepted, ==, 0);

  dsd_test_server_signal_database (own, SIGCONT);
  g_assert_true (dsd_test_run_until (all_answered, &tally, 60000));
  g_test_message ("%u requests accepted, %u refused", tally.n_accepted, tally.n_refused);
  g_assert_cmpuint (tally.n_accepted, >=, MAX_BUFFERED_POINTS / POINTS_PER_REQUEST - 1);
  g_assert_cmpuint (tally.n_refused, >=, 1);

  dsd_test_server_free (own);
}

int
main (int   argc,
      char *argv[])
{
  int status;

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/live/batch-validation", test_batch_validation);
  g_test_add_func ("/live/permissions", test_permissions);
  g_test_add_func ("/live/out-of-order", test_out_of_order);
  g_test_add_func ("/live/acknowledged-in-trail", test_acknowledged_in_trail);
  g_test_add_func ("/live/eta-approach", test_eta_approach);
  g_test_add_func ("/live/metrics", test_metrics);
  g_test_add_func ("/live/kill-restart", test_kill_restart);
  g_test_add_func ("/live/back-pressure", test_back_pressure);

  server = dsd_test_server_start (NULL);
  status = g_test_run ();
  dsd_test_server_free (server);

  return status;
}
