/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-api"

#include <errno.h>
#include <math.h>

#include "dispatch-limits.h"
#include "dispatch-location.h"
#include "dispatch-model.h"
#include "dsd-api.h"
#include "dsd-cache.h"
#include "dsd-fleet.h"
#include "dsd-location-ingest.h"
#include "dsd-location-scanner.h"
#include "dsd-pg-pool.h"

#define DEFAULT_NEAR_RADIUS_M 5000.0
#define DEFAULT_TRAIL_LIMIT 1000
#define MAX_TRAIL_LIMIT 10000

static const char create_sql[] =
  "SELECT dispatch.driver_create($1::jsonb, $2::jsonb)::text";
static const char get_sql[] =
  "SELECT dispatch.driver_get($1::jsonb, $2)::text";
static const char list_sql[] =
  "SELECT dispatch.driver_list($1::jsonb, $2, $3::float8, $4::float8, $5::float8, $6::int, $7)"
  "::text";
static const char near_live_sql[] =
  "SELECT dispatch.driver_list_near($1, $2::float8, $3::float8, $4::float8, $5::int, $6,"
  " dispatch.scope_filter_drivers($8::jsonb, $7::uuid[]))::text";
static const char online_sql[] =
  "SELECT dispatch.driver_set_online($1::jsonb, $2, $3::boolean)::text";
static const char trail_sql[] =
  "SELECT dispatch.driver_trail($1::jsonb, $2, $3::timestamptz, $4::timestamptz, $5::int)::text";
static const char access_sql[] =
  "SELECT dispatch.driver_access($1::jsonb, $2, 'report a driver''s location')::text";
static const char offers_sql[] =
  "SELECT dispatch.driver_offers($1::jsonb, $2)::text";
static const char route_sql[] =
  "SELECT dispatch.driver_route($1::jsonb, $2)::text";

static void
create_driver_cb (DsdRequest *request,
                  gpointer    user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autofree char *actor = dsd_request_dup_actor_json (request);
  g_autofree char *body_text = NULL;
  const char *vehicle = "car";
  gint64 capacity = 1;
  JsonObject *body;

  body = dsd_request_get_json_object (request, &error);
  json_builder_begin_object (builder);
  if (body == NULL ||
      !dsd_api_copy_string (body, NULL, "name", DISPATCH_JSON_REQUIRED,
                            DISPATCH_NAME_MAX_LENGTH, builder, &error) ||
      !dsd_api_copy_string (body, NULL, "phone", DISPATCH_JSON_OPTIONAL,
                            DISPATCH_PHONE_MAX_LENGTH, builder, &error) ||
      !dispatch_json_get_enum (body, NULL, "vehicle", DISPATCH_JSON_NULLABLE,
                               dispatch_enum_names (DISPATCH_TYPE_VEHICLE), &vehicle,
                               &error) ||
      !dispatch_json_get_int (body, NULL, "capacity", DISPATCH_JSON_NULLABLE, 1,
                              DISPATCH_DRIVER_MAX_CAPACITY,
                              &capacity, &error) ||
      !dsd_api_copy_double (body, NULL, "max_weight_kg", DISPATCH_DRIVER_MIN_LOAD_LIMIT,
                            DISPATCH_DRIVER_MAX_WEIGHT_KG, builder, &error) ||
      !dsd_api_copy_double (body, NULL, "max_volume_l", DISPATCH_DRIVER_MIN_LOAD_LIMIT,
                            DISPATCH_DRIVER_MAX_VOLUME_L, builder, &error))
    {
      dsd_request_respond_error (request, error);
      return;
    }

  json_builder_set_member_name (builder, "vehicle");
  json_builder_add_string_value (builder, vehicle);
  json_builder_set_member_name (builder, "capacity");
  json_builder_add_int_value (builder, capacity);
  json_builder_end_object (builder);
  body_text = dsd_api_builder_to_string (builder);

  dsd_api_respond_query (request, user_data, 201, create_sql, 2,
                         (const char * const[]) { actor, body_text });
}

static void
get_driver_cb (DsdRequest *request,
               gpointer    user_data)
{
  g_autofree char *actor = dsd_request_dup_actor_json (request);

  dsd_api_respond_query (request, user_data, 200, get_sql, 2,
                         (const char * const[]) { actor, dsd_request_get_param (request, "id") });
}

static gboolean
parse_finite (const char *text,
              double      min,
              double      max,
              double     *out)
{
  char *end = NULL;

  errno = 0;
  *out = g_ascii_strtod (text, &end);
  return errno == 0 && end != text && *end == '\0' && isfinite (*out) &&
         *out >= min && *out <= max;
}

