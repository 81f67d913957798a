/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * A GTask that completes once every part added to it has finished: the way
 * the simulator waits for a batch of concurrent requests. The join holds
 * itself open until dsim_join_close(), so parts finishing early cannot
 * complete it before all have been added.
 */
GTask *dsim_join_new    (gpointer             source_object,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data,
                         gpointer             source_tag);
/* A new part: returns a reference to hand to the part's callback, which
 * gives it back with dsim_join_done(). */
GTask *dsim_join_add    (GTask               *join);
void   dsim_join_done   (GTask               *join);
/* No more parts; takes the caller's reference. */
void   dsim_join_close  (GTask               *join);

G_END_DECLS
