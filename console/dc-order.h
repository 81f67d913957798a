/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <dispatch-model.h>

#include "dc-entity.h"

G_BEGIN_DECLS

/* The filter menu of the order list, in the order of its labels. */
typedef enum {
  DC_ORDER_CATEGORY_ALL,
  DC_ORDER_CATEGORY_UNASSIGNED,
  DC_ORDER_CATEGORY_IN_PROGRESS,
  DC_ORDER_CATEGORY_LATE,
  DC_ORDER_CATEGORY_FINISHED,
} DcOrderCategory;

#define DC_TYPE_ORDER (dc_order_get_type ())

G_DECLARE_FINAL_TYPE (DcOrder, dc_order, DC, ORDER, DcEntity)

DispatchOrderStatus dc_order_get_status          (DcOrder *self);
const char         *dc_order_get_short_id        (DcOrder *self);
/* The short id of the order with @id, as the lists show it. */
char               *dc_order_format_short_id     (const char *id);
const char         *dc_order_get_customer        (DcOrder *self);
const char         *dc_order_get_pickup_address  (DcOrder *self);
const char         *dc_order_get_dropoff_address (DcOrder *self);
void                dc_order_get_pickup          (DcOrder *self,
                                                  double  *lat,
                                                  double  *lon);
void                dc_order_get_dropoff         (DcOrder *self,
                                                  double  *lat,
                                                  double  *lon);
const char         *dc_order_get_driver_id       (DcOrder *self);
const char         *dc_order_get_notes           (DcOrder *self);
/* What the order's items weigh (kg) and take up (L); 0 without. */
void                dc_order_get_load            (DcOrder *self,
                                                  double  *weight_kg,
                                                  double  *volume_l);
/* Why its delivery failed (FailureReasonCode); NULL unless failed. */
const char         *dc_order_get_failure_code    (DcOrder *self);
/* Seconds, or -1 when unknown. */
gint64              dc_order_get_eta_seconds     (DcOrder *self);
int                 dc_order_get_priority        (DcOrder *self);
gint64              dc_order_get_created_at      (DcOrder *self);
gint64              dc_order_get_updated_at      (DcOrder *self);
/* Held by a dispatcher: automation leaves it alone. */
gboolean            dc_order_get_held            (DcOrder *self);
gboolean            dc_order_get_late            (DcOrder *self);
/* The delivery window (0 for an open end), when the pickup is ready and the
 * planned pickup (0: as soon as possible); the server's "deliver_after",
 * "deliver_before", "ready_at", "pickup_at". Whether order.at_risk was
 * raised (property "at-risk"). */
void                dc_order_get_window          (DcOrder *self,
                                                  gint64  *after_usec,
                                                  gint64  *before_usec);
gint64              dc_order_get_ready_at        (DcOrder *self);
gint64              dc_order_get_pickup_at       (DcOrder *self);
gboolean            dc_order_get_at_risk         (DcOrder *self);
gboolean            dc_order_refresh_late        (DcOrder *self,
                                                  gint64   now_usec);

G_END_DECLS
