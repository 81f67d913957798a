/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "dsim-grid.h"
#include "dsim-names.h"
#include "dsim-options.h"

G_BEGIN_DECLS

/* One customer order as the demand model makes it up. */
typedef struct {
  guint              seq;          /* 1, 2, … in arrival order */
  double             at_s;         /* simulated arrival time */
  guint              customer;     /* index of the ordering customer */
  DsimNode           pickup;
  DsimNode           dropoff;
  const DsimKitchen *kitchen;
  guint              quantity;
  guint              priority;
  char              *dropoff_address;
  char              *contact_name;
  /* Simulated seconds from the order on; 0 when the order is for "now". */
  double             ready_in_s;
  double             window_from_s;
  double             window_to_s;
} DsimOrderSpec;

void      dsim_order_spec_clear   (DsimOrderSpec       *spec);
/* The POST /api/v1/orders body; its times are wall-clock times from now_us
 * (g_get_real_time()) on, a simulated second lasting wall_per_sim_s.
 * Returns: (transfer full) */
JsonNode *dsim_order_spec_to_json (const DsimOrderSpec *spec,
                                   const DsimGrid      *grid,
                                   gint64               now_us,
                                   double               wall_per_sim_s);

/*
 * Customer demand: orders arrive as a Poisson process (exponential gaps from
 * the seeded generator, so the sequence of orders does not depend on how the
 * simulated time is stepped); most pickups cluster around a few hot spots,
 * dropoffs lie within a few kilometres of them. A share of the orders
 * (--window-share) is not for "now": the food is ready in 5 to 25 minutes (one
 * in five of them is scheduled 45 to 90 minutes ahead) and is to be delivered
 * between 10 and 40 minutes after that.
 */
typedef struct _DsimDemand DsimDemand;

DsimDemand *dsim_demand_new  (const DsimGrid    *grid,
                              const DsimOptions *options);
void        dsim_demand_free (DsimDemand        *self);
/* The next order if it arrives by until_s (then TRUE; clear out afterwards). */
gboolean    dsim_demand_next (DsimDemand        *self,
                              double             until_s,
                              DsimOrderSpec     *out);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DsimDemand, dsim_demand_free)

G_END_DECLS
