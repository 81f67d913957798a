/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-api"

#include "dispatch-error.h"
#include "dispatch-limits.h"
#include "dispatch-zone.h"
#include "dsd-api.h"

/* Zones (admin): where orders belong and the automation settings of each
 * (data/sql/functions/14-teams.sql). */

/* {"name","geometry","auto_dispatch"?,"max_pickup_km"?,"offer_timeout_s"?}
 * as JSON text for zone_put, settings absent or null → null (the server's). */
static char *
read_zone (JsonObject  *body,
           GError     **error)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  gboolean auto_dispatch = TRUE;
  double max_pickup_km = -1;
  gint64 offer_timeout_s = -1;

  json_builder_begin_object (builder);
  if (!dsd_api_copy_string (body, NULL, "name", DISPATCH_JSON_REQUIRED | DISPATCH_JSON_NON_EMPTY,
                            DISPATCH_NAME_MAX_LENGTH, builder, error))
    return NULL;

  json_builder_set_member_name (builder, "geometry");
  if (!dispatch_zone_geometry_read (body, "geometry", builder, error) ||
      !dispatch_json_get_boolean (body, NULL, "auto_dispatch", DISPATCH_JSON_OPTIONAL,
                                  &auto_dispatch, error) ||
      !dispatch_json_get_double (body, NULL, "max_pickup_km", DISPATCH_JSON_NULLABLE, 0,
                                 DISPATCH_ZONE_MAX_PICKUP_KM, &max_pickup_km, error) ||
      !dispatch_json_get_int (body, NULL, "offer_timeout_s", DISPATCH_JSON_NULLABLE, 0,
                              DISPATCH_ZONE_MAX_OFFER_TIMEOUT_S, &offer_timeout_s, error))
    return NULL;

  if (max_pickup_km == 0)
    {
      dispatch_set_field_error (error, DISPATCH_ERROR_INVALID_ARGUMENT, "max_pickup_km",
                                "max_pickup_km must be greater than 0");
      return NULL;
    }

  json_builder_set_member_name (builder, "auto_dispatch");
  json_builder_add_boolean_value (builder, auto_dispatch);
  json_builder_set_member_name (builder, "max_pickup_km");
  if (max_pickup_km > 0)
    json_builder_add_double_value (builder, max_pickup_km);
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "offer_timeout_s");
  if (offer_timeout_s >= 0)
    json_builder_add_int_value (builder, offer_timeout_s);
  else
    json_builder_add_null_value (builder);
  json_builder_end_object (builder);

  return dsd_api_builder_to_string (builder);
}

void
dsd_api_register_zones (DsdRouter  *router,
                        DsdContext *context)
{
  static const DsdApiResource zones = {
    "/api/v1/zones", read_zone,
    "SELECT dispatch.zone_put($1::jsonb, $2, $3::jsonb)::text",
    "SELECT dispatch.zone_list($1::jsonb, $2::int, $3)::text",
    "SELECT dispatch.zone_get($1::jsonb, $2)::text",
    "SELECT dispatch.zone_delete($1::jsonb, $2)::text",
  };

  dsd_api_register_resource (router, context, &zones);
}
