/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-api"

#include "dsd-api.h"
#include "dsd-order-intake.h"
#include "dsd-pg-pool.h"

static const char create_sql[] =
  "SELECT dispatch.order_create($1::jsonb, $2, $3, $4::jsonb)::text";

/* The arguments of each request of a batch */
#define N_ARGS 4

typedef struct {
  DsdRequest *request;
  char       *args[N_ARGS];   /* actor, key, hash, body */
  gint64      queued_us;      /* monotonic */
} Pending;

struct _DsdOrderIntake
{
  GObject     parent_instance;

  DsdContext *context;
  /* Pending, oldest first */
  GQueue      queue;
  guint       in_flight;
  /* The SQL of a batch of n requests at [n - 2], made when first needed */
  char       *batch_sql[DSD_ORDER_INTAKE_MAX_BATCH - 1];
};

G_DEFINE_FINAL_TYPE (DsdOrderIntake, dsd_order_intake, G_TYPE_OBJECT)

typedef struct {
  DsdOrderIntake *intake;
  Pending       **pending;
  guint           n;
} Batch;

static void
pending_free (Pending *pending)
{
  dsd_request_unref (pending->request);
  for (guint i = 0; i < N_ARGS; i++)
    g_free (pending->args[i]);
  g_free (pending);
}

static void
batch_free (Batch *batch)
{
  for (guint i = 0; i < batch->n; i++)
    pending_free (batch->pending[i]);
  g_free (batch->pending);
  g_object_unref (batch->intake);
  g_free (batch);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Batch, batch_free)

static void send_batches (DsdOrderIntake *self);
static void send_alone   (DsdOrderIntake *self,
                          Pending        *pending);

/* SELECT * FROM dispatch.order_create_batch(ARRAY[$1, $5, ...]::jsonb[],
 * ARRAY[$2, $6, ...]::text[], ...) for n requests */
static const char *
get_batch_sql (DsdOrderIntake *self,
               guint           n)
{
  static const char * const types[N_ARGS] = { "jsonb", "text", "text", "jsonb" };
  GString *sql;

  if (self->batch_sql[n - 2] != NULL)
    return self->batch_sql[n - 2];

  sql = g_string_new ("SELECT result, err_state, err_message, err_detail, err_hint "
                      "FROM dispatch.order_create_batch(");
  for (guint arg = 0; arg < N_ARGS; arg++)
    {
      g_string_append (sql, arg == 0 ? "ARRAY[" : ", ARRAY[");
      for (guint i = 0; i < n; i++)
        g_string_append_printf (sql, i == 0 ? "$%u" : ", $%u", i * N_ARGS + arg + 1);
      g_string_append_printf (sql, "]::%s[]", types[arg]);
    }
  g_string_append_c (sql, ')');

  self->batch_sql[n - 2] = g_string_free (sql, FALSE);
  return self->batch_sql[n - 2];
}

static void
respond_all (Batch        *batch,
             const GError *error)
{
  for (guint i = 0; i < batch->n; i++)
    dsd_request_respond_error (batch->pending[i]->request, error);
}

static void
single_done_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(Batch) batch = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) rows = NULL;
  const char *text;
  gsize length;

  batch->intake->in_flight--;
  rows = dsd_pg_pool_query_finish (DSD_PG_POOL (source), result, &error);
  text = dsd_api_query_value (rows, &length, &error);
  if (text == NULL)
    respond_all (batch, error);
  else
    dsd_request_respond_json_text (batch->pending[0]->request, 201, text, length);

  send_batches (batch->intake);
}

static void
batch_done_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(Batch) batch = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) rows = NULL;

  batch->intake->in_flight--;
  rows = dsd_pg_pool_query_finish (DSD_PG_POOL (source), result, &error);
  if (rows == NULL && !g_error_matches (error, DISPATCH_ERROR, DISPATCH_ERROR_UNAVAILABLE))
    {
      /* The batch rolled back (order_create_batch): each request alone. */
      for (guint i = 0; i < batch->n; i++)
        send_alone (batch->intake, g_steal_pointer (&batch->pending[i]));
      batch->n = 0;
    }
  else if (rows == NULL)
    respond_all (batch, error);
  else if (PQntuples (rows) != (int) batch->n || PQnfields (rows) != 5)
    {
      g_critical ("order_create_batch answered %d rows × %d columns for %u requests",
                  PQntuples (rows), PQnfields (rows), batch->n);
      g_set_error_literal (&error, DISPATCH_ERROR, DISPATCH_ERROR_INTERNAL, "internal error");
      respond_all (batch, error);
    }
  else
    for (guint i = 0; i < batch->n; i++)
      {
        DsdRequest *request = batch->pending[i]->request;
        g_autoptr(GError) own_error = NULL;

        if (!PQgetisnull (rows, i, 0))
          {
            dsd_request_respond_json_text (request, 201, PQgetvalue (rows, i, 0),
                                           PQgetlength (rows, i, 0));
            continue;
          }
        dsd_pg_error_from_fields (PQgetvalue (rows, i, 1), PQgetvalue (rows, i, 2),
                                  PQgetvalue (rows, i, 3), PQgetvalue (rows, i, 4),
                                  &own_error);
        dsd_request_respond_error (request, own_error);
      }

  send_batches (batch->intake);
}

