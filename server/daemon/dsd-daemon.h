/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "dsd-config.h"

G_BEGIN_DECLS

/*
 * A running dispatchd: brings up the database (the managed cluster in
 * zero-config mode), applies migrations, creates the first admin, starts the
 * outbox relay and serves HTTP; stops the same pieces in reverse, gracefully.
 */
#define DSD_TYPE_DAEMON (dsd_daemon_get_type ())
G_DECLARE_FINAL_TYPE (DsdDaemon, dsd_daemon, DSD, DAEMON, GObject)

/* config: (transfer full) */
/* Signal ::failed (GError): serving cannot go on; stop and exit non-zero. */
DsdDaemon *dsd_daemon_new          (DsdConfig           *config);
void       dsd_daemon_start_async  (DsdDaemon           *self,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data);
gboolean   dsd_daemon_start_finish (DsdDaemon           *self,
                                    GAsyncResult        *result,
                                    GError             **error);
void       dsd_daemon_stop_async   (DsdDaemon           *self,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data);
void       dsd_daemon_stop_finish  (DsdDaemon           *self,
                                    GAsyncResult        *result);
/* "http://127.0.0.1:8080", once started. */
const char *dsd_daemon_get_url     (DsdDaemon           *self);

G_END_DECLS
