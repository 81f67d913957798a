/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <libpq-fe.h>

#include "dispatch-json.h"
#include "dsd-account-states.h"
#include "dsd-context.h"
#include "dsd-http-server.h"
#include "dsd-router.h"

G_BEGIN_DECLS

#define DSD_API_DEFAULT_LIMIT 50
#define DSD_API_MAX_LIMIT 500

/* Routes of each resource. */
void     dsd_api_register_auth      (DsdRouter *router, DsdContext *context);
void     dsd_api_register_users     (DsdRouter *router, DsdContext *context);
void     dsd_api_register_drivers   (DsdRouter *router, DsdContext *context);
/* Driver settings of the dispatch engine (pausing automatic dispatch). */
void     dsd_api_register_dispatch  (DsdRouter *router, DsdContext *context);
void     dsd_api_register_orders    (DsdRouter *router, DsdContext *context);
/* Proof of delivery: PIN, photo, signature of an order. */
void     dsd_api_register_proof     (DsdRouter *router, DsdContext *context);
void     dsd_api_register_inventory (DsdRouter *router, DsdContext *context);
void     dsd_api_register_tracking  (DsdRouter *router, DsdContext *context);
void     dsd_api_register_ops       (DsdRouter *router, DsdContext *context);
void     dsd_api_register_webhooks  (DsdRouter *router, DsdContext *context);
void     dsd_api_register_zones     (DsdRouter *router, DsdContext *context);
void     dsd_api_register_teams     (DsdRouter *router, DsdContext *context);
/* One customer's personal data: export and erasure. */
void     dsd_api_register_customers (DsdRouter *router, DsdContext *context);
/* Reports and CSV exports (staff). */
void     dsd_api_register_reports   (DsdRouter *router, DsdContext *context);
/* History of a period for replay (staff). */
void     dsd_api_register_history   (DsdRouter *router, DsdContext *context);

/* Users' token states (dsd-account-states.h), loaded from the users table
 * through the context's pool; context must outlive it. */
DsdAccountStates *dsd_api_accounts_new (DsdContext *context);

/* DISPATCH_CLIENT_RATE_LIMIT on every routed request of http and
 * DISPATCH_CLIENT_MAX_STREAMS on its websocket requests (none when 0). */
void     dsd_api_limit_clients      (DsdHttpServer *http, DsdContext *context);

/* All of the above. */
void     dsd_api_register_all       (DsdRouter *router, DsdContext *context);

/*
 * Runs one SQL function call whose single result value is the response body
 * (jsonb rendered as text) and answers with it and status, with 404 when the
 * value is NULL (nothing found), or with the error.
 */
void     dsd_api_respond_query      (DsdRequest         *request,
                                     DsdContext         *context,
                                     guint               status,
                                     const char         *sql,
                                     int                 n_params,
                                     const char * const *params);

/* The single value a SQL function call answered (not NUL-terminated: use
 * length), or NULL with the error: the query's, not_found for SQL NULL,
 * internal for another shape. rows: (nullable): NULL when the query failed. */
const char *dsd_api_query_value     (PGresult           *rows,
                                     gsize              *length,
                                     GError            **error);

/*
 * Like dsd_api_respond_query() for a 200 GET of one order's view, served
 * cache-aside: key view:id:caller, in the scope of order_id (NULL: the
 * order_id member of the answer), kept ttl_s at most (dsd-api-cached.c).
 */
void     dsd_api_respond_cached     (DsdRequest         *request,
                                     DsdContext         *context,
                                     const char         *view,
                                     const char         *order_id,
                                     const char         *id,
                                     guint               ttl_s,
                                     const char         *sql,
                                     int                 n_params,
                                     const char * const *params);

/* Whether an answer (stored or fresh) may be served; FALSE with the error to
 * send instead. */
typedef gboolean (*DsdApiAnswerCheck) (const char  *text,
                                       gsize        length,
                                       DsdContext  *context,
                                       GError     **error);

/* dsd_api_respond_cached() with a check of every answer before it is served. */
void     dsd_api_respond_cached_checked (DsdRequest         *request,
                                         DsdContext         *context,
                                         const char         *view,
                                         const char         *order_id,
                                         const char         *id,
                                         guint               ttl_s,
                                         DsdApiAnswerCheck   check,
                                         const char         *sql,
                                         int                 n_params,
                                         const char * const *params);

/*
 * A request whose body is {"<member>": boolean} on a route with {id}: answers
 * 200 with sql($1 the caller, $2 the id, $3 the boolean), or 400 on a bad body.
 */
void     dsd_api_respond_id_flag    (DsdRequest         *request,
                                     DsdContext         *context,
                                     const char         *member,
                                     const char         *sql);

