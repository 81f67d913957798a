/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "dsd-event.h"

G_BEGIN_DECLS

/*
 * The hot state instances share: rate-limit counters, cached read results
 * and live driver positions. Two backends: DsdLocalCache keeps everything in
 * this process (one instance, no REDIS_URL), DsdRedisCache keeps it in Redis
 * and falls back to the local one while Redis is down. Never the truth:
 * PostgreSQL is, and every caller works with a cache that misses.
 *
 * Callbacks may run before the call returns.
 */
typedef struct {
  const char *name;       /* a short stable name, part of the shared key */
  guint       limit;      /* at most this many hits ... */
  guint       window_s;   /* ... within any span of this many seconds */
} DsdLimit;

/* allowed: the hit is within the limit; else retry_after_s says when. */
typedef void (*DsdCacheLimitFunc)  (gboolean  allowed,
                                    guint     retry_after_s,
                                    gpointer  user_data);
/* value: (nullable): NULL on a miss (or when the cache could not answer). */
typedef void (*DsdCacheLookupFunc) (GBytes   *value,
                                    gpointer  user_data);

#define DSD_TYPE_CACHE (dsd_cache_get_type ())
G_DECLARE_INTERFACE (DsdCache, dsd_cache, DSD, CACHE, GObject)

struct _DsdCacheInterface
{
  GTypeInterface parent_iface;

  gboolean (*is_up)          (DsdCache           *self);
  void     (*limit_hit)      (DsdCache           *self,
                              const DsdLimit     *limit,
                              const char         *key,
                              gboolean            record,
                              DsdCacheLimitFunc   func,
                              gpointer            user_data);
  void     (*limit_reset)    (DsdCache           *self,
                              const DsdLimit     *limit,
                              const char         *key);
  void     (*lookup)         (DsdCache           *self,
                              const char         *key,
                              DsdCacheLookupFunc  func,
                              gpointer            user_data);
  void     (*store)          (DsdCache           *self,
                              const char         *key,
                              GBytes             *value,
                              guint               ttl_s);
  void     (*invalidate)     (DsdCache           *self,
                              const char         *key);
  void     (*share_location) (DsdCache           *self,
                              DsdEvent           *event);
  void     (*warm_async)     (DsdCache           *self,
                              GCancellable       *cancellable,
                              GAsyncReadyCallback callback,
                              gpointer            user_data);
  gboolean (*warm_finish)    (DsdCache           *self,
                              GAsyncResult       *result,
                              GError            **error);
};

/* FALSE while a shared backend cannot be reached (/readyz "cache": "down"). */
gboolean dsd_cache_is_up          (DsdCache           *self);
/* Counts a hit of key against limit (record FALSE: only asks whether one
 * more hit would be allowed). */
void     dsd_cache_limit_hit      (DsdCache           *self,
                                   const DsdLimit     *limit,
                                   const char         *key,
                                   gboolean            record,
                                   DsdCacheLimitFunc   func,
                                   gpointer            user_data);
void     dsd_cache_limit_reset    (DsdCache           *self,
                                   const DsdLimit     *limit,
                                   const char         *key);
void     dsd_cache_lookup         (DsdCache           *self,
                                   const char         *key,
                                   DsdCacheLookupFunc  func,
                                   gpointer            user_data);
void     dsd_cache_store          (DsdCache           *self,
                                   const char         *key,
                                   GBytes             *value,
                                   guint               ttl_s);
void     dsd_cache_invalidate     (DsdCache           *self,
                                   const char         *key);
/* A driver.location event of this instance's ingest, for the other
 * instances' fleets (and for a restarted instance). */
void     dsd_cache_share_location (DsdCache           *self,
                                   DsdEvent           *event);
/* Publishes the shared positions on the bus (the fleet takes the newer
 * ones); finishes at once when there is nothing shared or it is down. */
void     dsd_cache_warm_async     (DsdCache           *self,
                                   GCancellable       *cancellable,
                                   GAsyncReadyCallback callback,
                                   gpointer            user_data);
gboolean dsd_cache_warm_finish    (DsdCache           *self,
                                   GAsyncResult       *result,
                                   GError            **error);

G_END_DECLS
