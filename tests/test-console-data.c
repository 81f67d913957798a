/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <dispatch-json.h>

#include "test-console-data.h"

/* The notional "now" of the snapshot file. */
#define SNAPSHOT_NOW "2026-11-22T10:00:00Z"

static void
rebase_times (JsonNode *node,
              gint64    shift)
{
  if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);

      for (guint i = 0; i < json_array_get_length (array); i++)
        rebase_times (json_array_get_element (array, i), shift);
    }
  else if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObject *object = json_node_get_object (node);
      g_autoptr(GList) members = json_object_get_members (object);

      for (GList *l = members; l != NULL; l = l->next)
        {
          JsonNode *child = json_object_get_member (object, l->data);
          gint64 usec;

          if (g_str_has_suffix (l->data, "_at") && JSON_NODE_HOLDS_VALUE (child) &&
              dispatch_parse_timestamp (json_node_get_string (child), &usec))
            {
              g_autofree char *moved = dispatch_format_timestamp (usec + shift);

              json_object_set_string_member (object, l->data, moved);
            }
          else
            rebase_times (child, shift);
        }
    }
}

JsonObject *
test_console_load_snapshot (void)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "data", "console-snapshot.json",
                                                 NULL);
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = NULL;
  JsonObject *snapshot;
  gint64 reference;
  gsize length;

  g_file_get_contents (path, &text, &length, &error);
  g_assert_no_error (error);
  snapshot = dispatch_json_parse_object (text, length, &error);
  g_assert_no_error (error);

  g_assert_true (dispatch_parse_timestamp (SNAPSHOT_NOW, &reference));
  node = json_node_init_object (json_node_alloc (), snapshot);
  rebase_times (node, g_get_real_time () - reference);

  return snapshot;
}

char *
test_console_to_text (JsonObject *object)
{
  g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), object);

  return dispatch_json_to_string (node, NULL);
}