/* ?near=LAT,LON&radius_m=R; FALSE with error when malformed, TRUE with
 * *out_near FALSE when absent. */
static gboolean
read_near (DsdRequest  *request,
           gboolean    *out_near,
           double      *out_lat,
           double      *out_lon,
           double      *out_radius,
           GError     **error)
{
  const char *near = dsd_request_get_query (request, "near");
  const char *radius_text = dsd_request_get_query (request, "radius_m");
  g_auto(GStrv) parts = NULL;

  *out_near = near != NULL;
  *out_radius = DEFAULT_NEAR_RADIUS_M;
  if (near == NULL)
    {
      if (radius_text != NULL)
        {
          dispatch_set_field_error (error, DISPATCH_ERROR_INVALID_ARGUMENT, "radius_m",
                                    "radius_m needs near");
          return FALSE;
        }
      return TRUE;
    }

  parts = g_strsplit (near, ",", -1);
  if (g_strv_length (parts) != 2 ||
      !parse_finite (parts[0], -90, 90, out_lat) || !parse_finite (parts[1], -180, 180, out_lon))
    {
      dispatch_set_field_error (error, DISPATCH_ERROR_INVALID_ARGUMENT, "near",
                                "near must be LAT,LON with lat within [-90, 90] "
                                "and lon within [-180, 180]");
      return FALSE;
    }

  if (radius_text != NULL &&
      !parse_finite (radius_text, 1, DISPATCH_NEAR_MAX_RADIUS_M, out_radius))
    {
      dispatch_set_field_error (error, DISPATCH_ERROR_INVALID_ARGUMENT, "radius_m",
                                "radius_m must be a number within [1, %.0f]",
                                DISPATCH_NEAR_MAX_RADIUS_M);
      return FALSE;
    }

  return TRUE;
}

/* A near list waiting for the shared live positions. */
typedef struct {
  DsdRequest *request;
  DsdContext *context;
  char       *params[6];   /* state, lat, lon, radius, limit, next */
} NearList;

static void
near_list_free (NearList *list)
{
  dsd_request_unref (list->request);
  for (guint i = 0; i < G_N_ELEMENTS (list->params); i++)
    g_free (list->params[i]);
  g_free (list);
}

/* ids: the drivers with a fresh position in the radius, from Redis; NULL:
 * none shared (or Redis down), every driver's position in PostgreSQL. */
static void
near_found_cb (const char * const *ids,
               gpointer            user_data)
{
  NearList *list = user_data;
  char **p = list->params;
  g_autofree char *actor = dsd_request_dup_actor_json (list->request);

  if (ids != NULL)
    {
      g_autofree char *joined = g_strjoinv (",", (char **) ids);
      g_autofree char *array = g_strconcat ("{", joined, "}", NULL);

      /* (a dispatcher scoped to teams: of these, its teams' drivers) */
      dsd_api_respond_query (list->request, list->context, 200, near_live_sql, 8,
                             (const char * const[]) { p[0], p[1], p[2], p[3], p[4], p[5],
                                                      array, actor });
    }
  else
    {
      dsd_api_respond_query (list->request, list->context, 200, list_sql, 7,
                             (const char * const[]) { actor, p[0], p[1], p[2], p[3], p[4],
                                                      p[5] });
    }
  near_list_free (list);
}

static void
list_drivers_cb (DsdRequest *request,
                 gpointer    user_data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *actor = dsd_request_dup_actor_json (request);
  g_autofree char *limit_text = NULL;
  const char *state = dsd_request_get_query (request, "state");
  DispatchDriverState parsed;
  gboolean near;
  double lat = 0, lon = 0, radius;
  NearList *list;
  int limit;

  if (state != NULL && !dispatch_driver_state_from_string (state, &parsed))
    {
      const char * const *names = dispatch_enum_names (DISPATCH_TYPE_DRIVER_STATE);
      g_autofree char *allowed = g_strjoinv (", ", (char **) names);

      dispatch_set_field_error (&error, DISPATCH_ERROR_INVALID_ARGUMENT, "state",
                                "state must be one of %s", allowed);
    }

  if (error != NULL ||
      !dsd_api_get_limit (request, &limit, &error) ||
      !read_near (request, &near, &lat, &lon, &radius, &error))
    {
      dsd_request_respond_error (request, error);
      return;
    }

  limit_text = g_strdup_printf ("%d", limit);
  if (!near)
    {
      dsd_api_respond_query (request, user_data, 200, list_sql, 7,
                             (const char * const[]) {
                               actor, state, NULL, NULL, NULL, limit_text,
                               dsd_request_get_query (request, "next"),
                             });
      return;
    }

  list = g_new0 (NearList, 1);
  list->request = dsd_request_ref (request);
  list->context = user_data;
  list->params[0] = g_strdup (state);
  list->params[1] = g_strdup_printf ("%.9f", lat);
  list->params[2] = g_strdup_printf ("%.9f", lon);
  list->params[3] = g_strdup_printf ("%.3f", radius);
  list->params[4] = g_steal_pointer (&limit_text);
  list->params[5] = g_strdup (dsd_request_get_query (request, "next"));
  dsd_cache_near (dsd_context_get (user_data, DSD_TYPE_CACHE), lat, lon, radius, near_found_cb,
                  list);
}

