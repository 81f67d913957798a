/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-core"

#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <sodium.h>

#include "dsd-api.h"
#include "dsd-bus-backend.h"
#include "dsd-context.h"
#include "dsd-daemon.h"
#include "dsd-dispatch-engine.h"
#include "dsd-eta-tracker.h"
#include "dsd-order-timings.h"
#include "dsd-http-server.h"
#include "dsd-kafka-bus.h"
#include "dsd-live.h"
#include "dsd-location-ingest.h"
#include "dsd-migrations.h"
#include "dsd-notifier.h"
#include "dsd-password.h"
#include "dsd-pg-cluster.h"
#include "dsd-pg-conninfo.h"
#include "dsd-pg-listener.h"
#include "dsd-local-cache.h"
#include "dsd-redis-cache.h"
#include "dsd-retention.h"
#include "dsd-streams.h"
#include "dsd-tracking-page.h"

#define SECRET_FILE "jwt-secret"
#define CURSOR_KEY_LABEL "dispatch list cursor key v1"
#define ADMIN_PASSWORD_FILE "admin-password"
#define GENERATED_SECRET_BYTES 48
#define GRACEFUL_STOP_MS 10000
#define BUS_FLUSH_MS 5000
#define IDEMPOTENCY_PURGE_S 3600

struct _DsdDaemon {
  GObject          parent_instance;

  DsdConfig       *config;
  char            *conninfo;
  char            *pool_options;   /* server settings of the pool's sessions */
  char            *url;
  DsdRedisUrl     *redis_url;      /* NULL: no REDIS_URL, everything in-process */

  /* Started in this order, stopped in reverse. */
  DsdPgCluster    *cluster;        /* zero-config mode only */
  DsdPgPool       *pool;
  DsdClock        *clock;
  DsdTokenIssuer  *tokens;
  DsdContext      *context;
  DsdPgListener   *listener;
  DsdBusBackend   *bus;
  DsdDispatchEngine *engine;     /* "assigner" role only */
  DsdRouter       *router;
  DsdStreams      *streams;
  DsdTrackingPage *page;
  DsdHttpServer   *http;
  DsdNotifier     *notifier;
  /* Cluster mode: the consumer groups that feed the engine and the notifier */
  DsdKafkaGroup   *assigner_group;
  DsdKafkaGroup   *notifier_group;

  guint            purge_source;
  DsdRetention         *retention;
  DsdRetention         *contact_retention;
};

G_DEFINE_FINAL_TYPE (DsdDaemon, dsd_daemon, G_TYPE_OBJECT)

