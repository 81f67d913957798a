/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dsd-http-server.h"
#include "dsd-request.h"
#include "dsd-router-private.h"

G_BEGIN_DECLS

/* Request bodies above this get 413 (docs/openapi.json). */
#define DSD_HTTP_MAX_BODY_SIZE (1024 * 1024)

struct _DsdRequest
{
  gatomicrefcount     ref_count;

  /* What arrived */
  SoupServerMessage  *msg;
  DsdHttpServer      *server;            /* unowned, valid while !done */
  gint64              start_us;          /* monotonic, when the headers were read */
  gsize               body_received;     /* chunked bodies, counted as they come */

  /* Routing; segments point into path, the decoded copy of the request path */
  char               *path;
  const char         *segments[DSD_ROUTER_MAX_SEGMENTS];
  guint               n_segments;
  DsdRouter          *router;            /* keeps route alive */
  const DsdRoute     *route;
  const char         *values[DSD_ROUTER_MAX_PARAMS];
  GHashTable         *query;             /* NULL when there is no query string */

  /* Filled on demand */
  DsdPrincipal       *principal;
  GBytes             *body;
  JsonObject         *json;

  /* dsd_request_on_stream_end(): moved to the websocket connection when one opens */
  GDestroyNotify      stream_end;
  gpointer            stream_end_data;

  /* dsd_request_stream_write(): called when the last chunk has gone out */
  DsdRequestDrainedFunc drained;
  gpointer            drained_data;

  /* Response state */
  guint               retry_after_s;
  guint               status;            /* as responded */
  guint               paused : 1;
  guint               responded : 1;
  guint               done : 1;
  guint               streaming : 1;     /* dsd_request_stream_begin() */
  guint               stream_closed : 1; /* its message finished */          /* finished, aborted, stolen or detached */

  /* In the server's queue of in-flight requests while !done */
  GList               link;
};

DsdRequest *_dsd_request_new          (DsdHttpServer      *server,
                                       SoupServerMessage  *msg);
/* Splits and percent-decodes the path of uri (the request's) and parses the
 * query string (400). */
gboolean    _dsd_request_parse_target (DsdRequest         *self,
                                       GUri               *uri,
                                       GError            **error);
/* Whether the request's body framing can be read safely (400 otherwise). */
gboolean    _dsd_request_check_framing (SoupMessageHeaders *headers,
                                        GError            **error);
/* Sets the status and resumes the message if it was paused. */
void        _dsd_request_finish_response (DsdRequest      *self,
                                          guint            status);
/* The error envelope of an error, as the client sees it; internal errors are
 * logged and replaced by a generic one. */
char       *_dsd_error_envelope       (const GError       *error,
                                       guint              *status,
                                       gsize              *length);
/* A whole response with that envelope that closes the connection, for a
 * connection taken from libsoup; retry_after_s > 0 adds Retry-After. */
char       *_dsd_error_response       (const GError       *error,
                                       guint               retry_after_s);

/* Implemented by the server. */
void        _dsd_http_server_accept_websocket (DsdHttpServer *self,
                                               DsdRequest    *request);

G_END_DECLS
