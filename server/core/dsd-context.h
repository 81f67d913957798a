/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dsd-cache.h"
#include "dsd-config.h"
#include "dsd-eta-tracker.h"
#include "dsd-event-bus.h"
#include "dsd-fleet.h"
#include "dsd-location-ingest.h"
#include "dsd-metrics.h"
#include "dsd-pg-pool.h"
#include "dsd-redis-url.h"
#include "dsd-token-issuer.h"

G_BEGIN_DECLS

/*
 * What every part of a running server shares: configuration, the database
 * pool, the event bus, token issuing, metrics and the hot state (rate limits,
 * cached reads, shared positions). Handlers get it
 * as their user data; nothing of this is global.
 */
#define DSD_TYPE_CONTEXT (dsd_context_get_type ())
G_DECLARE_FINAL_TYPE (DsdContext, dsd_context, DSD, CONTEXT, GObject)

DsdContext     *dsd_context_new                (DsdConfig         *config,
                                                DsdPgPool         *pool,
                                                DsdTokenIssuer    *tokens,
                                                const DsdRedisUrl *redis_url);
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
/* Limits, cached reads and shared positions: Redis with REDIS_URL, else local. */
DsdCache       *dsd_context_get_cache          (DsdContext     *self);

G_END_DECLS
