/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dsim-api.h"
#include "dsim-grid.h"
#include "dsim-options.h"
#include "dsim-stats.h"

G_BEGIN_DECLS

/* Whether the server has driver websockets (found out by the first driver). */
typedef enum {
  DSIM_STREAMS_UNKNOWN,
  DSIM_STREAMS_AVAILABLE,
  DSIM_STREAMS_MISSING,
} DsimStreams;

/*
 * What every part of the simulation shares: the options, the API client,
 * the street grid, the statistics, the simulated clock and what the
 * simulator knows about the orders it created.
 */
#define DSIM_TYPE_CONTEXT (dsim_context_get_type ())
G_DECLARE_FINAL_TYPE (DsimContext, dsim_context, DSIM, CONTEXT, GObject)

/* Takes options. */
DsimContext       *dsim_context_new             (DsimOptions  *options);
const DsimOptions *dsim_context_get_options     (DsimContext  *self);
DsimApi           *dsim_context_get_api         (DsimContext  *self);
const DsimGrid    *dsim_context_get_grid        (DsimContext  *self);
DsimStats         *dsim_context_get_stats       (DsimContext  *self);
GCancellable      *dsim_context_get_cancellable (DsimContext  *self);
/* The admin account (also the dispatcher with --assign). */
DsimAccount       *dsim_context_get_admin       (DsimContext  *self);

/* Simulated seconds since the start. */
double             dsim_context_get_now         (DsimContext  *self);
void               dsim_context_set_now         (DsimContext  *self,
                                                 double        now_s);

/* A key unique to this process's run, for Idempotency-Key. Returns: (transfer full) */
char              *dsim_context_new_key         (DsimContext  *self);

/* Orders this simulator created: when (simulated seconds) and in which order. */
void               dsim_context_add_order       (DsimContext  *self,
                                                 const char   *order_id,
                                                 guint         seq,
                                                 double        created_s);
/* FALSE for an order someone else created. */
gboolean           dsim_context_lookup_order    (DsimContext  *self,
                                                 const char   *order_id,
                                                 guint        *out_seq,
                                                 double       *out_created_s);

/* The delivery PIN of an order the simulator created, as its customer read
 * it (what the customer tells the driver at the door); NULL when unknown. */
void               dsim_context_set_order_pin   (DsimContext  *self,
                                                 const char   *order_id,
                                                 const char   *pin);
const char        *dsim_context_get_order_pin   (DsimContext  *self,
                                                 const char   *order_id);

DsimStreams        dsim_context_get_streams     (DsimContext  *self);
void               dsim_context_set_streams     (DsimContext  *self,
                                                 DsimStreams   streams);

G_END_DECLS
