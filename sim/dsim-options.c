/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsim"

#include <math.h>

#include "dispatch-limits.h"
#include "dsim-grid.h"
#include "dsim-options.h"

#define DEFAULT_WINDOW_SHARE 0.25

/* Berlin Mitte, from Tiergarten's east edge to Alexanderplatz and Kreuzberg's
 * north: OpenStreetMap shows real streets under the simulated ones. */
#define DEFAULT_BBOX "52.505,13.370,52.535,13.430"

typedef struct {
  char    *bbox;
  char    *locations;
  char    *password_file;
  char    *proof;
  gint64   seed;
  int      n_drivers;
  int      n_customers;
  int      n_hotspots;
  int      trip_max;
  double   shift_min;
  double   break_min;
} RawOptions;

static void
raw_options_clear (RawOptions *raw)
{
  g_free (raw->bbox);
  g_free (raw->locations);
  g_free (raw->password_file);
  g_free (raw->proof);
}

static gboolean
fail (GError     **error,
      const char  *format,
      ...) G_GNUC_PRINTF (2, 3);

static gboolean
fail (GError     **error,
      const char  *format,
      ...)
{
  va_list args;

  va_start (args, format);
  g_propagate_error (error, g_error_new_valist (G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                                                format, args));
  va_end (args);
  return FALSE;
}

static gboolean
in_range (double value,
          double min,
          double max)
{
  return isfinite (value) && value >= min && value <= max;
}

static gboolean
parse_bbox (const char    *text,
            DispatchBBox  *out,
            GError       **error)
{
  g_auto(GStrv) parts = g_strsplit (text, ",", -1);
  double values[4];

  if (g_strv_length (parts) != 4)
    return fail (error, "--bbox takes MIN_LAT,MIN_LON,MAX_LAT,MAX_LON");

  for (guint i = 0; i < 4; i++)
    {
      char *end = NULL;

      values[i] = g_ascii_strtod (parts[i], &end);
      if (end == parts[i] || *end != '\0')
        return fail (error, "--bbox: “%s” is not a number", parts[i]);
    }

  *out = (DispatchBBox) { values[0], values[1], values[2], values[3] };
  if (!dispatch_lat_lon_is_valid (out->min_lat, out->min_lon) ||
      !dispatch_lat_lon_is_valid (out->max_lat, out->max_lon) ||
      out->min_lat >= out->max_lat || out->min_lon >= out->max_lon)
    return fail (error, "--bbox must be a valid box with MIN < MAX");

  return TRUE;
}

static gboolean
read_password_file (DsimOptions  *self,
                    const char   *path,
                    GError      **error)
{
  g_autofree char *contents = NULL;

  if (!g_file_get_contents (path, &contents, NULL, error))
    return FALSE;

  g_free (self->admin_password);
  self->admin_password = g_strdup (g_strstrip (contents));
  return TRUE;
}

