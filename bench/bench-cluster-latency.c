/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Cross-instance latency of bench-cluster.sh (TARGETS P13): creates orders on
 * instance A at a fixed rate and follows instance B's dispatcher stream; for
 * every order.created frame of its own orders it takes arrival time on B −
 * the order's created_at (the time of A's transaction, which commits a
 * moment later: the figure errs on the slow side). Both instances run on
 * this machine, so one clock serves both ends.
 *
 * Usage: bench-cluster-latency URL_A URL_B TOKEN RATE SECONDS
 * Prints one line: orders=N received=N p50_ms=… p99_ms=… max_ms=…
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <libsoup/soup.h>

#include "dispatch-json.h"

#define ORDER_BODY \
  "{\"pickup\":{\"lat\":10.0,\"lon\":10.0},\"dropoff\":{\"lat\":10.01,\"lon\":10.01}," \
  "\"notes\":\"bench-cluster\"}"

typedef struct {
  SoupSession              *session;
  SoupWebsocketConnection  *stream;
  char                     *url_a;
  char                     *token;
  GHashTable               *mine;        /* order ids created here, not seen on B yet */
  GHashTable               *early;       /* id → created_at latency, seen before the 201 */
  GArray                   *latencies;   /* double ms */
  guint                     n_sent;
  guint                     n_created;
  guint                     n_failed;
  guint                     in_flight;
  gboolean                  sending;
  GMainLoop                *loop;
} Probe;

static int
compare_double (gconstpointer a,
                gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

static void
message_cb (SoupWebsocketConnection *connection,
            int                      type,
            GBytes                  *message,
            Probe                   *probe)
{
  gint64 now = g_get_real_time ();
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *frame, *data;
  const char *created_at;
  gint64 created_us;
  double ms;

  if (type != SOUP_WEBSOCKET_DATA_TEXT ||
      !json_parser_load_from_data (parser, g_bytes_get_data (message, NULL),
                                   g_bytes_get_size (message), NULL))
    return;

  frame = json_node_get_object (json_parser_get_root (parser));
  if (!g_str_equal (json_object_get_string_member_with_default (frame, "type", ""),
                    "order.created"))
    return;

  data = json_object_get_object_member (frame, "data");
  created_at = json_object_get_string_member (data, "created_at");
  if (!dispatch_parse_timestamp (created_at, &created_us))
    return;

  ms = (now - created_us) / 1000.0;
  /* The frame may come before A's answer does. */
  if (g_hash_table_remove (probe->mine, json_object_get_string_member (data, "id")))
    g_array_append_val (probe->latencies, ms);
  else
    g_hash_table_insert (probe->early, g_strdup (json_object_get_string_member (data, "id")),
                         g_memdup2 (&ms, sizeof ms));
}

static void
created_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Probe *probe = user_data;
  g_autoptr(GBytes) body = soup_session_send_and_read_finish (probe->session, result, NULL);
  /* The reference send_cb() took is dropped here. */
  SoupMessage *message = soup_session_get_async_result_message (probe->session, result);
  g_autoptr(JsonParser) parser = json_parser_new ();

  probe->in_flight--;
  if (body != NULL && soup_message_get_status (message) == 201 &&
      json_parser_load_from_data (parser, g_bytes_get_data (body, NULL),
                                  g_bytes_get_size (body), NULL))
    {
      JsonObject *order = json_node_get_object (json_parser_get_root (parser));
      const char *id = json_object_get_string_member (order, "id");
      double *early = g_hash_table_lookup (probe->early, id);

      if (early != NULL)
        {
          g_array_append_val (probe->latencies, *early);
          g_hash_table_remove (probe->early, id);
        }
      else
        {
          g_hash_table_add (probe->mine, g_strdup (id));
        }
      probe->n_created++;
    }
  else
    {
      probe->n_failed++;
    }
  g_object_unref (message);
}

