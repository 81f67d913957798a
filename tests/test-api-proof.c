/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Proof of delivery (issue 12, item 4) on a real dispatchd and PostgreSQL:
 * PINs (and their brute force), photo and signature uploads (and bad ones),
 * "delivered" refused without proof, failure reason codes, the server's
 * default (DISPATCH_PROOF_REQUIRED=pin here).
 */
#include <string.h>

#include "dispatch-limits.h"
#include "dispatch-png.h"
#include "test-server.h"

static DsdTestServer *server;

/* A delivery under way: an order (with "proof" member proof, or none)
 * of a new customer, assigned to a new driver and picked up. */
typedef struct {
  char *id;
  char *customer;      /* tokens */
  char *driver;
  char *dispatcher;
  char *tracking_token;
} Delivery;

static void
delivery_clear (Delivery *self)
{
  g_free (self->id);
  g_free (self->customer);
  g_free (self->driver);
  g_free (self->dispatcher);
  g_free (self->tracking_token);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Delivery, delivery_clear)

static char *
path_of (const Delivery *self,
         const char     *suffix)
{
  return g_strdup_printf ("/api/v1/orders/%s%s", self->id, suffix);
}

static DsdTestResponse *
post (const Delivery *self,
      const char     *suffix,
      const char     *token,
      const char     *body)
{
  g_autofree char *path = path_of (self, suffix);

  return dsd_test_request (server, "POST", path, token, body, NULL);
}

static DsdTestResponse *
get (const Delivery *self,
     const char     *suffix,
     const char     *token)
{
  g_autofree char *path = path_of (self, suffix);

  return dsd_test_request (server, "GET", path, token, NULL, NULL);
}

static DsdTestResponse *
put_image (const Delivery *self,
           const char     *kind,
           const char     *token,
           const char     *content_type,
           GBytes         *bytes)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/orders/%s/proof/%s", self->id, kind);

  return dsd_test_request_raw (server, "PUT", path, token, content_type, bytes, NULL);
}

static void
start_delivery (Delivery   *self,
                const char *proof)
{
  g_autofree char *driver_id = NULL;
  g_autofree char *body = NULL;
  g_autofree char *assign = NULL;
  g_autoptr(DsdTestResponse) created = NULL;
  g_autoptr(DsdTestResponse) assigned = NULL;
  g_autoptr(DsdTestResponse) picked = NULL;

  self->customer = dsd_test_create_user (server, "customer", NULL, NULL);
  self->dispatcher = dsd_test_create_user (server, "dispatcher", NULL, NULL);
  self->driver = dsd_test_create_online_driver (server, 52.52, 13.40, &driver_id);

  body = g_strdup_printf ("{\"pickup\":{\"lat\":52.52,\"lon\":13.405},"
                          "\"dropoff\":{\"lat\":52.50,\"lon\":13.37}%s%s}",
                          proof != NULL ? ",\"proof\":" : "", proof != NULL ? proof : "");
  created = dsd_test_request (server, "POST", "/api/v1/orders", self->customer, body, NULL);
  g_assert_cmpuint (created->status, ==, 201);
  self->id = g_strdup (dsd_test_response_string (created, "id"));
  self->tracking_token = g_strdup (dsd_test_response_string (created, "tracking_token"));

  assign = g_strdup_printf ("{\"driver_id\":\"%s\"}", driver_id);
  assigned = post (self, "/assign", self->dispatcher, assign);
  g_assert_cmpuint (assigned->status, ==, 200);
  picked = post (self, "/status", self->driver, "{\"status\":\"picked_up\"}");
  g_assert_cmpuint (picked->status, ==, 200);
}

static JsonArray *
required_of (DsdTestResponse *order)
{
  JsonObject *proof = json_object_get_object_member (dsd_test_response_object (order), "proof");

  return json_object_get_array_member (proof, "required");
}

