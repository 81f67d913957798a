/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <signal.h>

#include "dsd-redis.h"
#include "test-utils.h"

#define WAIT_MS 10000

/* The connection warns once when Redis goes away, as the tests make it do. */
static void
expect_down_warning (void)
{
  g_test_expect_message ("dsd-cache", G_LOG_LEVEL_WARNING, "Redis test * is down: *");
}

typedef struct {
  DsdTestRedis *server;
  DsdRedis     *redis;
} Fixture;

typedef struct {
  guint       n_replies;
  guint       n_errors;
  int         last_code;
  char       *last_string;
  long long   last_integer;
  guint       expected;     /* all_answered(): how many, at least 1 */
} Replies;

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(DsdRedisUrl) url = NULL;
  g_autoptr(GError) error = NULL;

  fixture->server = dsd_test_redis_new ();
  url = dsd_redis_url_parse (dsd_test_redis_get_url (fixture->server), &error);
  g_assert_no_error (error);
  fixture->redis = dsd_redis_new (url, "test");
  dsd_redis_set_timeouts (fixture->redis, 1000, 300);
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  g_clear_object (&fixture->redis);
  dsd_test_redis_free (fixture->server);
}

static gboolean
is_up (gpointer user_data)
{
  return dsd_redis_is_up (user_data);
}

static gboolean
is_down (gpointer user_data)
{
  return !dsd_redis_is_up (user_data);
}

static void
count_reply_cb (redisReply   *reply,
                const GError *error,
                gpointer      user_data)
{
  Replies *replies = user_data;

  if (error != NULL)
    {
      replies->n_errors++;
      replies->last_code = error->code;
      return;
    }

  replies->n_replies++;
  if (reply->type == REDIS_REPLY_STRING || reply->type == REDIS_REPLY_STATUS)
    {
      g_free (replies->last_string);
      replies->last_string = g_strndup (reply->str, reply->len);
    }
  else if (reply->type == REDIS_REPLY_INTEGER)
    replies->last_integer = reply->integer;
}

static gboolean
all_answered (gpointer user_data)
{
  Replies *replies = user_data;

  return replies->n_replies + replies->n_errors >= MAX (1, replies->expected);
}

static gboolean
send_command (DsdRedis    *redis,
              Replies     *replies,
              const char  *a,
              const char  *b,
              const char  *c)
{
  const char *argv[] = { a, b, c };
  gsize argv_len[] = { strlen (a), b ? strlen (b) : 0, c ? strlen (c) : 0 };

  return dsd_redis_command (redis, c != NULL ? 3 : b != NULL ? 2 : 1, argv, argv_len,
                            count_reply_cb, replies, NULL);
}

static void
test_url (void)
{
  const char *good[][4] = {
    { "redis://127.0.0.1:6380/2", "127.0.0.1", "6380", "2" },
    { "redis://localhost", "localhost", "6379", "0" },
    { "redis://:s%40cret@[::1]:7000/0", "::1", "7000", "0" },
  };
  const char *bad[] = {
    "", "127.0.0.1:6379", "http://host:6379", "rediss://host", "redis://", "redis://host:0",
    "redis://host:99999", "redis://host/x", "redis://host/1/2", "redis://user:pw@host",
    "redis://user@host", "redis://host/0?timeout=1", "redis://host#x", "redis://:@host",
  };

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(DsdRedisUrl) url = dsd_redis_url_parse (good[i][0], &error);

      g_assert_no_error (error);
      g_assert_cmpstr (url->host, ==, good[i][1]);
      g_assert_cmpuint (url->port, ==, atoi (good[i][2]));
      g_assert_cmpuint (url->db, ==, atoi (good[i][3]));
    }

  {
    g_autoptr(DsdRedisUrl) url = dsd_redis_url_parse (good[2][0], NULL);

    g_assert_cmpstr (url->password, ==, "s@cret");
  }

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(DsdRedisUrl) url = dsd_redis_url_parse (bad[i], &error);

      g_assert_null (url);
      g_assert_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE);
      g_assert_true (g_str_has_prefix (error->message, "REDIS_URL: "));
    }
}

