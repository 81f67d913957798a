/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-dispatch"

#include <stdlib.h>

#include "dispatch-json.h"
#include "dsd-order-book.h"
#include "dsd-pickup-time.h"

/* dispatch.engine_round()'s columns */
enum {
  COL_SEQ,
  COL_ID,
  COL_LAT,
  COL_LON,
  COL_PRIORITY,
  COL_PENDING_SINCE,
  COL_OFFER_DRIVER,
  COL_OFFER_EXPIRES,
  COL_EXCLUDED,
  COL_PICKUP_AT,
  COL_MAX_PICKUP,
  COL_ALLOWED,
  COL_WEIGHT,      /* joined from the orders (round_sql of dsd-dispatch-engine.c) */
  COL_VOLUME,
  COL_DROPOFF_LAT,
  COL_DROPOFF_LON,
  COL_READY_AT,
  COL_DELIVER_BEFORE,
  N_COLUMNS
};

struct _DsdOrderBook {
  GHashTable *orders;       /* id → DsdPendingOrder */
  GHashTable *removed;      /* id → seq (gint64 *) of the event that removed it */
  GHashTable *offers;       /* driver id → live offers held (GUINT_TO_POINTER) */
  GHashTable *offered;      /* the orders with a live offer (set of DsdPendingOrder *) */
  guint       schedule_lead_s;
};

static void
pending_order_free (DsdPendingOrder *order)
{
  g_free (order->id);
  g_free (order->offer_driver_id);
  g_clear_pointer (&order->excluded, g_hash_table_unref);
  g_clear_pointer (&order->allowed, g_hash_table_unref);
  g_free (order);
}

static void
count_offer (DsdOrderBook *self,
             const char   *driver_id,
             int           delta)
{
  guint n = GPOINTER_TO_UINT (g_hash_table_lookup (self->offers, driver_id));

  n = delta < 0 && n == 0 ? 0 : n + delta;
  if (n == 0)
    g_hash_table_remove (self->offers, driver_id);
  else
    g_hash_table_insert (self->offers, g_strdup (driver_id), GUINT_TO_POINTER (n));
}

/* driver_id NULL: no live offer. */
static void
set_offer (DsdOrderBook    *self,
           DsdPendingOrder *order,
           const char      *driver_id,
           gint64           expires_us)
{
  if (g_strcmp0 (order->offer_driver_id, driver_id) != 0)
    {
      if (order->offer_driver_id != NULL)
        count_offer (self, order->offer_driver_id, -1);
      g_free (order->offer_driver_id);
      order->offer_driver_id = g_strdup (driver_id);
      if (driver_id != NULL)
        count_offer (self, driver_id, +1);
    }

  order->offer_expires_us = driver_id != NULL ? expires_us : 0;
  if (driver_id != NULL)
    g_hash_table_add (self->offered, order);
  else
    g_hash_table_remove (self->offered, order);
}

static DsdPendingOrder *
ensure_order (DsdOrderBook *self,
              const char   *id)
{
  DsdPendingOrder *order = g_hash_table_lookup (self->orders, id);

  if (order == NULL)
    {
      order = g_new0 (DsdPendingOrder, 1);
      order->id = g_strdup (id);
      g_hash_table_insert (self->orders, order->id, order);
    }

  return order;
}

static void
remove_order (DsdOrderBook *self,
              const char   *id,
              gint64        seq)
{
  DsdPendingOrder *order = g_hash_table_lookup (self->orders, id);

  if (order != NULL)
    {
      set_offer (self, order, NULL, 0);
      g_hash_table_remove (self->orders, id);
    }
  g_hash_table_insert (self->removed, g_strdup (id), g_memdup2 (&seq, sizeof seq));
}

/* An event older than what the book reflects of the order. */
static gboolean
is_stale (DsdOrderBook *self,
          const char   *id,
          gint64        seq)
{
  DsdPendingOrder *order = g_hash_table_lookup (self->orders, id);
  gint64 *removed_seq = g_hash_table_lookup (self->removed, id);

  return (order != NULL && seq <= order->seq) || (removed_seq != NULL && seq <= *removed_seq);
}

