/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-notify"

#include "dispatch-error.h"
#include "dsd-event-bus.h"
#include "dsd-event.h"
#include "dsd-mail-message.h"
#include "dsd-mailer.h"
#include "dsd-notifier.h"
#include "dsd-notify-error.h"
#include "dsd-pg-pool.h"
#include "dsd-webhook-sender.h"

#define POLL_MS 1000
/* Under a stream of events, rounds (two queries, one commit) are batched:
 * at most one per this interval. */
#define MIN_ROUND_INTERVAL_MS 50
#define PLAN_BATCH 1000
#define MAX_IN_FLIGHT 32
/* A claimed row is left alone for longer than its send may take. */
#define LEASE_MARGIN_S 5
#define METRIC "dispatch_notifications_total"

struct _DsdNotifier {
  GObject           parent_instance;

  DsdContext       *context;
  DsdPgPool        *pool;
  DsdMetrics       *metrics;
  char             *public_url;
  DsdMailer        *mailer;      /* NULL: e-mail is off */
  DsdWebhookSender *webhooks;
  char             *leases;      /* notify_claim's {"channel": seconds} */
  char             *retry_base;  /* notify_record's parameters, as text */
  char             *max_attempts;

  GCancellable     *cancellable;
  guint             poll_source;
  guint             delay_source; /* a round waiting for MIN_ROUND_INTERVAL_MS */
  gint64            last_round_us;
  guint             n_in_flight;
  guint             claim_room;   /* rows the claim under way asked for */
  guint             running : 1;
  guint             follow_bus : 1;  /* else a consumer group calls consider() */
  guint             busy : 1;     /* a plan/claim round is under way */
  guint             wanted : 1;   /* … and another was asked for meanwhile */
  guint             backlog : 1;  /* the last claim may have left due rows */
};

G_DEFINE_FINAL_TYPE (DsdNotifier, dsd_notifier, G_TYPE_OBJECT)

/* One attempt at one notification, from claim to record. */
typedef struct {
  DsdNotifier *self;
  char        *id;
  char        *channel;
  char        *attempt;
} Attempt;

enum {
  COL_ID,
  COL_CHANNEL,
  COL_TARGET,
  COL_TEMPLATE,
  COL_ATTEMPTS,
  COL_EVENT_ID,
  COL_EVENT_TYPE,
  COL_ENVELOPE,
  COL_SECRET,
  COL_DELIVERY_PIN,
};

static const char plan_sql[] = "SELECT dispatch.notify_plan($1::boolean, $2::int)";
static const char claim_sql[] =
  "SELECT id, channel, target, template, attempts, event_id, event_type, envelope, secret, "
  "dispatch.proof_mail_pin(id) FROM dispatch.notify_claim($1::jsonb, $2::int)";
static const char record_sql[] =
  "SELECT dispatch.notify_record($1::uuid, $2::int, $3, $4::boolean, $5::int, $6::int)";

static void tick (DsdNotifier *self);

static void
attempt_free (Attempt *attempt)
{
  g_object_unref (attempt->self);
  g_free (attempt->id);
  g_free (attempt->channel);
  g_free (attempt->attempt);
  g_free (attempt);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Attempt, attempt_free)

static void
count (DsdNotifier *self,
       const char  *channel,
       const char  *outcome)
{
  const char *labels[] = { channel, outcome, NULL };

  dsd_metrics_counter_add (self->metrics, METRIC, labels, 1);
}

/* An unavailable database is the pool's to report (and /readyz's): logging
 * it here too would repeat it every second of an outage. */
static void
warn_query_failed (const char   *what,
                   const GError *error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  if (g_error_matches (error, DISPATCH_ERROR, DISPATCH_ERROR_UNAVAILABLE))
    g_debug ("Could not %s: %s", what, error->message);
  else
    g_warning ("Could not %s: %s", what, error->message);
}

static void
recorded_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(Attempt) attempt = user_data;
  DsdNotifier *self = attempt->self;
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) rows = NULL;
  const char *outcome;

  self->n_in_flight--;
  rows = dsd_pg_pool_query_finish (DSD_PG_POOL (source), result, &error);
  if (rows == NULL)
    {
      /* The lease runs out and the notification is sent again. */
      warn_query_failed ("record a notification attempt", error);
      return;
    }

  outcome = PQgetvalue (rows, 0, 0);
  if (g_str_equal (outcome, "retry"))
    {
      count (self, attempt->channel, "retried");
      g_debug ("Notification %s (%s): attempt %s failed, will retry",
               attempt->id, attempt->channel, attempt->attempt);
    }
  else if (g_str_equal (outcome, "dead"))
    {
      count (self, attempt->channel, "dead_lettered");
      g_warning ("Notification %s (%s) failed for good after attempt %s",
                 attempt->id, attempt->channel, attempt->attempt);
    }

  if (self->backlog)
    tick (self);
}

