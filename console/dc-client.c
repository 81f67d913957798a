/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include <dispatch-error.h>
#include <dispatch-json.h>

#include "dc-client.h"
#include "dc-json.h"

#define REQUEST_TIMEOUT_S 30

struct _DcClient
{
  GObject parent_instance;

  SoupSession *session;

  char *server_url;
  char *username;
  char *token;
  guint expiry_source;
};

G_DEFINE_FINAL_TYPE (DcClient, dc_client, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_SERVER_URL,
  PROP_USERNAME,
  PROP_AUTHENTICATED,
  N_PROPS
};

enum {
  SESSION_EXPIRED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

typedef struct
{
  SoupMessage *message;
  gboolean authenticated;
  /* the body as it came (an image), not a JSON object */
  gboolean raw;
} Request;

static void
request_free (Request *request)
{
  g_clear_object (&request->message);
  g_free (request);
}

/* Reads "exp" from the JWT payload. The console does not verify the token
 * (the server does); it only wants to know when to ask for a new one. */
static gint64
token_expiry_usec (const char *token)
{
  g_auto(GStrv) parts = NULL;
  g_autoptr(JsonObject) claims = NULL;
  g_autofree guchar *payload = NULL;
  g_autofree char *base64 = NULL;
  gsize length;

  parts = g_strsplit (token, ".", 0);
  if (g_strv_length (parts) != 3)
    return 0;

  /* base64url without padding → base64 */
  base64 = g_strdup (parts[1]);
  g_strdelimit (base64, "-", '+');
  g_strdelimit (base64, "_", '/');
  base64 = g_realloc (base64, strlen (base64) + 3);
  while (strlen (base64) % 4 != 0)
    strcat (base64, "=");

  payload = g_base64_decode (base64, &length);
  claims = dispatch_json_parse_object ((const char *) payload, length, NULL);
  if (claims == NULL)
    return 0;

  return dc_json_int (claims, "exp", 0) * G_USEC_PER_SEC;
}

static char *
build_url (const char *server_url,
           const char *path)
{
  g_autofree char *base = g_strstrip (g_strdup (server_url));
  gsize length = strlen (base);

  while (length > 0 && base[length - 1] == '/')
    base[--length] = '\0';

  return g_strconcat (base, path, NULL);
}

GError *
dc_client_error_from_response (SoupMessage *message,
                               GBytes      *bytes)
{
  g_autoptr(JsonObject) body = NULL;
  JsonObject *envelope = NULL;
  DispatchError code = DISPATCH_ERROR_INTERNAL;
  const char *message_text = NULL;
  GError *error;
  gsize length;
  const char *data = g_bytes_get_data (bytes, &length);

  if ((body = dispatch_json_parse_object (data, length, NULL)) != NULL)
    envelope = dc_json_object (body, "error");

  if (envelope != NULL)
    {
      dispatch_error_code_from_string (dc_json_string (envelope, "code"), &code);
      message_text = dc_json_string (envelope, "message");
    }
  else if (soup_message_get_status (message) == SOUP_STATUS_UNAUTHORIZED)
    code = DISPATCH_ERROR_UNAUTHENTICATED;

  if (message_text == NULL)
    message_text = soup_message_get_reason_phrase (message);
  if (message_text == NULL || *message_text == '\0')
    message_text = _("The server could not handle the request");

  error = g_error_new_literal (DISPATCH_ERROR, code, message_text);
  if (envelope != NULL && dc_json_string (envelope, "field") != NULL)
    dispatch_error_set_field (error, dc_json_string (envelope, "field"));

  return error;
}

static void
schedule_expiry (DcClient *self,
                 gint64    expires_at);

static gboolean
expiry_cb (gpointer user_data)
{
  DcClient *self = user_data;

  self->expiry_source = 0;
  dc_client_expire (self);

  return G_SOURCE_REMOVE;
}

static void
schedule_expiry (DcClient *self,
                 gint64    expires_at)
{
  gint64 remaining;

  g_clear_handle_id (&self->expiry_source, g_source_remove);
  if (expires_at <= 0)
    return;

  remaining = (expires_at - g_get_real_time ()) / G_USEC_PER_SEC;
  self->expiry_source = g_timeout_add_seconds_full (G_PRIORITY_DEFAULT,
                                                    (guint) CLAMP (remaining, 0, G_MAXINT),
                                                    expiry_cb, self, NULL);
}

static void
send_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  SoupSession *session = SOUP_SESSION (object);
  g_autoptr(GTask) task = user_data;
  DcClient *self = g_task_get_source_object (task);
  Request *request = g_task_get_task_data (task);
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *object_out;
  guint status;
  gsize length;
  const char *data;

