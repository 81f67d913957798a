/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "dispatch-json.h"
#include "dispatch-limits.h"
#include "test-server.h"

static DsdTestServer *server;

#define ORDER_BODY \
  "{\"pickup\":{\"lat\":52.52,\"lon\":13.405,\"address\":\"Alexanderplatz 1\"}," \
  "\"dropoff\":{\"lat\":52.50,\"lon\":13.37}," \
  "\"items\":[{\"sku\":\"untracked-sku\",\"name\":\"Pizza\",\"quantity\":2,\"price_cents\":1200}]," \
  "\"notes\":\"ring twice\",\"priority\":3,\"contact\":{\"name\":\"Ada\"}}"

static char *
create_order (const char *token,
              const char *body)
{
  g_autoptr(DsdTestResponse) response = NULL;

  response = dsd_test_request (server, "POST", "/api/v1/orders", token, body, NULL);
  if (response->status != 201)
    g_error ("Order creation failed: %u %s", response->status, response->text);

  return g_strdup (dsd_test_response_string (response, "id"));
}

static char *
order_path (const char *id,
            const char *suffix)
{
  return g_strdup_printf ("/api/v1/orders/%s%s", id, suffix ? suffix : "");
}

static void
test_create_and_get (void)
{
  g_autofree char *customer_id = NULL;
  g_autofree char *token = dsd_test_create_user (server, "customer", NULL, &customer_id);
  g_autoptr(DsdTestResponse) created = NULL;
  g_autoptr(DsdTestResponse) fetched = NULL;
  g_autofree char *path = NULL;
  JsonObject *order, *pickup;

  created = dsd_test_request (server, "POST", "/api/v1/orders", token, ORDER_BODY, NULL);
  g_assert_cmpuint (created->status, ==, 201);
  order = dsd_test_response_object (created);
  g_assert_cmpstr (json_object_get_string_member (order, "status"), ==, "pending");
  g_assert_cmpstr (json_object_get_string_member (order, "customer_id"), ==, customer_id);
  g_assert_cmpint (json_object_get_int_member (order, "priority"), ==, 3);
  g_assert_cmpint (json_object_get_int_member (order, "assignment_attempts"), ==, 0);
  g_assert_true (JSON_NODE_HOLDS_NULL (json_object_get_member (order, "driver_id")));
  g_assert_cmpuint (strlen (json_object_get_string_member (order, "tracking_token")), >=, 16);
  pickup = json_object_get_object_member (order, "pickup");
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (pickup, "lat"), 52.52, 1e-9);
  g_assert_cmpstr (json_object_get_string_member (pickup, "address"), ==, "Alexanderplatz 1");
  g_assert_cmpint (json_array_get_length (json_object_get_array_member (order, "items")), ==, 1);
  g_assert_nonnull (json_object_get_string_member (order, "created_at"));

  path = order_path (json_object_get_string_member (order, "id"), NULL);
  fetched = dsd_test_request (server, "GET", path, token, NULL, NULL);
  g_assert_cmpuint (fetched->status, ==, 200);
  g_assert_cmpstr (dsd_test_response_string (fetched, "id"), ==,
                   json_object_get_string_member (order, "id"));
}