enum {
  FAILED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static const char ensure_admin_sql[] = "SELECT dispatch.ensure_first_admin($1)";
static const char purge_sql[] = "SELECT dispatch.purge_idempotency_keys()";
static const char location_purge_sql[] =
  "SELECT dispatch.purge_driver_locations(now() - make_interval(days => $1::int), $2::int)";
static const char contact_purge_sql[] =
  "SELECT dispatch.erase_ended_contacts(now() - make_interval(days => $1::int), $2::int)";

static void start_database (GTask *task);
static void open_pool (GTask *task);
static void ensure_admin (GTask *task);
static void serve (GTask *task);

/* A file in the data dir holding a secret: created 0600 with fresh random
 * text when missing, so restarts keep tokens and passwords valid. */
static char *
load_or_create_secret (const char  *data_dir,
                       const char  *name,
                       gsize        n_random_bytes,
                       gboolean    *created,
                       GError     **error)
{
  g_autofree char *path = g_build_filename (data_dir, name, NULL);
  g_autofree char *contents = NULL;
  g_autofree guint8 *random = NULL;
  g_autofree char *encoded = NULL;

  *created = FALSE;
  if (g_file_get_contents (path, &contents, NULL, NULL))
    return g_strstrip (g_steal_pointer (&contents));

  random = g_malloc (n_random_bytes);
  randombytes_buf (random, n_random_bytes);
  encoded = g_base64_encode (random, n_random_bytes);
  g_strdelimit (encoded, "+/=", '-');
  if (!g_file_set_contents_full (path, encoded, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600,
                                 error))
    return NULL;

  *created = TRUE;
  return g_steal_pointer (&encoded);
}

/*
 * The key that makes list cursors tamper-evident, derived from the token
 * secret with a label (so one secret to configure, and a cursor MAC says
 * nothing of the token key). The SQL side computes HMAC-SHA256 with the
 * built-in sha256(): it gets the key already XORed with the HMAC pads
 * (RFC 2104), as session settings dispatch.cursor_ipad / dispatch.cursor_opad.
 */
static char *
cursor_key_options (GBytes *secret)
{
  g_autoptr(GHmac) hmac = g_hmac_new (G_CHECKSUM_SHA256, g_bytes_get_data (secret, NULL),
                                      g_bytes_get_size (secret));
  g_autoptr(GString) ipad = g_string_new (NULL);
  g_autoptr(GString) opad = g_string_new (NULL);
  guint8 key[64] = { 0 };
  gsize key_len = 32;

  g_hmac_update (hmac, (const guchar *) CURSOR_KEY_LABEL, -1);
  g_hmac_get_digest (hmac, key, &key_len);

  for (guint i = 0; i < sizeof key; i++)
    {
      g_string_append_printf (ipad, "%02x", key[i] ^ 0x36);
      g_string_append_printf (opad, "%02x", key[i] ^ 0x5c);
    }

  return g_strdup_printf ("-c dispatch.cursor_ipad=%s -c dispatch.cursor_opad=%s",
                          ipad->str, opad->str);
}

static gboolean
prepare_data_dir (DsdDaemon  *self,
                  GError    **error)
{
  const char *data_dir = dsd_config_get_data_dir (self->config);
  g_autofree char *secret = NULL;
  g_autoptr(GBytes) secret_bytes = NULL;
  gboolean created;

  if (g_mkdir_with_parents (data_dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   "Cannot create data directory %s: %s", data_dir, g_strerror (saved_errno));
      return FALSE;
    }

  if (self->config->jwt_secret != NULL)
    secret = g_strdup (self->config->jwt_secret);
  else
    secret = load_or_create_secret (data_dir, SECRET_FILE, GENERATED_SECRET_BYTES,
                                    &created, error);
  if (secret == NULL)
    return FALSE;

  secret_bytes = g_bytes_new (secret, strlen (secret));
  self->tokens = dsd_token_issuer_new (self->clock, secret_bytes,
                                       self->config->token_lifetime_s);
  self->pool_options = cursor_key_options (secret_bytes);
  return TRUE;
}

static void
cluster_failed_cb (DsdPgCluster *cluster,
                   const GError *error,
                   gpointer      user_data)
{
  g_signal_emit (user_data, signals[FAILED], 0, error);
}

static void
cluster_started_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  DsdDaemon *self = g_task_get_source_object (task);
  GError *error = NULL;

