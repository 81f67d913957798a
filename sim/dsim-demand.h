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
} DsimOrderSpec;

void      dsim_order_spec_clear   (DsimOrderSpec       *spec);
/* The POST /api/v1/orders body. Returns: (transfer full) */
JsonNode *dsim_order_spec_to_json (const DsimOrderSpec *spec,
                                   const DsimGrid      *grid);

/*
 * Customer demand: orders arrive as a Poisson process (exponential gaps from
 * the seeded generator, so the sequence of orders does not depend on how the
 * simulated time is stepped); most pickups cluster around a few hot spots,
 * dropoffs lie within a few kilometres of them.
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