/* The PIN as the customer sees it, checked against the public tracking object. */
static char *
customer_pin (const Delivery *self)
{
  g_autoptr(DsdTestResponse) proof = get (self, "/proof", self->customer);
  g_autofree char *track = g_strdup_printf ("/api/v1/track/%s", self->tracking_token);
  g_autoptr(DsdTestResponse) public = dsd_test_request (server, "GET", track, NULL, NULL, NULL);
  g_autoptr(DsdTestResponse) page = NULL;
  g_autofree char *embedded = NULL;
  const char *pin;

  g_assert_cmpuint (proof->status, ==, 200);
  pin = dsd_test_response_string (proof, "pin");
  g_assert_nonnull (pin);
  g_assert_cmpuint (strlen (pin), ==, DISPATCH_PROOF_PIN_LENGTH);
  g_assert_cmpuint (public->status, ==, 200);
  g_assert_cmpstr (dsd_test_response_string (public, "delivery_pin"), ==, pin);
  page = dsd_test_request (server, "GET", track + strlen ("/api/v1"), NULL, NULL, NULL);
  g_assert_cmpuint (page->status, ==, 200);
  embedded = g_strdup_printf ("\"delivery_pin\": \"%s\"", pin);   /* jsonb text */
  g_assert_nonnull (strstr (page->text, embedded));

  return g_strdup (pin);
}

/* Another PIN of the same length. */
static char *
wrong_pin (const char *pin)
{
  return g_strdup_printf ("%04d", (atoi (pin) + 1) % 10000);
}

static DsdTestResponse *
enter_pin (const Delivery *self,
           const char     *pin)
{
  g_autofree char *body = g_strdup_printf ("{\"pin\":\"%s\"}", pin);

  return post (self, "/proof/pin", self->driver, body);
}

static GBytes *
make_png (guint width,
          guint height)
{
  g_autofree guint8 *rgb = g_malloc ((gsize) width * height * 3);

  for (gsize i = 0; i < (gsize) width * height * 3; i++)
    rgb[i] = i * 7;

  return dispatch_png_encode (width, height, rgb);
}

/* A tiny baseline JPEG's structure: SOI, SOF0 (16 × 8, one component), SOS,
 * a few bytes of scan, EOI. */
static GBytes *
make_jpeg (void)
{
  static const guint8 jpeg[] = {
    0xff, 0xd8,
    0xff, 0xe0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0,
    0xff, 0xc0, 0x00, 0x0b, 8, 0x00, 0x08, 0x00, 0x10, 1, 1, 0x11, 0,
    0xff, 0xda, 0x00, 0x08, 1, 1, 0, 0, 0x3f, 0,
    0x12, 0x34, 0x56,
    0xff, 0xd9,
  };

  return g_bytes_new_static (jpeg, sizeof jpeg);
}

static void
test_pin (void)
{
  g_auto(Delivery) d = { 0 };
  g_autofree char *pin = NULL;
  g_autofree char *wrong = NULL;
  g_autoptr(DsdTestResponse) order = NULL;
  g_autoptr(DsdTestResponse) driver_view = NULL;
  g_autoptr(DsdTestResponse) early = NULL;
  g_autoptr(DsdTestResponse) bad = NULL;
  g_autoptr(DsdTestResponse) miss = NULL;
  g_autoptr(DsdTestResponse) right = NULL;
  g_autoptr(DsdTestResponse) again = NULL;
  g_autoptr(DsdTestResponse) delivered = NULL;
  g_autoptr(DsdTestResponse) events = NULL;
  g_autoptr(DsdTestResponse) listed = NULL;

  start_delivery (&d, "{\"pin\":true}");
  pin = customer_pin (&d);
  wrong = wrong_pin (pin);

  order = get (&d, "", d.driver);
  g_assert_cmpuint (json_array_get_length (required_of (order)), ==, 1);
  g_assert_cmpstr (json_array_get_string_element (required_of (order), 0), ==, "pin");
  g_assert_false (json_object_has_member (
                    json_object_get_object_member (dsd_test_response_object (order), "proof"),
                    "pin"));
  /* nor the key to the tracking page that shows it */
  g_assert_false (json_object_has_member (dsd_test_response_object (order), "tracking_token"));
  g_assert_null (strstr (order->text, d.tracking_token));

  driver_view = get (&d, "/proof", d.driver);
  g_assert_cmpuint (driver_view->status, ==, 200);
  g_assert_false (json_object_has_member (dsd_test_response_object (driver_view), "pin"));

  early = post (&d, "/status", d.driver, "{\"status\":\"delivered\"}");
  dsd_test_assert_error (early, 409, "conflict", "proof");

  bad = enter_pin (&d, "12a4");
  dsd_test_assert_error (bad, 400, "invalid_argument", "pin");
  miss = enter_pin (&d, wrong);
  dsd_test_assert_error (miss, 422, "invalid_argument", "pin");
  g_assert_nonnull (strstr (miss->text, "4 attempts left"));

  right = enter_pin (&d, pin);
  g_assert_cmpuint (right->status, ==, 200);
  g_assert_true (json_object_get_boolean_member (dsd_test_response_object (right),
                                                 "pin_verified"));
  again = enter_pin (&d, pin);
  g_assert_cmpuint (again->status, ==, 200);

  delivered = post (&d, "/status", d.driver, "{\"status\":\"delivered\"}");
  g_assert_cmpuint (delivered->status, ==, 200);
  g_assert_cmpstr (dsd_test_response_string (delivered, "status"), ==, "delivered");
  g_assert_null (strstr (delivered->text, d.tracking_token));
  events = get (&d, "/events", d.driver);
  g_assert_cmpuint (events->status, ==, 200);
  g_assert_null (strstr (events->text, d.tracking_token));
  listed = dsd_test_request (server, "GET", "/api/v1/orders", d.driver, NULL, NULL);
  g_assert_cmpuint (listed->status, ==, 200);
  g_assert_null (strstr (listed->text, d.tracking_token));
}

