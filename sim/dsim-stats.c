/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsim"

#include <math.h>

#include "dsim-stats.h"

/* Unexpected answers logged in full; the rest are only counted. */
#define MAX_LOGGED_ERRORS 20

static const char * const counter_names[] = {
  [DSIM_ORDERS_CREATED] = "orders_created",
  [DSIM_ORDERS_ASSIGNED] = "orders_assigned",
  [DSIM_ORDERS_PICKED_UP] = "orders_picked_up",
  [DSIM_ORDERS_DELIVERED] = "orders_delivered",
  [DSIM_ORDERS_FAILED] = "orders_failed",
  [DSIM_ORDERS_LOST] = "orders_lost",
  [DSIM_PINS_ENTERED] = "pins_entered",
  [DSIM_PROOF_IMAGES] = "proof_images",
  [DSIM_ASSIGNMENTS_MADE] = "assignments_made",
  [DSIM_OFFERS_RECEIVED] = "offers_received",
  [DSIM_OFFERS_ACCEPTED] = "offers_accepted",
  [DSIM_OFFERS_DECLINED] = "offers_declined",
  [DSIM_OFFERS_MISSED] = "offers_missed",
  [DSIM_SHIFTS_STARTED] = "shifts_started",
  [DSIM_SHIFTS_ENDED] = "shifts_ended",
  [DSIM_LOCATION_POINTS] = "location_points",
  [DSIM_ERRORS] = "errors",
};

G_STATIC_ASSERT (G_N_ELEMENTS (counter_names) == DSIM_N_COUNTERS);

struct _DsimStats {
  guint64 counters[DSIM_N_COUNTERS];
  double  wait_sum_s[DSIM_N_WAITS];
  guint64 wait_count[DSIM_N_WAITS];
};

DsimStats *
dsim_stats_new (void)
{
  return g_new0 (DsimStats, 1);
}

void
dsim_stats_free (DsimStats *self)
{
  g_free (self);
}

void
dsim_stats_add (DsimStats   *self,
                DsimCounter  counter,
                guint64      n)
{
  g_return_if_fail (counter < DSIM_N_COUNTERS);

  self->counters[counter] += n;
}

void
dsim_stats_add_wait (DsimStats *self,
                     DsimWait   wait,
                     double     seconds)
{
  g_return_if_fail (wait < DSIM_N_WAITS);

  self->wait_sum_s[wait] += seconds;
  self->wait_count[wait]++;
}

double
dsim_stats_mean_wait (DsimStats *self,
                      DsimWait   wait)
{
  g_return_val_if_fail (wait < DSIM_N_WAITS, NAN);

  if (self->wait_count[wait] == 0)
    return NAN;

  return self->wait_sum_s[wait] / self->wait_count[wait];
}

void
dsim_stats_error (DsimStats    *self,
                  const char   *what,
                  const GError *error)
{
  self->counters[DSIM_ERRORS]++;

  if (self->counters[DSIM_ERRORS] <= MAX_LOGGED_ERRORS)
    g_printerr ("dispatch-sim: %s: %s\n", what, error->message);
  if (self->counters[DSIM_ERRORS] == MAX_LOGGED_ERRORS)
    g_printerr ("dispatch-sim: further errors are only counted\n");
}

static char *
format_duration (double seconds)
{
  guint64 s;

  if (!isfinite (seconds))
    return g_strdup ("-");

  s = (guint64) llround (seconds);
  if (s >= 3600)
    return g_strdup_printf ("%" G_GUINT64_FORMAT ":%02u:%02u", s / 3600,
                            (guint) (s / 60 % 60), (guint) (s % 60));
  return g_strdup_printf ("%u:%02u", (guint) (s / 60), (guint) (s % 60));
}

char *
dsim_stats_format_line (DsimStats *self,
                        double     sim_s,
                        guint      n_online,
                        guint      n_busy,
                        guint      n_drivers)
{
  g_autofree char *clock = format_duration (sim_s);
  g_autofree char *pickup = format_duration (dsim_stats_mean_wait (self, DSIM_WAIT_PICKUP));
  const guint64 *c = self->counters;

  return g_strdup_printf ("%s  drivers %u/%u online, %u busy  orders %" G_GUINT64_FORMAT
                          " created, %" G_GUINT64_FORMAT " assigned, %" G_GUINT64_FORMAT
                          " delivered, %" G_GUINT64_FORMAT " failed  pickup wait %s  "
                          "errors %" G_GUINT64_FORMAT,
                          clock, n_online, n_drivers, n_busy, c[DSIM_ORDERS_CREATED],
                          c[DSIM_ORDERS_ASSIGNED], c[DSIM_ORDERS_DELIVERED],
                          c[DSIM_ORDERS_FAILED], pickup, c[DSIM_ERRORS]);
}

void
dsim_stats_add_counts (DsimStats   *self,
                       JsonBuilder *builder)
{
  json_builder_begin_object (builder);
  for (guint i = 0; i < DSIM_N_COUNTERS; i++)
    {
      json_builder_set_member_name (builder, counter_names[i]);
      json_builder_add_int_value (builder, (gint64) self->counters[i]);
    }
  json_builder_end_object (builder);
}

char *
dsim_stats_format_report (DsimStats *self)
{
  g_autofree char *assignment = format_duration (dsim_stats_mean_wait (self,
                                                                       DSIM_WAIT_ASSIGNMENT));
  g_autofree char *pickup = format_duration (dsim_stats_mean_wait (self, DSIM_WAIT_PICKUP));
  const guint64 *c = self->counters;

  return g_strdup_printf (
    "  orders:  %" G_GUINT64_FORMAT " created, %" G_GUINT64_FORMAT " taken on by drivers "
    "(%" G_GUINT64_FORMAT " assigned by the simulator), %" G_GUINT64_FORMAT " picked up, %"
    G_GUINT64_FORMAT " delivered, %" G_GUINT64_FORMAT " failed, %" G_GUINT64_FORMAT
    " taken away\n"
    "  offers:  %" G_GUINT64_FORMAT " received, %" G_GUINT64_FORMAT " accepted, %"
    G_GUINT64_FORMAT " declined, %" G_GUINT64_FORMAT " gone before the answer\n"
    "  drivers: %" G_GUINT64_FORMAT " shifts started, %" G_GUINT64_FORMAT " ended, %"
    G_GUINT64_FORMAT " location points\n"
    "  waits:   mean %s until a driver has the order, mean %s until pickup (m:ss)\n"
    "  errors:  %" G_GUINT64_FORMAT " unexpected answers\n",
    c[DSIM_ORDERS_CREATED], c[DSIM_ORDERS_ASSIGNED], c[DSIM_ASSIGNMENTS_MADE],
    c[DSIM_ORDERS_PICKED_UP], c[DSIM_ORDERS_DELIVERED], c[DSIM_ORDERS_FAILED],
    c[DSIM_ORDERS_LOST], c[DSIM_OFFERS_RECEIVED], c[DSIM_OFFERS_ACCEPTED],
    c[DSIM_OFFERS_DECLINED], c[DSIM_OFFERS_MISSED], c[DSIM_SHIFTS_STARTED],
    c[DSIM_SHIFTS_ENDED], c[DSIM_LOCATION_POINTS], assignment, pickup, c[DSIM_ERRORS]);
}
