/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsim"

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "dispatch-error.h"
#include "dispatch-json.h"
#include "dsim-api.h"

#define REQUEST_TIMEOUT_S 30
#define MAX_CONNECTIONS 64
#define MAX_ATTEMPTS 6
#define FIRST_BACKOFF_MS 250u
#define MAX_RETRY_AFTER_S 30u
#define STATUS_TOO_MANY_REQUESTS 429   /* not named in libsoup 3.2 */
#define KEEPALIVE_S 20

struct _DsimApi {
  GObject      parent_instance;

  SoupSession *session;
  char        *base_url;
  guint64      n_requests;
};

G_DEFINE_FINAL_TYPE (DsimApi, dsim_api, G_TYPE_OBJECT)

typedef struct {
  DsimAccount *account;
  char        *method;
  char        *path;
  GBytes      *body;
  char        *content_type;   /* of body */
  char        *idempotency_key;
  SoupMessage *message;
  guint        attempt;
  gboolean     relogged;
} Call;

static void
call_free (Call *call)
{
  g_clear_pointer (&call->account, dsim_account_unref);
  g_free (call->method);
  g_free (call->path);
  g_clear_pointer (&call->body, g_bytes_unref);
  g_free (call->content_type);
  g_free (call->idempotency_key);
  g_clear_object (&call->message);
  g_free (call);
}

static void send_call (GTask *task);

static SoupMessage *
build_message (DsimApi     *self,
               const char  *method,
               const char  *path,
               DsimAccount *account)
{
  g_autofree char *url = g_strconcat (self->base_url, path, NULL);
  SoupMessage *message = soup_message_new (method, url);

  g_assert (message != NULL);

  if (account != NULL && account->token != NULL)
    {
      g_autofree char *authorization = g_strconcat ("Bearer ", account->token, NULL);

      soup_message_headers_replace (soup_message_get_request_headers (message),
                                    "Authorization", authorization);
    }

  return message;
}

/* The error envelope of a failed response as a DISPATCH_ERROR. */
static GError *
error_from_envelope (SoupMessage *message,
                     GBytes      *bytes)
{
  guint status = soup_message_get_status (message);
  g_autoptr(JsonObject) body = NULL;
  DispatchError code = DISPATCH_ERROR_INTERNAL;
  JsonObject *envelope = NULL;
  const char *text = NULL;
  GError *error;
  gsize length;
  const char *data = g_bytes_get_data (bytes, &length);

  body = dispatch_json_parse_object (data, length, NULL);
  if (body != NULL)
    dispatch_json_get_object (body, NULL, "error", DISPATCH_JSON_OPTIONAL, &envelope, NULL);

  if (envelope == NULL || !dispatch_error_code_from_string (
        json_object_get_string_member_with_default (envelope, "code", NULL), &code))
    code = status == SOUP_STATUS_UNAUTHORIZED ? DISPATCH_ERROR_UNAUTHENTICATED
                                              : DISPATCH_ERROR_INTERNAL;
  if (envelope != NULL)
    text = json_object_get_string_member_with_default (envelope, "message", NULL);

  error = g_error_new (DISPATCH_ERROR, code, "%s %s: HTTP %u %s",
                       soup_message_get_method (message),
                       g_uri_get_path (soup_message_get_uri (message)), status,
                       text != NULL ? text : soup_message_get_reason_phrase (message));
  if (envelope != NULL && json_object_has_member (envelope, "field"))
    dispatch_error_set_field (error,
                              json_object_get_string_member_with_default (envelope, "field",
                                                                          NULL));
  return error;
}

static gboolean
retry_cb (gpointer user_data)
{
  g_autoptr(GTask) task = user_data;

  if (!g_task_return_error_if_cancelled (task))
    send_call (g_steal_pointer (&task));

  return G_SOURCE_REMOVE;
}

/* Tries again later, unless out of attempts (then FALSE). */
static gboolean
schedule_retry (GTask *task,
                guint  retry_after_s)
{
  Call *call = g_task_get_task_data (task);
  guint delay_ms;

  if (call->attempt >= MAX_ATTEMPTS)
    return FALSE;

  delay_ms = retry_after_s > 0 ? MIN (retry_after_s, MAX_RETRY_AFTER_S) * 1000
                               : FIRST_BACKOFF_MS << (call->attempt - 1);
  g_timeout_add (delay_ms, retry_cb, g_object_ref (task));
  return TRUE;
}