static void
test_validation (void)
{
  g_autofree char *token = dsd_test_create_user (server, "customer", NULL, NULL);
  static const struct {
    const char *body;
    const char *field;
  } cases[] = {
    { "{\"pickup\":{\"lat\":91,\"lon\":0},\"dropoff\":{\"lat\":0,\"lon\":0}}", "pickup.lat" },
    { "{\"pickup\":{\"lat\":0,\"lon\":-180.5},\"dropoff\":{\"lat\":0,\"lon\":0}}", "pickup.lon" },
    { "{\"pickup\":{\"lat\":\"52\",\"lon\":0},\"dropoff\":{\"lat\":0,\"lon\":0}}", "pickup.lat" },
    { "{\"pickup\":{\"lat\":0,\"lon\":0}}", "dropoff" },
    { "{\"pickup\":{\"lat\":1e999,\"lon\":0},\"dropoff\":{\"lat\":0,\"lon\":0}}", NULL },
    { "{\"pickup\":{\"lat\":0,\"lon\":0},\"dropoff\":{\"lat\":0,\"lon\":0},\"priority\":10}",
      "priority" },
    { "{\"pickup\":{\"lat\":0,\"lon\":0},\"dropoff\":{\"lat\":0,\"lon\":0},"
      "\"items\":[{\"sku\":\"a\",\"quantity\":0}]}", "items[0].quantity" },
    { "{\"pickup\":{\"lat\":0,\"lon\":0},\"dropoff\":{\"lat\":0,\"lon\":0},"
      "\"items\":[{\"sku\":\"a\",\"quantity\":1.5}]}", "items[0].quantity" },
    { "{\"pickup\":{\"lat\":0,\"lon\":0},\"dropoff\":{\"lat\":0,\"lon\":0},"
      "\"items\":[{\"quantity\":1}]}", "items[0].sku" },
    { "{\"pickup\":{\"lat\":0,\"lon\":0},\"dropoff\":{\"lat\":0,\"lon\":0},"
      "\"contact\":{\"email\":\"not-an-address\"}}", "contact.email" },
    /* What the mailer could not write into a header */
    { "{\"pickup\":{\"lat\":0,\"lon\":0},\"dropoff\":{\"lat\":0,\"lon\":0},"
      "\"contact\":{\"email\":\"a:b@example.org\"}}", "contact.email" },
    { "{\"pickup\":{\"lat\":0,\"lon\":0},\"dropoff\":{\"lat\":0,\"lon\":0},"
      "\"contact\":{\"email\":\"@example.org\"}}", "contact.email" },
    { "[1,2,3]", NULL },
    { "{\"pickup\":", NULL },
    { "", NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(DsdTestResponse) response = NULL;

      response = dsd_test_request (server, "POST", "/api/v1/orders", token, cases[i].body, NULL);
      g_test_message ("case %u: %s → %u %s", i, cases[i].body, response->status, response->text);
      dsd_test_assert_error (response, 400, "invalid_argument", cases[i].field);
    }
}

/* An order whose member (a JSON value) sits at "member": 201 or the 400 of field */
static void
assert_create (const char *token,
               const char *member,
               const char *value,
               const char *field)
{
  g_autofree char *body = g_strdup_printf ("{\"pickup\":{\"lat\":0,\"lon\":0},"
                                           "\"dropoff\":{\"lat\":0,\"lon\":0},"
                                           "\"%s\":%s}", member, value);
  g_autoptr(DsdTestResponse) response = NULL;

  response = dsd_test_request (server, "POST", "/api/v1/orders", token, body, NULL);
  g_test_message ("%s of %zu bytes → %u", member, strlen (value), response->status);
  if (field == NULL)
    g_assert_cmpuint (response->status, ==, 201);
  else
    dsd_test_assert_error (response, 400, "invalid_argument", field);
}

static char *
json_string_of_length (guint length)
{
  g_autofree char *text = g_strnfill (length, 'x');

  return g_strdup_printf ("\"%s\"", text);
}

static char *
items_of (guint n,
          guint sku_length)
{
  g_autofree char *sku = g_strnfill (sku_length, 's');
  g_autoptr(GString) items = g_string_new ("[");

  for (guint i = 0; i < n; i++)
    g_string_append_printf (items, "%s{\"sku\":\"%s\",\"quantity\":1}",
                            i > 0 ? "," : "", sku);
  g_string_append_c (items, ']');

  return g_string_free (g_steal_pointer (&items), FALSE);
}

/* Each limit of dispatch-limits.h holds through C, SQL and the CHECK
 * constraints: its value is accepted, one more is refused by the API. */
static void
test_limits (void)
{
  g_autofree char *dispatcher = dsd_test_create_user (server, "dispatcher", NULL, NULL);
  g_autofree char *notes = json_string_of_length (DISPATCH_NOTES_MAX_LENGTH);
  g_autofree char *long_notes = json_string_of_length (DISPATCH_NOTES_MAX_LENGTH + 1);
  g_autofree char *customer = json_string_of_length (DISPATCH_ID_MAX_LENGTH);
  g_autofree char *long_customer = json_string_of_length (DISPATCH_ID_MAX_LENGTH + 1);
  g_autofree char *items = items_of (DISPATCH_ORDER_MAX_ITEMS, DISPATCH_SKU_MAX_LENGTH);
  g_autofree char *many_items = items_of (DISPATCH_ORDER_MAX_ITEMS + 1, 1);
  g_autofree char *long_sku = items_of (1, DISPATCH_SKU_MAX_LENGTH + 1);
  g_autofree char *name = json_string_of_length (DISPATCH_NAME_MAX_LENGTH);
  g_autofree char *contact = g_strdup_printf ("{\"name\":%s,\"phone\":\"+49 30 1234567\"}", name);

  assert_create (dispatcher, "notes", notes, NULL);
  assert_create (dispatcher, "notes", long_notes, "notes");
  assert_create (dispatcher, "customer_id", customer, NULL);
  assert_create (dispatcher, "customer_id", long_customer, "customer_id");
  assert_create (dispatcher, "items", items, NULL);
  assert_create (dispatcher, "items", many_items, "items");
  assert_create (dispatcher, "items", long_sku, "items[0].sku");
  assert_create (dispatcher, "contact", contact, NULL);
}

static void
test_malformed_transport (void)
{
  g_autofree char *token = dsd_test_create_user (server, "customer", NULL, NULL);
  g_autoptr(GBytes) invalid_utf8 = g_bytes_new_static ("{\"notes\":\"\xff\xfe\"}", 15);
  g_autoptr(GBytes) json = g_bytes_new_static ("{}", 2);
  g_autoptr(GBytes) huge = NULL;
  g_autoptr(DsdTestResponse) r1 = NULL;
  g_autoptr(DsdTestResponse) r2 = NULL;
  g_autoptr(DsdTestResponse) r3 = NULL;
  gsize huge_size = 1024 * 1024 + 16;
  char *data = g_malloc (huge_size);

  memset (data, ' ', huge_size);
  data[0] = '{';
  data[huge_size - 1] = '}';
  huge = g_bytes_new_take (data, huge_size);

  r1 = dsd_test_request_raw (server, "POST", "/api/v1/orders", token, "application/json",
                             invalid_utf8, NULL);
  dsd_test_assert_error (r1, 400, "invalid_argument", NULL);

  r2 = dsd_test_request_raw (server, "POST", "/api/v1/orders", token, "text/plain", json, NULL);
  dsd_test_assert_error (r2, 415, "unsupported_media_type", NULL);

  r3 = dsd_test_request_raw (server, "POST", "/api/v1/orders", token, "application/json",
                             huge, NULL);
  dsd_test_assert_error (r3, 413, "payload_too_large", NULL);
}

static void
test_ownership_and_roles (void)
{
  g_autofree char *owner = dsd_test_create_user (server, "customer", NULL, NULL);
  g_autofree char *other = dsd_test_create_user (server, "customer", NULL, NULL);
  g_autofree char *dispatcher = dsd_test_create_user (server, "dispatcher", NULL, NULL);
  g_autofree char *driver_id = NULL;
  g_autofree char *driver = dsd_test_create_user (server, "driver", &driver_id, NULL);
  g_autofree char *id = create_order (owner, ORDER_BODY);
  g_autofree char *path = order_path (id, NULL);
  g_autofree char *assign = order_path (id, "/assign");
  g_autofree char *events = order_path (id, "/events");
  g_autoptr(DsdTestResponse) foreign = NULL;
  g_autoptr(DsdTestResponse) staff = NULL;
  g_autoptr(DsdTestResponse) unassigned_driver = NULL;
  g_autoptr(DsdTestResponse) customer_assign = NULL;
  g_autoptr(DsdTestResponse) driver_create = NULL;
  g_autoptr(DsdTestResponse) foreign_customer_id = NULL;
  g_autoptr(DsdTestResponse) owner_events = NULL;
  g_autoptr(DsdTestResponse) no_token = NULL;
  g_autoptr(DsdTestResponse) bad_token = NULL;

  foreign = dsd_test_request (server, "GET", path, other, NULL, NULL);
  dsd_test_assert_error (foreign, 404, "not_found", NULL);

  staff = dsd_test_request (server, "GET", path, dispatcher, NULL, NULL);
  g_assert_cmpuint (staff->status, ==, 200);

  unassigned_driver = dsd_test_request (server, "GET", path, driver, NULL, NULL);
  dsd_test_assert_error (unassigned_driver, 404, "not_found", NULL);

  customer_assign = dsd_test_request (server, "POST", assign, owner,
                                      "{\"driver_id\":\"00000000-0000-0000-0000-000000000000\"}",
                                      NULL);
  dsd_test_assert_error (customer_assign, 403, "permission_denied", NULL);

  driver_create = dsd_test_request (server, "POST", "/api/v1/orders", driver, ORDER_BODY, NULL);
  dsd_test_assert_error (driver_create, 403, "permission_denied", NULL);

  foreign_customer_id = dsd_test_request (server, "POST", "/api/v1/orders", owner,
                                          "{\"customer_id\":\"someone-else\","
                                          "\"pickup\":{\"lat\":0,\"lon\":0},"
                                          "\"dropoff\":{\"lat\":0,\"lon\":0}}", NULL);
  dsd_test_assert_error (foreign_customer_id, 403, "permission_denied", NULL);

  owner_events = dsd_test_request (server, "GET", events, owner, NULL, NULL);
  g_assert_cmpuint (owner_events->status, ==, 200);

  no_token = dsd_test_request (server, "GET", path, NULL, NULL, NULL);
  dsd_test_assert_error (no_token, 401, "unauthenticated", NULL);

  bad_token = dsd_test_request (server, "GET", path, "not.a.token", NULL, NULL);
  dsd_test_assert_error (bad_token, 401, "unauthenticated", NULL);
}

static void
test_unknown_order (void)
{
  g_autoptr(DsdTestResponse) garbage = NULL;
  g_autoptr(DsdTestResponse) missing = NULL;
  const char *admin = dsd_test_server_get_admin_token (server);

  garbage = dsd_test_request (server, "GET", "/api/v1/orders/not-a-uuid", admin, NULL, NULL);
  dsd_test_assert_error (garbage, 404, "not_found", NULL);
  missing = dsd_test_request (server, "GET",
                              "/api/v1/orders/3f1c2a4e-0000-4000-8000-000000000000",
                              admin, NULL, NULL);
  dsd_test_assert_error (missing, 404, "not_found", NULL);
}

static void
test_idempotency (void)
{
  g_autofree char *token = dsd_test_create_user (server, "customer", NULL, NULL);
  g_autofree char *other = dsd_test_create_user (server, "customer", NULL, NULL);
  g_autofree char *key = dsd_test_unique_name ("key");
  g_autoptr(DsdTestResponse) first = NULL;
  g_autoptr(DsdTestResponse) replay = NULL;
  g_autoptr(DsdTestResponse) different = NULL;
  g_autoptr(DsdTestResponse) other_caller = NULL;

  first = dsd_test_request (server, "POST", "/api/v1/orders", token, ORDER_BODY,
                            "Idempotency-Key", key, NULL);
  g_assert_cmpuint (first->status, ==, 201);

  replay = dsd_test_request (server, "POST", "/api/v1/orders", token, ORDER_BODY,
                             "Idempotency-Key", key, NULL);
  g_assert_cmpuint (replay->status, ==, 201);
  g_assert_cmpstr (dsd_test_response_string (replay, "id"), ==,
                   dsd_test_response_string (first, "id"));

  different = dsd_test_request (server, "POST", "/api/v1/orders", token,
                                "{\"pickup\":{\"lat\":1,\"lon\":1},\"dropoff\":{\"lat\":2,\"lon\":2}}",
                                "Idempotency-Key", key, NULL);
  dsd_test_assert_error (different, 409, "conflict", NULL);

  other_caller = dsd_test_request (server, "POST", "/api/v1/orders", other, ORDER_BODY,
                                   "Idempotency-Key", key, NULL);
  g_assert_cmpuint (other_caller->status, ==, 201);
  g_assert_cmpstr (dsd_test_response_string (other_caller, "id"), !=,
                   dsd_test_response_string (first, "id"));
}

/* Orders that arrive together are created together (the intake's group
 * commit, server/api/dsd-order-intake.h), each still with its own answer:
 * the refused ones get their own error, and nothing of them is kept. */
#define TOGETHER 12

static void
test_created_together (void)
{
  g_autofree char *customer_id = NULL;
  g_autofree char *customer = dsd_test_create_user (server, "customer", NULL, &customer_id);
  g_autofree char *dispatcher = dsd_test_create_user (server, "dispatcher", NULL, NULL);
  g_autofree char *foreign = g_strdup_printf ("{\"customer_id\":\"someone-else\",%s",
                                              ORDER_BODY + 1);
  g_autofree char *empty_sku = g_strdup ("{\"pickup\":{\"lat\":1,\"lon\":1},"
                                         "\"dropoff\":{\"lat\":2,\"lon\":2},"
                                         "\"items\":[{\"sku\":\"\",\"quantity\":1}]}");
  const char *paths[TOGETHER], *tokens[TOGETHER], *bodies[TOGETHER];
  g_autoptr(GPtrArray) responses = NULL;
  g_autoptr(GHashTable) ids = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; i < TOGETHER; i++)
    {
      paths[i] = "/api/v1/orders";
      tokens[i] = i % 2 == 0 ? customer : dispatcher;
      bodies[i] = i % 4 == 1 ? empty_sku : i % 4 == 2 ? foreign : ORDER_BODY;
    }

  responses = dsd_test_request_concurrently (server, "POST", paths, tokens, bodies, TOGETHER);

  for (guint i = 0; i < TOGETHER; i++)
    {
      DsdTestResponse *response = responses->pdata[i];
      g_autoptr(DsdTestResponse) fetched = NULL;
      g_autofree char *path = NULL;
      const char *id;

      g_test_message ("request %u: %u %s", i, response->status, response->text);
      if (i % 4 == 1)
        {
          dsd_test_assert_error (response, 400, "invalid_argument", "items[0].sku");
          continue;
        }
      if (i % 4 == 2)
        {
          dsd_test_assert_error (response, 403, "permission_denied", "customer_id");
          continue;
        }
      g_assert_cmpuint (response->status, ==, 201);
      id = dsd_test_response_string (response, "id");
      g_assert_false (g_hash_table_contains (ids, id));
      g_hash_table_add (ids, (gpointer) id);
      if (i % 2 == 0)
        g_assert_cmpstr (dsd_test_response_string (response, "customer_id"), ==, customer_id);

      path = order_path (id, NULL);
      fetched = dsd_test_request (server, "GET", path, dispatcher, NULL, NULL);
      g_assert_cmpuint (fetched->status, ==, 200);
    }
  g_assert_cmpuint (g_hash_table_size (ids), ==, TOGETHER / 2);
}

