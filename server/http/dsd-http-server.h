/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <libsoup/soup.h>

#include "dsd-router.h"
#include "dsd-token-issuer.h"
#include "dsd-metrics.h"

G_BEGIN_DECLS

/*
 * The HTTP front: a SoupServer serving connections accepted on a socket we
 * create ourselves (listen backlog 4096, SO_REUSEADDR) and handed to it one
 * request at a time (dsd-http-connections.h), optional TLS, request size limits
 * (Content-Length over 1 MiB → 413 from an early handler without reading the
 * body; chunked bodies counted in got-chunk and cut off at 1 MiB → 413; both
 * take the connection from libsoup, answer and close it), dispatch through
 * the router with routing and authentication done before the body is read,
 * access logging (structured, debug level: G_MESSAGES_DEBUG=dsd-http), request
 * metrics (dispatch_http_requests_total{route,method,status},
 * dispatch_http_request_duration_seconds{route,method}), and graceful stop:
 * stop accepting, let in-flight requests finish (bounded wait), then
 * disconnect. metrics may be NULL.
 */
#define DSD_TYPE_HTTP_SERVER (dsd_http_server_get_type ())
G_DECLARE_FINAL_TYPE (DsdHttpServer, dsd_http_server, DSD, HTTP_SERVER, GObject)

DsdHttpServer *dsd_http_server_new          (DsdRouter       *router,
                                             DsdTokenIssuer  *tokens,
                                             DsdMetrics      *metrics);
/* address "host:port" (port 0 picks a free one); TLS when both files are given. */
gboolean       dsd_http_server_listen       (DsdHttpServer   *self,
                                             const char      *address,
                                             const char      *tls_cert_file,
                                             const char      *tls_key_file,
                                             GError         **error);
/* The bound port, after listen. */
guint          dsd_http_server_get_port     (DsdHttpServer   *self);
/* Graceful: calls back once in-flight requests are done or timeout_ms passed. */
void           dsd_http_server_stop_async   (DsdHttpServer   *self,
                                             guint            timeout_ms,
                                             GAsyncReadyCallback callback,
                                             gpointer         user_data);
void           dsd_http_server_stop_finish  (DsdHttpServer   *self,
                                             GAsyncResult    *result);

/* Decides whether a routed request may run (rate limits): calls
 * dsd_http_server_admit() for it to run, now or later, or responds itself. */
typedef void (*DsdHttpAdmission) (DsdRequest *request,
                                  gpointer    user_data);

void           dsd_http_server_set_admission (DsdHttpServer    *self,
                                              DsdHttpAdmission  func,
                                              gpointer          user_data);
void           dsd_http_server_admit        (DsdRequest      *request);

G_END_DECLS
