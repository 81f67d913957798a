/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The authorisation matrix (TARGETS R7, issue 16 item 12): every route and
 * stream × admin, dispatcher, driver, customer, anonymous × own/other, from
 * the one table tests/data/authz-matrix.json. The table must cover every
 * route the server registers and every operation of docs/openapi.json, so a
 * new endpoint without a row fails here.
 */
#include <string.h>

#include "dispatch-png.h"
#include "dsd-api.h"
#include "dsd-eta-tracker.h"
#include "dsd-event-bus.h"
#include "dsd-fleet.h"
#include "dsd-location-ingest.h"
#include "dsd-pg-pool.h"
#include "dsd-streams.h"
#include "dsd-token-issuer.h"
#include "dsd-tracking-page.h"
#include "test-server.h"
#include "test-websocket.h"

#define PASSWORD "authz-matrix-password"

typedef struct {
  const char *role;
  char       *username;
  char       *password;
  char       *user_id;
  char       *token;
  char       *driver_id;
  char       *customer_id;
} Principal;

typedef struct {
  Principal  principals[7];   /* admin, dispatcher, driver ×2, customer ×2, victim */
  char      *order[2];        /* of customer 0 assigned to driver 0; of 1 to 1 */
  char      *tracking_token;
  char      *sku;
  char      *webhook_id;
} Fixtures;

enum { ADMIN, DISPATCHER, DRIVER, OTHER_DRIVER, CUSTOMER, OTHER_CUSTOMER, VICTIM };

static DsdTestServer *server;
static Fixtures fx;

static char *
matrix_path (void)
{
  return g_build_filename (g_getenv ("DISPATCH_TEST_TOP_SRCDIR"), "tests", "data",
                           "authz-matrix.json", NULL);
}

static JsonNode *
load_json (const char *path)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  json_parser_load_from_file (parser, path, &error);
  g_assert_no_error (error);
  return json_node_copy (json_parser_get_root (parser));
}

/* "/api/v1/orders/{id}" → "/api/v1/orders/{}": placeholder names differ. */
static char *
route_key (const char *method,
           const char *path)
{
  g_autoptr(GString) key = g_string_new (method);

  g_string_ascii_up (key);
  g_string_append_c (key, ' ');
  for (const char *p = path; *p != '\0'; p++)
    {
      g_string_append_c (key, *p);
      if (*p == '{')
        {
          while (*p != '\0' && *p != '}')
            p++;
          g_string_append_c (key, '}');
        }
    }

  return g_string_free (g_steal_pointer (&key), FALSE);
}

static GHashTable *
matrix_keys (JsonArray *rows,
             gboolean   openapi_only)
{
  GHashTable *keys = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; i < json_array_get_length (rows); i++)
    {
      JsonObject *row = json_array_get_object_element (rows, i);

      if (openapi_only && !json_object_get_boolean_member_with_default (row, "openapi", TRUE))
        continue;
      g_assert_true (g_hash_table_add (keys,
                                       route_key (json_object_get_string_member (row, "method"),
                                                  json_object_get_string_member (row, "path"))));
    }

  return keys;
}

static void
assert_same_keys (GHashTable *matrix,
                  GHashTable *other,
                  const char *what)
{
  GHashTableIter iter;
  const char *key;

  g_hash_table_iter_init (&iter, other);
  while (g_hash_table_iter_next (&iter, (gpointer *) &key, NULL))
    if (!g_hash_table_contains (matrix, key))
      g_error ("%s has %s, which has no row in tests/data/authz-matrix.json", what, key);

  g_hash_table_iter_init (&iter, matrix);
  while (g_hash_table_iter_next (&iter, (gpointer *) &key, NULL))
    if (!g_hash_table_contains (other, key))
      g_error ("tests/data/authz-matrix.json has %s, which %s does not have", key, what);
}

/* Every row is an operation of the OpenAPI document (but the tracking page's
 * static files) and every operation has its row. */
