/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "dc-alerts.h"
#include "dc-json.h"
#include "dc-order.h"

#define LATE_CHECK_S 15
#define MAX_ALERTS   200

struct _DcAlert
{
  GObject parent_instance;

  char *title;
  char *body;
  char *order_id;
  gint64 time;
};

G_DEFINE_FINAL_TYPE (DcAlert, dc_alert, G_TYPE_OBJECT)

static void
dc_alert_finalize (GObject *object)
{
  DcAlert *self = (DcAlert *)object;

  g_clear_pointer (&self->title, g_free);
  g_clear_pointer (&self->body, g_free);
  g_clear_pointer (&self->order_id, g_free);

  G_OBJECT_CLASS (dc_alert_parent_class)->finalize (object);
}

static void
dc_alert_class_init (DcAlertClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = dc_alert_finalize;
}

static void
dc_alert_init (DcAlert *self)
{
}

const char *
dc_alert_get_title (DcAlert *self)
{
  g_return_val_if_fail (DC_IS_ALERT (self), NULL);

  return self->title;
}

const char *
dc_alert_get_body (DcAlert *self)
{
  g_return_val_if_fail (DC_IS_ALERT (self), NULL);

  return self->body;
}

const char *
dc_alert_get_order_id (DcAlert *self)
{
  g_return_val_if_fail (DC_IS_ALERT (self), NULL);

  return self->order_id;
}

gint64
dc_alert_get_time (DcAlert *self)
{
  g_return_val_if_fail (DC_IS_ALERT (self), 0);

  return self->time;
}

struct _DcAlerts
{
  GObject parent_instance;

  DcStore *orders;
  GListStore *alerts;
  /* ids of orders already reported late, so each is reported once */
  GHashTable *reported_late;
  guint unread;
  guint late_source;
};

G_DEFINE_FINAL_TYPE (DcAlerts, dc_alerts, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_UNREAD,
  N_PROPS
};

enum {
  RAISED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void
raise_alert (DcAlerts   *self,
             const char *title,
             const char *body,
             const char *order_id)
{
  g_autoptr(DcAlert) alert = g_object_new (DC_TYPE_ALERT, NULL);
  guint n;

  alert->title = g_strdup (title);
  alert->body = g_strdup (body);
  alert->order_id = g_strdup (order_id);
  alert->time = g_get_real_time ();

  g_list_store_insert (self->alerts, 0, alert);
  if ((n = g_list_model_get_n_items (G_LIST_MODEL (self->alerts))) > MAX_ALERTS)
    g_list_store_remove (self->alerts, n - 1);

  self->unread++;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_UNREAD]);
  g_signal_emit (self, signals[RAISED], 0, alert);
}

static char *
order_label (JsonObject *order)
{
  const char *id = dc_json_string (order, "id");
  JsonObject *pickup = dc_json_object (order, "pickup");
  const char *address = pickup != NULL ? dc_json_string (pickup, "address") : NULL;
  g_autofree char *short_id = g_strndup (id ? id : "?", 8);

  if (address != NULL)
    /* Translators: an order, e.g. "Order 3f2a9c1d from 12 Market Street" */
    return g_strdup_printf (_("Order %s from %s"), short_id, address);

  return g_strdup_printf (_("Order %s"), short_id);
}

static void
unassignable_cb (DcAlerts   *self,
                 const char *type,
                 JsonObject *data)
{
  g_autofree char *label = order_label (data);

  raise_alert (self, _("No driver for an order"), label, dc_json_string (data, "id"));
}

static void
alert_cb (DcAlerts   *self,
          const char *type,
          JsonObject *data)
{
  const char *message = dc_json_string (data, "message");
  const char *order_id = dc_json_string (data, "order_id");

  raise_alert (self, _("Alert"), message ? message : _("The server raised an alert"), order_id);
}

static void
state_changed_cb (DcAlerts   *self,
                  GParamSpec *pspec,
                  DcStream   *stream)
{
  if (dc_stream_get_state (stream) == DC_CONNECTION_LIVE)
    dc_alerts_check_late (self);
}

