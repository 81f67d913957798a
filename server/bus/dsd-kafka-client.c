/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-bus"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <glib-unix.h>

#include "dsd-kafka-client.h"

struct _DsdKafkaWatch {
  rd_kafka_queue_t  *queue;
  DsdKafkaQueueFunc  func;
  gpointer           user_data;
  int                fds[2];
  guint              fd_source;
  guint              idle_source;
};

typedef struct {
  rd_kafka_t *rk;
  char       *topic;
  gint64      since_ms;
  guint       timeout_ms;
  gboolean    assign;
} AssignAll;

static void run_queue (DsdKafkaWatch *self);

static gboolean
idle_cb (gpointer user_data)
{
  DsdKafkaWatch *self = user_data;

  self->idle_source = 0;
  run_queue (self);
  return G_SOURCE_REMOVE;
}

static void
run_queue (DsdKafkaWatch *self)
{
  if (self->func (self->queue, self->user_data) && self->idle_source == 0)
    self->idle_source = g_idle_add (idle_cb, self);
}

static gboolean
readable_cb (int          fd,
             GIOCondition condition,
             gpointer     user_data)
{
  DsdKafkaWatch *self = user_data;
  char buf[256];

  while (read (fd, buf, sizeof buf) > 0)
    ;

  run_queue (self);
  return G_SOURCE_CONTINUE;
}

DsdKafkaWatch *
dsd_kafka_watch_new (rd_kafka_queue_t  *queue,
                     DsdKafkaQueueFunc  func,
                     gpointer           user_data)
{
  DsdKafkaWatch *self = g_new0 (DsdKafkaWatch, 1);
  g_autoptr(GError) error = NULL;

  if (!g_unix_open_pipe (self->fds, FD_CLOEXEC, &error) ||
      !g_unix_set_fd_nonblocking (self->fds[0], TRUE, &error) ||
      !g_unix_set_fd_nonblocking (self->fds[1], TRUE, &error))
    g_error ("Cannot make a pipe for librdkafka: %s", error->message);

  self->queue = queue;
  self->func = func;
  self->user_data = user_data;
  rd_kafka_queue_io_event_enable (queue, self->fds[1], "1", 1);
  self->fd_source = g_unix_fd_add (self->fds[0], G_IO_IN, readable_cb, self);
  /* Whatever arrived before the pipe was enabled raised no edge. */
  self->idle_source = g_idle_add (idle_cb, self);

  return self;
}

void
dsd_kafka_watch_free (DsdKafkaWatch *self)
{
  if (self == NULL)
    return;

  rd_kafka_queue_io_event_enable (self->queue, -1, NULL, 0);
  g_clear_handle_id (&self->fd_source, g_source_remove);
  g_clear_handle_id (&self->idle_source, g_source_remove);
  rd_kafka_queue_destroy (self->queue);
  close (self->fds[0]);
  close (self->fds[1]);
  g_free (self);
}

rd_kafka_conf_t *
dsd_kafka_conf_new (const char         *brokers,
                    const char * const *pairs,
                    GError            **error)
{
  rd_kafka_conf_t *conf = rd_kafka_conf_new ();
  char errstr[512];

  if (rd_kafka_conf_set (conf, "bootstrap.servers", brokers, errstr, sizeof errstr) !=
      RD_KAFKA_CONF_OK)
    goto refused;
  /* Small requests (an event, a fetch) must not wait for Nagle. */
  if (rd_kafka_conf_set (conf, "socket.nagle.disable", "true", errstr, sizeof errstr) !=
      RD_KAFKA_CONF_OK)
    goto refused;

  for (guint i = 0; pairs != NULL && pairs[i] != NULL; i += 2)
    {
      if (rd_kafka_conf_set (conf, pairs[i], pairs[i + 1], errstr, sizeof errstr) !=
          RD_KAFKA_CONF_OK)
        goto refused;
    }

  return conf;

refused:
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "Kafka: %s", errstr);
  rd_kafka_conf_destroy (conf);
  return NULL;
}

rd_kafka_t *
dsd_kafka_new (rd_kafka_type_t   type,
               rd_kafka_conf_t  *conf,
               GError          **error)
{
  char errstr[512];
  rd_kafka_t *rk = rd_kafka_new (type, conf, errstr, sizeof errstr);

  if (rk == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Kafka: %s", errstr);
      rd_kafka_conf_destroy (conf);
    }

  return rk;
}

