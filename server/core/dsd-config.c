/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-core"

#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dispatch-error.h"
#include "dsd-config.h"
#include "dsd-route-plan.h"

#define KEY_FILE_GROUP "dispatchd"

typedef enum {
  SETTING_STRING,
  SETTING_UINT,
  SETTING_DOUBLE,
  SETTING_BOOLEAN,
} SettingType;

typedef struct {
  const char  *env;
  SettingType  type;
  gsize        offset;
  const char  *description;
} Setting;

#define STR(field, env, desc)  { env, SETTING_STRING, G_STRUCT_OFFSET (DsdConfig, field), desc }
#define UINT(field, env, desc) { env, SETTING_UINT, G_STRUCT_OFFSET (DsdConfig, field), desc }
#define DBL(field, env, desc)  { env, SETTING_DOUBLE, G_STRUCT_OFFSET (DsdConfig, field), desc }
#define BOOL(field, env, desc) { env, SETTING_BOOLEAN, G_STRUCT_OFFSET (DsdConfig, field), desc }

static const Setting settings[] = {
  STR (listen, "DISPATCH_LISTEN", "Address to listen on, HOST:PORT"),
  STR (data_dir, "DISPATCH_DATA_DIR", "Directory for the managed database and secrets"),
  STR (database_url, "DATABASE_URL", "PostgreSQL connection URL (default: managed cluster)"),
  STR (redis_url, "REDIS_URL", "Redis URL for shared hot state"),
  STR (kafka_brokers, "KAFKA_BROKERS", "Kafka bootstrap servers"),
  STR (jwt_secret, "DISPATCH_JWT_SECRET", "Token signing secret, at least 32 bytes"),
  STR (admin_password, "DISPATCH_ADMIN_PASSWORD", "Password of the first admin"),
  STR (tls_cert, "DISPATCH_TLS_CERT", "TLS certificate file (PEM)"),
  STR (tls_key, "DISPATCH_TLS_KEY", "TLS private key file (PEM)"),
  STR (smtp_url, "SMTP_URL", "SMTP server for customer e-mail"),
  STR (mail_from, "DISPATCH_MAIL_FROM", "Sender address of customer e-mail"),
  STR (public_url, "DISPATCH_PUBLIC_URL", "Public base URL for tracking links"),
  STR (roles, "DISPATCH_ROLES", "Roles of this instance: api,assigner,notifier,relay"),
  STR (log_format, "DISPATCH_LOG_FORMAT", "Log format: text or json"),
  STR (proof_required, "DISPATCH_PROOF_REQUIRED",
       "Proof of delivery an order requires unless it says: none, or pin,photo,signature"),
  UINT (offer_timeout_s, "DISPATCH_OFFER_TIMEOUT_S", "Seconds a driver has to accept an offer"),
  UINT (location_max_age_s, "DISPATCH_LOCATION_MAX_AGE_S", "Oldest location automation uses"),
  UINT (location_retention_days, "DISPATCH_LOCATION_RETENTION_DAYS",
        "Days location history is kept (0: forever)"),
  UINT (contact_retention_days, "DISPATCH_CONTACT_RETENTION_DAYS",
        "Days after an order ends that its contact details are kept (0: forever)"),
  DBL (max_pickup_km, "DISPATCH_MAX_PICKUP_KM", "Farthest pickup automation considers"),
  UINT (batch_interval_s, "DISPATCH_BATCH_INTERVAL_S", "Seconds between batch matching rounds"),
  UINT (unassigned_alert_s, "DISPATCH_UNASSIGNED_ALERT_S",
        "Seconds a pending order waits before order.unassignable (0: never)"),
  UINT (token_lifetime_s, "DISPATCH_TOKEN_LIFETIME_S", "Lifetime of access tokens"),
  UINT (db_pool_size, "DISPATCH_DB_POOL_SIZE", "Database connections"),
  UINT (client_rate_limit, "DISPATCH_CLIENT_RATE_LIMIT",
        "Requests per client address per minute, on all instances (0: no limit)"),
  UINT (client_max_streams, "DISPATCH_CLIENT_MAX_STREAMS",
        "Websocket streams a client address holds open at once, on all instances (0: no cap)"),
  UINT (webhook_retry_base_s, "DISPATCH_WEBHOOK_RETRY_BASE_S", "First webhook retry delay"),
  UINT (webhook_max_attempts, "DISPATCH_WEBHOOK_MAX_ATTEMPTS", "Webhook delivery attempts"),
  BOOL (webhook_allow_private, "DISPATCH_WEBHOOK_ALLOW_PRIVATE", "Allow private webhook targets"),
  UINT (schedule_lead_s, "DISPATCH_SCHEDULE_LEAD_S",
        "Seconds before its planned pickup an order enters dispatch"),
  UINT (ready_max_wait_s, "DISPATCH_READY_MAX_WAIT_S",
        "Longest wait at a pickup that is not ready yet automation plans for"),
  UINT (at_risk_margin_s, "DISPATCH_AT_RISK_MARGIN_S",
        "Seconds of margin before a window's end that raise order.at_risk"),
  UINT (arrival_alert_s, "DISPATCH_ARRIVAL_ALERT_S",
        "ETA to a stop that raises order.arriving (0: by distance only)"),
  UINT (arrival_alert_m, "DISPATCH_ARRIVAL_ALERT_M",
        "Distance to a stop that raises order.arriving (0: by time only)"),
  UINT (arrived_radius_m, "DISPATCH_ARRIVED_RADIUS_M", "Radius of a stop for arrival"),
  DBL (arrived_speed_mps, "DISPATCH_ARRIVED_SPEED_MPS", "Speed below which a driver has arrived"),
  UINT (tracking_expiry_s, "DISPATCH_TRACKING_EXPIRY_S",
        "Seconds a public tracking link works after the order ends"),
  UINT (trip_max_orders, "DISPATCH_TRIP_MAX_ORDERS",
        "Orders automation lets a driver carry at once (1: one at a time)"),
  UINT (trip_max_delay_s, "DISPATCH_TRIP_MAX_DELAY_S",
        "Seconds a shared trip may delay an order beyond doing it alone"),
  STR (kafka_topic_prefix, "DISPATCH_KAFKA_TOPIC_PREFIX", "Prefix of the Kafka topic names"),
  UINT (kafka_partitions, "DISPATCH_KAFKA_PARTITIONS", "Partitions of topics created at start"),
  UINT (kafka_replication, "DISPATCH_KAFKA_REPLICATION",
        "Replication factor of topics created at start"),
  UINT (kafka_retention_events_h, "DISPATCH_KAFKA_RETENTION_EVENTS_H",
        "Hours the events topic keeps records"),
  UINT (kafka_retention_locations_min, "DISPATCH_KAFKA_RETENTION_LOCATIONS_MIN",
        "Minutes the locations topic keeps records"),
  UINT (kafka_max_attempts, "DISPATCH_KAFKA_MAX_ATTEMPTS",
        "Tries of a consumed event before it goes to the dead-letter topic"),
  UINT (http_header_timeout_s, "DISPATCH_HTTP_HEADER_TIMEOUT_S",
        "Seconds a client has to send a request's headers"),
  UINT (http_body_timeout_s, "DISPATCH_HTTP_BODY_TIMEOUT_S",
        "Seconds a client has to send a request's body"),
  UINT (http_idle_timeout_s, "DISPATCH_HTTP_IDLE_TIMEOUT_S",
        "Seconds an idle keep-alive connection stays open"),
  UINT (http_max_connections, "DISPATCH_HTTP_MAX_CONNECTIONS", "Open client connections at most"),
  UINT (http_threads, "DISPATCH_HTTP_THREADS",
        "Front threads that read and answer HTTP (0: the main loop does)"),
  UINT (http_max_connections_per_client, "DISPATCH_HTTP_MAX_CONNECTIONS_PER_CLIENT",
        "Open connections per client address at most"),
};

