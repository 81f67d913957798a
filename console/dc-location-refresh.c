/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "dc-driver.h"
#include "dc-json.h"
#include "dc-location-refresh.h"

#define PAGE_SIZE 500

typedef struct
{
  DcClient *client;
  DcStore *drivers;
  gssize moved;
} Refresh;

static void
refresh_free (Refresh *refresh)
{
  g_clear_object (&refresh->client);
  g_clear_object (&refresh->drivers);
  g_free (refresh);
}

static void request_page (GTask      *task,
                          const char *cursor);

static void
page_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Refresh *refresh = g_task_get_task_data (task);
  g_autoptr(JsonObject) page = NULL;
  g_autoptr(GError) error = NULL;
  JsonArray *drivers;
  const char *next;
  guint n;

  if (!(page = dc_client_request_finish (DC_CLIENT (object), result, &error)))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  drivers = dc_json_array (page, "drivers");
  n = drivers != NULL ? json_array_get_length (drivers) : 0;
  for (guint i = 0; i < n; i++)
    {
      JsonNode *node = json_array_get_element (drivers, i);
      JsonObject *location;
      DcEntity *driver;

      if (!JSON_NODE_HOLDS_OBJECT (node) ||
          !(location = dc_json_object (json_node_get_object (node), "location")) ||
          !(driver = dc_store_lookup (refresh->drivers,
                                      dc_json_string (json_node_get_object (node), "id"))))
        continue;

      if (dc_driver_apply_location (DC_DRIVER (driver), location))
        refresh->moved++;
    }
  dc_store_changed (refresh->drivers);

  if ((next = dc_json_string (page, "next")) != NULL)
    request_page (g_steal_pointer (&task), next);
  else
    g_task_return_int (task, refresh->moved);
}

static void
request_page (GTask      *task,
              const char *cursor)
{
  Refresh *refresh = g_task_get_task_data (task);
  g_autoptr(GString) path = g_string_new ("/api/v1/drivers?limit=");

  g_string_append_printf (path, "%d", PAGE_SIZE);
  if (cursor != NULL)
    {
      g_string_append (path, "&next=");
      g_string_append_uri_escaped (path, cursor, NULL, FALSE);
    }

  dc_client_request_async (refresh->client, "GET", path->str, NULL,
                           g_task_get_cancellable (task), page_cb, task);
}

void
dc_location_refresh_async (DcClient            *client,
                           DcStore             *drivers,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  GTask *task;
  Refresh *refresh;

  g_return_if_fail (DC_IS_CLIENT (client));
  g_return_if_fail (DC_IS_STORE (drivers));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, dc_location_refresh_async);

  refresh = g_new0 (Refresh, 1);
  refresh->client = g_object_ref (client);
  refresh->drivers = g_object_ref (drivers);
  g_task_set_task_data (task, refresh, (GDestroyNotify) refresh_free);

  request_page (task, NULL);
}

gssize
dc_location_refresh_finish (GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), -1);

  return g_task_propagate_int (G_TASK (result), error);
}
