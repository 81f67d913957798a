/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-api"

#include "dispatch-email.h"
#include "dispatch-limits.h"
#include "dispatch-model.h"
#include "dsd-api.h"
#include "dsd-event-view.h"
#include "dsd-order-intake.h"
#include "dsd-order-times.h"
#include "dsd-pg-pool.h"

/* A cached order is invalidated by its events; its ETA (written without an
 * event) may be this old. */
#define ORDER_TTL_S 10

static const char get_sql[] =
  "SELECT dispatch.order_get($1::jsonb, $2)::text";
static const char list_sql[] =
  "SELECT dispatch.order_list($1::jsonb, $2, $3, $4, $5::int, $6, $7::timestamptz, $8)::text";
static const char patch_sql[] =
  "SELECT dispatch.order_patch($1::jsonb, $2, $3, $4, $5::jsonb)::text";
static const char action_sql[] =
  "SELECT dispatch.order_action($1::jsonb, $2, $3, $4, $5, $6::jsonb)::text";
static const char events_sql[] =
  "SELECT dispatch.order_events($1::jsonb, $2)::text";

/* {"lat","lon","address"?} */
static gboolean
read_place (JsonObject   *body,
            const char   *member,
            JsonBuilder  *builder,
            GError      **error)
{
  JsonObject *place = NULL;
  double lat = 0, lon = 0;

  if (!dispatch_json_get_object (body, NULL, member, DISPATCH_JSON_REQUIRED, &place, error) ||
      !dispatch_json_get_double (place, member, "lat", DISPATCH_JSON_REQUIRED, -90, 90,
                                 &lat, error) ||
      !dispatch_json_get_double (place, member, "lon", DISPATCH_JSON_REQUIRED, -180, 180,
                                 &lon, error))
    return FALSE;

  json_builder_set_member_name (builder, member);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "lat");
  json_builder_add_double_value (builder, lat);
  json_builder_set_member_name (builder, "lon");
  json_builder_add_double_value (builder, lon);
  if (!dsd_api_copy_string (place, member, "address", DISPATCH_JSON_OPTIONAL,
                            DISPATCH_ADDRESS_MAX_LENGTH,
                            builder, error))
    return FALSE;
  json_builder_end_object (builder);

  return TRUE;
}

static gboolean
read_items (JsonObject   *body,
            JsonBuilder  *builder,
            GError      **error)
{
  JsonArray *items = NULL;

  if (!dispatch_json_get_array (body, NULL, "items", DISPATCH_JSON_NULLABLE,
                                DISPATCH_ORDER_MAX_ITEMS,
                                &items, error))
    return FALSE;

  json_builder_set_member_name (builder, "items");
  json_builder_begin_array (builder);

  for (guint i = 0; items != NULL && i < json_array_get_length (items); i++)
    {
      g_autofree char *path = dispatch_json_index_path ("items", i);
      JsonNode *node = json_array_get_element (items, i);
      JsonObject *item;
      gint64 quantity = 0;
      gint64 price = -1;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        {
          dispatch_set_field_error (error, DISPATCH_ERROR_INVALID_ARGUMENT, path,
                                    "%s must be an object", path);
          return FALSE;
        }

      item = json_node_get_object (node);
      json_builder_begin_object (builder);
      if (!dsd_api_copy_string (item, path, "sku", DISPATCH_JSON_REQUIRED,
                                DISPATCH_SKU_MAX_LENGTH, builder, error) ||
          !dsd_api_copy_string (item, path, "name", DISPATCH_JSON_OPTIONAL,
                                DISPATCH_NAME_MAX_LENGTH, builder, error) ||
          !dispatch_json_get_int (item, path, "quantity", DISPATCH_JSON_REQUIRED,
                                  1, DISPATCH_ITEM_MAX_QUANTITY, &quantity, error) ||
          !dispatch_json_get_int (item, path, "price_cents", DISPATCH_JSON_NULLABLE,
                                  0, DISPATCH_ITEM_MAX_PRICE_CENTS, &price, error) ||
          !dsd_api_copy_double (item, path, "weight_kg", 0, DISPATCH_ITEM_MAX_WEIGHT_KG,
                                builder, error) ||
          !dsd_api_copy_double (item, path, "volume_l", 0, DISPATCH_ITEM_MAX_VOLUME_L,
                                builder, error))
        return FALSE;

      json_builder_set_member_name (builder, "quantity");
      json_builder_add_int_value (builder, quantity);
      json_builder_set_member_name (builder, "price_cents");
      if (price >= 0)
        json_builder_add_int_value (builder, price);
      else
        json_builder_add_null_value (builder);
      json_builder_end_object (builder);
    }

  json_builder_end_array (builder);
  return TRUE;
}