static void
relogin_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!dsim_api_login_finish (DSIM_API (source), result, &error))
    g_task_return_error (task, error);
  else
    send_call (g_steal_pointer (&task));
}

static void
sent_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  DsimApi *self = g_task_get_source_object (task);
  Call *call = g_task_get_task_data (task);
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(JsonObject) object = NULL;
  GError *error = NULL;
  guint status;
  gsize length;
  const char *data;

  bytes = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  if (bytes == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) &&
          schedule_retry (task, 0))
        g_clear_error (&error);
      else
        g_task_return_error (task, error);
      return;
    }

  status = soup_message_get_status (call->message);

  if (status == SOUP_STATUS_UNAUTHORIZED && call->account != NULL &&
      call->account->password != NULL && !call->relogged)
    {
      /* The token expired (the server's lifetime is finite); one new login. */
      call->relogged = TRUE;
      dsim_api_login_async (self, call->account, g_task_get_cancellable (task),
                            relogin_cb, g_steal_pointer (&task));
      return;
    }

  if (status == STATUS_TOO_MANY_REQUESTS || status == SOUP_STATUS_SERVICE_UNAVAILABLE)
    {
      const char *retry_after = soup_message_headers_get_one (
        soup_message_get_response_headers (call->message), "Retry-After");

      if (schedule_retry (task, retry_after != NULL ? (guint) atoi (retry_after) : 0))
        return;
    }

  if (!SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      g_task_return_error (task, error_from_envelope (call->message, bytes));
      return;
    }

  data = g_bytes_get_data (bytes, &length);
  object = dispatch_json_parse_object (data, length, &error);
  if (object == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, g_steal_pointer (&object), (GDestroyNotify) json_object_unref);
}

static void
send_call (GTask *task)
{
  DsimApi *self = g_task_get_source_object (task);
  Call *call = g_task_get_task_data (task);
  SoupMessageHeaders *headers;

  g_clear_object (&call->message);
  call->message = build_message (self, call->method, call->path, call->account);
  headers = soup_message_get_request_headers (call->message);
  if (call->idempotency_key != NULL)
    soup_message_headers_replace (headers, "Idempotency-Key", call->idempotency_key);
  if (call->body != NULL)
    soup_message_set_request_body_from_bytes (call->message, call->content_type, call->body);

  call->attempt++;
  self->n_requests++;
  soup_session_send_and_read_async (self->session, call->message, G_PRIORITY_DEFAULT,
                                    g_task_get_cancellable (task), sent_cb, task);
}

static void
dsim_api_finalize (GObject *object)
{
  DsimApi *self = DSIM_API (object);

  g_clear_object (&self->session);
  g_free (self->base_url);

  G_OBJECT_CLASS (dsim_api_parent_class)->finalize (object);
}

static void
dsim_api_class_init (DsimApiClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = dsim_api_finalize;
}

static void
dsim_api_init (DsimApi *self)
{
  self->session = soup_session_new_with_options ("timeout", REQUEST_TIMEOUT_S,
                                                 "max-conns", MAX_CONNECTIONS,
                                                 "max-conns-per-host", MAX_CONNECTIONS,
                                                 "user-agent", "dispatch-sim/" PACKAGE_VERSION,
                                                 NULL);
}

DsimApi *
dsim_api_new (const char *base_url)
{
  DsimApi *self = g_object_new (DSIM_TYPE_API, NULL);
  gsize length = strlen (base_url);

  while (length > 0 && base_url[length - 1] == '/')
    length--;
  self->base_url = g_strndup (base_url, length);

  return self;
}

guint64
dsim_api_get_n_requests (DsimApi *self)
{
  g_return_val_if_fail (DSIM_IS_API (self), 0);

  return self->n_requests;
}

