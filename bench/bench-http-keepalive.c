/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Server CPU per request on kept-alive connections: DsdHttpConnections
 * (which hands each connection back to libsoup after every response) against
 * libsoup's own connection handling, measured in the same run. One main loop
 * serves a small response; a client thread keeps CONNECTIONS connections and
 * sends requests over them in turn.
 *
 * Usage: bench-http-keepalive [REQUESTS] [ROUNDS]
 */
#include <string.h>
#include <time.h>

#include "dsd-http-connections.h"

#define BODY "{\"status\":\"ok\"}\n"
#define REQUEST "GET /healthz HTTP/1.1\r\nHost: bench\r\n\r\n"
#define CONNECTIONS 8

typedef enum {
  MODE_LIBSOUP,
  MODE_DSD,
} Mode;

static const char * const mode_names[] = { "libsoup listener", "DsdHttpConnections" };

typedef struct {
  guint   port;
  guint   requests;
  gint    done;
  gint64  elapsed_us;
} Load;

static void
handler_cb (SoupServer        *server,
            SoupServerMessage *msg,
            const char        *path,
            GHashTable        *query,
            gpointer           user_data)
{
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC,
                                    BODY, strlen (BODY));
}

static GSocket *
connect_blocking (guint port)
{
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, port);
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GError) error = NULL;

  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                         &error);
  if (socket == NULL || !g_socket_connect (socket, address, NULL, &error))
    g_error ("connect: %s", error->message);

  return g_steal_pointer (&socket);
}

/* One request, then its whole response. */
static void
exchange (GSocket *socket)
{
  g_autoptr(GError) error = NULL;
  char buffer[4096];
  gsize received = 0;

  if (g_socket_send (socket, REQUEST, strlen (REQUEST), NULL, &error) != strlen (REQUEST))
    g_error ("send: %s", error ? error->message : "short write");

  while (received < strlen (BODY) ||
         !g_str_has_suffix (buffer, "\r\n\r\n" BODY))
    {
      gssize n = g_socket_receive (socket, buffer + received, sizeof buffer - 1 - received,
                                   NULL, &error);

      if (n <= 0)
        g_error ("receive: %s", error ? error->message : "connection closed");
      received += n;
      buffer[received] = '\0';
    }
}

static gpointer
client_thread (gpointer data)
{
  Load *load = data;
  GSocket *sockets[CONNECTIONS];
  gint64 start;

  for (guint i = 0; i < CONNECTIONS; i++)
    sockets[i] = connect_blocking (load->port);

  start = g_get_monotonic_time ();
  for (guint i = 0; i < load->requests; i++)
    exchange (sockets[i % CONNECTIONS]);
  load->elapsed_us = g_get_monotonic_time () - start;

  for (guint i = 0; i < CONNECTIONS; i++)
    g_object_unref (sockets[i]);

  g_atomic_int_set (&load->done, TRUE);
  g_main_context_wakeup (NULL);

  return NULL;
}

static double
thread_cpu_seconds (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Server CPU µs per request; requests per second in *rate. */
static double
run (Mode    mode,
     guint   requests,
     double *rate)
{
  g_autoptr(SoupServer) soup = soup_server_new (NULL, NULL);
  g_autoptr(DsdHttpConnections) connections = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GError) error = NULL;
  GThread *thread;
  Load load = { .requests = requests };
  double cpu;

  soup_server_add_handler (soup, NULL, handler_cb, NULL, NULL);
  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                         &error);
  if (socket == NULL || !g_socket_bind (socket, address, TRUE, &error) ||
      !g_socket_listen (socket, &error))
    g_error ("listen: %s", error->message);

  if (mode == MODE_DSD)
    {
      connections = dsd_http_connections_new (soup);
      if (!dsd_http_connections_add_socket (connections, socket, NULL, &error))
        g_error ("listen: %s", error->message);
    }
  else if (!soup_server_listen_socket (soup, socket, 0, &error))
    g_error ("listen: %s", error->message);

  bound = g_socket_get_local_address (socket, &error);
  load.port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));

  cpu = thread_cpu_seconds ();
  thread = g_thread_new ("client", client_thread, &load);
  while (!g_atomic_int_get (&load.done))
    g_main_context_iteration (NULL, TRUE);
  cpu = thread_cpu_seconds () - cpu;
  g_thread_join (thread);

  /* Let the closed connections go before the next run. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  soup_server_disconnect (soup);

  *rate = requests / (load.elapsed_us / (double) G_USEC_PER_SEC);
  return cpu / requests * G_USEC_PER_SEC;
}

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

int
main (int   argc,
      char *argv[])
{
  guint requests = argc > 1 ? (guint) g_ascii_strtoull (argv[1], NULL, 10) : 50000;
  guint rounds = argc > 2 ? (guint) g_ascii_strtoull (argv[2], NULL, 10) : 5;
  GArray *cpu[2], *rate[2];
  double median_cpu[2], median_rate[2];

  if (requests == 0 || rounds == 0)
    {
      g_printerr ("usage: %s [REQUESTS] [ROUNDS]\n", argv[0]);
      return 2;
    }

  for (guint m = 0; m < 2; m++)
    {
      double ignored;

      cpu[m] = g_array_new (FALSE, FALSE, sizeof (double));
      rate[m] = g_array_new (FALSE, FALSE, sizeof (double));
      /* Warm-up. */
      run (m, MIN (requests, 5000), &ignored);
    }

  /* Alternating, so that drift on a shared machine hits both alike. */
  for (guint r = 0; r < rounds; r++)
    {
      for (guint m = 0; m < 2; m++)
        {
          double per_second;
          double us = run (m, requests, &per_second);

          g_array_append_val (cpu[m], us);
          g_array_append_val (rate[m], per_second);
        }
    }

  for (guint m = 0; m < 2; m++)
    {
      g_array_sort (cpu[m], compare_doubles);
      g_array_sort (rate[m], compare_doubles);
      median_cpu[m] = g_array_index (cpu[m], double, rounds / 2);
      median_rate[m] = g_array_index (rate[m], double, rounds / 2);
      g_print ("%-20s %6.1f us server CPU/request, %8.0f requests/s (median of %u x %u "
               "requests over %u connections)\n",
               mode_names[m], median_cpu[m], median_rate[m], rounds, requests, CONNECTIONS);
      g_array_unref (cpu[m]);
      g_array_unref (rate[m]);
    }

  g_print ("ratio DsdHttpConnections / libsoup: CPU/request %.2fx, requests/s %.2fx\n",
           median_cpu[MODE_DSD] / median_cpu[MODE_LIBSOUP],
           median_rate[MODE_DSD] / median_rate[MODE_LIBSOUP]);

  return 0;
}
