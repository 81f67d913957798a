/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <libpq-fe.h>

G_BEGIN_DECLS

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PGresult, PQclear)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PGconn, PQfinish)

/*
 * A small pool of non-blocking libpq connections driven by the GLib main
 * context the pool was created in. Queries are queued when every connection
 * is busy (DSD_PG_POOL_MAX_QUEUED; past it they fail with DISPATCH_ERROR_UNAVAILABLE).
 * Each distinct SQL text is prepared once per connection and then executed
 * with PQsendQueryPrepared.
 *
 * Errors: a PostgreSQL error with SQLSTATE "DS001" is a domain error raised by
 * our SQL functions: its DETAIL is the API error code (e.g. "invalid_transition"),
 * its HINT the field path (optional), its MESSAGE the client message; it maps to
 * a DISPATCH_ERROR with that code and field. Connection loss, admin shutdown,
 * too many connections and the like map to DISPATCH_ERROR_UNAVAILABLE; every
 * other failure to DISPATCH_ERROR_INTERNAL (logged with the server's text, the
 * GError's message stays generic).
 *
 * Broken connections are re-established in the background with backoff
 * (100 ms doubling to 2 s, so that a returning server is in use within R4's 5 s);
 * "up" (property, notify) reflects whether at least one connection works.
 * While the pool is down, queries fail at once with DISPATCH_ERROR_UNAVAILABLE.
 *
 * open_async() starts the connections and completes when the first one is
 * ready, or fails (UNAVAILABLE) when every first attempt failed; the pool keeps
 * trying in the background either way until dsd_pg_pool_close().
 *
 * Cancelling a query that waits in the queue drops it; a query already sent
 * runs to completion and then reports G_IO_ERROR_CANCELLED.
 *
 * Deadlines, so that a hung database never hangs a request: every session
 * runs with statement_timeout DSD_PG_POOL_STATEMENT_TIMEOUT_MS (the server
 * cancels a slower statement: UNAVAILABLE); a query that waits longer than
 * DSD_PG_POOL_ACQUIRE_TIMEOUT_MS for a connection fails with UNAVAILABLE; and
 * when the server does not answer at all within DSD_PG_POOL_QUERY_DEADLINE_MS
 * (checked every second; stopped, or the network drops packets) the
 * connection is dropped, which fails the query with UNAVAILABLE, and is
 * re-established in the background.
 */
#define DSD_PG_POOL_MAX_QUEUED 10000
#define DSD_PG_POOL_STATEMENT_TIMEOUT_MS 5000
#define DSD_PG_POOL_QUERY_DEADLINE_MS    (DSD_PG_POOL_STATEMENT_TIMEOUT_MS + 1000)
#define DSD_PG_POOL_ACQUIRE_TIMEOUT_MS   5000

#define DSD_TYPE_PG_POOL (dsd_pg_pool_get_type ())
G_DECLARE_FINAL_TYPE (DsdPgPool, dsd_pg_pool, DSD, PG_POOL, GObject)

DsdPgPool *dsd_pg_pool_new           (const char          *conninfo,
                                      guint                size);
/* Server settings of every connection, as libpq "options" ("-c name=value ...";
 * added to any the conninfo gives; statement_timeout is always added);
 * applied from each next connection attempt. */
void       dsd_pg_pool_set_options   (DsdPgPool           *self,
                                      const char          *options);
void       dsd_pg_pool_open_async    (DsdPgPool           *self,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data);
gboolean   dsd_pg_pool_open_finish   (DsdPgPool           *self,
                                      GAsyncResult        *result,
                                      GError             **error);
gboolean   dsd_pg_pool_is_up         (DsdPgPool           *self);
const char *dsd_pg_pool_get_conninfo (DsdPgPool           *self);

/* params: n_params text values, NULL for SQL NULL. Copied; need not outlive the call. */
void       dsd_pg_pool_query_async   (DsdPgPool           *self,
                                      const char          *sql,
                                      int                  n_params,
                                      const char * const  *params,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data);
/* The same for a statement that commits outbox events: once it succeeded (after its
 * callback), the pool emits ::committed, so that the outbox relay of this process claims
 * them without a NOTIFY (see dispatch.emit()). Finish with dsd_pg_pool_query_finish(). */
void       dsd_pg_pool_write_async   (DsdPgPool           *self,
                                      const char          *sql,
                                      int                  n_params,
                                      const char * const  *params,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data);
/* Returns: (transfer full): a PGRES_TUPLES_OK or PGRES_COMMAND_OK result */
PGresult  *dsd_pg_pool_query_finish  (DsdPgPool           *self,
                                      GAsyncResult        *result,
                                      GError             **error);

/* Blocking connect, for tools and tests: UNAVAILABLE with libpq's message on failure. */
PGconn    *dsd_pg_connect_sync       (const char          *conninfo,
                                      GError             **error);

/* Runs sql synchronously on a private connection, for tools (dispatchctl) and tests.
 * Without parameters sql may hold several statements; the last one's result is returned. */
PGresult  *dsd_pg_exec_sync          (const char          *conninfo,
                                      const char          *sql,
                                      int                  n_params,
                                      const char * const  *params,
                                      GError             **error);

/* Maps a failed result to a GError as described above. */
void       dsd_pg_result_to_error    (const PGresult      *result,
                                      GError             **error);
/* The same from an error's fields (one a SQL function caught and returned);
 * an empty hint is none. */
void       dsd_pg_error_from_fields  (const char          *sqlstate,
                                      const char          *message,
                                      const char          *detail,
                                      const char          *hint,
                                      GError             **error);

/* Fails whatever is queued or in flight with UNAVAILABLE and closes every connection. */
void       dsd_pg_pool_close         (DsdPgPool           *self);

G_END_DECLS
