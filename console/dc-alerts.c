/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include <dispatch-json.h>

#include "dc-alerts.h"
#include "dc-json.h"
#include "dc-order.h"

#define LATE_CHECK_S 15
#define MAX_ALERTS   200

struct _DcAlert
{
  GObject parent_instance;

  /* what repeats of the same alert share, e.g. "late:ORDER" */
  char *key;
  char *title;
  char *body;
  char *order_id;
  char *driver_id;
  gint64 time;
  guint count;
};

G_DEFINE_FINAL_TYPE (DcAlert, dc_alert, G_TYPE_OBJECT)

static void
dc_alert_finalize (GObject *object)
{
  DcAlert *self = (DcAlert *)object;

  g_clear_pointer (&self->key, g_free);
  g_clear_pointer (&self->title, g_free);
  g_clear_pointer (&self->body, g_free);
  g_clear_pointer (&self->order_id, g_free);
  g_clear_pointer (&self->driver_id, g_free);

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

const char *
dc_alert_get_driver_id (DcAlert *self)
{
  g_return_val_if_fail (DC_IS_ALERT (self), NULL);

  return self->driver_id;
}

gint64
dc_alert_get_time (DcAlert *self)
{
  g_return_val_if_fail (DC_IS_ALERT (self), 0);

  return self->time;
}

guint
dc_alert_get_count (DcAlert *self)
{
  g_return_val_if_fail (DC_IS_ALERT (self), 0);

  return self->count;
}

static JsonNode *
alert_to_json (DcAlert *self)
{
  g_autoptr(JsonObject) object = json_object_new ();
  g_autofree char *time = dispatch_format_timestamp (self->time);

  json_object_set_string_member (object, "key", self->key);
  json_object_set_string_member (object, "title", self->title);
  json_object_set_string_member (object, "body", self->body);
  if (self->order_id != NULL)
    json_object_set_string_member (object, "order_id", self->order_id);
  if (self->driver_id != NULL)
    json_object_set_string_member (object, "driver_id", self->driver_id);
  json_object_set_string_member (object, "time", time);
  json_object_set_int_member (object, "count", self->count);

  return json_node_init_object (json_node_alloc (), object);
}

static DcAlert *
alert_from_json (JsonObject *object)
{
  g_autoptr(DcAlert) self = g_object_new (DC_TYPE_ALERT, NULL);

  self->key = g_strdup (dc_json_string (object, "key"));
  self->title = g_strdup (dc_json_string (object, "title"));
  self->body = g_strdup (dc_json_string (object, "body"));
  self->order_id = g_strdup (dc_json_string (object, "order_id"));
  self->driver_id = g_strdup (dc_json_string (object, "driver_id"));
  self->time = dc_json_timestamp (object, "time");
  self->count = (guint) CLAMP (json_object_get_int_member_with_default (object, "count", 1),
                               1, G_MAXUINT);
  if (self->key == NULL || self->title == NULL || self->body == NULL || self->time == 0)
    return NULL;

  return g_steal_pointer (&self);
}

struct _DcAlerts
{
  GObject parent_instance;

  DcStore *orders;
  GListStore *alerts;
  GFile *journal;
  /* a write under way (it holds a reference), and whether another one is
   * due after it */
  gboolean saving;
  gboolean save_again;
  /* ids of orders already reported late, so each is reported once; at
   * risk, so that one the snapshot brings marked is reported too, once */
  GHashTable *reported_late;
  GHashTable *reported_at_risk;
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

static void save (DcAlerts *self);

static void
saved_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(DcAlerts) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!g_file_replace_contents_finish (G_FILE (object), result, NULL, &error))
    g_message ("Could not keep the alerts: %s", error->message);

  self->saving = FALSE;
  if (self->save_again && self->journal != NULL)
    save (self);
}

static void
save (DcAlerts *self)
{
  g_autoptr(JsonArray) array = json_array_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GFile) parent = NULL;
  g_autofree char *text = NULL;
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->alerts));
  gsize length;

  if (self->journal == NULL)
    return;
  if (self->saving)
    {
      self->save_again = TRUE;
      return;
    }

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(DcAlert) alert = g_list_model_get_item (G_LIST_MODEL (self->alerts), i);

      json_array_add_element (array, alert_to_json (alert));
    }
  root = json_node_init_array (json_node_alloc (), array);
  text = json_to_string (root, FALSE);
  length = strlen (text);
  bytes = g_bytes_new_take (g_steal_pointer (&text), length);

  parent = g_file_get_parent (self->journal);
  g_file_make_directory_with_parents (parent, NULL, NULL);
  self->save_again = FALSE;
  self->saving = TRUE;
  g_file_replace_contents_bytes_async (self->journal, bytes, NULL, FALSE,
                                       G_FILE_CREATE_PRIVATE | G_FILE_CREATE_REPLACE_DESTINATION,
                                       NULL, saved_cb, g_object_ref (self));
}