/* Both kinds of call; body (nullable) of content_type. */
static void
start_call (DsimApi             *self,
            DsimAccount         *account,
            const char          *method,
            const char          *path,
            const char          *content_type,
            GBytes              *body,
            const char          *idempotency_key,
            GCancellable        *cancellable,
            GAsyncReadyCallback  callback,
            gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Call *call;

  g_return_if_fail (DSIM_IS_API (self));
  g_return_if_fail (method != NULL && path != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, dsim_api_call_async);

  call = g_new0 (Call, 1);
  call->account = account != NULL ? dsim_account_ref (account) : NULL;
  call->method = g_strdup (method);
  call->path = g_strdup (path);
  call->idempotency_key = g_strdup (idempotency_key);
  call->content_type = g_strdup (content_type);
  call->body = body != NULL ? g_bytes_ref (body) : NULL;
  g_task_set_task_data (task, call, (GDestroyNotify) call_free);

  send_call (g_steal_pointer (&task));
}

void
dsim_api_call_async (DsimApi             *self,
                     DsimAccount         *account,
                     const char          *method,
                     const char          *path,
                     JsonNode            *body,
                     const char          *idempotency_key,
                     GCancellable        *cancellable,
                     GAsyncReadyCallback  callback,
                     gpointer             user_data)
{
  g_autoptr(GBytes) bytes = NULL;

  if (body != NULL)
    {
      gsize length = 0;
      char *text = dispatch_json_to_string (body, &length);

      bytes = g_bytes_new_take (text, length);
    }

  start_call (self, account, method, path, "application/json", bytes, idempotency_key,
              cancellable, callback, user_data);
}

void
dsim_api_call_bytes_async (DsimApi             *self,
                           DsimAccount         *account,
                           const char          *method,
                           const char          *path,
                           const char          *content_type,
                           GBytes              *body,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  start_call (self, account, method, path, content_type, body, NULL, cancellable, callback,
              user_data);
}

JsonObject *
dsim_api_call_finish (DsimApi       *self,
                      GAsyncResult  *result,
                      GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == dsim_api_call_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
replace_member (char       **field,
                JsonObject  *object,
                const char  *member)
{
  g_free (*field);
  *field = g_strdup (json_object_get_string_member_with_default (object, member, NULL));
}

static void
login_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  DsimAccount *account = g_task_get_task_data (task);
  g_autoptr(JsonObject) object = NULL;
  GError *error = NULL;
  const char *token = NULL;

  object = dsim_api_call_finish (DSIM_API (source), result, &error);
  if (object == NULL ||
      !dispatch_json_get_string (object, NULL, "access_token", DISPATCH_JSON_REQUIRED, 0,
                                 &token, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  g_free (account->token);
  account->token = g_strdup (token);
  replace_member (&account->role, object, "role");
  replace_member (&account->driver_id, object, "driver_id");
  replace_member (&account->customer_id, object, "customer_id");
  g_task_return_boolean (task, TRUE);
}

void
dsim_api_login_async (DsimApi             *self,
                      DsimAccount         *account,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (DSIM_IS_API (self));
  g_return_if_fail (account != NULL && account->password != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, dsim_api_login_async);
  g_task_set_task_data (task, dsim_account_ref (account), (GDestroyNotify) dsim_account_unref);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "username");
  json_builder_add_string_value (builder, account->username);
  json_builder_set_member_name (builder, "password");
  json_builder_add_string_value (builder, account->password);
  json_builder_end_object (builder);
  body = json_builder_get_root (builder);

  dsim_api_call_async (self, NULL, "POST", "/api/v1/auth/token", body, NULL, cancellable,
                       login_cb, g_steal_pointer (&task));
}

gboolean
dsim_api_login_finish (DsimApi       *self,
                       GAsyncResult  *result,
                       GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == dsim_api_login_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
websocket_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SoupWebsocketConnection *connection;
  GError *error = NULL;

  connection = soup_session_websocket_connect_finish (SOUP_SESSION (source), result, &error);
  if (connection == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  soup_websocket_connection_set_keepalive_interval (connection, KEEPALIVE_S);
  g_task_return_pointer (task, connection, g_object_unref);
}

void
dsim_api_websocket_async (DsimApi             *self,
                          DsimAccount         *account,
                          const char          *path,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(SoupMessage) message = NULL;
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (DSIM_IS_API (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, dsim_api_websocket_async);

  message = build_message (self, "GET", path, account);
  self->n_requests++;
  soup_session_websocket_connect_async (self->session, message, NULL, NULL, G_PRIORITY_DEFAULT,
                                        cancellable, websocket_cb, g_steal_pointer (&task));
}

SoupWebsocketConnection *
dsim_api_websocket_finish (DsimApi       *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == dsim_api_websocket_async,
                        NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