static void
set_online_cb (DsdRequest *request,
               gpointer    user_data)
{
  dsd_api_respond_id_flag (request, user_data, "online", online_sql);
}

/* One point, or {"points":[…]}: validated, normalised (recorded_at set).
 * Plain bodies take the fast scanner; the others, errors included, the
 * strict parser. */
static GArray *
read_points (DsdRequest  *request,
             GError     **error)
{
  gint64 now_us = g_get_real_time ();
  JsonObject *body;
  GArray *scanned;
  const char *data;
  gsize size;

  if (!dsd_request_check_json_body (request, error))
    return NULL;

  data = g_bytes_get_data (dsd_request_get_body (request), &size);
  scanned = dsd_location_scan (data, size, DISPATCH_LOCATION_BATCH_MAX_POINTS, now_us);
  if (scanned != NULL)
    return scanned;

  if ((body = dsd_request_get_json_object (request, error)) == NULL)
    return NULL;

  return dispatch_location_points_from_body (body, DISPATCH_LOCATION_BATCH_MAX_POINTS, now_us,
                                             error);
}

typedef struct {
  DsdRequest *request;
  DsdContext *context;
  GArray     *points;
} LocationPost;

static void
location_post_free (LocationPost *post)
{
  dsd_request_unref (post->request);
  g_array_unref (post->points);
  g_free (post);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LocationPost, location_post_free)

static void
points_committed_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(LocationPost) post = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *body = NULL;
  guint accepted;

  accepted = dsd_location_ingest_submit_finish (DSD_LOCATION_INGEST (source), result, &error);
  if (error != NULL)
    {
      dsd_request_respond_error (post->request, error);
      return;
    }

  body = g_strdup_printf ("{\"accepted\":%u}", accepted);
  dsd_request_respond_json_text (post->request, 202, body, -1);
}

/* Answered once the points are committed (ingest group commit): a 202
 * acknowledges only what a crash cannot take back. */
static void
submit_points (LocationPost         *post,
               const DsdFleetDriver *driver)
{
  DsdLocationIngest *ingest = dsd_context_get (post->context, DSD_TYPE_LOCATION_INGEST);
  const DispatchLocationPoint *points = (const DispatchLocationPoint *) post->points->data;
  guint n_points = post->points->len;

  dsd_location_ingest_submit_async (ingest, driver->id, points, n_points, NULL,
                                    points_committed_cb, post);
}

static void
driver_fetched_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(LocationPost) post = user_data;
  g_autoptr(GError) error = NULL;
  const DsdFleetDriver *driver;

  driver = dsd_fleet_fetch_finish (DSD_FLEET (source), result, &error);
  if (driver == NULL)
    {
      dsd_request_respond_error (post->request, error);
      return;
    }

  submit_points (g_steal_pointer (&post), driver);
}

/* The points to the driver of the route, from the fleet or the database. */
static void
submit_to_driver (LocationPost *post)
{
  DsdFleet *fleet = dsd_context_get (post->context, DSD_TYPE_FLEET);
  const char *id = dsd_request_get_param (post->request, "id");
  const DsdFleetDriver *driver;

  if ((driver = dsd_fleet_lookup (fleet, id)) != NULL)
    submit_points (post, driver);
  else
    dsd_fleet_fetch_async (fleet, dsd_context_get (post->context, DSD_TYPE_PG_POOL), id, NULL,
                           driver_fetched_cb, post);
}

static void
access_checked_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(LocationPost) post = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) rows = NULL;

  rows = dsd_pg_pool_query_finish (DSD_PG_POOL (source), result, &error);
  if (rows == NULL)
    {
      dsd_request_respond_error (post->request, error);
      return;
    }

  submit_to_driver (g_steal_pointer (&post));
}

/* The fast path (server/live/): no SQL call per request (but one for a
 * dispatcher, who may be scoped to teams). The router lets only staff and
 * drivers in; a driver may report only its own position. */