/* Many commands in flight at once come back in order. */
static void
test_pipeline (Fixture       *fixture,
               gconstpointer  data)
{
  guint n = 2000;
  Replies replies = { .expected = n };

  dsd_redis_start (fixture->redis);
  g_assert_true (dsd_test_run_until (is_up, fixture->redis, WAIT_MS));

  for (guint i = 0; i < n; i++)
    g_assert_true (send_command (fixture->redis, &replies, "INCR", "pipelined", NULL));

  g_assert_true (dsd_test_run_until (all_answered, &replies, WAIT_MS));
  g_assert_cmpuint (replies.n_errors, ==, 0);
  g_assert_cmpint (replies.last_integer, ==, n);
  g_free (replies.last_string);
}

/* A script flushed from the server is sent again as EVAL. */
static void
test_script (Fixture       *fixture,
             gconstpointer  data)
{
  DsdRedisScript *script = dsd_redis_add_script (fixture->redis,
                                                 "return redis.call('INCRBY', KEYS[1], ARGV[1])");
  const char *argv[] = { "scripted", "5" };
  gsize argv_len[] = { 8, 1 };

  dsd_redis_start (fixture->redis);
  g_assert_true (dsd_test_run_until (is_up, fixture->redis, WAIT_MS));

  for (guint round = 0; round < 2; round++)
    {
      Replies replies = { 0 };

      g_assert_true (dsd_redis_eval (fixture->redis, script, 1, 2, argv, argv_len,
                                     count_reply_cb, &replies, NULL));
      g_assert_true (dsd_test_run_until (all_answered, &replies, WAIT_MS));
      g_assert_cmpuint (replies.n_errors, ==, 0);
      g_assert_cmpint (replies.last_integer, ==, 5 * (round + 1));

      freeReplyObject (dsd_test_redis_command (fixture->server, "SCRIPT FLUSH"));
    }
}

/* CLIENT KILL: the connection notices, reconnects and serves again. */
static void
test_client_kill (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(redisReply) killed = NULL;
  Replies replies = { 0 };

  dsd_redis_start (fixture->redis);
  g_assert_true (dsd_test_run_until (is_up, fixture->redis, WAIT_MS));

  expect_down_warning ();
  killed = dsd_test_redis_command (fixture->server, "CLIENT KILL TYPE normal SKIPME yes");
  g_assert_cmpint (killed->type, ==, REDIS_REPLY_INTEGER);
  g_assert_cmpint (killed->integer, ==, 1);

  g_assert_true (dsd_test_run_until (is_down, fixture->redis, WAIT_MS));
  g_test_assert_expected_messages ();
  g_assert_false (send_command (fixture->redis, &replies, "PING", NULL, NULL));
  g_assert_true (dsd_test_run_until (is_up, fixture->redis, WAIT_MS));
  g_assert_true (send_command (fixture->redis, &replies, "PING", NULL, NULL));
  g_assert_true (dsd_test_run_until (all_answered, &replies, WAIT_MS));
  g_assert_cmpstr (replies.last_string, ==, "PONG");
  g_free (replies.last_string);
}

/* A server that stops answering: the command fails with a timeout, the
 * connection is dropped, and comes back when the server does. */
static void
test_command_timeout (Fixture       *fixture,
                      gconstpointer  data)
{
  int pid = dsd_test_redis_get_pid (fixture->server);
  Replies replies = { 0 };

  dsd_redis_start (fixture->redis);
  g_assert_true (dsd_test_run_until (is_up, fixture->redis, WAIT_MS));

  expect_down_warning ();
  g_assert_cmpint (kill (pid, SIGSTOP), ==, 0);
  g_assert_true (send_command (fixture->redis, &replies, "PING", NULL, NULL));
  g_assert_true (dsd_test_run_until (all_answered, &replies, WAIT_MS));
  g_assert_cmpuint (replies.n_errors, ==, 1);
  g_assert_cmpint (replies.last_code, ==, DSD_REDIS_ERROR_TIMEOUT);
  g_assert_false (dsd_redis_is_up (fixture->redis));
  g_test_assert_expected_messages ();

  g_assert_cmpint (kill (pid, SIGCONT), ==, 0);
  g_assert_true (dsd_test_run_until (is_up, fixture->redis, WAIT_MS));
}

