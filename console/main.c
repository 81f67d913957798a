/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdlib.h>

#include <glib/gi18n.h>

#include "dc-application.h"
#include "dc-renderer.h"

/* Run from the build tree, as the README does, the catalogues are the ones
 * built there (meson compiles them into BUILD/po/LANG/LC_MESSAGES); an
 * installed program uses the installed ones. */
static const char *
locale_dir (void)
{
  g_autofree char *exe = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree char *dir = exe != NULL ? g_path_get_dirname (exe) : NULL;
  g_autofree char *build_dir = realpath (BUILD_CONSOLE_DIR, NULL);

  return dir != NULL && g_strcmp0 (dir, build_dir) == 0 ? BUILD_LOCALEDIR : LOCALEDIR;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(DcApplication) application = NULL;

  bindtextdomain (GETTEXT_PACKAGE, locale_dir ());
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  dc_renderer_choose ();
  application = dc_application_new ();

  return g_application_run (G_APPLICATION (application), argc, argv);
}
