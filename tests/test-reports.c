/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <libpq-fe.h>
#include <math.h>
#include <string.h>

#include "dispatch-limits.h"
#include "dsd-pg-cluster.h"
#include "dsd-pg-pool.h"
#include "test-server.h"
#include "test-utils.h"

/*
 * Reports against figures worked out by hand (in the comments) on a small
 * history written straight into the database with fixed times, CSV checked
 * with Python's csv module; the history for replay (GET /api/v1/history)
 * against frames listed by hand.
 */

#define ANN "00000000-0000-4000-8000-00000000a001"
#define BOB "00000000-0000-4000-8000-00000000b001"
#define NORTH "00000000-0000-4000-8000-0000000020e1"
#define SOUTH "00000000-0000-4000-8000-0000000020e2"
#define TEAM_N "00000000-0000-4000-8000-0000000072e1"
#define TEAM_S "00000000-0000-4000-8000-0000000072e2"
#define EPSILON 1e-6

static DsdTestServer *server;
static char *conninfo;

static void
sql (const char *text)
{
  g_autoptr(GError) error = NULL;
  PGresult *result = dsd_pg_exec_sync (conninfo, text, 0, NULL, &error);

  g_assert_no_error (error);
  PQclear (result);
}

static char *
sql_value (const char *text)
{
  g_autoptr(GError) error = NULL;
  PGresult *result = dsd_pg_exec_sync (conninfo, text, 0, NULL, &error);
  char *value;

  g_assert_no_error (error);
  g_assert_cmpint (PQntuples (result), ==, 1);
  value = PQgetisnull (result, 0, 0) ? NULL : g_strdup (PQgetvalue (result, 0, 0));
  PQclear (result);
  return value;
}

/*
 * 2020-03-01 and 02 (UTC). Ann online 08:00–12:00 on the 1st and 22:00 on
 * the 2nd to 02:00 on the 3rd; "=Bob" 10:00–11:00 on the 1st.
 *   o1 created 09:00, Ann 09:01, picked up 09:10, delivered 09:30, promised 09:40
 *   o2 created 09:20, Ann 09:23, picked up 09:30, delivered 10:00, promised 09:50,
 *      window until 10:05 (so on time)
 *   o3 created 10:00, Bob 10:05, picked up 10:15, failed 10:40, reason "+1, \"x\"\n"
 *   o4 created 11:00, cancelled 11:10, never assigned
 *   o5 created 2nd 23:00, Ann 23:02, picked up 23:20, delivered 3rd 00:10, promised 00:20
 * o1 and o2 are in zone North, o3 in South, o4 and o5 unzoned; team N has
 * North and Ann, team S South and Bob.
 */
static void
write_history (void)
{
  sql ("INSERT INTO dispatch.zones (id, name, geometry, min_lat, min_lon, max_lat, max_lon)"
       " VALUES ('" NORTH "', 'North', '{}', 0, 0, 0, 0), ('" SOUTH "', 'South', '{}', 0, 0, 0, 0);"
       "INSERT INTO dispatch.drivers (id, name) VALUES ('" ANN "', 'Ann'), ('" BOB "', '=Bob');"
       "INSERT INTO dispatch.teams (id, name) VALUES ('" TEAM_N "', 'N'), ('" TEAM_S "', 'S');"
       "INSERT INTO dispatch.team_zones VALUES ('" TEAM_N "', '" NORTH "'),"
       " ('" TEAM_S "', '" SOUTH "');"
       "INSERT INTO dispatch.team_drivers VALUES ('" TEAM_N "', '" ANN "'),"
       " ('" TEAM_S "', '" BOB "');"
       "INSERT INTO dispatch.driver_sessions VALUES"
       " ('" ANN "', '2020-03-01T08:00Z', '2020-03-01T12:00Z'),"
       " ('" ANN "', '2020-03-02T22:00Z', '2020-03-03T02:00Z'),"
       " ('" BOB "', '2020-03-01T10:00Z', '2020-03-01T11:00Z');"
       "INSERT INTO dispatch.orders (tracking_token, pickup_lat, pickup_lon, dropoff_lat,"
       " dropoff_lon, status, status_reason, driver_id, created_at, assigned_at, picked_up_at,"
       " closed_at, promised_at) VALUES"
       " ('t1', 1, 1, 1, 1, 'delivered', NULL, '" ANN "', '2020-03-01T09:00Z',"
       "  '2020-03-01T09:01Z', '2020-03-01T09:10Z', '2020-03-01T09:30Z', '2020-03-01T09:40Z'),"
       " ('t2', 1, 1, 1, 1, 'delivered', NULL, '" ANN "', '2020-03-01T09:20Z',"
       "  '2020-03-01T09:23Z', '2020-03-01T09:30Z', '2020-03-01T10:00Z', '2020-03-01T09:50Z'),"
       " ('t3', 1, 1, 1, 1, 'failed', E'+1, \"x\"\\n', '" BOB "', '2020-03-01T10:00Z',"
       "  '2020-03-01T10:05Z', '2020-03-01T10:15Z', '2020-03-01T10:40Z', NULL),"
       " ('t4', 1, 1, 1, 1, 'cancelled', NULL, NULL, '2020-03-01T11:00Z',"
       "  NULL, NULL, '2020-03-01T11:10Z', NULL),"
       " ('t5', 1, 1, 1, 1, 'delivered', NULL, '" ANN "', '2020-03-02T23:00Z',"
       "  '2020-03-02T23:02Z', '2020-03-02T23:20Z', '2020-03-03T00:10Z', '2020-03-03T00:20Z');"
       "UPDATE dispatch.orders SET zone_id = '" NORTH "' WHERE tracking_token IN ('t1', 't2');"
       "UPDATE dispatch.orders SET zone_id = '" SOUTH "' WHERE tracking_token = 't3';"
       "UPDATE dispatch.orders SET deliver_before = '2020-03-01T10:05Z'"
       " WHERE tracking_token = 't2'");
}

static DsdTestResponse *
get (const char *path,
     const char *token)
{
  return dsd_test_request (server, "GET", path,
                           token != NULL ? token : dsd_test_server_get_admin_token (server),
                           NULL, NULL);
}

static JsonArray *
rows_of (DsdTestResponse *response)
{
  if (response->status != 200)
    g_test_message ("%s", response->text);
  g_assert_cmpuint (response->status, ==, 200);
  return json_object_get_array_member (dsd_test_response_object (response), "rows");
}

static void
assert_number (JsonObject *row,
               const char *member,
               double      expected)
{
  g_assert_true (json_object_has_member (row, member));
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (row, member), expected, EPSILON);
}

