/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <dispatch-geo.h>

#include "dc-client.h"
#include "dc-store.h"

G_BEGIN_DECLS

typedef enum {
  DC_CONNECTION_DISCONNECTED,
  DC_CONNECTION_CONNECTING,
  DC_CONNECTION_LIVE,
} DcConnectionState;

#define DC_TYPE_CONNECTION_STATE (dc_connection_state_get_type ())
GType dc_connection_state_get_type (void);

#define DC_TYPE_STREAM (dc_stream_get_type ())

G_DECLARE_FINAL_TYPE (DcStream, dc_stream, DC, STREAM, GObject)

/*
 * DcStream:
 *
 * The dispatcher websocket: applies the snapshot and the events to the
 * order and driver stores, keeps the last seq, and reconnects with
 * exponential backoff, resuming with ?since= (and reading the positions,
 * which the event log does not keep, once more over REST). It is live only
 * while the socket is open and the stores are in sync with the server.
 */
DcStream          *dc_stream_new             (DcClient           *client,
                                              DcStore            *orders,
                                              DcStore            *drivers);
DcConnectionState  dc_stream_get_state       (DcStream           *self);
gint64             dc_stream_get_last_seq    (DcStream           *self);
/* Wall-clock time of the last frame, microseconds, or 0. */
gint64             dc_stream_get_last_update (DcStream           *self);
void               dc_stream_start           (DcStream           *self);
void               dc_stream_stop            (DcStream           *self);
/* Forgets the position in the event log: the next start asks for a
 * snapshot (after the stores were emptied). */
void               dc_stream_forget          (DcStream           *self);
/* Asks the server for locations inside @bbox only (kept across reconnects). */
void               dc_stream_set_viewport    (DcStream           *self,
                                              const DispatchBBox *bbox);

G_END_DECLS
