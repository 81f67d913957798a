/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* What happened in a run, by type. In deterministic mode every count is a
 * function of the seed and the options. */
typedef enum {
  DSIM_ORDERS_CREATED,
  DSIM_ORDERS_ASSIGNED,      /* taken on by a simulated driver */
  DSIM_ORDERS_PICKED_UP,
  DSIM_ORDERS_DELIVERED,
  DSIM_ORDERS_FAILED,
  DSIM_ORDERS_LOST,          /* cancelled, unassigned or reassigned while a driver held it */
  DSIM_PINS_ENTERED,         /* delivery PINs accepted (--proof pin) */
  DSIM_PROOF_IMAGES,         /* photos and signatures uploaded (--proof photo,signature) */
  DSIM_ASSIGNMENTS_MADE,     /* by the simulator acting as dispatcher (--assign) */
  DSIM_OFFERS_RECEIVED,
  DSIM_OFFERS_ACCEPTED,
  DSIM_OFFERS_DECLINED,
  DSIM_OFFERS_MISSED,        /* gone (expired, withdrawn) before the driver answered */
  DSIM_SHIFTS_STARTED,
  DSIM_SHIFTS_ENDED,
  DSIM_LOCATION_POINTS,
  DSIM_ERRORS,               /* answers the simulator did not expect (5xx, transport, 4xx) */
  DSIM_N_COUNTERS
} DsimCounter;

typedef enum {
  DSIM_WAIT_ASSIGNMENT,      /* order created → a driver has it */
  DSIM_WAIT_PICKUP,          /* order created → picked up */
  DSIM_N_WAITS
} DsimWait;

typedef struct _DsimStats DsimStats;

DsimStats  *dsim_stats_new          (void);
void        dsim_stats_free         (DsimStats   *self);
void        dsim_stats_add          (DsimStats   *self,
                                     DsimCounter  counter,
                                     guint64      n);
void        dsim_stats_add_wait     (DsimStats   *self,
                                     DsimWait     wait,
                                     double       seconds);
/* NAN before the first sample. */
double      dsim_stats_mean_wait    (DsimStats   *self,
                                     DsimWait     wait);
/* Logs an unexpected answer (the first few in full) and counts it. */
void        dsim_stats_error        (DsimStats   *self,
                                     const char  *what,
                                     const GError *error);
/* The live one-line summary. */
char       *dsim_stats_format_line  (DsimStats   *self,
                                     double       sim_s,
                                     guint        n_online,
                                     guint        n_busy,
                                     guint        n_drivers);
/* {"orders_created": N, …} */
void        dsim_stats_add_counts   (DsimStats   *self,
                                     JsonBuilder *builder);
/* The human-readable final report. */
char       *dsim_stats_format_report (DsimStats  *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DsimStats, dsim_stats_free)

G_END_DECLS
