/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The websocket load harness of bench-fanout.sh (TARGETS P3, P4): N
 * receivers on one stream URL counting what arrives, and optionally driver
 * connections sending location frames at a given rate. One thread, epoll,
 * raw sockets: the harness must cost far less than the servers it measures,
 * and it is the same for ours and the reference.
 *
 * Receivers count "deliveries": a driver.location frame or any other frame is
 * one, a coalesced driver.locations frame one per item; the opening snapshot
 * is not counted. With --latency (one receiver) every point sent while
 * measuring gets a latency: from its send time to the arrival of a location
 * item of its driver recorded at that time or later (the console then holds
 * that point or a newer one; the generator stamps each point with its send
 * time as recorded_at). Points still without one at the end count with the
 * time they have waited so far (a lower bound).
 *
 * Receivers also time their opening snapshot (in one frame or several), from
 * their connect to its last byte.
 *
 * Usage: bench-ws-clients --url ws://127.0.0.1:PORT/PATH [--token TOKEN]
 *          [--receivers N] [--paths FILE] [--seconds S] [--warmup S]
 *          [--drivers FILE --driver-path FORMAT --rate POINTS_PER_S] [--latency]
 * FILE holds "driver_id token" lines, FORMAT a path with {id} for the driver's id;
 * --paths FILE one receiver more per line, on that path (same host and token),
 * connected before the others, OPEN_CONCURRENCY handshakes at a time; --until-snapshots N ends the run once N
 * snapshots are in; --report-connected FILE creates FILE once all are connected.
 * Prints one line: key=value pairs (see print_results()).
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <glib.h>

#define READ_CHUNK (256 * 1024)
#define MAX_LATENCIES (20 * 1000 * 1000)
#define DRIVER_OUT_MAX (64 * 1024)
#define LATENCY_DRAIN_S 2
#define OPEN_ATTEMPTS 40
/* Handshakes of --paths under way at once (each costs the server a database
 * read: one after the other, 10,000 take half an hour on a loaded machine) */
#define OPEN_CONCURRENCY 32

typedef enum {
  RECEIVER,
  DRIVER,
} Role;

typedef struct {
  Role     role;
  int      fd;
  GString *in;          /* bytes received, not yet parsed */
  GString *out;         /* bytes to send */
  gsize    out_sent;
  gboolean got_first;   /* the opening frame (snapshot) */
  gboolean in_snapshot; /* its parts are arriving */
  gint64   opened_us;
  guint    index;
  GArray  *sent;        /* a driver's send times (µs) not yet seen by the console */
  guint    sent_head;
} Connection;

static char *opt_url;
static char *opt_token;
static char *opt_drivers;
static char *opt_driver_path;
static char *opt_paths;
static char *opt_report_connected;
static int opt_until_snapshots;
static int opt_receivers = 100;
static double opt_seconds = 10;
static double opt_warmup = 3;
static double opt_rate;
static gboolean opt_latency;

static GOptionEntry entries[] = {
  { "url", 0, 0, G_OPTION_ARG_STRING, &opt_url, "Stream to receive", "ws://HOST:PORT/PATH" },
  { "token", 0, 0, G_OPTION_ARG_STRING, &opt_token, "Bearer token of the receivers", "TOKEN" },
  { "receivers", 0, 0, G_OPTION_ARG_INT, &opt_receivers, "Receiving connections", "N" },
  { "paths", 0, 0, G_OPTION_ARG_FILENAME, &opt_paths, "More receivers, a path a line", "FILE" },
  { "until-snapshots", 0, 0, G_OPTION_ARG_INT, &opt_until_snapshots,
    "End once N snapshots are in", "N" },
  { "report-connected", 0, 0, G_OPTION_ARG_FILENAME, &opt_report_connected,
    "Create FILE once all are connected", "FILE" },
  { "seconds", 0, 0, G_OPTION_ARG_DOUBLE, &opt_seconds, "Measured seconds", "S" },
  { "warmup", 0, 0, G_OPTION_ARG_DOUBLE, &opt_warmup, "Seconds before measuring", "S" },
  { "drivers", 0, 0, G_OPTION_ARG_FILENAME, &opt_drivers, "\"id token\" lines", "FILE" },
  { "driver-path", 0, 0, G_OPTION_ARG_STRING, &opt_driver_path,
    "Driver stream path with {id}", "FMT" },
  { "rate", 0, 0, G_OPTION_ARG_DOUBLE, &opt_rate, "Points per second in all", "R" },
  { "latency", 0, 0, G_OPTION_ARG_NONE, &opt_latency, "Measure point latency", NULL },
  { NULL }
};