DsdOrderBook *
dsd_order_book_new (void)
{
  DsdOrderBook *self = g_new0 (DsdOrderBook, 1);

  self->orders = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                        (GDestroyNotify) pending_order_free);
  self->removed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->offers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->offered = g_hash_table_new (NULL, NULL);
  self->schedule_lead_s = DSD_ORDER_BOOK_DEFAULT_LEAD_S;
  return self;
}

void
dsd_order_book_set_schedule_lead (DsdOrderBook *self,
                                  guint         lead_s)
{
  self->schedule_lead_s = lead_s;
}

void
dsd_order_book_free (DsdOrderBook *self)
{
  if (self == NULL)
    return;

  g_hash_table_unref (self->offered);
  g_hash_table_unref (self->orders);
  g_hash_table_unref (self->removed);
  g_hash_table_unref (self->offers);
  g_free (self);
}

static gint64
int_value (const PGresult *rows,
           int             row,
           int             column)
{
  return g_ascii_strtoll (PQgetvalue (rows, row, column), NULL, 10);
}

static double
double_value (const PGresult *rows,
              int             row,
              int             column)
{
  return g_ascii_strtod (PQgetvalue (rows, row, column), NULL);
}

static void
merge_row (DsdOrderBook   *self,
           const PGresult *rows,
           int             row,
           gint64          seq)
{
  const char *id = PQgetvalue (rows, row, COL_ID);
  gint64 *removed_seq = g_hash_table_lookup (self->removed, id);
  DsdPendingOrder *order;
  g_auto(GStrv) excluded = NULL;
  g_auto(GStrv) allowed = NULL;

  /* taken away by an event newer than the snapshot */
  if (removed_seq != NULL && *removed_seq > seq)
    return;

  order = ensure_order (self, id);
  if (order->seq > seq)
    return;

  order->seq = seq;
  order->lat = double_value (rows, row, COL_LAT);
  order->lon = double_value (rows, row, COL_LON);
  order->priority = int_value (rows, row, COL_PRIORITY);
  order->dropoff_lat = double_value (rows, row, COL_DROPOFF_LAT);
  order->dropoff_lon = double_value (rows, row, COL_DROPOFF_LON);
  order->ready_at_us = PQgetisnull (rows, row, COL_READY_AT)
                       ? 0 : int_value (rows, row, COL_READY_AT);
  order->deliver_before_us = PQgetisnull (rows, row, COL_DELIVER_BEFORE)
                             ? 0 : int_value (rows, row, COL_DELIVER_BEFORE);
  order->weight_kg = double_value (rows, row, COL_WEIGHT);
  order->volume_l = double_value (rows, row, COL_VOLUME);
  order->pending_since_us = int_value (rows, row, COL_PENDING_SINCE);
  order->pickup_at_us = PQgetisnull (rows, row, COL_PICKUP_AT)
                        ? 0 : int_value (rows, row, COL_PICKUP_AT);
  set_offer (self, order,
             PQgetisnull (rows, row, COL_OFFER_DRIVER) ? NULL
                                                       : PQgetvalue (rows, row, COL_OFFER_DRIVER),
             PQgetisnull (rows, row, COL_OFFER_EXPIRES) ? 0
                                                        : int_value (rows, row, COL_OFFER_EXPIRES));

  g_clear_pointer (&order->excluded, g_hash_table_unref);
  if (!PQgetisnull (rows, row, COL_EXCLUDED))
    excluded = g_strsplit (PQgetvalue (rows, row, COL_EXCLUDED), ",", -1);
  for (guint i = 0; excluded != NULL && excluded[i] != NULL; i++)
    dsd_order_book_exclude (self, order, excluded[i]);

  order->unsettled = FALSE;
  order->max_pickup_m = PQgetisnull (rows, row, COL_MAX_PICKUP)
                        ? 0 : double_value (rows, row, COL_MAX_PICKUP);
  g_clear_pointer (&order->allowed, g_hash_table_unref);
  if (!PQgetisnull (rows, row, COL_ALLOWED))
    {
      allowed = g_strsplit (PQgetvalue (rows, row, COL_ALLOWED), ",", -1);
      order->allowed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      for (guint i = 0; allowed[i] != NULL; i++)
        if (*allowed[i] != '\0')
          g_hash_table_add (order->allowed, g_strdup (allowed[i]));
    }
}