  if (!dsd_pg_cluster_start_finish (DSD_PG_CLUSTER (source), result, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  self->conninfo = g_strdup (dsd_pg_cluster_get_conninfo (self->cluster));
  dsd_pg_cluster_supervise (self->cluster);
  g_signal_connect_object (self->cluster, "failed", G_CALLBACK (cluster_failed_cb), self, 0);
  open_pool (g_steal_pointer (&task));
}

static void
start_database (GTask *task)
{
  DsdDaemon *self = g_task_get_source_object (task);
  g_autofree char *cluster_dir = NULL;

  if (self->config->database_url != NULL)
    {
      self->conninfo = g_strdup (self->config->database_url);
      open_pool (task);
      return;
    }

  cluster_dir = g_build_filename (dsd_config_get_data_dir (self->config), "postgresql", NULL);
  g_message ("No DATABASE_URL: running a private PostgreSQL cluster in %s", cluster_dir);
  self->cluster = dsd_pg_cluster_new (dsd_config_get_data_dir (self->config));
  dsd_pg_cluster_start_async (self->cluster, g_task_get_cancellable (task),
                              cluster_started_cb, task);
}

static void
pool_opened_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!dsd_pg_pool_open_finish (DSD_PG_POOL (source), result, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  ensure_admin (g_steal_pointer (&task));
}

static void
open_pool (GTask *task)
{
  DsdDaemon *self = g_task_get_source_object (task);
  g_autofree char *pool_conninfo = NULL;
  GError *error = NULL;
  guint n_applied = 0;

  /* Before anything serves: nothing waits on the loop yet. */
  if (!dsd_migrations_apply (self->conninfo, &n_applied, &error))
    {
      g_prefix_error (&error, "Database migrations failed: ");
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  if (n_applied > 0)
    g_message ("Applied %u database migrations", n_applied);

  /* Single node: this process's writes wake its relay in-process
   * (DsdPgPool::committed). A cluster's relay leader hears the others by NOTIFY. */
  if (self->config->kafka_brokers == NULL)
    pool_conninfo = dsd_pg_conninfo_add_option (self->conninfo, "-c dispatch.outbox_notify=off",
                                                &error);
  else
    pool_conninfo = g_strdup (self->conninfo);
  if (pool_conninfo == NULL)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  self->pool = dsd_pg_pool_new (pool_conninfo, self->config->db_pool_size);
  dsd_pg_pool_set_options (self->pool, self->pool_options);
  dsd_pg_pool_open_async (self->pool, g_task_get_cancellable (task), pool_opened_cb, task);
}

typedef struct {
  char     *password;
  gboolean  generated;
} AdminBootstrap;

static void
admin_bootstrap_free (gpointer data)
{
  AdminBootstrap *bootstrap = data;

  g_free (bootstrap->password);
  g_free (bootstrap);
}

static void
admin_ensured_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  DsdDaemon *self = g_task_get_source_object (task);
  AdminBootstrap *bootstrap = g_task_get_task_data (task);
  g_autoptr(PGresult) rows = NULL;
  GError *error = NULL;

  rows = dsd_pg_pool_query_finish (DSD_PG_POOL (source), result, &error);
  if (rows == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  if (g_str_equal (PQgetvalue (rows, 0, 0), "t"))
    g_message ("Created the first admin user “admin”");

  if (bootstrap->generated)
    {
      g_autofree char *path = g_build_filename (dsd_config_get_data_dir (self->config),
                                                ADMIN_PASSWORD_FILE, NULL);

      g_print ("Admin user: admin, password: %s (kept in %s)\n", bootstrap->password, path);
    }

  serve (g_steal_pointer (&task));
}

static void
admin_hashed_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  DsdDaemon *self = g_task_get_source_object (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  g_autofree char *hash = NULL;
  GError *error = NULL;

  hash = dsd_password_hash_finish (result, &error);
  if (hash == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  dsd_pg_pool_query_async (self->pool, ensure_admin_sql, 1, (const char * const[]) { hash },
                           cancellable, admin_ensured_cb, g_steal_pointer (&task));
}

/*
 * docs/openapi.json: with DISPATCH_ADMIN_PASSWORD set, an empty database gets user
 * "admin" with it. Zero-config goes one step further so that the first run
 * just works: without the variable it generates the password, prints it and
 * keeps it in the data dir (0600).
 */
static void
ensure_admin (GTask *task)
{
  DsdDaemon *self = g_task_get_source_object (task);
  AdminBootstrap *bootstrap = g_new0 (AdminBootstrap, 1);
  GError *error = NULL;

  g_task_set_task_data (task, bootstrap, admin_bootstrap_free);

  if (self->config->admin_password != NULL)
    {
      bootstrap->password = g_strdup (self->config->admin_password);
    }
  else if (self->config->database_url == NULL)
    {
      gboolean created = FALSE;

      bootstrap->password = load_or_create_secret (dsd_config_get_data_dir (self->config),
                                                   ADMIN_PASSWORD_FILE, 12, &created, &error);
      if (bootstrap->password == NULL)
        {
          g_task_return_error (task, error);
          g_object_unref (task);
          return;
        }
      bootstrap->generated = TRUE;
    }
  else
    {
      serve (task);
      return;
    }

  dsd_password_hash_async (bootstrap->password, g_task_get_cancellable (task),
                           admin_hashed_cb, task);
}

static void
purged_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) rows = dsd_pg_pool_query_finish (DSD_PG_POOL (source), result, &error);

  if (rows == NULL)
    g_warning ("Could not purge old idempotency keys: %s", error->message);
}

static gboolean
purge_cb (gpointer user_data)
{
  DsdDaemon *self = user_data;

  dsd_pg_pool_query_async (self->pool, purge_sql, 0, NULL, NULL, purged_cb, NULL);
  return G_SOURCE_CONTINUE;
}

/* Cluster mode: work that must happen once comes from a consumer group (not
 * started yet). */
static gboolean
follow_group (DsdDaemon          *self,
              const char         *role,
              DsdKafkaGroupFunc   handler,
              gpointer            target,
              DsdKafkaGroup     **out_group,
              GError            **error)
{
  if (!DSD_IS_KAFKA_BUS (self->bus))
    return TRUE;

  *out_group = dsd_kafka_bus_new_group (DSD_KAFKA_BUS (self->bus), role, handler, target,
                                        error);
  return *out_group != NULL;
}

static void
listen_http (GTask *task)
{
  DsdDaemon *self = g_task_get_source_object (task);
  GError *error = NULL;
  const char *scheme = self->config->tls_cert != NULL ? "https" : "http";
  g_autofree char *host = NULL;
  const char *colon;

  self->router = dsd_router_new ();
  /* Without the api role only /healthz, /readyz and /metrics are served. */
  if (dsd_config_has_role (self->config, "api"))
    {
      dsd_api_register_all (self->router, self->context);
      self->streams = dsd_streams_new (self->context);
      dsd_streams_register (self->streams, self->router);
      dsd_streams_set_accounts (self->streams,
                                dsd_context_get (self->context, DSD_TYPE_ACCOUNT_STATES));
      self->page = dsd_tracking_page_new (self->context);
      dsd_tracking_page_register (self->page, self->router);
    }
  else
    {
      dsd_api_register_ops (self->router, self->context);
    }
  self->http = dsd_http_server_new (self->router, self->tokens,
                                    dsd_context_get_metrics (self->context));
  dsd_http_server_set_accounts (self->http,
                                dsd_context_get (self->context, DSD_TYPE_ACCOUNT_STATES));
  dsd_http_server_set_limits (self->http, &(DsdHttpLimits) {
    .header_timeout_ms = self->config->http_header_timeout_s * 1000,
    .body_timeout_ms = self->config->http_body_timeout_s * 1000,
    .idle_timeout_ms = self->config->http_idle_timeout_s * 1000,
    .max_connections = self->config->http_max_connections,
    .max_connections_per_client = self->config->http_max_connections_per_client,
  });
  dsd_http_server_set_threads (self->http, self->config->http_threads);
  dsd_api_limit_clients (self->http, self->context);

  if (!dsd_http_server_listen (self->http, self->config->listen, self->config->tls_cert,
                               self->config->tls_key, &error))
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }

  colon = strrchr (self->config->listen, ':');
  host = g_strndup (self->config->listen, colon - self->config->listen);
  self->url = g_strdup_printf ("%s://%s:%u", scheme, host,
                               dsd_http_server_get_port (self->http));

  if (dsd_config_has_role (self->config, "notifier"))
    {
      const char *public_url = self->config->public_url != NULL ? self->config->public_url
                                                                : self->url;

      self->notifier = dsd_notifier_new (self->context, public_url, &error);
      if (self->notifier == NULL)
        {
          g_task_return_error (task, error);
          g_object_unref (task);
          return;
        }
      if (!follow_group (self, "notifier", (DsdKafkaGroupFunc) dsd_notifier_consider,
                         self->notifier, &self->notifier_group, &error))
        {
          g_task_return_error (task, error);
          g_object_unref (task);
          return;
        }
      dsd_notifier_set_follow_bus (self->notifier, self->notifier_group == NULL);
      dsd_notifier_start (self->notifier);
      if (self->notifier_group != NULL)
        dsd_kafka_group_start (self->notifier_group);
    }
  self->purge_source = g_timeout_add_seconds (IDEMPOTENCY_PURGE_S, purge_cb, self);

  g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

static void
live_started_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  DsdDaemon *self = g_task_get_source_object (task);
  GError *error = NULL;

  if (!dsd_live_start_finish (result, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  self->retention = dsd_retention_new (self->pool, location_purge_sql,
                                       self->config->location_retention_days, "location points");
  self->contact_retention = dsd_retention_new (self->pool, contact_purge_sql,
                                               self->config->contact_retention_days,
                                               "ended orders' contact details");

  if (dsd_config_has_role (self->config, "assigner"))
    {
      self->engine = dsd_dispatch_engine_new (self->context,
                                              dsd_context_get (self->context, DSD_TYPE_FLEET));
      if (!follow_group (self, "assigner", (DsdKafkaGroupFunc) dsd_dispatch_engine_consider,
                         self->engine, &self->assigner_group, &error))
        {
          g_task_return_error (task, error);
          return;
        }
      dsd_dispatch_engine_set_decide_on_bus (self->engine, self->assigner_group == NULL);
      dsd_dispatch_engine_start (self->engine);
      if (self->assigner_group != NULL)
        dsd_kafka_group_start (self->assigner_group);
    }

  listen_http (g_steal_pointer (&task));
}

static void
serve (GTask *task)
{
  DsdDaemon *self = g_task_get_source_object (task);
  GError *error = NULL;

  g_autoptr(DsdEventBus) bus = dsd_event_bus_new ();
  g_autoptr(DsdFleet) fleet = dsd_fleet_new (bus);
  g_autoptr(DsdLocationIngest) ingest = NULL;
  g_autoptr(DsdEtaTracker) eta = NULL;
  g_autoptr(DsdArrivalWatch) arrivals = NULL;
  g_autoptr(DsdOrderTimings) timings = NULL;
  g_autoptr(DsdAccountStates) accounts = NULL;
  g_autoptr(DsdCache) cache = NULL;

  self->context = dsd_context_new (self->config, self->clock);
  if (self->redis_url != NULL)
    cache = DSD_CACHE (dsd_redis_cache_new (self->redis_url, bus,
                                            dsd_context_get_metrics (self->context),
                                            self->clock, self->config->location_max_age_s,
                                            self->config->kafka_brokers == NULL));
  else
    cache = DSD_CACHE (dsd_local_cache_new (self->clock));
  ingest = dsd_location_ingest_new (dsd_pg_pool_get_conninfo (self->pool), fleet, bus);
  dsd_location_ingest_set_metrics (ingest, dsd_context_get_metrics (self->context));
  dsd_location_ingest_set_cache (ingest, cache);
  eta = dsd_eta_tracker_new (fleet, bus, self->pool);
  arrivals = dsd_arrival_watch_new (self->pool, self->config->arrival_alert_s,
                                    self->config->arrival_alert_m,
                                    self->config->arrived_radius_m,
                                    self->config->arrived_speed_mps);
  dsd_eta_tracker_set_arrival_watch (eta, arrivals);
  dsd_eta_tracker_set_max_delay (eta, self->config->trip_max_delay_s);
  timings = dsd_order_timings_new (bus, dsd_context_get_metrics (self->context));
  dsd_context_add (self->context, self->pool);
  dsd_context_add (self->context, self->tokens);
  dsd_context_add (self->context, bus);
  dsd_context_add (self->context, fleet);
  dsd_context_add (self->context, ingest);
  dsd_context_add (self->context, eta);
  dsd_context_add (self->context, timings);
  accounts = dsd_api_accounts_new (self->context);
  dsd_context_add (self->context, accounts);
  dsd_context_add (self->context, cache);
  if (DSD_IS_REDIS_CACHE (cache))
    dsd_redis_cache_start (DSD_REDIS_CACHE (cache));

  self->listener = dsd_pg_listener_new (self->conninfo, "dispatch_outbox");
  self->bus = dsd_bus_backend_new (self->config, self->pool, self->listener, bus,
                                   dsd_context_get_metrics (self->context), &error);
  if (self->bus == NULL)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  dsd_pg_listener_start (self->listener);
  dsd_bus_backend_start (self->bus);

  /* Live state before the first request: the relay already follows the bus. */
  dsd_live_start_async (self->context, g_task_get_cancellable (task), live_started_cb, task);
}

static void
dsd_daemon_dispose (GObject *object)
{
  DsdDaemon *self = DSD_DAEMON (object);

  g_clear_handle_id (&self->purge_source, g_source_remove);
  g_clear_object (&self->retention);
  g_clear_object (&self->contact_retention);
  g_clear_object (&self->notifier_group);
  g_clear_object (&self->assigner_group);
  g_clear_object (&self->notifier);
  g_clear_object (&self->http);
  g_clear_object (&self->streams);
  g_clear_object (&self->page);
  g_clear_object (&self->router);
  g_clear_object (&self->engine);
  g_clear_object (&self->bus);
  g_clear_object (&self->listener);
  g_clear_object (&self->context);
  g_clear_object (&self->tokens);
  g_clear_object (&self->clock);
  g_clear_object (&self->pool);
  g_clear_object (&self->cluster);

  G_OBJECT_CLASS (dsd_daemon_parent_class)->dispose (object);
}

static void
dsd_daemon_finalize (GObject *object)
{
  DsdDaemon *self = DSD_DAEMON (object);

  g_free (self->conninfo);
  g_free (self->pool_options);
  g_free (self->url);
  g_clear_pointer (&self->redis_url, dsd_redis_url_free);
  dsd_config_free (self->config);

  G_OBJECT_CLASS (dsd_daemon_parent_class)->finalize (object);
}

static void
dsd_daemon_class_init (DsdDaemonClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = dsd_daemon_dispose;
  object_class->finalize = dsd_daemon_finalize;

  /**
   * DsdDaemon::failed:
   * @error: why
   *
   * Serving cannot go on (the managed database could not be brought back):
   * stop and exit non-zero, for the supervisor to restart us.
   */
  signals[FAILED] =
    g_signal_new ("failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_ERROR);
}

static void
dsd_daemon_init (DsdDaemon *self)
{
  self->clock = dsd_clock_new ();
}

DsdDaemon *
dsd_daemon_new (DsdConfig *config)
{
  DsdDaemon *self = g_object_new (DSD_TYPE_DAEMON, NULL);

  self->config = config;
  return self;
}

void
dsd_daemon_start_async (DsdDaemon           *self,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  GError *error = NULL;

  g_return_if_fail (DSD_IS_DAEMON (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, dsd_daemon_start_async);

  if (self->config->redis_url != NULL)
    self->redis_url = dsd_redis_url_parse (self->config->redis_url, &error);

  if (error != NULL || !dsd_password_init (&error) || !prepare_data_dir (self, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  start_database (g_steal_pointer (&task));
}

gboolean
dsd_daemon_start_finish (DsdDaemon     *self,
                         GAsyncResult  *result,
                         GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Everything behind the HTTP front, in reverse order of start. */
static void
stop_backends (DsdDaemon *self)
{
  if (self->notifier_group != NULL)
    dsd_kafka_group_stop (self->notifier_group, BUS_FLUSH_MS);
  if (self->assigner_group != NULL)
    dsd_kafka_group_stop (self->assigner_group, BUS_FLUSH_MS);
  if (self->notifier != NULL)
    dsd_notifier_stop (self->notifier);
  if (self->engine != NULL)
    dsd_dispatch_engine_stop (self->engine);
  if (self->bus != NULL)
    dsd_bus_backend_stop (self->bus, BUS_FLUSH_MS);
  if (self->context != NULL &&
      DSD_IS_REDIS_CACHE (dsd_context_get (self->context, DSD_TYPE_CACHE)))
    dsd_redis_cache_stop (dsd_context_get (self->context, DSD_TYPE_CACHE));
  if (self->listener != NULL)
    dsd_pg_listener_stop (self->listener);
  if (self->pool != NULL)
    dsd_pg_pool_close (self->pool);
  if (self->cluster != NULL)
    dsd_pg_cluster_stop (self->cluster);
}

static void
ingest_stopped_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;

  dsd_location_ingest_stop_finish (DSD_LOCATION_INGEST (source), result);
  stop_backends (g_task_get_source_object (task));
  g_task_return_boolean (task, TRUE);
}

/* Location points accepted so far go to history before the database stops. */
static void
stop_ingest_and_backends (GTask *task)
{
  DsdDaemon *self = g_task_get_source_object (task);

  if (self->context != NULL)
    {
      dsd_location_ingest_stop_async (dsd_context_get (self->context, DSD_TYPE_LOCATION_INGEST),
                                      ingest_stopped_cb, task);
      return;
    }

  stop_backends (self);
  g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

static void
streams_stopped_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;

  dsd_streams_stop_finish (DSD_STREAMS (source), result);
  stop_ingest_and_backends (g_steal_pointer (&task));
}

/* Once nothing new is accepted: stream clients get 1001 and reconnect elsewhere. */
static void
stop_streams (GTask *task)
{
  DsdDaemon *self = g_task_get_source_object (task);

  if (self->streams == NULL)
    {
      stop_ingest_and_backends (task);
      return;
    }

  dsd_streams_stop_async (self->streams, streams_stopped_cb, task);
}

static void
http_stopped_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;

  dsd_http_server_stop_finish (DSD_HTTP_SERVER (source), result);
  stop_streams (g_steal_pointer (&task));
}

void
dsd_daemon_stop_async (DsdDaemon           *self,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (DSD_IS_DAEMON (self));

  task = g_task_new (self, NULL, callback, user_data);
  g_task_set_source_tag (task, dsd_daemon_stop_async);
  g_clear_handle_id (&self->purge_source, g_source_remove);
  g_clear_object (&self->retention);
  g_clear_object (&self->contact_retention);

  if (self->http != NULL)
    {
      dsd_http_server_stop_async (self->http, GRACEFUL_STOP_MS, http_stopped_cb,
                                  g_steal_pointer (&task));
      return;
    }

  stop_ingest_and_backends (g_steal_pointer (&task));
}

void
dsd_daemon_stop_finish (DsdDaemon    *self,
                        GAsyncResult *result)
{
  g_return_if_fail (g_task_is_valid (result, self));

  g_task_propagate_boolean (G_TASK (result), NULL);
}

const char *
dsd_daemon_get_url (DsdDaemon *self)
{
  g_return_val_if_fail (DSD_IS_DAEMON (self), NULL);

  return self->url;
}
