/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dsd-pg-pool.h"

G_BEGIN_DECLS

/*
 * A retention job: shortly after it is made and then every few minutes it
 * runs purge_sql ($1 the days to keep, $2 a batch size; one row, one column:
 * how many rows it purged) again and again, each call its own short
 * transaction, until a call purges less than a batch. days 0: never runs
 * (keep forever). Runs from creation until disposed. Location history
 * (DISPATCH_LOCATION_RETENTION_DAYS) and the contact details of ended orders
 * (DISPATCH_CONTACT_RETENTION_DAYS) use it.
 */
#define DSD_TYPE_RETENTION (dsd_retention_get_type ())
G_DECLARE_FINAL_TYPE (DsdRetention, dsd_retention, DSD, RETENTION, GObject)

/* what: for the log ("location points"). */
DsdRetention *dsd_retention_new (DsdPgPool  *pool,
                                 const char *purge_sql,
                                 guint       days,
                                 const char *what);

G_END_DECLS
