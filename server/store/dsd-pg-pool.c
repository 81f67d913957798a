/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-store"

#include "config.h"

#include "dispatch-error.h"
#include "dsd-pg-connection.h"
#include "dsd-pg-pool.h"

typedef struct
{
  DsdPgPool       *pool;
  DsdPgConnection *connection;
  /* SQL text → statement name, for what is prepared on this connection */
  GHashTable      *statements;
  guint            n_statements;
  /* The query in flight, and when the pool gives up on it */
  GTask           *task;
  gint64           sent_us;      /* monotonic, when task was taken up */
  /* The first connection attempt has failed */
  gboolean         unreachable;
} Slot;

typedef struct
{
  char    *sql;
  char   **params;
  int      n_params;
  /* Emit ::committed once it succeeded */
  gboolean write;
  /* While waiting in the queue */
  GList   *link;
  GSource *cancel_source;
  gint64   enqueued_us;
} Query;

struct _DsdPgPool
{
  GObject       parent_instance;

  char         *conninfo;
  guint         size;
  GMainContext *context;

  Slot         *slots;
  /* GTask waiting for a connection, oldest first; the timer that fails those
   * waiting for longer than DSD_PG_POOL_ACQUIRE_TIMEOUT_MS (armed for the head) */
  GQueue        queue;
  GSource      *expiry;
  /* Checks the queries in flight against DSD_PG_POOL_QUERY_DEADLINE_MS */
  GSource      *watchdog;
  GTask        *open_task;

  gboolean      started;
  gboolean      up;
  gboolean      closed;
};

G_DEFINE_FINAL_TYPE (DsdPgPool, dsd_pg_pool, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_CONNINFO,
  PROP_SIZE,
  PROP_UP,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  COMMITTED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void slot_run (Slot  *slot,
                      GTask *task);

static void
destroy_source (GSource **source)
{
  if (*source == NULL)
    return;

  g_source_destroy (*source);
  g_clear_pointer (source, g_source_unref);
}

static void
query_detach (Query *query)
{
  query->link = NULL;
  destroy_source (&query->cancel_source);
}

static void
query_free (Query *query)
{
  query_detach (query);
  for (int i = 0; i < query->n_params; i++)
    g_free (query->params[i]);
  g_free (query->params);
  g_free (query->sql);
  g_free (query);
}

static gboolean
is_unavailable_sqlstate (const char *sqlstate)
{
  /* 57014: statement_timeout (or another cancel) */
  static const char * const states[] = {
    "57P01", "57P02", "57P03", "53300", "57014", NULL
  };

  return sqlstate != NULL &&
         (g_str_has_prefix (sqlstate, "08") || g_strv_contains (states, sqlstate));
}

static GTask *
dequeue (DsdPgPool *self)
{
  GTask *task = g_queue_pop_head (&self->queue);

  if (task != NULL)
    query_detach (g_task_get_task_data (task));

  return task;
}

static void
fail_queued (DsdPgPool  *self,
             const char *message)
{
  GQueue queued = self->queue;
  GTask *task;

  g_queue_init (&self->queue);

  while ((task = g_queue_pop_head (&queued)) != NULL)
    {
      query_detach (g_task_get_task_data (task));
      g_task_return_new_error (task, DISPATCH_ERROR, DISPATCH_ERROR_UNAVAILABLE, "%s", message);
      g_object_unref (task);
    }
}

static void
update_up (DsdPgPool  *self,
           const char *reason)
{
  gboolean up = FALSE;

  for (guint i = 0; i < self->size; i++)
    up |= dsd_pg_connection_is_connected (self->slots[i].connection);

  if (up == self->up)
    return;

  self->up = up;

  if (up)
    g_message ("Connected to PostgreSQL");
  else if (!self->closed)
    g_message ("Lost every PostgreSQL connection: %s", reason);

  if (!up)
    fail_queued (self, "database unavailable");

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_UP]);
}