static char *
base64url (const char *text)
{
  g_autofree char *b64 = g_base64_encode ((const guchar *) text, strlen (text));

  g_strdelimit (b64, "=", '\0');
  g_strdelimit (b64, "+", '-');
  g_strdelimit (b64, "/", '_');
  return g_strdup (b64);
}

static void
assert_cursor_refused (const char *token,
                       const char *cursor)
{
  g_autofree char *escaped = g_uri_escape_string (cursor, NULL, FALSE);
  g_autofree char *path = g_strdup_printf ("/api/v1/orders?limit=1&next=%s", escaped);
  g_autoptr(DsdTestResponse) response = dsd_test_request (server, "GET", path, token, NULL,
                                                          NULL);

  g_test_message ("cursor %s", cursor);
  dsd_test_assert_error (response, 400, "invalid_argument", "next");
}

/* A well-formed cursor the server did not issue is refused (API.md). */
static void
test_forged_cursor (void)
{
  g_autofree char *token = dsd_test_create_user (server, "dispatcher", NULL, NULL);
  g_autoptr(DsdTestResponse) first = NULL;
  g_autoptr(DsdTestResponse) second = NULL;
  g_autofree char *escaped = NULL;
  g_autofree char *path = NULL;
  g_autofree char *payload = NULL;
  g_autofree char *decoded = NULL;
  g_autofree char *forged_json = NULL;
  g_autofree char *forged_payload = NULL;
  g_autofree char *forged = NULL;
  g_autofree char *unsigned_cursor = NULL;
  g_autofree char *other_mac = NULL;
  const char *next;
  const char *dot;
  gsize length;

  g_free (create_order (token, ORDER_BODY));
  g_free (create_order (token, ORDER_BODY));
  first = dsd_test_request (server, "GET", "/api/v1/orders?limit=1", token, NULL, NULL);
  g_assert_cmpuint (first->status, ==, 200);
  next = dsd_test_response_string (first, "next");
  g_assert_nonnull (next);

  /* The issued one works. */
  escaped = g_uri_escape_string (next, NULL, FALSE);
  path = g_strdup_printf ("/api/v1/orders?limit=1&next=%s", escaped);
  second = dsd_test_request (server, "GET", path, token, NULL, NULL);
  g_assert_cmpuint (second->status, ==, 200);

  /* Its payload, changed (another position) and sent with the old MAC. */
  dot = strchr (next, '.');
  g_assert_nonnull (dot);
  payload = g_strndup (next, dot - next);
  g_strdelimit (payload, "-", '+');
  g_strdelimit (payload, "_", '/');
  while (strlen (payload) % 4 != 0)
    {
      char *padded = g_strconcat (payload, "=", NULL);

      g_free (payload);
      payload = padded;
    }
  decoded = (char *) g_base64_decode (payload, &length);
  g_assert_true (g_str_has_prefix (decoded, "{"));
  forged_json = g_strdup_printf ("{\"i\": \"00000000-0000-4000-8000-000000000000\", \"k\": "
                                 "\"orders\", \"t\": \"2000-01-01T00:00:00.000000Z\"}");
  forged_payload = base64url (forged_json);
  forged = g_strconcat (forged_payload, dot, NULL);
  assert_cursor_refused (token, forged);

  /* The payload alone (the format of 0.1), and with a MAC of the right shape. */
  unsigned_cursor = base64url (forged_json);
  assert_cursor_refused (token, unsigned_cursor);
  other_mac = g_strconcat (forged_payload, ".AAAAAAAAAAAAAAAAAAAAAA", NULL);
  assert_cursor_refused (token, other_mac);
}