/* Every wrong PIN counts; the fifth locks it, even against the right one. */
static void
test_pin_brute_force (void)
{
  g_auto(Delivery) d = { 0 };
  g_autofree char *pin = NULL;
  g_autofree char *events_path = NULL;
  g_autoptr(DsdTestResponse) locked = NULL;
  g_autoptr(DsdTestResponse) delivered = NULL;
  g_autoptr(DsdTestResponse) failed = NULL;
  g_autoptr(DsdTestResponse) events = NULL;

  start_delivery (&d, "{\"pin\":true}");
  pin = customer_pin (&d);

  for (guint i = 0; i < DISPATCH_PROOF_PIN_MAX_ATTEMPTS; i++)
    {
      g_autofree char *guess = g_strdup_printf ("%04u", (atoi (pin) + 1 + i) % 10000);
      g_autoptr(DsdTestResponse) miss = enter_pin (&d, guess);

      dsd_test_assert_error (miss, 422, "invalid_argument", "pin");
      if (i + 1 == DISPATCH_PROOF_PIN_MAX_ATTEMPTS)
        g_assert_nonnull (strstr (miss->text, "locked"));
    }

  locked = enter_pin (&d, pin);
  dsd_test_assert_error (locked, 409, "conflict", "pin");
  delivered = post (&d, "/status", d.dispatcher, "{\"status\":\"delivered\"}");
  dsd_test_assert_error (delivered, 409, "conflict", "proof");

  failed = post (&d, "/status", d.driver,
                 "{\"status\":\"failed\",\"reason_code\":\"pin_locked\"}");
  g_assert_cmpuint (failed->status, ==, 200);
  g_assert_cmpstr (dsd_test_response_string (failed, "failure_code"), ==, "pin_locked");

  events = get (&d, "/events", d.dispatcher);
  g_assert_nonnull (strstr (events->text, "proof_pin_locked"));
}

