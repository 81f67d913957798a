/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-live"

#include "dsd-cache.h"
#include "dsd-eta-tracker.h"
#include "dsd-fleet.h"
#include "dsd-live.h"
#include "dsd-location-ingest.h"
#include "dsd-pg-pool.h"

static void
eta_loaded_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  DsdContext *context = g_task_get_source_object (task);
  GError *error = NULL;

  if (!dsd_eta_tracker_load_finish (DSD_ETA_TRACKER (source), result, &error))
    {
      g_prefix_error (&error, "Loading the active orders failed: ");
      g_task_return_error (task, error);
      return;
    }

  dsd_location_ingest_start (dsd_context_get (context, DSD_TYPE_LOCATION_INGEST));
  g_task_return_boolean (task, TRUE);
}

static void
cache_warmed_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  DsdContext *context = g_task_get_source_object (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  GError *error = NULL;

  if (!dsd_cache_warm_finish (DSD_CACHE (source), result, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  /* After the fleet: the first ETAs need the drivers' positions. */
  dsd_eta_tracker_load_async (dsd_context_get (context, DSD_TYPE_ETA_TRACKER), cancellable,
                              eta_loaded_cb, g_steal_pointer (&task));
}

static void
fleet_loaded_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  DsdContext *context = g_task_get_source_object (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  GError *error = NULL;

  if (!dsd_fleet_load_finish (DSD_FLEET (source), result, &error))
    {
      g_prefix_error (&error, "Loading the fleet failed: ");
      g_task_return_error (task, error);
      return;
    }

  /* Positions newer than the database's (shared by the other instances and
   * not flushed yet, or of this instance before a restart) over the fleet. */
  dsd_cache_warm_async (dsd_context_get (context, DSD_TYPE_CACHE), cancellable,
                        cache_warmed_cb, g_steal_pointer (&task));
}

void
dsd_live_start_async (DsdContext          *context,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (DSD_IS_CONTEXT (context));

  task = g_task_new (context, cancellable, callback, user_data);
  g_task_set_source_tag (task, dsd_live_start_async);
  dsd_fleet_load_async (dsd_context_get (context, DSD_TYPE_FLEET),
                        dsd_context_get (context, DSD_TYPE_PG_POOL), cancellable, fleet_loaded_cb,
                        g_steal_pointer (&task));
}

gboolean
dsd_live_start_finish (GAsyncResult  *result,
                       GError       **error)
{
  g_return_val_if_fail (G_IS_TASK (result), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == dsd_live_start_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
