/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-cache"

#include "config.h"

#include "dsd-local-cache.h"
#include "dsd-rate-limiter.h"

struct _DsdLocalCache
{
  GObject     parent_instance;

  DsdClock   *clock;
  GHashTable *limiters;   /* DsdLimit name → DsdRateLimiter */
  GHashTable *slots;      /* key → GUINT_TO_POINTER (slots held) */
};

static void dsd_local_cache_iface_init (DsdCacheInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (DsdLocalCache, dsd_local_cache, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (DSD_TYPE_CACHE,
                                                      dsd_local_cache_iface_init))

static DsdRateLimiter *
limiter_for (DsdLocalCache  *self,
             const DsdLimit *limit)
{
  DsdRateLimiter *limiter = g_hash_table_lookup (self->limiters, limit->name);

  if (limiter == NULL)
    {
      limiter = dsd_rate_limiter_new (self->clock, limit->limit, limit->window_s);
      g_hash_table_insert (self->limiters, g_strdup (limit->name), limiter);
    }

  return limiter;
}

static gboolean
dsd_local_cache_is_up (DsdCache *cache)
{
  return TRUE;
}

static void
dsd_local_cache_limit_hit (DsdCache          *cache,
                           const DsdLimit    *limit,
                           const char        *key,
                           gboolean           record,
                           DsdCacheLimitFunc  func,
                           gpointer           user_data)
{
  DsdRateLimiter *limiter = limiter_for (DSD_LOCAL_CACHE (cache), limit);
  guint retry_after_s = 0;
  gboolean allowed;

  if (record)
    allowed = dsd_rate_limiter_hit (limiter, key, &retry_after_s);
  else
    allowed = dsd_rate_limiter_check (limiter, key, &retry_after_s);

  func (allowed, retry_after_s, user_data);
}

static void
dsd_local_cache_limit_reset (DsdCache       *cache,
                             const DsdLimit *limit,
                             const char     *key)
{
  dsd_rate_limiter_reset (limiter_for (DSD_LOCAL_CACHE (cache), limit), key);
}

static void
dsd_local_cache_slot_take (DsdCache         *cache,
                           const char       *key,
                           guint             max,
                           DsdCacheSlotFunc  func,
                           gpointer          user_data)
{
  DsdLocalCache *self = DSD_LOCAL_CACHE (cache);
  gboolean taken = dsd_local_cache_count_slots (self, key, 0) < max;

  if (taken)
    dsd_local_cache_count_slots (self, key, 1);
  func (taken, user_data);
}

static void
dsd_local_cache_slot_release (DsdCache   *cache,
                              const char *key)
{
  dsd_local_cache_count_slots (DSD_LOCAL_CACHE (cache), key, -1);
}

static void
dsd_local_cache_lookup (DsdCache           *cache,
                        const char         *key,
                        const char         *scope,
                        DsdCacheLookupFunc  func,
                        gpointer            user_data)
{
  func (NULL, NULL, user_data);
}

static void
dsd_local_cache_store (DsdCache   *cache,
                       const char *key,
                       const char *scope,
                       const char *stamp,
                       GBytes     *value,
                       guint       ttl_s)
{
}

static void
dsd_local_cache_invalidate (DsdCache   *cache,
                            const char *scope)
{
}

static void
dsd_local_cache_share_location (DsdCache *cache,
                                DsdEvent *event)
{
}

static void
dsd_local_cache_when_shared (DsdCache           *cache,
                             DsdCacheSharedFunc  func,
                             gpointer            user_data)
{
  func (user_data);
}

/* Positions are not shared: the caller reads PostgreSQL. */
static void
dsd_local_cache_near (DsdCache         *cache,
                      double            lat,
                      double            lon,
                      double            radius_m,
                      DsdCacheNearFunc  func,
                      gpointer          user_data)
{
  func (NULL, user_data);
}

static void
dsd_local_cache_warm_async (DsdCache            *cache,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (cache, cancellable, callback, user_data);

  g_task_set_source_tag (task, dsd_local_cache_warm_async);
  g_task_return_boolean (task, TRUE);
}

static gboolean
dsd_local_cache_warm_finish (DsdCache      *cache,
                             GAsyncResult  *result,
                             GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
dsd_local_cache_iface_init (DsdCacheInterface *iface)
{
  iface->is_up = dsd_local_cache_is_up;
  iface->limit_hit = dsd_local_cache_limit_hit;
  iface->limit_reset = dsd_local_cache_limit_reset;
  iface->slot_take = dsd_local_cache_slot_take;
  iface->slot_release = dsd_local_cache_slot_release;
  iface->lookup = dsd_local_cache_lookup;
  iface->store = dsd_local_cache_store;
  iface->invalidate = dsd_local_cache_invalidate;
  iface->share_location = dsd_local_cache_share_location;
  iface->when_shared = dsd_local_cache_when_shared;
  iface->near = dsd_local_cache_near;
  iface->warm_async = dsd_local_cache_warm_async;
  iface->warm_finish = dsd_local_cache_warm_finish;
}

static void
dsd_local_cache_finalize (GObject *object)
{
  DsdLocalCache *self = DSD_LOCAL_CACHE (object);

  g_clear_pointer (&self->limiters, g_hash_table_unref);
  g_clear_pointer (&self->slots, g_hash_table_unref);
  g_clear_object (&self->clock);

  G_OBJECT_CLASS (dsd_local_cache_parent_class)->finalize (object);
}

static void
dsd_local_cache_class_init (DsdLocalCacheClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = dsd_local_cache_finalize;
}

static void
dsd_local_cache_init (DsdLocalCache *self)
{
  self->limiters = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  self->slots = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

DsdLocalCache *
dsd_local_cache_new (DsdClock *clock)
{
  DsdLocalCache *self;

  g_return_val_if_fail (DSD_IS_CLOCK (clock), NULL);

  self = g_object_new (DSD_TYPE_LOCAL_CACHE, NULL);
  self->clock = g_object_ref (clock);
  return self;
}

guint
dsd_local_cache_count_slots (DsdLocalCache *self,
                             const char    *key,
                             int            delta)
{
  gint64 n;

  g_return_val_if_fail (DSD_IS_LOCAL_CACHE (self), 0);
  g_return_val_if_fail (key != NULL, 0);

  n = MAX ((gint64) GPOINTER_TO_UINT (g_hash_table_lookup (self->slots, key)) + delta, 0);
  if (n == 0)
    g_hash_table_remove (self->slots, key);
  else if (delta != 0)
    g_hash_table_insert (self->slots, g_strdup (key), GUINT_TO_POINTER ((guint) n));

  return n;
}

void
dsd_local_cache_foreach_slot (DsdLocalCache *self,
                              GHFunc         func,
                              gpointer       user_data)
{
  g_return_if_fail (DSD_IS_LOCAL_CACHE (self));

  g_hash_table_foreach (self->slots, func, user_data);
}