static void
loaded_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(DcAlerts) self = user_data;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  gsize length;
  JsonNode *root;
  JsonArray *array;

  if (!g_file_load_contents_finish (G_FILE (object), result, &contents, &length, NULL, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
        g_message ("Could not read the alerts kept: %s", error->message);
      return;
    }

  if (!json_parser_load_from_data (parser, contents, (gssize) length, &error) ||
      !JSON_NODE_HOLDS_ARRAY ((root = json_parser_get_root (parser))))
    {
      g_message ("Ignoring the alerts kept: not a JSON array");
      return;
    }

  /* Behind whatever was raised meanwhile, oldest last. */
  array = json_node_get_array (root);
  for (guint i = 0; i < json_array_get_length (array) && i < MAX_ALERTS; i++)
    {
      JsonNode *node = json_array_get_element (array, i);
      g_autoptr(DcAlert) alert = NULL;

      if (JSON_NODE_HOLDS_OBJECT (node) &&
          (alert = alert_from_json (json_node_get_object (node))) != NULL)
        g_list_store_append (self->alerts, alert);
    }
}

/* The position of the alert with @key, or G_MAXUINT. */
static guint
find_alert (DcAlerts   *self,
            const char *key)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->alerts));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(DcAlert) alert = g_list_model_get_item (G_LIST_MODEL (self->alerts), i);

      if (g_strcmp0 (alert->key, key) == 0)
        return i;
    }

  return G_MAXUINT;
}

static void
raise_alert (DcAlerts   *self,
             const char *key,
             const char *title,
             const char *body,
             const char *order_id,
             const char *driver_id)
{
  g_autoptr(DcAlert) alert = NULL;
  guint earlier = find_alert (self, key);
  guint n;

  /* A repeat replaces the earlier entry and counts it. */
  if (earlier != G_MAXUINT)
    {
      alert = g_list_model_get_item (G_LIST_MODEL (self->alerts), earlier);
      g_list_store_remove (self->alerts, earlier);
    }

  if (alert == NULL)
    {
      alert = g_object_new (DC_TYPE_ALERT, NULL);
      alert->key = g_strdup (key);
    }
  g_free (alert->title);
  alert->title = g_strdup (title);
  g_free (alert->body);
  alert->body = g_strdup (body);
  g_free (alert->order_id);
  alert->order_id = g_strdup (order_id);
  g_free (alert->driver_id);
  alert->driver_id = g_strdup (driver_id);
  alert->time = g_get_real_time ();
  alert->count++;

  g_list_store_insert (self->alerts, 0, alert);
  if ((n = g_list_model_get_n_items (G_LIST_MODEL (self->alerts))) > MAX_ALERTS)
    g_list_store_remove (self->alerts, n - 1);
  save (self);

  self->unread++;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_UNREAD]);
  g_signal_emit (self, signals[RAISED], 0, alert);
}

static char *
order_label_of (const char *id,
                const char *address)
{
  g_autofree char *short_id = dc_order_format_short_id (id ? id : "?");

  if (address != NULL)
    /* Translators: an order, e.g. "Order 3f2a9c1d from 12 Market Street" */
    return g_strdup_printf (_("Order %s from %s"), short_id, address);

  return g_strdup_printf (_("Order %s"), short_id);
}

static char *
order_label (JsonObject *order)
{
  JsonObject *pickup = dc_json_object (order, "pickup");

  return order_label_of (dc_json_string (order, "id"),
                         pickup != NULL ? dc_json_string (pickup, "address") : NULL);
}

static void
unassignable_cb (DcAlerts   *self,
                 const char *type,
                 JsonObject *data)
{
  g_autofree char *label = order_label (data);
  g_autofree char *key = g_strconcat ("unassignable:", dc_json_string (data, "id"), NULL);

  raise_alert (self, key, _("No driver for an order"), label, dc_json_string (data, "id"), NULL);
}

