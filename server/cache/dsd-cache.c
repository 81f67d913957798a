/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-cache"

#include "config.h"

#include "dsd-cache.h"

G_DEFINE_INTERFACE (DsdCache, dsd_cache, G_TYPE_OBJECT)

static void
dsd_cache_default_init (DsdCacheInterface *iface)
{
}

gboolean
dsd_cache_is_up (DsdCache *self)
{
  g_return_val_if_fail (DSD_IS_CACHE (self), FALSE);

  return DSD_CACHE_GET_IFACE (self)->is_up (self);
}

void
dsd_cache_limit_hit (DsdCache          *self,
                     const DsdLimit    *limit,
                     const char        *key,
                     gboolean           record,
                     DsdCacheLimitFunc  func,
                     gpointer           user_data)
{
  g_return_if_fail (DSD_IS_CACHE (self));
  g_return_if_fail (limit != NULL && key != NULL && func != NULL);

  DSD_CACHE_GET_IFACE (self)->limit_hit (self, limit, key, record, func, user_data);
}

void
dsd_cache_limit_reset (DsdCache       *self,
                       const DsdLimit *limit,
                       const char     *key)
{
  g_return_if_fail (DSD_IS_CACHE (self));
  g_return_if_fail (limit != NULL && key != NULL);

  DSD_CACHE_GET_IFACE (self)->limit_reset (self, limit, key);
}

void
dsd_cache_slot_take (DsdCache         *self,
                     const char       *key,
                     guint             max,
                     DsdCacheSlotFunc  func,
                     gpointer          user_data)
{
  g_return_if_fail (DSD_IS_CACHE (self));
  g_return_if_fail (key != NULL && func != NULL);

  DSD_CACHE_GET_IFACE (self)->slot_take (self, key, max, func, user_data);
}

void
dsd_cache_slot_release (DsdCache   *self,
                        const char *key)
{
  g_return_if_fail (DSD_IS_CACHE (self));
  g_return_if_fail (key != NULL);

  DSD_CACHE_GET_IFACE (self)->slot_release (self, key);
}

void
dsd_cache_lookup (DsdCache           *self,
                  const char         *key,
                  const char         *scope,
                  DsdCacheLookupFunc  func,
                  gpointer            user_data)
{
  g_return_if_fail (DSD_IS_CACHE (self));
  g_return_if_fail (key != NULL && func != NULL);

  DSD_CACHE_GET_IFACE (self)->lookup (self, key, scope, func, user_data);
}

void
dsd_cache_store (DsdCache   *self,
                 const char *key,
                 const char *scope,
                 const char *stamp,
                 GBytes     *value,
                 guint       ttl_s)
{
  g_return_if_fail (DSD_IS_CACHE (self));
  g_return_if_fail (key != NULL && scope != NULL && value != NULL && ttl_s > 0);

  DSD_CACHE_GET_IFACE (self)->store (self, key, scope, stamp, value, ttl_s);
}

void
dsd_cache_invalidate (DsdCache   *self,
                      const char *scope)
{
  g_return_if_fail (DSD_IS_CACHE (self));
  g_return_if_fail (scope != NULL);

  DSD_CACHE_GET_IFACE (self)->invalidate (self, scope);
}

void
dsd_cache_share_location (DsdCache *self,
                          DsdEvent *event)
{
  g_return_if_fail (DSD_IS_CACHE (self));
  g_return_if_fail (event != NULL);

  DSD_CACHE_GET_IFACE (self)->share_location (self, event);
}

void
dsd_cache_when_shared (DsdCache           *self,
                       DsdCacheSharedFunc  func,
                       gpointer            user_data)
{
  g_return_if_fail (DSD_IS_CACHE (self));
  g_return_if_fail (func != NULL);

  DSD_CACHE_GET_IFACE (self)->when_shared (self, func, user_data);
}

void
dsd_cache_near (DsdCache         *self,
                double            lat,
                double            lon,
                double            radius_m,
                DsdCacheNearFunc  func,
                gpointer          user_data)
{
  g_return_if_fail (DSD_IS_CACHE (self));
  g_return_if_fail (func != NULL);

  DSD_CACHE_GET_IFACE (self)->near (self, lat, lon, radius_m, func, user_data);
}

void
dsd_cache_warm_async (DsdCache            *self,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  g_return_if_fail (DSD_IS_CACHE (self));

  DSD_CACHE_GET_IFACE (self)->warm_async (self, cancellable, callback, user_data);
}

gboolean
dsd_cache_warm_finish (DsdCache      *self,
                       GAsyncResult  *result,
                       GError       **error)
{
  g_return_val_if_fail (DSD_IS_CACHE (self), FALSE);

  return DSD_CACHE_GET_IFACE (self)->warm_finish (self, result, error);
}