static void
test_matrix_covers_openapi (void)
{
  g_autofree char *path = matrix_path ();
  g_autofree char *openapi_path = g_build_filename (g_getenv ("DISPATCH_TEST_TOP_SRCDIR"),
                                                    "docs", "openapi.json", NULL);
  g_autoptr(JsonNode) matrix = load_json (path);
  g_autoptr(JsonNode) openapi = load_json (openapi_path);
  JsonArray *rows = json_object_get_array_member (json_node_get_object (matrix), "rows");
  JsonObject *paths = json_object_get_object_member (json_node_get_object (openapi), "paths");
  g_autoptr(GHashTable) keys = matrix_keys (rows, TRUE);
  g_autoptr(GHashTable) operations = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                            NULL);
  static const char * const methods[] = { "get", "post", "put", "patch", "delete", NULL };
  JsonObjectIter iter;
  const char *name;
  JsonNode *item;

  json_object_iter_init (&iter, paths);
  while (json_object_iter_next (&iter, &name, &item))
    for (guint i = 0; methods[i] != NULL; i++)
      if (json_object_has_member (json_node_get_object (item), methods[i]))
        g_hash_table_add (operations, route_key (methods[i], name));

  assert_same_keys (keys, operations, "docs/openapi.json");
}

/* Every route the server registers has its row, and every row is a route. */
static void
test_matrix_covers_routes (void)
{
  g_autofree char *path = matrix_path ();
  g_autoptr(JsonNode) matrix = load_json (path);
  JsonArray *rows = json_object_get_array_member (json_node_get_object (matrix), "rows");
  g_autoptr(GHashTable) keys = matrix_keys (rows, FALSE);
  g_autoptr(GHashTable) routes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(DsdConfig) config = dsd_config_new ();
  g_autoptr(GBytes) secret = g_bytes_new_static ("0123456789abcdef0123456789abcdef", 32);
  g_autoptr(DsdClock) clock = dsd_clock_new ();
  g_autoptr(DsdTokenIssuer) tokens = dsd_token_issuer_new (clock, secret, 60);
  g_autoptr(DsdPgPool) pool = dsd_pg_pool_new ("host=/nonexistent dbname=none", 1);
  g_autoptr(DsdEventBus) bus = dsd_event_bus_new ();
  g_autoptr(DsdFleet) fleet = dsd_fleet_new (bus);
  g_autoptr(DsdLocationIngest) ingest = dsd_location_ingest_new ("host=/nonexistent", fleet,
                                                                 bus);
  g_autoptr(DsdEtaTracker) eta = dsd_eta_tracker_new (fleet, bus, pool);
  g_autoptr(DsdContext) context = dsd_context_new (config, clock);
  g_autoptr(DsdAccountStates) accounts = NULL;
  g_autoptr(DsdRouter) router = dsd_router_new ();
  g_autoptr(DsdStreams) streams = NULL;
  g_autoptr(DsdTrackingPage) page = NULL;
  g_auto(GStrv) list = NULL;

  /* The services and routes of the daemon's api role (server/daemon/dsd-daemon.c). */
  dsd_context_add (context, pool);
  dsd_context_add (context, tokens);
  dsd_context_add (context, bus);
  dsd_context_add (context, fleet);
  dsd_context_add (context, ingest);
  dsd_context_add (context, eta);
  accounts = dsd_api_accounts_new (context);
  dsd_context_add (context, accounts);
  dsd_api_register_all (router, context);
  streams = dsd_streams_new (context);
  dsd_streams_register (streams, router);
  page = dsd_tracking_page_new (context);
  dsd_tracking_page_register (page, router);

  list = dsd_router_list (router);
  for (guint i = 0; list[i] != NULL; i++)
    {
      char *space = strchr (list[i], ' ');

      *space = '\0';
      g_hash_table_add (routes, route_key (list[i], space + 1));
    }

  assert_same_keys (keys, routes, "the server's router");
}

/* Fixtures ------------------------------------------------------------------ */

static void
sign_in (Principal *principal)
{
  g_free (principal->token);
  principal->token = dsd_test_login (server, principal->username, principal->password);
}

static void
new_principal (Principal  *principal,
               const char *role)
{
  g_autofree char *body = NULL;
  g_autoptr(DsdTestResponse) created = NULL;
  JsonObject *user;

  principal->role = role;
  principal->username = dsd_test_unique_name (role);
  principal->password = g_strdup (PASSWORD);
  body = g_strdup_printf ("{\"username\":\"%s\",\"password\":\"%s\",\"role\":\"%s\"}",
                          principal->username, PASSWORD, role);
  created = dsd_test_request (server, "POST", "/api/v1/users",
                              dsd_test_server_get_admin_token (server), body, NULL);
  g_assert_cmpuint (created->status, ==, 201);
  user = dsd_test_response_object (created);
  principal->user_id = g_strdup (json_object_get_string_member (user, "id"));
  principal->driver_id = g_strdup (json_object_get_string_member (user, "driver_id"));
  principal->customer_id = g_strdup (json_object_get_string_member (user, "customer_id"));
  sign_in (principal);
}