/* Longest accepted timeout of the HTTP front. */
#define HTTP_TIMEOUT_MAX_S 3600
/* Front threads of the HTTP front: more than cores only adds switching. */
#define HTTP_THREADS_MAX 64
/* Retention settings, days: a hundred years is forever enough */
#define RETENTION_MAX_DAYS 36500

/* Bounds of the settings of orders that are not "now" (validate_windows). */
#define SCHEDULE_MAX_S 86400
#define ARRIVAL_ALERT_MAX_S 3600
#define ARRIVAL_ALERT_MAX_M 50000
#define ARRIVED_RADIUS_MAX_M 1000
#define ARRIVED_SPEED_MAX_MPS 10.0
#define TRACKING_EXPIRY_MAX_S (30 * 86400)
/* Trips of several orders (docs/trips.md): the route planner enumerates
 * every sequence of the stops, which bounds the orders of a trip. */
#define TRIP_MAX_ORDERS DSD_ROUTE_MAX_ORDERS
#define TRIP_MAX_DELAY_S 7200

static const char * const known_roles[] = { "api", "assigner", "notifier", "relay", NULL };
static const char * const known_proofs[] = { "pin", "photo", "signature", NULL };

/* The settings of orders that are not "now" and of arrival alerts. */
static gboolean
validate_windows (DsdConfig  *self,
                  GError    **error)
{
  if (self->schedule_lead_s < 60 || self->schedule_lead_s > SCHEDULE_MAX_S ||
      self->ready_max_wait_s > self->schedule_lead_s || self->at_risk_margin_s > SCHEDULE_MAX_S)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "DISPATCH_SCHEDULE_LEAD_S must be from 60 to %u, "
                   "DISPATCH_READY_MAX_WAIT_S at most DISPATCH_SCHEDULE_LEAD_S and "
                   "DISPATCH_AT_RISK_MARGIN_S at most %u", SCHEDULE_MAX_S, SCHEDULE_MAX_S);
      return FALSE;
    }

  if (self->arrival_alert_s > ARRIVAL_ALERT_MAX_S || self->arrival_alert_m > ARRIVAL_ALERT_MAX_M ||
      (self->arrival_alert_s == 0 && self->arrival_alert_m == 0))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "DISPATCH_ARRIVAL_ALERT_S must be at most %u and DISPATCH_ARRIVAL_ALERT_M "
                   "at most %u, not both 0", ARRIVAL_ALERT_MAX_S, ARRIVAL_ALERT_MAX_M);
      return FALSE;
    }

  if (self->arrived_radius_m < 1 || self->arrived_radius_m > ARRIVED_RADIUS_MAX_M ||
      !(self->arrived_speed_mps > 0 && self->arrived_speed_mps <= ARRIVED_SPEED_MAX_MPS))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "DISPATCH_ARRIVED_RADIUS_M must be from 1 to %u and "
                   "DISPATCH_ARRIVED_SPEED_MPS above 0 and at most %g",
                   ARRIVED_RADIUS_MAX_M, ARRIVED_SPEED_MAX_MPS);
      return FALSE;
    }

  if (self->tracking_expiry_s > TRACKING_EXPIRY_MAX_S)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "DISPATCH_TRACKING_EXPIRY_S must be at most %u", TRACKING_EXPIRY_MAX_S);
      return FALSE;
    }

  return TRUE;
}

