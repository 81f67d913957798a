/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dsd-context.h"
#include "dsd-event.h"

G_BEGIN_DECLS

/*
 * Tells customers (e-mail) and subscribed systems (webhooks) about committed
 * events, at least once, and records every attempt in PostgreSQL
 * (data/sql/0020-notifications.sql has the model). Each state event on the
 * bus, and a timer every second (retries falling due, events other instances
 * published, redeliveries queued through the API), makes it plan new events
 * into notification rows, claim the due ones, send them and record how that
 * went. Rows are leased while they are sent, so a crash resends them after
 * the lease; any number of instances may share one database.
 *
 * E-mail is on when SMTP_URL is set; the log says which at start.
 * Failed attempts are retried after DISPATCH_WEBHOOK_RETRY_BASE_S seconds,
 * doubling with jitter, DISPATCH_WEBHOOK_MAX_ATTEMPTS attempts in all (for
 * e-mail too), then the notification is dead (for webhooks: a dead letter).
 * Metrics: dispatch_notifications_total{channel,outcome}, outcome being sent,
 * failed, retried or dead_lettered.
 */
#define DSD_TYPE_NOTIFIER (dsd_notifier_get_type ())
G_DECLARE_FINAL_TYPE (DsdNotifier, dsd_notifier, DSD, NOTIFIER, GObject)

/* public_url: the base of tracking links (DISPATCH_PUBLIC_URL or the listen
 * URL). Fails when SMTP_URL or DISPATCH_MAIL_FROM is unusable. */
DsdNotifier *dsd_notifier_new   (DsdContext   *context,
                                 const char   *public_url,
                                 GError      **error);
void         dsd_notifier_start (DsdNotifier  *self);
/* TRUE (default): a round after each state event of the bus. FALSE (cluster
 * mode): a consumer group calls dsd_notifier_consider() instead. */
void         dsd_notifier_set_follow_bus (DsdNotifier *self,
                                          gboolean     follow_bus);
/* Plans and sends for event (a DsdKafkaGroupFunc); FALSE while not running. */
gboolean     dsd_notifier_consider (DsdNotifier  *self,
                                    DsdEvent     *event,
                                    GError      **error);
/* Cancels what is in flight: those rows are sent again once their lease ends. */
void         dsd_notifier_stop  (DsdNotifier  *self);

G_END_DECLS
