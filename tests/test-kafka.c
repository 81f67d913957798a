/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-test"

#include <pwd.h>
#include <signal.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <librdkafka/rdkafka.h>

#include "test-kafka.h"
#include "test-utils.h"

#define READY_TIMEOUT_S 120
#define STOP_TIMEOUT_MS 15000

struct _DsdTestKafka {
  char        *tmp_dir;
  char        *log_path;     /* the script's and the JVM's output */
  guint        port;
  guint        controller_port;
  char        *bootstrap;
  GSubprocess *process;
  /* Removes tmp_dir if the test process dies first (the broker dies with it) */
  GSubprocess *watchdog;
};

const char *
dsd_test_kafka_get_libs_dir (void)
{
  static char *libs_dir;
  g_autofree char *setup = NULL;
  g_autofree char *out = NULL;
  g_autofree char *cache = NULL;
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  const char *top;

  if (libs_dir != NULL)
    return libs_dir;

  if (g_getenv ("DISPATCH_KAFKA_LIBS") != NULL)
    return libs_dir = g_strdup (g_getenv ("DISPATCH_KAFKA_LIBS"));

  /* Tests run with isolated XDG directories: find the user's real cache. */
  top = g_getenv ("DISPATCH_TEST_TOP_SRCDIR");
  g_assert_nonnull (top);
  setup = g_build_filename (top, "build-aux", "setup-kafka.sh", NULL);
  cache = g_build_filename (getpwuid (getuid ())->pw_dir, ".cache", "dispatch", NULL);
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  if (g_getenv ("DISPATCH_KAFKA_CACHE") == NULL)
    g_subprocess_launcher_setenv (launcher, "DISPATCH_KAFKA_CACHE", cache, TRUE);
  process = g_subprocess_launcher_spawn (launcher, &error, "bash", setup, NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, &out, NULL, &error);
  g_assert_no_error (error);
  if (!g_subprocess_get_successful (process))
    g_error ("build-aux/setup-kafka.sh failed: cannot start a Kafka broker");

  return libs_dir = g_strdup (g_strstrip (out));
}

static char *
tail_of (const char *path)
{
  g_autofree char *contents = NULL;
  gsize length = 0;

  if (!g_file_get_contents (path, &contents, &length, NULL))
    return g_strdup_printf ("(no %s)", path);

  return g_strdup (contents + (length > 3000 ? length - 3000 : 0));
}

/* The script's output (the storage tool, the JVM's stderr) and the broker's log. */
static char *
log_tail (DsdTestKafka *self)
{
  g_autofree char *broker_log = g_build_filename (self->tmp_dir, "broker.log", NULL);
  g_autofree char *output = tail_of (self->log_path);
  g_autofree char *broker = tail_of (broker_log);

  return g_strdup_printf ("--- output ---\n%s\n--- broker.log ---\n%s", output, broker);
}

/* build-aux/kafka-broker.sh writes the configuration and formats the storage
 * on the first start, then execs the JVM. */
static GSubprocess *
spawn_broker (DsdTestKafka  *self,
              GError       **error)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autofree char *script = NULL;
  g_autofree char *port = g_strdup_printf ("%u", self->port);
  g_autofree char *controller_port = g_strdup_printf ("%u", self->controller_port);

  script = g_build_filename (g_getenv ("DISPATCH_TEST_TOP_SRCDIR"), "build-aux", "kafka-broker.sh",
                             NULL);
  launcher = dsd_test_launcher_new (G_SUBPROCESS_FLAGS_STDERR_MERGE, SIGKILL);
  g_subprocess_launcher_set_stdout_file_path (launcher, self->log_path);
  g_subprocess_launcher_setenv (launcher, "DISPATCH_KAFKA_LIBS", dsd_test_kafka_get_libs_dir (),
                                TRUE);
  g_subprocess_launcher_setenv (launcher, "KAFKA_QUICK_START", "1", TRUE);

  return g_subprocess_launcher_spawn (launcher, error, "bash", script, self->tmp_dir, port,
                                      controller_port, NULL);
}