/* error: NULL when delivered. */
static void
finish_attempt (Attempt      *attempt,
                const GError *error)
{
  DsdNotifier *self = attempt->self;
  gboolean permanent;

  if (error != NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      self->n_in_flight--;
      attempt_free (attempt);
      return;
    }

  count (self, attempt->channel, error == NULL ? "sent" : "failed");
  permanent = error != NULL && g_error_matches (error, DSD_NOTIFY_ERROR,
                                                DSD_NOTIFY_ERROR_REJECTED);
  if (error != NULL)
    g_debug ("Notification %s (%s) attempt %s: %s",
             attempt->id, attempt->channel, attempt->attempt, error->message);

  dsd_pg_pool_query_async (self->pool, record_sql, 6,
                           (const char * const[]) {
                             attempt->id, attempt->attempt,
                             error != NULL ? error->message : NULL,
                             permanent ? "true" : "false",
                             self->retry_base, self->max_attempts,
                           },
                           self->cancellable, recorded_cb, attempt);
}

/* A webhook delivery or an e-mail ended. */
static void
sent_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (DSD_IS_MAILER (source))
    dsd_mailer_send_finish (DSD_MAILER (source), result, &error);
  else
    dsd_webhook_sender_deliver_finish (DSD_WEBHOOK_SENDER (source), result, &error);
  finish_attempt (user_data, error);
}

static gboolean
send_webhook (DsdNotifier  *self,
              PGresult     *rows,
              int           row,
              Attempt      *attempt,
              GError      **error)
{
  g_autoptr(GBytes) body = NULL;

  if (PQgetisnull (rows, row, COL_SECRET))
    {
      g_set_error_literal (error, DSD_NOTIFY_ERROR, DSD_NOTIFY_ERROR_REJECTED,
                           "the webhook was deleted");
      return FALSE;
    }

  body = g_bytes_new (PQgetvalue (rows, row, COL_ENVELOPE), PQgetlength (rows, row, COL_ENVELOPE));
  dsd_webhook_sender_deliver_async (self->webhooks, PQgetvalue (rows, row, COL_TARGET),
                                    PQgetvalue (rows, row, COL_SECRET),
                                    PQgetvalue (rows, row, COL_EVENT_ID), body,
                                    self->cancellable, sent_cb, attempt);
  return TRUE;
}

/* The message is built where it is sent, on the mailer's worker thread. */
static void
send_mail (DsdNotifier  *self,
           PGresult     *rows,
           int           row,
           Attempt      *attempt)
{
  DsdMailDraft *draft;

  /* Claimed only by instances that have e-mail on. */
  g_assert (self->mailer != NULL);

  draft = dsd_mail_draft_new (PQgetvalue (rows, row, COL_TEMPLATE),
                              PQgetvalue (rows, row, COL_ENVELOPE),
                              PQgetlength (rows, row, COL_ENVELOPE),
                              PQgetvalue (rows, row, COL_TARGET), self->public_url,
                              PQgetisnull (rows, row, COL_DELIVERY_PIN)
                                ? NULL : PQgetvalue (rows, row, COL_DELIVERY_PIN));
  dsd_mailer_send_async (self->mailer, draft, self->cancellable, sent_cb, attempt);
}

static void
start_attempt (DsdNotifier *self,
               PGresult    *rows,
               int          row)
{
  Attempt *attempt = g_new0 (Attempt, 1);
  g_autoptr(GError) error = NULL;
  gboolean started;

  attempt->self = g_object_ref (self);
  attempt->id = g_strdup (PQgetvalue (rows, row, COL_ID));
  attempt->channel = g_strdup (PQgetvalue (rows, row, COL_CHANNEL));
  attempt->attempt = g_strdup (PQgetvalue (rows, row, COL_ATTEMPTS));
  self->n_in_flight++;

  if (PQgetisnull (rows, row, COL_ENVELOPE))
    {
      g_set_error_literal (&error, DSD_NOTIFY_ERROR, DSD_NOTIFY_ERROR_REJECTED,
                           "the event is no longer available");
      started = FALSE;
    }
  else if (g_str_equal (attempt->channel, "webhook"))
    {
      started = send_webhook (self, rows, row, attempt, &error);
    }
  else
    {
      send_mail (self, rows, row, attempt);
      started = TRUE;
    }

  if (!started)
    finish_attempt (attempt, error);
}

