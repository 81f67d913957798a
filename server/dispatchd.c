/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dispatchd"

#include "config.h"

#include <errno.h>
#include <gio/gio.h>
#include <glib-unix.h>
#include <glib/gi18n.h>
#include <locale.h>
#include <sys/resource.h>

#include "dsd-daemon.h"
#include "dsd-http-server.h"
#include "dsd-log.h"
#include "dsd-sd-notify.h"

/* Descriptors beyond client connections: database pool, redis, kafka,
 * listening sockets, files. */
#define RESERVED_DESCRIPTORS 1024

typedef struct {
  GMainLoop *loop;
  DsdDaemon *daemon;
  int        exit_status;
  gboolean   stopping;
  char      *notify_socket;   /* systemd's, NULL when not run by it */
} Run;

static void
stopped_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Run *run = user_data;

  dsd_daemon_stop_finish (DSD_DAEMON (source), result);
  g_message ("Stopped");
  g_main_loop_quit (run->loop);
}

/* Once, whatever asks first: a signal, a failure to start or to go on. */
static void
begin_stop (Run *run)
{
  if (run->stopping)
    return;

  run->stopping = TRUE;
  dsd_sd_notify (run->notify_socket, "STOPPING=1");
  dsd_daemon_stop_async (run->daemon, stopped_cb, run);
}

static gboolean
signal_cb (gpointer user_data)
{
  Run *run = user_data;

  if (!run->stopping)
    g_message ("Stopping: finishing requests in flight");
  begin_stop (run);

  return G_SOURCE_CONTINUE;
}

static void
failed_cb (DsdDaemon    *daemon,
           const GError *error,
           Run          *run)
{
  g_warning ("Cannot go on: %s", error->message);
  run->exit_status = 1;
  begin_stop (run);
}

static void
started_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Run *run = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *status = NULL;

  if (!dsd_daemon_start_finish (DSD_DAEMON (source), result, &error))
    {
      g_printerr ("dispatchd: %s\n", error->message);
      run->exit_status = 1;
      begin_stop (run);
      return;
    }

  g_print ("dispatchd %s listening on %s\n", PACKAGE_VERSION, dsd_daemon_get_url (run->daemon));
  status = g_strdup_printf ("READY=1\nSTATUS=Serving on %s", dsd_daemon_get_url (run->daemon));
  dsd_sd_notify (run->notify_socket, status);
}

/* Raises the soft limit on open files to the hard one (the default soft limit,
 * 1024, is far below the connection cap) and checks that the connection cap
 * fits, so that the cap, not the kernel, refuses connections. */
static gboolean
raise_descriptor_limit (guint    max_connections,
                        GError **error)
{
  struct rlimit limit;

  if (getrlimit (RLIMIT_NOFILE, &limit) != 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "getrlimit: %s",
                   g_strerror (errno));
      return FALSE;
    }

  if (limit.rlim_cur < limit.rlim_max)
    {
      limit.rlim_cur = limit.rlim_max;
      if (setrlimit (RLIMIT_NOFILE, &limit) != 0)
        {
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "setrlimit: %s",
                       g_strerror (errno));
          return FALSE;
        }
    }

  if (limit.rlim_cur != RLIM_INFINITY &&
      limit.rlim_cur < (rlim_t) max_connections + RESERVED_DESCRIPTORS)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "DISPATCH_HTTP_MAX_CONNECTIONS=%u needs %u open files, the limit is %lu "
                   "(raise it, e.g. LimitNOFILE= of systemd, or lower the setting)",
                   max_connections, max_connections + RESERVED_DESCRIPTORS,
                   (unsigned long) limit.rlim_cur);
      return FALSE;
    }

  return TRUE;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DsdConfig) config = dsd_config_new ();
  g_autoptr(GMainLoop) loop = NULL;
  g_autoptr(DsdDaemon) daemon = NULL;
  Run run = { 0 };
  guint sigint, sigterm;

  dsd_http_tls_init ();
  setlocale (LC_ALL, "");
  /* Customer e-mail is translated, and always UTF-8. */
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");

  if (!dsd_config_parse (config, &argc, &argv, &error) ||
      !raise_descriptor_limit (config->http_max_connections, &error))
    {
      g_printerr ("dispatchd: %s\n", error->message);
      return 2;
    }

  dsd_log_init (g_strcmp0 (config->log_format, "json") == 0 ? DSD_LOG_FORMAT_JSON
                                                            : DSD_LOG_FORMAT_TEXT);

  run.notify_socket = dsd_sd_notify_take_socket ();
  loop = g_main_loop_new (NULL, FALSE);
  daemon = dsd_daemon_new (g_steal_pointer (&config));
  run.loop = loop;
  run.daemon = daemon;

  sigint = g_unix_signal_add (SIGINT, signal_cb, &run);
  sigterm = g_unix_signal_add (SIGTERM, signal_cb, &run);

  g_signal_connect (daemon, "failed", G_CALLBACK (failed_cb), &run);
  dsd_daemon_start_async (daemon, NULL, started_cb, &run);
  g_main_loop_run (loop);

  g_source_remove (sigint);
  g_source_remove (sigterm);
  g_free (run.notify_socket);

  return run.exit_status;
}
