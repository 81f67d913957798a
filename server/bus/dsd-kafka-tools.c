/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-bus"

#include <json-glib/json-glib.h>

#include "dispatch-json.h"
#include "dsd-event.h"
#include "dsd-kafka-client.h"
#include "dsd-kafka-tools.h"
#include "dsd-pg-pool.h"

#define REPLAY_BATCH 1000

static const char replay_sql[] =
  "SELECT seq, envelope::text FROM dispatch.events_for_replay($1::bigint, $2::bigint, "
  "$3::bigint, $4::timestamptz, $5::timestamptz, $6::int)";

static char *
topic_name (DsdConfig  *config,
            const char *suffix)
{
  return g_strconcat (config->kafka_topic_prefix, suffix, NULL);
}

static gboolean
check_brokers (DsdConfig  *config,
               GError    **error)
{
  if (config->kafka_brokers != NULL)
    return TRUE;

  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                       "KAFKA_BROKERS is not set: there is no Kafka bus to work on");
  return FALSE;
}

static void
print_record (FILE                     *out,
              const rd_kafka_message_t *message)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(JsonNode) event = NULL;
  g_autofree char *payload = g_strndup (message->payload, message->len);
  g_autofree char *text = NULL;
  rd_kafka_headers_t *headers = NULL;
  const char *name;
  const void *value;
  size_t length;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "partition");
  json_builder_add_int_value (builder, message->partition);
  json_builder_set_member_name (builder, "offset");
  json_builder_add_int_value (builder, message->offset);
  json_builder_set_member_name (builder, "timestamp");
  json_builder_add_int_value (builder, rd_kafka_message_timestamp (message, NULL));
  json_builder_set_member_name (builder, "headers");
  json_builder_begin_object (builder);
  if (rd_kafka_message_headers (message, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR)
    {
      for (size_t i = 0; rd_kafka_header_get_all (headers, i, &name, &value, &length) ==
                           RD_KAFKA_RESP_ERR_NO_ERROR; i++)
        {
          g_autofree char *copy = g_strndup (value, length);

          json_builder_set_member_name (builder, name);
          json_builder_add_string_value (builder, g_utf8_validate (copy, -1, NULL) ? copy : "");
        }
    }
  json_builder_end_object (builder);
  json_builder_set_member_name (builder, "event");
  event = json_from_string (payload, NULL);
  if (event != NULL)
    json_builder_add_value (builder, g_steal_pointer (&event));
  else
    json_builder_add_null_value (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  text = json_to_string (root, FALSE);
  fprintf (out, "%s\n", text);
}

gboolean
dsd_kafka_list_dead_letters (DsdConfig  *config,
                             FILE       *out,
                             guint       timeout_ms,
                             GError    **error)
{
  static const char * const settings[] = {
    "group.id", "dispatchctl-dead-letters",
    "enable.auto.commit", "false",
    "enable.partition.eof", "true",
    NULL
  };
  g_autofree char *topic = NULL;
  rd_kafka_t *rk;
  rd_kafka_conf_t *conf;
  rd_kafka_topic_partition_list_t *list = NULL;
  const struct rd_kafka_metadata *metadata = NULL;
  rd_kafka_topic_t *rkt;
  rd_kafka_resp_err_t err;
  gint64 deadline = g_get_monotonic_time () + timeout_ms * G_GINT64_CONSTANT (1000);
  int n_open = 0;

  if (!check_brokers (config, error))
    return FALSE;

  topic = topic_name (config, "dead-letters");
  conf = dsd_kafka_conf_new (config->kafka_brokers, settings, error);
  if (conf == NULL || (rk = dsd_kafka_new (RD_KAFKA_CONSUMER, conf, error)) == NULL)
    return FALSE;

  rkt = rd_kafka_topic_new (rk, topic, NULL);
  err = rd_kafka_metadata (rk, 0, rkt, &metadata, timeout_ms);
  rd_kafka_topic_destroy (rkt);
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR && metadata->topic_cnt == 1)
    err = metadata->topics[0].err;
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Kafka metadata of %s: %s", topic,
                   rd_kafka_err2str (err));
      goto out;
    }

  list = rd_kafka_topic_partition_list_new (metadata->topics[0].partition_cnt);
  for (int i = 0; i < metadata->topics[0].partition_cnt; i++)
    {
      gint64 low = 0, high = 0;

      err = rd_kafka_query_watermark_offsets (rk, topic, i, &low, &high, timeout_ms);
      if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Kafka offsets of %s: %s", topic,
                       rd_kafka_err2str (err));
          goto out;
        }
      if (high > low)
        {
          rd_kafka_topic_partition_list_add (list, topic, i)->offset = low;
          n_open++;
        }
    }

  rd_kafka_assign (rk, list);
  while (n_open > 0 && g_get_monotonic_time () < deadline)
    {
      rd_kafka_message_t *message = rd_kafka_consumer_poll (rk, 100);

      if (message == NULL)
        continue;
      if (message->err == RD_KAFKA_RESP_ERR__PARTITION_EOF)
        n_open--;
      else if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR)
        print_record (out, message);
      rd_kafka_message_destroy (message);
    }

  if (n_open > 0)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                 "Not every dead letter was read within %u ms", timeout_ms);

