/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dsim-context.h"

G_BEGIN_DECLS

/*
 * Gets the simulated people ready through the admin API: logs the admin in,
 * creates the drivers' and customers' users that do not exist yet (named
 * PREFIX-driver-NNN and PREFIX-customer-NNN, with passwords derived from the
 * admin password, so a later run can log in as them again), logs each in and
 * clears what an earlier run left open (its drivers' active orders fail,
 * its customers' pending orders are cancelled). A few at a time: every
 * login costs the server an argon2id hash.
 */
void      dsim_setup_async  (DsimContext          *context,
                             GAsyncReadyCallback   callback,
                             gpointer              user_data);
/* out_drivers: (element-type DsimDriver), out_customers: (element-type DsimAccount) */
gboolean  dsim_setup_finish (GAsyncResult         *result,
                             GPtrArray           **out_drivers,
                             GPtrArray           **out_customers,
                             GError              **error);

G_END_DECLS
