/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-live"

#include "dsd-order-timings.h"

#include "dispatch-json.h"
#include "dsd-event.h"

#define ASSIGN_METRIC "dispatch_order_time_to_assign_seconds"
#define PICKUP_METRIC "dispatch_order_pickup_wait_seconds"

struct _DsdOrderTimings
{
  GObject      parent_instance;

  DsdEventBus *bus;
  DsdMetrics  *metrics;
  GHashTable  *assigned_us;   /* order id → gint64 * assignment time (µs) */
};

G_DEFINE_FINAL_TYPE (DsdOrderTimings, dsd_order_timings, G_TYPE_OBJECT)

static gboolean
get_time (JsonObject *order,
          const char *member,
          gint64     *out_us)
{
  const char *text = NULL;

  return dispatch_json_get_string (order, NULL, member, DISPATCH_JSON_REQUIRED, 0, &text,
                                    NULL) &&
         dispatch_parse_timestamp (text, out_us);
}

/* order.assigned (each assignment) and order.updated carry the full order. */
static void
event_cb (DsdEventBus *bus,
          DsdEvent    *event,
          gpointer     user_data)
{
  DsdOrderTimings *self = user_data;
  const char *type = dsd_event_get_type_name (event);
  const char *id = dsd_event_get_order_id (event);
  JsonObject *order;
  const char *status = NULL;
  gint64 created_us, updated_us;
  gint64 *assigned_us;

  if (id == NULL ||
      (!g_str_equal (type, "order.updated") && !g_str_equal (type, "order.assigned")))
    return;

  order = dsd_event_get_data (event);
  if (order == NULL ||
      !dispatch_json_get_string (order, NULL, "status", DISPATCH_JSON_REQUIRED, 0, &status,
                                 NULL) ||
      !get_time (order, "created_at", &created_us) ||
      !get_time (order, "updated_at", &updated_us))
    return;

  if (g_str_equal (type, "order.assigned"))
    {
      dsd_metrics_histogram_observe (self->metrics, ASSIGN_METRIC, NULL,
                                     (updated_us - created_us) / (double) G_USEC_PER_SEC);
      if (g_hash_table_contains (self->assigned_us, id) ||
          g_hash_table_size (self->assigned_us) < DSD_ORDER_TIMINGS_MAX_OPEN)
        g_hash_table_insert (self->assigned_us, g_strdup (id), g_memdup2 (&updated_us,
                                                                          sizeof updated_us));
      return;
    }

  /* The order.updated of an assignment, or an edit of an assigned order. */
  if (g_str_equal (status, "assigned"))
    return;
  assigned_us = g_hash_table_lookup (self->assigned_us, id);
  if (assigned_us != NULL && g_str_equal (status, "picked_up"))
    dsd_metrics_histogram_observe (self->metrics, PICKUP_METRIC, NULL,
                                   (updated_us - *assigned_us) / (double) G_USEC_PER_SEC);
  g_hash_table_remove (self->assigned_us, id);
}

static void
dsd_order_timings_dispose (GObject *object)
{
  DsdOrderTimings *self = DSD_ORDER_TIMINGS (object);

  if (self->bus != NULL)
    g_signal_handlers_disconnect_by_data (self->bus, self);
  g_clear_object (&self->bus);
  g_clear_object (&self->metrics);
  g_clear_pointer (&self->assigned_us, g_hash_table_unref);

  G_OBJECT_CLASS (dsd_order_timings_parent_class)->dispose (object);
}

static void
dsd_order_timings_class_init (DsdOrderTimingsClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = dsd_order_timings_dispose;
}

static void
dsd_order_timings_init (DsdOrderTimings *self)
{
  self->assigned_us = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

DsdOrderTimings *
dsd_order_timings_new (DsdEventBus *bus,
                       DsdMetrics  *metrics)
{
  /* From 1 s to 1 h: assignment takes seconds to minutes, a pickup minutes. */
  static const double bounds[] = { 1, 5, 15, 30, 60, 120, 300, 600, 900, 1200, 1800, 3600 };
  DsdOrderTimings *self = g_object_new (DSD_TYPE_ORDER_TIMINGS, NULL);

  self->bus = g_object_ref (bus);
  self->metrics = g_object_ref (metrics);
  dsd_metrics_register_histogram (metrics, ASSIGN_METRIC,
                                  "Time from an order's creation to its assignment, seconds",
                                  NULL, bounds, G_N_ELEMENTS (bounds));
  dsd_metrics_register_histogram (metrics, PICKUP_METRIC,
                                  "Time from an order's assignment to its pickup, seconds",
                                  NULL, bounds, G_N_ELEMENTS (bounds));
  g_signal_connect_object (bus, "event::state", G_CALLBACK (event_cb), self, 0);

  return self;
}