/* What the measured interval saw */
static struct {
  gboolean measuring;
  guint64  deliveries;
  guint64  frames;
  guint64  bytes;
  guint64  sent;
  guint64  closes;
  guint64  errors;      /* error frames the drivers got back */
  gint32  *latencies;   /* µs */
  gsize    n_latencies;
  guint64  unseen;      /* points whose latency is a lower bound */
  guint    snapshots;   /* complete opening snapshots */
  guint64  snapshot_bytes;
  gint64   snapshot_max_us;
  gint64   snapshots_done_us;  /* the last one's end, from the start */
} stats;

static gint64 started_us;
static GHashTable *drivers_by_id;   /* driver id → Connection */

static char host[64];
static int port;

static gint64
now_us (void)
{
  return g_get_real_time ();
}

static void
parse_url (const char *url,
           char      **path)
{
  const char *rest = g_str_has_prefix (url, "ws://") ? url + 5 : url;
  const char *slash = strchr (rest, '/');
  const char *colon = strchr (rest, ':');

  if (colon == NULL || (slash != NULL && colon > slash))
    g_error ("--url needs host:port: %s", url);

  g_strlcpy (host, rest, MIN ((gsize) (colon - rest) + 1, sizeof host));
  port = atoi (colon + 1);
  *path = g_strdup (slash != NULL ? slash : "/");
}

static int
try_open_websocket (const char *path,
                    const char *token,
                    gboolean    last)
{
  struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = htons (port) };
  g_autoptr(GString) request = g_string_new (NULL);
  g_autoptr(GString) answer = g_string_new (NULL);
  int one = 1;
  int fd = socket (AF_INET, SOCK_STREAM, 0);

  inet_pton (AF_INET, host, &address.sin_addr);
  if (connect (fd, (struct sockaddr *) &address, sizeof address) != 0)
    g_error ("connect %s:%d: %s", host, port, g_strerror (errno));
  setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);

  g_string_printf (request, "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\n"
                   "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                   "Sec-WebSocket-Version: 13\r\n", path, host, port);
  if (token != NULL)
    g_string_append_printf (request, "Authorization: Bearer %s\r\n", token);
  g_string_append (request, "\r\n");
  if (write (fd, request->str, request->len) != (gssize) request->len)
    g_error ("handshake write: %s", g_strerror (errno));

  while (!g_str_has_suffix (answer->str, "\r\n\r\n"))
    {
      char c;

      if (read (fd, &c, 1) != 1)
        g_error ("handshake read: %s", g_strerror (errno));
      g_string_append_c (answer, c);
    }
  if (!last && g_str_has_prefix (answer->str, "HTTP/1.1 503"))
    {
      close (fd);
      return -1;
    }
  if (!g_str_has_prefix (answer->str, "HTTP/1.1 101"))
    g_error ("%s refused: %s", path, answer->str);

  fcntl (fd, F_SETFL, fcntl (fd, F_GETFL) | O_NONBLOCK);
  return fd;
}

/* Connects and upgrades, blocking; then non-blocking. A 503 (the server is
 * busy: Retry-After) is tried again, up to OPEN_ATTEMPTS times. */
static int
open_websocket (const char *path,
                const char *token)
{
  for (guint attempt = 1;; attempt++)
    {
      int fd = try_open_websocket (path, token, attempt == OPEN_ATTEMPTS);

      if (fd >= 0)
        return fd;
      g_usleep (G_USEC_PER_SEC / 4);
    }
}

