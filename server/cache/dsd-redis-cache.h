/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dsd-cache.h"
#include "dsd-clock.h"
#include "dsd-event-bus.h"
#include "dsd-metrics.h"
#include "dsd-redis-url.h"

G_BEGIN_DECLS

/*
 * The Redis backend (REDIS_URL), see docs/cache.md: limits counted by Lua
 * scripts (a sliding log per key in a sorted set, server time), read results
 * under dispatch:cache:* with a TTL, and each driver's newest position in a
 * GEO set, a hash of its driver.location event and a sorted set of
 * recorded_at (the freshness score: GEO members never expire, positions older
 * than keep_s are removed with every write). Positions are written in
 * batches by one script that also publishes them; a second connection
 * subscribes and puts other instances' positions on the local bus. While
 * Redis is down, limits count locally, lookups miss and positions stay local.
 */
#define DSD_TYPE_REDIS_CACHE (dsd_redis_cache_get_type ())
G_DECLARE_FINAL_TYPE (DsdRedisCache, dsd_redis_cache, DSD, REDIS_CACHE, GObject)

/* exchange_positions: subscribe to the other instances' positions (FALSE in
 * cluster mode, where Kafka's locations topic carries them; they are still
 * written for the warm start). */
DsdRedisCache *dsd_redis_cache_new  (const DsdRedisUrl *url,
                                     DsdEventBus       *bus,
                                     DsdMetrics        *metrics,
                                     DsdClock          *clock,
                                     guint              keep_s,
                                     gboolean           exchange_positions);
/* Connects (in the background: start-up never waits on Redis). */
void           dsd_redis_cache_start (DsdRedisCache    *self);
/* Drops both connections: waiting commands fail (and fall back). */
void           dsd_redis_cache_stop  (DsdRedisCache    *self);

G_END_DECLS
