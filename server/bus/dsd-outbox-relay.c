/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-bus"

#include <stdlib.h>

#include "dsd-bus-backend.h"
#include "dsd-outbox-relay.h"

#define CLAIM_BATCH 500
/* For events other processes commit (dispatchctl, a second writer): this
 * process's own writes wake the relay through DsdPgPool::committed. */
#define POLL_MS 100
/* Claims start at least this far apart: under a stream of commits each claim
 * takes the events of several (a claim is a transaction with a WAL flush of
 * its own), while a lone commit is claimed at once. */
#define CLAIM_SPACING_US 10000

struct _DsdOutboxRelay {
  GObject         parent_instance;

  DsdPgPool      *pool;
  DsdPgListener  *listener;
  DsdEventBus    *bus;
  GCancellable   *cancellable;

  guint           poll_source;
  guint           spacing_source;  /* a claim waiting for CLAIM_SPACING_US */
  gint64          claimed_us;      /* monotonic start of the last claim */
  guint           claiming : 1;
  guint           wanted : 1;     /* a wake-up came in while claiming */
  guint           running : 1;
};

static void bus_backend_iface_init (DsdBusBackendInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (DsdOutboxRelay, dsd_outbox_relay, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (DSD_TYPE_BUS_BACKEND,
                                                      bus_backend_iface_init))

static const char claim_sql[] =
  "SELECT seq, envelope::text FROM dispatch.relay_claim($1::int)";

static void claim (DsdOutboxRelay *self);
static void claim_now (DsdOutboxRelay *self);

static void
claim_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(DsdOutboxRelay) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) rows = NULL;
  int n_rows = 0;

  self->claiming = FALSE;
  rows = dsd_pg_pool_query_finish (DSD_PG_POOL (source), result, &error);

  if (rows == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_warning ("Could not claim outbox events: %s", error->message);
      return;
    }

  n_rows = PQntuples (rows);
  for (int i = 0; i < n_rows; i++)
    {
      g_autoptr(GError) parse_error = NULL;
      g_autoptr(DsdEvent) event = NULL;

      event = dsd_event_new_from_json (PQgetvalue (rows, i, 1), PQgetlength (rows, i, 1),
                                       &parse_error);
      if (event == NULL)
        {
          g_critical ("Outbox event %s is malformed: %s",
                      PQgetvalue (rows, i, 0), parse_error->message);
          continue;
        }

      dsd_event_bus_publish (self->bus, event);
    }

  if (self->running && n_rows == CLAIM_BATCH)
    claim_now (self);
  else if (self->running && self->wanted)
    claim (self);
}

static gboolean
spacing_cb (gpointer user_data)
{
  DsdOutboxRelay *self = user_data;

  self->spacing_source = 0;
  claim (self);
  return G_SOURCE_REMOVE;
}

/* A claim now, or once CLAIM_SPACING_US have passed since the last one began. */
static void
claim (DsdOutboxRelay *self)
{
  gint64 wait_us;

  if (!self->running || self->spacing_source != 0)
    return;

  if (self->claiming)
    {
      self->wanted = TRUE;
      return;
    }

  wait_us = self->claimed_us + CLAIM_SPACING_US - g_get_monotonic_time ();
  if (wait_us > 0)
    {
      self->spacing_source = g_timeout_add ((guint) (wait_us + 999) / 1000, spacing_cb, self);
      return;
    }

  claim_now (self);
}

static void
claim_now (DsdOutboxRelay *self)
{
  static const char * const params[] = { G_STRINGIFY (CLAIM_BATCH) };

  self->claiming = TRUE;
  self->wanted = FALSE;
  self->claimed_us = g_get_monotonic_time ();
  dsd_pg_pool_query_async (self->pool, claim_sql, 1, params, self->cancellable,
                           claim_cb, g_object_ref (self));
}

static void
notify_received_cb (DsdPgListener  *listener,
                    const char     *payload,
                    DsdOutboxRelay *self)
{
  claim (self);
}

static gboolean
poll_cb (gpointer user_data)
{
  claim (user_data);
  return G_SOURCE_CONTINUE;
}

static void
dsd_outbox_relay_dispose (GObject *object)
{
  DsdOutboxRelay *self = DSD_OUTBOX_RELAY (object);

  dsd_outbox_relay_stop (self);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->pool);
  g_clear_object (&self->listener);
  g_clear_object (&self->bus);

  G_OBJECT_CLASS (dsd_outbox_relay_parent_class)->dispose (object);
}

static void
backend_start (DsdBusBackend *backend)
{
  dsd_outbox_relay_start (DSD_OUTBOX_RELAY (backend));
}

/* Nothing in flight: events reach the bus within the claim. */
static void
backend_stop (DsdBusBackend *backend,
              guint          deadline_ms)
{
  dsd_outbox_relay_stop (DSD_OUTBOX_RELAY (backend));
}

static void
bus_backend_iface_init (DsdBusBackendInterface *iface)
{
  iface->start = backend_start;
  iface->stop = backend_stop;
}

static void
dsd_outbox_relay_class_init (DsdOutboxRelayClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = dsd_outbox_relay_dispose;
}

static void
dsd_outbox_relay_init (DsdOutboxRelay *self)
{
}

DsdOutboxRelay *
dsd_outbox_relay_new (DsdPgPool     *pool,
                      DsdPgListener *listener,
                      DsdEventBus   *bus)
{
  DsdOutboxRelay *self = g_object_new (DSD_TYPE_OUTBOX_RELAY, NULL);

  self->pool = g_object_ref (pool);
  self->listener = g_object_ref (listener);
  self->bus = g_object_ref (bus);

  return self;
}

void
dsd_outbox_relay_start (DsdOutboxRelay *self)
{
  g_return_if_fail (DSD_IS_OUTBOX_RELAY (self));

  if (self->running)
    return;

  self->running = TRUE;
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  g_signal_connect_object (self->listener, "notify-received",
                           G_CALLBACK (notify_received_cb), self, 0);
  g_signal_connect_object (self->listener, "reconnected",
                           G_CALLBACK (claim), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->pool, "committed", G_CALLBACK (claim), self,
                           G_CONNECT_SWAPPED);
  self->poll_source = g_timeout_add (POLL_MS, poll_cb, self);
  claim (self);
}

void
dsd_outbox_relay_stop (DsdOutboxRelay *self)
{
  g_return_if_fail (DSD_IS_OUTBOX_RELAY (self));

  if (!self->running)
    return;

  self->running = FALSE;
  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->poll_source, g_source_remove);
  g_clear_handle_id (&self->spacing_source, g_source_remove);
  g_signal_handlers_disconnect_by_data (self->listener, self);
  g_signal_handlers_disconnect_by_data (self->pool, self);
}