/* Trips of several orders. */
static gboolean
validate_trips (DsdConfig  *self,
                GError    **error)
{
  if (self->trip_max_orders < 1 || self->trip_max_orders > TRIP_MAX_ORDERS ||
      self->trip_max_delay_s > TRIP_MAX_DELAY_S)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "DISPATCH_TRIP_MAX_ORDERS must be from 1 to %u and "
                   "DISPATCH_TRIP_MAX_DELAY_S at most %u", TRIP_MAX_ORDERS, TRIP_MAX_DELAY_S);
      return FALSE;
    }

  return TRUE;
}

static char *
setting_flag_name (const Setting *setting)
{
  const char *name = setting->env;
  g_autofree char *lower = NULL;

  if (g_str_has_prefix (name, "DISPATCH_"))
    name += strlen ("DISPATCH_");

  lower = g_ascii_strdown (name, -1);
  g_strdelimit (lower, "_", '-');
  return g_steal_pointer (&lower);
}

static const Setting *
find_setting_by_flag (const char *flag)
{
  while (*flag == '-')
    flag++;

  for (guint i = 0; i < G_N_ELEMENTS (settings); i++)
    {
      g_autofree char *name = setting_flag_name (&settings[i]);

      if (g_str_equal (name, flag))
        return &settings[i];
    }

  return NULL;
}

