/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-test"

#include <pwd.h>
#include <signal.h>
#include <unistd.h>
#include <sys/prctl.h>

#include <glib/gstdio.h>
#include <librdkafka/rdkafka.h>

#include "test-kafka.h"
#include "test-utils.h"

#define READY_TIMEOUT_S 120
#define STOP_TIMEOUT_MS 15000

struct _DsdTestKafka {
  char        *tmp_dir;
  char        *properties_path;
  char        *log_path;
  char        *bootstrap;
  GSubprocess *process;
  /* Kills the broker and removes tmp_dir if the test process dies first */
  GSubprocess *watchdog;
};

static const char properties_template[] =
  "process.roles=broker,controller\n"
  "node.id=1\n"
  "controller.quorum.voters=1@127.0.0.1:%u\n"
  "listeners=PLAINTEXT://127.0.0.1:%u,CONTROLLER://127.0.0.1:%u\n"
  "advertised.listeners=PLAINTEXT://127.0.0.1:%u\n"
  "controller.listener.names=CONTROLLER\n"
  "inter.broker.listener.name=PLAINTEXT\n"
  "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT\n"
  "log.dirs=%s/data\n"
  "num.partitions=4\n"
  "offsets.topic.replication.factor=1\n"
  "offsets.topic.num.partitions=4\n"
  "transaction.state.log.replication.factor=1\n"
  "transaction.state.log.min.isr=1\n"
  "group.initial.rebalance.delay.ms=0\n"
  "auto.create.topics.enable=false\n";

static const char log4j_template[] =
  "log4j.rootLogger=WARN, file\n"
  "log4j.logger.kafka.server.KafkaRaftServer=INFO\n"
  "log4j.appender.file=org.apache.log4j.FileAppender\n"
  "log4j.appender.file.File=%s\n"
  "log4j.appender.file.layout=org.apache.log4j.PatternLayout\n"
  "log4j.appender.file.layout.ConversionPattern=[%%d] %%p %%m (%%c)%%n\n";

/* Waits for its standard input to close, i.e. for the test process to end;
 * $1 is the broker's pid file, $2 the temporary directory to remove. */
static const char watchdog_script[] =
  "read -r _\n"
  "if pid=$(cat \"$1\" 2>/dev/null); then kill -KILL \"$pid\" 2>/dev/null; fi\n"
  "rm -rf --one-file-system \"$2\"\n";

static void
die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

static void
new_session (gpointer user_data)
{
  setsid ();
}

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

static GSubprocess *
spawn_java (DsdTestKafka  *self,
            GError       **error,
            const char    *main_class,
            ...) G_GNUC_NULL_TERMINATED;

static GSubprocess *
spawn_java (DsdTestKafka  *self,
            GError       **error,
            const char    *main_class,
            ...)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *log4j = g_build_filename (self->tmp_dir, "log4j.properties", NULL);
  const char *arg;
  va_list args;

  g_ptr_array_add (argv, g_strdup ("java"));
  /* Small and quick to start: a test broker moves little data. */
  g_ptr_array_add (argv, g_strdup ("-Xms64m"));
  g_ptr_array_add (argv, g_strdup ("-Xmx512m"));
  g_ptr_array_add (argv, g_strdup ("-XX:+UseSerialGC"));
  g_ptr_array_add (argv, g_strdup ("-XX:TieredStopAtLevel=1"));
  g_ptr_array_add (argv, g_strdup ("-Djava.awt.headless=true"));
  g_ptr_array_add (argv, g_strdup_printf ("-Dlog4j.configuration=file:%s", log4j));
  g_ptr_array_add (argv, g_strdup ("-cp"));
  g_ptr_array_add (argv, g_build_filename (dsd_test_kafka_get_libs_dir (), "*", NULL));
  g_ptr_array_add (argv, g_strdup (main_class));
  va_start (args, main_class);
  while ((arg = va_arg (args, const char *)) != NULL)
    g_ptr_array_add (argv, g_strdup (arg));
  va_end (args);
  g_ptr_array_add (argv, NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  g_subprocess_launcher_set_stdout_file_path (launcher, self->log_path);
  g_subprocess_launcher_take_stderr_fd (launcher, -1);
  g_subprocess_launcher_set_flags (launcher, G_SUBPROCESS_FLAGS_STDERR_MERGE);

  return g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, error);
}