static void
finish_round (DsdNotifier *self)
{
  self->busy = FALSE;
  if (self->wanted)
    tick (self);
}

static void
claimed_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(DsdNotifier) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) rows = NULL;
  int n_rows;

  rows = dsd_pg_pool_query_finish (DSD_PG_POOL (source), result, &error);
  if (rows == NULL)
    {
      warn_query_failed ("claim due notifications", error);
      finish_round (self);
      return;
    }

  n_rows = PQntuples (rows);
  self->backlog = (guint) n_rows >= self->claim_room;
  for (int i = 0; i < n_rows && self->running; i++)
    start_attempt (self, rows, i);

  finish_round (self);
}

static void
claim (DsdNotifier *self)
{
  guint room = MAX_IN_FLIGHT - self->n_in_flight;
  g_autofree char *room_text = NULL;

  if (!self->running || room == 0)
    {
      self->backlog = TRUE;
      finish_round (self);
      return;
    }

  room_text = g_strdup_printf ("%u", room);
  self->claim_room = room;
  dsd_pg_pool_query_async (self->pool, claim_sql, 2,
                           (const char * const[]) { self->leases, room_text },
                           self->cancellable, claimed_cb, g_object_ref (self));
}

static void
planned_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(DsdNotifier) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) rows = NULL;

  rows = dsd_pg_pool_query_finish (DSD_PG_POOL (source), result, &error);
  if (rows == NULL)
    warn_query_failed ("plan notifications", error);
  else if (g_ascii_strtoll (PQgetvalue (rows, 0, 0), NULL, 10) >= PLAN_BATCH)
    self->wanted = TRUE;

  /* Due rows are worth sending even when planning failed. */
  claim (self);
}

static gboolean
delayed_tick_cb (gpointer user_data)
{
  DsdNotifier *self = user_data;

  self->delay_source = 0;
  tick (self);
  return G_SOURCE_REMOVE;
}

/* Plans, claims and starts sending: now, or as soon as the round under way
 * and the minimum interval allow. */
static void
tick (DsdNotifier *self)
{
  gint64 now = g_get_monotonic_time ();
  gint64 wait_ms;

  if (!self->running || self->delay_source != 0)
    return;

  if (self->busy)
    {
      self->wanted = TRUE;
      return;
    }

  wait_ms = (self->last_round_us + MIN_ROUND_INTERVAL_MS * 1000 - now) / 1000;
  if (wait_ms > 0)
    {
      self->delay_source = g_timeout_add (wait_ms, delayed_tick_cb, self);
      return;
    }

  self->last_round_us = now;
  self->busy = TRUE;
  self->wanted = FALSE;
  dsd_pg_pool_query_async (self->pool, plan_sql, 2,
                           (const char * const[]) {
                             self->mailer != NULL ? "true" : "false",
                             G_STRINGIFY (PLAN_BATCH)
                           },
                           self->cancellable, planned_cb, g_object_ref (self));
}

static void
event_cb (DsdEventBus *bus,
          DsdEvent    *event,
          DsdNotifier *self)
{
  tick (self);
}

static gboolean
poll_cb (gpointer user_data)
{
  tick (user_data);
  return G_SOURCE_CONTINUE;
}

static void
dsd_notifier_dispose (GObject *object)
{
  DsdNotifier *self = DSD_NOTIFIER (object);

  dsd_notifier_stop (self);
  g_clear_object (&self->mailer);
  g_clear_object (&self->webhooks);
  g_clear_object (&self->context);

  G_OBJECT_CLASS (dsd_notifier_parent_class)->dispose (object);
}

static void
dsd_notifier_finalize (GObject *object)
{
  DsdNotifier *self = DSD_NOTIFIER (object);

  g_clear_object (&self->cancellable);
  g_free (self->public_url);
  g_free (self->leases);
  g_free (self->retry_base);
  g_free (self->max_attempts);

  G_OBJECT_CLASS (dsd_notifier_parent_class)->finalize (object);
}

static void
dsd_notifier_class_init (DsdNotifierClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = dsd_notifier_dispose;
  object_class->finalize = dsd_notifier_finalize;
}