/* error: (transfer full) (nullable) */
static void
complete_open (DsdPgPool *self,
               GError    *error)
{
  g_autoptr(GTask) task = g_steal_pointer (&self->open_task);

  if (task == NULL)
    g_clear_error (&error);
  else if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
slot_run_next (Slot *slot)
{
  GTask *task;

  if (!dsd_pg_connection_is_idle (slot->connection))
    return;

  if ((task = dequeue (slot->pool)) != NULL)
    slot_run (slot, task);
}

static void
slot_complete (Slot     *slot,
               PGresult *result)
{
  g_autoptr(DsdPgPool) self = g_object_ref (slot->pool);
  g_autoptr(GTask) task = g_steal_pointer (&slot->task);
  g_autoptr(PGresult) owned = result;
  ExecStatusType status = PQresultStatus (result);
  Query *query = g_task_get_task_data (task);
  gboolean committed = FALSE;
  GError *error = NULL;

  slot_run_next (slot);

  /* Last: the callback may close or drop the pool. */
  if (result == NULL)
    g_task_return_new_error (task, DISPATCH_ERROR, DISPATCH_ERROR_UNAVAILABLE,
                             "database connection lost");
  else if (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK)
    {
      committed = query->write;
      g_task_return_pointer (task, g_steal_pointer (&owned), (GDestroyNotify) PQclear);
    }
  else
    {
      dsd_pg_result_to_error (result, &error);
      g_task_return_error (task, error);
    }

  if (committed && !self->closed)
    g_signal_emit (self, signals[COMMITTED], 0);
}

static void
executed_cb (DsdPgConnection *connection,
             PGresult        *result,
             gpointer         user_data)
{
  slot_complete (user_data, result);
}

static void
slot_execute (Slot *slot)
{
  Query *query = g_task_get_task_data (slot->task);

  dsd_pg_connection_send_query_prepared (slot->connection,
                                         g_hash_table_lookup (slot->statements, query->sql),
                                         query->n_params,
                                         (const char * const *) query->params,
                                         executed_cb, slot);
}

static void
prepared_cb (DsdPgConnection *connection,
             PGresult        *result,
             gpointer         user_data)
{
  Slot *slot = user_data;
  Query *query = g_task_get_task_data (slot->task);

  if (PQresultStatus (result) == PGRES_COMMAND_OK)
    {
      PQclear (result);
      slot_execute (slot);
      return;
    }

  g_hash_table_remove (slot->statements, query->sql);
  slot_complete (slot, result);
}

/* Once a second: a query the server has not answered within
 * DSD_PG_POOL_QUERY_DEADLINE_MS, longer than its own statement_timeout allows,
 * means a stopped or unreachable server. Its connection is dropped, which
 * fails the query. One timer for the pool, not one per query. */
static gboolean
watchdog_cb (gpointer user_data)
{
  DsdPgPool *self = user_data;
  gint64 limit_us = g_get_monotonic_time () - DSD_PG_POOL_QUERY_DEADLINE_MS * (gint64) 1000;

  for (guint i = 0; i < self->size; i++)
    {
      Slot *slot = &self->slots[i];

      if (slot->task != NULL && slot->sent_us <= limit_us)
        {
          g_warning ("PostgreSQL did not answer within %u ms; dropping the connection",
                     DSD_PG_POOL_QUERY_DEADLINE_MS);
          slot->sent_us = G_MAXINT64;
          dsd_pg_connection_abandon (slot->connection);
        }
    }

  return G_SOURCE_CONTINUE;
}

static void
slot_run (Slot  *slot,
          GTask *task)
{
  Query *query = g_task_get_task_data (task);
  char *name;

  g_assert (slot->task == NULL);

  slot->task = task;
  slot->sent_us = g_get_monotonic_time ();

  if (g_hash_table_contains (slot->statements, query->sql))
    {
      slot_execute (slot);
      return;
    }

  name = g_strdup_printf ("s%u", ++slot->n_statements);
  g_hash_table_insert (slot->statements, g_strdup (query->sql), name);
  dsd_pg_connection_send_prepare (slot->connection, name, query->sql, prepared_cb, slot);
}

static void
connected_cb (DsdPgConnection *connection,
              gpointer         user_data)
{
  Slot *slot = user_data;
  g_autoptr(DsdPgPool) self = g_object_ref (slot->pool);

  slot->unreachable = FALSE;
  slot_run_next (slot);
  update_up (self, NULL);

  complete_open (self, NULL);
}

static void
disconnected_cb (DsdPgConnection *connection,
                 const char      *message,
                 gpointer         user_data)
{
  Slot *slot = user_data;
  g_autoptr(DsdPgPool) self = g_object_ref (slot->pool);
  gboolean all_unreachable = TRUE;

  g_debug ("PostgreSQL connection %u: %s", (guint) (slot - self->slots), message);

  g_hash_table_remove_all (slot->statements);
  slot->unreachable = TRUE;
  update_up (self, message);

  for (guint i = 0; i < self->size; i++)
    all_unreachable &= self->slots[i].unreachable;

  if (all_unreachable)
    complete_open (self, g_error_new (DISPATCH_ERROR, DISPATCH_ERROR_UNAVAILABLE,
                                      "could not connect to PostgreSQL: %s", message));
}

static gboolean
queued_cancelled_cb (GCancellable *cancellable,
                     gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  DsdPgPool *self = g_task_get_source_object (task);
  Query *query = g_task_get_task_data (task);

  g_queue_delete_link (&self->queue, query->link);
  query_detach (query);
  g_task_return_error_if_cancelled (task);

  return G_SOURCE_REMOVE;
}

static void arm_expiry (DsdPgPool *self);

static gboolean
expiry_cb (gpointer user_data)
{
  DsdPgPool *self = user_data;
  gint64 limit_us = g_get_monotonic_time () - DSD_PG_POOL_ACQUIRE_TIMEOUT_MS * (gint64) 1000;
  GTask *task;

  g_clear_pointer (&self->expiry, g_source_unref);

  while ((task = g_queue_peek_head (&self->queue)) != NULL &&
         ((Query *) g_task_get_task_data (task))->enqueued_us <= limit_us)
    {
      dequeue (self);
      g_task_return_new_error (task, DISPATCH_ERROR, DISPATCH_ERROR_UNAVAILABLE,
                               "database busy, try again");
      g_object_unref (task);
    }

  arm_expiry (self);
  return G_SOURCE_REMOVE;
}

/* One timer for the whole queue: every query waits as long, so the head's
 * deadline comes first. */
static void
arm_expiry (DsdPgPool *self)
{
  GTask *head = g_queue_peek_head (&self->queue);
  gint64 deadline_us;

  if (self->expiry != NULL || head == NULL)
    return;

  deadline_us = ((Query *) g_task_get_task_data (head))->enqueued_us +
                DSD_PG_POOL_ACQUIRE_TIMEOUT_MS * (gint64) 1000;
  self->expiry = g_timeout_source_new ((guint) (MAX (deadline_us - g_get_monotonic_time (), 0)
                                                / 1000 + 1));
  g_source_set_callback (self->expiry, expiry_cb, self, NULL);
  g_source_attach (self->expiry, self->context);
}

static void
enqueue (DsdPgPool *self,
         GTask     *task)
{
  Query *query = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);

  g_queue_push_tail (&self->queue, task);
  query->link = self->queue.tail;

  query->enqueued_us = g_get_monotonic_time ();
  arm_expiry (self);

  if (cancellable != NULL)
    {
      /* A source, not a handler: cancel() may be called from another thread. */
      query->cancel_source = g_cancellable_source_new (cancellable);
      g_source_set_callback (query->cancel_source, G_SOURCE_FUNC (queued_cancelled_cb),
                             task, NULL);
      g_source_attach (query->cancel_source, self->context);
    }
}