out:
  if (list != NULL)
    rd_kafka_topic_partition_list_destroy (list);
  if (metadata != NULL)
    rd_kafka_metadata_destroy (metadata);
  rd_kafka_consumer_close (rk);
  rd_kafka_destroy (rk);
  return error == NULL || *error == NULL;
}

static char *
format_bound (gint64 value)
{
  return value > 0 ? g_strdup_printf ("%" G_GINT64_FORMAT, value) : NULL;
}

static char *
format_time (gint64 us)
{
  return us > 0 ? dispatch_format_timestamp (us) : NULL;
}

gint64
dsd_kafka_replay (DsdConfig   *config,
                  const char  *conninfo,
                  const char  *topic,
                  gint64       from_seq,
                  gint64       to_seq,
                  gint64       since_us,
                  gint64       until_us,
                  guint        timeout_ms,
                  GError     **error)
{
  static const char * const settings[] = {
    "enable.idempotence", "true",
    "client.id", "dispatchctl-replay",
    NULL
  };
  g_autofree char *events_topic = topic_name (config, "events");
  g_autofree char *from = format_bound (from_seq);
  g_autofree char *to = format_bound (to_seq);
  g_autofree char *since = format_time (since_us);
  g_autofree char *until = format_time (until_us);
  rd_kafka_conf_t *conf;
  rd_kafka_t *rk;
  gint64 after = 0, n = 0;
  int n_rows;

  if (!check_brokers (config, error))
    return -1;

  conf = dsd_kafka_conf_new (config->kafka_brokers, settings, error);
  if (conf == NULL || (rk = dsd_kafka_new (RD_KAFKA_PRODUCER, conf, error)) == NULL)
    return -1;

  do
    {
      g_autofree char *after_text = g_strdup_printf ("%" G_GINT64_FORMAT, after);
      const char * const params[] = {
        after_text, from, to, since, until, G_STRINGIFY (REPLAY_BATCH)
      };
      g_autoptr(PGresult) rows = dsd_pg_exec_sync (conninfo, replay_sql, 6, params, error);

      if (rows == NULL)
        goto failed;

      n_rows = PQntuples (rows);
      for (int i = 0; i < n_rows; i++)
        {
          g_autoptr(DsdEvent) event = dsd_event_new_from_json (PQgetvalue (rows, i, 1),
                                                               PQgetlength (rows, i, 1), error);
          rd_kafka_resp_err_t err;

          if (event == NULL)
            goto failed;
          while ((err = dsd_kafka_produce_event (rk, topic != NULL ? topic : events_topic,
                                                 dsd_event_get_seq (event),
                                                 PQgetvalue (rows, i, 1),
                                                 PQgetlength (rows, i, 1),
                                                 dsd_event_get_key (event), NULL)) ==
                 RD_KAFKA_RESP_ERR__QUEUE_FULL)
            rd_kafka_poll (rk, 100);
          if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
            {
              g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Kafka: %s",
                           rd_kafka_err2str (err));
              goto failed;
            }
          after = dsd_event_get_seq (event);
          n++;
        }
    }
  while (n_rows == REPLAY_BATCH);

  if (rd_kafka_flush (rk, timeout_ms) != RD_KAFKA_RESP_ERR_NO_ERROR)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                   "%d events not acknowledged by Kafka within %u ms",
                   rd_kafka_outq_len (rk), timeout_ms);
      goto failed;
    }

  rd_kafka_destroy (rk);
  return n;

failed:
  rd_kafka_destroy (rk);
  return -1;
}
