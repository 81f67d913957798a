/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The fast location reader on a fixed body of 100 points, shaped as
 * bench-ingest sends them, vs json-glib's parser on the same text:
 * bench-location-scan [ROUNDS]. Under valgrind --tool=callgrind it gives
 * exact instruction counts for the JSON scanner (dispatch-json-scanner.c).
 */
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <stdlib.h>

#include "dispatch-json.h"
#include "dsd-location-scanner.h"

#define N_POINTS 100
#define NOW_US G_GINT64_CONSTANT (1800000000000000)

static char *
location_body (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (11);
  GString *body = g_string_new ("{\"points\":[");

  for (guint j = 0; j < N_POINTS; j++)
    {
      g_autofree char *at = dispatch_format_timestamp (NOW_US - (N_POINTS - j) * 20000);

      g_string_append_printf (body, "%s{\"lat\":%.6f,\"lon\":%.6f,\"heading\":%.1f,"
                              "\"speed_mps\":%.2f,\"accuracy_m\":5,\"recorded_at\":\"%s\"}",
                              j ? "," : "", 52.3 + j * 1e-5, 13.2 + j * 1e-5,
                              g_rand_double_range (rand, 0, 359.9),
                              g_rand_double_range (rand, 0, 15), at);
    }
  g_string_append (body, "]}");
  return g_string_free (body, FALSE);
}

int
main (int   argc,
      char *argv[])
{
  guint rounds = argc > 1 ? (guint) atoi (argv[1]) : 20000;
  g_autofree char *body = location_body ();
  gsize length = strlen (body);
  gint64 start;
  double scan_us;
  double reference_us;

  start = g_get_monotonic_time ();
  for (guint i = 0; i < rounds; i++)
    {
      g_autoptr(GArray) points = dsd_location_scan (body, length, N_POINTS, NOW_US);

      if (points == NULL || points->len != N_POINTS)
        g_error ("the scanner refused the body");
    }
  scan_us = (double) (g_get_monotonic_time () - start) / rounds;

  start = g_get_monotonic_time ();
  for (guint i = 0; i < rounds; i++)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();

      if (!json_parser_load_from_data (parser, body, length, NULL))
        g_error ("json-glib refused the body");
    }
  reference_us = (double) (g_get_monotonic_time () - start) / rounds;

  printf ("result bytes=%" G_GSIZE_FORMAT " rounds=%u scan_us_per_point=%.3f "
          "json_glib_us_per_point=%.3f ratio=%.3f\n", length, rounds, scan_us / N_POINTS,
          reference_us / N_POINTS, reference_us / scan_us);
  return 0;
}
