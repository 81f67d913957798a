/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * Follows the framing of the HTTP/1.1 requests on one connection, byte by
 * byte as they arrive, to check what libsoup 3.2 reads loosely: chunked
 * bodies (RFC 9112 §7.1). libsoup takes a chunk size with strtoul(), so
 * "ffffffffffffffff" or more makes it wait for a body that never ends, junk
 * reads as size 0, the CRLF after a chunk's data is not checked and a trailer
 * line ends the body whatever follows. Here a chunk size is 1–16 hex digits
 * (at most 2^63 − 1) with optional extensions, its data is followed by CRLF,
 * and the last chunk by an empty line (no trailer fields); anything else is
 * an error: DISPATCH_ERROR_INVALID_ARGUMENT, or PAYLOAD_TOO_LARGE for one
 * chunk over max_body bytes. Lines may end in LF alone, as libsoup allows.
 *
 * Request heads are only read for Content-Length (its body is skipped),
 * Transfer-Encoding and Upgrade. A head the server refuses anyway (framing
 * _dsd_request_check_framing() rejects) or an upgrade ends the checking on
 * that connection: what follows is not HTTP or not read.
 */
typedef struct _DsdHttpFraming DsdHttpFraming;

DsdHttpFraming *dsd_http_framing_new  (guint64         max_body);
void            dsd_http_framing_free (DsdHttpFraming *self);
/* Follows length bytes; returns how many of them are well framed: length,
 * or fewer with error set at the first byte in error. After an error every
 * call fails again. */
gsize           dsd_http_framing_scan (DsdHttpFraming *self,
                                       const guint8   *data,
                                       gsize           length,
                                       GError        **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DsdHttpFraming, dsd_http_framing_free)

G_END_DECLS
