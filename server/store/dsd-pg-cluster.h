/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * The private PostgreSQL cluster of zero-config mode, under
 * DATA_DIR/postgresql: initdb on first start (trust auth on a unix socket
 * only, listen_addresses=''), started with the server, stopped with it.
 * When the process runs as root, initdb and postgres run as the unprivileged
 * system account "dispatch" (created if missing, falling back to "nobody"
 * semantics is not acceptable: create it with useradd --system), and the log says so.
 * A stale postmaster.pid from a killed run is handled (pg_ctl start copes; if
 * a postgres from a previous run of ours is still alive, it is reused).
 * Binaries are found with `pg_config --bindir`, then /usr/lib/postgresql/<N>/bin.
 * All subprocesses run through GSubprocess asynchronously.
 *
 * postgres runs as a child of ours in its own session, so a kill -9 of
 * dispatchd leaves it running for the next start to reuse. The unix socket is
 * in DATA_DIR/postgresql/run, or, when that path is too long for a socket
 * address, in the user's runtime directory (the temporary directory under
 * root) as dispatchd-pg-<hash of the cluster path>. Our settings are in
 * DATA_DIR/postgresql/dispatchd.conf (included from postgresql.conf, rewritten
 * at each start); the server log is in DATA_DIR/postgresql/log/.
 */
#define DSD_TYPE_PG_CLUSTER (dsd_pg_cluster_get_type ())
G_DECLARE_FINAL_TYPE (DsdPgCluster, dsd_pg_cluster, DSD, PG_CLUSTER, GObject)

DsdPgCluster *dsd_pg_cluster_new          (const char          *data_dir);
void          dsd_pg_cluster_start_async  (DsdPgCluster        *self,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data);
gboolean      dsd_pg_cluster_start_finish (DsdPgCluster        *self,
                                           GAsyncResult        *result,
                                           GError             **error);
/* libpq conninfo of the cluster, e.g. "host='/…/run' port=5432 dbname=dispatch user=dispatch" */
const char   *dsd_pg_cluster_get_conninfo (DsdPgCluster        *self);
/* "running" (property, notify): ready after start, until stop() or an unexpected exit. */
gboolean      dsd_pg_cluster_is_running   (DsdPgCluster        *self);
/* After start: TRUE when the postgres in use was already running (left by an
 * earlier run, or the one a running dispatchd uses): not ours to stop. */
gboolean      dsd_pg_cluster_is_reused    (DsdPgCluster        *self);
/* After start: the path of a PostgreSQL program of the cluster's version
 * (pg_dump, pg_restore, ...). */
char         *dsd_pg_cluster_get_tool     (DsdPgCluster        *self,
                                           const char          *name);
/* From now on an unexpected exit of postgres is logged and followed by
 * restarts with backoff (after 0.25, 0.5, 1, 2, 4 s; the pool reconnects by
 * itself); when the last fails, ::failed (GError) is emitted, for the daemon to
 * exit non-zero and its supervisor (systemd) to act. A postgres left running by
 * a previous run of ours is not our child and not watched. */
void          dsd_pg_cluster_supervise    (DsdPgCluster        *self);
/* Fast shutdown; blocks until postgres has exited (called on the way out). */
void          dsd_pg_cluster_stop         (DsdPgCluster        *self);

G_END_DECLS