gboolean
dsd_order_book_merge_round (DsdOrderBook   *self,
                            const PGresult *rows)
{
  g_autoptr(GHashTable) seen = NULL;
  GHashTableIter iter;
  gpointer key, value;
  gint64 seq;

  if (PQnfields (rows) != N_COLUMNS || PQntuples (rows) < 1 || PQgetisnull (rows, 0, COL_SEQ))
    return FALSE;

  seq = int_value (rows, 0, COL_SEQ);
  seen = g_hash_table_new (g_str_hash, g_str_equal);
  for (int row = 0; row < PQntuples (rows); row++)
    {
      if (PQgetisnull (rows, row, COL_ID))
        continue;
      merge_row (self, rows, row, seq);
      g_hash_table_add (seen, PQgetvalue (rows, row, COL_ID));
    }

  /* What the snapshot no longer has is gone, unless an event newer than the
   * snapshot brought it; removals the snapshot reflects need no memory. */
  g_hash_table_iter_init (&iter, self->orders);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      DsdPendingOrder *order = value;

      if (order->seq <= seq && !g_hash_table_contains (seen, key))
        {
          set_offer (self, order, NULL, 0);
          g_hash_table_iter_remove (&iter);
        }
    }

  g_hash_table_iter_init (&iter, self->removed);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      if (*(gint64 *) value <= seq)
        g_hash_table_iter_remove (&iter);
    }

  return TRUE;
}

/* Updates or removes the order from its JSON object; seq 0: an answer of
 * ours rather than an event (it keeps the order's seq). */