static gboolean
read_contact (JsonObject   *body,
              JsonBuilder  *builder,
              GError      **error)
{
  JsonObject *contact = NULL;
  const char *email = NULL;

  if (!dispatch_json_get_object (body, NULL, "contact", DISPATCH_JSON_NULLABLE, &contact, error))
    return FALSE;

  if (contact == NULL)
    return TRUE;

  if (!dispatch_json_get_string (contact, "contact", "email", DISPATCH_JSON_NULLABLE,
                                 DISPATCH_EMAIL_MAX_LENGTH,
                                 &email, error))
    return FALSE;

  if (email != NULL && !dispatch_email_address_is_valid (email))
    {
      dispatch_set_field_error (error, DISPATCH_ERROR_INVALID_ARGUMENT, "contact.email",
                                "contact.email must be an e-mail address");
      return FALSE;
    }

  json_builder_set_member_name (builder, "contact");
  json_builder_begin_object (builder);
  if (!dsd_api_copy_string (contact, "contact", "name", DISPATCH_JSON_OPTIONAL,
                            DISPATCH_NAME_MAX_LENGTH,
                            builder, error) ||
      !dsd_api_copy_string (contact, "contact", "email", DISPATCH_JSON_OPTIONAL,
                            DISPATCH_EMAIL_MAX_LENGTH,
                            builder, error) ||
      !dsd_api_copy_string (contact, "contact", "phone", DISPATCH_JSON_OPTIONAL,
                            DISPATCH_PHONE_MAX_LENGTH,
                            builder, error))
    return FALSE;
  json_builder_end_object (builder);

  return TRUE;
}

/* Validates a create request into the normalised body the SQL side takes. */
static char *
read_create_body (DsdRequest  *request,
                  DsdContext  *context,
                  GError     **error)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  const char *customer_id = NULL;
  gint64 priority = 0;
  JsonObject *body;

  body = dsd_request_get_json_object (request, error);
  if (body == NULL ||
      !dispatch_json_get_string (body, NULL, "customer_id", DISPATCH_JSON_NULLABLE,
                                 DISPATCH_ID_MAX_LENGTH,
                                 &customer_id, error))
    return NULL;

  /* A customer's own customer_id is the database's to fill in and check
   * (dispatch.order_create). */
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "customer_id");
  if (customer_id != NULL)
    json_builder_add_string_value (builder, customer_id);
  else
    json_builder_add_null_value (builder);

  if (!read_place (body, "pickup", builder, error) ||
      !read_place (body, "dropoff", builder, error) ||
      !read_items (body, builder, error) ||
      !read_contact (body, builder, error) ||
      !dsd_api_read_proof_spec (body, dsd_context_get_config (context), builder, error) ||
      !dsd_api_copy_string (body, NULL, "notes", DISPATCH_JSON_OPTIONAL,
                            DISPATCH_NOTES_MAX_LENGTH, builder, error) ||
      !dispatch_json_get_int (body, NULL, "priority", DISPATCH_JSON_NULLABLE, 0,
                              DISPATCH_PRIORITY_MAX,
                              &priority, error) ||
      !dsd_order_times_read (body, dsd_clock_get_real_us (dsd_context_get_clock (context)),
                             FALSE, builder, error))
    return NULL;

  json_builder_set_member_name (builder, "priority");
  json_builder_add_int_value (builder, priority);
  json_builder_end_object (builder);

  return dsd_api_builder_to_string (builder);
}