/* A p50/p90 from the histograms: within half a bucket (1/32) and the second
 * durations are cut to of the percentile_cont of the raw values. */
static void
assert_quantile (JsonObject *row,
                 const char *member,
                 double      exact)
{
  double value;

  g_assert_true (json_object_has_member (row, member));
  value = json_object_get_double_member (row, member);
  if (G_APPROX_VALUE (value, exact, ABS (exact) / 32 + 1))
    return;
  g_error ("%s: %g is not %g within its bucket", member, value, exact);
}

static void
assert_null (JsonObject *row,
             const char *member)
{
  g_assert_true (json_object_get_null_member (row, member));
}

static JsonObject *
row_of_driver (JsonArray  *rows,
               const char *driver_id)
{
  for (guint i = 0; i < json_array_get_length (rows); i++)
    {
      JsonObject *row = json_array_get_object_element (rows, i);

      if (g_strcmp0 (json_object_get_string_member_with_default (row, "driver_id", NULL),
                     driver_id) == 0)
        return row;
    }
  g_error ("no row for driver %s", driver_id);
}

static void
test_by_day (void)
{
  g_autoptr(DsdTestResponse) response =
    get ("/api/v1/reports/figures?from=2020-03-01T00:00:00Z&to=2020-03-03T00:00:00Z", NULL);
  JsonArray *rows = rows_of (response);
  JsonObject *first;
  JsonObject *second;

  g_assert_cmpstr (dsd_test_response_string (response, "group_by"), ==, "day");
  g_assert_cmpuint (json_array_get_length (rows), ==, 2);
  first = json_array_get_object_element (rows, 0);
  second = json_array_get_object_element (rows, 1);
  g_assert_cmpstr (json_object_get_string_member (first, "bucket"), ==,
                   "2020-03-01T00:00:00.000000Z");

  /* The 1st: o1–o4. */
  assert_number (first, "created", 4);
  assert_number (first, "delivered", 2);
  assert_number (first, "failed", 1);
  assert_number (first, "cancelled", 1);
  /* o1 by its ETA, o2 (10 minutes late on its ETA) by its window */
  assert_number (first, "on_time", 2);
  assert_number (first, "promised", 2);
  assert_number (first, "on_time_rate", 1);
  /* assign 60, 180, 300 s: p90 at 1.8 → 180 + 0.8 × 120 */
  assert_quantile (first, "assign_p50_s", 180);
  assert_quantile (first, "assign_p90_s", 276);
  /* pickup wait 540, 420, 600 s */
  assert_quantile (first, "pickup_wait_p50_s", 540);
  assert_quantile (first, "pickup_wait_p90_s", 588);
  /* delivery (delivered only) 1200, 1800 s */
  assert_quantile (first, "delivery_p50_s", 1500);
  assert_quantile (first, "delivery_p90_s", 1740);
  /* ETA error −600 (early), +600 (late) */
  assert_quantile (first, "eta_error_p50_s", 0);
  assert_quantile (first, "eta_error_p90_s", 480);
  /* online: Ann 4 h, Bob 1 h; busy: Ann 09:01–10:00 (o1 and o2 at once count
   * once), Bob 35 minutes */
  assert_number (first, "online_hours", 5);
  assert_number (first, "busy_hours", 94.0 / 60);
  assert_number (first, "utilisation", 94.0 / 300);

  /* The 2nd: o5, delivered after the period (busy 23:02–24:00 within it);
   * Ann online 22:00–24:00. */
  assert_number (second, "created", 1);
  assert_number (second, "delivered", 1);
  assert_number (second, "on_time_rate", 1);
  assert_quantile (second, "assign_p90_s", 120);
  assert_quantile (second, "pickup_wait_p50_s", 1080);
  assert_quantile (second, "delivery_p50_s", 3000);
  assert_quantile (second, "eta_error_p50_s", -600);
  assert_number (second, "online_hours", 2);
  assert_number (second, "busy_hours", 58.0 / 60);
  assert_number (second, "utilisation", 58.0 / 120);
}

/* From 10:00 on the 1st to 01:00 on the 3rd by day: hour rows for the
 * parts of days, day rows for the 2nd; o1 and o2 (09:00, 09:20) are left
 * out. */
static void
test_part_days (void)
{
  g_autoptr(DsdTestResponse) response =
    get ("/api/v1/reports/figures?from=2020-03-01T10:00:00Z&to=2020-03-03T01:00:00Z", NULL);
  JsonArray *rows = rows_of (response);
  JsonObject *first;
  JsonObject *third;

  g_assert_cmpuint (json_array_get_length (rows), ==, 3);
  first = json_array_get_object_element (rows, 0);
  third = json_array_get_object_element (rows, 2);
  g_assert_cmpstr (json_object_get_string_member (first, "bucket"), ==,
                   "2020-03-01T00:00:00.000000Z");
  /* o3, o4; Ann 10:00–12:00, Bob 10:00–11:00 online; Bob busy 35 minutes */
  assert_number (first, "created", 2);
  assert_number (first, "online_hours", 3);
  assert_number (first, "busy_hours", 35.0 / 60);
  assert_number (json_array_get_object_element (rows, 1), "created", 1);
  /* the 3rd until 01:00: Ann online, busy until 00:10 */
  assert_number (third, "created", 0);
  assert_number (third, "online_hours", 1);
  assert_number (third, "busy_hours", 10.0 / 60);
}

static void
test_by_hour (void)
{
  g_autoptr(DsdTestResponse) response =
    get ("/api/v1/reports/figures?from=2020-03-01T00:00:00Z&to=2020-03-02T00:00:00Z"
         "&group_by=hour", NULL);
  JsonArray *rows = rows_of (response);
  JsonObject *nine;
  JsonObject *ten;
  JsonObject *empty;

  g_assert_cmpuint (json_array_get_length (rows), ==, 24);
  nine = json_array_get_object_element (rows, 9);
  ten = json_array_get_object_element (rows, 10);
  empty = json_array_get_object_element (rows, 3);
  g_assert_cmpstr (json_object_get_string_member (nine, "bucket"), ==,
                   "2020-03-01T09:00:00.000000Z");
  assert_number (nine, "created", 2);
  assert_quantile (nine, "assign_p50_s", 120);
  /* Ann 1 h online; o1 and o2 hold her 09:01–10:00 */
  assert_number (nine, "online_hours", 1);
  assert_number (nine, "busy_hours", 59.0 / 60);
  /* 10:00: Ann and Bob online, o3 busy 35 minutes */
  assert_number (ten, "created", 1);
  assert_number (ten, "online_hours", 2);
  assert_number (ten, "busy_hours", 35.0 / 60);
  assert_number (empty, "created", 0);
  assert_number (empty, "online_hours", 0);
  assert_null (empty, "on_time_rate");
  assert_null (empty, "assign_p50_s");
  assert_null (empty, "utilisation");
}

