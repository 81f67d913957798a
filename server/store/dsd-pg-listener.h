/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * A dedicated non-blocking connection that LISTENs on one channel and emits
 * ::notify-received (const char *payload) for each NOTIFY, and ::reconnected
 * after it had to re-establish the connection (notifications may have been
 * missed meanwhile: listeners should re-scan).
 * "listening" (property, notify) is TRUE while the LISTEN is in effect: scan
 * for what was missed once it turns TRUE, not before.
 */
#define DSD_TYPE_PG_LISTENER (dsd_pg_listener_get_type ())
G_DECLARE_FINAL_TYPE (DsdPgListener, dsd_pg_listener, DSD, PG_LISTENER, GObject)

DsdPgListener *dsd_pg_listener_new          (const char    *conninfo,
                                             const char    *channel);
void           dsd_pg_listener_start        (DsdPgListener *self);
void           dsd_pg_listener_stop         (DsdPgListener *self);
gboolean       dsd_pg_listener_is_listening (DsdPgListener *self);

G_END_DECLS
