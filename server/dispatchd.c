/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dispatchd"

#include "config.h"

#include <glib-unix.h>
#include <glib/gi18n.h>
#include <locale.h>

#include "dsd-daemon.h"
#include "dsd-log.h"
#include "dsd-sd-notify.h"

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

  setlocale (LC_ALL, "");
  /* Customer e-mail is translated, and always UTF-8. */
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");

  if (!dsd_config_parse (config, &argc, &argv, &error))
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
