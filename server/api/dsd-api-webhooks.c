/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-api"

#include <sodium.h>

#include "dispatch-limits.h"
#include "dispatch-model.h"
#include "dsd-api.h"
#include "dsd-pg-pool.h"
#include "dsd-webhook-target.h"

#define GENERATED_SECRET_BYTES 32

static const char create_sql[] =
  "SELECT dispatch.webhook_create($1::jsonb, $2, $3::jsonb, $4)::text";
static const char list_sql[] =
  "SELECT dispatch.webhook_list($1::jsonb, $2::int, $3)::text";
static const char get_sql[] =
  "SELECT dispatch.webhook_get($1::jsonb, $2)::text";
static const char delete_sql[] =
  "SELECT dispatch.webhook_delete($1::jsonb, $2)::text";
static const char dead_letters_sql[] =
  "SELECT dispatch.webhook_dead_letters($1::jsonb, $2, $3::int, $4)::text";
static const char retry_sql[] =
  "SELECT dispatch.webhook_dead_letter_retry($1::jsonb, $2, $3)::text";

typedef struct {
  DsdRequest *request;
  DsdContext *context;
  char       *url;
  char       *events;   /* JSON array text */
  char       *secret;
} CreateWebhook;

static void
create_webhook_free (CreateWebhook *create)
{
  dsd_request_unref (create->request);
  g_free (create->url);
  g_free (create->events);
  g_free (create->secret);
  g_free (create);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CreateWebhook, create_webhook_free)

/* Known, distinct, delivered event types, as a JSON array text. */
static char *
read_events (JsonObject  *body,
             GError     **error)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  JsonArray *events = NULL;

  if (!dispatch_json_get_array (body, NULL, "events",
                                DISPATCH_JSON_REQUIRED | DISPATCH_JSON_NON_EMPTY,
                                DISPATCH_WEBHOOK_MAX_EVENTS, &events, error))
    return NULL;

  json_builder_begin_array (builder);
  for (guint i = 0; i < json_array_get_length (events); i++)
    {
      JsonNode *node = json_array_get_element (events, i);
      g_autofree char *field = dispatch_json_index_path ("events", i);
      DispatchEventType type;
      const char *name;

      if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
        {
          dispatch_set_field_error (error, DISPATCH_ERROR_INVALID_ARGUMENT, field,
                                    "%s must be a string", field);
          return NULL;
        }

      name = json_node_get_string (node);
      if (!dispatch_event_type_from_string (name, &type))
        {
          dispatch_set_field_error (error, DISPATCH_ERROR_INVALID_ARGUMENT, field,
                                    "%s: unknown event type", field);
          return NULL;
        }

      /* Location events are not state events: they have no seq, never pass
       * through the outbox and would only ever be dropped for a webhook. */
      if (type == DISPATCH_EVENT_DRIVER_LOCATION)
        {
          dispatch_set_field_error (error, DISPATCH_ERROR_INVALID_ARGUMENT, field,
                                    "driver.location is not delivered to webhooks "
                                    "(use the websocket streams)");
          return NULL;
        }

      if (!g_hash_table_add (seen, (gpointer) name))
        {
          dispatch_set_field_error (error, DISPATCH_ERROR_INVALID_ARGUMENT, field,
                                    "%s: %s is listed twice", field, name);
          return NULL;
        }

      json_builder_add_string_value (builder, name);
    }
  json_builder_end_array (builder);

  return dsd_api_builder_to_string (builder);
}

static char *
read_secret (JsonObject  *body,
             GError     **error)
{
  const char *secret = NULL;
  guint8 random[GENERATED_SECRET_BYTES];
  char hex[GENERATED_SECRET_BYTES * 2 + 1];

  if (!dispatch_json_get_string (body, NULL, "secret", DISPATCH_JSON_NULLABLE,
                                 DISPATCH_WEBHOOK_SECRET_MAX_LENGTH, &secret, error))
    return NULL;

  if (secret == NULL)
    {
      randombytes_buf (random, sizeof random);
      return g_strdup (sodium_bin2hex (hex, sizeof hex, random, sizeof random));
    }

  if (g_utf8_strlen (secret, -1) < DISPATCH_WEBHOOK_SECRET_MIN_LENGTH)
    {
      dispatch_set_field_error (error, DISPATCH_ERROR_INVALID_ARGUMENT, "secret",
                                "secret must be at least %d characters",
                                DISPATCH_WEBHOOK_SECRET_MIN_LENGTH);
      return NULL;
    }

  return g_strdup (secret);
}