static Slot *
find_idle_slot (DsdPgPool *self)
{
  for (guint i = 0; i < self->size; i++)
    {
      if (dsd_pg_connection_is_idle (self->slots[i].connection))
        return &self->slots[i];
    }

  return NULL;
}

static void
dsd_pg_pool_constructed (GObject *object)
{
  DsdPgPool *self = DSD_PG_POOL (object);

  G_OBJECT_CLASS (dsd_pg_pool_parent_class)->constructed (object);

  self->slots = g_new0 (Slot, self->size);

  for (guint i = 0; i < self->size; i++)
    {
      Slot *slot = &self->slots[i];

      slot->pool = self;
      slot->connection = dsd_pg_connection_new (self->conninfo);
      slot->statements = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
      g_signal_connect (slot->connection, "connected", G_CALLBACK (connected_cb), slot);
      g_signal_connect (slot->connection, "disconnected", G_CALLBACK (disconnected_cb), slot);
    }

  dsd_pg_pool_set_options (self, NULL);
}

static void
dsd_pg_pool_dispose (GObject *object)
{
  dsd_pg_pool_close (DSD_PG_POOL (object));

  G_OBJECT_CLASS (dsd_pg_pool_parent_class)->dispose (object);
}

static void
dsd_pg_pool_finalize (GObject *object)
{
  DsdPgPool *self = DSD_PG_POOL (object);

  for (guint i = 0; i < self->size; i++)
    {
      g_signal_handlers_disconnect_by_data (self->slots[i].connection, &self->slots[i]);
      g_clear_object (&self->slots[i].connection);
      g_clear_pointer (&self->slots[i].statements, g_hash_table_unref);
    }
  g_clear_pointer (&self->slots, g_free);
  g_clear_pointer (&self->conninfo, g_free);
  g_clear_pointer (&self->context, g_main_context_unref);

  G_OBJECT_CLASS (dsd_pg_pool_parent_class)->finalize (object);
}

