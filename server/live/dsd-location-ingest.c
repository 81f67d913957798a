/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-live"

#include "dispatch-error.h"
#include "dsd-cache.h"
#include "dsd-location-batch.h"
#include "dsd-location-positions.h"
#include "dsd-location-ingest.h"
#include "dsd-history-writer.h"

/* Points accepted but not yet committed, at most: ≈ 20 MB of COPY data.
 * Past it, submit fails with UNAVAILABLE until the writers catch up. */
#define MAX_BUFFERED_POINTS 200000
/* Transactions in flight at once: while some wait for their commit (WAL
 * flush), others copy, and PostgreSQL gets every core. Measured with
 * bench-ingest on 2 cores: 2 writers gave 65 % of what 4 give, 8 no more.
 * A free writer takes the pending points at once; while every writer is
 * busy, the next one to finish takes everything that arrived meanwhile
 * (group commit without waiting for company). */
#define N_WRITERS 4
/* A failed flush is written again after this (or when a writer reconnects). */
#define RETRY_DELAY_US (500 * 1000)
#define STOP_TIMEOUT_MS 5000

#define POINTS_METRIC "dispatch_location_points_total"
#define REJECTED_METRIC "dispatch_location_ingest_rejected_total"
#define LAG_METRIC "dispatch_location_history_lag_seconds"
#define BACKLOG_METRIC "dispatch_location_history_backlog_points"

/* The requests of a flush being written: answered once its commit and,
 * with a shared store, the write of the positions shared meanwhile are both
 * done, so that after the 202 every instance's near search finds the point. */
typedef struct {
  GPtrArray *waiters;        /* GTask, each with its number of points */
  guint      n_outstanding;  /* of the commit and the shared write */
  GError    *error;          /* of the commit */
} Answer;

/* The points of one transaction and the requests waiting for its commit. */
typedef struct {
  DsdLocationBatch     *batch;
  DsdLocationPositions *positions;  /* the newest point per driver */
  GPtrArray            *waiters;    /* GTask, each with its number of points */
  Answer               *answer;     /* while written: the waiters taken then */
  gint64                first_us;   /* monotonic arrival of the first point */
  gint64                retry_at;   /* monotonic; after a failure */
} Flush;

typedef struct {
  DsdLocationIngest *ingest;
  DsdHistoryWriter  *writer;
  Flush             *flush;    /* being written */
  gboolean           lost;     /* its connection broke and is not back */
} Writer;

struct _DsdLocationIngest {
  GObject          parent_instance;

  DsdFleet        *fleet;
  DsdEventBus     *bus;
  DsdMetrics      *metrics;
  DsdCache        *cache;

  Writer           writers[N_WRITERS];
  gboolean         started;
  gboolean         stopping;

  Flush           *pending;     /* taking points */
  GQueue           failed;      /* Flush written again once due */
  guint            n_buffered;  /* points in all of them */
  guint            n_uncounted; /* accepted, not yet added to the metrics */
  guint            flush_source;
  gint64           flush_at;    /* monotonic, when flush_source fires */

  GTask           *stop_task;
  guint            stop_source;
};

G_DEFINE_FINAL_TYPE (DsdLocationIngest, dsd_location_ingest, G_TYPE_OBJECT)

static void schedule_flush (DsdLocationIngest *self);

static Flush *
flush_new (void)
{
  Flush *flush = g_new0 (Flush, 1);

  flush->batch = dsd_location_batch_new ();
  flush->positions = dsd_location_positions_new ();
  flush->waiters = g_ptr_array_new_with_free_func (g_object_unref);
  return flush;
}

static void
flush_free (Flush *flush)
{
  g_assert (flush->waiters->len == 0 && flush->answer == NULL);

  g_ptr_array_unref (flush->waiters);
  dsd_location_batch_free (flush->batch);
  dsd_location_positions_free (flush->positions);
  g_free (flush);
}

/* Answers every request of waiters: error NULL means committed. */
static void
answer_waiters (GPtrArray    *waiters,
                const GError *error)
{
  for (guint i = 0; i < waiters->len; i++)
    {
      GTask *task = g_ptr_array_index (waiters, i);

      if (error == NULL)
        g_task_return_int (task, GPOINTER_TO_UINT (g_task_get_task_data (task)));
      else
        g_task_return_error (task, g_error_copy (error));
    }
}