static void
test_list_paging (void)
{
  g_autofree char *customer_id = NULL;
  g_autofree char *token = dsd_test_create_user (server, "customer", NULL, &customer_id);
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *next = NULL;
  guint pages = 0;
  static const char * const bad_queries[] = {
    "?limit=0", "?limit=-3", "?limit=abc", "?limit=1.5", "?next=garbage", "?status=lost",
  };

  for (guint i = 0; i < 5; i++)
    g_free (create_order (token, ORDER_BODY));

  do
    {
      g_autofree char *path = NULL;
      g_autoptr(DsdTestResponse) page = NULL;
      JsonArray *orders;
      JsonNode *next_node;

      path = next ? g_strdup_printf ("/api/v1/orders?limit=2&next=%s", next)
                  : g_strdup ("/api/v1/orders?limit=2");
      page = dsd_test_request (server, "GET", path, token, NULL, NULL);
      g_assert_cmpuint (page->status, ==, 200);
      orders = json_object_get_array_member (dsd_test_response_object (page), "orders");
      g_assert_cmpuint (json_array_get_length (orders), <=, 2);

      for (guint i = 0; i < json_array_get_length (orders); i++)
        {
          JsonObject *order = json_array_get_object_element (orders, i);

          g_assert_cmpstr (json_object_get_string_member (order, "customer_id"), ==, customer_id);
          g_assert_true (g_hash_table_add (seen, g_strdup (json_object_get_string_member (order,
                                                                                      "id"))));
        }

      next_node = json_object_get_member (dsd_test_response_object (page), "next");
      g_assert_nonnull (next_node);
      g_clear_pointer (&next, g_free);
      if (!JSON_NODE_HOLDS_NULL (next_node))
        next = g_uri_escape_string (json_node_get_string (next_node), NULL, FALSE);
      pages++;
    }
  while (next != NULL && pages < 10);

  g_assert_cmpuint (g_hash_table_size (seen), ==, 5);
  g_assert_cmpuint (pages, ==, 3);

  for (guint i = 0; i < G_N_ELEMENTS (bad_queries); i++)
    {
      g_autofree char *path = g_strconcat ("/api/v1/orders", bad_queries[i], NULL);
      g_autoptr(DsdTestResponse) response = dsd_test_request (server, "GET", path, token,
                                                              NULL, NULL);

      dsd_test_assert_error (response, 400, "invalid_argument", NULL);
    }

  {
    g_autoptr(DsdTestResponse) clamped = NULL;

    clamped = dsd_test_request (server, "GET", "/api/v1/orders?limit=100000", token, NULL, NULL);
    g_assert_cmpuint (clamped->status, ==, 200);
  }
}

static void
test_lifecycle (void)
{
  g_autofree char *customer = dsd_test_create_user (server, "customer", NULL, NULL);
  g_autofree char *dispatcher = dsd_test_create_user (server, "dispatcher", NULL, NULL);
  g_autofree char *driver_id = NULL;
  g_autofree char *driver = dsd_test_create_online_driver (server, 52.51, 13.40, &driver_id);
  g_autofree char *id = create_order (customer, ORDER_BODY);
  g_autofree char *assign = order_path (id, "/assign");
  g_autofree char *status = order_path (id, "/status");
  g_autofree char *cancel = order_path (id, "/cancel");
  g_autofree char *events = order_path (id, "/events");
  g_autofree char *assign_body = g_strdup_printf ("{\"driver_id\":\"%s\"}", driver_id);
  g_autoptr(DsdTestResponse) early = NULL;
  g_autoptr(DsdTestResponse) assigned = NULL;
  g_autoptr(DsdTestResponse) driver_view = NULL;
  g_autoptr(DsdTestResponse) picked = NULL;
  g_autoptr(DsdTestResponse) customer_cancel = NULL;
  g_autoptr(DsdTestResponse) delivered = NULL;
  g_autoptr(DsdTestResponse) again = NULL;
  g_autoptr(DsdTestResponse) history = NULL;
  g_autoptr(DsdTestResponse) bad_status = NULL;
  JsonArray *list;
  g_autofree char *order_url = order_path (id, NULL);

  early = dsd_test_request (server, "POST", status, dispatcher, "{\"status\":\"delivered\"}", NULL);
  dsd_test_assert_error (early, 409, "invalid_transition", NULL);

  bad_status = dsd_test_request (server, "POST", status, dispatcher, "{\"status\":\"lost\"}", NULL);
  dsd_test_assert_error (bad_status, 400, "invalid_argument", "status");

  assigned = dsd_test_request (server, "POST", assign, dispatcher, assign_body, NULL);
  g_assert_cmpuint (assigned->status, ==, 200);
  g_assert_cmpstr (dsd_test_response_string (assigned, "status"), ==, "assigned");
  g_assert_cmpstr (dsd_test_response_string (assigned, "driver_id"), ==, driver_id);

  driver_view = dsd_test_request (server, "GET", order_url, driver, NULL, NULL);
  g_assert_cmpuint (driver_view->status, ==, 200);

  picked = dsd_test_request (server, "POST", status, driver, "{\"status\":\"picked_up\"}", NULL);
  g_assert_cmpuint (picked->status, ==, 200);
  g_assert_cmpstr (dsd_test_response_string (picked, "status"), ==, "picked_up");

  customer_cancel = dsd_test_request (server, "POST", cancel, customer, "{}", NULL);
  dsd_test_assert_error (customer_cancel, 409, "invalid_transition", NULL);

  delivered = dsd_test_request (server, "POST", status, driver, "{\"status\":\"delivered\"}", NULL);
  g_assert_cmpuint (delivered->status, ==, 200);
  g_assert_cmpstr (dsd_test_response_string (delivered, "status"), ==, "delivered");

  again = dsd_test_request (server, "POST", cancel, dispatcher, "{\"reason\":\"late\"}", NULL);
  dsd_test_assert_error (again, 409, "invalid_transition", NULL);

  history = dsd_test_request (server, "GET", events, customer, NULL, NULL);
  g_assert_cmpuint (history->status, ==, 200);
  list = json_object_get_array_member (dsd_test_response_object (history), "events");
  g_assert_cmpuint (json_array_get_length (list), >=, 4);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (list, 0),
                                                  "type"), ==, "order.created");
}

static void
test_cancel_and_unassign (void)
{
  g_autofree char *customer = dsd_test_create_user (server, "customer", NULL, NULL);
  g_autofree char *dispatcher = dsd_test_create_user (server, "dispatcher", NULL, NULL);
  g_autofree char *driver_id = NULL;
  g_autofree char *driver = dsd_test_create_online_driver (server, 52.51, 13.40, &driver_id);
  g_autofree char *offline_id = NULL;
  g_autofree char *offline = dsd_test_create_user (server, "driver", &offline_id, NULL);
  g_autofree char *id = create_order (customer, ORDER_BODY);
  g_autofree char *assign = order_path (id, "/assign");
  g_autofree char *unassign = order_path (id, "/unassign");
  g_autofree char *cancel = order_path (id, "/cancel");
  g_autofree char *to_online = g_strdup_printf ("{\"driver_id\":\"%s\"}", driver_id);
  g_autofree char *to_offline = g_strdup_printf ("{\"driver_id\":\"%s\"}", offline_id);
  g_autoptr(DsdTestResponse) offline_assign = NULL;
  g_autoptr(DsdTestResponse) assigned = NULL;
  g_autoptr(DsdTestResponse) unassigned = NULL;
  g_autoptr(DsdTestResponse) cancelled = NULL;
  g_autoptr(DsdTestResponse) twice = NULL;

  offline_assign = dsd_test_request (server, "POST", assign, dispatcher, to_offline, NULL);
  dsd_test_assert_error (offline_assign, 409, "conflict", NULL);

  assigned = dsd_test_request (server, "POST", assign, dispatcher, to_online, NULL);
  g_assert_cmpuint (assigned->status, ==, 200);

  unassigned = dsd_test_request (server, "POST", unassign, dispatcher, NULL, NULL);
  g_assert_cmpuint (unassigned->status, ==, 200);
  g_assert_cmpstr (dsd_test_response_string (unassigned, "status"), ==, "pending");
  g_assert_null (dsd_test_response_string (unassigned, "driver_id"));

  cancelled = dsd_test_request (server, "POST", cancel, customer, "{\"reason\":\"changed mind\"}",
                                NULL);
  g_assert_cmpuint (cancelled->status, ==, 200);
  g_assert_cmpstr (dsd_test_response_string (cancelled, "status"), ==, "cancelled");

  twice = dsd_test_request (server, "POST", cancel, customer, NULL, NULL);
  dsd_test_assert_error (twice, 409, "invalid_transition", NULL);
}

