/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <gio/gio.h>

#include "dispatch-error.h"

static const struct {
  DispatchError code;
  const char *wire;
  guint status;
} codes[] = {
  { DISPATCH_ERROR_INVALID_ARGUMENT, "invalid_argument", 400 },
  { DISPATCH_ERROR_UNAUTHENTICATED, "unauthenticated", 401 },
  { DISPATCH_ERROR_PERMISSION_DENIED, "permission_denied", 403 },
  { DISPATCH_ERROR_NOT_FOUND, "not_found", 404 },
  { DISPATCH_ERROR_METHOD_NOT_ALLOWED, "method_not_allowed", 405 },
  { DISPATCH_ERROR_CONFLICT, "conflict", 409 },
  { DISPATCH_ERROR_INVALID_TRANSITION, "invalid_transition", 409 },
  { DISPATCH_ERROR_INSUFFICIENT_INVENTORY, "insufficient_inventory", 409 },
  { DISPATCH_ERROR_LENGTH_REQUIRED, "length_required", 411 },
  { DISPATCH_ERROR_PAYLOAD_TOO_LARGE, "payload_too_large", 413 },
  { DISPATCH_ERROR_UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", 415 },
  { DISPATCH_ERROR_GONE, "gone", 410 },
  { DISPATCH_ERROR_RATE_LIMITED, "rate_limited", 429 },
  { DISPATCH_ERROR_INTERNAL, "internal", 500 },
  { DISPATCH_ERROR_UNAVAILABLE, "unavailable", 503 },
  { DISPATCH_ERROR_UNPROCESSABLE, "invalid_argument", 422 },
};

static void
test_code_table (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (codes); i++)
    {
      g_test_message ("code %u", codes[i].code);
      g_assert_cmpstr (dispatch_error_code_to_string (codes[i].code), ==, codes[i].wire);
      g_assert_cmpuint (dispatch_error_code_http_status (codes[i].code), ==, codes[i].status);
    }
}

static void
test_code_from_string (void)
{
  static const char *unknown[] = { "", "NOT_FOUND", "not found", "not_found ", "422" };
  DispatchError code;

  for (guint i = 0; i < G_N_ELEMENTS (codes); i++)
    {
      /* UNPROCESSABLE shares its wire name; the name reads back as the 400 code. */
      DispatchError expected = codes[i].code == DISPATCH_ERROR_UNPROCESSABLE
                               ? DISPATCH_ERROR_INVALID_ARGUMENT
                               : codes[i].code;

      code = (DispatchError) -1;
      g_assert_true (dispatch_error_code_from_string (codes[i].wire, &code));
      g_assert_cmpint (code, ==, expected);
    }

  for (guint i = 0; i < G_N_ELEMENTS (unknown); i++)
    {
      code = DISPATCH_ERROR_CONFLICT;
      g_assert_false (dispatch_error_code_from_string (unknown[i], &code));
      g_assert_cmpint (code, ==, DISPATCH_ERROR_CONFLICT);
    }
  g_assert_false (dispatch_error_code_from_string (NULL, &code));
}

static void
test_code_out_of_range (void)
{
  DispatchError bogus = (DispatchError) 1000;

  g_assert_cmpstr (dispatch_error_code_to_string (bogus), ==, "internal");
  g_assert_cmpuint (dispatch_error_code_http_status (bogus), ==, 500);
}

static void
test_field_error (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) copy = NULL;

  dispatch_set_field_error (&error, DISPATCH_ERROR_INVALID_ARGUMENT, "pickup.lat",
                            "%s must be within [%d, %d]", "pickup.lat", -90, 90);
  g_assert_error (error, DISPATCH_ERROR, DISPATCH_ERROR_INVALID_ARGUMENT);
  g_assert_cmpstr (error->message, ==, "pickup.lat must be within [-90, 90]");
  g_assert_cmpstr (dispatch_error_get_field (error), ==, "pickup.lat");

  copy = g_error_copy (error);
  g_assert_cmpstr (dispatch_error_get_field (copy), ==, "pickup.lat");

  dispatch_error_set_field (error, "dropoff.lon");
  g_assert_cmpstr (dispatch_error_get_field (error), ==, "dropoff.lon");
  g_assert_cmpstr (dispatch_error_get_field (copy), ==, "pickup.lat");

  dispatch_error_set_field (error, NULL);
  g_assert_null (dispatch_error_get_field (error));
}

static void
test_field_error_without_field (void)
{
  g_autoptr(GError) error = NULL;

  dispatch_set_field_error (&error, DISPATCH_ERROR_NOT_FOUND, NULL, "no such order");
  g_assert_error (error, DISPATCH_ERROR, DISPATCH_ERROR_NOT_FOUND);
  g_assert_cmpstr (error->message, ==, "no such order");
  g_assert_null (dispatch_error_get_field (error));

  /* A NULL location is allowed, as with g_set_error(). */
  dispatch_set_field_error (NULL, DISPATCH_ERROR_CONFLICT, "x", "ignored");
}

static void
test_other_domain (void)
{
  g_autoptr(GError) error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, "io");

  g_assert_null (dispatch_error_get_field (error));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/error/code/table", test_code_table);
  g_test_add_func ("/error/code/from-string", test_code_from_string);
  g_test_add_func ("/error/code/out-of-range", test_code_out_of_range);
  g_test_add_func ("/error/field", test_field_error);
  g_test_add_func ("/error/field/none", test_field_error_without_field);
  g_test_add_func ("/error/field/other-domain", test_other_domain);

  return g_test_run ();
}
