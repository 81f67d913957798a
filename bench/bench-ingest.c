/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Load generator for the location ingest path (TARGETS P1): keep-alive HTTP
 * connections to a dispatchd on 127.0.0.1 (loopback only), each sending
 * POST /api/v1/drivers/{id}/location batches as fast as they are answered
 * (or at a fixed total rate), for a bounded time. Prints what was
 * acknowledged: with ack-after-commit, every 202 point is in history.
 *
 *   bench-ingest create-drivers PORT TOKEN COUNT      ids on stdout
 *   bench-ingest run PORT TOKEN DRIVERS-FILE [options]
 *
 * Driven by bench/bench-ingest.sh, which starts the server and measures the
 * COPY reference.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <glib.h>

#include "dispatch-json.h"

#define MAX_CONNECTIONS 512
#define MAX_BATCH 1000
/* Latency histogram: 50 µs buckets up to 10 s. */
#define BUCKET_US 50
#define N_BUCKETS 200000
#define DRAIN_TIMEOUT_US (30 * G_USEC_PER_SEC)
#define REFUSED_PAUSE_US (100 * 1000)

typedef struct {
  int      fd;
  GString *out;          /* request being sent */
  gsize    sent;
  GString *in;           /* response being read */
  gboolean busy;         /* a request is out */
  guint    n_points;     /* in the request out */
  gint64   sent_at;      /* monotonic */
  gint64   next_at;      /* monotonic: when the next request may go */
  guint    next_driver;
} Connection;

typedef struct {
  guint        port;
  const char  *token;
  GPtrArray   *drivers;
  guint        n_connections;
  guint        batch;
  double       duration_s;
  double       rate;       /* points/s in all, 0: as fast as answered */
  double       report_s;   /* progress lines, 0: none */

  guint64      n_requests;
  guint64      n_points;   /* acknowledged (202) */
  guint64      n_refused;  /* 503 */
  guint64      n_failed;   /* anything else */
  guint32     *latency;    /* histogram */
} Bench;

