/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dsd-event-bus.h"
#include "dsd-metrics.h"

G_BEGIN_DECLS

/*
 * The /metrics histograms of time to assign (created → assigned) and pickup
 * wait (assigned → picked up), in seconds, observed from the order events on
 * the bus: the times are the orders' own (created_at, updated_at of the
 * event), not when the event arrived. Assignment times are held for the
 * orders between assignment and pickup only, at most
 * DSD_ORDER_TIMINGS_MAX_OPEN of them (an order assigned while that many wait
 * gets no pickup wait observed). In cluster mode every instance sees every
 * instance's events: read one instance's histograms, do not add them up.
 */
#define DSD_ORDER_TIMINGS_MAX_OPEN 100000

#define DSD_TYPE_ORDER_TIMINGS (dsd_order_timings_get_type ())
G_DECLARE_FINAL_TYPE (DsdOrderTimings, dsd_order_timings, DSD, ORDER_TIMINGS, GObject)

DsdOrderTimings *dsd_order_timings_new (DsdEventBus *bus,
                                        DsdMetrics  *metrics);

G_END_DECLS