static void
record_locations_cb (DsdRequest *request,
                     gpointer    user_data)
{
  DsdContext *context = user_data;
  const DsdPrincipal *principal = dsd_request_get_principal (request);
  const char *id = dsd_request_get_param (request, "id");
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) points = read_points (request, &error);
  LocationPost *post;

  if (points == NULL)
    {
      dsd_request_respond_error (request, error);
      return;
    }

  if (principal->role == DSD_ROLE_DRIVER &&
      (principal->driver_id == NULL || g_ascii_strcasecmp (principal->driver_id, id) != 0))
    {
      g_set_error_literal (&error, DISPATCH_ERROR, DISPATCH_ERROR_PERMISSION_DENIED,
                           "only staff and the driver itself may report a driver's location");
      dsd_request_respond_error (request, error);
      return;
    }

  post = g_new0 (LocationPost, 1);
  post->request = dsd_request_ref (request);
  post->context = context;
  post->points = g_steal_pointer (&points);

  /* A dispatcher may be scoped to teams: the database says whether it sees
   * the driver. */
  if (principal->role == DSD_ROLE_DISPATCHER)
    {
      g_autofree char *actor = dsd_request_dup_actor_json (request);

      dsd_pg_pool_query_async (dsd_context_get (context, DSD_TYPE_PG_POOL), access_sql, 2,
                               (const char * const[]) { actor, id }, NULL, access_checked_cb,
                               post);
      return;
    }

  submit_to_driver (post);
}

static void
trail_cb (DsdRequest *request,
          gpointer    user_data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *actor = dsd_request_dup_actor_json (request);
  g_autofree char *from = NULL;
  g_autofree char *to = NULL;
  g_autofree char *limit_text = NULL;
  const char *limit_query = dsd_request_get_query (request, "limit");
  gint64 limit = DEFAULT_TRAIL_LIMIT;

  if (limit_query != NULL &&
      (!g_ascii_string_to_signed (limit_query, 10, G_MININT64, G_MAXINT64, &limit, NULL) ||
       limit <= 0))
    dispatch_set_field_error (&error, DISPATCH_ERROR_INVALID_ARGUMENT, "limit",
                              "limit must be a positive integer");

  if (error != NULL ||
      !dsd_api_get_time_query (request, "from", &from, &error) ||
      !dsd_api_get_time_query (request, "to", &to, &error))
    {
      dsd_request_respond_error (request, error);
      return;
    }

  limit_text = g_strdup_printf ("%" G_GINT64_FORMAT, MIN (limit, MAX_TRAIL_LIMIT));
  dsd_api_respond_query (request, user_data, 200, trail_sql, 5,
                         (const char * const[]) {
                           actor, dsd_request_get_param (request, "id"), from, to, limit_text
                         });
}

static void
offers_cb (DsdRequest *request,
           gpointer    user_data)
{
  g_autofree char *actor = dsd_request_dup_actor_json (request);

  dsd_api_respond_query (request, user_data, 200, offers_sql, 2,
                         (const char * const[]) { actor, dsd_request_get_param (request, "id") });
}

/* GET /drivers/{id}/route: the driver's stops in driving order (docs/trips.md). */
static void
route_cb (DsdRequest *request,
          gpointer    user_data)
{
  g_autofree char *actor = dsd_request_dup_actor_json (request);

  dsd_api_respond_query (request, user_data, 200, route_sql, 2,
                         (const char * const[]) { actor, dsd_request_get_param (request, "id") });
}

void
dsd_api_register_drivers (DsdRouter  *router,
                          DsdContext *context)
{
  const guint self_or_staff = DSD_ROLES_STAFF | DSD_ROLE_DRIVER;

  dsd_router_add (router, "POST", "/api/v1/drivers", DSD_ROLES_STAFF, create_driver_cb, context);
  dsd_router_add (router, "GET", "/api/v1/drivers", DSD_ROLES_STAFF, list_drivers_cb, context);
  dsd_router_add (router, "GET", "/api/v1/drivers/{id}", self_or_staff, get_driver_cb, context);
  dsd_router_add (router, "POST", "/api/v1/drivers/{id}/online", self_or_staff,
                  set_online_cb, context);
  dsd_router_add (router, "POST", "/api/v1/drivers/{id}/location", self_or_staff,
                  record_locations_cb, context);
  dsd_router_add (router, "GET", "/api/v1/drivers/{id}/trail", self_or_staff, trail_cb, context);
  dsd_router_add (router, "GET", "/api/v1/drivers/{id}/offers", self_or_staff,
                  offers_cb, context);
  dsd_router_add (router, "GET", "/api/v1/drivers/{id}/route", self_or_staff,
                  route_cb, context);
}
