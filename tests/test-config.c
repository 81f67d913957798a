/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>

#include "dsd-config.h"
#include "test-utils.h"

/* Every variable a test sets, unset again before each test. */
static const char * const variables[] = {
  "DISPATCH_LISTEN", "DISPATCH_DB_POOL_SIZE", "DISPATCH_LOG_FORMAT", "DISPATCH_MAX_PICKUP_KM",
  "DISPATCH_WEBHOOK_ALLOW_PRIVATE", "DISPATCH_TOKEN_LIFETIME_S", "DISPATCH_JWT_SECRET",
  "DISPATCH_ROLES", "DISPATCH_TLS_CERT", "DISPATCH_BATCH_INTERVAL_S", "DATABASE_URL",
  "DISPATCH_PROOF_REQUIRED",
  "DISPATCH_PUBLIC_URL", "KAFKA_BROKERS", "DISPATCH_KAFKA_TOPIC_PREFIX",
  "DISPATCH_KAFKA_PARTITIONS", "DISPATCH_KAFKA_REPLICATION", "DISPATCH_KAFKA_RETENTION_EVENTS_H",
  "DISPATCH_KAFKA_RETENTION_LOCATIONS_MIN", "DISPATCH_KAFKA_MAX_ATTEMPTS",
  "DISPATCH_SCHEDULE_LEAD_S", "DISPATCH_READY_MAX_WAIT_S", "DISPATCH_AT_RISK_MARGIN_S",
  "DISPATCH_ARRIVAL_ALERT_S", "DISPATCH_ARRIVED_RADIUS_M", "DISPATCH_ARRIVED_SPEED_MPS",
  "DISPATCH_TRACKING_EXPIRY_S", "DISPATCH_CONTACT_RETENTION_DAYS", "DISPATCH_TRIP_MAX_ORDERS",
  "DISPATCH_TRIP_MAX_DELAY_S", "DISPATCH_HTTP_THREADS", NULL
};

static void
clear_environment (void)
{
  for (guint i = 0; variables[i] != NULL; i++)
    g_unsetenv (variables[i]);
}

/* Writes a key file into the test's own temporary directory. */
static char *
write_key_file (const char *text)
{
  g_autoptr(GError) error = NULL;
  char *path = g_build_filename (g_get_tmp_dir (), "dispatchd.conf", NULL);

  g_file_set_contents (path, text, -1, &error);
  g_assert_no_error (error);

  return path;
}

/* Parses a command line given as NULL-terminated arguments after argv[0]. */
static gboolean
parse (DsdConfig   *config,
       GError     **error,
       ...)
{
  g_autoptr(DsdTestArgv) args = NULL;
  va_list ap;

  va_start (ap, error);
  args = dsd_test_argv_new_va ("dispatchd", ap);
  va_end (ap);

  return dsd_config_parse (config, &args->argc, &args->argv, error);
}

static void
test_defaults (void)
{
  g_autoptr(DsdConfig) config = dsd_config_new ();
  g_autoptr(GError) error = NULL;

  clear_environment ();
  g_assert_true (parse (config, &error, NULL));
  g_assert_no_error (error);
  g_assert_cmpstr (config->listen, ==, "127.0.0.1:8080");
  g_assert_cmpstr (config->log_format, ==, "text");
  g_assert_null (config->database_url);
  g_assert_cmpuint (config->db_pool_size, ==, 8);
  g_assert_cmpuint (config->token_lifetime_s, ==, 12 * 3600);
  g_assert_cmpfloat (config->max_pickup_km, ==, 20.0);
  g_assert_false (config->webhook_allow_private);
  g_assert_true (dsd_config_has_role (config, "assigner"));
}

/* defaults < key file < environment < flags, setting by setting. */
static void
test_precedence (void)
{
  g_autoptr(DsdConfig) config = dsd_config_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *path = write_key_file ("[dispatchd]\n"
                                          "dispatch_listen=127.0.0.1:1001\n"
                                          "dispatch_db_pool_size=3\n"
                                          "dispatch_log_format=json\n"
                                          "dispatch_max_pickup_km=7.5\n");

  clear_environment ();
  g_setenv ("DISPATCH_LISTEN", "127.0.0.1:1002", TRUE);
  g_setenv ("DISPATCH_DB_POOL_SIZE", "4", TRUE);

  g_assert_true (parse (config, &error, "--config", path, "--db-pool-size", "5",
                        "--webhook-allow-private", NULL));
  g_assert_no_error (error);
  g_assert_cmpfloat (config->max_pickup_km, ==, 7.5);             /* key file */
  g_assert_cmpstr (config->log_format, ==, "json");               /* key file */
  g_assert_cmpstr (config->listen, ==, "127.0.0.1:1002");          /* environment */
  g_assert_cmpuint (config->db_pool_size, ==, 5);                 /* flag */
  g_assert_true (config->webhook_allow_private);                  /* flag without value */
  g_assert_cmpuint (config->token_lifetime_s, ==, 12 * 3600);      /* default */

  g_remove (path);
}

