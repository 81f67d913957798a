/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-live"

#include <string.h>

#include "dispatch-error.h"
#include "dsd-history-writer.h"
#include "dsd-pg-connection.h"
#include "dsd-pg-pool.h"

/* One query string, so one transaction (PostgreSQL answers once it is
 * committed, durably: synchronous_commit is on) and one round trip: the
 * points COPY'd (binary), then the live positions. */
static const char copy_sql[] =
  "COPY dispatch.driver_locations " DSD_LOCATION_BATCH_COLUMNS " FROM STDIN (FORMAT binary);"
  " SELECT dispatch.driver_positions_apply(%s::uuid[], %s::timestamptz[], %s::float8[],"
  " %s::float8[], %s::float8[], %s::float8[], %s::float8[])";

struct _DsdHistoryWriter {
  GObject          parent_instance;

  DsdPgConnection *connection;
  GTask           *task;      /* the write in progress; its data is what it writes */
};

G_DEFINE_FINAL_TYPE (DsdHistoryWriter, dsd_history_writer, G_TYPE_OBJECT)

enum {
  READY,
  LOST,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* error: (transfer full) (nullable): NULL when committed */
static void
finish_write (DsdHistoryWriter *self,
              GError           *error)
{
  g_autoptr(GTask) task = g_steal_pointer (&self->task);

  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

/* Ends the write with the statement's result. */
static void
written_cb (DsdPgConnection *connection,
            PGresult        *result,
            gpointer         user_data)
{
  DsdHistoryWriter *self = user_data;
  g_autoptr(PGresult) owned = result;
  GError *error = NULL;
  ExecStatusType status;
  const char *sqlstate;

  if (result == NULL)
    {
      finish_write (self, g_error_new_literal (DISPATCH_ERROR, DISPATCH_ERROR_UNAVAILABLE,
                                               "database unavailable"));
      return;
    }

  status = PQresultStatus (result);
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK)
    {
      finish_write (self, NULL);
      return;
    }

  /* A deadlock or serialization failure (class 40) is worth a retry. */
  sqlstate = PQresultErrorField (result, PG_DIAG_SQLSTATE);
  if (sqlstate != NULL && g_str_has_prefix (sqlstate, "40"))
    error = g_error_new_literal (DISPATCH_ERROR, DISPATCH_ERROR_UNAVAILABLE,
                                 "database conflict");
  else
    dsd_pg_result_to_error (result, &error);

  finish_write (self, error);
}

static void
connected_cb (DsdPgConnection *connection,
              gpointer         user_data)
{
  g_signal_emit (user_data, signals[READY], 0);
}

static void
disconnected_cb (DsdPgConnection *connection,
                 const char      *message,
                 gpointer         user_data)
{
  g_signal_emit (user_data, signals[LOST], 0, message);
}

static void
dsd_history_writer_dispose (GObject *object)
{
  DsdHistoryWriter *self = DSD_HISTORY_WRITER (object);

  if (self->connection != NULL)
    dsd_history_writer_close (self);
  g_clear_object (&self->connection);

  G_OBJECT_CLASS (dsd_history_writer_parent_class)->dispose (object);
}

static void
dsd_history_writer_class_init (DsdHistoryWriterClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = dsd_history_writer_dispose;

  signals[READY] =
    g_signal_new ("ready",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);

  signals[LOST] =
    g_signal_new ("lost",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
dsd_history_writer_init (DsdHistoryWriter *self)
{
}

DsdHistoryWriter *
dsd_history_writer_new (const char *conninfo)
{
  DsdHistoryWriter *self;

  g_return_val_if_fail (conninfo != NULL, NULL);

  self = g_object_new (DSD_TYPE_HISTORY_WRITER, NULL);
  self->connection = dsd_pg_connection_new (conninfo);
  g_signal_connect (self->connection, "connected", G_CALLBACK (connected_cb), self);
  g_signal_connect (self->connection, "disconnected", G_CALLBACK (disconnected_cb), self);

  return self;
}

void
dsd_history_writer_start (DsdHistoryWriter *self)
{
  g_return_if_fail (DSD_IS_HISTORY_WRITER (self));

  dsd_pg_connection_start (self->connection);
}

void
dsd_history_writer_close (DsdHistoryWriter *self)
{
  g_return_if_fail (DSD_IS_HISTORY_WRITER (self));

  g_signal_handlers_disconnect_by_data (self->connection, self);
  dsd_pg_connection_close (self->connection);
}

gboolean
dsd_history_writer_is_ready (DsdHistoryWriter *self)
{
  g_return_val_if_fail (DSD_IS_HISTORY_WRITER (self), FALSE);

  return self->task == NULL && dsd_pg_connection_is_idle (self->connection);
}

/* text as an SQL string literal. */
static char *
quote_literal (const char *text)
{
  GString *literal = g_string_sized_new (strlen (text) + 2);

  g_string_append_c (literal, '\'');
  for (const char *p = text; *p != '\0'; p++)
    {
      if (*p == '\'')
        g_string_append_c (literal, '\'');
      g_string_append_c (literal, *p);
    }
  g_string_append_c (literal, '\'');

  return g_string_free (literal, FALSE);
}

void
dsd_history_writer_write_async (DsdHistoryWriter     *self,
                                DsdLocationBatch     *batch,
                                DsdLocationPositions *positions,
                                GAsyncReadyCallback   callback,
                                gpointer              user_data)
{
  g_auto(GStrv) params = NULL;
  g_auto(GStrv) literals = NULL;
  g_autofree char *sql = NULL;

  g_return_if_fail (dsd_history_writer_is_ready (self));
  g_return_if_fail (batch != NULL);
  g_return_if_fail (positions != NULL);

  params = dsd_location_positions_params (positions);
  g_assert (g_strv_length (params) == 7);
  literals = g_new0 (char *, 8);
  for (guint i = 0; i < 7; i++)
    literals[i] = quote_literal (params[i]);
  sql = g_strdup_printf (copy_sql, literals[0], literals[1], literals[2], literals[3],
                         literals[4], literals[5], literals[6]);

  self->task = g_task_new (self, NULL, callback, user_data);
  g_task_set_source_tag (self->task, dsd_history_writer_write_async);
  g_task_set_task_data (self->task, batch, NULL);
  dsd_pg_connection_send_copy_in (self->connection, sql, dsd_location_batch_seal (batch),
                                  written_cb, self);
}

gboolean
dsd_history_writer_write_finish (DsdHistoryWriter  *self,
                                 GAsyncResult      *result,
                                 GError           **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