static gboolean
parse_boolean (const char *text,
               gboolean   *out)
{
  const char * const truthy[] = { "1", "true", "yes", "on", NULL };
  const char * const falsy[] = { "0", "false", "no", "off", NULL };

  if (g_strv_contains (truthy, text))
    *out = TRUE;
  else if (g_strv_contains (falsy, text))
    *out = FALSE;
  else
    return FALSE;

  return TRUE;
}

static gboolean
apply_setting (DsdConfig     *self,
               const Setting *setting,
               const char    *origin,
               const char    *text,
               GError       **error)
{
  gpointer field = G_STRUCT_MEMBER_P (self, setting->offset);

  switch (setting->type)
    {
    case SETTING_STRING:
      g_free (*(char **) field);
      *(char **) field = *text ? g_strdup (text) : NULL;
      return TRUE;

    case SETTING_UINT:
      {
        guint64 value;

        if (!g_ascii_string_to_unsigned (text, 10, 0, G_MAXUINT, &value, NULL))
          break;
        *(guint *) field = value;
        return TRUE;
      }

    case SETTING_DOUBLE:
      {
        char *end = NULL;
        double value;

        errno = 0;
        value = g_ascii_strtod (text, &end);
        if (errno != 0 || end == text || *end != '\0' || !isfinite (value) || value < 0)
          break;
        *(double *) field = value;
        return TRUE;
      }

    case SETTING_BOOLEAN:
      if (parse_boolean (text, (gboolean *) field))
        return TRUE;
      break;

    default:
      g_assert_not_reached ();
    }

  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
               "%s: invalid value “%s” for %s", origin, text, setting->env);
  return FALSE;
}

/* Topic names allow [a-zA-Z0-9._-], at most 249 characters. */
static gboolean
validate_kafka (DsdConfig  *self,
                GError    **error)
{
  const char *prefix = self->kafka_topic_prefix;
  const char *problem = NULL;

  if (prefix == NULL || strlen (prefix) > 200 ||
      strspn (prefix, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
        != strlen (prefix))
    problem = "DISPATCH_KAFKA_TOPIC_PREFIX may only hold letters, digits, '.', '_' and '-' "
              "(at most 200)";
  else if (self->kafka_partitions < 1 || self->kafka_partitions > 1024)
    problem = "DISPATCH_KAFKA_PARTITIONS must be within 1..1024";
  else if (self->kafka_replication < 1 || self->kafka_replication > 16)
    problem = "DISPATCH_KAFKA_REPLICATION must be within 1..16";
  else if (self->kafka_retention_events_h < 1 || self->kafka_retention_locations_min < 1)
    problem = "DISPATCH_KAFKA_RETENTION_EVENTS_H and DISPATCH_KAFKA_RETENTION_LOCATIONS_MIN "
              "must be at least 1";
  else if (self->kafka_max_attempts < 1)
    problem = "DISPATCH_KAFKA_MAX_ATTEMPTS must be at least 1";

  if (problem != NULL)
    {
      g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, problem);
      return FALSE;
    }

  return TRUE;
}