static DsdOrderBookChange
apply_order_object (DsdOrderBook *self,
                    JsonObject   *data,
                    gint64        seq)
{
  const char *id = NULL;
  const char *status = NULL;
  const char *offer_driver = NULL;
  JsonObject *pickup = NULL;
  JsonObject *dropoff = NULL;
  JsonObject *offer = NULL;
  const char *zone_id = NULL;
  JsonObject *load = NULL;
  double weight = 0, volume = 0;
  gint64 priority = 0;
  gint64 offer_expires_us = 0;
  gint64 updated_us = 0;
  gint64 pickup_at_us = 0;
  gint64 ready_at_us = 0;
  gint64 deliver_before_us = 0;
  double lat = 0, lon = 0;
  double dropoff_lat = 0, dropoff_lon = 0;
  DsdPendingOrder *order;
  gboolean known;

  if (data == NULL ||
      !dispatch_json_get_string (data, NULL, "id", DISPATCH_JSON_REQUIRED, 0, &id, NULL) ||
      !dispatch_json_get_string (data, NULL, "status", DISPATCH_JSON_REQUIRED, 0, &status,
                                 NULL))
    return DSD_ORDER_BOOK_UNCHANGED;

  if (seq > 0 && is_stale (self, id, seq))
    return DSD_ORDER_BOOK_UNCHANGED;

  /* A held order is not automation's to dispatch. */
  if (!g_str_equal (status, "pending") ||
      json_object_get_boolean_member_with_default (data, "held", FALSE))
    {
      DsdPendingOrder *gone = g_hash_table_lookup (self->orders, id);

      remove_order (self, id, seq > 0 ? seq : gone != NULL ? gone->seq : 0);
      return DSD_ORDER_BOOK_REMOVED;
    }

  if (!dispatch_json_get_object (data, NULL, "pickup", DISPATCH_JSON_REQUIRED, &pickup, NULL) ||
      !dispatch_json_get_double (pickup, "pickup", "lat", DISPATCH_JSON_REQUIRED, -90, 90, &lat,
                                 NULL) ||
      !dispatch_json_get_double (pickup, "pickup", "lon", DISPATCH_JSON_REQUIRED, -180, 180,
                                 &lon, NULL) ||
      !dispatch_json_get_object (data, NULL, "dropoff", DISPATCH_JSON_NULLABLE, &dropoff,
                                 NULL) ||
      (dropoff != NULL &&
       (!dispatch_json_get_double (dropoff, "dropoff", "lat", DISPATCH_JSON_REQUIRED, -90, 90,
                                   &dropoff_lat, NULL) ||
        !dispatch_json_get_double (dropoff, "dropoff", "lon", DISPATCH_JSON_REQUIRED, -180,
                                   180, &dropoff_lon, NULL))) ||
      !dispatch_json_get_timestamp (data, NULL, "ready_at", DISPATCH_JSON_NULLABLE,
                                    &ready_at_us, NULL) ||
      !dispatch_json_get_timestamp (data, NULL, "deliver_before", DISPATCH_JSON_NULLABLE,
                                    &deliver_before_us, NULL) ||
      !dispatch_json_get_int (data, NULL, "priority", DISPATCH_JSON_NULLABLE, 0, 9, &priority,
                              NULL) ||
      !dispatch_json_get_timestamp (data, NULL, "updated_at", DISPATCH_JSON_REQUIRED,
                                    &updated_us, NULL) ||
      !dispatch_json_get_timestamp (data, NULL, "pickup_at", DISPATCH_JSON_NULLABLE,
                                    &pickup_at_us, NULL) ||
      !dispatch_json_get_object (data, NULL, "offer", DISPATCH_JSON_NULLABLE, &offer, NULL) ||
      !dispatch_json_get_string (data, NULL, "zone_id", DISPATCH_JSON_NULLABLE, 0, &zone_id,
                                 NULL) ||
      !dispatch_json_get_object (data, NULL, "load", DISPATCH_JSON_NULLABLE, &load, NULL) ||
      (load != NULL &&
       (!dispatch_json_get_double (load, "load", "weight_kg", DISPATCH_JSON_NULLABLE, 0,
                                   G_MAXDOUBLE, &weight, NULL) ||
        !dispatch_json_get_double (load, "load", "volume_l", DISPATCH_JSON_NULLABLE, 0,
                                   G_MAXDOUBLE, &volume, NULL))))
    {
      g_warning ("Ignoring a malformed order object (order %s)", id);
      return DSD_ORDER_BOOK_UNCHANGED;
    }

  if (offer != NULL &&
      (!dispatch_json_get_string (offer, "offer", "driver_id", DISPATCH_JSON_REQUIRED, 0,
                                  &offer_driver, NULL) ||
       !dispatch_json_get_timestamp (offer, "offer", "expires_at", DISPATCH_JSON_REQUIRED,
                                     &offer_expires_us, NULL)))
    offer_driver = NULL;

  known = g_hash_table_contains (self->orders, id);
  order = ensure_order (self, id);
  if (!known)
    {
      /* New to the book: created now, or back to pending (unassign) now. */
      order->pending_since_us = updated_us;
      order->unsettled = zone_id != NULL;
      g_hash_table_remove (self->removed, id);
    }
  else if (order->offer_driver_id != NULL && offer_driver == NULL)
    {
      /* Declined or expired (or withdrawn: the next round will tell). */
      dsd_order_book_exclude (self, order, order->offer_driver_id);
    }

  if (seq > 0)
    order->seq = seq;
  order->lat = lat;
  order->lon = lon;
  /* (an order without a dropoff is taken for one delivered where it is picked up) */
  order->dropoff_lat = dropoff != NULL ? dropoff_lat : lat;
  order->dropoff_lon = dropoff != NULL ? dropoff_lon : lon;
  order->ready_at_us = ready_at_us;
  order->deliver_before_us = deliver_before_us;
  order->priority = priority;
  order->pickup_at_us = pickup_at_us;
  order->weight_kg = weight;
  order->volume_l = volume;
  set_offer (self, order, offer_driver, offer_expires_us);

  return DSD_ORDER_BOOK_PENDING;
}