/* The requests waiting for flush, which keeps none. */
static GPtrArray *
take_waiters (Flush *flush)
{
  GPtrArray *waiters = g_steal_pointer (&flush->waiters);

  flush->waiters = g_ptr_array_new_with_free_func (g_object_unref);
  return waiters;
}

/* Answers the requests waiting for a flush that is not being written. */
static void
complete_waiters (Flush        *flush,
                  const GError *error)
{
  g_autoptr(GPtrArray) waiters = take_waiters (flush);

  answer_waiters (waiters, error);
}

static void
answer_settle (Answer       *answer,
               const GError *error)
{
  if (error != NULL && answer->error == NULL)
    answer->error = g_error_copy (error);
  if (--answer->n_outstanding > 0)
    return;

  answer_waiters (answer->waiters, answer->error);
  g_ptr_array_unref (answer->waiters);
  g_clear_error (&answer->error);
  g_free (answer);
}

static void
shared_cb (gpointer user_data)
{
  answer_settle (user_data, NULL);
}

/* Takes the flush's waiters, if any, before it is handed to a writer. */
static void
answer_begin (DsdLocationIngest *self,
              Flush             *flush)
{
  Answer *answer;

  if (flush->waiters->len == 0)
    return;

  answer = g_new0 (Answer, 1);
  answer->waiters = take_waiters (flush);
  answer->n_outstanding = 1;
  flush->answer = answer;
  if (self->cache != NULL)
    {
      answer->n_outstanding++;
      dsd_cache_when_shared (self->cache, shared_cb, answer);
    }
}

static void
count (DsdLocationIngest *self,
       const char        *metric,
       const char        *reason,
       guint              n)
{
  const char *labels[] = { reason, NULL };

  if (self->metrics != NULL)
    dsd_metrics_counter_add (self->metrics, metric, reason != NULL ? labels : NULL, n);
}

/* The points accepted and the backlog, into the metrics: when a flush is
 * handed to a writer or written, not for every point. */
static void
update_metrics (DsdLocationIngest *self)
{
  count (self, POINTS_METRIC, NULL, self->n_uncounted);
  self->n_uncounted = 0;
  if (self->metrics != NULL)
    dsd_metrics_gauge_set (self->metrics, BACKLOG_METRIC, NULL, self->n_buffered);
}

/* Every writer lost its connection: points would only pile up. */
static gboolean
is_down (DsdLocationIngest *self)
{
  for (guint i = 0; i < N_WRITERS; i++)
    {
      if (!self->writers[i].lost)
        return FALSE;
    }
  return TRUE;
}

/* Closes the writers; requests still waiting learn that their points are
 * not known to be stored. */
static void
close_writers (DsdLocationIngest *self)
{
  g_autoptr(GError) error = g_error_new_literal (DISPATCH_ERROR, DISPATCH_ERROR_UNAVAILABLE,
                                                 "the server is stopping");

  g_clear_handle_id (&self->flush_source, g_source_remove);
  self->stopping = TRUE;

  /* A write in progress fails with UNAVAILABLE: its flush joins the failed. */
  for (guint i = 0; i < N_WRITERS; i++)
    {
      if (self->writers[i].writer != NULL)
        {
          g_signal_handlers_disconnect_by_data (self->writers[i].writer, &self->writers[i]);
          dsd_history_writer_close (self->writers[i].writer);
        }
    }

  for (GList *l = self->failed.head; l != NULL; l = l->next)
    complete_waiters (l->data, error);
  if (self->pending != NULL)
    complete_waiters (self->pending, error);
}

static void
finish_stop (DsdLocationIngest *self)
{
  g_autoptr(GTask) task = g_steal_pointer (&self->stop_task);

  g_clear_handle_id (&self->stop_source, g_source_remove);
  if (self->n_buffered > 0)
    g_warning ("Stopping with %u location points not written to history", self->n_buffered);
  close_writers (self);
  g_task_return_boolean (task, TRUE);
}

static gboolean
flush_due_cb (gpointer user_data)
{
  DsdLocationIngest *self = user_data;

  self->flush_source = 0;
  schedule_flush (self);
  return G_SOURCE_REMOVE;
}

