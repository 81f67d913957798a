/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <libsoup/soup.h>
#include <json-glib/json-glib.h>

#include "dsd-principal.h"

G_BEGIN_DECLS

/*
 * One HTTP request on its way through a route handler. The message is paused
 * when the handler is called and unpaused by exactly one dsd_request_respond_*()
 * call, which may come later from an async callback (hold a ref until then).
 * If the client goes away first, responding is a harmless no-op. Requests
 * reach handlers on the main loop, whichever front loop read them (the
 * message itself stays there, out of reach: docs/architecture.md, "The HTTP
 * front").
 */
typedef struct _DsdRequest DsdRequest;

DsdRequest         *dsd_request_ref             (DsdRequest  *self);
void                dsd_request_unref           (DsdRequest  *self);

const char         *dsd_request_get_method      (DsdRequest  *self);
/* The request path as it came, not decoded. */
const char         *dsd_request_get_path        (DsdRequest  *self);
/* All request headers (transfer none; do not change them). */
SoupMessageHeaders *dsd_request_get_headers     (DsdRequest  *self);
/* Path parameter of the route pattern, e.g. "id" for /api/v1/orders/{id};
 * already percent-decoded. */
const char         *dsd_request_get_param       (DsdRequest  *self,
                                                 const char  *name);
/* Query string parameter, or NULL when absent. */
const char         *dsd_request_get_query       (DsdRequest  *self,
                                                 const char  *name);
const char         *dsd_request_get_header      (DsdRequest  *self,
                                                 const char  *name);
/* The verified caller, or NULL on public routes. */
const DsdPrincipal *dsd_request_get_principal   (DsdRequest  *self);
/* The caller as the SQL functions' p_actor (NULL on public routes). */
char               *dsd_request_dup_actor_json  (DsdRequest  *self);
/* Client address as text, for rate limits and logs. */
const char         *dsd_request_get_peer        (DsdRequest  *self);
/* The request body parsed as a JSON object: checks Content-Type (415), valid
 * UTF-8, valid JSON and an object root (400); a POST/PUT/PATCH that came with
 * neither Content-Length nor chunked encoding has no body at all (411).
 * Parsed once, cached (transfer none). */
JsonObject         *dsd_request_get_json_object (DsdRequest  *self,
                                                 GError     **error);
/* The checks dsd_request_get_json_object() makes before parsing (411, 415),
 * for handlers that read the body themselves. */
gboolean            dsd_request_check_json_body (DsdRequest *self,
                                                 GError     **error);
/* The raw body (transfer none; empty when there is none). */
GBytes             *dsd_request_get_body        (DsdRequest  *self);
/* The route pattern that matched, e.g. "/api/v1/orders/{id}". */
const char         *dsd_request_get_route       (DsdRequest  *self);
/* Whether the route is a websocket stream's. */
gboolean            dsd_request_is_websocket    (DsdRequest  *self);
/* On a websocket route: func (data) is called once, when the stream this
 * request opens closes, or when the request ends without opening one. */
void                dsd_request_on_stream_end   (DsdRequest     *self,
                                                 GDestroyNotify  func,
                                                 gpointer        data);

/* Data kept with the request, freed with it (on the main loop). */
gpointer            dsd_request_get_data        (DsdRequest     *self,
                                                 GQuark          key);
void                dsd_request_set_data        (DsdRequest     *self,
                                                 GQuark          key,
                                                 gpointer        data,
                                                 GDestroyNotify  destroy);

/* A header of the response to come (before responding). */
void                dsd_request_set_response_header (DsdRequest *self,
                                                 const char  *name,
                                                 const char  *value);

/* Responding (each unpauses the message). */
void                dsd_request_respond_json    (DsdRequest  *self,
                                                 guint        status,
                                                 JsonNode    *node);
/* body is a complete JSON text (e.g. produced by PostgreSQL); copied. */
void                dsd_request_respond_json_text (DsdRequest *self,
                                                 guint        status,
                                                 const char  *json,
                                                 gssize       length);
/* The API error envelope; DISPATCH_ERROR codes map to their status and field,
 * RATE_LIMITED/UNAVAILABLE add Retry-After (from dsd_request_set_retry_after or 1s),
 * any other domain becomes 500 "internal" with a generic message (details logged). */
void                dsd_request_respond_error   (DsdRequest  *self,
                                                 const GError *error);
void                dsd_request_set_retry_after (DsdRequest  *self,
                                                 guint        seconds);
/* Plain bodies (metrics, OpenAPI, HTML pages). */
void                dsd_request_respond_bytes   (DsdRequest  *self,
                                                 guint        status,
                                                 const char  *content_type,
                                                 GBytes      *body);
/*
 * A streamed body (chunked encoding) for long answers (CSV exports), written
 * batch by batch so that memory holds one batch: _begin sends the status and
 * headers (counts as the response); each _write appends one chunk and calls
 * drained (once) when it has gone out or the client has left, and only then
 * should the next batch be made; _end finishes the body. After the client
 * has left (dsd_request_stream_is_open() FALSE) writes are dropped.
 */
typedef void (*DsdRequestDrainedFunc) (DsdRequest *request,
                                       gpointer    user_data);
void                dsd_request_stream_begin    (DsdRequest  *self,
                                                 guint        status,
                                                 const char  *content_type);
void                dsd_request_stream_write    (DsdRequest            *self,
                                                 GBytes                *chunk,
                                                 DsdRequestDrainedFunc  drained,
                                                 gpointer               user_data);
void                dsd_request_stream_end      (DsdRequest  *self);
/* Cuts the connection without ending the body: for a failure midway, so
 * that the client cannot take a truncated body for a whole one. */
void                dsd_request_stream_abort    (DsdRequest  *self);
gboolean            dsd_request_stream_is_open  (DsdRequest  *self);
/* 204, without a body. */
void                dsd_request_respond_no_content (DsdRequest *self);
/* From the check of a websocket route (see dsd_router_add_websocket()):
 * answers 101 and hands the connection to the route's handler. Counts as the
 * response. */
void                dsd_request_accept_websocket (DsdRequest *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DsdRequest, dsd_request_unref)

G_END_DECLS