/* 48 hours: two full pages of DISPATCH_REPORT_PAGE_BUCKETS, then an empty one. */
static void
test_pages (void)
{
  g_autoptr(DsdTestResponse) response =
    get ("/api/v1/reports/figures?from=2020-03-01T00:00:00Z&to=2020-03-03T00:00:00Z"
         "&group_by=hour", NULL);
  JsonArray *rows = rows_of (response);
  JsonObject *last;

  g_assert_cmpuint (json_array_get_length (rows), ==, 2 * DISPATCH_REPORT_PAGE_BUCKETS);
  assert_number (json_array_get_object_element (rows, 9), "created", 2);
  last = json_array_get_object_element (rows, 47);
  g_assert_cmpstr (json_object_get_string_member (last, "bucket"), ==,
                   "2020-03-02T23:00:00.000000Z");
  assert_number (last, "created", 1);
  assert_number (last, "online_hours", 1);
}

static void
test_by_driver (void)
{
  g_autoptr(DsdTestResponse) response =
    get ("/api/v1/reports/figures?from=2020-03-01T00:00:00Z&to=2020-03-03T00:00:00Z"
         "&group_by=driver", NULL);
  JsonArray *rows = rows_of (response);
  JsonObject *ann = row_of_driver (rows, ANN);
  JsonObject *bob = row_of_driver (rows, BOB);
  JsonObject *nobody = row_of_driver (rows, NULL);

  g_assert_cmpuint (json_array_get_length (rows), ==, 3);
  g_assert_cmpstr (json_object_get_string_member (ann, "driver_name"), ==, "Ann");
  assert_number (ann, "created", 3);
  assert_number (ann, "delivered", 3);
  assert_number (ann, "on_time", 3);
  /* 4 h + 2 h online, 59 + 58 minutes busy */
  assert_number (ann, "online_hours", 6);
  assert_number (ann, "busy_hours", 117.0 / 60);
  assert_number (ann, "utilisation", 117.0 / 360);
  assert_number (bob, "failed", 1);
  assert_number (bob, "online_hours", 1);
  assert_number (bob, "busy_hours", 35.0 / 60);
  assert_number (nobody, "created", 1);
  assert_number (nobody, "cancelled", 1);
  assert_number (nobody, "online_hours", 0);
}

static JsonObject *
row_with (JsonArray  *rows,
          const char *member,
          const char *value)
{
  for (guint i = 0; i < json_array_get_length (rows); i++)
    {
      JsonObject *row = json_array_get_object_element (rows, i);

      if (g_strcmp0 (json_object_get_string_member_with_default (row, member, NULL), value) == 0)
        return row;
    }
  g_error ("no row with %s %s", member, value);
}

/* By day and zone: North holds o1, o2 (the 1st), South o3, unzoned o4 and o5;
 * no driver time by zone. */
static void
test_by_day_and_zone (void)
{
  g_autoptr(DsdTestResponse) response =
    get ("/api/v1/reports/figures?from=2020-03-01T00:00:00Z&to=2020-03-03T00:00:00Z"
         "&group_by=day,zone", NULL);
  JsonArray *rows = rows_of (response);
  JsonObject *north = row_with (rows, "zone_id", NORTH);
  JsonObject *south = row_with (rows, "zone_id", SOUTH);
  JsonObject *unzoned = json_array_get_object_element (rows, 2);

  g_assert_cmpstr (dsd_test_response_string (response, "group_by"), ==, "day,zone");
  /* the 1st: North, South, unzoned (o4); the 2nd: unzoned (o5) */
  g_assert_cmpuint (json_array_get_length (rows), ==, 4);
  g_assert_cmpstr (json_object_get_string_member (north, "zone_name"), ==, "North");
  assert_number (north, "created", 2);
  assert_number (north, "on_time_rate", 1);
  assert_quantile (north, "assign_p50_s", 120);
  assert_null (north, "online_hours");
  assert_null (north, "utilisation");
  assert_number (south, "failed", 1);
  assert_null (south, "on_time_rate");
  assert_quantile (south, "assign_p90_s", 300);
  assert_null (unzoned, "zone_id");
  assert_number (unzoned, "cancelled", 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (rows, 3),
                                                  "bucket"), ==,
                   "2020-03-02T00:00:00.000000Z");
}

/* By team over the whole period: N's orders (North) and Ann's time, S's
 * (South) and Bob's; unzoned orders are in no team. */
static void
test_by_team (void)
{
  g_autoptr(DsdTestResponse) response =
    get ("/api/v1/reports/figures?from=2020-03-01T00:00:00Z&to=2020-03-03T00:00:00Z"
         "&group_by=team&format=json", NULL);
  JsonArray *rows = rows_of (response);
  JsonObject *n = row_with (rows, "team_id", TEAM_N);
  JsonObject *s = row_with (rows, "team_id", TEAM_S);

  g_assert_cmpuint (json_array_get_length (rows), ==, 2);
  assert_null (n, "bucket");
  g_assert_cmpstr (json_object_get_string_member (n, "team_name"), ==, "N");
  assert_number (n, "created", 2);
  assert_number (n, "delivered", 2);
  assert_number (n, "online_hours", 6);
  assert_number (n, "busy_hours", 117.0 / 60);
  assert_number (s, "created", 1);
  assert_number (s, "online_hours", 1);
  assert_number (s, "busy_hours", 35.0 / 60);
  assert_number (s, "utilisation", 35.0 / 60);
}

/* A dispatcher of team S sees South's orders and Bob's time only, by any
 * grouping. */
static void
test_scoped (void)
{
  g_autofree char *token = dsd_test_create_user (server, "dispatcher", NULL, NULL);
  g_autoptr(DsdTestResponse) by_day = NULL;
  g_autoptr(DsdTestResponse) by_driver = NULL;
  g_autoptr(DsdTestResponse) by_team = NULL;
  JsonArray *rows;
  JsonObject *first;

  sql ("INSERT INTO dispatch.team_dispatchers SELECT '" TEAM_S "', id FROM dispatch.users"
       " WHERE role = 'dispatcher' ORDER BY created_at DESC LIMIT 1");
  by_day = get ("/api/v1/reports/figures?from=2020-03-01T00:00:00Z&to=2020-03-03T00:00:00Z",
                token);
  rows = rows_of (by_day);
  first = json_array_get_object_element (rows, 0);
  assert_number (first, "created", 1);
  assert_number (first, "failed", 1);
  assert_number (first, "online_hours", 1);
  assert_number (first, "busy_hours", 35.0 / 60);
  assert_number (json_array_get_object_element (rows, 1), "created", 0);

  by_driver = get ("/api/v1/reports/figures?from=2020-03-01T00:00:00Z"
                   "&to=2020-03-03T00:00:00Z&group_by=driver", token);
  rows = rows_of (by_driver);
  g_assert_cmpuint (json_array_get_length (rows), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (rows, 0),
                                                  "driver_id"), ==, BOB);

  by_team = get ("/api/v1/reports/figures?from=2020-03-01T00:00:00Z"
                 "&to=2020-03-03T00:00:00Z&group_by=day,team", token);
  rows = rows_of (by_team);
  g_assert_cmpuint (json_array_get_length (rows), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (rows, 0),
                                                  "team_id"), ==, TEAM_S);
}