static void
dsd_pg_pool_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  DsdPgPool *self = DSD_PG_POOL (object);

  switch (prop_id)
    {
    case PROP_CONNINFO:
      g_value_set_string (value, self->conninfo);
      break;

    case PROP_SIZE:
      g_value_set_uint (value, self->size);
      break;

    case PROP_UP:
      g_value_set_boolean (value, self->up);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dsd_pg_pool_set_property (GObject      *object,
                          guint         prop_id,
                          const GValue *value,
                          GParamSpec   *pspec)
{
  DsdPgPool *self = DSD_PG_POOL (object);

  switch (prop_id)
    {
    case PROP_CONNINFO:
      self->conninfo = g_value_dup_string (value);
      break;

    case PROP_SIZE:
      self->size = g_value_get_uint (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dsd_pg_pool_class_init (DsdPgPoolClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = dsd_pg_pool_constructed;
  object_class->dispose = dsd_pg_pool_dispose;
  object_class->finalize = dsd_pg_pool_finalize;
  object_class->get_property = dsd_pg_pool_get_property;
  object_class->set_property = dsd_pg_pool_set_property;

  properties[PROP_CONNINFO] =
    g_param_spec_string ("conninfo", NULL, NULL,
                         "",
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));

  properties[PROP_SIZE] =
    g_param_spec_uint ("size", NULL, NULL,
                       1, 1000, 4,
                       (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));

  properties[PROP_UP] =
    g_param_spec_boolean ("up", NULL, NULL,
                          FALSE,
                          (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[COMMITTED] =
    g_signal_new ("committed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
dsd_pg_pool_init (DsdPgPool *self)
{
  self->context = g_main_context_ref_thread_default ();
  g_queue_init (&self->queue);
}

DsdPgPool *
dsd_pg_pool_new (const char *conninfo,
                 guint       size)
{
  g_return_val_if_fail (conninfo != NULL, NULL);
  g_return_val_if_fail (size > 0, NULL);

  return g_object_new (DSD_TYPE_PG_POOL,
                       "conninfo", conninfo,
                       "size", size,
                       NULL);
}

void
dsd_pg_pool_set_options (DsdPgPool  *self,
                         const char *options)
{
  g_autofree char *all = NULL;

  g_return_if_fail (DSD_IS_PG_POOL (self));

  all = g_strdup_printf ("-c statement_timeout=%u%s%s", DSD_PG_POOL_STATEMENT_TIMEOUT_MS,
                         options != NULL ? " " : "", options != NULL ? options : "");
  for (guint i = 0; i < self->size; i++)
    dsd_pg_connection_set_options (self->slots[i].connection, all);
}

void
dsd_pg_pool_open_async (DsdPgPool           *self,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (DSD_IS_PG_POOL (self));
  g_return_if_fail (!self->started);
  g_return_if_fail (!self->closed);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, dsd_pg_pool_open_async);

  self->started = TRUE;
  self->open_task = g_steal_pointer (&task);
  self->watchdog = g_timeout_source_new_seconds (1);
  g_source_set_callback (self->watchdog, watchdog_cb, self, NULL);
  g_source_attach (self->watchdog, self->context);

  for (guint i = 0; i < self->size; i++)
    dsd_pg_connection_start (self->slots[i].connection);
}

gboolean
dsd_pg_pool_open_finish (DsdPgPool     *self,
                         GAsyncResult  *result,
                         GError       **error)
{
  g_return_val_if_fail (DSD_IS_PG_POOL (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == dsd_pg_pool_open_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

gboolean
dsd_pg_pool_is_up (DsdPgPool *self)
{
  g_return_val_if_fail (DSD_IS_PG_POOL (self), FALSE);

  return self->up;
}

const char *
dsd_pg_pool_get_conninfo (DsdPgPool *self)
{
  g_return_val_if_fail (DSD_IS_PG_POOL (self), NULL);

  return self->conninfo;
}

static void
submit (DsdPgPool           *self,
        const char          *sql,
        int                  n_params,
        const char * const  *params,
        gboolean             write,
        GCancellable        *cancellable,
        GAsyncReadyCallback  callback,
        gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Query *query;
  Slot *slot;

  g_return_if_fail (DSD_IS_PG_POOL (self));
  g_return_if_fail (sql != NULL);
  g_return_if_fail (n_params >= 0);
  g_return_if_fail (n_params == 0 || params != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, dsd_pg_pool_query_async);

  query = g_new0 (Query, 1);
  query->sql = g_strdup (sql);
  query->n_params = n_params;
  query->write = write;
  query->params = g_new0 (char *, n_params + 1);
  for (int i = 0; i < n_params; i++)
    query->params[i] = g_strdup (params[i]);
  g_task_set_task_data (task, query, (GDestroyNotify) query_free);

  if (g_task_return_error_if_cancelled (task))
    return;

  if (!self->up)
    {
      g_task_return_new_error (task, DISPATCH_ERROR, DISPATCH_ERROR_UNAVAILABLE,
                               "database unavailable");
      return;
    }

  if ((slot = find_idle_slot (self)) != NULL)
    slot_run (slot, g_steal_pointer (&task));
  else if (self->queue.length < DSD_PG_POOL_MAX_QUEUED)
    enqueue (self, g_steal_pointer (&task));
  else
    g_task_return_new_error (task, DISPATCH_ERROR, DISPATCH_ERROR_UNAVAILABLE,
                             "too many queries waiting for the database");
}

void
dsd_pg_pool_query_async (DsdPgPool           *self,
                         const char          *sql,
                         int                  n_params,
                         const char * const  *params,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  submit (self, sql, n_params, params, FALSE, cancellable, callback, user_data);
}

void
dsd_pg_pool_write_async (DsdPgPool           *self,
                         const char          *sql,
                         int                  n_params,
                         const char * const  *params,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  submit (self, sql, n_params, params, TRUE, cancellable, callback, user_data);
}

PGresult *
dsd_pg_pool_query_finish (DsdPgPool     *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (DSD_IS_PG_POOL (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == dsd_pg_pool_query_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
dsd_pg_pool_close (DsdPgPool *self)
{
  g_return_if_fail (DSD_IS_PG_POOL (self));

  if (self->closed)
    return;

  self->closed = TRUE;

  for (guint i = 0; i < self->size; i++)
    dsd_pg_connection_close (self->slots[i].connection);

  update_up (self, NULL);
  fail_queued (self, "database pool closed");
  destroy_source (&self->expiry);
  destroy_source (&self->watchdog);

  complete_open (self, g_error_new_literal (DISPATCH_ERROR, DISPATCH_ERROR_UNAVAILABLE,
                                            "database pool closed"));
}

PGconn *
dsd_pg_connect_sync (const char  *conninfo,
                     GError     **error)
{
  const char * const keywords[] = { "dbname", "fallback_application_name", NULL };
  const char * const values[] = { conninfo, g_get_prgname (), NULL };
  g_autoptr(PGconn) pg = NULL;

  g_return_val_if_fail (conninfo != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  pg = PQconnectdbParams (keywords, values, TRUE);

  if (PQstatus (pg) != CONNECTION_OK)
    {
      g_autofree char *message = g_strchomp (g_strdup (PQerrorMessage (pg)));

      g_set_error (error, DISPATCH_ERROR, DISPATCH_ERROR_UNAVAILABLE,
                   "could not connect to PostgreSQL: %s", message);
      return NULL;
    }

  PQsetNoticeProcessor (pg, dsd_pg_notice_processor, NULL);

  return g_steal_pointer (&pg);
}

PGresult *
dsd_pg_exec_sync (const char          *conninfo,
                  const char          *sql,
                  int                  n_params,
                  const char * const  *params,
                  GError             **error)
{
  g_autoptr(PGconn) pg = NULL;
  g_autoptr(PGresult) result = NULL;
  ExecStatusType status;

  g_return_val_if_fail (sql != NULL, NULL);
  g_return_val_if_fail (n_params >= 0, NULL);
  g_return_val_if_fail (n_params == 0 || params != NULL, NULL);

  if (!(pg = dsd_pg_connect_sync (conninfo, error)))
    return NULL;

  /* Without parameters, the simple protocol also takes several statements. */
  if (n_params == 0)
    result = PQexec (pg, sql);
  else
    result = PQexecParams (pg, sql, n_params, NULL, params, NULL, NULL, 0);
  status = PQresultStatus (result);

  if (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK)
    return g_steal_pointer (&result);

  if (PQstatus (pg) == CONNECTION_BAD)
    g_set_error_literal (error, DISPATCH_ERROR, DISPATCH_ERROR_UNAVAILABLE,
                         "database connection lost");
  else
    dsd_pg_result_to_error (result, error);

  return NULL;
}

void
dsd_pg_result_to_error (const PGresult  *result,
                        GError         **error)
{
  const char *message = PQresultErrorField (result, PG_DIAG_MESSAGE_PRIMARY);

  dsd_pg_error_from_fields (PQresultErrorField (result, PG_DIAG_SQLSTATE),
                            message != NULL ? message : PQresStatus (PQresultStatus (result)),
                            PQresultErrorField (result, PG_DIAG_MESSAGE_DETAIL),
                            PQresultErrorField (result, PG_DIAG_MESSAGE_HINT), error);
}

void
dsd_pg_error_from_fields (const char  *sqlstate,
                          const char  *message,
                          const char  *detail,
                          const char  *hint,
                          GError     **error)
{
  if (g_strcmp0 (sqlstate, "DS001") == 0)
    {
      DispatchError code;

      if (detail != NULL && dispatch_error_code_from_string (detail, &code))
        {
          dispatch_set_field_error (error, code, hint != NULL && *hint != '\0' ? hint : NULL,
                                    "%s", message != NULL ? message : detail);
          return;
        }
    }
  else if (is_unavailable_sqlstate (sqlstate))
    {
      g_set_error_literal (error, DISPATCH_ERROR, DISPATCH_ERROR_UNAVAILABLE,
                           "database unavailable");
      return;
    }

  g_warning ("PostgreSQL error %s: %s",
             sqlstate != NULL ? sqlstate : "(none)", message != NULL ? message : "(none)");
  g_set_error_literal (error, DISPATCH_ERROR, DISPATCH_ERROR_INTERNAL, "internal error");
}
