/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The fleet of bench-console.sh (TARGETS P9): creates drivers through the
 * API (POST /api/v1/drivers, then online; cheap, unlike driver users with
 * argon2 passwords), then moves each of them once per RATE⁻¹ seconds with
 * POST /api/v1/drivers/{id}/location under the admin's token. Every driver
 * walks on its own inside the area, so the console draws them all moving.
 *
 * Bounded: at most CONNECTIONS requests in flight; updates that fall due
 * while all are busy wait, and those more than one round late are dropped
 * and counted ("missed"), so a server that cannot keep up shows as a lower
 * achieved rate rather than a growing queue.
 *
 * Usage: bench-console-feed --url URL --password PASSWORD --ids FILE --drivers N
 *          [--seconds S] [--rate HZ] [--connections C] [--area LAT0,LON0,LAT1,LON1]
 * FILE keeps the ids of the drivers created so far: drivers are created until
 * it holds N, then the first N are moved for S seconds (0: create only).
 * Prints one line of key=value pairs (see print_results()).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#define STEP_M          8.0      /* metres a driver moves per update */
#define METRES_PER_DEG  111320.0
#define TICK_MS         5

typedef struct
{
  char *id;
  char *location_path;
  double lat;
  double lon;
  double heading;  /* degrees clockwise from north */
} Driver;

typedef struct
{
  SoupSession *session;
  char *url;
  char *token;
  GPtrArray *drivers;  /* Driver */
  FILE *ids;

  guint in_flight;
  gboolean failed;

  /* creation */
  guint to_create;
  guint creating;

  /* feeding */
  gint64 started;
  gint64 ends;
  guint64 due;          /* updates scheduled so far */
  guint64 sent;
  guint64 ok;
  guint64 errors;
  guint64 missed;
  GHashTable *error_statuses;  /* status (0: no answer) → count */
  guint next_driver;
  double latency_sum_ms;
} Feed;

static char *opt_url;
static char *opt_password;
static char *opt_ids;
static int opt_drivers = 10000;
static double opt_seconds;
static double opt_rate = 1.0;
static int opt_connections = 32;
static char *opt_area = "52.47,13.30,52.57,13.51";

static GOptionEntry entries[] = {
  { "url", 0, 0, G_OPTION_ARG_STRING, &opt_url, "dispatchd", "http://HOST:PORT" },
  { "password", 0, 0, G_OPTION_ARG_STRING, &opt_password, "The admin's password", "PW" },
  { "ids", 0, 0, G_OPTION_ARG_FILENAME, &opt_ids, "Ids of the drivers made so far", "FILE" },
  { "drivers", 0, 0, G_OPTION_ARG_INT, &opt_drivers, "Drivers to move", "N" },
  { "seconds", 0, 0, G_OPTION_ARG_DOUBLE, &opt_seconds, "Seconds to move them", "S" },
  { "rate", 0, 0, G_OPTION_ARG_DOUBLE, &opt_rate, "Updates per driver and second", "HZ" },
  { "connections", 0, 0, G_OPTION_ARG_INT, &opt_connections, "Requests in flight", "C" },
  { "area", 0, 0, G_OPTION_ARG_STRING, &opt_area, "Where they drive", "LAT0,LON0,LAT1,LON1" },
  { NULL }
};

static double area[4];

static void
driver_free (Driver *driver)
{
  g_free (driver->id);
  g_free (driver->location_path);
  g_free (driver);
}

static Driver *
driver_new (const char *id)
{
  Driver *driver = g_new0 (Driver, 1);

  driver->id = g_strdup (id);
  driver->location_path = g_strdup_printf ("/api/v1/drivers/%s/location", id);
  driver->lat = g_random_double_range (area[0], area[2]);
  driver->lon = g_random_double_range (area[1], area[3]);
  driver->heading = g_random_double_range (0, 360);

  return driver;
}

/* One step ahead, turning a little, and back into the area at its edges. */
static void
driver_step (Driver *driver)
{
  double rad;

  driver->heading = fmod (driver->heading + g_random_double_range (-20, 20) + 360, 360);
  rad = driver->heading * G_PI / 180;
  driver->lat += cos (rad) * STEP_M / METRES_PER_DEG;
  driver->lon += sin (rad) * STEP_M / (METRES_PER_DEG * cos (driver->lat * G_PI / 180));

  if (driver->lat < area[0] || driver->lat > area[2] ||
      driver->lon < area[1] || driver->lon > area[3])
    {
      driver->heading = fmod (driver->heading + 180, 360);
      driver->lat = CLAMP (driver->lat, area[0], area[2]);
      driver->lon = CLAMP (driver->lon, area[1], area[3]);
    }
}