/* The summary as its triggers keep it equals the one made from the tables
 * (dispatch.report_summary_rebuild) after orders end (one driver's at
 * overlapping times), a session changes and a zone goes (its orders become
 * unzoned): counts, histograms (non-zero buckets), time to the millisecond. */
#define NORMAL_SUMMARY(table) \
  "SELECT unit, start_at, dim, key, created, delivered, failed, cancelled, on_time, promised," \
  " (SELECT string_agg(i || ':' || h[i], ',' ORDER BY i) FROM generate_subscripts(h, 1) i" \
  "  WHERE h[i] <> 0) AS a, (SELECT string_agg(i || ':' || p[i], ',' ORDER BY i)" \
  "  FROM generate_subscripts(p, 1) i WHERE p[i] <> 0) AS p," \
  " (SELECT string_agg(i || ':' || d[i], ',' ORDER BY i) FROM generate_subscripts(d, 1) i" \
  "  WHERE d[i] <> 0) AS d, (SELECT string_agg(i || ':' || e[i], ',' ORDER BY i)" \
  "  FROM generate_subscripts(e, 1) i WHERE e[i] <> 0) AS e," \
  " round(online_s::numeric, 3) AS o, round(busy_s::numeric, 3) AS b" \
  " FROM (SELECT s.*, s.assign_hist AS h, s.pickup_hist AS p, s.delivery_hist AS d," \
  "        s.eta_hist AS e FROM " table " s) s" \
  " WHERE (created, delivered, failed, cancelled, on_time, promised) <> (0, 0, 0, 0, 0, 0)" \
  "  OR round(online_s::numeric, 3) <> 0 OR round(busy_s::numeric, 3) <> 0"

static void
test_summary_matches_raw (void)
{
  g_autofree char *differ = NULL;
  g_autofree char *ended = NULL;

  sql ("INSERT INTO dispatch.orders (tracking_token, pickup_lat, pickup_lon, dropoff_lat,"
       " dropoff_lon, status, driver_id, zone_id, created_at, assigned_at)"
       " SELECT 'm' || i, 1, 1, 1, 1, 'assigned', '" BOB "', '" SOUTH "',"
       "  '2020-03-05T10:00Z'::timestamptz + i * interval '7 min',"
       "  '2020-03-05T10:00Z'::timestamptz + i * interval '9 min'"
       " FROM generate_series(1, 20) i;"
       "UPDATE dispatch.orders SET status = 'picked_up',"
       " picked_up_at = assigned_at + interval '5 min' WHERE tracking_token LIKE 'm%';"
       "UPDATE dispatch.orders SET status = CASE WHEN tracking_token LIKE '%3' THEN 'failed'"
       "  ELSE 'delivered' END, closed_at = assigned_at + interval '31 min',"
       " promised_at = assigned_at + interval '30 min' WHERE tracking_token LIKE 'm%';"
       "UPDATE dispatch.driver_sessions SET online_until = online_until + interval '1 h'"
       " WHERE driver_id = '" BOB "';"
       "DELETE FROM dispatch.zones WHERE id = '" SOUTH "'");
  ended = sql_value ("SELECT count(*) FROM dispatch.report_summary"
                     " WHERE dim = 'z' AND unit = 'day' AND start_at = '2020-03-05'"
                     " AND created = 20 AND failed = 2");
  g_assert_cmpstr (ended, ==, "1");
  differ = sql_value ("CREATE TEMP TABLE kept AS " NORMAL_SUMMARY ("dispatch.report_summary") ";"
                      "SELECT dispatch.report_summary_rebuild();"
                      "WITH rebuilt AS (" NORMAL_SUMMARY ("dispatch.report_summary") ")"
                      " SELECT count(*) FROM ((TABLE rebuilt EXCEPT TABLE kept)"
                      " UNION ALL (TABLE kept EXCEPT TABLE rebuilt)) x");
  g_assert_cmpstr (differ, ==, "0");
}

/* Python's csv module, strict, parses text; the records as a JSON array. */
static JsonArray *
parse_csv (const char *text)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) python = NULL;
  g_autofree char *out = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();

  python = g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE,
                             &error, "python3", "-c",
                             "import csv, io, json, sys\n"
                             "data = sys.stdin.buffer.read().decode('utf-8')\n"
                             "assert data.endswith('\\r\\n')\n"
                             "rows = list(csv.reader(io.StringIO(data, newline=''), strict=True))\n"
                             "assert len({len(r) for r in rows}) == 1, 'ragged'\n"
                             "json.dump(rows, sys.stdout)\n",
                             NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (python, text, NULL, &out, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_successful (python));
  g_assert_true (json_parser_load_from_data (parser, out, -1, &error));
  return json_array_ref (json_node_get_array (json_parser_get_root (parser)));
}

static int
column (JsonArray  *records,
        const char *name)
{
  JsonArray *header = json_array_get_array_element (records, 0);

  for (guint i = 0; i < json_array_get_length (header); i++)
    if (g_str_equal (json_array_get_string_element (header, i), name))
      return i;
  g_error ("no column %s", name);
}

static const char *
cell (JsonArray  *records,
      guint       record,
      const char *name)
{
  return json_array_get_string_element (json_array_get_array_element (records, record),
                                        column (records, name));
}

static void
assert_streamed_csv (DsdTestResponse *response)
{
  g_assert_cmpuint (response->status, ==, 200);
  g_assert_cmpstr (soup_message_headers_get_content_type (response->headers, NULL), ==,
                   "text/csv");
  g_assert_cmpint (soup_message_headers_get_encoding (response->headers), ==,
                   SOUP_ENCODING_CHUNKED);
}

