/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-live"

#include "dispatch-json.h"
#include "dsd-location-positions.h"
#include "dsd-sql-array.h"

#define N_PARAMS 7

struct _DsdLocationPositions {
  /* driver id → its newest DispatchLocationPoint */
  GHashTable *newest;
};

DsdLocationPositions *
dsd_location_positions_new (void)
{
  DsdLocationPositions *self = g_new0 (DsdLocationPositions, 1);

  self->newest = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return self;
}

void
dsd_location_positions_free (DsdLocationPositions *self)
{
  g_clear_pointer (&self->newest, g_hash_table_unref);
  g_free (self);
}

void
dsd_location_positions_add (DsdLocationPositions        *self,
                            const char                  *driver_id,
                            const DispatchLocationPoint *points,
                            guint                        n_points)
{
  const DispatchLocationPoint *newest = NULL;
  DispatchLocationPoint *kept;

  g_return_if_fail (self != NULL);
  g_return_if_fail (driver_id != NULL);
  g_return_if_fail (n_points == 0 || points != NULL);

  for (guint i = 0; i < n_points; i++)
    {
      if (newest == NULL || points[i].recorded_at_us > newest->recorded_at_us)
        newest = &points[i];
    }
  if (newest == NULL)
    return;

  if ((kept = g_hash_table_lookup (self->newest, driver_id)) == NULL)
    g_hash_table_insert (self->newest, g_strdup (driver_id), g_memdup2 (newest, sizeof *newest));
  else if (newest->recorded_at_us > kept->recorded_at_us)
    *kept = *newest;
}

GStrv
dsd_location_positions_params (DsdLocationPositions *self)
{
  GString *arrays[N_PARAMS];
  GStrv params = g_new0 (char *, N_PARAMS + 1);
  GHashTableIter iter;
  gpointer id, value;

  g_return_val_if_fail (self != NULL, NULL);

  for (guint i = 0; i < N_PARAMS; i++)
    arrays[i] = g_string_new (NULL);

  g_hash_table_iter_init (&iter, self->newest);
  while (g_hash_table_iter_next (&iter, &id, &value))
    {
      const DispatchLocationPoint *point = value;
      g_autofree char *recorded_at = dispatch_format_timestamp (point->recorded_at_us);

      dsd_sql_array_append (arrays[0], id);
      dsd_sql_array_append (arrays[1], recorded_at);
      dsd_sql_array_append_double (arrays[2], TRUE, point->lat);
      dsd_sql_array_append_double (arrays[3], TRUE, point->lon);
      dsd_sql_array_append_double (arrays[4], point->flags & DISPATCH_LOCATION_HAS_HEADING,
                                   point->heading);
      dsd_sql_array_append_double (arrays[5], point->flags & DISPATCH_LOCATION_HAS_SPEED,
                                   point->speed_mps);
      dsd_sql_array_append_double (arrays[6], point->flags & DISPATCH_LOCATION_HAS_ACCURACY,
                                   point->accuracy_m);
    }

  for (guint i = 0; i < N_PARAMS; i++)
    params[i] = dsd_sql_array_free_to_text (arrays[i]);

  return params;
}