static void
dsd_notifier_init (DsdNotifier *self)
{
  self->follow_bus = TRUE;
}

DsdNotifier *
dsd_notifier_new (DsdContext  *context,
                  const char  *public_url,
                  GError     **error)
{
  static const char *labels[] = { "channel", "outcome", NULL };
  DsdConfig *config = dsd_context_get_config (context);
  g_autoptr(DsdNotifier) self = NULL;
  g_autofree char *default_from = NULL;
  g_autofree char *base = NULL;

  g_return_val_if_fail (DSD_IS_CONTEXT (context), NULL);
  g_return_val_if_fail (public_url != NULL, NULL);

  self = g_object_new (DSD_TYPE_NOTIFIER, NULL);
  self->context = g_object_ref (context);
  self->pool = dsd_context_get (context, DSD_TYPE_PG_POOL);
  self->metrics = dsd_context_get_metrics (context);

  base = g_strdup (public_url);
  while (g_str_has_suffix (base, "/"))
    base[strlen (base) - 1] = '\0';
  self->public_url = g_steal_pointer (&base);

  if (config->smtp_url != NULL)
    {
      default_from = g_strconcat ("dispatchd@", g_get_host_name (), NULL);
      self->mailer = dsd_mailer_new (config->smtp_url,
                                     config->mail_from != NULL ? config->mail_from
                                                               : default_from,
                                     error);
      if (self->mailer == NULL)
        return NULL;
    }

  self->webhooks = dsd_webhook_sender_new (config->webhook_allow_private);
  if (self->mailer != NULL)
    self->leases = g_strdup_printf ("{\"webhook\":%d,\"email\":%d}",
                                    DSD_WEBHOOK_TIMEOUT_S + LEASE_MARGIN_S,
                                    DSD_MAIL_TIMEOUT_S + LEASE_MARGIN_S);
  else
    self->leases = g_strdup_printf ("{\"webhook\":%d}", DSD_WEBHOOK_TIMEOUT_S + LEASE_MARGIN_S);
  self->retry_base = g_strdup_printf ("%u", MIN (config->webhook_retry_base_s, G_MAXINT));
  self->max_attempts = g_strdup_printf ("%u", MIN (config->webhook_max_attempts, G_MAXINT));

  dsd_metrics_register_counter (self->metrics, METRIC,
                                "Notification attempts by channel and outcome "
                                "(sent, failed, retried, dead_lettered)", labels);

  return g_steal_pointer (&self);
}

void
dsd_notifier_start (DsdNotifier *self)
{
  g_return_if_fail (DSD_IS_NOTIFIER (self));

  if (self->running)
    return;

  if (self->mailer != NULL)
    g_message ("E-mail notifications on: via %s from %s",
               dsd_mailer_get_server (self->mailer), dsd_mailer_get_from (self->mailer));
  else
    g_message ("E-mail notifications off: SMTP_URL is not set");

  self->running = TRUE;
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  if (self->follow_bus)
    g_signal_connect_object (dsd_context_get (self->context, DSD_TYPE_EVENT_BUS), "event::state",
                             G_CALLBACK (event_cb), self, 0);
  self->poll_source = g_timeout_add (POLL_MS, poll_cb, self);
  tick (self);
}

void
dsd_notifier_set_follow_bus (DsdNotifier *self,
                             gboolean     follow_bus)
{
  g_return_if_fail (DSD_IS_NOTIFIER (self));

  self->follow_bus = follow_bus;
}

gboolean
dsd_notifier_consider (DsdNotifier  *self,
                       DsdEvent     *event,
                       GError      **error)
{
  g_return_val_if_fail (DSD_IS_NOTIFIER (self), FALSE);

  if (!self->running)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
                           "the notifier is not running");
      return FALSE;
    }

  /* The plan reads every event after its cursor from the database, in the
   * transaction that records the notifications: a round after this event
   * covers it exactly once. */
  tick (self);
  return TRUE;
}

void
dsd_notifier_stop (DsdNotifier *self)
{
  g_return_if_fail (DSD_IS_NOTIFIER (self));

  if (!self->running)
    return;

  self->running = FALSE;
  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->poll_source, g_source_remove);
  g_clear_handle_id (&self->delay_source, g_source_remove);
  g_signal_handlers_disconnect_by_data (dsd_context_get (self->context, DSD_TYPE_EVENT_BUS), self);
}
