/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <string.h>

#include <glib.h>

/*
 * The console run as the README runs it, build/console/dispatch-console,
 * speaks German with LANGUAGE=de: it finds the catalogues built in the build
 * tree, not only those under the install prefix.
 */

static void
test_german_from_build_tree (void)
{
  const char *top = g_getenv ("DISPATCH_TEST_TOP_BUILDDIR");
  g_autofree char *program = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_auto(GStrv) env = NULL;
  g_autoptr(GError) error = NULL;
  int status;

  g_assert_nonnull (top);
  program = g_build_filename (top, "console", "dispatch-console", NULL);
  env = g_get_environ ();
  env = g_environ_setenv (env, "LANGUAGE", "de", TRUE);
  env = g_environ_setenv (env, "LANG", "C.UTF-8", TRUE);
  env = g_environ_unsetenv (env, "LC_ALL");
  env = g_environ_unsetenv (env, "LC_MESSAGES");

  g_assert_true (g_spawn_sync (NULL, (char *[]) { program, (char *) "--help", NULL }, env,
                               G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status, &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  g_test_message ("%s", out);
  g_assert_nonnull (strstr (out, "Adresse des dispatchd-Servers"));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/console/locale/german-from-build-tree", test_german_from_build_tree);

  return g_test_run ();
}
