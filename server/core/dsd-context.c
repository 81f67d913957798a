/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-core"

#include "dsd-context.h"

#define LOGIN_FAILURES_PER_USERNAME 10
#define LOGIN_FAILURE_WINDOW_S (5 * 60)
#define LOGINS_PER_CLIENT 300
#define LOGIN_CLIENT_WINDOW_S 60

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
  DsdRateLimiter  *login_failures;
  DsdRateLimiter  *login_clients;
  DsdAccountStates *accounts;
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
  g_clear_object (&self->login_failures);
  g_clear_object (&self->login_clients);
  g_clear_object (&self->accounts);

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
  self->login_failures = dsd_rate_limiter_new (LOGIN_FAILURES_PER_USERNAME,
                                               LOGIN_FAILURE_WINDOW_S);
  self->login_clients = dsd_rate_limiter_new (LOGINS_PER_CLIENT, LOGIN_CLIENT_WINDOW_S);
}

/**
 * dsd_context_new:
 * @config: (transfer none): must outlive the context
 * @pool: (transfer none): the database pool
 * @tokens: (transfer none): the token issuer
 */
DsdContext *
dsd_context_new (DsdConfig      *config,
                 DsdPgPool      *pool,
                 DsdTokenIssuer *tokens)
{
  DsdContext *self = g_object_new (DSD_TYPE_CONTEXT, NULL);

  self->config = config;
  self->pool = g_object_ref (pool);
  self->tokens = g_object_ref (tokens);
  self->ingest = dsd_location_ingest_new (dsd_pg_pool_get_conninfo (pool), self->fleet,
                                          self->bus);
  dsd_location_ingest_set_metrics (self->ingest, self->metrics);
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

DsdRateLimiter *
dsd_context_get_login_failures (DsdContext *self)
{
  return self->login_failures;
}

DsdRateLimiter *
dsd_context_get_login_clients (DsdContext *self)
{
  return self->login_clients;
}

void
dsd_context_set_accounts (DsdContext       *self,
                          DsdAccountStates *accounts)
{
  g_return_if_fail (DSD_IS_CONTEXT (self));
  g_return_if_fail (DSD_IS_ACCOUNT_STATES (accounts));

  g_set_object (&self->accounts, accounts);
}

DsdAccountStates *
dsd_context_get_accounts (DsdContext *self)
{
  g_return_val_if_fail (DSD_IS_CONTEXT (self), NULL);

  return self->accounts;
}
