/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * A client connection as libsoup is given it: its input passes through a
 * DsdHttpFraming check (see dsd-http-framing.h), its output is the base
 * stream's. At the first badly framed byte the input stops (reads would
 * block, the data after it is dropped) and ::failed is emitted from an idle
 * callback, for the server to answer the request and close. Closing closes
 * the base stream.
 */
#define DSD_TYPE_HTTP_FRAMED_STREAM (dsd_http_framed_stream_get_type ())
G_DECLARE_FINAL_TYPE (DsdHttpFramedStream, dsd_http_framed_stream, DSD, HTTP_FRAMED_STREAM,
                      GIOStream)

/* max_body: the largest chunk accepted. */
GIOStream    *dsd_http_framed_stream_new       (GIOStream           *base,
                                                guint64              max_body);
GIOStream    *dsd_http_framed_stream_get_base  (DsdHttpFramedStream *self);
/* Why the input stopped; NULL while it flows. */
const GError *dsd_http_framed_stream_get_error (DsdHttpFramedStream *self);
/* Lets the input flow again, unchecked: for reading what the client still
 * sends while closing, once the connection is no longer libsoup's. */
void          dsd_http_framed_stream_release   (DsdHttpFramedStream *self);

G_END_DECLS
