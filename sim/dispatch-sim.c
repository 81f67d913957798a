/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsim"

#include "config.h"

#include <locale.h>

#include <glib-unix.h>

#include "dsim-sim.h"

typedef struct {
  GMainLoop *loop;
  gboolean   ok;
} Run;

static void
run_cb (GObject      *source,
        GAsyncResult *result,
        gpointer      user_data)
{
  Run *run = user_data;
  g_autoptr(GError) error = NULL;

  run->ok = dsim_sim_run_finish (DSIM_SIM (source), result, &error);
  if (!run->ok)
    g_printerr ("dispatch-sim: %s\n", error->message);
  g_main_loop_quit (run->loop);
}

static gboolean
signal_cb (gpointer user_data)
{
  dsim_sim_stop (user_data);
  return G_SOURCE_CONTINUE;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DsimSim) sim = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  DsimOptions *options;
  Run run = { NULL, FALSE };
  guint sigint, sigterm;

  setlocale (LC_ALL, "");
  options = dsim_options_parse (&argc, &argv, &error);
  if (options == NULL)
    {
      g_printerr ("dispatch-sim: %s (see --help)\n", error->message);
      return 2;
    }

  sim = dsim_sim_new (options);
  loop = g_main_loop_new (NULL, FALSE);
  run.loop = loop;
  sigint = g_unix_signal_add (SIGINT, signal_cb, sim);
  sigterm = g_unix_signal_add (SIGTERM, signal_cb, sim);

  dsim_sim_run_async (sim, run_cb, &run);
  g_main_loop_run (loop);

  g_source_remove (sigint);
  g_source_remove (sigterm);

  return run.ok ? 0 : 1;
}
