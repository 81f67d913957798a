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
/* value: (nullable): NULL on a miss (or when the cache could not answer);
 * stamp: (nullable): the scope's generation, for dsd_cache_store(). */
typedef void (*DsdCacheLookupFunc) (GBytes     *value,
                                    const char *stamp,
                                    gpointer    user_data);
/* taken: a slot is held now (give it back with dsd_cache_slot_release()). */
typedef void (*DsdCacheSlotFunc)   (gboolean            taken,
                                    gpointer            user_data);
/* ids: (nullable): the drivers found; NULL when the cache could not answer. */
typedef void (*DsdCacheNearFunc)   (const char * const *ids,
                                    gpointer            user_data);
typedef void (*DsdCacheSharedFunc) (gpointer            user_data);

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
  void     (*slot_take)      (DsdCache           *self,
                              const char         *key,
                              guint               max,
                              DsdCacheSlotFunc    func,
                              gpointer            user_data);
  void     (*slot_release)   (DsdCache           *self,
                              const char         *key);
  void     (*lookup)         (DsdCache           *self,
                              const char         *key,
                              const char         *scope,
                              DsdCacheLookupFunc  func,
                              gpointer            user_data);
  void     (*store)          (DsdCache           *self,
                              const char         *key,
                              const char         *scope,
                              const char         *stamp,
                              GBytes             *value,
                              guint               ttl_s);
  void     (*invalidate)     (DsdCache           *self,
                              const char         *scope);
  void     (*share_location) (DsdCache           *self,
                              DsdEvent           *event);
  void     (*when_shared)    (DsdCache           *self,
                              DsdCacheSharedFunc  func,
                              gpointer            user_data);
  void     (*near)           (DsdCache           *self,
                              double              lat,
                              double              lon,
                              double              radius_m,
                              DsdCacheNearFunc    func,
                              gpointer            user_data);
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
/*
 * Slots: things held open at once, such as a client's stream connections.
 * At most max slots of a key are held, on every instance together with a
 * shared backend; a slot is held until released, or until its instance stops
 * renewing them (it crashed). While the shared backend is down, the slots
 * this instance holds are counted alone.
 */
void     dsd_cache_slot_take      (DsdCache           *self,
                                   const char         *key,
                                   guint               max,
                                   DsdCacheSlotFunc    func,
                                   gpointer            user_data);
void     dsd_cache_slot_release   (DsdCache           *self,
                                   const char         *key);
/*
 * Cached reads. Each entry belongs to a scope (an order: "order:<id>") and
 * is valid while the scope's generation is the one it was stored with;
 * dsd_cache_invalidate() moves the generation on, so every entry of the
 * scope misses at once, on every instance. lookup() returns (with a miss)
 * the scope's current generation when scope is given: a store() with that
 * stamp is dropped if the scope changed meanwhile, so a read that raced a
 * change cannot store the older value. Without a stamp the generation is
 * taken when storing.
 */
void     dsd_cache_lookup         (DsdCache           *self,
                                   const char         *key,
                                   const char         *scope,
                                   DsdCacheLookupFunc  func,
                                   gpointer            user_data);
void     dsd_cache_store          (DsdCache           *self,
                                   const char         *key,
                                   const char         *scope,
                                   const char         *stamp,
                                   GBytes             *value,
                                   guint               ttl_s);
void     dsd_cache_invalidate     (DsdCache           *self,
                                   const char         *scope);
/* A driver.location event of this instance's ingest, for the other
 * instances' fleets (and for a restarted instance). */
void     dsd_cache_share_location (DsdCache           *self,
                                   DsdEvent           *event);
/* Calls func once every location shared so far is in the shared store, or
 * its write failed (the other instances read PostgreSQL then), within the
 * store's command timeout; at once when positions are not shared. Only
 * then is a point visible to every instance's near search. */
void     dsd_cache_when_shared    (DsdCache           *self,
                                   DsdCacheSharedFunc  func,
                                   gpointer            user_data);
/* The drivers whose shared position is at most radius_m from (lat, lon)
 * (a little more: callers measure again) and at most
 * DISPATCH_LOCATION_MAX_AGE_S old, nearest first. ids NULL: there are no
 * shared positions (no REDIS_URL) or the cache could not answer; read
 * PostgreSQL instead. */
void     dsd_cache_near           (DsdCache           *self,
                                   double              lat,
                                   double              lon,
                                   double              radius_m,
                                   DsdCacheNearFunc    func,
                                   gpointer            user_data);
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