/* The arguments of a write whose body @read validated (NULL: @error says why):
 * the actor, its Idempotency-Key (may be NULL) and the request's hash; or
 * FALSE after answering the error. */
static gboolean
read_write_args (DsdRequest  *request,
                 const char  *body,
                 GError      *error,
                 char       **actor,
                 const char **key,
                 char       **hash)
{
  g_autoptr(GError) owned_error = error;

  if (body == NULL || !dsd_api_get_idempotency (request, body, key, hash, &owned_error))
    {
      dsd_request_respond_error (request, owned_error);
      return FALSE;
    }

  *actor = dsd_request_dup_actor_json (request);
  return TRUE;
}

/* Answers a write whose body @read validated (NULL: @error says why): with its
 * Idempotency-Key, runs @sql on (actor, key, request hash, @id, body). */
static void
respond_write (DsdRequest *request,
               DsdContext *context,
               char       *body,
               GError     *error,
               guint       status,
               const char *sql,
               const char *id)
{
  g_autofree char *owned_body = body;
  g_autofree char *actor = NULL;
  g_autofree char *hash = NULL;
  const char *key = NULL;

  if (read_write_args (request, owned_body, error, &actor, &key, &hash))
    dsd_api_respond_query (request, context, status, sql, 5,
                           (const char * const[]) { actor, key, hash, id, owned_body });
}

/* Orders go through the intake's group commit (dsd-order-intake.h). */
static void
create_order_cb (DsdRequest *request,
                 gpointer    user_data)
{
  GError *error = NULL;
  g_autofree char *body = read_create_body (request, user_data, &error);
  g_autofree char *actor = NULL;
  g_autofree char *hash = NULL;
  const char *key = NULL;

  if (read_write_args (request, body, error, &actor, &key, &hash))
    dsd_order_intake_submit (dsd_context_get (user_data, DSD_TYPE_ORDER_INTAKE), request,
                             actor, key, hash, body);
}

/* Validates a PATCH body (only what may change before pickup) into the
 * normalised object dispatch.order_patch takes: present members only, null
 * kept for notes, contact and the times (it clears them). */
static char *
read_patch_body (DsdRequest  *request,
                 DsdContext  *context,
                 GError     **error)
{
  static const char * const patchable[] = {
    "pickup", "dropoff", "notes", "priority", "contact", "ready_at", "deliver_after",
    "deliver_before", NULL
  };
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(GList) members = NULL;
  JsonObject *body;

  body = dsd_request_get_json_object (request, error);
  if (body == NULL)
    return NULL;

  members = json_object_get_members (body);
  for (GList *l = members; l != NULL; l = l->next)
    if (!g_strv_contains (patchable, l->data))
      {
        dispatch_set_field_error (error, DISPATCH_ERROR_INVALID_ARGUMENT, l->data,
                                  "%s cannot be changed; an order's pickup, dropoff, notes, "
                                  "priority, contact, ready_at, deliver_after and "
                                  "deliver_before can", (const char *) l->data);
        return NULL;
      }

  json_builder_begin_object (builder);
  if ((json_object_has_member (body, "pickup") &&
       !read_place (body, "pickup", builder, error)) ||
      (json_object_has_member (body, "dropoff") &&
       !read_place (body, "dropoff", builder, error)) ||
      (json_object_has_member (body, "notes") &&
       !dsd_api_copy_string (body, NULL, "notes", DISPATCH_JSON_OPTIONAL,
                             DISPATCH_NOTES_MAX_LENGTH, builder, error)) ||
      !dsd_order_times_read (body, dsd_clock_get_real_us (dsd_context_get_clock (context)),
                             TRUE, builder, error))
    return NULL;

  if (json_object_has_member (body, "priority"))
    {
      gint64 priority = 0;

      if (!dispatch_json_get_int (body, NULL, "priority", DISPATCH_JSON_REQUIRED, 0,
                                  DISPATCH_PRIORITY_MAX, &priority, error))
        return NULL;
      json_builder_set_member_name (builder, "priority");
      json_builder_add_int_value (builder, priority);
    }

  if (json_object_has_member (body, "contact"))
    {
      if (!read_contact (body, builder, error))
        return NULL;
      if (json_object_get_null_member (body, "contact"))
        {
          json_builder_set_member_name (builder, "contact");
          json_builder_add_null_value (builder);
        }
    }
  json_builder_end_object (builder);

  return dsd_api_builder_to_string (builder);
}