static void
written_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Writer *w = user_data;
  g_autoptr(DsdLocationIngest) self = w->ingest;  /* the reference of the write */
  g_autoptr(GError) error = NULL;
  Flush *flush = g_steal_pointer (&w->flush);
  guint n_points = dsd_location_batch_get_n_points (flush->batch);
  gboolean written = dsd_history_writer_write_finish (DSD_HISTORY_WRITER (source), result,
                                                      &error);

  if (flush->answer != NULL)
    answer_settle (g_steal_pointer (&flush->answer), error);

  if (written)
    {
      double lag_s = (g_get_monotonic_time () - flush->first_us) / (double) G_USEC_PER_SEC;

      self->n_buffered -= n_points;
      if (self->metrics != NULL)
        dsd_metrics_gauge_set (self->metrics, LAG_METRIC, NULL, lag_s);
      flush_free (flush);
    }
  else
    {
      /* Its requests learn it (their answer); its points are written again
       * (the websocket path has no one to tell) unless the database refused
       * them for a reason a retry cannot fix. */
      if (g_error_matches (error, DISPATCH_ERROR, DISPATCH_ERROR_UNAVAILABLE))
        {
          flush->retry_at = g_get_monotonic_time () + RETRY_DELAY_US;
          g_queue_push_tail (&self->failed, flush);
        }
      else
        {
          g_warning ("Dropping %u location points the database refused: %s", n_points,
                     error->message);
          self->n_buffered -= n_points;
          count (self, REJECTED_METRIC, "database", n_points);
          flush_free (flush);
        }
    }
  update_metrics (self);

  if (self->stop_task != NULL && self->n_buffered == 0)
    finish_stop (self);
  else
    schedule_flush (self);
}

/* The flush a free writer takes next: a failed one that is due, else the
 * pending points, else nothing for now; then *wake_us says when to look
 * again (0: only when something happens). */
static Flush *
next_flush (DsdLocationIngest *self,
            gint64            *wake_us)
{
  gint64 now = g_get_monotonic_time ();
  guint n_pending = dsd_location_batch_get_n_points (self->pending->batch);
  Flush *failed = g_queue_peek_head (&self->failed);
  Flush *flush;

  *wake_us = 0;
  if (failed != NULL && (failed->retry_at <= now || self->stopping))
    return g_queue_pop_head (&self->failed);
  if (failed != NULL)
    *wake_us = failed->retry_at;

  if (n_pending == 0)
    return NULL;

  flush = g_steal_pointer (&self->pending);
  self->pending = flush_new ();
  return flush;
}

/* Gives work to every free writer; arms the timer for work not due yet. */
static void
schedule_flush (DsdLocationIngest *self)
{
  gint64 wake_us = 0;

  if (!self->started)
    return;

  for (guint i = 0; i < N_WRITERS; i++)
    {
      Writer *w = &self->writers[i];

      if (w->flush != NULL || !dsd_history_writer_is_ready (w->writer))
        continue;

      if ((w->flush = next_flush (self, &wake_us)) == NULL)
        break;
      update_metrics (self);
      answer_begin (self, w->flush);
      g_object_ref (self);
      dsd_history_writer_write_async (w->writer, w->flush->batch, w->flush->positions,
                                      written_cb, w);
    }

  if (wake_us != 0 && (self->flush_source == 0 || wake_us < self->flush_at))
    {
      gint64 delay_ms = (wake_us - g_get_monotonic_time () + 999) / 1000;

      g_clear_handle_id (&self->flush_source, g_source_remove);
      self->flush_at = wake_us;
      self->flush_source = g_timeout_add (MAX (delay_ms, 1), flush_due_cb, self);
    }
}

static void
writer_ready_cb (DsdHistoryWriter *writer,
                 gpointer          user_data)
{
  Writer *w = user_data;

  if (w->lost)
    g_message ("Location history writer connected again");
  w->lost = FALSE;
  schedule_flush (w->ingest);
}

static void
writer_lost_cb (DsdHistoryWriter *writer,
                const char       *message,
                gpointer          user_data)
{
  Writer *w = user_data;

  if (!w->lost)
    g_warning ("Location history writer lost its connection: %s", message);
  w->lost = TRUE;
}

/* The driver.location event of the newest point, when it moves the driver.
 * Location events have no seq (API.md: latest wins by recorded_at). */
static void
publish_location (DsdLocationIngest           *self,
                  const DsdFleetDriver        *driver,
                  const DispatchLocationPoint *point)
{
  g_autoptr(DsdEvent) event = dsd_event_new_location (driver->id, point);

  dsd_event_bus_publish (self->bus, event);
  if (self->cache != NULL)
    dsd_cache_share_location (self->cache, event);
}

