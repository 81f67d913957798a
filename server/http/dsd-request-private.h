/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dsd-http-loop.h"
#include "dsd-http-server.h"
#include "dsd-request.h"
#include "dsd-router-private.h"

G_BEGIN_DECLS

/* Request bodies above this get 413 (docs/openapi.json). */
#define DSD_HTTP_MAX_BODY_SIZE (1024 * 1024)

/* A front loop of the server (dsd-http-server.c). */
typedef struct _DsdHttpFront DsdHttpFront;

/*
 * Made on a front loop when the headers are in; from the whole body on,
 * handed to the main loop where the route's handler runs, and the response
 * handed back (docs/architecture.md, "The HTTP front"). Freed on the main
 * loop: the last reference a front holds is dropped there.
 */
struct _DsdRequest
{
  gatomicrefcount     ref_count;

  /* The front loop's */
  DsdHttpFront       *front;             /* unowned, valid while !done */
  DsdHttpLoop        *front_loop;        /* valid while !gone */
  SoupServerMessage  *msg;               /* cleared when done */
  GList               link;              /* in the front's in-flight queue while !done */
  guint               paused : 1;
  guint               done : 1;
  guint               applied : 1;       /* a response is on msg */
  guint               applied_status;
  gsize               body_received;     /* chunked bodies, counted as they come */
  gint                gone;              /* atomic: done, as the main loop sees it */
  gint                stream_closed;     /* atomic: the streamed message finished */

  /* Set on the front loop before the main loop gets the request, then only read */
  DsdHttpServer      *server;            /* unowned, valid while !gone */
  DsdHttpLoop        *main_loop;         /* valid while !gone */
  GThread            *main_thread;
  gint64              start_us;          /* monotonic, when the headers were read */
  const char         *method;            /* interned */
  SoupMessageHeaders *headers;           /* a copy of the request's */
  GUri               *uri;
  char               *peer;
  /* Routing; segments point into path, the decoded copy of the request path */
  char               *path;
  const char         *segments[DSD_ROUTER_MAX_SEGMENTS];
  guint               n_segments;
  DsdRouter          *router;            /* keeps route alive */
  const DsdRoute     *route;
  const char         *values[DSD_ROUTER_MAX_PARAMS];
  GHashTable         *query;             /* NULL when there is no query string */
  DsdPrincipal       *principal;
  GBytes             *body;

  /* The main loop's (the front's until it hands the request over) */
  JsonObject         *json;
  GData              *data;              /* dsd_request_set_data() */

  /* dsd_request_on_stream_end(): moved to the websocket connection when one opens */
  GDestroyNotify      stream_end;
  gpointer            stream_end_data;

  /* dsd_request_stream_write(): called when the last chunk has gone out */
  DsdRequestDrainedFunc drained;
  gpointer            drained_data;
  GBytes             *chunk;             /* on its way to the front */

  /* Response, put on the message by the front */
  guint               retry_after_s;
  guint               status;            /* as responded */
  SoupMessageHeaders *response_headers;  /* NULL until a header is set */
  GBytes             *response_body;
  guint               responded : 1;
  guint               streaming : 1;     /* dsd_request_stream_begin() */
};

DsdRequest *_dsd_request_new          (DsdHttpServer      *server,
                                       DsdHttpFront       *front,
                                       DsdHttpLoop        *front_loop,
                                       DsdHttpLoop        *main_loop,
                                       SoupServerMessage  *msg);
/* The front is done with the request: drops its reference on the main loop
 * and gives a stream's producer its turn back (it finds the stream closed). */
void        _dsd_request_detached     (DsdRequest         *self);
/* Drops a reference on the main loop, from any thread. */
void        _dsd_request_release      (DsdRequest         *self);
/* Runs apply (self) on the front loop that owns the message, now when that is
 * this thread, unless the request is done by then. */
void        _dsd_request_to_front     (DsdRequest         *self,
                                       void              (*apply) (DsdRequest *self));
/* On the front: puts the response on the message and resumes it. */
void        _dsd_request_apply_response (DsdRequest       *self);
/* Splits and percent-decodes the path of uri (the request's) and parses the
 * query string (400). */
gboolean    _dsd_request_parse_target (DsdRequest         *self,
                                       GUri               *uri,
                                       GError            **error);
/* Whether the request's body framing can be read safely (400 otherwise). */
gboolean    _dsd_request_check_framing (SoupMessageHeaders *headers,
                                        GError            **error);
/* Sets the status and has the response put on the message. */
void        _dsd_request_finish_response (DsdRequest      *self,
                                          guint            status);
/* The response headers, made on first use. */
SoupMessageHeaders *_dsd_request_get_response_headers (DsdRequest *self);
/* The error envelope of an error, as the client sees it; internal errors are
 * logged and replaced by a generic one. */
char       *_dsd_error_envelope       (const GError       *error,
                                       guint              *status,
                                       gsize              *length);
/* A whole response with that envelope that closes the connection, for a
 * connection taken from libsoup; retry_after_s > 0 adds Retry-After. */
char       *_dsd_error_response       (const GError       *error,
                                       guint               retry_after_s);

/* Implemented by the server, on the front. */
void        _dsd_http_server_accept_websocket (DsdRequest    *request);

G_END_DECLS
