/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <json-glib/json-glib.h>

#include "dispatch-limits.h"

/* Schemas of what clients send: every maxLength, maxItems and maximum in them
 * must be one of dispatch_limits[]. */
static const char * const input_schemas[] = {
  "/components/schemas/TokenRequest", "/components/schemas/UserCreate",
  "/components/schemas/LocationPoint", "/components/schemas/LocationBatch",
  "/components/schemas/DriverCreate", "/components/schemas/PlaceInput",
  "/components/schemas/Contact", "/components/schemas/OrderItemInput",
  "/components/schemas/OrderCreate", "/components/schemas/AssignRequest",
  "/components/schemas/StatusRequest", "/components/schemas/ReasonRequest",
  "/components/schemas/InventoryPut", "/components/schemas/WebhookCreate",
  "/components/schemas/ZoneInput", "/components/schemas/ZonePolygon",
  "/components/schemas/ZoneMultiPolygon", "/components/schemas/ZoneRing",
  "/components/schemas/TeamInput",
  "/components/parameters/Sku", "/components/parameters/IdempotencyKey",
  "/paths/~1api~1v1~1orders/get/parameters/1",
  "/paths/~1api~1v1~1history/get/parameters/2",
};

/* Bounds of the coordinate system, not limits of ours */
static const char * const geographic_members[] = { "lat", "lon", "heading", NULL };

static JsonNode *
load_openapi (void)
{
  g_autofree char *path = g_build_filename (g_getenv ("DISPATCH_TEST_TOP_SRCDIR"), "docs",
                                            "openapi.json", NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  g_assert_true (json_parser_load_from_file (parser, path, &error));
  g_assert_no_error (error);

  return json_node_ref (json_parser_get_root (parser));
}

/* pointer: RFC 6901, e.g. "/paths/~1api~1v1~1orders/get/parameters/1" */
static JsonObject *
lookup (JsonNode   *root,
        const char *pointer)
{
  g_auto(GStrv) steps = g_strsplit (pointer + 1, "/", -1);
  JsonNode *node = root;

  for (guint i = 0; steps[i] != NULL; i++)
    {
      g_autoptr(GString) step = g_string_new (steps[i]);
      JsonObject *object;

      g_string_replace (step, "~1", "/", 0);
      g_string_replace (step, "~0", "~", 0);

      if (JSON_NODE_HOLDS_ARRAY (node))
        {
          JsonArray *array = json_node_get_array (node);
          guint64 index = g_ascii_strtoull (step->str, NULL, 10);

          g_assert_cmpuint (index, <, json_array_get_length (array));
          node = json_array_get_element (array, index);
          continue;
        }

      g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
      object = json_node_get_object (node);
      if (!json_object_has_member (object, step->str))
        g_error ("%s: docs/openapi.json has no %s", pointer, step->str);
      node = json_object_get_member (object, step->str);
    }

  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  return json_node_get_object (node);
}

static void
test_table_in_openapi (void)
{
  g_autoptr(JsonNode) root = load_openapi ();
  guint n = 0;

  for (const DispatchLimit *limit = dispatch_limits; limit->pointer != NULL; limit++, n++)
    {
      const char *keyword = dispatch_limit_kind_keyword (limit->kind);
      JsonObject *schema = lookup (root, limit->pointer);

      if (!json_object_has_member (schema, keyword))
        g_error ("%s has no %s (the code allows %g)", limit->pointer, keyword, limit->value);
      if (json_object_get_double_member (schema, keyword) != limit->value)
        g_error ("%s: %s is %g in docs/openapi.json, %g in the code", limit->pointer, keyword,
                 json_object_get_double_member (schema, keyword), limit->value);
    }

  g_assert_cmpuint (n, >, 30);
}

static gboolean
in_table (const char *pointer,
          const char *keyword)
{
  for (const DispatchLimit *limit = dispatch_limits; limit->pointer != NULL; limit++)
    {
      if (g_str_equal (limit->pointer, pointer) &&
          g_str_equal (dispatch_limit_kind_keyword (limit->kind), keyword))
        return TRUE;
    }

  return FALSE;
}

static void
check_schema (JsonObject *schema,
              const char *pointer,
              const char *member)
{
  static const char * const keywords[] = { "maxLength", "maxItems", "maximum" };
  g_autoptr(GList) names = NULL;
  JsonObject *properties;

  for (guint i = 0; i < G_N_ELEMENTS (keywords); i++)
    {
      if (!json_object_has_member (schema, keywords[i]) ||
          (g_str_equal (keywords[i], "maximum") && member != NULL &&
           g_strv_contains (geographic_members, member)))
        continue;
      if (!in_table (pointer, keywords[i]))
        g_error ("%s: the %s of docs/openapi.json is not in dispatch_limits[]", pointer,
                 keywords[i]);
    }

  if (json_object_has_member (schema, "schema"))
    {
      g_autofree char *inner = g_strconcat (pointer, "/schema", NULL);

      check_schema (json_object_get_object_member (schema, "schema"), inner, member);
    }

  if (!json_object_has_member (schema, "properties"))
    return;

  properties = json_object_get_object_member (schema, "properties");
  names = json_object_get_members (properties);
  for (GList *l = names; l != NULL; l = l->next)
    {
      g_autofree char *inner = g_strconcat (pointer, "/properties/", l->data, NULL);
      JsonNode *node = json_object_get_member (properties, l->data);

      if (JSON_NODE_HOLDS_OBJECT (node))
        check_schema (json_node_get_object (node), inner, l->data);
    }
}

static void
test_openapi_in_table (void)
{
  g_autoptr(JsonNode) root = load_openapi ();

  for (guint i = 0; i < G_N_ELEMENTS (input_schemas); i++)
    check_schema (lookup (root, input_schemas[i]), input_schemas[i], NULL);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/limits/table-in-openapi", test_table_in_openapi);
  g_test_add_func ("/limits/openapi-in-table", test_openapi_in_table);

  return g_test_run ();
}