static gboolean
send_cb (gpointer user_data)
{
  Probe *probe = user_data;
  g_autofree char *url = g_strconcat (probe->url_a, "/api/v1/orders", NULL);
  g_autofree char *auth = g_strconcat ("Bearer ", probe->token, NULL);
  SoupMessage *message;
  g_autoptr(GBytes) body = g_bytes_new_static (ORDER_BODY, strlen (ORDER_BODY));

  if (!probe->sending)
    return G_SOURCE_REMOVE;

  message = soup_message_new ("POST", url);
  soup_message_headers_append (soup_message_get_request_headers (message), "Authorization",
                               auth);
  soup_message_set_request_body_from_bytes (message, "application/json", body);
  probe->in_flight++;
  probe->n_sent++;
  soup_session_send_and_read_async (probe->session, message, G_PRIORITY_DEFAULT, NULL,
                                    created_cb, probe);
  return G_SOURCE_CONTINUE;
}

static gboolean
stop_sending_cb (gpointer user_data)
{
  Probe *probe = user_data;

  probe->sending = FALSE;
  return G_SOURCE_REMOVE;
}

static gboolean
check_done_cb (gpointer user_data)
{
  Probe *probe = user_data;

  if (!probe->sending && probe->in_flight == 0 && g_hash_table_size (probe->mine) == 0)
    g_main_loop_quit (probe->loop);
  return G_SOURCE_CONTINUE;
}

static gboolean
give_up_cb (gpointer user_data)
{
  g_main_loop_quit (((Probe *) user_data)->loop);
  return G_SOURCE_REMOVE;
}

static void
connected_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Probe *probe = user_data;
  g_autoptr(GError) error = NULL;

  probe->stream = soup_session_websocket_connect_finish (probe->session, result, &error);
  if (probe->stream == NULL)
    g_error ("Cannot open B's stream: %s", error->message);
  soup_websocket_connection_set_max_incoming_payload_size (probe->stream, 0);
  g_signal_connect (probe->stream, "message", G_CALLBACK (message_cb), probe);
  g_main_loop_quit (probe->loop);
}

static double
percentile (GArray *sorted,
            double  p)
{
  guint i;

  if (sorted->len == 0)
    return NAN;
  i = MIN ((guint) ceil (p * sorted->len) - (p > 0), sorted->len - 1);
  return g_array_index (sorted, double, i);
}

int
main (int    argc,
      char **argv)
{
  Probe probe = { 0 };
  g_autofree char *stream_url = NULL;
  SoupMessage *upgrade;
  double rate, seconds;

  if (argc != 6)
    {
      g_printerr ("Usage: %s URL_A URL_B TOKEN RATE SECONDS\n", argv[0]);
      return 2;
    }

  probe.url_a = argv[1];
  probe.token = argv[3];
  rate = g_ascii_strtod (argv[4], NULL);
  seconds = g_ascii_strtod (argv[5], NULL);
  probe.session = soup_session_new_with_options ("max-conns", 64, "max-conns-per-host", 64,
                                                 NULL);
  probe.mine = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  probe.early = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  probe.latencies = g_array_new (FALSE, FALSE, sizeof (double));
  probe.loop = g_main_loop_new (NULL, FALSE);

  stream_url = g_strdup_printf ("%s/api/v1/stream?access_token=%s", argv[2], argv[3]);
  upgrade = soup_message_new ("GET", stream_url);
  soup_session_websocket_connect_async (probe.session, upgrade, NULL, NULL, G_PRIORITY_DEFAULT,
                                        NULL, connected_cb, &probe);
  g_main_loop_run (probe.loop);
  g_object_unref (upgrade);

  probe.sending = TRUE;
  g_timeout_add (MAX (1, (guint) (1000.0 / rate)), send_cb, &probe);
  g_timeout_add ((guint) (seconds * 1000), stop_sending_cb, &probe);
  g_timeout_add (50, check_done_cb, &probe);
  g_timeout_add ((guint) (seconds * 1000) + 30000, give_up_cb, &probe);
  g_main_loop_run (probe.loop);

  g_array_sort (probe.latencies, compare_double);
  g_print ("orders=%u failed=%u received=%u p50_ms=%.1f p99_ms=%.1f max_ms=%.1f\n",
           probe.n_created, probe.n_failed, probe.latencies->len,
           percentile (probe.latencies, 0.5), percentile (probe.latencies, 0.99),
           probe.latencies->len > 0 ? g_array_index (probe.latencies, double,
                                                     probe.latencies->len - 1) : NAN);
  return probe.n_created > 0 && probe.latencies->len == probe.n_created ? 0 : 1;
}
