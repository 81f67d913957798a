/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "dispatch-json.h"
#include "test-server.h"

static DsdTestServer *server;

static char *
driver_path (const char *id,
             const char *suffix)
{
  return g_strdup_printf ("/api/v1/drivers/%s%s", id, suffix ? suffix : "");
}

static void
test_create (void)
{
  g_autofree char *dispatcher = dsd_test_create_user (server, "dispatcher", NULL, NULL);
  g_autofree char *customer = dsd_test_create_user (server, "customer", NULL, NULL);
  g_autoptr(DsdTestResponse) created = NULL;
  g_autoptr(DsdTestResponse) fetched = NULL;
  g_autoptr(DsdTestResponse) forbidden = NULL;
  g_autofree char *path = NULL;
  JsonObject *driver;
  static const struct {
    const char *body;
    const char *field;
  } invalid[] = {
    { "{}", "name" },
    { "{\"name\":\"Bo\",\"vehicle\":\"rocket\"}", "vehicle" },
    { "{\"name\":\"Bo\",\"capacity\":0}", "capacity" },
    { "{\"name\":\"Bo\",\"capacity\":\"2\"}", "capacity" },
    { "{\"name\":42}", "name" },
  };

  created = dsd_test_request (server, "POST", "/api/v1/drivers", dispatcher,
                              "{\"name\":\"Maria Lopez\",\"phone\":\"+49 30 1234\","
                              "\"vehicle\":\"scooter\",\"capacity\":3}", NULL);
  g_assert_cmpuint (created->status, ==, 201);
  driver = dsd_test_response_object (created);
  g_assert_cmpstr (json_object_get_string_member (driver, "name"), ==, "Maria Lopez");
  g_assert_cmpstr (json_object_get_string_member (driver, "vehicle"), ==, "scooter");
  g_assert_cmpint (json_object_get_int_member (driver, "capacity"), ==, 3);
  g_assert_false (json_object_get_boolean_member (driver, "online"));
  g_assert_cmpstr (json_object_get_string_member (driver, "state"), ==, "offline");
  g_assert_true (JSON_NODE_HOLDS_NULL (json_object_get_member (driver, "location")));
  g_assert_cmpint (json_array_get_length (json_object_get_array_member (driver,
                                                                        "active_orders")),
                   ==, 0);

  path = driver_path (json_object_get_string_member (driver, "id"), NULL);
  fetched = dsd_test_request (server, "GET", path, dispatcher, NULL, NULL);
  g_assert_cmpuint (fetched->status, ==, 200);

  forbidden = dsd_test_request (server, "POST", "/api/v1/drivers", customer,
                                "{\"name\":\"X\"}", NULL);
  dsd_test_assert_error (forbidden, 403, "permission_denied", NULL);

  for (guint i = 0; i < G_N_ELEMENTS (invalid); i++)
    {
      g_autoptr(DsdTestResponse) response = NULL;

      response = dsd_test_request (server, "POST", "/api/v1/drivers", dispatcher,
                                   invalid[i].body, NULL);
      dsd_test_assert_error (response, 400, "invalid_argument", invalid[i].field);
    }
}

static void
test_online_and_self_access (void)
{
  g_autofree char *driver_id = NULL;
  g_autofree char *driver = dsd_test_create_user (server, "driver", &driver_id, NULL);
  g_autofree char *other_id = NULL;
  g_autofree char *other = dsd_test_create_user (server, "driver", &other_id, NULL);
  g_autofree char *online = driver_path (driver_id, "/online");
  g_autofree char *other_profile = driver_path (other_id, NULL);
  g_autofree char *other_online = driver_path (other_id, "/online");
  g_autoptr(DsdTestResponse) went_online = NULL;
  g_autoptr(DsdTestResponse) bad_body = NULL;
  g_autoptr(DsdTestResponse) foreign_profile = NULL;
  g_autoptr(DsdTestResponse) foreign_online = NULL;
  g_autoptr(DsdTestResponse) list = NULL;

  went_online = dsd_test_request (server, "POST", online, driver, "{\"online\":true}", NULL);
  g_assert_cmpuint (went_online->status, ==, 200);
  g_assert_true (json_object_get_boolean_member (dsd_test_response_object (went_online),
                                                 "online"));
  g_assert_cmpstr (dsd_test_response_string (went_online, "state"), ==, "idle");

  bad_body = dsd_test_request (server, "POST", online, driver, "{\"online\":\"yes\"}", NULL);
  dsd_test_assert_error (bad_body, 400, "invalid_argument", "online");

  foreign_profile = dsd_test_request (server, "GET", other_profile, driver, NULL, NULL);
  g_assert_cmpuint (foreign_profile->status, ==, 403);
  foreign_online = dsd_test_request (server, "POST", other_online, driver, "{\"online\":true}",
                                     NULL);
  g_assert_cmpuint (foreign_online->status, ==, 403);

  list = dsd_test_request (server, "GET", "/api/v1/drivers", driver, NULL, NULL);
  dsd_test_assert_error (list, 403, "permission_denied", NULL);
}

