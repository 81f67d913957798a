/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "dsim-options.h"

G_BEGIN_DECLS

/*
 * A whole simulation run: sets the people up, then steps simulated time —
 * each step advances every driver, creates the orders that arrived, sends
 * the drivers' reports, lets the simulator's dispatcher assign (--assign),
 * and lets drivers look for work, each phase waiting for the server's
 * answers before the next. Real-time runs step about four times a second
 * (simulated time = real time × speedup); deterministic runs take fixed
 * steps. Prints a live summary and a final report.
 */
#define DSIM_TYPE_SIM (dsim_sim_get_type ())
G_DECLARE_FINAL_TYPE (DsimSim, dsim_sim, DSIM, SIM, GObject)

/* Takes options. */
DsimSim  *dsim_sim_new        (DsimOptions         *options);
void      dsim_sim_run_async  (DsimSim             *self,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data);
gboolean  dsim_sim_run_finish (DsimSim             *self,
                               GAsyncResult        *result,
                               GError             **error);
/* Ends the run after the current step (drivers go off shift, the report is
 * printed); a second call gives up on waiting for the server. */
void      dsim_sim_stop       (DsimSim             *self);

G_END_DECLS
