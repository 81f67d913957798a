/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dc-driver.h"
#include "dc-order.h"
#include "dc-store.h"

G_BEGIN_DECLS

typedef struct
{
  DcDriver *driver;
  double distance_m;
  double eta_s;
} DcCandidate;

/*
 * Ranks the drivers who could take @order by estimated time to its pickup:
 * great-circle distance × a street detour factor / the vehicle's typical
 * speed. A stand-in until the server exposes its own candidates. Offline
 * drivers, drivers without a position and the order's current driver are
 * left out.
 *
 * Returns: (transfer full) (element-type DcCandidate): at most @max
 * candidates, best first
 */
GArray *dc_candidates_rank (DcStore *drivers,
                            DcOrder *order,
                            guint    max);

G_END_DECLS
