/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <libsoup/soup.h>

#include "dsd-account-states.h"
#include "dsd-http-connections.h"
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
 * take the connection from libsoup, answer and close it; so does framing we
 * cannot read safely, with 400: a Content-Length that is not one plain number,
 * both Content-Length and Transfer-Encoding), timeouts and connection caps
 * (dsd_http_server_set_limits()), dispatch through
 * the router with routing and authentication done before the body is read,
 * access logging (structured, debug level: G_MESSAGES_DEBUG=dsd-http), request
 * metrics (dispatch_http_requests_total{route,method,status},
 * dispatch_http_request_duration_seconds{route,method}), and graceful stop:
 * stop accepting, let in-flight requests finish (bounded wait), then
 * disconnect. metrics may be NULL.
 */
/*
 * TLS: 1.2 and 1.3 only, forward-secret key exchange and AEAD ciphers (no
 * static RSA, no CBC, no SHA-1 MACs). glib-networking's GnuTLS backend reads
 * G_TLS_GNUTLS_PRIORITY once, at its first TLS connection; a value the user
 * set is kept. HTTPS responses carry Strict-Transport-Security.
 */
#define DSD_HTTP_TLS_PRIORITY \
  "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-RSA:-CIPHER-ALL:+AES-256-GCM:+AES-128-GCM:" \
  "+CHACHA20-POLY1305:-MAC-ALL:+AEAD"
#define DSD_HTTP_HSTS "max-age=31536000"

/* Sets G_TLS_GNUTLS_PRIORITY to DSD_HTTP_TLS_PRIORITY unless it is set: call
 * at the start of the program, before threads and any TLS. */
void           dsd_http_tls_init            (void);

#define DSD_TYPE_HTTP_SERVER (dsd_http_server_get_type ())
G_DECLARE_FINAL_TYPE (DsdHttpServer, dsd_http_server, DSD, HTTP_SERVER, GObject)

DsdHttpServer *dsd_http_server_new          (DsdRouter       *router,
                                             DsdTokenIssuer  *tokens,
                                             DsdMetrics      *metrics);
/* From now on a token's user is checked too: it exists, is not disabled and
 * has not revoked the token (401 otherwise; 503 when that cannot be known). */
void           dsd_http_server_set_accounts (DsdHttpServer   *self,
                                             DsdAccountStates *accounts);
/* Before listening: n_threads front loops on threads of their own read and
 * answer HTTP, and hand requests to this (the main) loop, where handlers run;
 * 0 (the default): the main loop does it all (docs/architecture.md, "The HTTP
 * front"). */
void           dsd_http_server_set_threads  (DsdHttpServer   *self,
                                             guint            n_threads);
/* address "host:port" (port 0 picks a free one); TLS when both files are
 * given. With front threads, listen once. */
gboolean       dsd_http_server_listen       (DsdHttpServer   *self,
                                             const char      *address,
                                             const char      *tls_cert_file,
                                             const char      *tls_key_file,
                                             GError         **error);
/* Timeouts and connection caps (dsd-http-connections.h); defaults otherwise.
 * Front threads take them before the next connection they accept. */
void           dsd_http_server_set_limits   (DsdHttpServer   *self,
                                             const DsdHttpLimits *limits);
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
