/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-core"

#include "dsd-context.h"
#include "dsd-local-cache.h"
#include "dsd-redis-cache.h"

struct _DsdContext {
  GObject          parent_instance;

  DsdConfig       *config;
  DsdPgPool       *pool;
  DsdTokenIssuer  *tokens;
  DsdEventBus     *bus;
  DsdMetrics      *metrics;
  DsdFleet        *fleet;
  DsdLocationIngest *ingest;
  DsdEtaTracker   *eta;
  DsdCache        *cache;
};

G_DEFINE_FINAL_TYPE (DsdContext, dsd_context, G_TYPE_OBJECT)

static void
dsd_context_finalize (GObject *object)
{
  DsdContext *self = DSD_CONTEXT (object);

  g_clear_object (&self->eta);
  g_clear_object (&self->ingest);
  g_clear_object (&self->fleet);
  g_clear_object (&self->pool);
  g_clear_object (&self->tokens);
  g_clear_object (&self->bus);
  g_clear_object (&self->metrics);
  g_clear_object (&self->cache);

  G_OBJECT_CLASS (dsd_context_parent_class)->finalize (object);
}

static void
dsd_context_class_init (DsdContextClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = dsd_context_finalize;
}

static void
dsd_context_init (DsdContext *self)
{
  self->bus = dsd_event_bus_new ();
  self->metrics = dsd_metrics_new ();
  self->fleet = dsd_fleet_new (self->bus);
}

/**
 * dsd_context_new:
 * @config: (transfer none): must outlive the context
 * @pool: (transfer none): the database pool
 * @tokens: (transfer none): the token issuer
 * @redis_url: (nullable): shared hot state in Redis, else in this process
 */
DsdContext *
dsd_context_new (DsdConfig         *config,
                 DsdPgPool         *pool,
                 DsdTokenIssuer    *tokens,
                 const DsdRedisUrl *redis_url)
{
  DsdContext *self = g_object_new (DSD_TYPE_CONTEXT, NULL);

  self->config = config;
  if (redis_url != NULL)
    self->cache = DSD_CACHE (dsd_redis_cache_new (redis_url, self->bus, self->metrics,
                                                  MAX (config->location_max_age_s, 1)));
  else
    self->cache = DSD_CACHE (dsd_local_cache_new ());
  self->pool = g_object_ref (pool);
  self->tokens = g_object_ref (tokens);
  self->ingest = dsd_location_ingest_new (dsd_pg_pool_get_conninfo (pool), self->fleet,
                                          self->bus);
  dsd_location_ingest_set_metrics (self->ingest, self->metrics);
  dsd_location_ingest_set_cache (self->ingest, self->cache);
  self->eta = dsd_eta_tracker_new (self->fleet, self->bus, pool);

  return self;
}

DsdConfig *
dsd_context_get_config (DsdContext *self)
{
  return self->config;
}

DsdPgPool *
dsd_context_get_pool (DsdContext *self)
{
  return self->pool;
}

DsdTokenIssuer *
dsd_context_get_tokens (DsdContext *self)
{
  return self->tokens;
}

DsdEventBus *
dsd_context_get_bus (DsdContext *self)
{
  return self->bus;
}

DsdMetrics *
dsd_context_get_metrics (DsdContext *self)
{
  return self->metrics;
}

DsdFleet *
dsd_context_get_fleet (DsdContext *self)
{
  return self->fleet;
}

DsdLocationIngest *
dsd_context_get_ingest (DsdContext *self)
{
  return self->ingest;
}

DsdEtaTracker *
dsd_context_get_eta (DsdContext *self)
{
  return self->eta;
}

DsdCache *
dsd_context_get_cache (DsdContext *self)
{
  return self->cache;
}