/* Metadata over the real protocol, with the client librdkafka the server uses. */
static gboolean
broker_answers (DsdTestKafka *self)
{
  g_autoptr(GError) error = NULL;
  rd_kafka_conf_t *conf = rd_kafka_conf_new ();
  const struct rd_kafka_metadata *metadata = NULL;
  char errstr[256];
  rd_kafka_t *rk;
  gboolean ok;

  rd_kafka_conf_set (conf, "bootstrap.servers", self->bootstrap, errstr, sizeof errstr);
  rd_kafka_conf_set (conf, "log_level", "0", errstr, sizeof errstr);
  rk = rd_kafka_new (RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  g_assert_nonnull (rk);
  ok = rd_kafka_metadata (rk, 1, NULL, &metadata, 1000) == RD_KAFKA_RESP_ERR_NO_ERROR &&
       metadata->broker_cnt == 1;
  if (metadata != NULL)
    rd_kafka_metadata_destroy (metadata);
  rd_kafka_destroy (rk);

  return ok;
}

static gboolean
broker_ready (gpointer user_data)
{
  DsdTestKafka *self = user_data;

  if (!dsd_test_process_alive (dsd_test_kafka_get_pid (self)))
    {
      g_autofree char *tail = log_tail (self);
      g_error ("The Kafka broker exited:\n%s", tail);
    }

  return broker_answers (self);
}

void
dsd_test_kafka_start (DsdTestKafka *self)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *pid_path = g_build_filename (self->tmp_dir, "broker.pid", NULL);

  g_assert_null (self->process);
  self->process = spawn_broker (self, &error);
  g_assert_no_error (error);
  /* For the watchdog (the script execs the JVM: same pid). */
  g_file_set_contents (pid_path, g_subprocess_get_identifier (self->process), -1, &error);
  g_assert_no_error (error);

  if (!dsd_test_run_until (broker_ready, self, READY_TIMEOUT_S * 1000))
    {
      g_autofree char *tail = log_tail (self);
      g_error ("The Kafka broker did not get ready within %d s:\n%s", READY_TIMEOUT_S, tail);
    }
}

DsdTestKafka *
dsd_test_kafka_new (void)
{
  DsdTestKafka *self = g_new0 (DsdTestKafka, 1);
  g_autofree char *pid_path = NULL;

  self->port = dsd_test_find_free_port ();
  do
    self->controller_port = dsd_test_find_free_port ();
  while (self->controller_port == self->port);

  self->tmp_dir = dsd_test_make_tmp_dir ("dsd-test-kafka");
  self->bootstrap = g_strdup_printf ("127.0.0.1:%u", self->port);
  self->log_path = g_build_filename (self->tmp_dir, "output.log", NULL);
  pid_path = g_build_filename (self->tmp_dir, "broker.pid", NULL);
  self->watchdog = dsd_test_watchdog_start (pid_path, "KILL", self->tmp_dir);

  dsd_test_kafka_start (self);

  return self;
}

const char *
dsd_test_kafka_get_bootstrap (DsdTestKafka *self)
{
  return self->bootstrap;
}

int
dsd_test_kafka_get_pid (DsdTestKafka *self)
{
  const char *id;

  if (self->process == NULL || (id = g_subprocess_get_identifier (self->process)) == NULL)
    return 0;

  return atoi (id);
}

static gboolean
slot_is_set (gpointer user_data)
{
  return *(gpointer *) user_data != NULL;
}

void
dsd_test_kafka_stop (DsdTestKafka *self)
{
  g_autoptr(GAsyncResult) result = NULL;
  GAsyncResult *slot = NULL;
  g_autoptr(GError) error = NULL;

  if (self->process == NULL)
    return;

  g_subprocess_send_signal (self->process, SIGTERM);
  g_subprocess_wait_async (self->process, NULL, dsd_test_store_result_cb, &slot);
  if (!dsd_test_run_until (slot_is_set, &slot, STOP_TIMEOUT_MS))
    g_subprocess_force_exit (self->process);
  result = dsd_test_wait_result (&slot, STOP_TIMEOUT_MS);
  g_subprocess_wait_finish (self->process, result, &error);
  g_assert_no_error (error);
  g_clear_object (&self->process);
}

void
dsd_test_kafka_free (DsdTestKafka *self)
{
  dsd_test_kafka_stop (self);
  dsd_test_remove_tree (self->tmp_dir);

  /* Nothing left for it to do. */
  dsd_test_watchdog_finish (g_steal_pointer (&self->watchdog));

  g_free (self->tmp_dir);
  g_free (self->log_path);
  g_free (self->bootstrap);
  g_free (self);
}
