/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-http"

#include "config.h"

#include <string.h>

#include "dispatch-json.h"

#include "dsd-request-private.h"

static gboolean
set_invalid_target (GError     **error,
                    const char  *message)
{
  g_set_error_literal (error, DISPATCH_ERROR, DISPATCH_ERROR_INVALID_ARGUMENT, message);
  return FALSE;
}

/* In place. Refuses bad escapes, encoded "/" and NUL, and invalid UTF-8.
 * (Dot segments never get here: URI parsing has resolved them.) */
static gboolean
decode_segment (char *segment)
{
  const char *in = segment;
  char *out = segment;

  while (*in != '\0')
    {
      if (*in == '%')
        {
          int hi = g_ascii_xdigit_value (in[1]);
          int lo = hi < 0 ? -1 : g_ascii_xdigit_value (in[2]);
          char c;

          if (lo < 0)
            return FALSE;

          c = (char) (hi << 4 | lo);
          if (c == '\0' || c == '/')
            return FALSE;

          *out++ = c;
          in += 3;
        }
      else
        *out++ = *in++;
    }
  *out = '\0';

  return g_utf8_validate (segment, out - segment, NULL);
}

static gboolean
query_is_utf8 (GHashTable *query)
{
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, query);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      if (!g_utf8_validate (key, -1, NULL) || !g_utf8_validate (value, -1, NULL))
        return FALSE;
    }

  return TRUE;
}

static gboolean
is_json_content_type (SoupMessageHeaders *headers)
{
  g_autoptr(GHashTable) params = NULL;
  const char *type;
  const char *charset;

  type = soup_message_headers_get_content_type (headers, &params);
  if (type == NULL || g_ascii_strcasecmp (type, "application/json") != 0)
    return FALSE;

  charset = params != NULL ? g_hash_table_lookup (params, "charset") : NULL;
  return charset == NULL ||
         g_ascii_strcasecmp (charset, "utf-8") == 0 ||
         g_ascii_strcasecmp (charset, "utf8") == 0;
}

/* Returns FALSE (with a critical) for a second response. */
static gboolean
begin_response (DsdRequest *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (!self->responded, FALSE);

  return TRUE;
}

/* Takes json. */
static void
set_json_response (DsdRequest *self,
                   guint       status,
                   char       *json,
                   gsize       length)
{
  soup_message_headers_replace (_dsd_request_get_response_headers (self),
                                "Content-Type", "application/json");
  self->response_body = g_bytes_new_take (json, length);
  _dsd_request_finish_response (self, status);
}

static void
copy_header (const char *name,
             const char *value,
             gpointer    user_data)
{
  soup_message_headers_append (user_data, name, value);
}

DsdRequest *
_dsd_request_new (DsdHttpServer     *server,
                  DsdHttpFront      *front,
                  DsdHttpLoop       *front_loop,
                  DsdHttpLoop       *main_loop,
                  SoupServerMessage *msg)
{
  DsdRequest *self = g_new0 (DsdRequest, 1);

  g_atomic_ref_count_init (&self->ref_count);
  self->msg = g_object_ref (msg);
  self->server = server;
  self->front = front;
  self->front_loop = front_loop;
  self->main_loop = main_loop;
  self->main_thread = dsd_http_loop_get_owner (main_loop);
  self->start_us = g_get_monotonic_time ();
  self->link.data = self;
  self->method = g_intern_string (soup_server_message_get_method (msg));
  self->headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_REQUEST);
  soup_message_headers_foreach (soup_server_message_get_request_headers (msg), copy_header,
                                self->headers);
  self->uri = g_uri_ref (soup_server_message_get_uri (msg));
  self->peer = g_strdup (soup_server_message_get_remote_host (msg));

  return self;
}

static void
release_cb (gpointer data)
{
  dsd_request_unref (data);
}

void
_dsd_request_release (DsdRequest *self)
{
  if (g_thread_self () == self->main_thread)
    dsd_request_unref (self);
  else
    dsd_http_loop_post (self->main_loop, release_cb, self);
}

typedef struct {
  DsdRequest *request;
  void      (*apply) (DsdRequest *self);
} ToFront;

static void
to_front_cb (gpointer data)
{
  ToFront *to_front = data;

  if (!to_front->request->done)
    to_front->apply (to_front->request);
  _dsd_request_release (to_front->request);
  g_free (to_front);
}

void
_dsd_request_to_front (DsdRequest  *self,
                       void       (*apply) (DsdRequest *self))
{
  ToFront *to_front;

  /* The server is gone, or is the front's to see. */
  if (g_atomic_int_get (&self->gone))
    return;

  if (dsd_http_loop_is_current (self->front_loop))
    {
      if (!self->done)
        apply (self);
      return;
    }

  to_front = g_new (ToFront, 1);
  to_front->request = dsd_request_ref (self);
  to_front->apply = apply;
  dsd_http_loop_post (self->front_loop, to_front_cb, to_front);
}