static void
test_locations (void)
{
  g_autofree char *driver_id = NULL;
  g_autofree char *driver = dsd_test_create_online_driver (server, 48.8566, 2.3522, &driver_id);
  g_autofree char *location = driver_path (driver_id, "/location");
  g_autofree char *profile = driver_path (driver_id, NULL);
  g_autofree char *trail = driver_path (driver_id, "/trail");
  g_autofree char *now = dispatch_format_timestamp (g_get_real_time ());
  g_autofree char *earlier = dispatch_format_timestamp (g_get_real_time () - 60 * G_USEC_PER_SEC);
  g_autofree char *future = dispatch_format_timestamp (g_get_real_time () +
                                                       10 * 60 * G_USEC_PER_SEC);
  g_autofree char *batch = NULL;
  g_autofree char *old_point = NULL;
  g_autofree char *future_point = NULL;
  g_autoptr(GString) too_many = g_string_new ("{\"points\":[");
  g_autoptr(DsdTestResponse) accepted = NULL;
  g_autoptr(DsdTestResponse) stale = NULL;
  g_autoptr(DsdTestResponse) after = NULL;
  g_autoptr(DsdTestResponse) points = NULL;
  g_autoptr(DsdTestResponse) ahead = NULL;
  g_autoptr(DsdTestResponse) overflow = NULL;
  JsonObject *live;
  JsonArray *trail_points;

  batch = g_strdup_printf ("{\"points\":[{\"lat\":48.85,\"lon\":2.35,\"recorded_at\":\"%s\"},"
                           "{\"lat\":48.86,\"lon\":2.36,\"heading\":90,\"speed_mps\":5.5,"
                           "\"recorded_at\":\"%s\"}]}", earlier, now);
  accepted = dsd_test_request (server, "POST", location, driver, batch, NULL);
  g_assert_cmpuint (accepted->status, ==, 202);
  g_assert_cmpint (json_object_get_int_member (dsd_test_response_object (accepted), "accepted"),
                   ==, 2);

  /* Older than the newest known point: history only. */
  old_point = g_strdup_printf ("{\"lat\":10,\"lon\":10,\"recorded_at\":\"%s\"}", earlier);
  stale = dsd_test_request (server, "POST", location, driver, old_point, NULL);
  g_assert_cmpuint (stale->status, ==, 202);

  after = dsd_test_request (server, "GET", profile, driver, NULL, NULL);
  live = json_object_get_object_member (dsd_test_response_object (after), "location");
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (live, "lat"), 48.86, 1e-9);
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (live, "heading"), 90, 1e-9);

  points = dsd_test_request (server, "GET", trail, driver, NULL, NULL);
  g_assert_cmpuint (points->status, ==, 200);
  trail_points = json_object_get_array_member (dsd_test_response_object (points), "points");
  g_assert_cmpuint (json_array_get_length (trail_points), >=, 3);
  for (guint i = 1; i < json_array_get_length (trail_points); i++)
    {
      const char *a = json_object_get_string_member (json_array_get_object_element (trail_points,
                                                                                  i - 1),
                                                     "recorded_at");
      const char *b = json_object_get_string_member (json_array_get_object_element (trail_points,
                                                                                  i),
                                                     "recorded_at");
      g_assert_cmpstr (a, <=, b);
    }

  future_point = g_strdup_printf ("{\"lat\":1,\"lon\":1,\"recorded_at\":\"%s\"}", future);
  ahead = dsd_test_request (server, "POST", location, driver, future_point, NULL);
  dsd_test_assert_error (ahead, 422, "invalid_argument", "recorded_at");

  for (guint i = 0; i < 1001; i++)
    g_string_append_printf (too_many, "%s{\"lat\":1,\"lon\":1}", i ? "," : "");
  g_string_append (too_many, "]}");
  overflow = dsd_test_request (server, "POST", location, driver, too_many->str, NULL);
  dsd_test_assert_error (overflow, 400, "invalid_argument", "points");
}