static SoupMessage *
new_request (Feed       *feed,
             const char *path,
             const char *body)
{
  g_autofree char *url = g_strconcat (feed->url, path, NULL);
  g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));
  SoupMessage *message = soup_message_new (SOUP_METHOD_POST, url);

  if (feed->token != NULL)
    {
      g_autofree char *authorization = g_strconcat ("Bearer ", feed->token, NULL);

      soup_message_headers_replace (soup_message_get_request_headers (message),
                                    "Authorization", authorization);
    }
  soup_message_set_request_body_from_bytes (message, "application/json", bytes);

  return message;
}

/* Synchronous: the few set-up calls before the load. */
static JsonObject *
post_sync (Feed       *feed,
           const char *path,
           const char *body,
           guint       status)
{
  g_autoptr(SoupMessage) message = new_request (feed, path, body);
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  answer = soup_session_send_and_read (feed->session, message, NULL, &error);
  if (answer == NULL)
    g_error ("POST %s: %s", path, error->message);
  if (soup_message_get_status (message) != status)
    g_error ("POST %s: %u %.*s", path, soup_message_get_status (message),
             (int) g_bytes_get_size (answer), (const char *) g_bytes_get_data (answer, NULL));
  if (!json_parser_load_from_data (parser, g_bytes_get_data (answer, NULL),
                                   g_bytes_get_size (answer), &error))
    g_error ("POST %s: %s", path, error->message);

  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

/* Creation ---------------------------------------------------------------- */

static void create_more (Feed *feed);

/* The answer to a set-up request, or NULL (and the run has failed) unless
 * it came with @status. */
static GBytes *
finish_setup (Feed         *feed,
              GObject      *session,
              GAsyncResult *result,
              SoupMessage  *message,
              guint         status,
              const char   *what)
{
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(GError) error = NULL;

  answer = soup_session_send_and_read_finish (SOUP_SESSION (session), result, &error);
  if (answer != NULL && soup_message_get_status (message) == status)
    return g_steal_pointer (&answer);

  g_printerr ("bench-console-feed: %s failed: %s\n", what,
              error != NULL ? error->message : soup_message_get_reason_phrase (message));
  feed->failed = TRUE;

  return NULL;
}

static void
online_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(SoupMessage) message = user_data;
  Feed *feed = g_object_get_data (G_OBJECT (message), "feed");
  g_autoptr(GBytes) answer = NULL;

  feed->in_flight--;
  if ((answer = finish_setup (feed, object, result, message, 200, "going online")) != NULL)
    create_more (feed);
}

static void
created_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(SoupMessage) message = user_data;
  Feed *feed = g_object_get_data (G_OBJECT (message), "feed");
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GBytes) answer = NULL;
  g_autofree char *path = NULL;
  SoupMessage *online;
  const char *id;

  answer = finish_setup (feed, object, result, message, 201, "creating a driver");
  if (answer == NULL || !json_parser_load_from_data (parser, g_bytes_get_data (answer, NULL),
                                                     g_bytes_get_size (answer), NULL))
    {
      feed->in_flight--;
      feed->failed = TRUE;
      return;
    }

  id = json_object_get_string_member (json_node_get_object (json_parser_get_root (parser)), "id");
  fprintf (feed->ids, "%s\n", id);
  g_ptr_array_add (feed->drivers, driver_new (id));

  /* the same slot goes on with the driver's going online */
  path = g_strdup_printf ("/api/v1/drivers/%s/online", id);
  online = new_request (feed, path, "{\"online\":true}");
  g_object_set_data (G_OBJECT (online), "feed", feed);
  soup_session_send_and_read_async (feed->session, online, G_PRIORITY_DEFAULT, NULL,
                                    online_cb, online);
}