/* Down: commands fail at once; a restarted server is found again. */
static void
test_down_and_back (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  Replies replies = { 0 };
  const char *argv[] = { "PING" };
  gsize argv_len[] = { 4 };

  dsd_redis_start (fixture->redis);
  g_assert_true (dsd_test_run_until (is_up, fixture->redis, WAIT_MS));
  expect_down_warning ();
  dsd_test_redis_kill (fixture->server);
  g_assert_true (dsd_test_run_until (is_down, fixture->redis, WAIT_MS));
  g_test_assert_expected_messages ();

  g_assert_false (dsd_redis_command (fixture->redis, 1, argv, argv_len, count_reply_cb,
                                     &replies, &error));
  g_assert_error (error, DSD_REDIS_ERROR, DSD_REDIS_ERROR_DOWN);

  /* Several reconnect attempts fail in between. */
  dsd_test_run_for (500);
  g_assert_false (dsd_redis_is_up (fixture->redis));
  dsd_test_redis_start (fixture->server);
  g_assert_true (dsd_test_run_until (is_up, fixture->redis, WAIT_MS));
}

static void
test_bounded (Fixture       *fixture,
              gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  Replies replies = { 0 };
  const char *argv[] = { "PING" };
  gsize argv_len[] = { 4 };

  dsd_redis_set_max_pending (fixture->redis, 4);
  dsd_redis_start (fixture->redis);
  g_assert_true (dsd_test_run_until (is_up, fixture->redis, WAIT_MS));

  for (guint i = 0; i < 4; i++)
    g_assert_true (dsd_redis_command (fixture->redis, 1, argv, argv_len, count_reply_cb,
                                      &replies, NULL));
  g_assert_false (dsd_redis_command (fixture->redis, 1, argv, argv_len, count_reply_cb,
                                     &replies, &error));
  g_assert_error (error, DSD_REDIS_ERROR, DSD_REDIS_ERROR_BUSY);
  replies.expected = 4;
  g_assert_true (dsd_test_run_until (all_answered, &replies, WAIT_MS));
  g_assert_cmpuint (replies.n_replies, ==, 4);
  g_free (replies.last_string);
}

typedef struct {
  guint  n_messages;
  char  *last;
} Messages;

static void
message_cb (const char *channel,
            const char *payload,
            gsize       length,
            gpointer    user_data)
{
  Messages *messages = user_data;

  messages->n_messages++;
  g_free (messages->last);
  messages->last = g_strndup (payload, length);
}

static gboolean
has_messages (gpointer user_data)
{
  Messages *messages = user_data;

  return messages->n_messages > 0;
}

static gboolean
publish_until_received (DsdTestRedis *server,
                        Messages     *messages,
                        const char   *text)
{
  g_autoptr(redisReply) reply = dsd_test_redis_command (server, "PUBLISH chan %s", text);

  return dsd_test_run_until (has_messages, messages, WAIT_MS);
}

/* A subscriber gets messages, and subscribes again after being killed. */
static void
test_subscribe (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(redisReply) killed = NULL;
  Messages messages = { 0 };

  dsd_redis_subscribe (fixture->redis, "chan", message_cb, &messages);
  dsd_redis_start (fixture->redis);
  g_assert_true (dsd_test_run_until (is_up, fixture->redis, WAIT_MS));
  g_assert_true (publish_until_received (fixture->server, &messages, "one"));
  g_assert_cmpstr (messages.last, ==, "one");

  expect_down_warning ();
  killed = dsd_test_redis_command (fixture->server, "CLIENT KILL TYPE pubsub");
  g_assert_cmpint (killed->integer, ==, 1);
  g_assert_true (dsd_test_run_until (is_down, fixture->redis, WAIT_MS));
  g_test_assert_expected_messages ();
  g_assert_true (dsd_test_run_until (is_up, fixture->redis, WAIT_MS));
  messages.n_messages = 0;
  g_assert_true (publish_until_received (fixture->server, &messages, "two"));
  g_assert_cmpstr (messages.last, ==, "two");
  g_free (messages.last);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/redis/url", test_url);
#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/redis/pipeline", test_pipeline);
  ADD ("/redis/script-reload", test_script);
  ADD ("/redis/client-kill", test_client_kill);
  ADD ("/redis/command-timeout", test_command_timeout);
  ADD ("/redis/down-and-back", test_down_and_back);
  ADD ("/redis/bounded", test_bounded);
  ADD ("/redis/subscribe", test_subscribe);
#undef ADD

  return g_test_run ();
}