rd_kafka_resp_err_t
dsd_kafka_produce_event (rd_kafka_t    *rk,
                         const char    *topic,
                         gint64         seq,
                         gconstpointer  envelope,
                         gsize          length,
                         const char    *key,
                         gpointer       opaque)
{
  char seq_text[24];
  gsize key_length = key != NULL ? strlen (key) : 0;

  g_snprintf (seq_text, sizeof seq_text, "%" G_GINT64_FORMAT, seq);
  return rd_kafka_producev (rk,
                            RD_KAFKA_V_TOPIC (topic),
                            RD_KAFKA_V_KEY (key, key_length),
                            RD_KAFKA_V_VALUE ((void *) envelope, length),
                            RD_KAFKA_V_MSGFLAGS (RD_KAFKA_MSG_F_COPY),
                            RD_KAFKA_V_HEADER ("seq", seq_text, -1),
                            RD_KAFKA_V_OPAQUE (opaque),
                            RD_KAFKA_V_END);
}

const char *
dsd_kafka_header (const rd_kafka_message_t *message,
                  const char               *name,
                  char                     *buf,
                  gsize                     size)
{
  rd_kafka_headers_t *headers = NULL;
  const void *value = NULL;
  size_t length = 0;

  if (rd_kafka_message_headers (message, &headers) != RD_KAFKA_RESP_ERR_NO_ERROR ||
      rd_kafka_header_get_last (headers, name, &value, &length) != RD_KAFKA_RESP_ERR_NO_ERROR ||
      value == NULL || length >= size)
    return NULL;

  memcpy (buf, value, length);
  buf[length] = '\0';
  return buf;
}

static AssignAll *
assign_all_new (rd_kafka_t *rk,
                const char *topic,
                gint64      since_ms,
                guint       timeout_ms,
                gboolean    do_assign)
{
  AssignAll *assign = g_new0 (AssignAll, 1);

  assign->rk = rk;
  assign->topic = g_strdup (topic);
  assign->since_ms = since_ms;
  assign->timeout_ms = timeout_ms;
  assign->assign = do_assign;
  return assign;
}

static void
assign_all_free (gpointer data)
{
  AssignAll *assign = data;

  g_free (assign->topic);
  g_free (assign);
}

static guint
count_partitions (AssignAll  *assign,
                  GError    **error)
{
  const struct rd_kafka_metadata *metadata = NULL;
  rd_kafka_topic_t *topic = rd_kafka_topic_new (assign->rk, assign->topic, NULL);
  rd_kafka_resp_err_t err;
  guint n = 0;

  err = rd_kafka_metadata (assign->rk, 0, topic, &metadata, assign->timeout_ms);
  rd_kafka_topic_destroy (topic);
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR && metadata->topic_cnt == 1)
    {
      err = metadata->topics[0].err;
      n = metadata->topics[0].partition_cnt;
    }
  if (metadata != NULL)
    rd_kafka_metadata_destroy (metadata);

  if (err != RD_KAFKA_RESP_ERR_NO_ERROR || n == 0)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Kafka metadata of %s: %s",
                 assign->topic,
                 err != RD_KAFKA_RESP_ERR_NO_ERROR ? rd_kafka_err2str (err) : "no partitions");
  return err != RD_KAFKA_RESP_ERR_NO_ERROR ? 0 : n;
}

static void
assign_all_thread (GTask        *task,
                   gpointer      source_object,
                   gpointer      task_data,
                   GCancellable *cancellable)
{
  AssignAll *assign = task_data;
  rd_kafka_topic_partition_list_t *list = NULL;
  rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
  GError *error = NULL;
  guint n = count_partitions (assign, &error);

  if (n == 0 || !assign->assign)
    {
      if (n == 0)
        g_task_return_error (task, error);
      else
        g_task_return_int (task, n);
      return;
    }

  list = rd_kafka_topic_partition_list_new (n);
  for (guint i = 0; i < n; i++)
    rd_kafka_topic_partition_list_add (list, assign->topic, i)->offset =
      assign->since_ms > 0 ? assign->since_ms : RD_KAFKA_OFFSET_END;

  /* Partitions without a record that recent get -1: the end. */
  if (assign->since_ms > 0)
    err = rd_kafka_offsets_for_times (assign->rk, list, assign->timeout_ms);
  for (int i = 0; err == RD_KAFKA_RESP_ERR_NO_ERROR && i < list->cnt; i++)
    err = list->elems[i].err;
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR)
    err = rd_kafka_assign (assign->rk, list);
  rd_kafka_topic_partition_list_destroy (list);

  if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED, "Kafka: assigning %s: %s",
                             assign->topic, rd_kafka_err2str (err));
  else
    g_task_return_int (task, n);
}

