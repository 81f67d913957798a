/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dispatch-location.h"

G_BEGIN_DECLS

/*
 * The points of one history flush, encoded as they arrive: the binary COPY
 * stream for dispatch.driver_locations (columns DSD_LOCATION_BATCH_COLUMNS).
 */
#define DSD_LOCATION_BATCH_COLUMNS \
  "(driver_id, recorded_at, lat, lon, heading, speed_mps, accuracy_m)"

typedef struct _DsdLocationBatch DsdLocationBatch;

DsdLocationBatch *dsd_location_batch_new             (void);
void              dsd_location_batch_free            (DsdLocationBatch            *self);
/* driver_id: a uuid in canonical text form. Not after
 * dsd_location_batch_seal(). */
void              dsd_location_batch_add             (DsdLocationBatch            *self,
                                                      const char                  *driver_id,
                                                      const DispatchLocationPoint *points,
                                                      guint                        n_points);
guint             dsd_location_batch_get_n_points    (DsdLocationBatch            *self);
/* The complete COPY … (FORMAT binary) stream; the batch is closed from then
 * on. Returns: (transfer none): the same bytes on every call */
GBytes           *dsd_location_batch_seal            (DsdLocationBatch            *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DsdLocationBatch, dsd_location_batch_free)

G_END_DECLS
