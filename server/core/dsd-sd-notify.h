/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * The service manager's readiness protocol (systemd Type=notify, sd_notify(3))
 * without libsystemd: state ("READY=1", "STOPPING=1", "STATUS=…", one per
 * line) as one datagram to the unix socket named by $NOTIFY_SOCKET (a path, or
 * "@name" in the abstract namespace).
 */

/* Reads $NOTIFY_SOCKET and removes it from the environment, so that children
 * (the managed PostgreSQL) do not speak for us. Returns: (nullable) (transfer
 * full): the socket, NULL when not run by a service manager. */
char     *dsd_sd_notify_take_socket (void);
/* Sends state to socket_path; a failure is logged, never fatal. Non-blocking. */
gboolean  dsd_sd_notify             (const char *socket_path,
                                     const char *state);

G_END_DECLS
