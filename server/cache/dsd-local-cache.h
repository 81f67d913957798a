/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dsd-cache.h"
#include "dsd-clock.h"

G_BEGIN_DECLS

/*
 * The in-process backend: limits counted by DsdRateLimiter in this process,
 * slots counted in this process,
 * nothing cached (every lookup misses), positions not shared (the fleet of
 * this process is the only one). What a single instance needs, and what
 * DsdRedisCache falls back to while Redis is down.
 */
#define DSD_TYPE_LOCAL_CACHE (dsd_local_cache_get_type ())
G_DECLARE_FINAL_TYPE (DsdLocalCache, dsd_local_cache, DSD, LOCAL_CACHE, GObject)

DsdLocalCache *dsd_local_cache_new         (DsdClock      *clock);
/* The slots of key this process holds, after adding delta (to no fewer
 * than 0); what a shared backend publishes of them. */
guint          dsd_local_cache_count_slots (DsdLocalCache *self,
                                            const char    *key,
                                            int            delta);
/* func (key, GUINT_TO_POINTER (n), user_data) for each key with slots held. */
void           dsd_local_cache_foreach_slot (DsdLocalCache *self,
                                             GHFunc         func,
                                             gpointer       user_data);

G_END_DECLS
