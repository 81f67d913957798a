/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/*
 * Server configuration. Every setting has one environment variable name
 * (README.md, "Configuration"), the same name in lower case as a key of the
 * [dispatchd] group of a key file (--config FILE), and a --flag. Precedence:
 * defaults < key file < environment < flags.
 */
typedef struct {
  char    *listen;               /* DISPATCH_LISTEN, host:port */
  char    *data_dir;             /* DISPATCH_DATA_DIR */
  char    *database_url;         /* DATABASE_URL; NULL = managed cluster */
  char    *redis_url;            /* REDIS_URL */
  char    *kafka_brokers;        /* KAFKA_BROKERS */
  char    *jwt_secret;           /* DISPATCH_JWT_SECRET */
  char    *admin_password;       /* DISPATCH_ADMIN_PASSWORD */
  char    *tls_cert;             /* DISPATCH_TLS_CERT */
  char    *tls_key;              /* DISPATCH_TLS_KEY */
  char    *smtp_url;             /* SMTP_URL */
  char    *mail_from;            /* DISPATCH_MAIL_FROM */
  char    *public_url;           /* DISPATCH_PUBLIC_URL; NULL = the listen URL */
  char    *roles;                /* DISPATCH_ROLES, comma-separated */
  char    *log_format;           /* DISPATCH_LOG_FORMAT: text | json */
  char    *proof_required;       /* DISPATCH_PROOF_REQUIRED: none, or some of pin,photo,signature */
  guint    offer_timeout_s;      /* DISPATCH_OFFER_TIMEOUT_S */
  guint    location_max_age_s;   /* DISPATCH_LOCATION_MAX_AGE_S */
  guint    location_retention_days; /* DISPATCH_LOCATION_RETENTION_DAYS, 0 = forever */
  guint    contact_retention_days;  /* DISPATCH_CONTACT_RETENTION_DAYS, 0 = forever */
  double   max_pickup_km;        /* DISPATCH_MAX_PICKUP_KM */
  guint    batch_interval_s;     /* DISPATCH_BATCH_INTERVAL_S, ≥ 1 */
  guint    unassigned_alert_s;   /* DISPATCH_UNASSIGNED_ALERT_S, 0 = no alert */
  guint    token_lifetime_s;     /* DISPATCH_TOKEN_LIFETIME_S */
  guint    db_pool_size;         /* DISPATCH_DB_POOL_SIZE */
  guint    client_rate_limit;    /* DISPATCH_CLIENT_RATE_LIMIT, per minute, 0 = none */
  guint    client_max_streams;   /* DISPATCH_CLIENT_MAX_STREAMS, open at once, 0 = none */
  guint    webhook_retry_base_s; /* DISPATCH_WEBHOOK_RETRY_BASE_S */
  guint    webhook_max_attempts; /* DISPATCH_WEBHOOK_MAX_ATTEMPTS */
  gboolean webhook_allow_private;/* DISPATCH_WEBHOOK_ALLOW_PRIVATE */
  /* Orders that are not "now" and arrival alerts (docs/windows.md) */
  guint    schedule_lead_s;      /* DISPATCH_SCHEDULE_LEAD_S, 60..86400 */
  guint    ready_max_wait_s;     /* DISPATCH_READY_MAX_WAIT_S, ≤ schedule_lead_s */
  guint    at_risk_margin_s;     /* DISPATCH_AT_RISK_MARGIN_S, ≤ 86400 */
  guint    arrival_alert_s;      /* DISPATCH_ARRIVAL_ALERT_S, ≤ 3600, 0 = by distance only */
  guint    arrival_alert_m;      /* DISPATCH_ARRIVAL_ALERT_M, ≤ 50000, 0 = by time only */
  guint    arrived_radius_m;     /* DISPATCH_ARRIVED_RADIUS_M, 1..1000 */
  double   arrived_speed_mps;    /* DISPATCH_ARRIVED_SPEED_MPS, (0, 10] */
  guint    tracking_expiry_s;    /* DISPATCH_TRACKING_EXPIRY_S, ≤ 30 days */
  /* Several orders per trip (docs/trips.md) */
  guint    trip_max_orders;      /* DISPATCH_TRIP_MAX_ORDERS, 1..DSD_ROUTE_MAX_ORDERS */
  guint    trip_max_delay_s;     /* DISPATCH_TRIP_MAX_DELAY_S, ≤ 7200 */
  /* Cluster mode (KAFKA_BROKERS set), docs/cluster.md */
  char    *kafka_topic_prefix;   /* DISPATCH_KAFKA_TOPIC_PREFIX */
  guint    kafka_partitions;     /* DISPATCH_KAFKA_PARTITIONS, 1..1024 */
  guint    kafka_replication;    /* DISPATCH_KAFKA_REPLICATION, 1..16 */
  guint    kafka_retention_events_h;    /* DISPATCH_KAFKA_RETENTION_EVENTS_H, ≥ 1 */
  guint    kafka_retention_locations_min; /* DISPATCH_KAFKA_RETENTION_LOCATIONS_MIN, ≥ 1 */
  guint    kafka_max_attempts;   /* DISPATCH_KAFKA_MAX_ATTEMPTS, ≥ 1 */
  guint    http_header_timeout_s; /* DISPATCH_HTTP_HEADER_TIMEOUT_S */
  guint    http_body_timeout_s;  /* DISPATCH_HTTP_BODY_TIMEOUT_S */
  guint    http_idle_timeout_s;  /* DISPATCH_HTTP_IDLE_TIMEOUT_S */
  guint    http_max_connections; /* DISPATCH_HTTP_MAX_CONNECTIONS */
  guint    http_max_connections_per_client; /* DISPATCH_HTTP_MAX_CONNECTIONS_PER_CLIENT */
  guint    http_threads;         /* DISPATCH_HTTP_THREADS, 0..64, default the CPUs; 0: the main
                                  * loop reads HTTP */
} DsdConfig;

DsdConfig *dsd_config_new            (void);
void       dsd_config_free           (DsdConfig    *self);
/* Parses flags (consumed from argv) including --config FILE, then loads the
 * key file, the environment and the flags in that order, and validates. */
gboolean   dsd_config_parse          (DsdConfig    *self,
                                      int          *argc,
                                      char       ***argv,
                                      GError      **error);
/* Environment only (tools such as dispatchctl), validated. */
gboolean   dsd_config_load_defaults_from_environ (DsdConfig *self,
                                      GError      **error);
gboolean   dsd_config_load_key_file  (DsdConfig    *self,
                                      const char   *path,
                                      GError      **error);
gboolean   dsd_config_load_environ   (DsdConfig    *self,
                                      char        **envp,
                                      GError      **error);
/* Whether this instance runs role (api, assigner, notifier, relay): every
 * role when DISPATCH_ROLES is unset. */
gboolean   dsd_config_has_role       (DsdConfig    *self,
                                      const char   *role);
/* Whether DISPATCH_PROOF_REQUIRED names proof ("pin", "photo", "signature"). */
gboolean   dsd_config_requires_proof (DsdConfig    *self,
                                      const char   *proof);
/* Resolved data directory (default $XDG_DATA_HOME/dispatchd). */
const char *dsd_config_get_data_dir  (DsdConfig    *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DsdConfig, dsd_config_free)

G_END_DECLS
