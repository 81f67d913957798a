/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <libpq-fe.h>

#include "dsd-event.h"

G_BEGIN_DECLS

/*
 * The dispatch engine's picture of the pending orders: where they are picked
 * up, since when they wait, their live offer and the drivers they exclude,
 * plus the engine's own bookkeeping (retry backoff, a call in flight).
 *
 * The database is the truth: each engine round replaces the picture with
 * dispatch.engine_round()'s rows (dsd_order_book_merge_round), and between
 * rounds order events keep it current (dsd_order_book_apply_event). Both
 * carry a seq, so an event older than what the book already reflects is
 * ignored, and a round does not bring back an order that an event newer
 * than the round's snapshot has taken away. Stale pictures are harmless:
 * dispatch.auto_assign() checks everything again under lock.
 *
 * Exclusions learnt from events are a guess (a withdrawn offer is taken for
 * a decline); the next round corrects them.
 *
 * The rules of an order's zone (the drivers automation may use, the maximum
 * pickup distance) come with the rounds only: an order of a zone that the
 * book learnt of from an event is unsettled, not planned for, until the next
 * round brings them (dsd_order_book_list_open leaves it out).
 */
typedef struct {
  char       *id;
  double      lat;
  double      lon;
  double      dropoff_lat;
  double      dropoff_lon;
  gint64      ready_at_us;        /* wall clock, 0: ready now */
  gint64      deliver_before_us;  /* wall clock, 0: no window's end */
  guint       priority;
  double      weight_kg;          /* load: what its items weigh and take up */
  double      volume_l;
  gint64      pending_since_us;   /* wall clock */
  char       *offer_driver_id;    /* live offer, or NULL */
  gint64      offer_expires_us;
  GHashTable *excluded;           /* driver ids (owned keys), or NULL */
  gint64      pickup_at_us;       /* planned pickup (dsd-pickup-time.h), 0: at once */
  GHashTable *allowed;            /* the only drivers automation may use, or NULL: any */
  double      max_pickup_m;       /* the zone's, or 0: the server's */
  gboolean    unsettled;          /* zoned, and its zone's rules are not known yet */

  /* the engine's */
  guint       failed_tries;       /* searches that found no driver in reach */
  gint64      next_try_us;        /* backoff after failed_tries, wall clock */
  gboolean    in_flight;          /* an auto_assign call is under way */

  /*< private >*/
  gint64      seq;
} DsdPendingOrder;

typedef enum {
  DSD_ORDER_BOOK_UNCHANGED,  /* not an order event, an old one, or nothing new */
  DSD_ORDER_BOOK_PENDING,    /* the order is (still or again) pending */
  DSD_ORDER_BOOK_REMOVED,    /* the order left the pending state */
} DsdOrderBookChange;

typedef struct _DsdOrderBook DsdOrderBook;

/* DISPATCH_SCHEDULE_LEAD_S's default */
#define DSD_ORDER_BOOK_DEFAULT_LEAD_S 1800

DsdOrderBook       *dsd_order_book_new              (void);
void                dsd_order_book_free             (DsdOrderBook    *self);
/* How long before its planned pickup an order is open (dsd-pickup-time.h). */
void                dsd_order_book_set_schedule_lead (DsdOrderBook   *self,
                                                     guint            lead_s);

/* rows: dispatch.engine_round()'s result (the snapshot's seq first, then the
 * pending orders). FALSE when the rows are not of that shape. */
gboolean            dsd_order_book_merge_round      (DsdOrderBook    *self,
                                                     const PGresult  *rows);
/* order.created / order.updated / order.assigned / order.offer /
 * order.unassignable: what became of the event's order. */
DsdOrderBookChange  dsd_order_book_apply_event      (DsdOrderBook    *self,
                                                     DsdEvent        *event);
/* The order's state as dispatch.order_json() renders it (auto_assign's
 * answer): pending orders are updated, others removed. */
DsdOrderBookChange  dsd_order_book_apply_order      (DsdOrderBook    *self,
                                                     JsonObject      *order);

DsdPendingOrder    *dsd_order_book_lookup           (DsdOrderBook    *self,
                                                     const char      *order_id);
void                dsd_order_book_exclude          (DsdOrderBook    *self,
                                                     DsdPendingOrder *order,
                                                     const char      *driver_id);
gboolean            dsd_order_book_excludes         (const DsdPendingOrder *order,
                                                     const char      *driver_id);
/* Neither excluded nor outside the drivers the order's zone allows. */
gboolean            dsd_order_book_allows           (const DsdPendingOrder *order,
                                                     const char      *driver_id);
guint               dsd_order_book_get_n_pending    (DsdOrderBook    *self);
/* Live offers held by the driver. */
guint               dsd_order_book_count_offers     (DsdOrderBook    *self,
                                                     const char      *driver_id);
/* The earliest expiry of a live offer, or G_MAXINT64. */
gint64              dsd_order_book_next_expiry_us   (DsdOrderBook    *self);
/* The orders the engine may plan for now: settled, no call in flight, no
 * live offer, open (their planned pickup is at most the schedule lead away)
 * and, unless ignore_backoff, their backoff is over.
 * (element-type DsdPendingOrder) */
GPtrArray          *dsd_order_book_list_open        (DsdOrderBook    *self,
                                                     gint64           now_us,
                                                     gboolean         ignore_backoff);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DsdOrderBook, dsd_order_book_free)

G_END_DECLS