/* Takes the points into the pending flush: the live position moves at once
 * (through the bus, as for points from other instances). waiter, if any,
 * learns when they are committed. FALSE with an error when refused. */
static gboolean
accept_points (DsdLocationIngest            *self,
               const char                   *driver_id,
               const DispatchLocationPoint  *points,
               guint                         n_points,
               GTask                        *waiter,
               GError                      **error)
{
  const DsdFleetDriver *driver = dsd_fleet_lookup (self->fleet, driver_id);
  const DispatchLocationPoint *newest = NULL;
  const char *refusal = NULL;
  Flush *flush = self->pending;

  if (self->stopping || !self->started)
    refusal = "stopping";
  else if (is_down (self))
    refusal = "database";
  else if (self->n_buffered + n_points > MAX_BUFFERED_POINTS)
    refusal = "backlog";

  if (refusal != NULL)
    {
      count (self, REJECTED_METRIC, refusal, n_points);
      g_set_error_literal (error, DISPATCH_ERROR, DISPATCH_ERROR_UNAVAILABLE,
                           "location history is not keeping up; retry later");
      return FALSE;
    }

  if (driver == NULL)
    {
      g_set_error_literal (error, DISPATCH_ERROR, DISPATCH_ERROR_NOT_FOUND, "no such driver");
      return FALSE;
    }

  for (guint i = 0; i < n_points; i++)
    {
      if (newest == NULL || points[i].recorded_at_us > newest->recorded_at_us)
        newest = &points[i];
    }

  if (newest != NULL &&
      (!driver->has_location || newest->recorded_at_us > driver->recorded_at_us))
    publish_location (self, driver, newest);

  if (dsd_location_batch_get_n_points (flush->batch) == 0)
    flush->first_us = g_get_monotonic_time ();
  dsd_location_batch_add (flush->batch, driver->id, points, n_points);
  dsd_location_positions_add (flush->positions, driver->id, points, n_points);
  self->n_buffered += n_points;
  self->n_uncounted += n_points;
  if (waiter != NULL)
    g_ptr_array_add (flush->waiters, g_object_ref (waiter));
  /* May hand the flush to a writer at once (and start a new pending one). */
  schedule_flush (self);

  return TRUE;
}

static void
stop_timeout_cb (gpointer user_data)
{
  DsdLocationIngest *self = user_data;

  self->stop_source = 0;
  finish_stop (self);
}

static void
dsd_location_ingest_dispose (GObject *object)
{
  DsdLocationIngest *self = DSD_LOCATION_INGEST (object);

  g_clear_handle_id (&self->stop_source, g_source_remove);
  close_writers (self);

  G_OBJECT_CLASS (dsd_location_ingest_parent_class)->dispose (object);
}

static void
dsd_location_ingest_finalize (GObject *object)
{
  DsdLocationIngest *self = DSD_LOCATION_INGEST (object);

  for (guint i = 0; i < N_WRITERS; i++)
    g_clear_object (&self->writers[i].writer);
  g_queue_clear_full (&self->failed, (GDestroyNotify) flush_free);
  g_clear_pointer (&self->pending, flush_free);
  g_clear_object (&self->fleet);
  g_clear_object (&self->bus);
  g_clear_object (&self->metrics);
  g_clear_object (&self->cache);

  G_OBJECT_CLASS (dsd_location_ingest_parent_class)->finalize (object);
}

static void
dsd_location_ingest_class_init (DsdLocationIngestClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = dsd_location_ingest_dispose;
  object_class->finalize = dsd_location_ingest_finalize;
}

static void
dsd_location_ingest_init (DsdLocationIngest *self)
{
  g_queue_init (&self->failed);
  self->pending = flush_new ();
}

DsdLocationIngest *
dsd_location_ingest_new (const char  *conninfo,
                         DsdFleet    *fleet,
                         DsdEventBus *bus)
{
  DsdLocationIngest *self;

  g_return_val_if_fail (conninfo != NULL, NULL);
  g_return_val_if_fail (DSD_IS_FLEET (fleet), NULL);
  g_return_val_if_fail (DSD_IS_EVENT_BUS (bus), NULL);

  self = g_object_new (DSD_TYPE_LOCATION_INGEST, NULL);
  self->fleet = g_object_ref (fleet);
  self->bus = g_object_ref (bus);
  for (guint i = 0; i < N_WRITERS; i++)
    {
      Writer *w = &self->writers[i];

      w->ingest = self;
      w->writer = dsd_history_writer_new (conninfo);
      g_signal_connect (w->writer, "ready", G_CALLBACK (writer_ready_cb), w);
      g_signal_connect (w->writer, "lost", G_CALLBACK (writer_lost_cb), w);
    }

  return self;
}