void
_dsd_request_apply_response (DsdRequest *self)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (self->msg);

  if (self->response_headers != NULL)
    soup_message_headers_foreach (self->response_headers, copy_header, headers);
  /* libsoup criticizes an empty chunk. */
  if (self->response_body != NULL && g_bytes_get_size (self->response_body) > 0)
    soup_message_body_append_bytes (soup_server_message_get_response_body (self->msg),
                                    self->response_body);
  soup_server_message_set_status (self->msg, self->status, NULL);
  self->applied = TRUE;
  self->applied_status = self->status;

  if (self->paused)
    soup_server_message_unpause (self->msg);
  self->paused = FALSE;
}

SoupMessageHeaders *
_dsd_request_get_response_headers (DsdRequest *self)
{
  if (self->response_headers == NULL)
    self->response_headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_RESPONSE);

  return self->response_headers;
}

gboolean
_dsd_request_parse_target (DsdRequest  *self,
                           GUri        *uri,
                           GError     **error)
{
  const char *query = g_uri_get_query (uri);
  char *segment;

  /* The server keeps raw paths, so an encoded "/" stays distinguishable. */
  self->path = g_strdup (g_uri_get_path (uri));
  if (self->path[0] != '/')
    return set_invalid_target (error, "malformed request path");

  /* "/" has no segments, like the pattern "/"; "/a/" has "a" and "". */
  segment = self->path + 1;
  while (*segment != '\0' || self->n_segments > 0)
    {
      char *slash = strchr (segment, '/');

      if (slash != NULL)
        *slash = '\0';

      if (!decode_segment (segment))
        return set_invalid_target (error, "malformed request path");

      /* Too long to match any route: one past the maximum marks it. */
      if (self->n_segments == DSD_ROUTER_MAX_SEGMENTS)
        {
          self->n_segments++;
          break;
        }
      self->segments[self->n_segments++] = segment;

      if (slash == NULL)
        break;
      segment = slash + 1;
    }

  if (query != NULL && *query != '\0')
    {
      self->query = g_uri_parse_params (query, -1, "&", G_URI_PARAMS_WWW_FORM, NULL);
      if (self->query == NULL || !query_is_utf8 (self->query))
        return set_invalid_target (error, "malformed query string");
    }

  return TRUE;
}

/*
 * Framing we cannot read safely (RFC 9112 §6): a Transfer-Encoding other than
 * chunked, both Transfer-Encoding and Content-Length, or a Content-Length
 * that is not one plain number (repeated, negative, signed or too long).
 */
gboolean
_dsd_request_check_framing (SoupMessageHeaders  *headers,
                            GError             **error)
{
  const char *coding = soup_message_headers_get_list (headers, "Transfer-Encoding");
  const char *length = soup_message_headers_get_list (headers, "Content-Length");
  gsize digits;

  if (coding != NULL && g_ascii_strcasecmp (coding, "chunked") != 0)
    {
      g_set_error_literal (error, DISPATCH_ERROR, DISPATCH_ERROR_INVALID_ARGUMENT,
                           "unsupported Transfer-Encoding");
      return FALSE;
    }

  if (coding != NULL && length != NULL)
    {
      g_set_error_literal (error, DISPATCH_ERROR, DISPATCH_ERROR_INVALID_ARGUMENT,
                           "both Transfer-Encoding and Content-Length");
      return FALSE;
    }

  if (length == NULL)
    return TRUE;

  digits = strspn (length, "0123456789");
  if (digits == 0 || digits > 18 || length[digits] != '\0')
    {
      g_set_error_literal (error, DISPATCH_ERROR, DISPATCH_ERROR_INVALID_ARGUMENT,
                           "malformed Content-Length");
      return FALSE;
    }

  return TRUE;
}

void
_dsd_request_finish_response (DsdRequest *self,
                              guint       status)
{
  self->responded = TRUE;
  self->status = status;
  _dsd_request_to_front (self, _dsd_request_apply_response);
}

char *
_dsd_error_envelope (const GError *error,
                     guint        *status,
                     gsize        *length)
{
  g_autoptr(JsonBuilder) builder = json_builder_new_immutable ();
  g_autoptr(JsonNode) root = NULL;
  DispatchError code = DISPATCH_ERROR_INTERNAL;
  const char *message = "internal error";
  const char *field = NULL;

  if (error->domain == DISPATCH_ERROR && error->code != DISPATCH_ERROR_INTERNAL)
    {
      code = error->code;
      message = error->message;
      field = dispatch_error_get_field (error);
    }
  else
    {
      g_warning ("Answering 500 for %s error %d: %s",
                 g_quark_to_string (error->domain), error->code, error->message);
    }

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "error");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "code");
  json_builder_add_string_value (builder, dispatch_error_code_to_string (code));
  json_builder_set_member_name (builder, "message");
  json_builder_add_string_value (builder, message);
  if (field != NULL)
    {
      json_builder_set_member_name (builder, "field");
      json_builder_add_string_value (builder, field);
    }
  json_builder_end_object (builder);
  json_builder_end_object (builder);

  *status = dispatch_error_code_http_status (code);
  root = json_builder_get_root (builder);
  return dispatch_json_to_string (root, length);
}

