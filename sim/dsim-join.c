/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsim"

#include "dsim-join.h"

typedef struct {
  guint pending;
} Join;

GTask *
dsim_join_new (gpointer             source_object,
               GCancellable        *cancellable,
               GAsyncReadyCallback  callback,
               gpointer             user_data,
               gpointer             source_tag)
{
  GTask *task = g_task_new (source_object, cancellable, callback, user_data);
  Join *join = g_new0 (Join, 1);

  g_task_set_source_tag (task, source_tag);
  join->pending = 1;   /* held open by the creator until dsim_join_close() */
  g_task_set_task_data (task, join, g_free);

  return task;
}

GTask *
dsim_join_add (GTask *task)
{
  Join *join = g_task_get_task_data (task);

  join->pending++;
  return g_object_ref (task);
}

void
dsim_join_done (GTask *task)
{
  Join *join = g_task_get_task_data (task);

  g_assert (join->pending > 0);
  if (--join->pending == 0)
    g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

void
dsim_join_close (GTask *task)
{
  dsim_join_done (task);
}