static void
test_figures_csv (void)
{
  g_autoptr(DsdTestResponse) response =
    get ("/api/v1/reports/figures?from=2020-03-01T00:00:00Z&to=2020-03-03T00:00:00Z"
         "&group_by=driver&format=csv", NULL);
  g_autoptr(JsonArray) records = NULL;
  gboolean seen_bob = FALSE;

  assert_streamed_csv (response);
  records = parse_csv (response->text);
  g_assert_cmpuint (json_array_get_length (records), ==, 4);
  g_assert_cmpint (column (records, "driver_name"), ==, 2);
  g_assert_cmpint (column (records, "utilisation"), ==, 20);
  for (guint i = 1; i < 4; i++)
    if (g_strcmp0 (cell (records, i, "driver_id"), BOB) == 0)
      {
        /* A formula in a name is shown, not run; numbers stay numbers. */
        g_assert_cmpstr (cell (records, i, "driver_name"), ==, "'=Bob");
        g_assert_cmpstr (cell (records, i, "failed"), ==, "1");
        seen_bob = TRUE;
      }
  g_assert_true (seen_bob);
}

static void
test_orders_csv (void)
{
  g_autoptr(DsdTestResponse) response = NULL;
  g_autoptr(JsonArray) records = NULL;
  g_autoptr(GHashTable) ids = g_hash_table_new (g_str_hash, g_str_equal);
  guint n_orders = 2 * DISPATCH_EXPORT_BATCH_ROWS + 3;
  g_autofree char *fill = g_strdup_printf (
    "INSERT INTO dispatch.orders (tracking_token, pickup_lat, pickup_lon, dropoff_lat,"
    " dropoff_lon, created_at, notes)"
    " SELECT 'f' || i, 1, 1, 1, 1, '2021-01-01T00:00Z'::timestamptz + (i / 3) * interval '1 s',"
    " 'fill' FROM generate_series(1, %u) i", n_orders);
  const char *headers[] = { "Accept", "text/csv", NULL };

  /* Three orders per second: pages cut between equal times. */
  sql (fill);
  response = dsd_test_request_raw (server, "GET",
                                   "/api/v1/reports/orders?from=2021-01-01T00:00:00Z"
                                   "&to=2021-01-02T00:00:00Z",
                                   dsd_test_server_get_admin_token (server), NULL, NULL,
                                   headers);
  assert_streamed_csv (response);
  records = parse_csv (response->text);
  g_assert_cmpuint (json_array_get_length (records), ==, n_orders + 1);
  for (guint i = 1; i <= n_orders; i++)
    g_hash_table_add (ids, (gpointer) cell (records, i, "id"));
  g_assert_cmpuint (g_hash_table_size (ids), ==, n_orders);
  g_assert_cmpstr (cell (records, 1, "created_at"), ==, "2021-01-01T00:00:00.000000Z");

  /* Quotes, commas and line breaks survive; the leading + is guarded. */
  g_clear_pointer (&response, dsd_test_response_free);
  g_clear_pointer (&records, json_array_unref);
  response = get ("/api/v1/reports/orders?from=2020-03-01T10:00:00Z&to=2020-03-01T10:00:01Z",
                  NULL);
  assert_streamed_csv (response);
  records = parse_csv (response->text);
  g_assert_cmpuint (json_array_get_length (records), ==, 2);
  g_assert_cmpstr (cell (records, 1, "status"), ==, "failed");
  g_assert_cmpstr (cell (records, 1, "status_reason"), ==, "'+1, \"x\"\n");
  g_assert_cmpstr (cell (records, 1, "driver_id"), ==, BOB);
  g_assert_cmpstr (cell (records, 1, "closed_at"), ==, "2020-03-01T10:40:00.000000Z");
}

/* The triggers keep promised_at (first ETA) and the online sessions. */
static void
test_kept_history (void)
{
  g_autofree char *driver_id = NULL;
  g_autofree char *token = dsd_test_create_online_driver (server, 1, 1, &driver_id);
  g_autofree char *online = g_strdup_printf ("/api/v1/drivers/%s/online", driver_id);
  g_autofree char *open_sql = g_strdup_printf (
    "SELECT count(*) FILTER (WHERE online_until IS NULL) || '/' || count(*)"
    " FROM dispatch.driver_sessions WHERE driver_id = '%s'", driver_id);
  g_autoptr(DsdTestResponse) offline = NULL;
  g_autofree char *open_before = sql_value (open_sql);
  g_autofree char *open_after = NULL;
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;

  g_assert_cmpstr (open_before, ==, "1/1");
  offline = dsd_test_request (server, "POST", online, token, "{\"online\":false}", NULL);
  g_assert_cmpuint (offline->status, ==, 200);
  open_after = sql_value (open_sql);
  g_assert_cmpstr (open_after, ==, "0/1");

  sql ("INSERT INTO dispatch.orders (id, tracking_token, pickup_lat, pickup_lon, dropoff_lat,"
       " dropoff_lon) VALUES ('00000000-0000-4000-8000-0000000e7a01', 'e', 1, 1, 1, 1);"
       "UPDATE dispatch.orders SET eta_seconds = 600"
       " WHERE id = '00000000-0000-4000-8000-0000000e7a01'");
  first = sql_value ("SELECT extract(epoch FROM promised_at - now()) BETWEEN 0 AND 600"
                     " FROM dispatch.orders WHERE id = '00000000-0000-4000-8000-0000000e7a01'");
  g_assert_cmpstr (first, ==, "t");
  sql ("UPDATE dispatch.orders SET eta_seconds = 6000"
       " WHERE id = '00000000-0000-4000-8000-0000000e7a01'");
  second = sql_value ("SELECT extract(epoch FROM promised_at - now()) <= 600"
                      " FROM dispatch.orders WHERE id = '00000000-0000-4000-8000-0000000e7a01'");
  g_assert_cmpstr (second, ==, "t");
}

static gboolean
metrics_show_cb (gpointer user_data)
{
  g_autoptr(DsdTestResponse) response = get ("/metrics", NULL);

  return response->status == 200 && strstr (response->text, user_data) != NULL;
}