static void
admin_ok (const char *method,
          const char *path,
          const char *body,
          guint       status)
{
  g_autoptr(DsdTestResponse) response = dsd_test_request (server, method, path,
                                                          fx.principals[ADMIN].token, body,
                                                          NULL);

  g_assert_cmpuint (response->status, ==, status);
}

static void
go_online (Principal *driver)
{
  g_autofree char *online = g_strdup_printf ("/api/v1/drivers/%s/online", driver->driver_id);
  g_autofree char *location = g_strdup_printf ("/api/v1/drivers/%s/location",
                                               driver->driver_id);

  admin_ok ("POST", online, "{\"online\":true}", 200);
  admin_ok ("POST", location, "{\"lat\":52.52,\"lon\":13.40}", 202);
}

/* An order of customer (0 or 1) assigned to the driver of the same index. */
static char *
new_order (guint   index,
           char  **out_tracking_token)
{
  Principal *customer = &fx.principals[CUSTOMER + index];
  Principal *driver = &fx.principals[DRIVER + index];
  g_autoptr(DsdTestResponse) created = NULL;
  g_autofree char *assign = NULL;
  g_autofree char *body = NULL;

  created = dsd_test_request (server, "POST", "/api/v1/orders", customer->token,
                              "{\"pickup\":{\"lat\":52.52,\"lon\":13.40},"
                              "\"dropoff\":{\"lat\":52.53,\"lon\":13.41}}", NULL);
  g_assert_cmpuint (created->status, ==, 201);
  assign = g_strdup_printf ("/api/v1/orders/%s/assign", dsd_test_response_string (created, "id"));
  body = g_strdup_printf ("{\"driver_id\":\"%s\"}", driver->driver_id);
  admin_ok ("POST", assign, body, 200);

  if (out_tracking_token != NULL)
    *out_tracking_token = g_strdup (dsd_test_response_string (created, "tracking_token"));
  return g_strdup (dsd_test_response_string (created, "id"));
}

static char *
new_webhook (void)
{
  g_autoptr(DsdTestResponse) created = NULL;

  created = dsd_test_request (server, "POST", "/api/v1/webhooks", fx.principals[ADMIN].token,
                              "{\"url\":\"http://127.0.0.1:9/hook\",\"events\":[\"alert\"]}",
                              NULL);
  g_assert_cmpuint (created->status, ==, 201);
  return g_strdup (dsd_test_response_string (created, "id"));
}

static void
make_fixtures (void)
{
  Principal *admin = &fx.principals[ADMIN];
  g_autoptr(DsdTestResponse) login = NULL;
  g_autofree char *body = NULL;

  admin->role = "admin";
  admin->username = g_strdup ("admin");
  admin->password = g_strdup (dsd_test_server_get_admin_password (server));
  body = g_strdup_printf ("{\"username\":\"admin\",\"password\":\"%s\"}", admin->password);
  login = dsd_test_request (server, "POST", "/api/v1/auth/token", NULL, body, NULL);
  g_assert_cmpuint (login->status, ==, 200);
  admin->user_id = g_strdup (dsd_test_response_string (login, "user_id"));
  admin->token = g_strdup (dsd_test_response_string (login, "access_token"));

  new_principal (&fx.principals[DISPATCHER], "dispatcher");
  new_principal (&fx.principals[DRIVER], "driver");
  new_principal (&fx.principals[OTHER_DRIVER], "driver");
  new_principal (&fx.principals[CUSTOMER], "customer");
  new_principal (&fx.principals[OTHER_CUSTOMER], "customer");
  new_principal (&fx.principals[VICTIM], "dispatcher");
  go_online (&fx.principals[DRIVER]);
  go_online (&fx.principals[OTHER_DRIVER]);

  fx.order[0] = new_order (0, &fx.tracking_token);
  fx.order[1] = new_order (1, NULL);
  fx.sku = dsd_test_unique_name ("sku");
  {
    g_autofree char *path = g_strdup_printf ("/api/v1/inventory/%s", fx.sku);

    admin_ok ("PUT", path, "{\"quantity\":5}", 200);
  }
  fx.webhook_id = new_webhook ();
}