/* A client frame: masked with a zero key, which leaves the payload as is. */
static void
append_frame (GString    *out,
              guint8      opcode,
              const char *payload,
              gsize       length)
{
  guint8 header[8] = { 0x80 | opcode };
  gsize header_length = 2;

  if (length < 126)
    {
      header[1] = 0x80 | length;
    }
  else
    {
      header[1] = 0x80 | 126;
      header[2] = length >> 8;
      header[3] = length & 0xff;
      header_length = 4;
    }
  g_string_append_len (out, (const char *) header, header_length);
  g_string_append_len (out, "\0\0\0\0", 4);
  g_string_append_len (out, payload, length);
}

/* "2026-11-22T10:00:00.123456Z" at p → µs since the epoch */
static gint64
parse_timestamp (const char *p)
{
  struct tm tm = { 0 };

  if (sscanf (p, "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
              &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6 || p[19] != '.')
    return 0;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;

  return timegm (&tm) * G_USEC_PER_SEC + g_ascii_strtoll (p + 20, NULL, 10);
}

/* The points of a driver sent at or before recorded_at are now at the console. */
static void
points_seen (Connection *driver,
             gint64      recorded_at_us,
             gint64      received_us)
{
  GArray *sent = driver->sent;

  while (driver->sent_head < sent->len &&
         g_array_index (sent, gint64, driver->sent_head) <= recorded_at_us)
    {
      if (stats.n_latencies < MAX_LATENCIES)
        stats.latencies[stats.n_latencies++] =
          received_us - g_array_index (sent, gint64, driver->sent_head);
      driver->sent_head++;
    }
  if (driver->sent_head == sent->len)
    {
      g_array_set_size (sent, 0);
      driver->sent_head = 0;
    }
}

/* Every location item of a frame: "driver_id" comes before "recorded_at". */
static void
record_latencies (const char *payload,
                  gsize       length,
                  gint64      received_us)
{
  static const char driver_key[] = "\"driver_id\":\"";
  static const char time_key[] = "\"recorded_at\":\"";
  const char *end = payload + length;
  const char *p = payload;

  while ((p = g_strstr_len (p, end - p, driver_key)) != NULL)
    {
      const char *id = p + sizeof driver_key - 1;
      const char *id_end = memchr (id, '"', end - id);
      g_autofree char *driver_id = NULL;
      Connection *driver;
      gint64 at;

      if (id_end == NULL)
        return;
      p = g_strstr_len (id_end, end - id_end, time_key);
      if (p == NULL)
        return;
      p += sizeof time_key - 1;
      at = parse_timestamp (p);
      driver_id = g_strndup (id, id_end - id);
      driver = g_hash_table_lookup (drivers_by_id, driver_id);
      if (at > 0 && driver != NULL)
        points_seen (driver, at, received_us);
    }
}

/* The points nobody saw: their wait so far. */
static void
record_unseen (void)
{
  gint64 now = now_us ();
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, drivers_by_id);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Connection *driver = value;

      stats.unseen += driver->sent->len - driver->sent_head;
      points_seen (driver, G_MAXINT64, now);
    }
}

static guint
count_items (const char *payload,
             gsize       length)
{
  static const char coalesced[] = "{\"type\":\"driver.locations\"";
  static const char key[] = "\"driver_id\"";
  const char *end = payload + length;
  const char *p = payload;
  guint n = 0;

  if (length < sizeof coalesced - 1 || memcmp (payload, coalesced, sizeof coalesced - 1) != 0)
    return 1;

  while ((p = g_strstr_len (p, end - p, key)) != NULL)
    {
      n++;
      p += sizeof key - 1;
    }
  return n;
}

static void
snapshot_done (Connection *c)
{
  gint64 now = g_get_monotonic_time ();

  c->in_snapshot = FALSE;
  stats.snapshots++;
  stats.snapshot_max_us = MAX (stats.snapshot_max_us, now - c->opened_us);
  stats.snapshots_done_us = MAX (stats.snapshots_done_us, now - started_us);
}