DsdOrderBookChange
dsd_order_book_apply_event (DsdOrderBook *self,
                            DsdEvent     *event)
{
  if (!g_str_has_prefix (dsd_event_get_type_name (event), "order.") ||
      dsd_event_get_seq (event) <= 0)
    return DSD_ORDER_BOOK_UNCHANGED;

  return apply_order_object (self, dsd_event_get_data (event), dsd_event_get_seq (event));
}

DsdOrderBookChange
dsd_order_book_apply_order (DsdOrderBook *self,
                            JsonObject   *order)
{
  return apply_order_object (self, order, 0);
}

DsdPendingOrder *
dsd_order_book_lookup (DsdOrderBook *self,
                       const char   *order_id)
{
  return g_hash_table_lookup (self->orders, order_id);
}

void
dsd_order_book_exclude (DsdOrderBook    *self,
                        DsdPendingOrder *order,
                        const char      *driver_id)
{
  if (order->excluded == NULL)
    order->excluded = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_hash_table_add (order->excluded, g_strdup (driver_id));
}

gboolean
dsd_order_book_excludes (const DsdPendingOrder *order,
                         const char            *driver_id)
{
  return order->excluded != NULL && g_hash_table_contains (order->excluded, driver_id);
}

gboolean
dsd_order_book_allows (const DsdPendingOrder *order,
                       const char            *driver_id)
{
  return !dsd_order_book_excludes (order, driver_id) &&
         (order->allowed == NULL || g_hash_table_contains (order->allowed, driver_id));
}

guint
dsd_order_book_get_n_pending (DsdOrderBook *self)
{
  return g_hash_table_size (self->orders);
}

guint
dsd_order_book_count_offers (DsdOrderBook *self,
                             const char   *driver_id)
{
  return GPOINTER_TO_UINT (g_hash_table_lookup (self->offers, driver_id));
}

gint64
dsd_order_book_next_expiry_us (DsdOrderBook *self)
{
  GHashTableIter iter;
  gpointer key;
  gint64 next = G_MAXINT64;

  /* Called after every event: the offers, not every pending order. */
  g_hash_table_iter_init (&iter, self->offered);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    next = MIN (next, ((DsdPendingOrder *) key)->offer_expires_us);

  return next;
}

static int
compare_waiting (gconstpointer a,
                 gconstpointer b)
{
  const DsdPendingOrder *x = *(DsdPendingOrder * const *) a;
  const DsdPendingOrder *y = *(DsdPendingOrder * const *) b;

  if (x->pending_since_us != y->pending_since_us)
    return x->pending_since_us < y->pending_since_us ? -1 : 1;
  return strcmp (x->id, y->id);
}

GPtrArray *
dsd_order_book_list_open (DsdOrderBook *self,
                          gint64        now_us,
                          gboolean      ignore_backoff)
{
  GPtrArray *list = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->orders);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      DsdPendingOrder *order = value;

      /* An offer that expired and was not swept yet is as good as declined:
       * dispatch.auto_assign() withdraws it the same way. */
      if (order->offer_driver_id != NULL && order->offer_expires_us <= now_us)
        {
          dsd_order_book_exclude (self, order, order->offer_driver_id);
          set_offer (self, order, NULL, 0);
        }

      if (order->unsettled || order->in_flight || order->offer_driver_id != NULL ||
          (!ignore_backoff && order->next_try_us > now_us) ||
          !dsd_pickup_time_is_open (order->pickup_at_us, now_us, self->schedule_lead_s))
        continue;

      g_ptr_array_add (list, order);
    }

  /* Longest waiting first: deterministic plans, and old orders get the
   * first look where it matters. */
  g_ptr_array_sort (list, compare_waiting);
  return list;
}
