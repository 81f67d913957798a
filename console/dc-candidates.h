/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dc-driver.h"
#include "dc-format.h"
#include "dc-order.h"
#include "dc-store.h"

G_BEGIN_DECLS

/* Why a candidate stands where it does; the better first. */
typedef enum {
  DC_CANDIDATE_FREE,
  DC_CANDIDATE_FULL,
  DC_CANDIDATE_FAR,
} DcCandidateTier;

typedef struct
{
  DcDriver *driver;
  DcCandidateTier tier;
  double distance_m;
  double eta_s;
} DcCandidate;

/*
 * Ranks the drivers who could take @order: drivers with room for it within
 * @max_pickup_m of the pickup first, then those at capacity, then those
 * farther away; inside each tier by estimated time to the pickup
 * (great-circle distance × a street detour factor / the vehicle's typical
 * speed). A stand-in until the server exposes its own candidates. Offline
 * drivers, drivers without a position and the order's current driver are
 * left out.
 *
 * Returns: (transfer full) (element-type DcCandidate): at most @max
 * candidates, best first
 */
GArray *dc_candidates_rank      (DcStore           *drivers,
                                 DcOrder           *order,
                                 double             max_pickup_m,
                                 guint              max);
/* Measures @driver against @order as dc_candidates_rank() does. FALSE
 * without a driver position. */
gboolean dc_candidate_measure   (DcDriver          *driver,
                                 DcOrder           *order,
                                 double             max_pickup_m,
                                 DcCandidate       *candidate);
/* What looks wrong with @order's assignment (its driver farther than
 * @max_pickup_m from the pickup, or still no ETA a minute after the last
 * change), for people; NULL when nothing does or the order has no driver.
 * Returns: (transfer full) (nullable) */
char    *dc_candidates_check    (DcStore           *drivers,
                                 DcOrder           *order,
                                 double             max_pickup_m,
                                 DcUnits            units);

/* What taking @order would put @driver's vehicle beyond, its weight or
 * volume limit, e.g. "30 / 20 kg · 10 / 100 L"; NULL when within them, when
 * the vehicle has none or the order is already the driver's.
 * Returns: (transfer full) (nullable) */
char    *dc_candidates_check_limits (DcDriver      *driver,
                                     DcOrder       *order);

G_END_DECLS