static gboolean
validate (DsimOptions  *self,
          RawOptions   *raw,
          GError      **error)
{
  DsimGrid grid;

  if (raw->password_file != NULL && !read_password_file (self, raw->password_file, error))
    return FALSE;
  if (self->admin_password == NULL)
    self->admin_password = g_strdup (g_getenv ("DISPATCH_ADMIN_PASSWORD"));
  if (self->admin_password == NULL || *self->admin_password == '\0')
    return fail (error, "The admin password is needed (--admin-password, "
                 "--admin-password-file or DISPATCH_ADMIN_PASSWORD)");

  if (!parse_bbox (raw->bbox != NULL ? raw->bbox : DEFAULT_BBOX, &self->bbox, error))
    return FALSE;

  if (raw->locations == NULL || g_str_equal (raw->locations, "http"))
    self->locations = DSIM_LOCATIONS_HTTP;
  else if (g_str_equal (raw->locations, "ws"))
    self->locations = DSIM_LOCATIONS_WS;
  else
    return fail (error, "--locations must be http or ws");

  if (raw->n_drivers < 1 || raw->n_drivers > 10000)
    return fail (error, "--drivers must be within [1, 10000]");
  if (raw->n_customers < 1 || raw->n_customers > 1000)
    return fail (error, "--customers must be within [1, 1000]");
  if (raw->n_hotspots < 0 || raw->n_hotspots > 100)
    return fail (error, "--hotspots must be within [0, 100]");
  self->n_drivers = raw->n_drivers;
  self->n_customers = raw->n_customers;
  self->n_hotspots = raw->n_hotspots;

  if (raw->seed < -1 || raw->seed > G_MAXUINT32)
    return fail (error, "--seed must be within [0, %u]", G_MAXUINT32);
  self->seed = raw->seed >= 0 ? (guint32) raw->seed : g_random_int ();

  if (!in_range (self->order_rate_per_min, 0, 100000))
    return fail (error, "--order-rate must be within [0, 100000] orders per minute");
  if (!in_range (self->block_m, 20, 2000))
    return fail (error, "--block must be within [20, 2000] metres");
  if (!dsim_grid_init (&grid, &self->bbox, self->block_m))
    return fail (error, "--bbox must be at least one --block long each way");
  if (!in_range (self->duration_s, 0, 1e9))
    return fail (error, "--duration must be ≥ 0 seconds");
  if (!in_range (self->speedup, 0, 1000) || (self->speedup == 0 && !self->deterministic))
    return fail (error, "--speedup must be within (0, 1000] (0 only with --deterministic)");
  if (!in_range (self->step_s, 0.1, 60))
    return fail (error, "--step must be within [0.1, 60] seconds");
  if (!in_range (self->assign_delay_s, 0, 86400))
    return fail (error, "--assign-delay must be within [0, 86400] seconds");
  if (!in_range (self->decline_rate, 0, 1) || !in_range (self->fail_rate, 0, 1) ||
      !in_range (self->online_fraction, 0, 1))
    return fail (error, "--decline-rate, --fail-rate and --online-fraction must be within [0, 1]");
  /* Windows are wall-clock times: without a speedup there is no mapping. */
  if (self->window_share < 0)
    self->window_share = self->speedup > 0 ? DEFAULT_WINDOW_SHARE : 0;
  if (!in_range (self->window_share, 0, 1) || (self->speedup == 0 && self->window_share > 0))
    return fail (error, "--window-share must be within [0, 1] (0 with --speedup 0)");
  if (raw->trip_max < 1 || raw->trip_max > DISPATCH_DRIVER_MAX_CAPACITY)
    return fail (error, "--trip-max must be within [1, 100]");
  self->trip_max = raw->trip_max;
  if (!in_range (raw->shift_min, 1, 1440) || !in_range (raw->break_min, 1, 1440))
    return fail (error, "--shift and --break must be within [1, 1440] minutes");
  self->shift_s = raw->shift_min * 60;
  self->break_s = raw->break_min * 60;
  if (raw->proof != NULL && !g_str_equal (raw->proof, "none"))
    {
      g_auto(GStrv) proofs = g_strsplit (raw->proof, ",", -1);

      for (guint i = 0; proofs[i] != NULL; i++)
        {
          const char *proof = g_strstrip (proofs[i]);

          if (g_str_equal (proof, "pin"))
            self->proof_pin = TRUE;
          else if (g_str_equal (proof, "photo"))
            self->proof_photo = TRUE;
          else if (g_str_equal (proof, "signature"))
            self->proof_signature = TRUE;
          else
            return fail (error, "--proof must be none or some of pin,photo,signature");
        }
    }
  if (!in_range (self->dwell_s, 0, 3600))
    return fail (error, "--dwell must be within [0, 3600] seconds");
  if (!in_range (self->poll_interval_s, 0.1, 600))
    return fail (error, "--poll-interval must be within [0.1, 600] seconds");

  return TRUE;
}