/* One check ------------------------------------------------------------------ */

typedef struct {
  Principal  *principal;     /* NULL: anonymous */
  guint       side;          /* 0 own, 1 other */
  const char *label;
} Caller;

/* What fills a placeholder for this caller; fresh resources are made anew. */
static char *
resolve_id (const char *kind,
            Caller     *caller,
            gboolean    fresh)
{
  Principal *p = caller->principal;
  guint side = caller->side;

  if (g_str_equal (kind, "order"))
    return fresh ? new_order (side, NULL) : g_strdup (fx.order[side]);
  if (g_str_equal (kind, "driver"))
    {
      if (side == 0 && p != NULL && p->driver_id != NULL)
        return g_strdup (p->driver_id);
      return g_strdup (fx.principals[side == 0 ? DRIVER : OTHER_DRIVER].driver_id);
    }
  if (g_str_equal (kind, "user"))
    return g_strdup (side == 0 && p != NULL ? p->user_id : fx.principals[VICTIM].user_id);
  if (g_str_equal (kind, "webhook"))
    return fresh ? new_webhook () : g_strdup (fx.webhook_id);
  if (g_str_equal (kind, "sku"))
    return g_strdup (fx.sku);
  if (g_str_equal (kind, "tracking_token"))
    return g_strdup (fx.tracking_token);
  if (g_str_equal (kind, "asset"))
    return g_strdup ("tracking.css");
  if (g_str_equal (kind, "image"))
    return g_strdup ("marker-icon.png");
  if (g_str_equal (kind, "unknown"))
    return g_strdup ("00000000-0000-4000-8000-000000000000");

  g_error ("unknown id kind %s", kind);
}

/* ${name} in a body template. */
static char *
expand_body (const char *template,
             Caller     *caller)
{
  g_autoptr(GString) body = g_string_new (template);
  Principal *p = caller->principal;
  g_autofree char *unique = dsd_test_unique_name ("authz");
  const char *values[][2] = {
    { "${victim_username}", fx.principals[VICTIM].username },
    { "${victim_password}", fx.principals[VICTIM].password },
    { "${password}", p != NULL ? p->password : PASSWORD },
    { "${unique}", unique },
    { "${driver_id}", fx.principals[DRIVER].driver_id },
    { "${other_driver_id}", fx.principals[OTHER_DRIVER].driver_id },
  };

  for (guint i = 0; i < G_N_ELEMENTS (values); i++)
    g_string_replace (body, values[i][0], values[i][1], 0);

  return g_string_free (g_steal_pointer (&body), FALSE);
}

static char *
expand_path (JsonObject *row,
             Caller     *caller)
{
  g_autoptr(GString) path = g_string_new (json_object_get_string_member (row, "path"));
  JsonObject *ids = json_object_has_member (row, "ids")
                      ? json_object_get_object_member (row, "ids") : NULL;
  gboolean fresh = json_object_get_boolean_member_with_default (row, "fresh", FALSE);
  JsonObjectIter iter;
  const char *name;
  JsonNode *kind;

  if (ids == NULL)
    return g_string_free (g_steal_pointer (&path), FALSE);

  json_object_iter_init (&iter, ids);
  while (json_object_iter_next (&iter, &name, &kind))
    {
      g_autofree char *placeholder = g_strdup_printf ("{%s}", name);
      g_autofree char *value = resolve_id (json_node_get_string (kind), caller, fresh);

      g_string_replace (path, placeholder, value, 1);
    }

  return g_string_free (g_steal_pointer (&path), FALSE);
}