static void
create_more (Feed *feed)
{
  while (!feed->failed && feed->creating < feed->to_create &&
         feed->in_flight < (guint) opt_connections)
    {
      g_autofree char *body = NULL;
      SoupMessage *message;

      body = g_strdup_printf ("{\"name\":\"Bench driver %u\",\"vehicle\":\"%s\",\"capacity\":2}",
                              feed->drivers->len + feed->in_flight + 1,
                              (feed->creating % 3) == 0 ? "bike" : "scooter");
      message = new_request (feed, "/api/v1/drivers", body);
      g_object_set_data (G_OBJECT (message), "feed", feed);
      feed->creating++;
      feed->in_flight++;
      soup_session_send_and_read_async (feed->session, message, G_PRIORITY_DEFAULT, NULL,
                                        created_cb, message);
    }
}

static void
create_drivers (Feed *feed)
{
  gint64 started = g_get_monotonic_time ();

  feed->to_create = (guint) opt_drivers - MIN ((guint) opt_drivers, feed->drivers->len);
  if (feed->to_create == 0)
    return;

  g_printerr ("bench-console-feed: creating %u drivers\n", feed->to_create);
  create_more (feed);
  while (!feed->failed && (feed->creating < feed->to_create || feed->in_flight > 0))
    g_main_context_iteration (NULL, TRUE);
  if (feed->failed)
    exit (1);

  g_printerr ("bench-console-feed: created %u drivers in %.1f s\n", feed->to_create,
              (g_get_monotonic_time () - started) / (double) G_USEC_PER_SEC);
}

/* Feeding ----------------------------------------------------------------- */

static void
located_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(SoupMessage) message = user_data;
  Feed *feed = g_object_get_data (G_OBJECT (message), "feed");
  gint64 sent_at = GPOINTER_TO_SIZE (g_object_get_data (G_OBJECT (message), "sent-at"));
  g_autoptr(GBytes) answer = NULL;

  feed->in_flight--;
  answer = soup_session_send_and_read_finish (SOUP_SESSION (object), result, NULL);
  if (answer == NULL || soup_message_get_status (message) != 202)
    {
      guint status = answer != NULL ? soup_message_get_status (message) : 0;
      gpointer count = g_hash_table_lookup (feed->error_statuses, GUINT_TO_POINTER (status));

      g_hash_table_insert (feed->error_statuses, GUINT_TO_POINTER (status),
                           GUINT_TO_POINTER (GPOINTER_TO_UINT (count) + 1));
      feed->errors++;
      return;
    }

  feed->ok++;
  feed->latency_sum_ms += (g_get_monotonic_time () - sent_at) / 1000.0;
}

static void
send_location (Feed   *feed,
               Driver *driver)
{
  g_autofree char *body = NULL;
  SoupMessage *message;
  char lat[G_ASCII_DTOSTR_BUF_SIZE], lon[G_ASCII_DTOSTR_BUF_SIZE];

  driver_step (driver);
  /* whole degrees in [0, 360): 359.6 must not print as 360 */
  body = g_strdup_printf ("{\"lat\":%s,\"lon\":%s,\"heading\":%d,\"speed_mps\":8}",
                          g_ascii_formatd (lat, sizeof lat, "%.6f", driver->lat),
                          g_ascii_formatd (lon, sizeof lon, "%.6f", driver->lon),
                          (int) driver->heading);
  message = new_request (feed, driver->location_path, body);
  g_object_set_data (G_OBJECT (message), "feed", feed);
  g_object_set_data (G_OBJECT (message), "sent-at",
                     GSIZE_TO_POINTER ((gsize) g_get_monotonic_time ()));
  feed->in_flight++;
  feed->sent++;
  soup_session_send_and_read_async (feed->session, message, G_PRIORITY_DEFAULT, NULL,
                                    located_cb, message);
}

static gboolean
tick_cb (gpointer user_data)
{
  Feed *feed = user_data;
  guint n = MIN ((guint) opt_drivers, feed->drivers->len);
  gint64 now = g_get_monotonic_time ();
  guint64 due = (guint64) ((now - feed->started) / (double) G_USEC_PER_SEC * n * opt_rate);

  if (n == 0)
    return G_SOURCE_CONTINUE;

  feed->due = due;
  /* More than a round behind: those updates are lost, not queued. */
  if (due > feed->sent + feed->missed + n)
    feed->missed = due - feed->sent - n;

  while (feed->sent + feed->missed < due && feed->in_flight < (guint) opt_connections)
    {
      send_location (feed, g_ptr_array_index (feed->drivers, feed->next_driver));
      feed->next_driver = (feed->next_driver + 1) % n;
    }

  return G_SOURCE_CONTINUE;
}