  if (!(bytes = soup_session_send_and_read_finish (session, result, &error)))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  status = soup_message_get_status (request->message);
  if (!SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      if (status == SOUP_STATUS_UNAUTHORIZED && request->authenticated)
        dc_client_expire (self);
      g_task_return_error (task, dc_client_error_from_response (request->message, bytes));
      return;
    }

  if (request->raw)
    {
      g_task_return_pointer (task, g_steal_pointer (&bytes), (GDestroyNotify) g_bytes_unref);
      return;
    }

  data = g_bytes_get_data (bytes, &length);
  if (length == 0)
    object_out = json_object_new ();
  else if (!(object_out = dispatch_json_parse_object (data, length, &error)))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  g_task_return_pointer (task, object_out, (GDestroyNotify) json_object_unref);
}

static void
send_request (DcClient            *self,
              const char          *server_url,
              const char          *method,
              const char          *path,
              JsonNode            *body,
              gboolean             authenticated,
              gboolean             raw,
              GCancellable        *cancellable,
              gpointer             source_tag,
              GAsyncReadyCallback  callback,
              gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *url = NULL;
  Request *request;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, source_tag);

  request = g_new0 (Request, 1);
  request->authenticated = authenticated;
  request->raw = raw;
  g_task_set_task_data (task, request, (GDestroyNotify) request_free);

  url = build_url (server_url, path);
  if (!(request->message = soup_message_new (method, url)))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               _("“%s” is not a valid server address"), server_url);
      return;
    }

  if (authenticated)
    {
      g_autofree char *header = g_strdup_printf ("Bearer %s", self->token);

      soup_message_headers_replace (soup_message_get_request_headers (request->message),
                                    "Authorization", header);
    }

  if (body != NULL)
    {
      gsize length;
      g_autofree char *text = dispatch_json_to_string (body, &length);
      g_autoptr(GBytes) bytes = g_bytes_new_take (g_steal_pointer (&text), length);

      soup_message_set_request_body_from_bytes (request->message, "application/json", bytes);
    }

  soup_session_send_and_read_async (self->session, request->message, G_PRIORITY_DEFAULT,
                                    cancellable, send_cb, g_steal_pointer (&task));
}

static void
sign_in_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  DcClient *self = DC_CLIENT (object);
  g_autoptr(GTask) task = user_data;
  g_autoptr(JsonObject) response = NULL;
  g_autoptr(GError) error = NULL;
  const char *token;
  gint64 expires_in;

  if (!(response = g_task_propagate_pointer (G_TASK (result), &error)))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if ((token = dc_json_string (response, "access_token")) == NULL)
    {
      g_task_return_new_error (task, DISPATCH_ERROR, DISPATCH_ERROR_INTERNAL,
                               _("The server sent no access token"));
      return;
    }

  dc_client_set_session (self, g_task_get_task_data (task), self->username, token);

  /* The server's own lifetime wins over the one read from the token. */
  if ((expires_in = dc_json_int (response, "expires_in", 0)) > 0)
    schedule_expiry (self, g_get_real_time () + expires_in * G_USEC_PER_SEC);

  g_task_return_boolean (task, TRUE);
}

static void
dc_client_dispose (GObject *object)
{
  DcClient *self = (DcClient *)object;

  g_clear_handle_id (&self->expiry_source, g_source_remove);
  g_clear_object (&self->session);

  G_OBJECT_CLASS (dc_client_parent_class)->dispose (object);
}