static void
test_location_validation (void)
{
  g_autofree char *driver_id = NULL;
  g_autofree char *driver = dsd_test_create_user (server, "driver", &driver_id, NULL);
  g_autofree char *location = driver_path (driver_id, "/location");
  static const struct {
    const char *body;
    const char *field;
  } cases[] = {
    { "{\"lat\":95,\"lon\":0}", "lat" },
    { "{\"lat\":0}", "lon" },
    { "{\"lat\":0,\"lon\":0,\"heading\":400}", "heading" },
    { "{\"lat\":0,\"lon\":0,\"speed_mps\":-1}", "speed_mps" },
    { "{\"lat\":0,\"lon\":0,\"recorded_at\":\"yesterday\"}", "recorded_at" },
    { "{\"points\":[{\"lat\":0,\"lon\":0},{\"lat\":0,\"lon\":200}]}", "points[1].lon" },
    { "{\"points\":[]}", "points" },
    { "{\"points\":[1]}", "points[0]" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(DsdTestResponse) response = NULL;

      response = dsd_test_request (server, "POST", location, driver, cases[i].body, NULL);
      g_test_message ("case %u: %s → %s", i, cases[i].body, response->text);
      dsd_test_assert_error (response, 400, "invalid_argument", cases[i].field);
    }
}

static void
test_near (void)
{
  g_autofree char *dispatcher = dsd_test_create_user (server, "dispatcher", NULL, NULL);
  g_autofree char *near_id = NULL, *mid_id = NULL, *far_id = NULL;
  g_autofree char *t1 = dsd_test_create_online_driver (server, -33.8688, 151.2093, &near_id);
  g_autofree char *t2 = dsd_test_create_online_driver (server, -33.8788, 151.2093, &mid_id);
  g_autofree char *t3 = dsd_test_create_online_driver (server, -33.9688, 151.2093, &far_id);
  g_autoptr(DsdTestResponse) response = NULL;
  g_autoptr(DsdTestResponse) invalid = NULL;
  g_autoptr(DsdTestResponse) bad_state = NULL;
  JsonArray *drivers;

  response = dsd_test_request (server, "GET",
                               "/api/v1/drivers?near=-33.8688,151.2093&radius_m=3000",
                               dispatcher, NULL, NULL);
  g_assert_cmpuint (response->status, ==, 200);
  drivers = json_object_get_array_member (dsd_test_response_object (response), "drivers");
  g_assert_cmpuint (json_array_get_length (drivers), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (drivers, 0),
                                                  "id"), ==, near_id);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (drivers, 1),
                                                  "id"), ==, mid_id);

  invalid = dsd_test_request (server, "GET", "/api/v1/drivers?near=abc", dispatcher, NULL, NULL);
  dsd_test_assert_error (invalid, 400, "invalid_argument", "near");
  bad_state = dsd_test_request (server, "GET", "/api/v1/drivers?state=sleeping", dispatcher,
                                NULL, NULL);
  dsd_test_assert_error (bad_state, 400, "invalid_argument", "state");
}

int
main (int   argc,
      char *argv[])
{
  int status;

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/drivers/create", test_create);
  g_test_add_func ("/drivers/online-and-self-access", test_online_and_self_access);
  g_test_add_func ("/drivers/locations", test_locations);
  g_test_add_func ("/drivers/location-validation", test_location_validation);
  g_test_add_func ("/drivers/near", test_near);

  server = dsd_test_server_start (NULL);
  status = g_test_run ();
  dsd_test_server_free (server);

  return status;
}