static void
run_assign_all (rd_kafka_t          *rk,
                const char          *topic,
                gint64               since_ms,
                guint                timeout_ms,
                gboolean             do_assign,
                GAsyncReadyCallback  callback,
                gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, NULL, callback, user_data);

  g_task_set_source_tag (task, dsd_kafka_assign_all_async);
  g_task_set_task_data (task, assign_all_new (rk, topic, since_ms, timeout_ms, do_assign),
                        assign_all_free);
  g_task_run_in_thread (task, assign_all_thread);
}

void
dsd_kafka_assign_all_async (rd_kafka_t          *rk,
                            const char          *topic,
                            gint64               since_ms,
                            guint                timeout_ms,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  run_assign_all (rk, topic, since_ms, timeout_ms, TRUE, callback, user_data);
}

void
dsd_kafka_probe_async (rd_kafka_t          *rk,
                       const char          *topic,
                       guint                timeout_ms,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  run_assign_all (rk, topic, 0, timeout_ms, FALSE, callback, user_data);
}

guint
dsd_kafka_assign_all_finish (GAsyncResult  *result,
                             GError       **error)
{
  gssize n = g_task_propagate_int (G_TASK (result), error);

  return n < 0 ? 0 : (guint) n;
}

gboolean
dsd_kafka_poll_records (rd_kafka_t         *consumer,
                        guint               budget,
                        DsdKafkaRecordFunc  func,
                        gpointer            user_data)
{
  rd_kafka_message_t *message;
  guint n = 0;

  while (n++ < budget && (message = rd_kafka_consumer_poll (consumer, 0)) != NULL)
    {
      if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR)
        func (message, user_data);
      else if (message->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
        g_debug ("%s: %s", rd_kafka_name (consumer), rd_kafka_message_errstr (message));
      rd_kafka_message_destroy (message);
    }

  return n > budget;
}

/* Following a topic: one assignment after another until one succeeds. The
 * task data is the AssignAll of every try. */
static void follow_assign (GTask *task);

static gboolean
follow_retry_cb (gpointer user_data)
{
  GTask *task = user_data;

  if (!g_task_return_error_if_cancelled (task))
    follow_assign (g_object_ref (task));
  return G_SOURCE_REMOVE;
}

static void
follow_assigned_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  AssignAll *follow = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GSource) retry = NULL;
  guint n = dsd_kafka_assign_all_finish (result, &error);

  if (g_task_return_error_if_cancelled (task))
    return;
  if (n > 0)
    {
      g_message ("Following %u partitions of %s", n, follow->topic);
      g_task_return_int (task, n);
      return;
    }

  g_message ("Topic %s not readable yet (%s); trying again in %u s", follow->topic,
             error->message, DSD_KAFKA_FOLLOW_RETRY_S);
  /* The retry, or its cancellation, whichever comes first. */
  retry = g_timeout_source_new_seconds (DSD_KAFKA_FOLLOW_RETRY_S);
  if (cancellable != NULL)
    {
      g_autoptr(GSource) cancelled = g_cancellable_source_new (cancellable);

      g_source_set_dummy_callback (cancelled);
      g_source_add_child_source (retry, cancelled);
    }
  g_source_set_callback (retry, follow_retry_cb, g_steal_pointer (&task), g_object_unref);
  g_source_attach (retry, g_main_context_get_thread_default ());
}

static void
follow_assign (GTask *task)
{
  AssignAll *follow = g_task_get_task_data (task);

  dsd_kafka_assign_all_async (follow->rk, follow->topic, follow->since_ms, follow->timeout_ms,
                              follow_assigned_cb, task);
}

void
dsd_kafka_follow_async (rd_kafka_t          *rk,
                        const char          *topic,
                        gint64               since_ms,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, dsd_kafka_follow_async);
  g_task_set_task_data (task,
                        assign_all_new (rk, topic, since_ms, DSD_KAFKA_FOLLOW_TIMEOUT_MS, TRUE),
                        assign_all_free);
  follow_assign (task);
}

guint
dsd_kafka_follow_finish (GAsyncResult  *result,
                         GError       **error)
{
  gssize n = g_task_propagate_int (G_TASK (result), error);

  return n < 0 ? 0 : (guint) n;
}
