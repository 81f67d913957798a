/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dsd-pg-pool.h"

G_BEGIN_DECLS

/*
 * DISPATCH_LOCATION_RETENTION_DAYS: every few minutes, location history
 * received more than that many days ago is deleted, in batches of bounded
 * size (each its own short transaction), until none is left. 0 keeps
 * history forever. Runs from creation until disposed.
 */
#define DSD_TYPE_LOCATION_RETENTION (dsd_location_retention_get_type ())
G_DECLARE_FINAL_TYPE (DsdLocationRetention, dsd_location_retention, DSD, LOCATION_RETENTION,
                      GObject)

DsdLocationRetention *dsd_location_retention_new (DsdPgPool *pool,
                                                  guint      days);

G_END_DECLS