static void
target_checked_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(CreateWebhook) create = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *actor = NULL;

  if (!dsd_webhook_target_resolve_finish (result, &error))
    {
      dsd_request_respond_error (create->request, error);
      return;
    }

  actor = dsd_request_dup_actor_json (create->request);
  dsd_api_respond_query (create->request, create->context, 201, create_sql, 4,
                         (const char * const[]) {
                           actor, create->url, create->events, create->secret
                         });
}

static void
create_webhook_cb (DsdRequest *request,
                   gpointer    user_data)
{
  DsdContext *context = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(CreateWebhook) create = NULL;
  g_autoptr(GUri) uri = NULL;
  g_autofree char *events = NULL;
  g_autofree char *secret = NULL;
  const char *url = NULL;
  JsonObject *body;

  body = dsd_request_get_json_object (request, &error);
  if (body == NULL ||
      !dispatch_json_get_string (body, NULL, "url", DISPATCH_JSON_REQUIRED,
                                 DISPATCH_WEBHOOK_URL_MAX_LENGTH, &url, &error) ||
      (events = read_events (body, &error)) == NULL ||
      (secret = read_secret (body, &error)) == NULL)
    {
      dsd_request_respond_error (request, error);
      return;
    }

  uri = dsd_webhook_target_parse (url, &error);
  if (uri == NULL)
    {
      dsd_request_respond_error (request, error);
      return;
    }

  create = g_new0 (CreateWebhook, 1);
  create->request = dsd_request_ref (request);
  create->context = context;
  create->url = g_strdup (url);
  create->events = g_steal_pointer (&events);
  create->secret = g_steal_pointer (&secret);

  dsd_webhook_target_resolve_async (uri, dsd_context_get_config (context)->webhook_allow_private,
                                    NULL, target_checked_cb, g_steal_pointer (&create));
}

static void
list_webhooks_cb (DsdRequest *request,
                  gpointer    user_data)
{
  dsd_api_respond_page (request, user_data, list_sql, NULL);
}

static void
get_webhook_cb (DsdRequest *request,
                gpointer    user_data)
{
  g_autofree char *actor = dsd_request_dup_actor_json (request);

  dsd_api_respond_query (request, user_data, 200, get_sql, 2,
                         (const char * const[]) { actor, dsd_request_get_param (request, "id") });
}

static void
delete_webhook_cb (DsdRequest *request,
                   gpointer    user_data)
{
  dsd_api_respond_delete (request, user_data, delete_sql);
}

static void
list_dead_letters_cb (DsdRequest *request,
                      gpointer    user_data)
{
  dsd_api_respond_page (request, user_data, dead_letters_sql,
                        dsd_request_get_param (request, "id"));
}

static void
retry_dead_letter_cb (DsdRequest *request,
                      gpointer    user_data)
{
  g_autofree char *actor = dsd_request_dup_actor_json (request);

  dsd_api_respond_query (request, user_data, 202, retry_sql, 3,
                         (const char * const[]) {
                           actor, dsd_request_get_param (request, "id"),
                           dsd_request_get_param (request, "dead_letter_id")
                         });
}

void
dsd_api_register_webhooks (DsdRouter  *router,
                           DsdContext *context)
{
  dsd_router_add (router, "POST", "/api/v1/webhooks", DSD_ROLE_ADMIN,
                  create_webhook_cb, context);
  dsd_router_add (router, "GET", "/api/v1/webhooks", DSD_ROLE_ADMIN,
                  list_webhooks_cb, context);
  dsd_router_add (router, "GET", "/api/v1/webhooks/{id}", DSD_ROLE_ADMIN,
                  get_webhook_cb, context);
  dsd_router_add (router, "DELETE", "/api/v1/webhooks/{id}", DSD_ROLE_ADMIN,
                  delete_webhook_cb, context);
  dsd_router_add (router, "GET", "/api/v1/webhooks/{id}/dead-letters", DSD_ROLE_ADMIN,
                  list_dead_letters_cb, context);
  dsd_router_add (router, "POST", "/api/v1/webhooks/{id}/dead-letters/{dead_letter_id}/retry",
                  DSD_ROLE_ADMIN, retry_dead_letter_cb, context);
}