/* PATCH changes what may change before pickup, and nothing after it. */
static void
test_patch (void)
{
  g_autofree char *customer = dsd_test_create_user (server, "customer", NULL, NULL);
  g_autofree char *dispatcher = dsd_test_create_user (server, "dispatcher", NULL, NULL);
  g_autofree char *driver_id = NULL;
  g_autofree char *driver = dsd_test_create_online_driver (server, 52.51, 13.40, &driver_id);
  g_autofree char *id = create_order (customer, ORDER_BODY);
  g_autofree char *path = order_path (id, NULL);
  g_autofree char *assign_body = g_strdup_printf ("{\"driver_id\":\"%s\"}", driver_id);
  g_autofree char *too_long = g_strnfill (DISPATCH_NOTES_MAX_LENGTH + 1, 'n');
  g_autofree char *long_notes = g_strdup_printf ("{\"notes\":\"%s\"}", too_long);
  static const struct {
    const char *body;
    const char *field;
  } invalid[] = {
    { "{\"items\":[]}", "items" },
    { "{\"status\":\"delivered\"}", "status" },
    { "{\"priority\":10}", "priority" },
    { "{\"priority\":null}", "priority" },
    { "{\"pickup\":null}", "pickup" },
    { "{\"dropoff\":{\"lat\":91,\"lon\":0}}", "dropoff.lat" },
    { "{\"contact\":{\"email\":\"no-at-sign\"}}", "contact.email" },
    { "[]", NULL },
  };
  g_autoptr(DsdTestResponse) by_customer = NULL;
  g_autoptr(DsdTestResponse) patched = NULL;
  g_autoptr(DsdTestResponse) unchanged = NULL;
  g_autoptr(DsdTestResponse) too_long_notes = NULL;
  g_autoptr(DsdTestResponse) assigned = NULL;
  g_autoptr(DsdTestResponse) moved = NULL;
  g_autoptr(DsdTestResponse) picked = NULL;
  g_autoptr(DsdTestResponse) late = NULL;
  g_autoptr(DsdTestResponse) events = NULL;
  g_autoptr(DsdTestResponse) unknown = NULL;
  g_autofree char *assign = order_path (id, "/assign");
  g_autofree char *status = order_path (id, "/status");
  g_autofree char *events_path = order_path (id, "/events");
  JsonObject *order, *dropoff;
  JsonArray *list;
  guint updates = 0;

  by_customer = dsd_test_request (server, "PATCH", path, customer, "{\"notes\":\"x\"}", NULL);
  dsd_test_assert_error (by_customer, 403, "permission_denied", NULL);

  for (guint i = 0; i < G_N_ELEMENTS (invalid); i++)
    {
      g_autoptr(DsdTestResponse) refused = NULL;

      refused = dsd_test_request (server, "PATCH", path, dispatcher, invalid[i].body, NULL);
      dsd_test_assert_error (refused, 400, "invalid_argument", invalid[i].field);
    }
  too_long_notes = dsd_test_request (server, "PATCH", path, dispatcher, long_notes, NULL);
  dsd_test_assert_error (too_long_notes, 400, "invalid_argument", "notes");

  patched = dsd_test_request (server, "PATCH", path, dispatcher,
                              "{\"dropoff\":{\"lat\":52.49,\"lon\":13.42,\"address\":\"Hof 2\"},"
                              "\"notes\":null,\"priority\":7,"
                              "\"contact\":{\"name\":\"Bo\",\"phone\":\"+4930\"}}", NULL);
  g_assert_cmpuint (patched->status, ==, 200);
  order = dsd_test_response_object (patched);
  dropoff = json_object_get_object_member (order, "dropoff");
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (dropoff, "lat"), 52.49, 1e-9);
  g_assert_cmpstr (json_object_get_string_member (dropoff, "address"), ==, "Hof 2");
  g_assert_true (JSON_NODE_HOLDS_NULL (json_object_get_member (order, "notes")));
  g_assert_cmpint (json_object_get_int_member (order, "priority"), ==, 7);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (order,
                                                                                 "contact"),
                                                  "phone"), ==, "+4930");
  /* what was not named stays */
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (order, "pickup"),
                                                  "address"), ==, "Alexanderplatz 1");
  g_assert_cmpint (json_array_get_length (json_object_get_array_member (order, "items")), ==, 1);

  unchanged = dsd_test_request (server, "PATCH", path, dispatcher, "{\"priority\":7}", NULL);
  g_assert_cmpuint (unchanged->status, ==, 200);

  /* assigned: still changeable; picked up: no longer */
  assigned = dsd_test_request (server, "POST", assign, dispatcher, assign_body, NULL);
  g_assert_cmpuint (assigned->status, ==, 200);
  moved = dsd_test_request (server, "PATCH", path, dispatcher,
                            "{\"pickup\":{\"lat\":52.53,\"lon\":13.41},\"contact\":null}", NULL);
  g_assert_cmpuint (moved->status, ==, 200);
  g_assert_cmpstr (dsd_test_response_string (moved, "driver_id"), ==, driver_id);
  g_assert_false (json_object_has_member (dsd_test_response_object (moved), "contact"));
  g_assert_true (JSON_NODE_HOLDS_NULL (json_object_get_member (dsd_test_response_object (moved),
                                                               "eta_seconds")));

  picked = dsd_test_request (server, "POST", status, driver, "{\"status\":\"picked_up\"}", NULL);
  g_assert_cmpuint (picked->status, ==, 200);
  late = dsd_test_request (server, "PATCH", path, dispatcher, "{\"notes\":\"too late\"}", NULL);
  dsd_test_assert_error (late, 409, "invalid_transition", NULL);

  /* one order.updated per change, none for the no-op */
  events = dsd_test_request (server, "GET", events_path, dispatcher, NULL, NULL);
  list = json_object_get_array_member (dsd_test_response_object (events), "events");
  for (guint i = 0; i < json_array_get_length (list); i++)
    {
      JsonObject *event = json_array_get_object_element (list, i);
      JsonObject *data = json_object_get_object_member (event, "data");

      if (g_str_equal (json_object_get_string_member (event, "type"), "order.updated") &&
          g_str_equal (json_object_get_string_member (data, "status"), "pending") &&
          json_object_get_int_member (data, "priority") == 7)
        updates++;
    }
  g_assert_cmpuint (updates, ==, 1);

  unknown = dsd_test_request (server, "PATCH",
                              "/api/v1/orders/00000000-0000-0000-0000-000000000000", dispatcher,
                              "{\"notes\":\"x\"}", NULL);
  dsd_test_assert_error (unknown, 404, "not_found", NULL);
}

static guint
count_listed (const char *token,
              const char *query)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/orders?%s", query);
  g_autoptr(DsdTestResponse) response = dsd_test_request (server, "GET", path, token, NULL, NULL);

  g_assert_cmpuint (response->status, ==, 200);
  return json_array_get_length (json_object_get_array_member (
                                  dsd_test_response_object (response), "orders"));
}