static void
patch_order_cb (DsdRequest *request,
                gpointer    user_data)
{
  GError *error = NULL;
  char *body = read_patch_body (request, user_data, &error);

  respond_write (request, user_data, body, error, 200, patch_sql,
                 dsd_request_get_param (request, "id"));
}

static void
get_order_cb (DsdRequest *request,
              gpointer    user_data)
{
  g_autofree char *actor = dsd_request_dup_actor_json (request);
  const char *id = dsd_request_get_param (request, "id");

  dsd_api_respond_cached (request, user_data, "order", id, id, ORDER_TTL_S, get_sql, 2,
                          (const char * const[]) { actor, id });
}

/* ?status=pending or a comma-separated list such as pending,assigned */
static gboolean
validate_status_filter (const char  *filter,
                        GError     **error)
{
  g_auto(GStrv) statuses = g_strsplit (filter, ",", -1);
  DispatchOrderStatus parsed;

  for (guint i = 0; statuses[i] != NULL; i++)
    {
      if (!dispatch_order_status_from_string (statuses[i], &parsed))
        {
          const char * const *names = dispatch_enum_names (DISPATCH_TYPE_ORDER_STATUS);
          g_autofree char *allowed = g_strjoinv (", ", (char **) names);

          dispatch_set_field_error (error, DISPATCH_ERROR_INVALID_ARGUMENT, "status",
                                    "status must be one or more of %s, comma-separated", allowed);
          return FALSE;
        }
    }

  return TRUE;
}

static void
list_orders_cb (DsdRequest *request,
                gpointer    user_data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *actor = dsd_request_dup_actor_json (request);
  g_autofree char *limit_text = NULL;
  g_autofree char *closed_since = NULL;
  const char *status = dsd_request_get_query (request, "status");
  const char *customer_id = dsd_request_get_query (request, "customer_id");
  const char *query = dsd_request_get_query (request, "q");
  int limit;

  if (customer_id != NULL &&
      (*customer_id == '\0' || g_utf8_strlen (customer_id, -1) > DISPATCH_ID_MAX_LENGTH))
    dispatch_set_field_error (&error, DISPATCH_ERROR_INVALID_ARGUMENT, "customer_id",
                              "customer_id must be 1 to %d characters", DISPATCH_ID_MAX_LENGTH);
  else if (query != NULL && g_utf8_strlen (query, -1) > DISPATCH_SEARCH_MAX_LENGTH)
    dispatch_set_field_error (&error, DISPATCH_ERROR_INVALID_ARGUMENT, "q",
                              "q must be at most %d characters", DISPATCH_SEARCH_MAX_LENGTH);

  if (error != NULL ||
      !dsd_api_get_limit (request, &limit, &error) ||
      !dsd_api_get_time_query (request, "closed_since", &closed_since, &error) ||
      (status != NULL && !validate_status_filter (status, &error)))
    {
      dsd_request_respond_error (request, error);
      return;
    }

  /* an empty search is no search */
  if (query != NULL && *query == '\0')
    query = NULL;

  limit_text = g_strdup_printf ("%d", limit);
  dsd_api_respond_query (request, user_data, 200, list_sql, 8,
                         (const char * const[]) {
                           actor, status, customer_id,
                           dsd_request_get_query (request, "driver_id"),
                           limit_text,
                           dsd_request_get_query (request, "next"),
                           closed_since, query,
                         });
}