static gboolean
validate (DsdConfig  *self,
          GError    **error)
{
  if (self->jwt_secret != NULL && strlen (self->jwt_secret) < 32)
    {
      g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                           "DISPATCH_JWT_SECRET must be at least 32 bytes");
      return FALSE;
    }

  if ((self->tls_cert == NULL) != (self->tls_key == NULL))
    {
      g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                           "DISPATCH_TLS_CERT and DISPATCH_TLS_KEY go together");
      return FALSE;
    }

  if (self->log_format != NULL &&
      !g_str_equal (self->log_format, "text") && !g_str_equal (self->log_format, "json"))
    {
      g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                           "DISPATCH_LOG_FORMAT must be text or json");
      return FALSE;
    }

  if (self->roles != NULL)
    {
      g_auto(GStrv) roles = g_strsplit (self->roles, ",", -1);

      for (guint i = 0; roles[i] != NULL; i++)
        {
          g_strstrip (roles[i]);
          if (!g_strv_contains (known_roles, roles[i]))
            {
              g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                           "DISPATCH_ROLES: unknown role “%s”", roles[i]);
              return FALSE;
            }
        }
    }

  if (self->proof_required != NULL && !g_str_equal (self->proof_required, "none"))
    {
      g_auto(GStrv) proofs = g_strsplit (self->proof_required, ",", -1);

      for (guint i = 0; proofs[i] != NULL; i++)
        {
          if (!g_strv_contains (known_proofs, g_strstrip (proofs[i])))
            {
              g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                           "DISPATCH_PROOF_REQUIRED: “%s” is not none, pin, photo or signature",
                           proofs[i]);
              return FALSE;
            }
        }
    }

  if (self->db_pool_size == 0 || self->token_lifetime_s == 0 || self->webhook_max_attempts == 0)
    {
      g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                           "DISPATCH_DB_POOL_SIZE, DISPATCH_TOKEN_LIFETIME_S and "
                           "DISPATCH_WEBHOOK_MAX_ATTEMPTS must be at least 1");
      return FALSE;
    }

  if (self->kafka_brokers != NULL && !validate_kafka (self, error))
    return FALSE;

  if (self->location_retention_days > RETENTION_MAX_DAYS ||
      self->contact_retention_days > RETENTION_MAX_DAYS)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "DISPATCH_LOCATION_RETENTION_DAYS and DISPATCH_CONTACT_RETENTION_DAYS must be "
                   "at most %u", RETENTION_MAX_DAYS);
      return FALSE;
    }

  if (self->batch_interval_s == 0)
    {
      g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                           "DISPATCH_BATCH_INTERVAL_S must be at least 1");
      return FALSE;
    }

  if (self->http_header_timeout_s == 0 || self->http_header_timeout_s > HTTP_TIMEOUT_MAX_S ||
      self->http_body_timeout_s == 0 || self->http_body_timeout_s > HTTP_TIMEOUT_MAX_S ||
      self->http_idle_timeout_s == 0 || self->http_idle_timeout_s > HTTP_TIMEOUT_MAX_S)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "DISPATCH_HTTP_HEADER_TIMEOUT_S, DISPATCH_HTTP_BODY_TIMEOUT_S and "
                   "DISPATCH_HTTP_IDLE_TIMEOUT_S must be from 1 to %u", HTTP_TIMEOUT_MAX_S);
      return FALSE;
    }

  if (!validate_windows (self, error) || !validate_trips (self, error))
    return FALSE;

  if (self->http_threads > HTTP_THREADS_MAX)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "DISPATCH_HTTP_THREADS must be from 0 to %u", HTTP_THREADS_MAX);
      return FALSE;
    }

  if (self->http_max_connections_per_client == 0 ||
      self->http_max_connections_per_client > self->http_max_connections)
    {
      g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                           "DISPATCH_HTTP_MAX_CONNECTIONS_PER_CLIENT must be from 1 to "
                           "DISPATCH_HTTP_MAX_CONNECTIONS");
      return FALSE;
    }

  return TRUE;
}