/* Today's finished orders, searched server-side: ?closed_since=&q= */
static void
test_list_finished (void)
{
  g_autofree char *dispatcher = dsd_test_create_user (server, "dispatcher", NULL, NULL);
  g_autofree char *tag = dsd_test_unique_name ("Tag");
  g_autofree char *literal_body = g_strdup_printf (
    "{\"pickup\":{\"lat\":52.5,\"lon\":13.4},\"dropoff\":{\"lat\":52.5,\"lon\":13.4},"
    "\"notes\":\"%s 50%%_off\",\"contact\":{\"phone\":\"+49 30 555\"}}", tag);
  g_autofree char *other_body = g_strdup_printf (
    "{\"pickup\":{\"lat\":52.5,\"lon\":13.4,\"address\":\"%s Weg\"},"
    "\"dropoff\":{\"lat\":52.5,\"lon\":13.4},\"notes\":\"50xyoff\"}", tag);
  g_autofree char *literal = create_order (dispatcher, literal_body);
  g_autofree char *other = create_order (dispatcher, other_body);
  g_autofree char *open_id = create_order (dispatcher, other_body);
  g_autofree char *cancel_literal = order_path (literal, "/cancel");
  g_autofree char *cancel_other = order_path (other, "/cancel");
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr(GDateTime) hour_ago = g_date_time_add_hours (now, -1);
  g_autoptr(GDateTime) later = g_date_time_add_hours (now, 1);
  g_autofree char *since_text = g_date_time_format_iso8601 (hour_ago);
  g_autofree char *later_text = g_date_time_format_iso8601 (later);
  g_autofree char *since = g_uri_escape_string (since_text, NULL, FALSE);
  g_autofree char *after = g_uri_escape_string (later_text, NULL, FALSE);
  g_autofree char *lower_tag = g_utf8_strdown (tag, -1);
  g_autofree char *finished = g_strdup_printf ("status=delivered,cancelled,failed"
                                               "&closed_since=%s&q=%s", since, lower_tag);
  g_autofree char *wildcards = g_strdup_printf ("closed_since=%s&q=50%%25_off", since);
  g_autofree char *by_phone = g_strdup_printf ("closed_since=%s&q=555", since);
  g_autofree char *future = g_strdup_printf ("closed_since=%s&q=%s", after, tag);
  g_autofree char *open = g_strdup_printf ("status=pending,assigned&q=%s", tag);
  g_autofree char *long_query = g_strnfill (DISPATCH_SEARCH_MAX_LENGTH + 1, 'q');
  g_autofree char *long_path = g_strdup_printf ("/api/v1/orders?q=%s", long_query);
  g_autoptr(DsdTestResponse) c1 = NULL;
  g_autoptr(DsdTestResponse) c2 = NULL;
  g_autoptr(DsdTestResponse) bad_time = NULL;
  g_autoptr(DsdTestResponse) too_long = NULL;

  c1 = dsd_test_request (server, "POST", cancel_literal, dispatcher, NULL, NULL);
  c2 = dsd_test_request (server, "POST", cancel_other, dispatcher, NULL, NULL);
  g_assert_cmpuint (c1->status, ==, 200);
  g_assert_cmpuint (c2->status, ==, 200);

  /* case-insensitive, over notes and addresses; the open one is not finished */
  g_assert_cmpuint (count_listed (dispatcher, finished), ==, 2);
  g_assert_cmpuint (count_listed (dispatcher, open), ==, 1);
  /* % and _ are taken literally; the contact's phone is searched */
  g_assert_cmpuint (count_listed (dispatcher, wildcards), ==, 1);
  g_assert_cmpuint (count_listed (dispatcher, by_phone), >=, 1);
  g_assert_cmpuint (count_listed (dispatcher, future), ==, 0);

  bad_time = dsd_test_request (server, "GET", "/api/v1/orders?closed_since=today", dispatcher,
                               NULL, NULL);
  dsd_test_assert_error (bad_time, 400, "invalid_argument", "closed_since");
  too_long = dsd_test_request (server, "GET", long_path, dispatcher, NULL, NULL);
  dsd_test_assert_error (too_long, 400, "invalid_argument", "q");
}

/* The database's log (postgresql/log/) mentions no needle. */
static void
assert_database_log_lacks (const char *needle)
{
  g_autofree char *dir = g_build_filename (dsd_test_server_get_database_dir (server),
                                           "postgresql", "log", NULL);
  g_autoptr(GDir) logs = g_dir_open (dir, 0, NULL);
  const char *name;

  g_assert_nonnull (logs);
  while ((name = g_dir_read_name (logs)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_autofree char *text = NULL;

      g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
      g_assert_null (strstr (text, needle));
    }
}

static void
test_tracking (void)
{
  g_autofree char *customer = dsd_test_create_user (server, "customer", NULL, NULL);
  g_autofree char *driver_id = NULL;
  g_autofree char *driver = dsd_test_create_online_driver (server, 52.51, 13.40, &driver_id);
  g_autoptr(DsdTestResponse) created = NULL;
  g_autoptr(DsdTestResponse) assigned = NULL;
  g_autoptr(DsdTestResponse) tracking = NULL;
  g_autoptr(DsdTestResponse) public = NULL;
  g_autoptr(DsdTestResponse) unknown = NULL;
  g_autofree char *assign = NULL;
  g_autofree char *tracking_path = NULL;
  g_autofree char *public_path = NULL;
  g_autofree char *body = g_strdup_printf ("{\"driver_id\":\"%s\"}", driver_id);
  JsonObject *object, *public_driver;

  created = dsd_test_request (server, "POST", "/api/v1/orders", customer, ORDER_BODY, NULL);
  g_assert_cmpuint (created->status, ==, 201);
  assign = order_path (dsd_test_response_string (created, "id"), "/assign");
  assigned = dsd_test_request (server, "POST", assign, dsd_test_server_get_admin_token (server),
                               body, NULL);
  g_assert_cmpuint (assigned->status, ==, 200);

  tracking_path = order_path (dsd_test_response_string (created, "id"), "/tracking");
  tracking = dsd_test_request (server, "GET", tracking_path, customer, NULL, NULL);
  g_assert_cmpuint (tracking->status, ==, 200);
  object = dsd_test_response_object (tracking);
  g_assert_cmpstr (json_object_get_string_member (object, "status"), ==, "assigned");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (object,
                                                                                 "driver"),
                                                  "id"), ==, driver_id);

  public_path = g_strdup_printf ("/api/v1/track/%s",
                                 dsd_test_response_string (created, "tracking_token"));
  public = dsd_test_request (server, "GET", public_path, NULL, NULL, NULL);
  g_assert_cmpuint (public->status, ==, 200);
  object = dsd_test_response_object (public);
  g_assert_cmpstr (json_object_get_string_member (object, "status"), ==, "assigned");
  g_assert_true (json_object_has_member (object, "pickup"));
  g_assert_false (json_object_has_member (object, "customer_id"));
  g_assert_false (json_object_has_member (object, "contact"));
  g_assert_false (json_object_has_member (object, "notes"));
  g_assert_false (json_object_has_member (object, "items"));
  g_assert_null (strstr (public->text, "Alexanderplatz"));
  g_assert_null (strstr (public->text, driver_id));
  public_driver = json_object_get_object_member (object, "driver");
  g_assert_true (json_object_has_member (public_driver, "first_name"));
  g_assert_false (json_object_has_member (public_driver, "phone"));
  g_assert_false (json_object_has_member (public_driver, "id"));

  unknown = dsd_test_request (server, "GET", "/api/v1/track/nope", NULL, NULL, NULL);
  dsd_test_assert_error (unknown, 404, "not_found", NULL);
  g_clear_pointer (&unknown, dsd_test_response_free);
  unknown = dsd_test_request (server, "GET",
                              "/api/v1/track/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                              NULL, NULL, NULL);
  dsd_test_assert_error (unknown, 404, "not_found", NULL);

  /* Anyone's guesses leave no ERROR (and statement) in the database's log. */
  assert_database_log_lacks ("track_public");
}


/* Orders that are not "now" --------------------------------------------------- */

/* RFC 3339 of now + offset_s, in the +02:00 zone the server must normalise. */
static char *
time_from_now (gint64 offset_s)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr(GDateTime) then = g_date_time_add_seconds (now, (double) offset_s);
  g_autoptr(GTimeZone) zone = g_time_zone_new_offset (2 * 3600);
  g_autoptr(GDateTime) local = g_date_time_to_timezone (then, zone);

  return g_date_time_format (local, "%Y-%m-%dT%H:%M:%S%:z");
}

