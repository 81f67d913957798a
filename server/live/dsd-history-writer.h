/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "dsd-location-batch.h"
#include "dsd-location-positions.h"

G_BEGIN_DECLS

/*
 * One connection of the location ingest that writes batches to history,
 * each in one transaction and one round trip: COPY the points (binary),
 * then apply the newest live position per driver
 * (dispatch.driver_positions_apply); done when committed. It reconnects by
 * itself (::ready when it can write again, ::lost (message) when its
 * connection broke).
 *
 * A write fails with DISPATCH_ERROR_UNAVAILABLE when trying again may work
 * (connection lost, deadlock or serialization failure, server shutting down),
 * with another error when the database refused the batch.
 */
#define DSD_TYPE_HISTORY_WRITER (dsd_history_writer_get_type ())
G_DECLARE_FINAL_TYPE (DsdHistoryWriter, dsd_history_writer, DSD, HISTORY_WRITER, GObject)

DsdHistoryWriter *dsd_history_writer_new          (const char          *conninfo);
void              dsd_history_writer_start        (DsdHistoryWriter    *self);
/* Fails the write in progress (UNAVAILABLE) and closes the connection. */
void              dsd_history_writer_close        (DsdHistoryWriter    *self);
/* Connected and not writing. */
gboolean          dsd_history_writer_is_ready     (DsdHistoryWriter    *self);
/* batch: sealed here, kept until the write completes; positions: read at
 * once. */
void              dsd_history_writer_write_async  (DsdHistoryWriter     *self,
                                                   DsdLocationBatch     *batch,
                                                   DsdLocationPositions *positions,
                                                   GAsyncReadyCallback   callback,
                                                   gpointer              user_data);
gboolean          dsd_history_writer_write_finish (DsdHistoryWriter    *self,
                                                   GAsyncResult        *result,
                                                   GError             **error);

G_END_DECLS
