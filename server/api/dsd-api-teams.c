/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-api"

#include "dispatch-error.h"
#include "dispatch-limits.h"
#include "dsd-api.h"

/* Teams (admin): dispatchers, drivers and zones; a dispatcher in a team sees
 * only its teams' orders and drivers (data/sql/functions/14-teams.sql). */

static const char * const member_lists[] = { "dispatchers", "drivers", "zones" };

/* An optional array of distinct ids, copied into the builder (absent: []). */
static gboolean
copy_ids (JsonObject   *body,
          const char   *member,
          JsonBuilder  *builder,
          GError      **error)
{
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  JsonArray *ids = NULL;

  if (!dispatch_json_get_array (body, NULL, member, DISPATCH_JSON_NULLABLE,
                                DISPATCH_TEAM_MAX_MEMBERS, &ids, error))
    return FALSE;

  json_builder_set_member_name (builder, member);
  json_builder_begin_array (builder);
  for (guint i = 0; ids != NULL && i < json_array_get_length (ids); i++)
    {
      JsonNode *node = json_array_get_element (ids, i);
      g_autofree char *field = dispatch_json_index_path (member, i);
      const char *id;

      if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING ||
          g_utf8_strlen (json_node_get_string (node), -1) > DISPATCH_ID_MAX_LENGTH)
        {
          dispatch_set_field_error (error, DISPATCH_ERROR_INVALID_ARGUMENT, field,
                                    "%s must be an id (a string of at most %d characters)",
                                    field, DISPATCH_ID_MAX_LENGTH);
          return FALSE;
        }

      id = json_node_get_string (node);
      if (!g_hash_table_add (seen, (gpointer) id))
        {
          dispatch_set_field_error (error, DISPATCH_ERROR_INVALID_ARGUMENT, field,
                                    "%s: %s is listed twice", field, id);
          return FALSE;
        }
      json_builder_add_string_value (builder, id);
    }
  json_builder_end_array (builder);
  return TRUE;
}

/* {"name","keep_automation"?,"dispatchers"?,"drivers"?,"zones"?} as JSON
 * text for team_put. */
static char *
read_team (JsonObject  *body,
           GError     **error)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  gboolean keep_automation = FALSE;

  json_builder_begin_object (builder);
  if (!dsd_api_copy_string (body, NULL, "name", DISPATCH_JSON_REQUIRED | DISPATCH_JSON_NON_EMPTY,
                            DISPATCH_NAME_MAX_LENGTH, builder, error) ||
      !dispatch_json_get_boolean (body, NULL, "keep_automation", DISPATCH_JSON_OPTIONAL,
                                  &keep_automation, error))
    return NULL;

  json_builder_set_member_name (builder, "keep_automation");
  json_builder_add_boolean_value (builder, keep_automation);
  for (guint i = 0; i < G_N_ELEMENTS (member_lists); i++)
    if (!copy_ids (body, member_lists[i], builder, error))
      return NULL;
  json_builder_end_object (builder);

  return dsd_api_builder_to_string (builder);
}

void
dsd_api_register_teams (DsdRouter  *router,
                        DsdContext *context)
{
  static const DsdApiResource teams = {
    "/api/v1/teams", read_team,
    "SELECT dispatch.team_put($1::jsonb, $2, $3::jsonb)::text",
    "SELECT dispatch.team_list($1::jsonb, $2::int, $3)::text",
    "SELECT dispatch.team_get($1::jsonb, $2)::text",
    "SELECT dispatch.team_delete($1::jsonb, $2)::text",
  };

  dsd_api_register_resource (router, context, &teams);
}
