/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Personal data over time (issue 14, item 4) against the real dispatchd on a
 * PostgreSQL of the test's own, which the test reads to see that nothing
 * personal is left anywhere: the retention job (DISPATCH_CONTACT_RETENTION_DAYS,
 * run at start: the test makes an order end long ago and restarts) and an
 * admin's export and erasure of one customer. Counts stay as they were.
 */
#include <libpq-fe.h>
#include <string.h>

#include "dsd-pg-pool.h"
#include "test-server.h"
#include "test-utils.h"

#define WAIT_TIMEOUT_MS 60000
#define POLL_MS 100

static DsdTestPg *pg;
static DsdTestServer *server;
static PGconn *db;

static char *
query_value (const char *sql,
             const char *param)
{
  g_autoptr(PGresult) result = PQexecParams (db, sql, param != NULL ? 1 : 0, NULL,
                                             (const char * const[]) { param }, NULL, NULL, 0);

  if (PQresultStatus (result) != PGRES_TUPLES_OK)
    g_error ("%s: %s", sql, PQerrorMessage (db));
  g_assert_cmpint (PQntuples (result), ==, 1);
  return g_strdup (PQgetvalue (result, 0, 0));
}

static void
exec_sql (const char *sql,
          const char *param)
{
  g_autoptr(PGresult) result = PQexecParams (db, sql, 1, NULL, (const char * const[]) { param },
                                             NULL, NULL, 0);

  if (PQresultStatus (result) != PGRES_COMMAND_OK)
    g_error ("%s: %s", sql, PQerrorMessage (db));
}

/* Rows anywhere in the database that hold text: orders, events, stored
 * answers, notification records. */
static guint
count_mentions (const char *text)
{
  g_autofree char *pattern = g_strdup_printf ("%%%s%%", text);
  g_autofree char *n = query_value (
    "SELECT (SELECT count(*) FROM dispatch.orders o WHERE o::text LIKE $1)"
    " + (SELECT count(*) FROM dispatch.outbox e WHERE e::text LIKE $1)"
    " + (SELECT count(*) FROM dispatch.idempotency_keys k WHERE k::text LIKE $1)"
    " + (SELECT count(*) FROM dispatch.notifications n WHERE n::text LIKE $1)", pattern);

  return (guint) g_ascii_strtoull (n, NULL, 10);
}

/* What must add up before and after: orders by status, events, notifications. */
static char *
aggregates (void)
{
  return query_value ("SELECT (SELECT jsonb_object_agg(status, n) FROM "
                      "(SELECT status, count(*) AS n FROM dispatch.orders GROUP BY status) s)"
                      " || jsonb_build_object('events', (SELECT count(*) FROM dispatch.outbox),"
                      " 'notifications', (SELECT count(*) FROM dispatch.notifications))", NULL);
}

typedef struct {
  char *id;
  char *email;    /* unique: the order's personal strings all contain it */
} Order;

static void
order_clear (Order *order)
{
  g_free (order->id);
  g_free (order->email);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Order, order_clear)

/* An order of the customer with contact, addresses and notes (the first with
 * an Idempotency-Key, so that its answer is stored too). */
static Order
new_order (const char *token,
           gboolean    idempotent)
{
  g_autofree char *tag = dsd_test_unique_name ("person");
  g_autofree char *body = g_strdup_printf (
    "{\"pickup\":{\"lat\":48.1,\"lon\":11.5,\"address\":\"%s pickup street\"},"
    "\"dropoff\":{\"lat\":48.2,\"lon\":11.6,\"address\":\"%s home\"},\"notes\":\"ring %s\","
    "\"contact\":{\"name\":\"%s name\",\"email\":\"%s@example.com\",\"phone\":\"+49 %s\"}}",
    tag, tag, tag, tag, tag, tag);
  g_autoptr(DsdTestResponse) response = NULL;
  g_autofree char *key = NULL;
  Order order;

  key = dsd_test_unique_name ("key");
  response = dsd_test_request (server, "POST", "/api/v1/orders", token, body,
                               idempotent ? "Idempotency-Key" : NULL, key, NULL);
  g_assert_cmpuint (response->status, ==, 201);
  order.id = g_strdup (dsd_test_response_string (response, "id"));
  order.email = g_strdup_printf ("%s@example.com", tag);
  return order;
}

static void
action (const char *order_id,
        const char *what,
        const char *body)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/orders/%s/%s", order_id, what);
  g_autoptr(DsdTestResponse) response = dsd_test_request (
    server, "POST", path, dsd_test_server_get_admin_token (server), body, NULL);

  g_assert_cmpuint (response->status, ==, 200);
}

static gboolean
erased (gpointer user_data)
{
  g_autofree char *n = query_value ("SELECT count(*) FROM dispatch.orders"
                                    " WHERE id = $1::uuid AND contact IS NULL", user_data);

  return g_str_equal (n, "1");
}