/* /metrics: one order assigned and picked up lands in both histograms. */
static void
test_metrics_histograms (void)
{
  g_autofree char *driver_id = NULL;
  g_autofree char *driver = dsd_test_create_online_driver (server, 1, 1, &driver_id);
  g_autofree char *assign_body = g_strdup_printf ("{\"driver_id\":\"%s\"}", driver_id);
  g_autofree char *assign = NULL;
  g_autofree char *status = NULL;
  g_autoptr(DsdTestResponse) created = NULL;
  g_autoptr(DsdTestResponse) assigned = NULL;
  g_autoptr(DsdTestResponse) picked = NULL;
  const char *admin = dsd_test_server_get_admin_token (server);

  created = dsd_test_request (server, "POST", "/api/v1/orders", admin,
                              "{\"pickup\":{\"lat\":1,\"lon\":1},"
                              "\"dropoff\":{\"lat\":1.01,\"lon\":1}}", NULL);
  g_assert_cmpuint (created->status, ==, 201);
  assign = g_strdup_printf ("/api/v1/orders/%s/assign", dsd_test_response_string (created, "id"));
  status = g_strdup_printf ("/api/v1/orders/%s/status", dsd_test_response_string (created, "id"));
  assigned = dsd_test_request (server, "POST", assign, admin, assign_body, NULL);
  g_assert_cmpuint (assigned->status, ==, 200);
  picked = dsd_test_request (server, "POST", status, driver, "{\"status\":\"picked_up\"}",
                             NULL);
  g_assert_cmpuint (picked->status, ==, 200);

  g_assert_true (dsd_test_poll_until (metrics_show_cb,
                                      "dispatch_order_time_to_assign_seconds_count 1\n",
                                      50, 30000));
  g_assert_true (dsd_test_poll_until (metrics_show_cb,
                                      "dispatch_order_pickup_wait_seconds_count 1\n",
                                      50, 30000));
  g_assert_true (metrics_show_cb ("dispatch_order_pickup_wait_seconds_bucket{le=\"+Inf\"} 1\n"));
}

#define FIGURES "/api/v1/reports/figures"

/* endpoint?query gets 400 naming field. */
static void
assert_refused (const char *endpoint,
                const char *query,
                const char *field)
{
  g_autofree char *path = g_strconcat (endpoint, "?", query, NULL);
  g_autoptr(DsdTestResponse) response = get (path, NULL);

  dsd_test_assert_error (response, 400, "invalid_argument", field);
}

static void
test_bad_requests (void)
{
  g_autofree char *dispatcher = dsd_test_create_user (server, "dispatcher", NULL, NULL);
  g_autofree char *customer = dsd_test_create_user (server, "customer", NULL, NULL);
  g_autoptr(DsdTestResponse) staff = NULL;
  g_autoptr(DsdTestResponse) refused = NULL;

  assert_refused (FIGURES, "to=2020-03-02T00:00:00Z", "from");
  assert_refused (FIGURES, "from=yesterday&to=2020-03-02T00:00:00Z", "from");
  assert_refused (FIGURES, "from=2020-03-02T00:00:00Z&to=2020-03-01T00:00:00Z", "to");
  assert_refused (FIGURES, "from=2020-01-01T00:00:00Z&to=2021-01-02T00:00:00Z", "to");
  assert_refused (FIGURES, "from=2020-01-01T00:00:00Z&to=2020-02-02T00:00:00Z&group_by=hour",
                  "to");
  assert_refused (FIGURES, "from=2020-01-01T00:00:00Z&to=2020-01-02T00:00:00Z&group_by=hour,day",
                  "group_by");
  assert_refused (FIGURES, "from=2020-01-01T00:00:00Z&to=2020-01-02T00:00:00Z&group_by=zone,team",
                  "group_by");
  assert_refused (FIGURES,
                  "from=2020-01-01T00:00:00Z&to=2020-01-02T00:00:00Z&group_by=day,zone,x",
                  "group_by");
  assert_refused (FIGURES, "from=2020-01-01T00:30:00Z&to=2020-01-02T00:00:00Z", "from");
  assert_refused (FIGURES, "from=2020-01-01T00:00:00Z&to=2020-01-02T00:00:01Z", "to");
  assert_refused (FIGURES, "from=2020-01-01T00:00:00Z&to=2020-01-02T00:00:00Z&group_by=week",
                  "group_by");
  assert_refused (FIGURES, "from=2020-01-01T00:00:00Z&to=2020-01-02T00:00:00Z&format=xml",
                  "format");

  staff = get ("/api/v1/reports/figures?from=2020-03-01T00:00:00Z&to=2020-03-02T00:00:00Z",
               dispatcher);
  g_assert_cmpuint (staff->status, ==, 200);
  refused = get ("/api/v1/reports/orders?from=2020-03-01T00:00:00Z&to=2020-03-02T00:00:00Z",
                 customer);
  dsd_test_assert_error (refused, 403, "permission_denied", NULL);
}

/* The five pickups of the history are all at (1, 1): one cell of about
 * 500 × 500 m holding it; a period without orders has none; bad cells. */
static void
test_demand (void)
{
  g_autoptr(DsdTestResponse) response =
    get ("/api/v1/reports/demand?from=2020-03-01T00:00:00Z&to=2020-03-04T00:00:00Z", NULL);
  g_autoptr(DsdTestResponse) coarse =
    get ("/api/v1/reports/demand?from=2020-03-01T00:00:00Z&to=2020-03-02T00:00:00Z"
         "&cell=5000", NULL);
  g_autoptr(DsdTestResponse) empty =
    get ("/api/v1/reports/demand?from=2021-03-01T00:00:00Z&to=2021-03-02T00:00:00Z", NULL);
  static const char * const bad[] = { "10", "50001", "1.5", "x", "" };
  JsonObject *body;
  JsonArray *cells, *bbox;

  g_assert_cmpuint (response->status, ==, 200);
  body = dsd_test_response_object (response);
  g_assert_cmpint (json_object_get_int_member (body, "cell_m"), ==, 500);
  g_assert_cmpint (json_object_get_int_member (body, "total"), ==, 5);
  g_assert_false (json_object_get_boolean_member (body, "truncated"));
  g_assert_cmpstr (json_object_get_string_member (body, "from"), ==,
                   "2020-03-01T00:00:00.000000Z");
  cells = json_object_get_array_member (body, "cells");
  g_assert_cmpuint (json_array_get_length (cells), ==, 1);
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (cells, 0),
                                               "count"), ==, 5);
  bbox = json_object_get_array_member (json_array_get_object_element (cells, 0), "bbox");
  g_assert_cmpfloat (json_array_get_double_element (bbox, 0), <=, 1);
  g_assert_cmpfloat (json_array_get_double_element (bbox, 2), >, 1);
  g_assert_cmpfloat (json_array_get_double_element (bbox, 1), <=, 1);
  g_assert_cmpfloat (json_array_get_double_element (bbox, 3), >, 1);
  /* 500 m of latitude, and of longitude at 1° N */
  g_assert_cmpfloat_with_epsilon (json_array_get_double_element (bbox, 2) -
                                  json_array_get_double_element (bbox, 0), 500 / 111320.0, 1e-5);
  g_assert_cmpfloat_with_epsilon (json_array_get_double_element (bbox, 3) -
                                  json_array_get_double_element (bbox, 1),
                                  500 / (111320.0 * cos (G_PI / 180)), 1e-4);

  /* o1–o4, created on the 1st */
  g_assert_cmpuint (coarse->status, ==, 200);
  g_assert_cmpint (json_object_get_int_member (dsd_test_response_object (coarse), "total"), ==,
                   4);

  g_assert_cmpuint (empty->status, ==, 200);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (
                      dsd_test_response_object (empty), "cells")), ==, 0);

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *path = g_strdup_printf ("/api/v1/reports/demand?"
                                               "from=2020-03-01T00:00:00Z"
                                               "&to=2020-03-02T00:00:00Z&cell=%s", bad[i]);
      g_autoptr(DsdTestResponse) refused = get (path, NULL);

      dsd_test_assert_error (refused, 400, "invalid_argument", "cell");
    }
  {
    g_autoptr(DsdTestResponse) refused = get ("/api/v1/reports/demand?to=2020-03-02T00:00:00Z",
                                              NULL);

    dsd_test_assert_error (refused, 400, "invalid_argument", "from");
  }
}