static void
send_alone (DsdOrderIntake *self,
            Pending        *pending)
{
  DsdPgPool *pool = dsd_context_get (self->context, DSD_TYPE_PG_POOL);
  Batch *batch = g_new0 (Batch, 1);

  batch->intake = g_object_ref (self);
  batch->n = 1;
  batch->pending = g_new (Pending *, 1);
  batch->pending[0] = pending;
  self->in_flight++;
  dsd_pg_pool_write_async (pool, create_sql, N_ARGS, (const char * const *) pending->args, NULL,
                           single_done_cb, batch);
}

static void
send_batch (DsdOrderIntake *self)
{
  DsdPgPool *pool = dsd_context_get (self->context, DSD_TYPE_PG_POOL);
  guint n = MIN (self->queue.length, DSD_ORDER_INTAKE_MAX_BATCH);
  Batch *batch;
  g_autofree const char **params = NULL;

  /* Alone, as every other write: no subtransaction to pay for. */
  if (n == 1)
    {
      send_alone (self, g_queue_pop_head (&self->queue));
      return;
    }

  batch = g_new0 (Batch, 1);
  batch->intake = g_object_ref (self);
  batch->n = n;
  batch->pending = g_new (Pending *, batch->n);
  params = g_new (const char *, batch->n * N_ARGS);
  for (guint i = 0; i < batch->n; i++)
    {
      batch->pending[i] = g_queue_pop_head (&self->queue);
      for (guint arg = 0; arg < N_ARGS; arg++)
        params[i * N_ARGS + arg] = batch->pending[i]->args[arg];
    }

  self->in_flight++;
  dsd_pg_pool_write_async (pool, get_batch_sql (self, batch->n), batch->n * N_ARGS, params,
                           NULL, batch_done_cb, batch);
}

/* What waited longer than the pool lets a query wait for a connection is
 * answered UNAVAILABLE, unsent. */
static void
drop_expired (DsdOrderIntake *self)
{
  gint64 limit_us = g_get_monotonic_time () - DSD_PG_POOL_ACQUIRE_TIMEOUT_MS * (gint64) 1000;
  Pending *pending;

  while ((pending = g_queue_peek_head (&self->queue)) != NULL && pending->queued_us < limit_us)
    {
      g_autoptr(GError) error = g_error_new_literal (DISPATCH_ERROR, DISPATCH_ERROR_UNAVAILABLE,
                                                     "timed out waiting for the database");

      dsd_request_respond_error (pending->request, error);
      pending_free (g_queue_pop_head (&self->queue));
    }
}

/* With nothing in flight whatever waits goes at once; beside a batch in
 * flight only two or more together (a lone one waits for that batch to end,
 * not to pay a transaction of its own). */
static void
send_batches (DsdOrderIntake *self)
{
  drop_expired (self);
  while (self->in_flight < DSD_ORDER_INTAKE_MAX_IN_FLIGHT &&
         self->queue.length > (self->in_flight > 0 ? 1u : 0u))
    send_batch (self);
}

void
dsd_order_intake_submit (DsdOrderIntake *self,
                         DsdRequest     *request,
                         const char     *actor,
                         const char     *key,
                         const char     *hash,
                         const char     *body)
{
  Pending *pending;

  g_return_if_fail (DSD_IS_ORDER_INTAKE (self));

  if (self->queue.length >= DSD_PG_POOL_MAX_QUEUED)
    {
      g_autoptr(GError) error = g_error_new_literal (DISPATCH_ERROR, DISPATCH_ERROR_UNAVAILABLE,
                                                     "too many orders waiting");

      dsd_request_respond_error (request, error);
      return;
    }

  pending = g_new0 (Pending, 1);
  pending->request = dsd_request_ref (request);
  pending->args[0] = g_strdup (actor);
  pending->args[1] = g_strdup (key);
  pending->args[2] = g_strdup (hash);
  pending->args[3] = g_strdup (body);
  pending->queued_us = g_get_monotonic_time ();
  g_queue_push_tail (&self->queue, pending);

  send_batches (self);
}

static void
dsd_order_intake_finalize (GObject *object)
{
  DsdOrderIntake *self = DSD_ORDER_INTAKE (object);

  /* Batches in flight hold a reference: only waiting requests can be left. */
  g_queue_clear_full (&self->queue, (GDestroyNotify) pending_free);
  for (guint i = 0; i < G_N_ELEMENTS (self->batch_sql); i++)
    g_free (self->batch_sql[i]);

  G_OBJECT_CLASS (dsd_order_intake_parent_class)->finalize (object);
}

static void
dsd_order_intake_class_init (DsdOrderIntakeClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = dsd_order_intake_finalize;
}

static void
dsd_order_intake_init (DsdOrderIntake *self)
{
  g_queue_init (&self->queue);
}

DsdOrderIntake *
dsd_order_intake_new (DsdContext *context)
{
  DsdOrderIntake *self = g_object_new (DSD_TYPE_ORDER_INTAKE, NULL);

  self->context = context;
  return self;
}
