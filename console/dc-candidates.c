/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <dispatch-geo.h>

#include "dc-candidates.h"

/* Streets are longer than straight lines; 1.3 is a common urban ratio. */
#define DETOUR_FACTOR 1.3
/* The server estimates an assignment's ETA with the driver's next
 * positions: no ETA is suspicious only after this long. */
#define NO_ETA_GRACE_S 60

static int
compare_candidates (gconstpointer a,
                    gconstpointer b)
{
  const DcCandidate *ca = a;
  const DcCandidate *cb = b;

  if (ca->tier != cb->tier)
    return (int) ca->tier - (int) cb->tier;

  return (ca->eta_s > cb->eta_s) - (ca->eta_s < cb->eta_s);
}

static void
clear_candidate (gpointer data)
{
  DcCandidate *candidate = data;

  g_clear_object (&candidate->driver);
}

gboolean
dc_candidate_measure (DcDriver    *driver,
                      DcOrder     *order,
                      double       max_pickup_m,
                      DcCandidate *candidate)
{
  double lat, lon;

  g_return_val_if_fail (DC_IS_DRIVER (driver), FALSE);
  g_return_val_if_fail (DC_IS_ORDER (order), FALSE);
  g_return_val_if_fail (candidate != NULL, FALSE);

  if (!dc_driver_has_location (driver))
    return FALSE;

  dc_order_get_pickup (order, &lat, &lon);
  candidate->driver = NULL;
  candidate->distance_m = dispatch_haversine_m (dc_driver_get_lat (driver),
                                                dc_driver_get_lon (driver), lat, lon);
  candidate->eta_s = candidate->distance_m * DETOUR_FACTOR /
                     dispatch_vehicle_speed_mps (dc_driver_get_vehicle (driver));
  if (candidate->distance_m > max_pickup_m)
    candidate->tier = DC_CANDIDATE_FAR;
  else if (dc_driver_get_load (driver) >= dc_driver_get_capacity (driver))
    candidate->tier = DC_CANDIDATE_FULL;
  else
    candidate->tier = DC_CANDIDATE_FREE;

  return TRUE;
}

GArray *
dc_candidates_rank (DcStore *drivers,
                    DcOrder *order,
                    double   max_pickup_m,
                    guint    max)
{
  GArray *candidates;
  guint n;

  g_return_val_if_fail (DC_IS_STORE (drivers), NULL);
  g_return_val_if_fail (DC_IS_ORDER (order), NULL);

  candidates = g_array_new (FALSE, FALSE, sizeof (DcCandidate));
  g_array_set_clear_func (candidates, clear_candidate);

  n = dc_store_get_count (drivers);
  for (guint i = 0; i < n; i++)
    {
      DcDriver *driver = DC_DRIVER (dc_store_get_entity (drivers, i));
      DcCandidate candidate;

      if (dc_driver_get_state (driver) == DISPATCH_DRIVER_OFFLINE ||
          g_strcmp0 (dc_entity_get_id (DC_ENTITY (driver)), dc_order_get_driver_id (order)) == 0 ||
          !dc_candidate_measure (driver, order, max_pickup_m, &candidate))
        continue;

      candidate.driver = g_object_ref (driver);
      g_array_append_val (candidates, candidate);
    }

  g_array_sort (candidates, compare_candidates);
  if (candidates->len > max)
    g_array_set_size (candidates, max);

  return candidates;
}

char *
dc_candidates_check (DcStore *drivers,
                     DcOrder *order,
                     double   max_pickup_m,
                     DcUnits  units)
{
  DcEntity *driver;
  DcCandidate measured;

  g_return_val_if_fail (DC_IS_STORE (drivers), NULL);
  g_return_val_if_fail (DC_IS_ORDER (order), NULL);

  if (dc_order_get_status (order) != DISPATCH_ORDER_ASSIGNED)
    return NULL;

  driver = dc_store_lookup (drivers, dc_order_get_driver_id (order));
  if (driver != NULL &&
      dc_candidate_measure (DC_DRIVER (driver), order, max_pickup_m, &measured) &&
      measured.tier == DC_CANDIDATE_FAR)
    {
      g_autofree char *distance = dc_format_distance (measured.distance_m, units);

      /* Translators: %s is a distance, e.g. "503 km" */
      return g_strdup_printf (_("The driver is %s from the pickup"), distance);
    }

  if (dc_order_get_eta_seconds (order) < 0 &&
      g_get_real_time () - dc_order_get_updated_at (order) > NO_ETA_GRACE_S * G_USEC_PER_SEC)
    return g_strdup (_("No ETA for this assignment"));

  return NULL;
}

char *
dc_candidates_check_limits (DcDriver *driver,
                            DcOrder  *order)
{
  double max_weight_kg, max_volume_l, weight_kg, volume_l, order_weight_kg, order_volume_l;

  g_return_val_if_fail (DC_IS_DRIVER (driver), NULL);
  g_return_val_if_fail (DC_IS_ORDER (order), NULL);

  if (!dc_driver_get_limits (driver, &max_weight_kg, &max_volume_l, &weight_kg, &volume_l) ||
      g_strcmp0 (dc_order_get_driver_id (order), dc_entity_get_id (DC_ENTITY (driver))) == 0)
    return NULL;

  dc_order_get_load (order, &order_weight_kg, &order_volume_l);
  weight_kg += order_weight_kg;
  volume_l += order_volume_l;
  if ((max_weight_kg > 0 && weight_kg > max_weight_kg) ||
      (max_volume_l > 0 && volume_l > max_volume_l))
    return dc_format_load (weight_kg, volume_l, max_weight_kg, max_volume_l);

  return NULL;
}