/* History (GET /api/v1/history) -------------------------------------------- */

#define H1 "00000000-0000-4000-8000-0000000000c1"
#define H2 "00000000-0000-4000-8000-0000000000c2"
#define H3 "00000000-0000-4000-8000-0000000000c3"
#define HISTORY "/api/v1/history"
#define HISTORY_PERIOD "from=2019-06-01T10:00:00Z&to=2019-06-01T10:30:00Z"

/* The JSON of order id in its events: status, driver (NULL: none). */
static char *
event_data (const char *id,
            const char *status,
            const char *driver)
{
  return g_strdup_printf ("'{\"id\":\"%s\",\"status\":\"%s\",\"driver_id\":%s%s%s,"
                          "\"eta_seconds\":%d,\"pickup\":{\"lat\":1,\"lon\":2,\"address\":null},"
                          "\"dropoff\":{\"lat\":3,\"lon\":4,\"address\":null}}'",
                          id, status, driver != NULL ? "\"" : "",
                          driver != NULL ? driver : "null", driver != NULL ? "\"" : "",
                          g_random_int_range (60, 600));
}

static void
write_event (const char *type,
             const char *at,
             const char *id,
             const char *status,
             const char *driver)
{
  g_autofree char *data = event_data (id, status, driver);
  g_autofree char *text = g_strdup_printf (
    "INSERT INTO dispatch.outbox (type, order_id, actor, occurred_at, data)"
    " VALUES ('%s', '%s', 'system', '2019-06-01T%sZ', %s)", type, id, at, data);

  sql (text);
}

/*
 * 2019-06-01, replayed 10:00–10:30 (every frame in the comment of
 * test_history_frames):
 *   H3 created 09:00, delivered by Ann 09:40 (closed before the period)
 *   H1 created 09:50, Ann 09:55, picked up 10:00:10, delivered 10:00:30
 *   H2 created 10:00:15, an ETA change 10:00:16, cancelled 10:00:40
 *   Ann at 10:00:01, :04, :12, :19 and 10:25; Bob at 09:59:59, 10:00:05, 10:30
 */
static void
write_replay_history (void)
{
  sql ("INSERT INTO dispatch.orders (id, tracking_token, pickup_lat, pickup_lon, dropoff_lat,"
       " dropoff_lon, status, driver_id, created_at, closed_at) VALUES"
       " ('" H1 "', 'h1', 1, 2, 3, 4, 'delivered', '" ANN "', '2019-06-01T09:50Z',"
       "  '2019-06-01T10:00:30Z'),"
       " ('" H2 "', 'h2', 1, 2, 3, 4, 'cancelled', NULL, '2019-06-01T10:00:15Z',"
       "  '2019-06-01T10:00:40Z'),"
       " ('" H3 "', 'h3', 1, 2, 3, 4, 'delivered', '" ANN "', '2019-06-01T09:00Z',"
       "  '2019-06-01T09:40Z');"
       "INSERT INTO dispatch.driver_locations (driver_id, recorded_at, lat, lon) VALUES"
       " ('" ANN "', '2019-06-01T10:00:01Z', 50.01, 10),"
       " ('" ANN "', '2019-06-01T10:00:04Z', 50.04, 10),"
       " ('" ANN "', '2019-06-01T10:00:12Z', 50.12, 10),"
       " ('" ANN "', '2019-06-01T10:00:19Z', 50.19, 10),"
       " ('" ANN "', '2019-06-01T10:25:00Z', 52.5, 10),"
       " ('" BOB "', '2019-06-01T09:59:59Z', 49, 11),"
       " ('" BOB "', '2019-06-01T10:00:05Z', 50.05, 11),"
       " ('" BOB "', '2019-06-01T10:30:00Z', 53, 11)");
  write_event ("order.created", "09:00:00", H3, "pending", NULL);
  write_event ("order.updated", "09:40:00", H3, "delivered", ANN);
  write_event ("order.created", "09:50:00", H1, "pending", NULL);
  write_event ("order.assigned", "09:55:00", H1, "assigned", ANN);
  write_event ("order.updated", "09:55:00", H1, "assigned", ANN);
  write_event ("order.updated", "10:00:10", H1, "picked_up", ANN);
  write_event ("order.created", "10:00:15", H2, "pending", NULL);
  write_event ("order.updated", "10:00:16", H2, "pending", NULL);
  write_event ("order.updated", "10:00:30", H1, "delivered", ANN);
  write_event ("order.updated", "10:00:40", H2, "cancelled", NULL);
}

static const char *
label_of (const char *id)
{
  static const char * const labels[][2] = {
    { ANN, "Ann" }, { BOB, "Bob" }, { H1, "H1" }, { H2, "H2" }, { H3, "H3" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (labels); i++)
    if (g_strcmp0 (id, labels[i][0]) == 0)
      return labels[i][1];
  return "-";
}

/* "HH:MM:SS type who [status]" of one frame. */
static char *
frame_summary (JsonObject *frame)
{
  const char *t = json_object_get_string_member (frame, "t");
  const char *type = json_object_get_string_member (frame, "type");
  const char *driver = json_object_get_string_member_with_default (frame, "driver_id", NULL);

  g_assert_cmpuint (strlen (t), ==, strlen ("2019-06-01T10:00:00.000000Z"));
  if (g_str_equal (type, "position"))
    return g_strdup_printf ("%.8s position %s", t + 11, label_of (driver));
  return g_strdup_printf ("%.8s order %s %s %s", t + 11,
                          label_of (json_object_get_string_member (frame, "order_id")),
                          json_object_get_string_member (frame, "status"), label_of (driver));
}

static JsonArray *
history_frames (DsdTestResponse *response)
{
  if (response->status != 200)
    g_test_message ("%s", response->text);
  g_assert_cmpuint (response->status, ==, 200);
  return json_object_get_array_member (dsd_test_response_object (response), "frames");
}

static void
assert_frames (JsonArray          *frames,
               const char * const *expected)
{
  guint n = json_array_get_length (frames);

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *summary = frame_summary (json_array_get_object_element (frames, i));

      g_assert_nonnull (expected[i]);
      g_assert_cmpstr (summary, ==, expected[i]);
    }
  g_assert_null (expected[n]);
}