static guint
call (JsonObject *row,
      Caller     *caller)
{
  g_autofree char *path = expand_path (row, caller);
  const char *token = caller->principal != NULL ? caller->principal->token : NULL;
  JsonNode *body = json_object_get_member (row, "body");
  g_autofree char *body_text = NULL;
  g_autoptr(DsdTestResponse) response = NULL;

  if (json_object_get_boolean_member_with_default (row, "websocket", FALSE))
    {
      g_autoptr(DsdTestWebsocket) socket = NULL;
      guint status = 0;

      socket = dsd_test_websocket_connect (server, path, token, &status);
      return socket != NULL ? 101 : status;
    }

  if (json_object_get_boolean_member_with_default (row, "image", FALSE))
    {
      static const guint8 pixel[3] = { 0x20, 0x80, 0x40 };
      g_autoptr(GBytes) png = dispatch_png_encode (1, 1, pixel);

      response = dsd_test_request_raw (server, json_object_get_string_member (row, "method"),
                                       path, token, "image/png", png, NULL);
      return response->status;
    }

  if (body != NULL)
    {
      g_autofree char *template = json_to_string (body, FALSE);

      body_text = expand_body (template, caller);
    }

  response = dsd_test_request (server, json_object_get_string_member (row, "method"), path,
                               token, body_text, NULL);
  return response->status;
}

static gboolean
matches (guint       status,
         JsonNode   *expected)
{
  if (JSON_NODE_HOLDS_VALUE (expected) && json_node_get_value_type (expected) == G_TYPE_STRING)
    return g_str_equal (json_node_get_string (expected), "ok") &&
           status != 401 && status != 403 && status != 404 && status < 500;

  return status == (guint) json_node_get_int (expected);
}

/* Runs every row for every caller; every mismatch is reported before failing. */
static void
test_matrix (void)
{
  g_autofree char *path = matrix_path ();
  g_autoptr(JsonNode) matrix = load_json (path);
  JsonArray *rows = json_object_get_array_member (json_node_get_object (matrix), "rows");
  static const struct {
    const char *role;
    int         principal[2];   /* own, other; -1: anonymous */
  } roles[] = {
    { "admin", { ADMIN, ADMIN } },
    { "dispatcher", { DISPATCHER, DISPATCHER } },
    { "driver", { DRIVER, DRIVER } },
    { "customer", { CUSTOMER, CUSTOMER } },
    { "anonymous", { -1, -1 } },
  };
  guint n_checks = 0, n_failed = 0;

  make_fixtures ();

  for (guint i = 0; i < json_array_get_length (rows); i++)
    {
      JsonObject *row = json_array_get_object_element (rows, i);
      JsonObject *expect = json_object_get_object_member (row, "expect");
      gboolean revokes = json_object_get_boolean_member_with_default (row, "revokes", FALSE);

      for (guint r = 0; r < G_N_ELEMENTS (roles); r++)
        {
          JsonNode *expected = json_object_get_member (expect, roles[r].role);
          gboolean sided = JSON_NODE_HOLDS_OBJECT (expected);

          g_assert_nonnull (expected);
          for (guint side = 0; side < (sided ? 2u : 1u); side++)
            {
              int index = roles[r].principal[side];
              Caller caller = { index >= 0 ? &fx.principals[index] : NULL, side, NULL };
              JsonNode *want = sided ? json_object_get_member (json_node_get_object (expected),
                                                               side == 0 ? "own" : "other")
                                     : expected;
              guint status = call (row, &caller);

              n_checks++;
              if (!matches (status, want))
                {
                  g_autofree char *want_text = json_to_string (want, FALSE);

                  n_failed++;
                  g_test_message ("MISMATCH %s %s as %s%s: got %u, want %s",
                                  json_object_get_string_member (row, "method"),
                                  json_object_get_string_member (row, "path"),
                                  roles[r].role, sided ? (side == 0 ? " (own)" : " (other)") : "",
                                  status, want_text);
                }
              if (revokes && caller.principal != NULL)
                sign_in (caller.principal);
            }
        }
    }

  g_test_message ("%u checks, %u mismatches", n_checks, n_failed);
  g_assert_cmpuint (n_failed, ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  int status;

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/authz/matrix-covers-openapi", test_matrix_covers_openapi);
  g_test_add_func ("/authz/matrix-covers-routes", test_matrix_covers_routes);
  g_test_add_func ("/authz/matrix", test_matrix);

  server = dsd_test_server_start ((const char * const[]) {
                                    "DISPATCH_ROLES=api,notifier,relay",
                                    "DISPATCH_WEBHOOK_ALLOW_PRIVATE=true",
                                    NULL
                                  });
  status = g_test_run ();
  dsd_test_server_free (server);

  return status;
}