void
dsd_location_ingest_set_metrics (DsdLocationIngest *self,
                                 DsdMetrics        *metrics)
{
  static const char *reason[] = { "reason", NULL };

  g_return_if_fail (DSD_IS_LOCATION_INGEST (self));
  g_return_if_fail (DSD_IS_METRICS (metrics));

  g_set_object (&self->metrics, metrics);
  dsd_metrics_register_counter (metrics, POINTS_METRIC,
                                "Location points accepted (REST and websocket)", NULL);
  dsd_metrics_register_counter (metrics, REJECTED_METRIC,
                                "Location points refused (backlog, database down, stopping) "
                                "or dropped by the database", reason);
  dsd_metrics_register_gauge (metrics, LAG_METRIC,
                              "Seconds from the first point of the last history flush to "
                              "its commit", NULL);
  dsd_metrics_register_gauge (metrics, BACKLOG_METRIC,
                              "Location points accepted and not yet committed to history",
                              NULL);
}

void
dsd_location_ingest_start (DsdLocationIngest *self)
{
  g_return_if_fail (DSD_IS_LOCATION_INGEST (self));
  g_return_if_fail (!self->started);

  self->started = TRUE;
  for (guint i = 0; i < N_WRITERS; i++)
    dsd_history_writer_start (self->writers[i].writer);
}

void
dsd_location_ingest_stop_async (DsdLocationIngest   *self,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (DSD_IS_LOCATION_INGEST (self));
  g_return_if_fail (self->stop_task == NULL);

  task = g_task_new (self, NULL, callback, user_data);
  g_task_set_source_tag (task, dsd_location_ingest_stop_async);
  self->stopping = TRUE;

  if (!self->started)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  self->stop_task = g_steal_pointer (&task);
  if (self->n_buffered == 0)
    {
      finish_stop (self);
      return;
    }

  self->stop_source = g_timeout_add_once (STOP_TIMEOUT_MS, stop_timeout_cb, self);
  schedule_flush (self);
}

void
dsd_location_ingest_stop_finish (DsdLocationIngest *self,
                                 GAsyncResult      *result)
{
  g_return_if_fail (g_task_is_valid (result, self));

  g_task_propagate_boolean (G_TASK (result), NULL);
}

void
dsd_location_ingest_submit_async (DsdLocationIngest           *self,
                                  const char                  *driver_id,
                                  const DispatchLocationPoint *points,
                                  guint                        n_points,
                                  GCancellable                *cancellable,
                                  GAsyncReadyCallback          callback,
                                  gpointer                     user_data)
{
  g_autoptr(GTask) task = NULL;
  GError *error = NULL;

  g_return_if_fail (DSD_IS_LOCATION_INGEST (self));
  g_return_if_fail (driver_id != NULL);
  g_return_if_fail (n_points > 0 && points != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, dsd_location_ingest_submit_async);
  g_task_set_task_data (task, GUINT_TO_POINTER (n_points), NULL);

  if (!accept_points (self, driver_id, points, n_points, task, &error))
    g_task_return_error (task, error);
}

guint
dsd_location_ingest_submit_finish (DsdLocationIngest  *self,
                                   GAsyncResult       *result,
                                   GError            **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), 0);

  return g_task_propagate_int (G_TASK (result), error);
}

guint
dsd_location_ingest_submit (DsdLocationIngest            *self,
                            const char                   *driver_id,
                            const DispatchLocationPoint  *points,
                            guint                         n_points,
                            GError                      **error)
{
  g_return_val_if_fail (DSD_IS_LOCATION_INGEST (self), 0);
  g_return_val_if_fail (driver_id != NULL, 0);
  g_return_val_if_fail (n_points > 0 && points != NULL, 0);

  if (!accept_points (self, driver_id, points, n_points, NULL, error))
    return 0;

  return n_points;
}

void
dsd_location_ingest_set_cache (DsdLocationIngest *self,
                               DsdCache          *cache)
{
  g_return_if_fail (DSD_IS_LOCATION_INGEST (self));
  g_return_if_fail (DSD_IS_CACHE (cache));

  g_set_object (&self->cache, cache);
}
