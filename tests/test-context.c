/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "dsd-context.h"
#include "dsd-event-bus.h"
#include "dsd-metrics.h"

static void
test_clock (void)
{
  g_autoptr(DsdClock) system = dsd_clock_new ();
  g_autoptr(DsdClock) frozen = dsd_clock_new_frozen (G_GINT64_CONSTANT (1800000000000000));
  gint64 monotonic = dsd_clock_get_monotonic_us (frozen);
  gint64 before = g_get_real_time ();
  gint64 now = dsd_clock_get_real_us (system);

  /* The system clock is the system's. */
  g_assert_cmpint (now, >=, before);
  g_assert_cmpint (now, <=, g_get_real_time ());
  g_assert_cmpint (dsd_clock_get_monotonic_us (system), <=, g_get_monotonic_time ());

  /* A frozen one stands still until advanced, both times alike. */
  g_assert_cmpint (dsd_clock_get_real_us (frozen), ==, G_GINT64_CONSTANT (1800000000000000));
  g_assert_cmpint (dsd_clock_get_monotonic_us (frozen), ==, monotonic);
  dsd_clock_advance (frozen, 5 * G_USEC_PER_SEC);
  g_assert_cmpint (dsd_clock_get_real_us (frozen), ==,
                   G_GINT64_CONSTANT (1800000000000000) + 5 * G_USEC_PER_SEC);
  g_assert_cmpint (dsd_clock_get_monotonic_us (frozen), ==, monotonic + 5 * G_USEC_PER_SEC);
}

static void
test_services (void)
{
  g_autoptr(DsdConfig) config = dsd_config_new ();
  g_autoptr(DsdClock) clock = dsd_clock_new_frozen (0);
  g_autoptr(DsdContext) context = dsd_context_new (config, clock);
  g_autoptr(DsdEventBus) bus = dsd_event_bus_new ();

  g_assert_true (dsd_context_get_config (context) == config);
  g_assert_true (dsd_context_get_clock (context) == clock);
  g_assert_true (DSD_IS_METRICS (dsd_context_get_metrics (context)));

  /* A service is found by its type and referenced by the context. */
  dsd_context_add (context, bus);
  g_assert_true (dsd_context_get (context, DSD_TYPE_EVENT_BUS) == bus);
  g_assert_cmpuint (G_OBJECT (bus)->ref_count, ==, 2);

  /* One per type. */
  g_test_expect_message ("dsd-core", G_LOG_LEVEL_CRITICAL, "*find_service*");
  dsd_context_add (context, bus);
  g_test_assert_expected_messages ();
}

/* Asking for a service the daemon did not add is a programming error. */
static void
test_missing_service (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(DsdConfig) config = dsd_config_new ();
      g_autoptr(DsdClock) clock = dsd_clock_new ();
      g_autoptr(DsdContext) context = dsd_context_new (config, clock);

      dsd_context_get (context, DSD_TYPE_EVENT_BUS);
      return;
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*No DsdEventBus in the context*");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/context/clock", test_clock);
  g_test_add_func ("/context/services", test_services);
  g_test_add_func ("/context/missing-service", test_missing_service);

  return g_test_run ();
}