static void
test_history_frames (void)
{
  static const char * const expected[] = {
    "10:00:00 order H1 assigned Ann",    /* open at from, in its state then */
    "10:00:00 position Bob",             /* last seen 09:59:59 */
    "10:00:04 position Ann",             /* the last of 10:00:00–10:00:10 */
    "10:00:05 position Bob",
    "10:00:10 order H1 picked_up Ann",
    "10:00:15 order H2 pending -",       /* its ETA change at :16 changes nothing drawn */
    "10:00:19 position Ann",
    "10:00:30 order H1 delivered Ann",
    "10:00:40 order H2 cancelled -",
    "10:25:00 position Ann",             /* a later slice of the period */
    NULL,
  };
  g_autoptr(DsdTestResponse) response = get (HISTORY "?" HISTORY_PERIOD, NULL);
  g_autoptr(DsdTestResponse) every = get (HISTORY "?" HISTORY_PERIOD "&step_s=1", NULL);
  JsonObject *first = NULL;
  JsonArray *frames = history_frames (response);
  guint positions = 0;

  g_assert_cmpint (json_object_get_int_member (dsd_test_response_object (response), "step_s"),
                   ==, DISPATCH_HISTORY_STEP_S);
  assert_frames (frames, expected);
  first = json_array_get_object_element (frames, 0);
  g_assert_cmpfloat (json_object_get_double_member (json_object_get_object_member (first,
                                                                                   "dropoff"),
                                                    "lat"), ==, 3);

  /* One position a second: every point of the period. */
  frames = history_frames (every);
  for (guint i = 0; i < json_array_get_length (frames); i++)
    positions += g_str_equal (json_object_get_string_member (
                                json_array_get_object_element (frames, i), "type"), "position");
  g_assert_cmpuint (positions, ==, 7);
}

/* Pages of 2 frames, each after the last key of the one before, give the
 * frames of the whole answer, in order. */
static void
test_history_pages (void)
{
  g_autoptr(DsdTestResponse) response = get (HISTORY "?" HISTORY_PERIOD, NULL);
  JsonArray *frames = history_frames (response);
  g_autofree char *after = NULL;
  guint n = 0;

  for (;;)
    {
      g_autoptr(GError) error = NULL;
      PGresult *page = dsd_pg_exec_sync (
        conninfo, "SELECT frame::text, key FROM dispatch.history_page('{\"role\":\"admin\"}',"
        " '2019-06-01T10:00Z', '2019-06-01T10:30Z', 10, $1, 2)", 1,
        (const char * const[]) { after }, &error);
      int rows;

      g_assert_no_error (error);
      rows = PQntuples (page);
      for (int r = 0; r < rows; r++)
        {
          g_autoptr(JsonNode) expected = json_node_copy (json_array_get_element (frames, n++));
          g_autoptr(JsonNode) got = json_from_string (PQgetvalue (page, r, 0), NULL);

          g_assert_true (json_node_equal (expected, got));
          g_free (after);
          after = g_strdup (PQgetvalue (page, r, 1));
        }
      PQclear (page);
      if (rows < 2)
        break;
    }
  g_assert_cmpuint (n, ==, json_array_get_length (frames));
}

static void
test_history_bad_requests (void)
{
  assert_refused (HISTORY, "to=2019-06-01T10:00:00Z", "from");
  assert_refused (HISTORY, "from=2019-06-01T10:00:00Z", "to");
  assert_refused (HISTORY, "from=an+hour+ago&to=2019-06-01T10:00:00Z", "from");
  assert_refused (HISTORY, "from=2019-06-01T10:00:00Z&to=2019-06-01T25:00:00Z", "to");
  assert_refused (HISTORY, "from=2019-06-01T10:00:00Z&to=2019-06-01T09:00:00Z", "to");
  assert_refused (HISTORY, "from=2019-06-01T10:00:00Z&to=2019-06-01T10:00:00Z", "to");
  assert_refused (HISTORY, "from=2019-06-01T10:00:00Z&to=2019-06-02T10:00:01Z", "to");
  assert_refused (HISTORY, HISTORY_PERIOD "&step_s=0", "step_s");
  assert_refused (HISTORY, HISTORY_PERIOD "&step_s=601", "step_s");
  assert_refused (HISTORY, HISTORY_PERIOD "&step_s=1.5", "step_s");
  assert_refused (HISTORY, HISTORY_PERIOD "&step_s=", "step_s");
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(DsdPgCluster) cluster = NULL;
  int status;

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/reports/by-day", test_by_day);
  g_test_add_func ("/reports/by-hour", test_by_hour);
  g_test_add_func ("/reports/part-days", test_part_days);
  g_test_add_func ("/reports/by-driver", test_by_driver);
  g_test_add_func ("/reports/pages", test_pages);
  g_test_add_func ("/reports/by-day-and-zone", test_by_day_and_zone);
  g_test_add_func ("/reports/by-team", test_by_team);
  g_test_add_func ("/reports/scoped", test_scoped);
  g_test_add_func ("/reports/figures-csv", test_figures_csv);
  g_test_add_func ("/reports/orders-csv", test_orders_csv);
  g_test_add_func ("/reports/kept-history", test_kept_history);
  g_test_add_func ("/reports/bad-requests", test_bad_requests);
  g_test_add_func ("/reports/demand", test_demand);
  g_test_add_func ("/reports/metrics-histograms", test_metrics_histograms);
  g_test_add_func ("/reports/history-frames", test_history_frames);
  g_test_add_func ("/reports/history-pages", test_history_pages);
  g_test_add_func ("/reports/history-bad-requests", test_history_bad_requests);
  g_test_add_func ("/reports/summary-matches-raw", test_summary_matches_raw);

  server = dsd_test_server_start (NULL);
  cluster = dsd_pg_cluster_new (dsd_test_server_get_data_dir (server));
  conninfo = g_strdup (dsd_pg_cluster_get_conninfo (cluster));
  write_history ();
  write_replay_history ();
  status = g_test_run ();
  dsd_test_server_free (server);
  g_free (conninfo);

  return status;
}