static gboolean
late_cb (gpointer user_data)
{
  dc_alerts_check_late (user_data);

  return G_SOURCE_CONTINUE;
}

static void
dc_alerts_dispose (GObject *object)
{
  DcAlerts *self = (DcAlerts *)object;

  g_clear_handle_id (&self->late_source, g_source_remove);
  g_clear_object (&self->orders);
  g_clear_object (&self->alerts);
  g_clear_pointer (&self->reported_late, g_hash_table_unref);

  G_OBJECT_CLASS (dc_alerts_parent_class)->dispose (object);
}

static void
dc_alerts_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  DcAlerts *self = DC_ALERTS (object);

  switch (prop_id)
    {
    case PROP_UNREAD:
      g_value_set_uint (value, self->unread);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dc_alerts_class_init (DcAlertsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = dc_alerts_dispose;
  object_class->get_property = dc_alerts_get_property;

  properties[PROP_UNREAD] =
    g_param_spec_uint ("unread", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[RAISED] =
    g_signal_new ("raised", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, DC_TYPE_ALERT);
}

static void
dc_alerts_init (DcAlerts *self)
{
  self->alerts = g_list_store_new (DC_TYPE_ALERT);
  self->reported_late = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

DcAlerts *
dc_alerts_new (DcStream *stream,
               DcStore  *orders)
{
  DcAlerts *self;

  g_return_val_if_fail (DC_IS_STREAM (stream), NULL);
  g_return_val_if_fail (DC_IS_STORE (orders), NULL);

  self = g_object_new (DC_TYPE_ALERTS, NULL);
  self->orders = g_object_ref (orders);

  g_signal_connect_object (stream, "event::order.unassignable",
                           G_CALLBACK (unassignable_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (stream, "event::alert",
                           G_CALLBACK (alert_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (stream, "notify::state",
                           G_CALLBACK (state_changed_cb), self, G_CONNECT_SWAPPED);
  self->late_source = g_timeout_add_seconds (LATE_CHECK_S, late_cb, self);

  return self;
}

GListModel *
dc_alerts_get_model (DcAlerts *self)
{
  g_return_val_if_fail (DC_IS_ALERTS (self), NULL);

  return G_LIST_MODEL (self->alerts);
}

guint
dc_alerts_get_unread (DcAlerts *self)
{
  g_return_val_if_fail (DC_IS_ALERTS (self), 0);

  return self->unread;
}

void
dc_alerts_mark_read (DcAlerts *self)
{
  g_return_if_fail (DC_IS_ALERTS (self));

  if (self->unread == 0)
    return;

  self->unread = 0;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_UNREAD]);
}

void
dc_alerts_clear (DcAlerts *self)
{
  g_return_if_fail (DC_IS_ALERTS (self));

  g_list_store_remove_all (self->alerts);
  dc_alerts_mark_read (self);
}

void
dc_alerts_check_late (DcAlerts *self)
{
  gint64 now = g_get_real_time ();
  guint n;

  g_return_if_fail (DC_IS_ALERTS (self));

  n = g_list_model_get_n_items (G_LIST_MODEL (self->orders));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(DcOrder) order = g_list_model_get_item (G_LIST_MODEL (self->orders), i);
      const char *id = dc_entity_get_id (DC_ENTITY (order));

      if (dc_order_refresh_late (order, now))
        dc_store_resort (self->orders, DC_ENTITY (order));

      if (dc_order_get_late (order) && !g_hash_table_contains (self->reported_late, id))
        {
          g_autofree char *body = NULL;

          g_hash_table_add (self->reported_late, g_strdup (id));
          if (dc_order_get_status (order) == DISPATCH_ORDER_PENDING)
            /* Translators: %s is a short order id */
            body = g_strdup_printf (_("Order %s is still waiting for a driver"),
                                    dc_order_get_short_id (order));
          else
            body = g_strdup_printf (_("Order %s is running past its ETA"),
                                    dc_order_get_short_id (order));
          raise_alert (self, _("Late order"), body, id);
        }
    }
}
