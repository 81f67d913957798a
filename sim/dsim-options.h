/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dispatch-geo.h"

G_BEGIN_DECLS

typedef enum {
  DSIM_LOCATIONS_HTTP,
  DSIM_LOCATIONS_WS,
} DsimLocations;

/* Everything the command line sets (dispatch-sim --help describes each). */
typedef struct {
  char          *url;
  char          *admin_user;
  char          *admin_password;
  char          *prefix;
  guint          n_drivers;
  guint          n_customers;
  double         order_rate_per_min;
  guint          n_hotspots;
  DispatchBBox   bbox;
  double         block_m;
  double         duration_s;        /* 0: until stopped */
  double         speedup;           /* 0: as fast as the server answers (deterministic only) */
  gboolean       deterministic;
  double         step_s;            /* simulated seconds per step when deterministic */
  guint32        seed;
  gboolean       assign;
  double         assign_delay_s;
  double         decline_rate;
  double         fail_rate;
  guint          trip_max;          /* each driver's capacity */
  double         window_share;      /* of orders with a ready time and a delivery window */
  gboolean       proof_pin;         /* --proof: what orders require at delivery */
  gboolean       proof_photo;
  gboolean       proof_signature;
  double         online_fraction;
  double         shift_s;
  double         break_s;
  double         dwell_s;
  double         poll_interval_s;
  DsimLocations  locations;
  char          *report_path;
  gboolean       quiet;
} DsimOptions;

/* Parses and validates argv (consumed); G_OPTION_ERROR on bad input. */
DsimOptions *dsim_options_parse (int          *argc,
                                 char       ***argv,
                                 GError      **error);
void         dsim_options_free  (DsimOptions  *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DsimOptions, dsim_options_free)

G_END_DECLS