static void
handle_frame (Connection *c,
              guint8      opcode,
              gboolean    fin,
              const char *payload,
              gsize       length)
{
  switch (opcode)
    {
    case 0x0:
      if (c->in_snapshot)
        stats.snapshot_bytes += length;
      if (c->in_snapshot && fin)
        snapshot_done (c);
      return;

    case 0x1:
      if (c->role == DRIVER)
        {
          /* The driver stream sends errors for refused points. */
          if (stats.measuring && g_strstr_len (payload, length, "\"type\":\"error\"") != NULL)
            stats.errors++;
          return;
        }
      if (!c->got_first && length >= 18 && memcmp (payload, "{\"type\":\"snapshot\"", 18) == 0)
        {
          c->got_first = TRUE;
          c->in_snapshot = TRUE;
          stats.snapshot_bytes += length;
          if (fin)
            snapshot_done (c);
          return;
        }
      c->got_first = TRUE;
      if (!stats.measuring)
        return;
      stats.frames++;
      stats.bytes += length;
      stats.deliveries += count_items (payload, length);
      if (opt_latency)
        record_latencies (payload, length, now_us ());
      return;

    case 0x8:
      stats.closes++;
      return;

    case 0x9:
      append_frame (c->out, 0xa, payload, length);
      return;

    default:
      return;
    }
}

/* Parses the complete server frames in c->in (unmasked). */
static void
parse_frames (Connection *c)
{
  gsize at = 0;

  for (;;)
    {
      const guint8 *p = (const guint8 *) c->in->str + at;
      gsize available = c->in->len - at;
      guint64 length;
      gsize header = 2;

      if (available < 2)
        break;
      length = p[1] & 0x7f;
      if (length == 126)
        {
          header = 4;
          if (available < header)
            break;
          length = ((guint64) p[2] << 8) | p[3];
        }
      else if (length == 127)
        {
          header = 10;
          if (available < header)
            break;
          length = 0;
          for (guint i = 0; i < 8; i++)
            length = (length << 8) | p[2 + i];
        }
      if (available < header + length)
        break;

      handle_frame (c, p[0] & 0x0f, (p[0] & 0x80) != 0, (const char *) p + header, length);
      at += header + length;
    }

  g_string_erase (c->in, 0, at);
}

static void
read_available (Connection *c)
{
  for (;;)
    {
      gsize before = c->in->len;
      gssize n;

      g_string_set_size (c->in, before + READ_CHUNK);
      n = read (c->fd, c->in->str + before, READ_CHUNK);
      g_string_set_size (c->in, before + MAX (n, 0));
      if (n <= 0)
        {
          if (n == 0 || (errno != EAGAIN && errno != EINTR))
            stats.closes++;
          break;
        }
      parse_frames (c);
    }
}

static void
write_pending (Connection *c)
{
  while (c->out_sent < c->out->len)
    {
      gssize n = write (c->fd, c->out->str + c->out_sent, c->out->len - c->out_sent);

      if (n <= 0)
        return;
      c->out_sent += n;
    }

  g_string_truncate (c->out, 0);
  c->out_sent = 0;
}

/* One location point of driver c, stamped with the time it leaves
 * (RFC 3339 with microseconds; the seconds are formatted once a second). */