char *
_dsd_error_response (const GError *error,
                     guint         retry_after_s)
{
  g_autofree char *body = NULL;
  g_autofree char *retry_after = NULL;
  gsize length;
  guint status;

  body = _dsd_error_envelope (error, &status, &length);
  if (retry_after_s > 0)
    retry_after = g_strdup_printf ("Retry-After: %u\r\n", retry_after_s);

  return g_strdup_printf ("HTTP/1.1 %u %s\r\n"
                          "Content-Type: application/json\r\n"
                          "Content-Length: %" G_GSIZE_FORMAT "\r\n"
                          "%s"
                          "Connection: close\r\n"
                          "\r\n"
                          "%s",
                          status, soup_status_get_phrase (status), length,
                          retry_after != NULL ? retry_after : "", body);
}

DsdRequest *
dsd_request_ref (DsdRequest *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
dsd_request_unref (DsdRequest *self)
{
  g_return_if_fail (self != NULL);

  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;

  /* No stream opened (refused, failed or aborted). */
  if (self->stream_end != NULL)
    self->stream_end (self->stream_end_data);
  g_datalist_clear (&self->data);
  g_clear_pointer (&self->json, json_object_unref);
  g_clear_pointer (&self->body, g_bytes_unref);
  g_clear_pointer (&self->chunk, g_bytes_unref);
  g_clear_pointer (&self->response_body, g_bytes_unref);
  g_clear_pointer (&self->response_headers, soup_message_headers_unref);
  g_clear_pointer (&self->headers, soup_message_headers_unref);
  g_clear_pointer (&self->uri, g_uri_unref);
  g_clear_pointer (&self->principal, dsd_principal_unref);
  g_clear_pointer (&self->query, g_hash_table_unref);
  g_clear_object (&self->router);
  g_free (self->peer);
  g_free (self->path);
  /* The front let go of the message when the request was done. */
  g_assert (self->msg == NULL);
  g_free (self);
}

const char *
dsd_request_get_method (DsdRequest *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->method;
}

const char *
dsd_request_get_path (DsdRequest *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return g_uri_get_path (self->uri);
}

SoupMessageHeaders *
dsd_request_get_headers (DsdRequest *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->headers;
}

void
dsd_request_set_response_header (DsdRequest *self,
                                 const char *name,
                                 const char *value)
{
  g_return_if_fail (self != NULL && !self->responded);

  soup_message_headers_replace (_dsd_request_get_response_headers (self), name, value);
}

gpointer
dsd_request_get_data (DsdRequest *self,
                      GQuark      key)
{
  g_return_val_if_fail (self != NULL, NULL);

  return g_datalist_id_get_data (&self->data, key);
}

void
dsd_request_set_data (DsdRequest     *self,
                      GQuark          key,
                      gpointer        data,
                      GDestroyNotify  destroy)
{
  g_return_if_fail (self != NULL);

  g_datalist_id_set_data_full (&self->data, key, data, destroy);
}

const char *
dsd_request_get_route (DsdRequest *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->route != NULL ? self->route->pattern : NULL;
}

gboolean
dsd_request_is_websocket (DsdRequest *self)
{
  g_return_val_if_fail (self != NULL, FALSE);

  return self->route != NULL && self->route->websocket_handler != NULL;
}

void
dsd_request_on_stream_end (DsdRequest     *self,
                           GDestroyNotify  func,
                           gpointer        data)
{
  g_return_if_fail (self != NULL && func != NULL);
  g_return_if_fail (dsd_request_is_websocket (self) && self->stream_end == NULL);

  self->stream_end = func;
  self->stream_end_data = data;
}

const char *
dsd_request_get_param (DsdRequest *self,
                       const char *name)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);

  if (self->route == NULL)
    return NULL;

  for (guint i = 0; self->route->param_names[i] != NULL; i++)
    {
      if (strcmp (self->route->param_names[i], name) == 0)
        return self->values[i];
    }

  return NULL;
}

const char *
dsd_request_get_query (DsdRequest *self,
                       const char *name)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);

  return self->query != NULL ? g_hash_table_lookup (self->query, name) : NULL;
}

const char *
dsd_request_get_header (DsdRequest *self,
                        const char *name)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);

  return soup_message_headers_get_one (self->headers, name);
}

