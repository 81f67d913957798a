/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <dispatch-geo.h>

#include "dc-candidates.h"

/* Streets are longer than straight lines; 1.3 is a common urban ratio. */
#define DETOUR_FACTOR 1.3

static int
compare_eta (gconstpointer a,
             gconstpointer b)
{
  const DcCandidate *ca = a;
  const DcCandidate *cb = b;

  return (ca->eta_s > cb->eta_s) - (ca->eta_s < cb->eta_s);
}

static void
clear_candidate (gpointer data)
{
  DcCandidate *candidate = data;

  g_clear_object (&candidate->driver);
}

GArray *
dc_candidates_rank (DcStore *drivers,
                    DcOrder *order,
                    guint    max)
{
  GArray *candidates;
  double lat, lon;
  guint n;

  g_return_val_if_fail (DC_IS_STORE (drivers), NULL);
  g_return_val_if_fail (DC_IS_ORDER (order), NULL);

  candidates = g_array_new (FALSE, FALSE, sizeof (DcCandidate));
  g_array_set_clear_func (candidates, clear_candidate);

  dc_order_get_pickup (order, &lat, &lon);
  n = g_list_model_get_n_items (G_LIST_MODEL (drivers));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(DcDriver) driver = g_list_model_get_item (G_LIST_MODEL (drivers), i);
      DcCandidate candidate;

      if (dc_driver_get_state (driver) == DISPATCH_DRIVER_OFFLINE ||
          !dc_driver_has_location (driver) ||
          g_strcmp0 (dc_entity_get_id (DC_ENTITY (driver)), dc_order_get_driver_id (order)) == 0)
        continue;

      candidate.distance_m = dispatch_haversine_m (dc_driver_get_lat (driver),
                                                   dc_driver_get_lon (driver), lat, lon);
      candidate.eta_s = candidate.distance_m * DETOUR_FACTOR /
                        dispatch_vehicle_speed_mps (dc_driver_get_vehicle (driver));
      candidate.driver = g_steal_pointer (&driver);
      g_array_append_val (candidates, candidate);
    }

  g_array_sort (candidates, compare_eta);
  if (candidates->len > max)
    g_array_set_size (candidates, max);

  return candidates;
}
