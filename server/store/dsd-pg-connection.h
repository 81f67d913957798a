/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <libpq-fe.h>

G_BEGIN_DECLS

/*
 * Internal to store/ (and the location history writer, which needs COPY): one
 * non-blocking libpq connection driven by the GLib main context that was the
 * thread default when it was created. It connects (PQconnectStartParams/
 * PQconnectPoll, with a timeout), runs one command at a time, and after a
 * failed attempt or a lost connection reconnects by itself with backoff
 * (100 ms doubling to 2 s) until it is closed.
 *
 * Signals: ::connected when it is ready for commands, ::disconnected (message)
 * when an attempt failed or an established connection broke, ::notification
 * (channel, payload) for each NOTIFY received. Signals are only emitted from
 * the main context, never from within a call into this API.
 */
#define DSD_TYPE_PG_CONNECTION (dsd_pg_connection_get_type ())
G_DECLARE_FINAL_TYPE (DsdPgConnection, dsd_pg_connection, DSD, PG_CONNECTION, GObject)

/*
 * Called exactly once per command: with its result (transfer full; the error
 * result if any of a multi-statement string failed), or with NULL when the
 * connection was lost or closed before the command completed.
 */
typedef void (*DsdPgResultFunc) (DsdPgConnection *connection,
                                 PGresult        *result,
                                 gpointer         user_data);

DsdPgConnection *dsd_pg_connection_new                 (const char          *conninfo);
/* libpq "options" (server settings, "-c name=value ..."), from the next attempt on;
 * added to any the conninfo gives. */
void             dsd_pg_connection_set_options         (DsdPgConnection     *self,
                                                        const char          *options);
void             dsd_pg_connection_start               (DsdPgConnection     *self);
/* Gives up on a connected server that does not answer (stopped, or a network
 * that drops packets): as if the connection broke, from the main loop (the
 * command in flight completes with NULL, then it reconnects with backoff). */
void             dsd_pg_connection_abandon             (DsdPgConnection     *self);
void             dsd_pg_connection_close               (DsdPgConnection     *self);
/* TRUE when connected and no command is in flight. */
gboolean         dsd_pg_connection_is_idle             (DsdPgConnection     *self);
gboolean         dsd_pg_connection_is_connected        (DsdPgConnection     *self);
/* Returns: (transfer none) (nullable): the libpq connection while connected */
PGconn          *dsd_pg_connection_get_pgconn          (DsdPgConnection     *self);

/* Each requires dsd_pg_connection_is_idle(). */
void             dsd_pg_connection_send_query          (DsdPgConnection     *self,
                                                        const char          *sql,
                                                        DsdPgResultFunc      func,
                                                        gpointer             user_data);
void             dsd_pg_connection_send_prepare        (DsdPgConnection     *self,
                                                        const char          *name,
                                                        const char          *sql,
                                                        DsdPgResultFunc      func,
                                                        gpointer             user_data);
void             dsd_pg_connection_send_query_prepared (DsdPgConnection     *self,
                                                        const char          *name,
                                                        int                  n_params,
                                                        const char * const  *params,
                                                        DsdPgResultFunc      func,
                                                        gpointer             user_data);
/* One statement with text parameters, unprepared. */
void             dsd_pg_connection_send_query_params   (DsdPgConnection     *self,
                                                        const char          *sql,
                                                        int                  n_params,
                                                        const char * const  *params,
                                                        DsdPgResultFunc      func,
                                                        gpointer             user_data);
/* sql (simple protocol, may start with other statements) ends in a
 * COPY … FROM STDIN, which is fed data (the whole COPY stream, in the format
 * the statement names), waiting for the socket whenever libpq would block. */
void             dsd_pg_connection_send_copy_in        (DsdPgConnection     *self,
                                                        const char          *sql,
                                                        GBytes              *data,
                                                        DsdPgResultFunc      func,
                                                        gpointer             user_data);

/* Routes server notices (RAISE NOTICE and the like) to g_debug(); for PQsetNoticeProcessor. */
void             dsd_pg_notice_processor               (void                *arg,
                                                        const char          *message);

G_END_DECLS