const DsdPrincipal *
dsd_request_get_principal (DsdRequest *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->principal;
}

char *
dsd_request_dup_actor_json (DsdRequest *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  if (self->principal == NULL)
    return NULL;

  return dsd_principal_to_json (self->principal);
}

const char *
dsd_request_get_peer (DsdRequest *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->peer;
}

GBytes *
dsd_request_get_body (DsdRequest *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  /* Flattened by the front once the body is in; refused requests have none. */
  if (self->body == NULL)
    self->body = g_bytes_new_static ("", 0);

  return self->body;
}

gboolean
dsd_request_check_json_body (DsdRequest  *self,
                             GError     **error)
{
  SoupMessageHeaders *headers;

  g_return_val_if_fail (self != NULL, FALSE);

  /* libsoup reads a request without Content-Length or Transfer-Encoding as
   * having no body, which is fine for bodiless actions; only a handler that
   * needs a body can tell the client it left out the length. */
  headers = self->headers;
  if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_NONE)
    {
      g_set_error_literal (error, DISPATCH_ERROR, DISPATCH_ERROR_LENGTH_REQUIRED,
                           "a JSON body with Content-Length is required");
      return FALSE;
    }

  if (!is_json_content_type (headers))
    {
      g_set_error_literal (error, DISPATCH_ERROR, DISPATCH_ERROR_UNSUPPORTED_MEDIA_TYPE,
                           "Content-Type must be application/json");
      return FALSE;
    }

  return TRUE;
}

JsonObject *
dsd_request_get_json_object (DsdRequest  *self,
                             GError     **error)
{
  GBytes *body;
  gsize size;
  const char *data;

  g_return_val_if_fail (self != NULL, NULL);

  if (self->json != NULL)
    return self->json;

  if (!dsd_request_check_json_body (self, error))
    return NULL;

  body = dsd_request_get_body (self);
  data = g_bytes_get_data (body, &size);
  self->json = dispatch_json_parse_object (data, size, error);

  return self->json;
}

void
dsd_request_respond_json (DsdRequest *self,
                          guint       status,
                          JsonNode   *node)
{
  char *text;
  gsize length;

  g_return_if_fail (node != NULL);

  if (!begin_response (self))
    return;

  text = dispatch_json_to_string (node, &length);
  set_json_response (self, status, text, length);
}

void
dsd_request_respond_json_text (DsdRequest *self,
                               guint       status,
                               const char *json,
                               gssize      length)
{
  g_return_if_fail (json != NULL);

  if (!begin_response (self))
    return;

  if (length < 0)
    length = strlen (json);
  set_json_response (self, status, g_memdup2 (json, length), length);
}

void
dsd_request_respond_error (DsdRequest   *self,
                           const GError *error)
{
  SoupMessageHeaders *headers;
  g_autofree char *retry_after = NULL;
  char *text;
  gsize length;
  guint status;

  g_return_if_fail (error != NULL);

  if (!begin_response (self))
    return;

  text = _dsd_error_envelope (error, &status, &length);

  headers = _dsd_request_get_response_headers (self);
  if (status == dispatch_error_code_http_status (DISPATCH_ERROR_RATE_LIMITED) ||
      status == dispatch_error_code_http_status (DISPATCH_ERROR_UNAVAILABLE))
    {
      retry_after = g_strdup_printf ("%u", MAX (self->retry_after_s, 1));
      soup_message_headers_replace (headers, "Retry-After", retry_after);
    }
  else if (status == SOUP_STATUS_UNAUTHORIZED)
    soup_message_headers_replace (headers, "WWW-Authenticate", "Bearer");

  set_json_response (self, status, text, length);
}

void
dsd_request_set_retry_after (DsdRequest *self,
                             guint       seconds)
{
  g_return_if_fail (self != NULL);

  self->retry_after_s = seconds;
}

void
dsd_request_respond_bytes (DsdRequest *self,
                           guint       status,
                           const char *content_type,
                           GBytes     *body)
{
  g_return_if_fail (content_type != NULL);
  g_return_if_fail (body != NULL);

  if (!begin_response (self))
    return;

  soup_message_headers_replace (_dsd_request_get_response_headers (self),
                                "Content-Type", content_type);
  self->response_body = g_bytes_ref (body);
  _dsd_request_finish_response (self, status);
}

void
dsd_request_respond_no_content (DsdRequest *self)
{
  g_return_if_fail (self != NULL);

  if (!begin_response (self))
    return;

  _dsd_request_finish_response (self, SOUP_STATUS_NO_CONTENT);
}

void
dsd_request_accept_websocket (DsdRequest *self)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (self->route != NULL && self->route->websocket_handler != NULL);

  if (!begin_response (self))
    return;

  self->responded = TRUE;
  _dsd_request_to_front (self, _dsd_http_server_accept_websocket);
}