static void
dc_client_finalize (GObject *object)
{
  DcClient *self = (DcClient *)object;

  g_clear_pointer (&self->server_url, g_free);
  g_clear_pointer (&self->username, g_free);
  g_clear_pointer (&self->token, g_free);

  G_OBJECT_CLASS (dc_client_parent_class)->finalize (object);
}

static void
dc_client_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  DcClient *self = DC_CLIENT (object);

  switch (prop_id)
    {
    case PROP_SERVER_URL:
      g_value_set_string (value, self->server_url);
      break;

    case PROP_USERNAME:
      g_value_set_string (value, self->username);
      break;

    case PROP_AUTHENTICATED:
      g_value_set_boolean (value, dc_client_get_authenticated (self));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dc_client_class_init (DcClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags =
    G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->dispose = dc_client_dispose;
  object_class->finalize = dc_client_finalize;
  object_class->get_property = dc_client_get_property;

  properties[PROP_SERVER_URL] = g_param_spec_string ("server-url", NULL, NULL, NULL, flags);
  properties[PROP_USERNAME] = g_param_spec_string ("username", NULL, NULL, NULL, flags);
  properties[PROP_AUTHENTICATED] =
    g_param_spec_boolean ("authenticated", NULL, NULL, FALSE, flags);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SESSION_EXPIRED] =
    g_signal_new ("session-expired", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
dc_client_init (DcClient *self)
{
  self->session = soup_session_new_with_options ("user-agent", "dispatch-console/" PACKAGE_VERSION,
                                                 "timeout", REQUEST_TIMEOUT_S,
                                                 NULL);
}

DcClient *
dc_client_new (void)
{
  return g_object_new (DC_TYPE_CLIENT, NULL);
}

SoupSession *
dc_client_get_soup_session (DcClient *self)
{
  g_return_val_if_fail (DC_IS_CLIENT (self), NULL);

  return self->session;
}

const char *
dc_client_get_server_url (DcClient *self)
{
  g_return_val_if_fail (DC_IS_CLIENT (self), NULL);

  return self->server_url;
}

const char *
dc_client_get_username (DcClient *self)
{
  g_return_val_if_fail (DC_IS_CLIENT (self), NULL);

  return self->username;
}

const char *
dc_client_get_token (DcClient *self)
{
  g_return_val_if_fail (DC_IS_CLIENT (self), NULL);

  return self->token;
}

gboolean
dc_client_get_authenticated (DcClient *self)
{
  g_return_val_if_fail (DC_IS_CLIENT (self), FALSE);

  return self->token != NULL;
}

void
dc_client_set_session (DcClient   *self,
                       const char *server_url,
                       const char *username,
                       const char *token)
{
  gboolean was_authenticated;
  gint64 expires_at;

  g_return_if_fail (DC_IS_CLIENT (self));

  was_authenticated = dc_client_get_authenticated (self);
  expires_at = token != NULL ? token_expiry_usec (token) : 0;
  if (expires_at != 0 && expires_at <= g_get_real_time ())
    token = NULL;

  if (g_strcmp0 (self->server_url, server_url) != 0)
    {
      g_free (self->server_url);
      self->server_url = g_strdup (server_url);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SERVER_URL]);
    }

  if (g_strcmp0 (self->username, username) != 0)
    {
      g_free (self->username);
      self->username = g_strdup (username);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_USERNAME]);
    }

  g_free (self->token);
  self->token = g_strdup (token);
  schedule_expiry (self, token != NULL ? expires_at : 0);

  if (was_authenticated != dc_client_get_authenticated (self))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_AUTHENTICATED]);
}

/* Ends the session because the server no longer accepts the token; the
 * server address and user stay for the next sign-in. */
void
dc_client_expire (DcClient *self)
{
  g_return_if_fail (DC_IS_CLIENT (self));

  if (!dc_client_get_authenticated (self))
    return;

  dc_client_set_session (self, self->server_url, self->username, NULL);
  g_signal_emit (self, signals[SESSION_EXPIRED], 0);
}

