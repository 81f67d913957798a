/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dsd-cache.h"
#include "dsd-clock.h"

G_BEGIN_DECLS

/*
 * The in-process backend: limits counted by DsdRateLimiter in this process,
 * nothing cached (every lookup misses), positions not shared (the fleet of
 * this process is the only one). What a single instance needs, and what
 * DsdRedisCache falls back to while Redis is down.
 */
#define DSD_TYPE_LOCAL_CACHE (dsd_local_cache_get_type ())
G_DECLARE_FINAL_TYPE (DsdLocalCache, dsd_local_cache, DSD, LOCAL_CACHE, GObject)

DsdLocalCache *dsd_local_cache_new (DsdClock *clock);

G_END_DECLS