static void
events_for_role_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(DsdRequest) request = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) rows = NULL;
  g_autoptr(JsonObject) body = NULL;
  g_autoptr(JsonNode) root = NULL;
  DsdRole role = dsd_request_get_principal (request)->role;
  JsonArray *events;

  rows = dsd_pg_pool_query_finish (DSD_PG_POOL (source), result, &error);
  if (rows != NULL)
    body = dispatch_json_parse_object (PQgetvalue (rows, 0, 0), PQgetlength (rows, 0, 0),
                                       &error);
  if (body == NULL)
    {
      dsd_request_respond_error (request, error);
      return;
    }

  events = json_object_get_array_member (body, "events");
  for (guint i = 0; i < json_array_get_length (events); i++)
    {
      JsonObject *event = json_array_get_object_element (events, i);

      dsd_event_view_redact (json_object_get_object_member (event, "data"), role);
    }

  root = json_node_init_object (json_node_alloc (), body);
  dsd_request_respond_json (request, 200, root);
}

/* Staff get the events as stored; the others through dsd-event-view.h. */
static void
order_events_cb (DsdRequest *request,
                 gpointer    user_data)
{
  DsdContext *context = user_data;
  g_autofree char *actor = dsd_request_dup_actor_json (request);
  const char * const params[] = { actor, dsd_request_get_param (request, "id") };

  if ((dsd_request_get_principal (request)->role & DSD_ROLES_STAFF) != 0)
    dsd_api_respond_query (request, context, 200, events_sql, 2, params);
  else
    dsd_pg_pool_query_async (dsd_context_get (context, DSD_TYPE_PG_POOL), events_sql, 2, params,
                             NULL, events_for_role_cb, dsd_request_ref (request));
}

/* The arguments of each action, validated into the object order_action takes. */
static char *
read_action_args (DsdRequest  *request,
                  const char  *action,
                  GError     **error)
{
  static const char * const reportable[] = { "picked_up", "delivered", "failed", NULL };
  /* FailureReasonCode of docs/openapi.json; dispatch.proof_failure_code() */
  static const char * const failure_codes[] = {
    "customer_absent", "wrong_address", "refused", "damaged", "unsafe_location",
    "vehicle_problem", "pin_locked", "other", NULL
  };
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  GBytes *raw = dsd_request_get_body (request);
  JsonObject *body = NULL;

  /* Actions without arguments accept an empty body as well as {}. */
  if (raw != NULL && g_bytes_get_size (raw) > 0)
    {
      body = dsd_request_get_json_object (request, error);
      if (body == NULL)
        return NULL;
    }
  else if (g_str_equal (action, "assign") || g_str_equal (action, "status") ||
           g_str_equal (action, "hold") || g_str_equal (action, "exclude"))
    {
      dispatch_set_field_error (error, DISPATCH_ERROR_INVALID_ARGUMENT, NULL,
                                "a JSON body is required");
      return NULL;
    }

  json_builder_begin_object (builder);

  if (g_str_equal (action, "assign") || g_str_equal (action, "exclude"))
    {
      if (!dsd_api_copy_string (body, NULL, "driver_id", DISPATCH_JSON_REQUIRED,
                                DISPATCH_ID_MAX_LENGTH, builder, error))
        return NULL;
    }
  else if (g_str_equal (action, "hold"))
    {
      gboolean hold;

      if (!dispatch_json_get_boolean (body, NULL, "hold", DISPATCH_JSON_REQUIRED, &hold, error))
        return NULL;

      json_builder_set_member_name (builder, "hold");
      json_builder_add_boolean_value (builder, hold);
    }
  else if (g_str_equal (action, "status"))
    {
      const char *status = NULL;
      const char *code = NULL;

      if (!dispatch_json_get_enum (body, NULL, "status", DISPATCH_JSON_REQUIRED, reportable,
                                   &status, error) ||
          !dsd_api_copy_string (body, NULL, "reason", DISPATCH_JSON_OPTIONAL,
                                DISPATCH_REASON_MAX_LENGTH, builder, error) ||
          !dispatch_json_get_enum (body, NULL, "reason_code", DISPATCH_JSON_NULLABLE,
                                   failure_codes, &code, error))
        return NULL;

      if (code != NULL)
        {
          json_builder_set_member_name (builder, "reason_code");
          json_builder_add_string_value (builder, code);
        }

      json_builder_set_member_name (builder, "status");
      json_builder_add_string_value (builder, status);
    }
  else if (g_str_equal (action, "cancel") || g_str_equal (action, "decline") ||
           g_str_equal (action, "unassign"))
    {
      if (body != NULL &&
          !dsd_api_copy_string (body, NULL, "reason", DISPATCH_JSON_OPTIONAL,
                                DISPATCH_REASON_MAX_LENGTH, builder, error))
        return NULL;
    }

  json_builder_end_object (builder);
  return dsd_api_builder_to_string (builder);
}

