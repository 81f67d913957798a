/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dsim-context.h"

G_BEGIN_DECLS

/*
 * The simulator acting as a dispatcher (--assign), for servers without
 * automatic dispatch and as a fallback: each round, every pending order
 * without a live offer that has waited --assign-delay, oldest first, goes to
 * the nearest available simulated driver (along the streets) via
 * POST /orders/{id}/assign.
 */
#define DSIM_TYPE_DISPATCHER (dsim_dispatcher_get_type ())
G_DECLARE_FINAL_TYPE (DsimDispatcher, dsim_dispatcher, DSIM, DISPATCHER, GObject)

/* drivers: (element-type DsimDriver) in index order. */
DsimDispatcher *dsim_dispatcher_new       (DsimContext         *context,
                                           GPtrArray           *drivers);
/* One round; the callback runs once every assignment has been answered. */
void            dsim_dispatcher_run_async (DsimDispatcher      *self,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data);

G_END_DECLS
