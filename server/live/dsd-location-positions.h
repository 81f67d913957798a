/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dispatch-location.h"

G_BEGIN_DECLS

/*
 * The newest point per driver of the points given to it: the live positions
 * of one history flush, which dispatch.driver_positions_apply stores in the
 * transaction of the flush's COPY.
 */
typedef struct _DsdLocationPositions DsdLocationPositions;

DsdLocationPositions *dsd_location_positions_new           (void);
void                  dsd_location_positions_free          (DsdLocationPositions        *self);
void                  dsd_location_positions_add           (DsdLocationPositions        *self,
                                                            const char                  *driver_id,
                                                            const DispatchLocationPoint *points,
                                                            guint                        n_points);
/* The seven array parameters of dispatch.driver_positions_apply, as text. */
GStrv                 dsd_location_positions_params        (DsdLocationPositions        *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DsdLocationPositions, dsd_location_positions_free)

G_END_DECLS