static void
order_action_cb (DsdRequest *request,
                 gpointer    user_data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *actor = dsd_request_dup_actor_json (request);
  g_autofree char *args = NULL;
  g_autofree char *hash = NULL;
  const char *path = dsd_request_get_path (request);
  const char *action = strrchr (path, '/') + 1;   /* the routes end in the action's name */
  const char *key = NULL;

  args = read_action_args (request, action, &error);
  if (args == NULL || !dsd_api_get_idempotency (request, args, &key, &hash, &error))
    {
      dsd_request_respond_error (request, error);
      return;
    }

  dsd_api_respond_query (request, user_data, 200, action_sql, 6,
                         (const char * const[]) {
                           actor, key, hash, dsd_request_get_param (request, "id"), action, args
                         });
}

void
dsd_api_register_orders (DsdRouter  *router,
                         DsdContext *context)
{
  static const struct {
    const char *pattern;
    guint roles;
  } actions[] = {
    { "/api/v1/orders/{id}/assign", DSD_ROLES_STAFF },
    { "/api/v1/orders/{id}/unassign", DSD_ROLES_STAFF },
    { "/api/v1/orders/{id}/accept", DSD_ROLE_DRIVER },
    { "/api/v1/orders/{id}/decline", DSD_ROLE_DRIVER },
    { "/api/v1/orders/{id}/status", DSD_ROLES_STAFF | DSD_ROLE_DRIVER },
    { "/api/v1/orders/{id}/cancel", DSD_ROLES_STAFF | DSD_ROLE_CUSTOMER },
    { "/api/v1/orders/{id}/hold", DSD_ROLES_STAFF },
    { "/api/v1/orders/{id}/exclude", DSD_ROLES_STAFF },
  };

  g_autoptr(DsdOrderIntake) intake = dsd_order_intake_new (context);

  dsd_context_add (context, intake);
  dsd_router_add (router, "POST", "/api/v1/orders",
                  DSD_ROLES_STAFF | DSD_ROLE_CUSTOMER, create_order_cb, context);
  dsd_router_add (router, "GET", "/api/v1/orders", DSD_ROLES_ANY, list_orders_cb, context);
  dsd_router_add (router, "GET", "/api/v1/orders/{id}", DSD_ROLES_ANY, get_order_cb, context);
  dsd_router_add (router, "PATCH", "/api/v1/orders/{id}", DSD_ROLES_STAFF, patch_order_cb,
                  context);
  dsd_router_add (router, "GET", "/api/v1/orders/{id}/events", DSD_ROLES_ANY,
                  order_events_cb, context);

  for (guint i = 0; i < G_N_ELEMENTS (actions); i++)
    dsd_router_add (router, "POST", actions[i].pattern, actions[i].roles,
                    order_action_cb, context);
}
