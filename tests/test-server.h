/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

/*
 * The real dispatchd from the build tree, run as a child process on a free
 * loopback port with its own data directory (so its own managed PostgreSQL),
 * for integration tests. Starting waits for /readyz.
 * With DISPATCH_TEST_DATABASE_DUMP=<file> in the environment, the server runs
 * instead on a PostgreSQL of the test's own (DsdTestPg) that starts with the
 * database of that dump: a database of an earlier release, upgraded at start.
 */
typedef struct _DsdTestServer DsdTestServer;

/* extra_env: NULL-terminated "NAME=value" pairs, or NULL. */
DsdTestServer *dsd_test_server_start        (const char * const *extra_env);
/* The same on an existing data directory (taken over: freeing removes it). */
DsdTestServer *dsd_test_server_start_in     (const char         *data_dir,
                                             const char * const *extra_env);
/* Kills the process (SIGKILL when hard, else SIGTERM and a wait) and keeps the data. */
void           dsd_test_server_stop         (DsdTestServer      *self,
                                             gboolean            hard);
/* Starts the process again on the same data directory and port. */
void           dsd_test_server_restart      (DsdTestServer      *self);
/* Stops if running and removes the data directory. */
void           dsd_test_server_free         (DsdTestServer      *self);
const char    *dsd_test_server_get_url      (DsdTestServer      *self);
const char    *dsd_test_server_get_data_dir (DsdTestServer      *self);
/* The directory whose postgresql/ holds the cluster the server uses: its data
 * directory (managed cluster), or the test's own cluster when it was started on
 * a database dump (DISPATCH_TEST_DATABASE_DUMP). */
const char    *dsd_test_server_get_database_dir (DsdTestServer  *self);
/* The admin's bearer token (logged in once, at start; NULL for an instance
 * whose DISPATCH_ROLES lack api). */
const char    *dsd_test_server_get_admin_token (DsdTestServer   *self);
/* The admin's password (for programs that log in themselves). */
const char    *dsd_test_server_get_admin_password (DsdTestServer *self);
/* The server's process id (0 when it is not running). */
int            dsd_test_server_get_pid      (DsdTestServer      *self);
/* The managed PostgreSQL's postmaster, 0 when none is alive. */
int            dsd_test_server_get_postmaster_pid (DsdTestServer *self);
/* The postmaster and its children. Returns: (element-type int) (transfer full) */
GArray        *dsd_test_server_get_database_pids (DsdTestServer *self);
/* Sends signum to every process of the managed PostgreSQL (SIGSTOP: the database hangs). */
void           dsd_test_server_signal_database (DsdTestServer *self,
                                             int             signum);
/* Waits up to timeout_ms for the process to exit by itself: TRUE with its exit
 * status (-1 when killed by a signal) if it did. */
gboolean       dsd_test_server_wait_exit    (DsdTestServer      *self,
                                             guint               timeout_ms,
                                             int                *out_status);
/* Everything the server has logged so far. */
char          *dsd_test_server_get_log      (DsdTestServer      *self);

typedef struct {
  guint               status;
  char               *text;      /* body as text */
  JsonNode           *json;      /* parsed body, NULL if not JSON */
  SoupMessageHeaders *headers;
} DsdTestResponse;

void             dsd_test_response_free      (DsdTestResponse *response);
/* Convenience accessors on the JSON body (asserting its shape). */
JsonObject      *dsd_test_response_object    (DsdTestResponse *response);
const char      *dsd_test_response_string    (DsdTestResponse *response,
                                              const char      *member);
/* The error envelope's code, asserting the envelope is well-formed. */
const char      *dsd_test_response_error_code (DsdTestResponse *response);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DsdTestResponse, dsd_test_response_free)

/* A request with an optional bearer token and JSON body (sent with
 * Content-Type application/json); extra headers as NULL-terminated name/value pairs. */
DsdTestResponse *dsd_test_request            (DsdTestServer      *self,
                                              const char         *method,
                                              const char         *path,
                                              const char         *token,
                                              const char         *body,
                                              ...) G_GNUC_NULL_TERMINATED;
/* The same with a raw body and content type (for malformed-input tests). */
DsdTestResponse *dsd_test_request_raw        (DsdTestServer      *self,
                                              const char         *method,
                                              const char         *path,
                                              const char         *token,
                                              const char         *content_type,
                                              GBytes             *body,
                                              const char * const *headers);

/* Sends n requests at once (JSON bodies, each with its own token) and waits
 * for every answer. Returns: (element-type DsdTestResponse) in request order. */
GPtrArray       *dsd_test_request_concurrently (DsdTestServer    *self,
                                              const char         *method,
                                              const char * const *paths,
                                              const char * const *tokens,
                                              const char * const *bodies,
                                              guint               n);

/* Sends without waiting for the answer (any number may be in flight at once);
 * callback gets it from dsd_test_request_finish(). */
void             dsd_test_request_async      (DsdTestServer      *self,
                                              const char         *method,
                                              const char         *path,
                                              const char         *token,
                                              const char         *body,
                                              GAsyncReadyCallback callback,
                                              gpointer            user_data);
DsdTestResponse *dsd_test_request_finish     (DsdTestServer      *self,
                                              GAsyncResult       *result);

/* Creates a user with the admin token and returns its login token; the new
 * user's driver_id / customer_id are returned when asked for. */
char            *dsd_test_create_user        (DsdTestServer      *self,
                                              const char         *role,
                                              char              **out_driver_id,
                                              char              **out_customer_id);
char            *dsd_test_login              (DsdTestServer      *self,
                                              const char         *username,
                                              const char         *password);
/* Asserts an error envelope with this status and code (and field, unless NULL). */
void             dsd_test_assert_error       (DsdTestResponse    *response,
                                              guint               status,
                                              const char         *code,
                                              const char         *field);
/* A driver user that is online at (lat, lon); returns its token. */
char            *dsd_test_create_online_driver (DsdTestServer    *self,
                                              double              lat,
                                              double              lon,
                                              char              **out_driver_id);
/* Whether /readyz gives component (e.g. "cache", "bus") this state, asserting
 * that the instance is ready (its database is up) whatever the component. */
gboolean         dsd_test_server_component_is (DsdTestServer      *self,
                                              const char         *component,
                                              const char         *state);
/* A unique name for this test run ("prefix-<n>"). */
char            *dsd_test_unique_name        (const char         *prefix);

G_END_DECLS