static void
test_values (void)
{
  g_autoptr(DsdConfig) config = dsd_config_new ();
  g_autoptr(GError) error = NULL;

  clear_environment ();
  g_setenv ("DISPATCH_WEBHOOK_ALLOW_PRIVATE", "yes", TRUE);
  g_setenv ("DISPATCH_ROLES", "api, relay", TRUE);
  g_setenv ("DATABASE_URL", "postgresql:///dispatch", TRUE);
  g_assert_true (parse (config, &error, "--public-url=https://example.test", NULL));
  g_assert_no_error (error);
  g_assert_true (config->webhook_allow_private);
  g_assert_cmpstr (config->database_url, ==, "postgresql:///dispatch");
  g_assert_cmpstr (config->public_url, ==, "https://example.test");
  g_assert_true (dsd_config_has_role (config, "api"));
  g_assert_true (dsd_config_has_role (config, "relay"));
  g_assert_false (dsd_config_has_role (config, "assigner"));

  /* A flag overrides a true environment value with false; an empty string
   * unsets a string setting. */
  g_assert_true (parse (config, &error, "--webhook-allow-private=off", "--public-url=", NULL));
  g_assert_no_error (error);
  g_assert_false (config->webhook_allow_private);
  g_assert_null (config->public_url);
}

typedef struct {
  const char *variable;     /* set in the environment, or NULL */
  const char *value;
  const char *flag;         /* or given as a flag, or NULL */
  const char *message;      /* part of the error */
} Refusal;

