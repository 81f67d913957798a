/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Made-up names that make the demo read like a city (none is a real business). */
typedef enum {
  DSIM_NAMES_FIRST,
  DSIM_NAMES_LAST,
  DSIM_NAMES_STREET,
} DsimNames;

/* A place orders are picked up at, and what it sells. */
typedef struct {
  const char *name;
  const char *sku;
  const char *item;
  guint       price_cents;
} DsimKitchen;

const char *dsim_names_pick  (DsimNames  list,
                              GRand     *rng);
/* "First Last". Returns: (transfer full) */
char       *dsim_names_person (GRand     *rng);
const DsimKitchen *dsim_names_kitchen (GRand *rng);

G_END_DECLS