/* A list: 200 with sql($1 the caller, [$2 id when not NULL,] then limit and
 * next from the query), or 400 on a bad limit. */
void     dsd_api_respond_page       (DsdRequest         *request,
                                     DsdContext         *context,
                                     const char         *sql,
                                     const char         *id);

/* DELETE on a route with {id}: 204 once sql($1 the caller, $2 the id) ran,
 * or its error. */
void     dsd_api_respond_delete     (DsdRequest         *request,
                                     DsdContext         *context,
                                     const char         *sql);

/*
 * A resource that admins keep whole (zones, teams): POST collection creates,
 * GET collection lists, GET/PUT/DELETE collection/{id} get, replace, delete.
 * read checks a request body and returns it as the JSON text that put_sql
 * takes ($1 the caller, $2 the id or NULL to create, $3 the body); list_sql
 * takes (caller, limit, next), get_sql and delete_sql (caller, id).
 */
typedef struct {
  const char *collection;
  char     *(*read) (JsonObject  *body,
                     GError     **error);
  const char *put_sql;
  const char *list_sql;
  const char *get_sql;
  const char *delete_sql;
} DsdApiResource;

/* resource: (not copied): must outlive router. */
void     dsd_api_register_resource  (DsdRouter            *router,
                                     DsdContext           *context,
                                     const DsdApiResource *resource);

/* ?limit= per docs/openapi.json: default 50, above 500 clamped, ≤ 0 or not an
 * integer → error. */
gboolean dsd_api_get_limit          (DsdRequest         *request,
                                     int                *out_limit,
                                     GError            **error);

/* The integer in query parameter @name, within [min, max]; default_value
 * when absent; invalid_argument on @name otherwise. */
gboolean dsd_api_get_int_query      (DsdRequest         *request,
                                     const char         *name,
                                     gint64              min,
                                     gint64              max,
                                     gint64              default_value,
                                     gint64             *out,
                                     GError            **error);

/* The RFC 3339 time in query parameter @name, normalised for SQL (*out
 * stays NULL when absent); invalid_argument on @name otherwise. */
gboolean dsd_api_get_time_query     (DsdRequest         *request,
                                     const char         *name,
                                     char              **out,
                                     GError            **error);

/* Required query parameters from and to: RFC 3339 times, from < to, at most
 * max_hours apart, normalised for SQL; invalid_argument otherwise. */
gboolean dsd_api_get_period         (DsdRequest         *request,
                                     guint               max_hours,
                                     char              **out_from,
                                     char              **out_to,
                                     GError            **error);

/*
 * Streams sql(params..., the key after which to start, page_rows) a page at a
 * time (dsd-api-paged.c) as CSV, or with json_head (taken) as the JSON object
 * it opens: column 0 of each row is then one element of the array json_head
 * opens, closed with "]}" at the end.
 */
void     dsd_api_respond_paged      (DsdRequest         *request,
                                     DsdContext         *context,
                                     char               *json_head,
                                     int                 page_rows,
                                     const char         *sql,
                                     int                 n_params,
                                     const char * const *params);

/* Idempotency-Key header (NULL when absent; error when malformed) and the
 * request fingerprint the SQL side compares replays with. */
gboolean dsd_api_get_idempotency    (DsdRequest         *request,
                                     const char         *normalized_body,
                                     const char        **out_key,
                                     char              **out_hash,
                                     GError            **error);

/* The "proof" member of an order to create: body's {"pin"?,"photo"?,
 * "signature"?} (members left out are not required), or without one the
 * server's DISPATCH_PROOF_REQUIRED; written to builder as three booleans. */
gboolean dsd_api_read_proof_spec    (JsonObject         *body,
                                     DsdConfig          *config,
                                     JsonBuilder        *builder,
                                     GError            **error);

/* Copies an optional number member within [min, max] into the builder (same
 * name); nothing is written when it is absent or null. */
gboolean dsd_api_copy_double        (JsonObject         *object,
                                     const char         *prefix,
                                     const char         *member,
                                     double              min,
                                     double              max,
                                     JsonBuilder        *builder,
                                     GError            **error);

/* Serialises a builder's root compactly. */
char    *dsd_api_builder_to_string  (JsonBuilder        *builder);

/* Copies an optional/required string member into the builder (same name);
 * writes JSON null when absent and DISPATCH_JSON_NULLABLE is not requested. */
gboolean dsd_api_copy_string        (JsonObject         *object,
                                     const char         *prefix,
                                     const char         *member,
                                     DispatchJsonFlags   flags,
                                     gsize               max_length,
                                     JsonBuilder        *builder,
                                     GError            **error);

G_END_DECLS
