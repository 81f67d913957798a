/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dsd-account-states.h"
#include "dsd-config.h"
#include "dsd-eta-tracker.h"
#include "dsd-event-bus.h"
#include "dsd-fleet.h"
#include "dsd-location-ingest.h"
#include "dsd-metrics.h"
#include "dsd-pg-pool.h"
#include "dsd-rate-limiter.h"
#include "dsd-token-issuer.h"

G_BEGIN_DECLS

/*
 * What every part of a running server shares: configuration, the database
 * pool, the event bus, token issuing, metrics and rate limits. Handlers get it
 * as their user data; nothing of this is global.
 */
#define DSD_TYPE_CONTEXT (dsd_context_get_type ())
G_DECLARE_FINAL_TYPE (DsdContext, dsd_context, DSD, CONTEXT, GObject)

DsdContext     *dsd_context_new                (DsdConfig      *config,
                                                DsdPgPool      *pool,
                                                DsdTokenIssuer *tokens);
DsdConfig      *dsd_context_get_config         (DsdContext     *self);
DsdPgPool      *dsd_context_get_pool           (DsdContext     *self);
DsdTokenIssuer *dsd_context_get_tokens         (DsdContext     *self);
DsdEventBus    *dsd_context_get_bus            (DsdContext     *self);
DsdMetrics     *dsd_context_get_metrics        (DsdContext     *self);
/* Live state of every driver (loaded by the daemon before it serves). */
DsdFleet       *dsd_context_get_fleet          (DsdContext     *self);
/* The location fast path (REST and driver websocket frames). */
DsdLocationIngest *dsd_context_get_ingest      (DsdContext     *self);
/* ETAs of the active orders (::eta-changed). */
DsdEtaTracker  *dsd_context_get_eta            (DsdContext     *self);
/* Failed logins per username (API.md: 10 within 5 minutes → 429). */
DsdRateLimiter *dsd_context_get_login_failures (DsdContext     *self);
/* Login attempts per client address. */
DsdRateLimiter *dsd_context_get_login_clients  (DsdContext     *self);
/* Whether tokens' users still exist and are not revoked (set by the daemon). */
void            dsd_context_set_accounts       (DsdContext       *self,
                                                DsdAccountStates *accounts);
DsdAccountStates *dsd_context_get_accounts     (DsdContext     *self);

G_END_DECLS
