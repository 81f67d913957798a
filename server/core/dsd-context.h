/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "dsd-clock.h"
#include "dsd-config.h"
#include "dsd-metrics.h"

G_BEGIN_DECLS

/*
 * What every part of a running server shares: the configuration, the clock,
 * the metrics registry, and the services the daemon wires in (database pool, event bus,
 * token issuer, fleet, location ingest, ETA tracker...). Handlers get it as
 * their user data; nothing of this is global.
 *
 * The context sits at the bottom level (docs/architecture.md): it knows no
 * service type. A service is stored under its own GType by the daemon and
 * looked up with that type, e.g.
 *   DsdPgPool *pool = dsd_context_get (context, DSD_TYPE_PG_POOL);
 */
#define DSD_TYPE_CONTEXT (dsd_context_get_type ())
G_DECLARE_FINAL_TYPE (DsdContext, dsd_context, DSD, CONTEXT, GObject)

DsdContext *dsd_context_new         (DsdConfig  *config,
                                     DsdClock   *clock);
DsdConfig  *dsd_context_get_config  (DsdContext *self);
/* What waits or expires reads the time from here. */
DsdClock   *dsd_context_get_clock   (DsdContext *self);
DsdMetrics *dsd_context_get_metrics (DsdContext *self);
/* Adds (a reference to) service under its type; one service per type. */
void        dsd_context_add         (DsdContext *self,
                                     gpointer    service);
/* Returns: (transfer none): the service of type (it must have been added). */
gpointer    dsd_context_get         (DsdContext *self,
                                     GType       type);

G_END_DECLS