DsdConfig *
dsd_config_new (void)
{
  DsdConfig *self = g_new0 (DsdConfig, 1);

  self->listen = g_strdup ("127.0.0.1:8080");
  self->log_format = g_strdup ("text");
  self->offer_timeout_s = 0;
  self->location_max_age_s = 300;
  self->location_retention_days = 30;
  self->max_pickup_km = 20.0;
  self->batch_interval_s = 5;
  self->unassigned_alert_s = 120;
  self->schedule_lead_s = 1800;
  self->ready_max_wait_s = 300;
  self->at_risk_margin_s = 300;
  self->arrival_alert_s = 300;
  self->arrival_alert_m = 0;
  self->arrived_radius_m = 50;
  self->arrived_speed_mps = 2.0;
  self->tracking_expiry_s = 86400;
  self->trip_max_orders = 3;
  self->trip_max_delay_s = 600;
  self->token_lifetime_s = 12 * 3600;
  self->http_header_timeout_s = 10;
  self->http_body_timeout_s = 30;
  self->http_idle_timeout_s = 60;
  self->http_max_connections = 10000;
  self->http_max_connections_per_client = 256;
  self->http_threads = MIN (g_get_num_processors (), HTTP_THREADS_MAX);
  self->db_pool_size = 8;
  self->webhook_retry_base_s = 5;
  self->webhook_max_attempts = 8;
  self->webhook_allow_private = FALSE;
  self->kafka_topic_prefix = g_strdup ("dispatch.");
  self->kafka_partitions = 6;
  self->kafka_replication = 1;
  self->kafka_retention_events_h = 168;
  self->kafka_retention_locations_min = 60;
  self->kafka_max_attempts = 5;

  return self;
}

void
dsd_config_free (DsdConfig *self)
{
  if (self == NULL)
    return;

  for (guint i = 0; i < G_N_ELEMENTS (settings); i++)
    {
      if (settings[i].type == SETTING_STRING)
        g_free (G_STRUCT_MEMBER (char *, self, settings[i].offset));
    }

  g_free (self);
}

gboolean
dsd_config_load_key_file (DsdConfig   *self,
                          const char  *path,
                          GError     **error)
{
  g_autoptr(GKeyFile) key_file = g_key_file_new ();
  g_auto(GStrv) keys = NULL;

  if (!g_key_file_load_from_file (key_file, path, G_KEY_FILE_NONE, error))
    return FALSE;

  keys = g_key_file_get_keys (key_file, KEY_FILE_GROUP, NULL, NULL);
  for (guint k = 0; keys != NULL && keys[k] != NULL; k++)
    {
      g_autofree char *upper = g_ascii_strup (keys[k], -1);
      g_autofree char *value = g_key_file_get_string (key_file, KEY_FILE_GROUP, keys[k], NULL);
      const Setting *setting = NULL;

      for (guint i = 0; i < G_N_ELEMENTS (settings) && setting == NULL; i++)
        {
          if (g_str_equal (settings[i].env, upper))
            setting = &settings[i];
        }

      if (setting == NULL)
        {
          g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_KEY_NOT_FOUND,
                       "%s: unknown key “%s” in [%s]", path, keys[k], KEY_FILE_GROUP);
          return FALSE;
        }

      if (!apply_setting (self, setting, path, value, error))
        return FALSE;
    }

  return TRUE;
}

gboolean
dsd_config_load_environ (DsdConfig  *self,
                         char      **envp,
                         GError    **error)
{
  for (guint i = 0; i < G_N_ELEMENTS (settings); i++)
    {
      const char *value = g_environ_getenv (envp, settings[i].env);

      if (value != NULL && !apply_setting (self, &settings[i], "environment", value, error))
        return FALSE;
    }

  return TRUE;
}

