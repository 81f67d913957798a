/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A request line and headers as the front sees them: libsoup's parser, then
 * our framing check, then the request target (path segments, percent
 * decoding, query string) as the router gets it.
 */
#include "dsd-request-private.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(SoupMessageHeaders) headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_REQUEST);
  g_autofree char *text = g_strndup ((const char *) data, size);
  g_autofree char *method = NULL;
  g_autofree char *target = NULL;
  g_autofree char *url = NULL;
  g_autoptr(GUri) uri = NULL;
  g_autoptr(GError) error = NULL;
  DsdRequest request = { 0 };
  SoupHTTPVersion version;

  /* libsoup hands over the head without the final empty line. */
  if (soup_headers_parse_request (text, strlen (text), headers, &method, &target,
                                  &version) != SOUP_STATUS_OK)
    return 0;

  _dsd_request_check_framing (headers, NULL);

  if (target[0] != '/')
    return 0;
  url = g_strconcat ("http://fuzz", target, NULL);
  uri = g_uri_parse (url, SOUP_HTTP_URI_FLAGS, NULL);
  if (uri == NULL)
    return 0;

  if (_dsd_request_parse_target (&request, uri, &error))
    g_assert (request.n_segments <= DSD_ROUTER_MAX_SEGMENTS + 1);
  g_free (request.path);
  g_clear_pointer (&request.query, g_hash_table_unref);

  return 0;
}