static int
connect_loopback (guint port)
{
  struct sockaddr_in addr = {
    .sin_family = AF_INET,
    .sin_port = htons (port),
    .sin_addr.s_addr = htonl (INADDR_LOOPBACK),
  };
  int one = 1;
  int fd = socket (AF_INET, SOCK_STREAM, 0);

  if (fd < 0 || connect (fd, (struct sockaddr *) &addr, sizeof addr) != 0)
    g_error ("Cannot connect to 127.0.0.1:%u: %s", port, g_strerror (errno));
  setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

static void
append_request (GString    *out,
                guint       port,
                const char *method,
                const char *path,
                const char *token,
                const char *body,
                gsize       body_length)
{
  g_string_append_printf (out,
                          "%s %s HTTP/1.1\r\n"
                          "Host: 127.0.0.1:%u\r\n"
                          "Authorization: Bearer %s\r\n"
                          "Content-Type: application/json\r\n"
                          "Content-Length: %" G_GSIZE_FORMAT "\r\n"
                          "\r\n",
                          method, path, port, token, body_length);
  g_string_append_len (out, body, body_length);
}

/* A complete response at the start of in: its status, whether the server
 * closes the connection after it, and its length; 0 while incomplete. */
static gsize
parse_response (GString  *in,
                guint    *status,
                gboolean *closes)
{
  const char *end = g_strstr_len (in->str, in->len, "\r\n\r\n");
  g_autofree char *head = NULL;
  const char *length;
  gsize body = 0;

  if (end == NULL)
    return 0;

  head = g_ascii_strdown (in->str, end - in->str);
  if (sscanf (head, "http/1.1 %u", status) != 1)
    g_error ("Malformed response: %.*s", (int) (end - in->str), in->str);
  length = strstr (head, "\r\ncontent-length:");
  if (length != NULL)
    body = strtoul (length + strlen ("\r\ncontent-length:"), NULL, 10);
  *closes = strstr (head, "\r\nconnection: close") != NULL;

  if (in->len < (gsize) (end - in->str) + 4 + body)
    return 0;

  return (end - in->str) + 4 + body;
}

/* One request at a time on a blocking socket (set-up only). */
static char *
exchange (int         fd,
          guint       port,
          const char *method,
          const char *path,
          const char *token,
          const char *body,
          guint      *status)
{
  g_autoptr(GString) out = g_string_new (NULL);
  g_autoptr(GString) in = g_string_new (NULL);
  gsize sent = 0, length;
  gboolean closes;
  const char *body_start;
  char buffer[65536];

  append_request (out, port, method, path, token, body, strlen (body));
  while (sent < out->len)
    {
      ssize_t n = write (fd, out->str + sent, out->len - sent);

      if (n <= 0)
        g_error ("write: %s", g_strerror (errno));
      sent += n;
    }

  while ((length = parse_response (in, status, &closes)) == 0)
    {
      ssize_t n = read (fd, buffer, sizeof buffer);

      if (n <= 0)
        g_error ("read: %s", n == 0 ? "connection closed" : g_strerror (errno));
      g_string_append_len (in, buffer, n);
    }

  body_start = strstr (in->str, "\r\n\r\n") + 4;
  return g_strndup (body_start, in->str + length - body_start);
}

static int
create_drivers (guint       port,
                const char *token,
                guint       count)
{
  int fd = -1;

  for (guint i = 0; i < count; i++)
    {
      g_autofree char *body = g_strdup_printf ("{\"name\":\"bench-%u\",\"vehicle\":\"car\"}", i);
      g_autofree char *answer = NULL;
      g_autoptr(JsonObject) driver = NULL;
      const char *id = NULL;
      guint status;

      /* One request per connection: simple, and set-up is not measured. */
      fd = connect_loopback (port);
      answer = exchange (fd, port, "POST", "/api/v1/drivers", token, body, &status);
      close (fd);
      if (status != 201 ||
          (driver = dispatch_json_parse_object (answer, -1, NULL)) == NULL ||
          !dispatch_json_get_string (driver, NULL, "id", DISPATCH_JSON_REQUIRED, 0, &id, NULL))
        g_error ("Creating a driver: %u %s", status, answer);
      printf ("%s\n", id);
    }

  return 0;
}

/* A batch of a driver moving about a city, points 20 ms apart, the newest now. */
static void
build_request (Bench      *bench,
               Connection *connection,
               GRand      *rand)
{
  const char *driver = g_ptr_array_index (bench->drivers, connection->next_driver);
  g_autoptr(GString) body = g_string_sized_new (bench->batch * 120);
  g_autofree char *path = g_strdup_printf ("/api/v1/drivers/%s/location", driver);
  gint64 now = g_get_real_time ();
  double lat = 52.4 + g_rand_double (rand) * 0.25;
  double lon = 13.2 + g_rand_double (rand) * 0.4;

  connection->next_driver = (connection->next_driver + bench->n_connections) %
                            bench->drivers->len;

  g_string_append (body, "{\"points\":[");
  for (guint j = 0; j < bench->batch; j++)
    {
      g_autofree char *at = dispatch_format_timestamp (now - (gint64) (bench->batch - 1 - j) *
                                                       20000);

      g_string_append_printf (body, "%s{\"lat\":%.6f,\"lon\":%.6f,\"heading\":%.1f,"
                              "\"speed_mps\":%.2f,\"accuracy_m\":5,\"recorded_at\":\"%s\"}",
                              j ? "," : "", lat + j * 1e-5, lon + j * 1e-5,
                              g_rand_double_range (rand, 0, 359.9),
                              g_rand_double_range (rand, 0, 15), at);
    }
  g_string_append (body, "]}");

  g_string_truncate (connection->out, 0);
  append_request (connection->out, bench->port, "POST", path, bench->token, body->str,
                  body->len);
  connection->sent = 0;
  connection->n_points = bench->batch;
}

static double
percentile_ms (Bench  *bench,
               double  p)
{
  guint64 total = bench->n_requests, seen = 0;

  for (guint i = 0; i < N_BUCKETS; i++)
    {
      seen += bench->latency[i];
      if (total > 0 && seen >= p * total)
        return (i + 1) * BUCKET_US / 1000.0;
    }
  return INFINITY;
}

static void
finish_response (Bench      *bench,
                 Connection *connection,
                 guint       status,
                 gint64      now)
{
  gint64 latency = now - connection->sent_at;

  bench->n_requests++;
  bench->latency[MIN (latency / BUCKET_US, N_BUCKETS - 1)]++;
  connection->busy = FALSE;

  if (status == 202)
    bench->n_points += connection->n_points;
  else if (status == 503)
    {
      bench->n_refused += connection->n_points;
      connection->next_at = MAX (connection->next_at, now + REFUSED_PAUSE_US);
    }
  else
    bench->n_failed++;
}

static void
open_connection (Bench      *bench,
                 Connection *connection)
{
  connection->fd = connect_loopback (bench->port);
  fcntl (connection->fd, F_SETFL, fcntl (connection->fd, F_GETFL) | O_NONBLOCK);
  g_string_truncate (connection->in, 0);
}

static void
run (Bench *bench)
{
  g_autofree Connection *connections = g_new0 (Connection, bench->n_connections);
  g_autofree struct pollfd *fds = g_new0 (struct pollfd, bench->n_connections);
  g_autoptr(GRand) rand = g_rand_new_with_seed (1);
  double interval_us = bench->rate > 0 ? bench->n_connections * bench->batch * 1e6 / bench->rate
                                       : 0;
  gint64 start = g_get_monotonic_time ();
  gint64 end = start + (gint64) (bench->duration_s * G_USEC_PER_SEC);
  gint64 next_report = start + (gint64) (bench->report_s * G_USEC_PER_SEC);
  guint64 reported_points = 0;
  gint64 reported_at = start;
  guint n_busy = 0;
  char buffer[65536];

  for (guint i = 0; i < bench->n_connections; i++)
    {
      connections[i].out = g_string_new (NULL);
      connections[i].in = g_string_new (NULL);
      open_connection (bench, &connections[i]);
      connections[i].next_driver = i % bench->drivers->len;
      /* Spread the starts over one interval. */
      connections[i].next_at = start + (gint64) (interval_us * i / bench->n_connections);
    }

  for (;;)
    {
      gint64 now = g_get_monotonic_time ();
      gint64 wake = now + 100000;
      int timeout_ms;

      if (now >= end && n_busy == 0)
        break;
      if (now >= end + DRAIN_TIMEOUT_US)
        g_error ("%u requests still unanswered %d s after the end", n_busy,
                 (int) (DRAIN_TIMEOUT_US / G_USEC_PER_SEC));

      if (bench->report_s > 0 && now >= next_report)
        {
          printf ("progress t=%.0f points_per_s=%.0f\n", (now - start) / 1e6,
                  (bench->n_points - reported_points) * 1e6 / (now - reported_at));
          fflush (stdout);
          reported_points = bench->n_points;
          reported_at = now;
          next_report += (gint64) (bench->report_s * G_USEC_PER_SEC);
        }

      for (guint i = 0; i < bench->n_connections; i++)
        {
          Connection *c = &connections[i];

          if (!c->busy && now < end && now >= c->next_at)
            {
              build_request (bench, c, rand);
              c->busy = TRUE;
              c->sent_at = now;
              c->next_at = interval_us > 0 ? c->next_at + (gint64) interval_us : now;
              n_busy++;
            }
          if (!c->busy && now < end)
            wake = MIN (wake, c->next_at);

          fds[i].fd = c->fd;
          fds[i].events = c->busy ? (c->sent < c->out->len ? POLLOUT : POLLIN) : 0;
          fds[i].revents = 0;
        }

      timeout_ms = MAX (0, (wake - now + 999) / 1000);
      if (poll (fds, bench->n_connections, timeout_ms) < 0 && errno != EINTR)
        g_error ("poll: %s", g_strerror (errno));

      now = g_get_monotonic_time ();
      for (guint i = 0; i < bench->n_connections; i++)
        {
          Connection *c = &connections[i];
          gboolean closes;
          guint status;
          gsize length;
          ssize_t n;

          if (fds[i].revents & POLLOUT)
            {
              n = write (c->fd, c->out->str + c->sent, c->out->len - c->sent);
              if (n < 0 && errno != EAGAIN && errno != EINTR)
                g_error ("write: %s", g_strerror (errno));
              c->sent += MAX (n, 0);
            }

          if (fds[i].revents & (POLLIN | POLLHUP | POLLERR))
            {
              n = read (c->fd, buffer, sizeof buffer);
              if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
                g_error ("The server closed connection %u (%s)", i,
                         n == 0 ? "end of stream" : g_strerror (errno));
              if (n > 0)
                g_string_append_len (c->in, buffer, n);

              if ((length = parse_response (c->in, &status, &closes)) > 0)
                {
                  g_string_erase (c->in, 0, length);
                  finish_response (bench, c, status, now);
                  n_busy--;
                  if (closes)
                    {
                      close (c->fd);
                      open_connection (bench, c);
                    }
                }
            }
        }
    }

  {
    double seconds = (g_get_monotonic_time () - start) / 1e6;

    printf ("result seconds=%.2f requests=%" G_GUINT64_FORMAT " points=%" G_GUINT64_FORMAT
            " refused=%" G_GUINT64_FORMAT " failed=%" G_GUINT64_FORMAT
            " points_per_s=%.0f p50_ms=%.2f p99_ms=%.2f\n",
            seconds, bench->n_requests, bench->n_points, bench->n_refused, bench->n_failed,
            bench->n_points / seconds, percentile_ms (bench, 0.5), percentile_ms (bench, 0.99));
  }

  for (guint i = 0; i < bench->n_connections; i++)
    {
      close (connections[i].fd);
      g_string_free (connections[i].out, TRUE);
      g_string_free (connections[i].in, TRUE);
    }
}

static GPtrArray *
read_drivers (const char *path)
{
  g_autofree char *contents = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(GError) error = NULL;
  GPtrArray *drivers = g_ptr_array_new_with_free_func (g_free);

  if (!g_file_get_contents (path, &contents, NULL, &error))
    g_error ("%s", error->message);

  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      if (g_uuid_string_is_valid (g_strstrip (lines[i])))
        g_ptr_array_add (drivers, g_strdup (lines[i]));
    }

  if (drivers->len == 0)
    g_error ("No driver ids in %s", path);
  return drivers;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) options = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) drivers = NULL;
  g_autofree guint32 *latency = NULL;
  int connections = 32, batch = 50;
  double duration = 30, rate = 0, report = 0;
  Bench bench = { 0 };
  guint64 port;
  const GOptionEntry entries[] = {
    { "connections", 'c', 0, G_OPTION_ARG_INT, &connections, "Connections (32)", "N" },
    { "batch", 'b', 0, G_OPTION_ARG_INT, &batch, "Points per request (50)", "N" },
    { "duration", 'd', 0, G_OPTION_ARG_DOUBLE, &duration, "Seconds (30)", "S" },
    { "rate", 'r', 0, G_OPTION_ARG_DOUBLE, &rate, "Points/s in all (0: unlimited)", "R" },
    { "report", 0, 0, G_OPTION_ARG_DOUBLE, &report, "Progress every S seconds", "S" },
    { NULL }
  };

  options = g_option_context_new ("create-drivers PORT TOKEN COUNT | run PORT TOKEN DRIVERS");
  g_option_context_add_main_entries (options, entries, NULL);
  if (!g_option_context_parse (options, &argc, &argv, &error))
    g_error ("%s", error->message);

  if (argc != 5 ||
      !g_ascii_string_to_unsigned (argv[2], 10, 1, 65535, &port, NULL))
    {
      g_printerr ("%s", g_option_context_get_help (options, TRUE, NULL));
      return 2;
    }

  if (g_str_equal (argv[1], "create-drivers"))
    return create_drivers (port, argv[3], strtoul (argv[4], NULL, 10));

  if (!g_str_equal (argv[1], "run") || connections < 1 || connections > MAX_CONNECTIONS ||
      batch < 1 || batch > MAX_BATCH || duration <= 0 || duration > 3600 || rate < 0)
    {
      g_printerr ("%s", g_option_context_get_help (options, TRUE, NULL));
      return 2;
    }

  drivers = read_drivers (argv[4]);
  latency = g_new0 (guint32, N_BUCKETS);
  bench = (Bench) {
    .port = port,
    .token = argv[3],
    .drivers = drivers,
    .n_connections = connections,
    .batch = batch,
    .duration_s = duration,
    .rate = rate,
    .report_s = report,
    .latency = latency,
  };
  run (&bench);

  return bench.n_failed > 0 ? 1 : 0;
}