static char *
log_tail (DsdTestKafka *self)
{
  g_autofree char *contents = NULL;
  gsize length = 0;

  if (!g_file_get_contents (self->log_path, &contents, &length, NULL))
    return g_strdup ("(no log)");

  return g_strdup (contents + (length > 4000 ? length - 4000 : 0));
}

static void
format_storage (DsdTestKafka *self)
{
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *cluster_id = NULL;
  guchar id[16];

  /* A cluster id is a UUID in unpadded base64url (22 characters). */
  for (guint i = 0; i < sizeof id; i++)
    id[i] = g_random_int_range (0, 256);
  cluster_id = g_base64_encode (id, sizeof id);
  g_strdelimit (cluster_id, "+", '-');
  g_strdelimit (cluster_id, "/", '_');
  cluster_id[22] = '\0';

  process = spawn_java (self, &error, "kafka.tools.StorageTool", "format", "-t", cluster_id,
                        "-c", self->properties_path, NULL);
  g_assert_no_error (error);
  g_subprocess_wait (process, NULL, &error);
  g_assert_no_error (error);
  if (!g_subprocess_get_successful (process))
    {
      g_autofree char *tail = log_tail (self);
      g_error ("Kafka's storage tool failed:\n%s", tail);
    }
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
  self->process = spawn_java (self, &error, "kafka.Kafka", self->properties_path, NULL);
  g_assert_no_error (error);
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
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *pid_path = NULL;
  g_autofree char *properties = NULL;
  g_autofree char *log4j = NULL;
  g_autofree char *log4j_path = NULL;
  guint port = dsd_test_find_free_port ();
  guint controller_port = dsd_test_find_free_port ();

  while (controller_port == port)
    controller_port = dsd_test_find_free_port ();

  self->tmp_dir = dsd_test_make_tmp_dir ("dsd-test-kafka");
  self->bootstrap = g_strdup_printf ("127.0.0.1:%u", port);
  self->properties_path = g_build_filename (self->tmp_dir, "server.properties", NULL);
  self->log_path = g_build_filename (self->tmp_dir, "broker.log", NULL);
  pid_path = g_build_filename (self->tmp_dir, "broker.pid", NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE);
  g_subprocess_launcher_set_child_setup (launcher, new_session, NULL, NULL);
  self->watchdog = g_subprocess_launcher_spawn (launcher, &error, "sh", "-c", watchdog_script,
                                                "dsd-test-kafka-watchdog", pid_path,
                                                self->tmp_dir, NULL);
  g_assert_no_error (error);

  properties = g_strdup_printf (properties_template, controller_port, port, controller_port, port,
                                self->tmp_dir);
  g_file_set_contents (self->properties_path, properties, -1, &error);
  g_assert_no_error (error);
  log4j_path = g_build_filename (self->tmp_dir, "log4j.properties", NULL);
  log4j = g_strdup_printf (log4j_template, self->log_path);
  g_file_set_contents (log4j_path, log4j, -1, &error);
  g_assert_no_error (error);

  format_storage (self);
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

  /* Nothing left for it to do; it ends when its input does. */
  g_output_stream_close (g_subprocess_get_stdin_pipe (self->watchdog), NULL, NULL);
  g_subprocess_wait (self->watchdog, NULL, NULL);
  g_object_unref (self->watchdog);

  g_free (self->tmp_dir);
  g_free (self->properties_path);
  g_free (self->log_path);
  g_free (self->bootstrap);
  g_free (self);
}