static void
queue_point (Connection *c,
             guint64     n)
{
  static gint64 second = -1;
  static char stamp[32];
  gint64 now = now_us ();
  char payload[160];
  int length;

  if (now / G_USEC_PER_SEC != second)
    {
      time_t t = now / G_USEC_PER_SEC;
      struct tm tm;

      second = t;
      gmtime_r (&t, &tm);
      strftime (stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
    }

  length = g_snprintf (payload, sizeof payload,
                       "{\"type\":\"location\",\"lat\":%.6f,\"lon\":%.6f,"
                       "\"recorded_at\":\"%s.%06dZ\"}",
                       52.40 + 0.2 * ((n * 7919 + c->index * 104729) % 1000) / 1000.0,
                       13.20 + 0.4 * ((n * 6133 + c->index * 15485863) % 1000) / 1000.0,
                       stamp, (int) (now % G_USEC_PER_SEC));
  append_frame (c->out, 0x1, payload, length);
  if (opt_latency && stats.measuring)
    g_array_append_val (c->sent, now);
}

static Connection *
open_receiver (const char *path)
{
  Connection *c = g_new0 (Connection, 1);

  c->role = RECEIVER;
  c->opened_us = g_get_monotonic_time ();
  c->fd = open_websocket (path, opt_token);
  c->in = g_string_sized_new (READ_CHUNK);
  c->out = g_string_new (NULL);
  return c;
}

typedef struct {
  const char *path;
  Connection *connection;
} Opening;

static void
open_receiver_job (gpointer data,
                   gpointer user_data)
{
  Opening *opening = data;

  opening->connection = open_receiver (opening->path);
}

/* A receiver per path (the lines starting with '/'), OPEN_CONCURRENCY
 * handshakes at a time, added to connections in the order of the lines. */
static void
open_receivers (GStrv      lines,
                GPtrArray *connections)
{
  guint n = g_strv_length (lines);
  g_autofree Opening *openings = g_new0 (Opening, n);
  g_autoptr(GError) error = NULL;
  GThreadPool *pool = g_thread_pool_new (open_receiver_job, NULL, OPEN_CONCURRENCY, FALSE,
                                         &error);

  if (pool == NULL)
    g_error ("%s", error->message);
  for (guint i = 0; i < n; i++)
    if (lines[i][0] == '/')
      {
        openings[i].path = lines[i];
        g_thread_pool_push (pool, &openings[i], NULL);
      }
  /* (waits for every job) */
  g_thread_pool_free (pool, FALSE, TRUE);
  for (guint i = 0; i < n; i++)
    if (openings[i].connection != NULL)
      g_ptr_array_add (connections, openings[i].connection);
}

static int
compare_latency (gconstpointer a,
                 gconstpointer b)
{
  gint32 x = *(const gint32 *) a, y = *(const gint32 *) b;

  return (x > y) - (x < y);
}

static void
print_results (double seconds)
{
  double p50 = NAN, p99 = NAN;

  if (stats.n_latencies > 0)
    {
      qsort (stats.latencies, stats.n_latencies, sizeof (gint32), compare_latency);
      p50 = stats.latencies[(gsize) (stats.n_latencies * 0.50)] / 1000.0;
      p99 = stats.latencies[(gsize) (stats.n_latencies * 0.99)] / 1000.0;
    }

  printf ("deliveries_per_s=%.0f frames_per_s=%.0f sent_per_s=%.0f avg_frame_bytes=%.0f "
          "p50_ms=%.2f p99_ms=%.2f latencies=%zu unseen=%" G_GUINT64_FORMAT
          " closes=%" G_GUINT64_FORMAT
          " errors=%" G_GUINT64_FORMAT " snapshots=%u snapshot_bytes=%" G_GUINT64_FORMAT
          " snapshot_max_ms=%.1f snapshots_done_ms=%.1f\n",
          stats.deliveries / seconds, stats.frames / seconds, stats.sent / seconds,
          stats.frames > 0 ? (double) stats.bytes / stats.frames : 0.0,
          p50, p99, stats.n_latencies, stats.unseen, stats.closes, stats.errors, stats.snapshots,
          stats.snapshot_bytes, stats.snapshot_max_us / 1000.0, stats.snapshots_done_us / 1000.0);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) options = g_option_context_new ("- websocket load harness");
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) connections = g_ptr_array_new ();
  g_autoptr(GPtrArray) drivers = g_ptr_array_new ();
  g_autofree char *path = NULL;
  struct epoll_event events[256];
  gint64 start, measure_from, end;
  guint next_driver = 0;
  int epoll_fd;

  g_option_context_add_main_entries (options, entries, NULL);
  if (!g_option_context_parse (options, &argc, &argv, &error) || opt_url == NULL)
    g_error ("%s", error != NULL ? error->message : "--url is required");

  parse_url (opt_url, &path);
  if (opt_latency)
    stats.latencies = g_new (gint32, MAX_LATENCIES);
  epoll_fd = epoll_create1 (0);
  started_us = g_get_monotonic_time ();
  drivers_by_id = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  if (opt_paths != NULL)
    {
      g_autofree char *text = NULL;
      g_auto(GStrv) lines = NULL;

      if (!g_file_get_contents (opt_paths, &text, NULL, &error))
        g_error ("%s", error->message);
      lines = g_strsplit (text, "\n", -1);
      open_receivers (lines, connections);
    }

  /* (after the paths: their handshakes do not hold up reading the snapshots) */
  for (int i = 0; i < opt_receivers; i++)
    g_ptr_array_add (connections, open_receiver (path));

  if (opt_drivers != NULL)
    {
      g_autofree char *text = NULL;
      g_auto(GStrv) lines = NULL;

      if (!g_file_get_contents (opt_drivers, &text, NULL, &error))
        g_error ("%s", error->message);
      lines = g_strsplit (text, "\n", -1);
      for (guint i = 0; lines[i] != NULL; i++)
        {
          g_auto(GStrv) fields = g_strsplit (lines[i], " ", 2);
          g_auto(GStrv) parts = NULL;
          g_autofree char *driver_path = NULL;
          Connection *c;

          if (g_strv_length (fields) != 2)
            continue;
          parts = g_strsplit (opt_driver_path, "{id}", -1);
          driver_path = g_strjoinv (fields[0], parts);
          c = g_new0 (Connection, 1);
          c->role = DRIVER;
          c->index = drivers->len;
          c->sent = g_array_new (FALSE, FALSE, sizeof (gint64));
          g_hash_table_insert (drivers_by_id, g_strdup (fields[0]), c);
          c->fd = open_websocket (driver_path, fields[1]);
          c->in = g_string_new (NULL);
          c->out = g_string_new (NULL);
          g_ptr_array_add (connections, c);
          g_ptr_array_add (drivers, c);
        }
    }

  for (guint i = 0; i < connections->len; i++)
    {
      Connection *c = g_ptr_array_index (connections, i);
      struct epoll_event event = { .events = EPOLLIN | EPOLLOUT | EPOLLET, .data.ptr = c };

      epoll_ctl (epoll_fd, EPOLL_CTL_ADD, c->fd, &event);
    }

  if (opt_report_connected != NULL && !g_file_set_contents (opt_report_connected, "", 0, &error))
    g_error ("%s", error->message);

  start = g_get_monotonic_time ();
  measure_from = start + opt_warmup * G_USEC_PER_SEC;
  end = measure_from + opt_seconds * G_USEC_PER_SEC;

  for (;;)
    {
      gint64 now = g_get_monotonic_time ();
      int n;

      /* With --latency, up to LATENCY_DRAIN_S more for the last points */
      if (now >= end + (opt_latency ? LATENCY_DRAIN_S * G_USEC_PER_SEC : 0) ||
          (opt_until_snapshots > 0 && stats.snapshots >= (guint) opt_until_snapshots))
        break;
      if (!stats.measuring && now >= measure_from)
        stats.measuring = TRUE;

      /* The generator: the points due by now, round robin over the drivers */
      if (drivers->len > 0 && opt_rate > 0 && now < end)
        {
          guint64 due = (now - start) / (double) G_USEC_PER_SEC * opt_rate;
          static guint64 generated;

          while (generated < due)
            {
              Connection *c = g_ptr_array_index (drivers, next_driver++ % drivers->len);

              /* A driver whose socket is full skips its turn (counted as not sent). */
              if (c->out->len < DRIVER_OUT_MAX)
                {
                  queue_point (c, generated);
                  if (stats.measuring)
                    stats.sent++;
                }
              generated++;
            }
          for (guint i = 0; i < drivers->len; i++)
            write_pending (g_ptr_array_index (drivers, i));
        }

      n = epoll_wait (epoll_fd, events, G_N_ELEMENTS (events), 1);
      for (int i = 0; i < n; i++)
        {
          Connection *c = events[i].data.ptr;

          if (events[i].events & EPOLLIN)
            read_available (c);
          if (c->out->len > 0)
            write_pending (c);
        }
    }

  if (opt_latency)
    record_unseen ();
  print_results (opt_seconds);
  return 0;
}