static void
test_refused (void)
{
  static const Refusal refusals[] = {
    { "DISPATCH_DB_POOL_SIZE", "eight", NULL, "invalid value “eight” for DISPATCH_DB_POOL_SIZE" },
    { "DISPATCH_DB_POOL_SIZE", "-1", NULL, "invalid value" },
    { "DISPATCH_DB_POOL_SIZE", "99999999999", NULL, "invalid value" },
    { "DISPATCH_DB_POOL_SIZE", "0", NULL, "must be at least 1" },
    { "DISPATCH_TOKEN_LIFETIME_S", "0", NULL, "must be at least 1" },
    { "DISPATCH_BATCH_INTERVAL_S", "0", NULL, "DISPATCH_BATCH_INTERVAL_S must be at least 1" },
    { "DISPATCH_CONTACT_RETENTION_DAYS", "36501", NULL, "must be at most 36500" },
    { "DISPATCH_MAX_PICKUP_KM", "-3", NULL, "invalid value" },
    { "DISPATCH_MAX_PICKUP_KM", "nan", NULL, "invalid value" },
    { "DISPATCH_MAX_PICKUP_KM", "2km", NULL, "invalid value" },
    { "DISPATCH_WEBHOOK_ALLOW_PRIVATE", "maybe", NULL, "invalid value" },
    { "DISPATCH_JWT_SECRET", "short", NULL, "at least 32 bytes" },
    { "DISPATCH_LOG_FORMAT", "xml", NULL, "text or json" },
    { "DISPATCH_ROLES", "api,cook", NULL, "unknown role “cook”" },
    { "DISPATCH_PROOF_REQUIRED", "pin,selfie", NULL,
      "“selfie” is not none, pin, photo or signature" },
    { "DISPATCH_TLS_CERT", "/nonexistent/cert.pem", NULL, "go together" },
    { NULL, NULL, "--db-pool-size=lots", "command line: invalid value" },
    /* Kafka settings are checked when there is a Kafka (the flag names one). */
    { "DISPATCH_KAFKA_PARTITIONS", "0", "--kafka-brokers=127.0.0.1:9092", "within 1..1024" },
    { "DISPATCH_KAFKA_PARTITIONS", "5000", "--kafka-brokers=127.0.0.1:9092", "within 1..1024" },
    { "DISPATCH_KAFKA_REPLICATION", "0", "--kafka-brokers=127.0.0.1:9092", "within 1..16" },
    { "DISPATCH_KAFKA_TOPIC_PREFIX", "a/b", "--kafka-brokers=127.0.0.1:9092",
      "DISPATCH_KAFKA_TOPIC_PREFIX may only hold" },
    { "DISPATCH_KAFKA_RETENTION_LOCATIONS_MIN", "0", "--kafka-brokers=127.0.0.1:9092",
      "must be at least 1" },
    { "DISPATCH_KAFKA_MAX_ATTEMPTS", "0", "--kafka-brokers=127.0.0.1:9092",
      "DISPATCH_KAFKA_MAX_ATTEMPTS must be at least 1" },
    { NULL, NULL, "--log-format=xml", "text or json" },
    /* Orders that are not "now", arrival alerts, tracking links */
    { "DISPATCH_SCHEDULE_LEAD_S", "30", NULL, "DISPATCH_SCHEDULE_LEAD_S must be from 60" },
    { "DISPATCH_READY_MAX_WAIT_S", "7200", NULL, "at most DISPATCH_SCHEDULE_LEAD_S" },
    { "DISPATCH_AT_RISK_MARGIN_S", "90000", NULL, "DISPATCH_AT_RISK_MARGIN_S at most" },
    { "DISPATCH_ARRIVAL_ALERT_S", "0", NULL, "not both 0" },
    { "DISPATCH_ARRIVAL_ALERT_S", "4000", NULL, "DISPATCH_ARRIVAL_ALERT_S must be at most" },
    { "DISPATCH_ARRIVED_RADIUS_M", "0", NULL, "DISPATCH_ARRIVED_RADIUS_M must be from 1" },
    { "DISPATCH_ARRIVED_SPEED_MPS", "0", NULL, "DISPATCH_ARRIVED_SPEED_MPS above 0" },
    { "DISPATCH_ARRIVED_SPEED_MPS", "nan", NULL, "invalid value" },
    { "DISPATCH_TRACKING_EXPIRY_S", "99999999", NULL, "DISPATCH_TRACKING_EXPIRY_S must be" },
    /* Trips of several orders */
    { "DISPATCH_TRIP_MAX_ORDERS", "0", NULL, "DISPATCH_TRIP_MAX_ORDERS must be from 1" },
    { "DISPATCH_TRIP_MAX_ORDERS", "7", NULL, "DISPATCH_TRIP_MAX_ORDERS must be from 1" },
    { "DISPATCH_TRIP_MAX_DELAY_S", "9000", NULL, "DISPATCH_TRIP_MAX_DELAY_S at most" },
    /* The HTTP front */
    { "DISPATCH_HTTP_THREADS", "65", NULL, "DISPATCH_HTTP_THREADS must be from 0 to 64" },
    { "DISPATCH_HTTP_THREADS", "two", NULL, "invalid value" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (refusals); i++)
    {
      const Refusal *r = &refusals[i];
      g_autoptr(DsdConfig) config = dsd_config_new ();
      g_autoptr(GError) error = NULL;

      clear_environment ();
      if (r->variable != NULL)
        g_setenv (r->variable, r->value, TRUE);
      g_assert_false (parse (config, &error, r->flag, NULL));
      g_assert_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE);
      if (strstr (error->message, r->message) == NULL)
        g_error ("refusal %u: “%s” does not say “%s”", i, error->message, r->message);
    }
}

static void
test_key_file_refused (void)
{
  g_autoptr(DsdConfig) config = dsd_config_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *unknown = write_key_file ("[dispatchd]\ndispatch_listne=127.0.0.1:1\n");
  g_autofree char *missing = g_build_filename (g_get_tmp_dir (), "missing.conf", NULL);

  clear_environment ();
  g_assert_false (parse (config, &error, "--config", unknown, NULL));
  g_assert_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_KEY_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "unknown key “dispatch_listne”"));
  g_clear_error (&error);

  g_assert_false (parse (config, &error, "--config", missing, NULL));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
  g_clear_error (&error);

  g_assert_false (parse (config, &error, "--no-such-flag", NULL));
  g_assert_error (error, G_OPTION_ERROR, G_OPTION_ERROR_UNKNOWN_OPTION);

  g_remove (unknown);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/config/defaults", test_defaults);
  g_test_add_func ("/config/precedence", test_precedence);
  g_test_add_func ("/config/values", test_values);
  g_test_add_func ("/config/refused", test_refused);
  g_test_add_func ("/config/key-file-refused", test_key_file_refused);

  return g_test_run ();
}