DsimOptions *
dsim_options_parse (int      *argc,
                    char   ***argv,
                    GError  **error)
{
  g_autoptr(DsimOptions) self = g_new0 (DsimOptions, 1);
  g_autoptr(GOptionContext) context = NULL;
  RawOptions raw = {
    .seed = -1,
    .n_drivers = 30,
    .n_customers = 8,
    .n_hotspots = 5,
    .trip_max = 1,
    .shift_min = 240,
    .break_min = 20,
  };
  const GOptionEntry entries[] = {
    { "url", 0, 0, G_OPTION_ARG_STRING, &self->url,
      "Server base URL (default http://127.0.0.1:8080)", "URL" },
    { "admin-user", 0, 0, G_OPTION_ARG_STRING, &self->admin_user,
      "Admin user that creates the simulated users (default admin)", "NAME" },
    { "admin-password", 0, 0, G_OPTION_ARG_STRING, &self->admin_password,
      "Its password (default: $DISPATCH_ADMIN_PASSWORD)", "PASSWORD" },
    { "admin-password-file", 0, 0, G_OPTION_ARG_FILENAME, &raw.password_file,
      "Read the admin password from FILE", "FILE" },
    { "prefix", 0, 0, G_OPTION_ARG_STRING, &self->prefix,
      "Prefix of the simulated usernames (default sim)", "NAME" },
    { "drivers", 'n', 0, G_OPTION_ARG_INT, &raw.n_drivers, "Drivers (default 30)", "N" },
    { "customers", 0, 0, G_OPTION_ARG_INT, &raw.n_customers, "Customers (default 8)", "N" },
    { "order-rate", 'r', 0, G_OPTION_ARG_DOUBLE, &self->order_rate_per_min,
      "Orders per simulated minute, a Poisson process (default 3)", "RATE" },
    { "hotspots", 0, 0, G_OPTION_ARG_INT, &raw.n_hotspots,
      "Busy pickup areas (restaurants) (default 5)", "N" },
    { "bbox", 0, 0, G_OPTION_ARG_STRING, &raw.bbox,
      "City area (default Berlin Mitte " DEFAULT_BBOX ")", "MIN_LAT,MIN_LON,MAX_LAT,MAX_LON" },
    { "block", 0, 0, G_OPTION_ARG_DOUBLE, &self->block_m,
      "Street block length in metres (default 120)", "METRES" },
    { "duration", 'd', 0, G_OPTION_ARG_DOUBLE, &self->duration_s,
      "Simulated seconds to run (default: until interrupted)", "SECONDS" },
    { "speedup", 0, 0, G_OPTION_ARG_DOUBLE, &self->speedup,
      "Simulated seconds per real second (default 1; 0 with --deterministic: "
      "as fast as the server answers)", "FACTOR" },
    { "deterministic", 0, 0, G_OPTION_ARG_NONE, &self->deterministic,
      "Fixed steps, each waiting for the server: the same seed gives the same run "
      "against a fresh server without automatic dispatch", NULL },
    { "step", 0, 0, G_OPTION_ARG_DOUBLE, &self->step_s,
      "Simulated seconds per deterministic step (default 1)", "SECONDS" },
    { "seed", 's', 0, G_OPTION_ARG_INT64, &raw.seed, "Random seed (default: random)", "N" },
    { "assign", 0, 0, G_OPTION_ARG_NONE, &self->assign,
      "Act as a dispatcher too: assign pending orders to the nearest idle driver", NULL },
    { "assign-delay", 0, 0, G_OPTION_ARG_DOUBLE, &self->assign_delay_s,
      "With --assign, leave orders to the server's automation this long (default 0)",
      "SECONDS" },
    { "decline-rate", 0, 0, G_OPTION_ARG_DOUBLE, &self->decline_rate,
      "Share of offers drivers decline (default 0.1)", "P" },
    { "trip-max", 0, 0, G_OPTION_ARG_INT, &raw.trip_max,
      "Orders a driver may carry at once, its capacity (default 1); the server batches "
      "up to its DISPATCH_TRIP_MAX_ORDERS and drivers follow their route's stops", "N" },
    { "fail-rate", 0, 0, G_OPTION_ARG_DOUBLE, &self->fail_rate,
      "Share of deliveries that fail, each with a reason code (default 0.03)", "P" },
    { "window-share", 0, 0, G_OPTION_ARG_DOUBLE, &self->window_share,
      "Share of orders with a ready time and a delivery window (default 0.25; "
      "0 with --speedup 0)", "P" },
    { "proof", 0, 0, G_OPTION_ARG_STRING, &raw.proof,
      "Proof of delivery orders require: none (default) or some of pin,photo,signature",
      "LIST" },
    { "online-fraction", 0, 0, G_OPTION_ARG_DOUBLE, &self->online_fraction,
      "Share of drivers on shift at the start (default 0.85)", "P" },
    { "shift", 0, 0, G_OPTION_ARG_DOUBLE, &raw.shift_min,
      "Mean shift length in minutes (default 240)", "MINUTES" },
    { "break", 0, 0, G_OPTION_ARG_DOUBLE, &raw.break_min,
      "Mean time off between shifts in minutes (default 20)", "MINUTES" },
    { "dwell", 0, 0, G_OPTION_ARG_DOUBLE, &self->dwell_s,
      "Mean wait at a pickup in seconds; half of it at a dropoff (default 120)", "SECONDS" },
    { "poll-interval", 0, 0, G_OPTION_ARG_DOUBLE, &self->poll_interval_s,
      "Simulated seconds between an idle driver's checks for work (default 2)", "SECONDS" },
    { "locations", 0, 0, G_OPTION_ARG_STRING, &raw.locations,
      "Report positions by http (batched POSTs) or ws (driver websocket frames)", "http|ws" },
    { "report", 0, 0, G_OPTION_ARG_FILENAME, &self->report_path,
      "Write the final report as JSON to FILE", "FILE" },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &self->quiet, "No live summary line", NULL },
    { NULL }
  };
  gboolean ok;

  self->order_rate_per_min = 3;
  self->block_m = 120;
  self->speedup = 1;
  self->step_s = 1;
  self->decline_rate = 0.1;
  self->fail_rate = 0.03;
  self->window_share = -1;
  self->online_fraction = 0.85;
  self->dwell_s = 120;
  self->poll_interval_s = 2;

  context = g_option_context_new ("- simulate a delivery fleet against dispatchd");
  g_option_context_set_summary (context,
    "Drivers on a street grid and customers placing orders, through the public API\n"
    "(REST and driver websockets) of a running dispatchd.");
  g_option_context_add_main_entries (context, entries, NULL);

  ok = g_option_context_parse (context, argc, argv, error) && validate (self, &raw, error);
  raw_options_clear (&raw);
  if (!ok)
    return NULL;

  if (self->url == NULL)
    self->url = g_strdup ("http://127.0.0.1:8080");
  if (self->admin_user == NULL)
    self->admin_user = g_strdup ("admin");
  if (self->prefix == NULL)
    self->prefix = g_strdup ("sim");

  return g_steal_pointer (&self);
}

void
dsim_options_free (DsimOptions *self)
{
  g_free (self->url);
  g_free (self->admin_user);
  g_free (self->admin_password);
  g_free (self->prefix);
  g_free (self->report_path);
  g_free (self);
}
