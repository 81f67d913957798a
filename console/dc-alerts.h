/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dc-store.h"
#include "dc-stream.h"

G_BEGIN_DECLS

#define DC_TYPE_ALERT (dc_alert_get_type ())

G_DECLARE_FINAL_TYPE (DcAlert, dc_alert, DC, ALERT, GObject)

const char *dc_alert_get_title    (DcAlert *self);
const char *dc_alert_get_body     (DcAlert *self);
/* Returns: (nullable): the order the alert is about */
const char *dc_alert_get_order_id (DcAlert *self);
/* Returns: (nullable): the driver the alert is about */
const char *dc_alert_get_driver_id (DcAlert *self);
/* The time of the latest repeat. */
gint64      dc_alert_get_time     (DcAlert *self);
/* How often it was raised: repeats of the same alert make one entry. */
guint       dc_alert_get_count    (DcAlert *self);

#define DC_TYPE_ALERTS (dc_alerts_get_type ())

G_DECLARE_FINAL_TYPE (DcAlerts, dc_alerts, DC, ALERTS, GObject)

/*
 * DcAlerts:
 *
 * What needs a dispatcher's attention: "alert" and "order.unassignable"
 * events and orders that turn late. Newest first; a repeat of an alert
 * (same kind, same order or driver) moves it to the top and counts up.
 * ::raised fires for each one and "unread" counts the ones not yet seen.
 * With a @journal file, the alerts outlive the program: read at start,
 * rewritten (asynchronously) after each change.
 */
DcAlerts   *dc_alerts_new         (DcStream   *stream,
                                   DcStore    *orders,
                                   const char *journal);
GListModel *dc_alerts_get_model   (DcAlerts *self);
guint       dc_alerts_get_unread  (DcAlerts *self);
void        dc_alerts_mark_read   (DcAlerts *self);
void        dc_alerts_clear       (DcAlerts *self);
/* Re-evaluates late orders now (also done every few seconds), and reports
 * the orders marked at risk whose order.at_risk came while the console was
 * away (the snapshot carries the mark, not the event). */
void        dc_alerts_check_late  (DcAlerts *self);

G_END_DECLS