/* errors_by_status=STATUS:COUNT,… (0: no answer), or "-" */
static char *
format_errors (Feed *feed)
{
  g_autoptr(GString) text = g_string_new (NULL);
  GHashTableIter iter;
  gpointer status, count;

  g_hash_table_iter_init (&iter, feed->error_statuses);
  while (g_hash_table_iter_next (&iter, &status, &count))
    g_string_append_printf (text, "%s%u:%u", text->len ? "," : "", GPOINTER_TO_UINT (status),
                            GPOINTER_TO_UINT (count));

  return text->len ? g_string_free (g_steal_pointer (&text), FALSE) : g_strdup ("-");
}

static void
print_results (Feed   *feed,
               double  seconds)
{
  g_autofree char *errors = format_errors (feed);

  printf ("drivers=%d seconds=%.1f target_per_s=%.0f sent=%" G_GUINT64_FORMAT
          " ok=%" G_GUINT64_FORMAT " errors=%" G_GUINT64_FORMAT " errors_by_status=%s"
          " missed=%" G_GUINT64_FORMAT " achieved_per_s=%.0f latency_mean_ms=%.1f\n",
          opt_drivers, seconds, opt_drivers * opt_rate, feed->sent, feed->ok, feed->errors,
          errors, feed->missed, feed->ok / seconds,
          feed->ok > 0 ? feed->latency_sum_ms / feed->ok : 0.0);
  fflush (stdout);
}

static void
feed_drivers (Feed *feed)
{
  guint tick;

  feed->started = g_get_monotonic_time ();
  feed->ends = feed->started + (gint64) (opt_seconds * G_USEC_PER_SEC);
  tick = g_timeout_add (TICK_MS, tick_cb, feed);
  while (g_get_monotonic_time () < feed->ends)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (tick);

  print_results (feed, opt_seconds);

  /* Let what is in flight land (answers no longer counted). */
  while (feed->in_flight > 0)
    g_main_context_iteration (NULL, TRUE);
}

static void
load_ids (Feed *feed)
{
  g_autofree char *contents = NULL;
  g_auto(GStrv) lines = NULL;

  if (!g_file_get_contents (opt_ids, &contents, NULL, NULL))
    return;

  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (*lines[i] != '\0')
      g_ptr_array_add (feed->drivers, driver_new (lines[i]));
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = g_option_context_new ("- move a fleet for bench-console.sh");
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) token = NULL;
  g_auto(GStrv) corners = NULL;
  g_autofree char *login = NULL;
  Feed feed = { 0 };

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    g_error ("%s", error->message);
  if (opt_url == NULL || opt_password == NULL || opt_ids == NULL || opt_drivers < 1 ||
      opt_rate <= 0 || opt_connections < 1)
    g_error ("--url, --password, --ids and --drivers ≥ 1 are needed; see --help");

  corners = g_strsplit (opt_area, ",", 4);
  if (g_strv_length (corners) != 4)
    g_error ("--area takes LAT0,LON0,LAT1,LON1");
  for (guint i = 0; i < 4; i++)
    area[i] = g_ascii_strtod (corners[i], NULL);

  feed.session = soup_session_new_with_options ("max-conns", opt_connections,
                                                "max-conns-per-host", opt_connections,
                                                "timeout", 30, NULL);
  feed.url = g_strdup (opt_url);
  feed.drivers = g_ptr_array_new_with_free_func ((GDestroyNotify) driver_free);
  feed.error_statuses = g_hash_table_new (NULL, NULL);

  login = g_strdup_printf ("{\"username\":\"admin\",\"password\":\"%s\"}", opt_password);
  token = post_sync (&feed, "/api/v1/auth/token", login, 200);
  feed.token = g_strdup (json_object_get_string_member (token, "access_token"));

  load_ids (&feed);
  if (!(feed.ids = fopen (opt_ids, "a")))
    g_error ("Cannot write %s", opt_ids);
  create_drivers (&feed);
  fclose (feed.ids);

  if (opt_seconds > 0)
    feed_drivers (&feed);

  g_hash_table_unref (feed.error_statuses);
  g_ptr_array_unref (feed.drivers);
  g_clear_object (&feed.session);
  g_free (feed.url);
  g_free (feed.token);

  return 0;
}
