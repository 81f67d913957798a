/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "dispatch-model.h"

#define P DISPATCH_ORDER_PENDING
#define A DISPATCH_ORDER_ASSIGNED
#define U DISPATCH_ORDER_PICKED_UP
#define D DISPATCH_ORDER_DELIVERED
#define C DISPATCH_ORDER_CANCELLED
#define F DISPATCH_ORDER_FAILED
#define N_STATUSES 6

static void
assert_names (const char * const *names,
              const char * const *expected,
              guint               n_expected)
{
  for (guint i = 0; i < n_expected; i++)
    g_assert_cmpstr (names[i], ==, expected[i]);
  g_assert_null (names[n_expected]);
}

static void
test_order_status_names (void)
{
  static const char * const expected[] = {
    "pending", "assigned", "picked_up", "delivered", "cancelled", "failed",
  };
  DispatchOrderStatus status;

  assert_names (dispatch_enum_names (DISPATCH_TYPE_ORDER_STATUS), expected,
                G_N_ELEMENTS (expected));

  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      g_assert_cmpstr (dispatch_order_status_to_string (i), ==, expected[i]);
      status = (DispatchOrderStatus) -1;
      g_assert_true (dispatch_order_status_from_string (expected[i], &status));
      g_assert_cmpint (status, ==, i);
    }

  status = P;
  g_assert_false (dispatch_order_status_from_string ("Pending", &status));
  g_assert_false (dispatch_order_status_from_string ("picked-up", &status));
  g_assert_false (dispatch_order_status_from_string ("", &status));
  g_assert_false (dispatch_order_status_from_string (NULL, &status));
  g_assert_cmpint (status, ==, P);
}

static void
test_driver_state_names (void)
{
  static const char * const expected[] = { "offline", "idle", "busy" };
  DispatchDriverState state;

  assert_names (dispatch_enum_names (DISPATCH_TYPE_DRIVER_STATE), expected,
                G_N_ELEMENTS (expected));

  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      g_assert_cmpstr (dispatch_driver_state_to_string (i), ==, expected[i]);
      state = (DispatchDriverState) -1;
      g_assert_true (dispatch_driver_state_from_string (expected[i], &state));
      g_assert_cmpint (state, ==, i);
    }

  g_assert_false (dispatch_driver_state_from_string ("online", &state));
}

static void
test_vehicle_names (void)
{
  static const char * const expected[] = { "bike", "scooter", "car", "van" };
  DispatchVehicle vehicle;

  assert_names (dispatch_enum_names (DISPATCH_TYPE_VEHICLE), expected,
                G_N_ELEMENTS (expected));

  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      g_assert_cmpstr (dispatch_vehicle_to_string (i), ==, expected[i]);
      vehicle = (DispatchVehicle) -1;
      g_assert_true (dispatch_vehicle_from_string (expected[i], &vehicle));
      g_assert_cmpint (vehicle, ==, i);
    }

  g_assert_false (dispatch_vehicle_from_string ("truck", &vehicle));
}

static void
test_event_type_names (void)
{
  static const char * const expected[] = {
    "order.created", "order.updated", "order.assigned", "order.offer",
    "order.unassignable", "driver.updated", "driver.location", "alert",
    "order.at_risk", "order.arriving", "order.arrived_at_stop", "driver.route",
  };
  DispatchEventType type;

  assert_names (dispatch_enum_names (DISPATCH_TYPE_EVENT_TYPE), expected,
                G_N_ELEMENTS (expected));

  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      g_assert_cmpstr (dispatch_event_type_to_string (i), ==, expected[i]);
      type = (DispatchEventType) -1;
      g_assert_true (dispatch_event_type_from_string (expected[i], &type));
      g_assert_cmpint (type, ==, i);
    }

  g_assert_false (dispatch_event_type_from_string ("order", &type));
  g_assert_false (dispatch_event_type_from_string ("driver.locations", &type));
}

static void
test_to_string_out_of_range (void)
{
  const char *name;

  g_test_expect_message ("DispatchShared", G_LOG_LEVEL_CRITICAL, "*assertion*failed*");
  name = dispatch_order_status_to_string (N_STATUSES);
  g_test_assert_expected_messages ();
  g_assert_null (name);
}

static void
test_terminal (void)
{
  static const gboolean terminal[N_STATUSES] = {
    [P] = FALSE, [A] = FALSE, [U] = FALSE, [D] = TRUE, [C] = TRUE, [F] = TRUE,
  };

  for (guint i = 0; i < N_STATUSES; i++)
    {
      g_test_message ("%s", dispatch_enum_names (DISPATCH_TYPE_ORDER_STATUS)[i]);
      g_assert_cmpint (dispatch_order_status_is_terminal (i), ==, terminal[i]);
    }
}

static void
test_vehicle_speeds (void)
{
  static const double speeds[] = {
    [DISPATCH_VEHICLE_BIKE] = 4.5,
    [DISPATCH_VEHICLE_SCOOTER] = 7.0,
    [DISPATCH_VEHICLE_CAR] = 8.5,
    [DISPATCH_VEHICLE_VAN] = 7.5,
  };

  for (guint i = 0; i < G_N_ELEMENTS (speeds); i++)
    g_assert_cmpfloat (dispatch_vehicle_speed_mps (i), ==, speeds[i]);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/model/names/order-status", test_order_status_names);
  g_test_add_func ("/model/names/driver-state", test_driver_state_names);
  g_test_add_func ("/model/names/vehicle", test_vehicle_names);
  g_test_add_func ("/model/names/event-type", test_event_type_names);
  g_test_add_func ("/model/names/out-of-range", test_to_string_out_of_range);
  g_test_add_func ("/model/order-status/terminal", test_terminal);
  g_test_add_func ("/model/vehicle/speeds", test_vehicle_speeds);

  return g_test_run ();
}