static gint64
timestamp_member (JsonObject *order,
                  const char *member)
{
  gint64 usec = 0;

  g_assert_true (dispatch_parse_timestamp (json_object_get_string_member (order, member),
                                           &usec));
  g_assert_true (g_str_has_suffix (json_object_get_string_member (order, member), "Z"));
  return usec;
}

static void
test_windows (void)
{
  g_autofree char *token = dsd_test_create_user (server, "customer", NULL, NULL);
  g_autofree char *ready = time_from_now (3600);
  g_autofree char *after = time_from_now (4000);
  g_autofree char *before = time_from_now (7200);
  g_autofree char *past = time_from_now (-600);
  g_autofree char *body = NULL;
  g_autofree char *late_body = NULL;
  g_autoptr(DsdTestResponse) created = NULL;
  g_autoptr(DsdTestResponse) plain = NULL;
  g_autoptr(DsdTestResponse) late = NULL;
  g_autoptr(DsdTestResponse) moved = NULL;
  g_autofree char *patch_path = NULL;
  gint64 ready_us = 0, after_us = 0, before_us = 0;
  JsonObject *order;

  g_assert_true (dispatch_parse_timestamp (ready, &ready_us));
  g_assert_true (dispatch_parse_timestamp (after, &after_us));
  g_assert_true (dispatch_parse_timestamp (before, &before_us));
  body = g_strdup_printf ("{\"pickup\":{\"lat\":0,\"lon\":0},\"dropoff\":{\"lat\":0,\"lon\":0},"
                          "\"ready_at\":\"%s\",\"deliver_after\":\"%s\","
                          "\"deliver_before\":\"%s\"}", ready, after, before);
  created = dsd_test_request (server, "POST", "/api/v1/orders", token, body, NULL);
  g_assert_cmpuint (created->status, ==, 201);
  order = dsd_test_response_object (created);
  g_assert_cmpint (timestamp_member (order, "ready_at"), ==, ready_us);
  g_assert_cmpint (timestamp_member (order, "deliver_after"), ==, after_us);
  g_assert_cmpint (timestamp_member (order, "deliver_before"), ==, before_us);
  /* The trip is the 120 s at the pickup only: picked up 120 s before the window opens. */
  g_assert_cmpint (timestamp_member (order, "pickup_at"), ==,
                   after_us - 120 * (gint64) G_USEC_PER_SEC);
  g_assert_false (json_object_get_boolean_member (order, "at_risk"));

  /* A dropoff moved 11 km away (a 2200 s trip): leaving when the window opens
   * minus the trip would be before ready_at, so the pickup is planned then. */
  patch_path = order_path (json_object_get_string_member (order, "id"), NULL);
  moved = dsd_test_request (server, "PATCH", patch_path, dsd_test_server_get_admin_token (server),
                            "{\"dropoff\":{\"lat\":0.1,\"lon\":0}}", NULL);
  g_assert_cmpuint (moved->status, ==, 200);
  g_assert_cmpint (timestamp_member (dsd_test_response_object (moved), "pickup_at"), ==,
                   ready_us);

  /* Without times: all null, as soon as possible. */
  plain = dsd_test_request (server, "POST", "/api/v1/orders", token,
                            "{\"pickup\":{\"lat\":0,\"lon\":0},\"dropoff\":{\"lat\":0,\"lon\":0}}",
                            NULL);
  g_assert_cmpuint (plain->status, ==, 201);
  order = dsd_test_response_object (plain);
  g_assert_true (json_object_get_null_member (order, "ready_at"));
  g_assert_true (json_object_get_null_member (order, "deliver_before"));
  g_assert_true (json_object_get_null_member (order, "pickup_at"));

  /* A window that opened already but has not ended is fine. */
  late_body = g_strdup_printf ("{\"pickup\":{\"lat\":0,\"lon\":0},\"dropoff\":{\"lat\":0,"
                               "\"lon\":0},\"deliver_after\":\"%s\",\"deliver_before\":\"%s\"}",
                               past, before);
  late = dsd_test_request (server, "POST", "/api/v1/orders", token, late_body, NULL);
  g_assert_cmpuint (late->status, ==, 201);
}