static void
test_retention_job (void)
{
  g_autofree char *customer_id = NULL;
  g_autofree char *token = dsd_test_create_user (server, "customer", NULL, &customer_id);
  g_autofree char *driver_id = NULL;
  /* far from the pickups: automation leaves the orders alone */
  g_autofree char *driver = dsd_test_create_online_driver (server, 10.0, 10.0, &driver_id);
  g_autofree char *assign = g_strdup_printf ("{\"driver_id\":\"%s\"}", driver_id);
  g_auto(Order) old = new_order (token, TRUE);
  g_auto(Order) recent = new_order (token, FALSE);
  g_auto(Order) open = new_order (token, FALSE);
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;

  action (old.id, "assign", assign);
  action (old.id, "status", "{\"status\":\"picked_up\"}");
  action (old.id, "status", "{\"status\":\"delivered\"}");
  action (recent.id, "cancel", "{}");
  g_assert_cmpuint (count_mentions (old.email), >, 2);

  /* The old order ended long ago; the job runs at start. */
  exec_sql ("UPDATE dispatch.orders SET closed_at = now() - interval '31 days'"
            " WHERE id = $1::uuid", old.id);
  before = aggregates ();
  dsd_test_server_stop (server, FALSE);
  dsd_test_server_restart (server);
  g_assert_true (dsd_test_poll_until (erased, old.id, POLL_MS, WAIT_TIMEOUT_MS));

  g_assert_cmpuint (count_mentions (old.email), ==, 0);
  g_assert_cmpuint (count_mentions (recent.email), >, 0);
  g_assert_cmpuint (count_mentions (open.email), >, 0);
  /* only the contact details: the addresses stay */
  {
    g_autofree char *address = query_value ("SELECT pickup_address FROM dispatch.orders"
                                            " WHERE id = $1::uuid", old.id);

    g_assert_true (g_str_has_suffix (address, "pickup street"));
  }
  after = aggregates ();
  g_assert_cmpstr (before, ==, after);
}

static void
test_customer_export_and_erase (void)
{
  g_autofree char *customer_id = NULL;
  g_autofree char *token = dsd_test_create_user (server, "customer", NULL, &customer_id);
  g_auto(Order) first = new_order (token, TRUE);
  g_auto(Order) second = new_order (token, FALSE);
  g_autofree char *path = g_strdup_printf ("/api/v1/customers/%s/personal-data", customer_id);
  const char *admin = dsd_test_server_get_admin_token (server);
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autofree char *tag = NULL;

  /* the export holds it all */
  {
    g_autoptr(DsdTestResponse) export = dsd_test_request (server, "GET", path, admin, NULL,
                                                          NULL);
    JsonObject *object;

    g_assert_cmpuint (export->status, ==, 200);
    object = dsd_test_response_object (export);
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (object, "orders")), ==,
                      2);
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (object, "users")), ==,
                      1);
    g_assert_nonnull (strstr (export->text, first.email));
    g_assert_nonnull (strstr (export->text, "pickup street"));
  }

  /* not while an order is open; then all of it */
  {
    g_autoptr(DsdTestResponse) refused = dsd_test_request (server, "DELETE", path, admin, NULL,
                                                           NULL);

    dsd_test_assert_error (refused, 409, "conflict", NULL);
  }
  action (first.id, "cancel", "{}");
  action (second.id, "cancel", "{}");
  before = aggregates ();
  {
    g_autoptr(DsdTestResponse) done = dsd_test_request (server, "DELETE", path, admin, NULL,
                                                        NULL);
    g_autoptr(DsdTestResponse) export = dsd_test_request (server, "GET", path, admin, NULL,
                                                          NULL);

    g_assert_cmpuint (done->status, ==, 200);
    g_assert_cmpint (json_object_get_int_member (dsd_test_response_object (done),
                                                 "orders_erased"), ==, 2);
    g_assert_cmpuint (export->status, ==, 200);
    g_assert_null (strstr (export->text, "@example.com"));
    g_assert_null (strstr (export->text, "street"));
  }
  after = aggregates ();
  g_assert_cmpstr (before, ==, after);

  /* the tag is in the e-mail, name, phone, addresses and notes alike */
  tag = g_strndup (first.email, strlen (first.email) - strlen ("@example.com"));
  g_assert_cmpuint (count_mentions (tag), ==, 0);
  g_free (tag);
  tag = g_strndup (second.email, strlen (second.email) - strlen ("@example.com"));
  g_assert_cmpuint (count_mentions (tag), ==, 0);

  /* the orders are still there, for their customer and in every count */
  {
    g_autofree char *order = g_strdup_printf ("/api/v1/orders/%s", first.id);
    g_autoptr(DsdTestResponse) got = dsd_test_request (server, "GET", order, token, NULL, NULL);

    g_assert_cmpuint (got->status, ==, 200);
    g_assert_false (json_object_has_member (dsd_test_response_object (got), "contact"));
  }
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *database = NULL;
  int status;

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/personal-data/retention-job", test_retention_job);
  g_test_add_func ("/personal-data/customer-export-and-erase", test_customer_export_and_erase);

  pg = dsd_test_pg_new ();
  database = g_strdup_printf ("DATABASE_URL=%s", dsd_test_pg_get_conninfo (pg));
  server = dsd_test_server_start ((const char * const[]) {
    database, "DISPATCH_CONTACT_RETENTION_DAYS=30", NULL
  });
  db = PQconnectdb (dsd_test_pg_get_conninfo (pg));
  g_assert_cmpint (PQstatus (db), ==, CONNECTION_OK);

  status = g_test_run ();

  PQfinish (db);
  dsd_test_server_free (server);
  dsd_test_pg_free (pg);
  return status;
}
