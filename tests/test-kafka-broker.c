/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The test broker itself (tests/test-kafka.c): it starts, librdkafka 2.0.2
 * negotiates with it (topics by the admin API, idempotent produce, fetch), and
 * a stop and start on the same data keeps what was written.
 */
#include <librdkafka/rdkafka.h>

#include "test-kafka.h"
#include "test-utils.h"

#define TIMEOUT_MS 30000

static rd_kafka_t *
new_client (DsdTestKafka      *kafka,
            rd_kafka_type_t    type,
            const char * const *settings)
{
  rd_kafka_conf_t *conf = rd_kafka_conf_new ();
  char errstr[256];
  rd_kafka_t *rk;

  g_assert_cmpint (rd_kafka_conf_set (conf, "bootstrap.servers",
                                      dsd_test_kafka_get_bootstrap (kafka),
                                      errstr, sizeof errstr), ==, RD_KAFKA_CONF_OK);
  for (guint i = 0; settings != NULL && settings[i] != NULL; i += 2)
    g_assert_cmpint (rd_kafka_conf_set (conf, settings[i], settings[i + 1], errstr,
                                        sizeof errstr), ==, RD_KAFKA_CONF_OK);
  rk = rd_kafka_new (type, conf, errstr, sizeof errstr);
  g_assert_nonnull (rk);

  return rk;
}

static void
create_topic (DsdTestKafka *kafka,
              const char   *name,
              int           partitions)
{
  rd_kafka_t *rk = new_client (kafka, RD_KAFKA_PRODUCER, NULL);
  rd_kafka_queue_t *queue = rd_kafka_queue_new (rk);
  rd_kafka_NewTopic_t *topic;
  rd_kafka_event_t *event;
  const rd_kafka_CreateTopics_result_t *result;
  const rd_kafka_topic_result_t **results;
  size_t n_results;
  char errstr[256];

  topic = rd_kafka_NewTopic_new (name, partitions, 1, errstr, sizeof errstr);
  g_assert_nonnull (topic);
  rd_kafka_CreateTopics (rk, &topic, 1, NULL, queue);
  event = rd_kafka_queue_poll (queue, TIMEOUT_MS);
  g_assert_nonnull (event);
  result = rd_kafka_event_CreateTopics_result (event);
  g_assert_nonnull (result);
  results = rd_kafka_CreateTopics_result_topics (result, &n_results);
  g_assert_cmpuint (n_results, ==, 1);
  g_assert_cmpstr (rd_kafka_err2name (rd_kafka_topic_result_error (results[0])), ==,
                   "NO_ERROR");

  rd_kafka_event_destroy (event);
  rd_kafka_NewTopic_destroy (topic);
  rd_kafka_queue_destroy (queue);
  rd_kafka_destroy (rk);
}

static void
produce (DsdTestKafka *kafka,
         const char   *topic,
         const char   *key,
         const char   *value)
{
  static const char * const settings[] = { "enable.idempotence", "true", NULL };
  rd_kafka_t *rk = new_client (kafka, RD_KAFKA_PRODUCER, settings);

  g_assert_cmpint (rd_kafka_producev (rk, RD_KAFKA_V_TOPIC (topic),
                                      RD_KAFKA_V_KEY (key, strlen (key)),
                                      RD_KAFKA_V_VALUE ((void *) value, strlen (value)),
                                      RD_KAFKA_V_MSGFLAGS (RD_KAFKA_MSG_F_COPY),
                                      RD_KAFKA_V_END), ==, RD_KAFKA_RESP_ERR_NO_ERROR);
  g_assert_cmpint (rd_kafka_flush (rk, TIMEOUT_MS), ==, RD_KAFKA_RESP_ERR_NO_ERROR);
  g_assert_cmpint (rd_kafka_outq_len (rk), ==, 0);
  rd_kafka_destroy (rk);
}

/* Every value of partition 0 from the start, until end of partition. */
static GPtrArray *
consume_all (DsdTestKafka *kafka,
             const char   *topic)
{
  /* A group id is required even for assign(); nothing is committed. */
  static const char * const settings[] = {
    "enable.partition.eof", "true", "group.id", "dsd-test", "enable.auto.commit", "false", NULL
  };
  g_autoptr(GPtrArray) values = g_ptr_array_new_with_free_func (g_free);
  rd_kafka_t *rk = new_client (kafka, RD_KAFKA_CONSUMER, settings);
  rd_kafka_topic_partition_list_t *partitions = rd_kafka_topic_partition_list_new (1);
  gint64 deadline = g_get_monotonic_time () + TIMEOUT_MS * 1000;
  gboolean eof = FALSE;

  rd_kafka_topic_partition_list_add (partitions, topic, 0)->offset = RD_KAFKA_OFFSET_BEGINNING;
  g_assert_cmpint (rd_kafka_assign (rk, partitions), ==, RD_KAFKA_RESP_ERR_NO_ERROR);

  while (!eof && g_get_monotonic_time () < deadline)
    {
      rd_kafka_message_t *message = rd_kafka_consumer_poll (rk, 500);

      if (message == NULL)
        continue;
      if (message->err == RD_KAFKA_RESP_ERR__PARTITION_EOF)
        eof = TRUE;
      else
        {
          g_assert_cmpint (message->err, ==, RD_KAFKA_RESP_ERR_NO_ERROR);
          g_ptr_array_add (values, g_strndup (message->payload, message->len));
        }
      rd_kafka_message_destroy (message);
    }
  g_assert_true (eof);

  rd_kafka_topic_partition_list_destroy (partitions);
  rd_kafka_consumer_close (rk);
  rd_kafka_destroy (rk);

  return g_steal_pointer (&values);
}

static void
test_broker_round_trip (void)
{
  g_autoptr(DsdTestKafka) kafka = dsd_test_kafka_new ();
  g_autoptr(GPtrArray) before = NULL;
  g_autoptr(GPtrArray) after = NULL;

  create_topic (kafka, "round-trip", 1);
  produce (kafka, "round-trip", "k", "first");
  produce (kafka, "round-trip", "k", "second");
  before = consume_all (kafka, "round-trip");
  g_assert_cmpuint (before->len, ==, 2);
  g_assert_cmpstr (before->pdata[0], ==, "first");
  g_assert_cmpstr (before->pdata[1], ==, "second");

  dsd_test_kafka_stop (kafka);
  g_assert_cmpint (dsd_test_kafka_get_pid (kafka), ==, 0);
  dsd_test_kafka_start (kafka);

  produce (kafka, "round-trip", "k", "third");
  after = consume_all (kafka, "round-trip");
  g_assert_cmpuint (after->len, ==, 3);
  g_assert_cmpstr (after->pdata[2], ==, "third");
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/kafka/broker/round-trip", test_broker_round_trip);

  return g_test_run ();
}
