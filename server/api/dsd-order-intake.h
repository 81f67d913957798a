/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dsd-context.h"
#include "dsd-request.h"

G_BEGIN_DECLS

/*
 * The group commit of order intake (POST /api/v1/orders, TARGETS P5). With
 * nothing in flight a request is sent at once, alone, as
 * dispatch.order_create; the requests that arrive meanwhile wait and go
 * together as the next batch (up to DSD_ORDER_INTAKE_MAX_BATCH), one
 * transaction of dispatch.order_create_batch, so that they share its commit.
 * Up to DSD_ORDER_INTAKE_MAX_IN_FLIGHT go at a time, but beside one in flight
 * only two or more requests together: a lone one waits for the batch in
 * flight to end rather than pay a transaction of its own. Each request still
 * gets its own answer: its order, the replay of its Idempotency-Key, or its
 * own error; nothing is answered before the transaction committed. A batch that fails as a whole
 * rolled back: each of its requests is then sent alone (a lost connection or
 * a timeout, DISPATCH_ERROR_UNAVAILABLE, is answered as such, as for any
 * write whose commit is unknown). At most DSD_PG_POOL_MAX_QUEUED
 * requests wait, none longer than DSD_PG_POOL_ACQUIRE_TIMEOUT_MS before it is
 * sent (checked as batches end, each within the pool's deadline); past that
 * they get DISPATCH_ERROR_UNAVAILABLE.
 *
 * Used from the main context of the context's database pool.
 */

#define DSD_ORDER_INTAKE_MAX_IN_FLIGHT 2
/* Each order of a batch is a subtransaction: past 64 PostgreSQL's snapshots overflow. */
#define DSD_ORDER_INTAKE_MAX_BATCH     32

#define DSD_TYPE_ORDER_INTAKE (dsd_order_intake_get_type ())
G_DECLARE_FINAL_TYPE (DsdOrderIntake, dsd_order_intake, DSD, ORDER_INTAKE, GObject)

/* context (its DsdPgPool) must outlive it. */
DsdOrderIntake *dsd_order_intake_new    (DsdContext     *context);

/* Answers request with 201 and the order (or the replay), or the error.
 * key and hash may be NULL; every argument is copied. */
void            dsd_order_intake_submit (DsdOrderIntake *self,
                                         DsdRequest     *request,
                                         const char     *actor,
                                         const char     *key,
                                         const char     *hash,
                                         const char     *body);

G_END_DECLS