static void
test_windows_validation (void)
{
  g_autofree char *token = dsd_test_create_user (server, "customer", NULL, NULL);
  g_autofree char *soon = time_from_now (600);
  g_autofree char *later = time_from_now (3600);
  g_autofree char *past = time_from_now (-60);
  g_autofree char *far = time_from_now (DISPATCH_ORDER_MAX_AHEAD_S + 3600);
  struct {
    char       *members;
    const char *field;
  } cases[] = {
    /* reversed, empty, ended, ready too late, too far ahead */
    { g_strdup_printf ("\"deliver_after\":\"%s\",\"deliver_before\":\"%s\"", later, soon),
      "deliver_after" },
    { g_strdup_printf ("\"deliver_after\":\"%s\",\"deliver_before\":\"%s\"", soon, soon),
      "deliver_after" },
    { g_strdup_printf ("\"deliver_before\":\"%s\"", past), "deliver_before" },
    { g_strdup_printf ("\"ready_at\":\"%s\",\"deliver_before\":\"%s\"", later, soon),
      "ready_at" },
    { g_strdup_printf ("\"ready_at\":\"%s\"", far), "ready_at" },
    { g_strdup_printf ("\"deliver_before\":\"%s\"", far), "deliver_before" },
    /* not RFC 3339 date-times */
    { g_strdup ("\"ready_at\":\"tomorrow\""), "ready_at" },
    { g_strdup ("\"ready_at\":1795000000"), "ready_at" },
    { g_strdup ("\"deliver_before\":\"2026-13-01T00:00:00Z\""), "deliver_before" },
    { g_strdup ("\"deliver_after\":{}"), "deliver_after" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *members = cases[i].members;
      g_autofree char *body = g_strdup_printf ("{\"pickup\":{\"lat\":0,\"lon\":0},"
                                               "\"dropoff\":{\"lat\":0,\"lon\":0},%s}",
                                               members);
      g_autoptr(DsdTestResponse) response = NULL;

      response = dsd_test_request (server, "POST", "/api/v1/orders", token, body, NULL);
      g_test_message ("case %u: %s → %u %s", i, body, response->status, response->text);
      dsd_test_assert_error (response, 400, "invalid_argument", cases[i].field);
    }
}

/* A PATCH edits the times until pickup with the checks of create, applied to
 * the times merged with the stored ones; null clears one. */
static void
test_windows_patch (void)
{
  g_autofree char *customer = dsd_test_create_user (server, "customer", NULL, NULL);
  g_autofree char *dispatcher = dsd_test_create_user (server, "dispatcher", NULL, NULL);
  g_autofree char *driver_id = NULL;
  g_autofree char *driver = dsd_test_create_online_driver (server, 52.51, 13.40, &driver_id);
  g_autofree char *id = create_order (customer, ORDER_BODY);
  g_autofree char *path = order_path (id, NULL);
  g_autofree char *soon = time_from_now (1200);
  g_autofree char *later = time_from_now (3600);
  g_autofree char *latest = time_from_now (5400);
  g_autofree char *past = time_from_now (-60);
  g_autofree char *set_body = g_strdup_printf ("{\"ready_at\":\"%s\",\"deliver_after\":\"%s\","
                                               "\"deliver_before\":\"%s\"}",
                                               soon, later, latest);
  g_autofree char *assign_body = g_strdup_printf ("{\"driver_id\":\"%s\"}", driver_id);
  g_autofree char *assign = order_path (id, "/assign");
  g_autofree char *status = order_path (id, "/status");
  struct {
    char       *body;
    const char *field;
  } invalid[] = {
    /* in the body alone: ended, reversed */
    { g_strdup_printf ("{\"deliver_before\":\"%s\"}", past), "deliver_before" },
    { g_strdup_printf ("{\"deliver_after\":\"%s\",\"deliver_before\":\"%s\"}", latest,
                       later), "deliver_after" },
    /* merged with the stored window: reversed, ready after it ends */
    { g_strdup_printf ("{\"deliver_before\":\"%s\"}", soon), "deliver_after" },
    { g_strdup_printf ("{\"ready_at\":\"%s\"}", latest), "ready_at" },
    { g_strdup ("{\"deliver_after\":\"soon\"}"), "deliver_after" },
  };
  g_autoptr(DsdTestResponse) set = NULL;
  g_autoptr(DsdTestResponse) cleared = NULL;
  g_autoptr(DsdTestResponse) assigned = NULL;
  g_autoptr(DsdTestResponse) moved = NULL;
  g_autoptr(DsdTestResponse) picked = NULL;
  g_autoptr(DsdTestResponse) late = NULL;
  gint64 soon_us = 0, later_us = 0, latest_us = 0;
  JsonObject *order;

  g_assert_true (dispatch_parse_timestamp (soon, &soon_us));
  g_assert_true (dispatch_parse_timestamp (later, &later_us));
  g_assert_true (dispatch_parse_timestamp (latest, &latest_us));

  set = dsd_test_request (server, "PATCH", path, dispatcher, set_body, NULL);
  g_assert_cmpuint (set->status, ==, 200);
  order = dsd_test_response_object (set);
  g_assert_cmpint (timestamp_member (order, "ready_at"), ==, soon_us);
  g_assert_cmpint (timestamp_member (order, "deliver_after"), ==, later_us);
  g_assert_cmpint (timestamp_member (order, "deliver_before"), ==, latest_us);
  g_assert_false (json_object_get_null_member (order, "pickup_at"));

  for (guint i = 0; i < G_N_ELEMENTS (invalid); i++)
    {
      g_autofree char *body = invalid[i].body;
      g_autoptr(DsdTestResponse) refused = NULL;

      refused = dsd_test_request (server, "PATCH", path, dispatcher, body, NULL);
      g_test_message ("case %u: %s → %u %s", i, body, refused->status, refused->text);
      dsd_test_assert_error (refused, 400, "invalid_argument", invalid[i].field);
    }

  /* null clears; what was not named stays */
  cleared = dsd_test_request (server, "PATCH", path, dispatcher,
                              "{\"deliver_after\":null,\"ready_at\":null}", NULL);
  g_assert_cmpuint (cleared->status, ==, 200);
  order = dsd_test_response_object (cleared);
  g_assert_true (json_object_get_null_member (order, "deliver_after"));
  g_assert_true (json_object_get_null_member (order, "ready_at"));
  g_assert_true (json_object_get_null_member (order, "pickup_at"));
  g_assert_cmpint (timestamp_member (order, "deliver_before"), ==, latest_us);

  /* assigned: still editable; picked up: no longer */
  assigned = dsd_test_request (server, "POST", assign, dispatcher, assign_body, NULL);
  g_assert_cmpuint (assigned->status, ==, 200);
  moved = dsd_test_request (server, "PATCH", path, dispatcher, set_body, NULL);
  g_assert_cmpuint (moved->status, ==, 200);
  picked = dsd_test_request (server, "POST", status, driver, "{\"status\":\"picked_up\"}",
                             NULL);
  g_assert_cmpuint (picked->status, ==, 200);
  late = dsd_test_request (server, "PATCH", path, dispatcher, "{\"deliver_before\":null}", NULL);
  dsd_test_assert_error (late, 409, "invalid_transition", NULL);
}

/* This server keeps public tracking links for 0 s after the order ends. */
static void
test_tracking_expiry (void)
{
  g_autofree char *customer = dsd_test_create_user (server, "customer", NULL, NULL);
  g_autoptr(DsdTestResponse) created = NULL;
  g_autoptr(DsdTestResponse) live = NULL;
  g_autoptr(DsdTestResponse) cancelled = NULL;
  g_autoptr(DsdTestResponse) gone = NULL;
  g_autoptr(DsdTestResponse) page = NULL;
  g_autoptr(DsdTestResponse) own = NULL;
  g_autofree char *public_path = NULL;
  g_autofree char *page_path = NULL;
  g_autofree char *cancel = NULL;
  g_autofree char *tracking_path = NULL;

  created = dsd_test_request (server, "POST", "/api/v1/orders", customer,
                              "{\"pickup\":{\"lat\":0,\"lon\":0},\"dropoff\":{\"lat\":0,"
                              "\"lon\":0}}", NULL);
  g_assert_cmpuint (created->status, ==, 201);
  public_path = g_strdup_printf ("/api/v1/track/%s",
                                 dsd_test_response_string (created, "tracking_token"));
  page_path = g_strdup_printf ("/track/%s", dsd_test_response_string (created, "tracking_token"));

  live = dsd_test_request (server, "GET", public_path, NULL, NULL, NULL);
  g_assert_cmpuint (live->status, ==, 200);
  g_assert_true (json_object_get_null_member (dsd_test_response_object (live), "ended_at"));

  cancel = order_path (dsd_test_response_string (created, "id"), "/cancel");
  cancelled = dsd_test_request (server, "POST", cancel, customer, NULL, NULL);
  g_assert_cmpuint (cancelled->status, ==, 200);

  /* The API form: the error envelope; the page: a clear HTML page. */
  gone = dsd_test_request (server, "GET", public_path, NULL, NULL, NULL);
  dsd_test_assert_error (gone, 410, "gone", NULL);
  page = dsd_test_request (server, "GET", page_path, NULL, NULL, NULL);
  g_assert_cmpuint (page->status, ==, 410);
  g_assert_nonnull (strstr (page->text, "\"error\":\"expired\""));

  /* The owner still sees its order's tracking with a token of its own. */
  tracking_path = order_path (dsd_test_response_string (created, "id"), "/tracking");
  own = dsd_test_request (server, "GET", tracking_path, customer, NULL, NULL);
  g_assert_cmpuint (own->status, ==, 200);
}

int
main (int   argc,
      char *argv[])
{
  int status;

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/orders/create-and-get", test_create_and_get);
  g_test_add_func ("/orders/validation", test_validation);
  g_test_add_func ("/orders/limits", test_limits);
  g_test_add_func ("/orders/malformed-transport", test_malformed_transport);
  g_test_add_func ("/orders/ownership-and-roles", test_ownership_and_roles);
  g_test_add_func ("/orders/unknown", test_unknown_order);
  g_test_add_func ("/orders/idempotency", test_idempotency);
  g_test_add_func ("/orders/created-together", test_created_together);
  g_test_add_func ("/orders/list-paging", test_list_paging);
  g_test_add_func ("/orders/forged-cursor", test_forged_cursor);
  g_test_add_func ("/orders/lifecycle", test_lifecycle);
  g_test_add_func ("/orders/cancel-and-unassign", test_cancel_and_unassign);
  g_test_add_func ("/orders/tracking", test_tracking);
  g_test_add_func ("/orders/patch", test_patch);
  g_test_add_func ("/orders/list-finished", test_list_finished);
  g_test_add_func ("/orders/windows", test_windows);
  g_test_add_func ("/orders/windows-validation", test_windows_validation);
  g_test_add_func ("/orders/windows-patch", test_windows_patch);
  g_test_add_func ("/orders/tracking-expiry", test_tracking_expiry);

  server = dsd_test_server_start ((const char * const[]) {
    "DISPATCH_TRACKING_EXPIRY_S=0",
    NULL
  });
  status = g_test_run ();
  dsd_test_server_free (server);

  return status;
}