typedef struct {
  GPtrArray *pairs;     /* (Setting *, value) pairs in command-line order */
} FlagParse;

static gboolean
flag_cb (const char  *option_name,
         const char  *value,
         gpointer     user_data,
         GError     **error)
{
  FlagParse *parse = user_data;
  const Setting *setting = find_setting_by_flag (option_name);

  g_assert (setting != NULL);
  g_ptr_array_add (parse->pairs, (gpointer) setting);
  g_ptr_array_add (parse->pairs, g_strdup (value != NULL ? value : "true"));
  return TRUE;
}

gboolean
dsd_config_parse (DsdConfig   *self,
                  int         *argc,
                  char      ***argv,
                  GError     **error)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GArray) entries = g_array_new (TRUE, TRUE, sizeof (GOptionEntry));
  g_auto(GStrv) envp = g_get_environ ();
  g_autofree char *config_file = NULL;
  FlagParse parse = { g_ptr_array_new () };
  GOptionGroup *group;
  gboolean ok = FALSE;
  GOptionEntry config_entry = {
    "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_file,
    "Key file with a [dispatchd] group", "FILE"
  };

  g_array_append_val (entries, config_entry);
  for (guint i = 0; i < G_N_ELEMENTS (settings); i++)
    {
      char *name = setting_flag_name (&settings[i]);
      GOptionEntry entry = {
        name, 0, settings[i].type == SETTING_BOOLEAN ? G_OPTION_FLAG_OPTIONAL_ARG : 0,
        G_OPTION_ARG_CALLBACK, (gpointer) flag_cb, settings[i].description, settings[i].env
      };

      g_ptr_array_add (names, name);
      g_array_append_val (entries, entry);
    }

  context = g_option_context_new (NULL);
  g_option_context_set_summary (context,
    "Settings come from the key file, then the environment variable named beside each\n"
    "option, then the command line.");
  group = g_option_group_new (NULL, NULL, NULL, &parse, NULL);
  g_option_group_add_entries (group, (const GOptionEntry *) (gpointer) entries->data);
  g_option_context_set_main_group (context, group);

  if (!g_option_context_parse (context, argc, argv, error))
    goto out;

  if (config_file != NULL && !dsd_config_load_key_file (self, config_file, error))
    goto out;

  if (!dsd_config_load_environ (self, envp, error))
    goto out;

  for (guint i = 0; i < parse.pairs->len; i += 2)
    {
      if (!apply_setting (self, parse.pairs->pdata[i], "command line",
                          parse.pairs->pdata[i + 1], error))
        goto out;
    }

  ok = validate (self, error);

out:
  for (guint i = 1; i < parse.pairs->len; i += 2)
    g_free (parse.pairs->pdata[i]);
  g_ptr_array_unref (parse.pairs);
  return ok;
}

gboolean
dsd_config_load_defaults_from_environ (DsdConfig  *self,
                                       GError    **error)
{
  g_auto(GStrv) envp = g_get_environ ();

  return dsd_config_load_environ (self, envp, error) && validate (self, error);
}

/* Whether the comma-separated list names item. */
static gboolean
list_contains (const char *list,
               const char *item)
{
  g_auto(GStrv) items = g_strsplit (list, ",", -1);

  for (guint i = 0; items[i] != NULL; i++)
    {
      if (g_str_equal (g_strstrip (items[i]), item))
        return TRUE;
    }

  return FALSE;
}

gboolean
dsd_config_has_role (DsdConfig  *self,
                     const char *role)
{
  return self->roles == NULL || list_contains (self->roles, role);
}

gboolean
dsd_config_requires_proof (DsdConfig  *self,
                           const char *proof)
{
  return self->proof_required != NULL && list_contains (self->proof_required, proof);
}

const char *
dsd_config_get_data_dir (DsdConfig *self)
{
  if (self->data_dir == NULL)
    self->data_dir = g_build_filename (g_get_user_data_dir (), "dispatchd", NULL);

  return self->data_dir;
}