static void
report_at_risk (DcAlerts   *self,
                const char *order_id,
                const char *label,
                const char *driver_id)
{
  g_autofree char *key = g_strconcat ("at_risk:", order_id, NULL);

  g_hash_table_add (self->reported_at_risk, g_strdup (order_id));
  raise_alert (self, key, _("An order may miss its delivery window"), label, order_id,
               driver_id);
}

static void
at_risk_cb (DcAlerts   *self,
            const char *type,
            JsonObject *data)
{
  g_autofree char *label = order_label (data);

  if (dc_json_string (data, "id") != NULL)
    report_at_risk (self, dc_json_string (data, "id"), label, dc_json_string (data, "driver_id"));
}

static void
alert_cb (DcAlerts   *self,
          const char *type,
          JsonObject *data)
{
  const char *kind = dc_json_string (data, "kind");
  const char *driver_id = dc_json_string (data, "driver_id");
  const char *order_id = dc_json_string (data, "order_id");
  JsonArray *order_ids = dc_json_array (data, "order_ids");
  g_autofree char *key = NULL;
  g_autofree char *body = NULL;

  if (order_id == NULL && order_ids != NULL && json_array_get_length (order_ids) > 0)
    order_id = json_array_get_string_element (order_ids, 0);
  key = g_strdup_printf ("%s:%s", kind ?: "alert", driver_id ?: order_id ?: "");

  if (g_strcmp0 (kind, "driver_offline_with_orders") == 0)
    {
      guint n = order_ids != NULL ? json_array_get_length (order_ids) : 0;

      /* Translators: driver name, number of orders */
      body = g_strdup_printf (ngettext ("%s went offline holding %u order",
                                        "%s went offline holding %u orders", n),
                              dc_json_string (data, "driver_name") ?: _("A driver"), n);
      raise_alert (self, key, _("Driver offline with orders"), body, order_id, driver_id);
      return;
    }

  raise_alert (self, key, _("Alert"),
               dc_json_string (data, "message") ?: _("The server raised an alert"),
               order_id, driver_id);
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
  g_clear_object (&self->journal);
  g_clear_object (&self->orders);
  g_clear_object (&self->alerts);
  g_clear_pointer (&self->reported_late, g_hash_table_unref);
  g_clear_pointer (&self->reported_at_risk, g_hash_table_unref);

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
  self->reported_at_risk = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

DcAlerts *
dc_alerts_new (DcStream   *stream,
               DcStore    *orders,
               const char *journal)
{
  DcAlerts *self;

  g_return_val_if_fail (DC_IS_STREAM (stream), NULL);
  g_return_val_if_fail (DC_IS_STORE (orders), NULL);

  self = g_object_new (DC_TYPE_ALERTS, NULL);
  self->orders = g_object_ref (orders);

  g_signal_connect_object (stream, "event::order.unassignable",
                           G_CALLBACK (unassignable_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (stream, "event::order.at_risk",
                           G_CALLBACK (at_risk_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (stream, "event::alert",
                           G_CALLBACK (alert_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (stream, "notify::state",
                           G_CALLBACK (state_changed_cb), self, G_CONNECT_SWAPPED);
  self->late_source = g_timeout_add_seconds (LATE_CHECK_S, late_cb, self);

  if (journal != NULL)
    {
      self->journal = g_file_new_for_path (journal);
      g_file_load_contents_async (self->journal, NULL, loaded_cb, g_object_ref (self));
    }

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
  save (self);
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
          g_autofree char *key = NULL;

          g_hash_table_add (self->reported_late, g_strdup (id));
          if (dc_order_get_status (order) == DISPATCH_ORDER_PENDING)
            /* Translators: %s is a short order id */
            body = g_strdup_printf (_("Order %s is still waiting for a driver"),
                                    dc_order_get_short_id (order));
          else
            body = g_strdup_printf (_("Order %s is running past its ETA"),
                                    dc_order_get_short_id (order));
          key = g_strconcat ("late:", id, NULL);
          raise_alert (self, key, _("Late order"), body, id, NULL);
        }

      if (dc_order_get_at_risk (order) && !g_hash_table_contains (self->reported_at_risk, id))
        {
          g_autofree char *label = order_label_of (id, dc_order_get_pickup_address (order));
          g_autofree char *key = g_strconcat ("at_risk:", id, NULL);

          /* the journal may have it from an earlier run: not a second time */
          if (find_alert (self, key) != G_MAXUINT)
            g_hash_table_add (self->reported_at_risk, g_strdup (id));
          else
            report_at_risk (self, id, label, dc_order_get_driver_id (order));
        }
    }
}