static void
test_images (void)
{
  g_auto(Delivery) d = { 0 };
  g_autoptr(GBytes) png = make_png (64, 48);
  g_autoptr(GBytes) jpeg = make_jpeg ();
  g_autoptr(DsdTestResponse) photo = NULL;
  g_autoptr(DsdTestResponse) half = NULL;
  g_autoptr(DsdTestResponse) signature = NULL;
  g_autoptr(DsdTestResponse) as_customer = NULL;
  g_autoptr(DsdTestResponse) as_dispatcher = NULL;
  g_autoptr(DsdTestResponse) as_driver = NULL;
  g_autoptr(DsdTestResponse) sig_back = NULL;
  g_autoptr(DsdTestResponse) delivered = NULL;
  g_autoptr(DsdTestResponse) late = NULL;
  JsonObject *info;

  start_delivery (&d, "{\"photo\":true,\"signature\":true}");

  photo = put_image (&d, "photo", d.driver, "image/png", png);
  g_assert_cmpuint (photo->status, ==, 200);
  info = json_object_get_object_member (dsd_test_response_object (photo), "photo");
  g_assert_cmpstr (json_object_get_string_member (info, "content_type"), ==, "image/png");
  g_assert_cmpint (json_object_get_int_member (info, "width"), ==, 64);
  g_assert_cmpint (json_object_get_int_member (info, "height"), ==, 48);
  g_assert_cmpint (json_object_get_int_member (info, "size"), ==, g_bytes_get_size (png));

  half = post (&d, "/status", d.driver, "{\"status\":\"delivered\"}");
  dsd_test_assert_error (half, 409, "conflict", "proof");
  g_assert_nonnull (strstr (half->text, "signature"));
  g_assert_null (strstr (half->text, "photo"));

  /* Declared PNG, sniffed and stored as what it is */
  signature = put_image (&d, "signature", d.driver, "image/png", jpeg);
  g_assert_cmpuint (signature->status, ==, 200);
  info = json_object_get_object_member (dsd_test_response_object (signature), "signature");
  g_assert_cmpstr (json_object_get_string_member (info, "content_type"), ==, "image/jpeg");

  as_customer = get (&d, "/proof/photo", d.customer);
  g_assert_cmpuint (as_customer->status, ==, 200);
  g_assert_cmpstr (soup_message_headers_get_content_type (as_customer->headers, NULL), ==,
                   "image/png");
  g_assert_cmpstr (soup_message_headers_get_one (as_customer->headers,
                                                 "X-Content-Type-Options"), ==, "nosniff");
  /* (the body text stops at the first NUL, after the PNG signature) */
  g_assert_cmpint (soup_message_headers_get_content_length (as_customer->headers), ==,
                   g_bytes_get_size (png));
  g_assert_cmpmem (as_customer->text, strlen (as_customer->text), g_bytes_get_data (png, NULL), 8);
  as_dispatcher = get (&d, "/proof/photo", d.dispatcher);
  g_assert_cmpuint (as_dispatcher->status, ==, 200);
  as_driver = get (&d, "/proof/photo", d.driver);
  dsd_test_assert_error (as_driver, 403, "permission_denied", NULL);
  sig_back = get (&d, "/proof/signature", d.customer);
  g_assert_cmpuint (sig_back->status, ==, 200);
  g_assert_cmpstr (soup_message_headers_get_content_type (sig_back->headers, NULL), ==,
                   "image/jpeg");

  delivered = post (&d, "/status", d.driver, "{\"status\":\"delivered\"}");
  g_assert_cmpuint (delivered->status, ==, 200);

  late = put_image (&d, "photo", d.driver, "image/png", png);
  dsd_test_assert_error (late, 409, "invalid_transition", NULL);
}

