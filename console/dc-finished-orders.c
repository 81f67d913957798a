/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "dc-finished-orders.h"
#include "dc-json.h"
#include "dc-order.h"

/* one page: the server's largest */
#define PAGE_SIZE 500

struct _DcFinishedOrders
{
  GObject parent_instance;

  DcClient *client;
  DcStore *store;
  GCancellable *cancellable;
};

G_DEFINE_FINAL_TYPE (DcFinishedOrders, dc_finished_orders, G_TYPE_OBJECT)

static void
order_updated_cb (DcFinishedOrders *self,
                  const char       *type,
                  JsonObject       *data)
{
  dc_finished_orders_add (self, data);
}

static void
loaded_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(DcFinishedOrders) self = user_data;
  g_autoptr(JsonObject) page = NULL;
  g_autoptr(GError) error = NULL;
  JsonArray *orders;

  page = dc_client_request_finish (DC_CLIENT (object), result, &error);
  if (page == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_message ("Could not load the finished orders: %s", error->message);
      return;
    }

  orders = dc_json_array (page, "orders");
  if (orders != NULL)
    dc_store_reconcile (self->store, orders);
}

static void
dc_finished_orders_dispose (GObject *object)
{
  DcFinishedOrders *self = DC_FINISHED_ORDERS (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->client);
  g_clear_object (&self->store);

  G_OBJECT_CLASS (dc_finished_orders_parent_class)->dispose (object);
}

static void
dc_finished_orders_class_init (DcFinishedOrdersClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = dc_finished_orders_dispose;
}

static void
dc_finished_orders_init (DcFinishedOrders *self)
{
  self->store = dc_store_new (DC_TYPE_ORDER);
}

DcFinishedOrders *
dc_finished_orders_new (DcClient *client,
                        DcStream *stream)
{
  DcFinishedOrders *self = g_object_new (DC_TYPE_FINISHED_ORDERS, NULL);

  self->client = g_object_ref (client);
  g_signal_connect_object (stream, "event::order.updated", G_CALLBACK (order_updated_cb), self,
                           G_CONNECT_SWAPPED);

  return self;
}

DcStore *
dc_finished_orders_get_store (DcFinishedOrders *self)
{
  g_return_val_if_fail (DC_IS_FINISHED_ORDERS (self), NULL);

  return self->store;
}

void
dc_finished_orders_load (DcFinishedOrders *self,
                         const char       *query)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autoptr(GDateTime) midnight = NULL;
  g_autofree char *since = NULL;
  g_autofree char *escaped_since = NULL;
  g_autofree char *escaped_query = NULL;
  g_autofree char *path = NULL;

  g_return_if_fail (DC_IS_FINISHED_ORDERS (self));

  /* the newest search wins */
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();

  midnight = g_date_time_new (g_date_time_get_timezone (now), g_date_time_get_year (now),
                              g_date_time_get_month (now), g_date_time_get_day_of_month (now),
                              0, 0, 0);
  since = g_date_time_format_iso8601 (midnight);
  escaped_since = g_uri_escape_string (since, NULL, FALSE);
  if (query != NULL && *query != '\0')
    escaped_query = g_uri_escape_string (query, NULL, FALSE);
  path = g_strdup_printf ("/api/v1/orders?status=delivered,cancelled,failed&closed_since=%s"
                          "&limit=%d%s%s", escaped_since, PAGE_SIZE,
                          escaped_query != NULL ? "&q=" : "", escaped_query ?: "");
  dc_client_request_async (self->client, "GET", path, NULL, self->cancellable, loaded_cb,
                           g_object_ref (self));
}

gboolean
dc_finished_orders_add (DcFinishedOrders *self,
                        JsonObject       *order)
{
  DispatchOrderStatus status;

  g_return_val_if_fail (DC_IS_FINISHED_ORDERS (self), FALSE);
  g_return_val_if_fail (order != NULL, FALSE);

  if (!dispatch_order_status_from_string (dc_json_string (order, "status"), &status) ||
      !dispatch_order_status_is_terminal (status))
    return FALSE;

  dc_store_upsert (self->store, order);
  return TRUE;
}

void
dc_finished_orders_clear (DcFinishedOrders *self)
{
  g_autoptr(JsonArray) nothing = json_array_new ();

  g_return_if_fail (DC_IS_FINISHED_ORDERS (self));

  g_cancellable_cancel (self->cancellable);
  dc_store_reconcile (self->store, nothing);
}