void
dc_client_sign_in_async (DcClient            *self,
                         const char          *server_url,
                         const char          *username,
                         const char          *password,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) body = NULL;
  GTask *task;

  g_return_if_fail (DC_IS_CLIENT (self));
  g_return_if_fail (server_url != NULL);
  g_return_if_fail (username != NULL);
  g_return_if_fail (password != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, dc_client_sign_in_async);
  g_task_set_task_data (task, g_strstrip (g_strdup (server_url)), g_free);

  g_free (self->username);
  self->username = g_strdup (username);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "username");
  json_builder_add_string_value (builder, username);
  json_builder_set_member_name (builder, "password");
  json_builder_add_string_value (builder, password);
  json_builder_end_object (builder);
  body = json_builder_get_root (builder);

  send_request (self, server_url, "POST", "/api/v1/auth/token", body, FALSE, FALSE, cancellable,
                dc_client_sign_in_async, sign_in_cb, task);
}

gboolean
dc_client_sign_in_finish (DcClient      *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (DC_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

void
dc_client_request_async (DcClient            *self,
                         const char          *method,
                         const char          *path,
                         JsonNode            *body,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_return_if_fail (DC_IS_CLIENT (self));
  g_return_if_fail (method != NULL);
  g_return_if_fail (path != NULL && path[0] == '/');

  if (!dc_client_get_authenticated (self))
    {
      g_task_report_new_error (self, callback, user_data, dc_client_request_async,
                               DISPATCH_ERROR, DISPATCH_ERROR_UNAUTHENTICATED,
                               _("Not signed in"));
      return;
    }

  send_request (self, self->server_url, method, path, body, TRUE, FALSE, cancellable,
                dc_client_request_async, callback, user_data);
}

JsonObject *
dc_client_request_finish (DcClient      *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (DC_IS_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
dc_client_fetch_bytes_async (DcClient            *self,
                             const char          *path,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_return_if_fail (DC_IS_CLIENT (self));
  g_return_if_fail (path != NULL && path[0] == '/');

  if (!dc_client_get_authenticated (self))
    {
      g_task_report_new_error (self, callback, user_data, dc_client_fetch_bytes_async,
                               DISPATCH_ERROR, DISPATCH_ERROR_UNAUTHENTICATED,
                               _("Not signed in"));
      return;
    }

  send_request (self, self->server_url, "GET", path, NULL, TRUE, TRUE, cancellable,
                dc_client_fetch_bytes_async, callback, user_data);
}

GBytes *
dc_client_fetch_bytes_finish (DcClient      *self,
                              GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (DC_IS_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

SoupMessage *
dc_client_new_stream_message (DcClient *self,
                              gint64    since)
{
  g_autoptr(GString) path = g_string_new ("/api/v1/stream?access_token=");
  g_autofree char *url = NULL;

  g_return_val_if_fail (DC_IS_CLIENT (self), NULL);
  g_return_val_if_fail (dc_client_get_authenticated (self), NULL);

  g_string_append_uri_escaped (path, self->token, NULL, FALSE);
  if (since >= 0)
    g_string_append_printf (path, "&since=%" G_GINT64_FORMAT, since);

  url = build_url (self->server_url, path->str);

  return soup_message_new (SOUP_METHOD_GET, url);
}

SoupMessage *
dc_client_new_message (DcClient   *self,
                       const char *method,
                       const char *path)
{
  g_autofree char *url = NULL;
  g_autofree char *header = NULL;
  SoupMessage *message;

  g_return_val_if_fail (DC_IS_CLIENT (self), NULL);

  url = build_url (self->server_url, path);
  if ((message = soup_message_new (method, url)) == NULL)
    return NULL;
  header = g_strdup_printf ("Bearer %s", self->token);
  soup_message_headers_replace (soup_message_get_request_headers (message), "Authorization",
                                header);
  return message;
}