static void
test_bad_uploads (void)
{
  g_auto(Delivery) d = { 0 };
  g_auto(Delivery) other = { 0 };
  g_autoptr(GBytes) png = make_png (4, 4);
  g_autoptr(GBytes) text = g_bytes_new_static ("hello, not an image", 19);
  g_autoptr(GBytes) truncated = g_bytes_new_from_bytes (png, 0, g_bytes_get_size (png) - 5);
  g_autoptr(GBytes) empty = g_bytes_new_static ("", 0);
  g_autoptr(GBytes) wide = make_png (DISPATCH_PROOF_IMAGE_MAX_DIMENSION + 1, 1);
  g_autoptr(GBytes) big = NULL;
  g_autoptr(GBytes) html = g_bytes_new_static ("<html><script>alert(1)</script></html>", 38);
  g_autoptr(DsdTestResponse) r = NULL;
  guint side = 200;
  const struct {
    const char *content_type;
    GBytes     *bytes;
    guint       status;
    const char *code;
  } cases[] = {
    { "image/png", text, 415, "unsupported_media_type" },
    { "image/png", html, 415, "unsupported_media_type" },
    { "image/png", truncated, 415, "unsupported_media_type" },
    { "image/png", empty, 415, "unsupported_media_type" },
    { "text/plain", png, 415, "unsupported_media_type" },
    { "image/png", wide, 422, "invalid_argument" },
  };

  start_delivery (&d, "{\"photo\":true}");
  start_delivery (&other, "{\"photo\":true}");

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(DsdTestResponse) refused = put_image (&d, "photo", d.driver,
                                                      cases[i].content_type, cases[i].bytes);

      g_test_message ("case %u: %u %s", i, refused->status, refused->text);
      dsd_test_assert_error (refused, cases[i].status, cases[i].code, NULL);
    }

  /* A well-formed PNG just over the limit */
  while ((gsize) side * side * 3 <= DISPATCH_PROOF_IMAGE_MAX_BYTES)
    side += 20;
  big = make_png (side, side);
  g_assert_cmpuint (g_bytes_get_size (big), >, DISPATCH_PROOF_IMAGE_MAX_BYTES);
  r = put_image (&d, "photo", d.driver, "image/png", big);
  dsd_test_assert_error (r, 413, "payload_too_large", NULL);
  g_clear_pointer (&r, dsd_test_response_free);

  /* Another driver's delivery */
  r = put_image (&d, "photo", other.driver, "image/png", png);
  dsd_test_assert_error (r, 404, "not_found", NULL);
  g_clear_pointer (&r, dsd_test_response_free);
  r = put_image (&d, "selfie", d.driver, "image/png", png);
  g_assert_cmpuint (r->status, ==, 404);
  g_clear_pointer (&r, dsd_test_response_free);

  /* Nothing of that was stored */
  r = get (&d, "/proof", d.dispatcher);
  g_assert_true (JSON_NODE_HOLDS_NULL (json_object_get_member (dsd_test_response_object (r),
                                                               "photo")));
  g_clear_pointer (&r, dsd_test_response_free);
  r = post (&d, "/status", d.driver, "{\"status\":\"delivered\"}");
  dsd_test_assert_error (r, 409, "conflict", "proof");
}

/* DISPATCH_PROOF_REQUIRED=pin for orders that say nothing; "proof":{} needs none. */
static void
test_default_and_failure_codes (void)
{
  g_auto(Delivery) by_default = { 0 };
  g_auto(Delivery) none = { 0 };
  g_autoptr(DsdTestResponse) order = NULL;
  g_autoptr(DsdTestResponse) unknown = NULL;
  g_autoptr(DsdTestResponse) failed = NULL;
  g_autoptr(DsdTestResponse) delivered = NULL;
  g_autoptr(DsdTestResponse) no_pin = NULL;

  start_delivery (&by_default, NULL);
  order = get (&by_default, "", by_default.dispatcher);
  g_assert_cmpuint (json_array_get_length (required_of (order)), ==, 1);

  unknown = post (&by_default, "/status", by_default.driver,
                  "{\"status\":\"failed\",\"reason_code\":\"aliens\"}");
  dsd_test_assert_error (unknown, 400, "invalid_argument", "reason_code");
  failed = post (&by_default, "/status", by_default.driver,
                 "{\"status\":\"failed\",\"reason\":\"gate closed\"}");
  g_assert_cmpuint (failed->status, ==, 200);
  g_assert_cmpstr (dsd_test_response_string (failed, "failure_code"), ==, "other");

  start_delivery (&none, "{}");
  no_pin = enter_pin (&none, "1234");
  dsd_test_assert_error (no_pin, 409, "conflict", "pin");
  delivered = post (&none, "/status", none.driver, "{\"status\":\"delivered\"}");
  g_assert_cmpuint (delivered->status, ==, 200);
  g_assert_true (JSON_NODE_HOLDS_NULL (json_object_get_member (
                   dsd_test_response_object (delivered), "failure_code")));
}

int
main (int   argc,
      char *argv[])
{
  int status;

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/proof/pin", test_pin);
  g_test_add_func ("/proof/pin-brute-force", test_pin_brute_force);
  g_test_add_func ("/proof/images", test_images);
  g_test_add_func ("/proof/bad-uploads", test_bad_uploads);
  g_test_add_func ("/proof/default-and-failure-codes", test_default_and_failure_codes);

  /* No automation: the tests assign their orders themselves. */
  server = dsd_test_server_start ((const char * const[]) {
                                    "DISPATCH_ROLES=api,relay,notifier",
                                    "DISPATCH_PROOF_REQUIRED=pin",
                                    NULL
                                  });
  status = g_test_run ();
  dsd_test_server_free (server);

  return status;
}
