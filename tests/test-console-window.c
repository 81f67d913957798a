/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "dc-application.h"
#include "dc-stream-private.h"
#include "dc-window-private.h"
#include "test-console-data.h"

/*
 * The real console window, filled from recorded stream frames instead of a
 * server: sign-in page, live console with an order's details, dark style,
 * connection lost, narrow window. With DISPATCH_CONSOLE_SCREENSHOT_DIR set,
 * each step is saved there as a PNG.
 */

typedef struct
{
  DcApplication *application;
  DcWindow *window;
  DcContext *context;
  JsonObject *snapshot;
} Fixture;

static gboolean
timeout_cb (gpointer user_data)
{
  gboolean *done = user_data;

  *done = TRUE;
  return G_SOURCE_REMOVE;
}

static void
run_for (guint ms)
{
  gboolean done = FALSE;

  g_timeout_add (ms, timeout_cb, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
}

static void
screenshot (GtkWidget  *widget,
            const char *name)
{
  const char *dir = g_getenv ("DISPATCH_CONSOLE_SCREENSHOT_DIR");
  g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new (widget);
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  GtkSnapshot *snapshot = gtk_snapshot_new ();
  int width, height;

  gtk_test_widget_wait_for_draw (widget);
  width = gtk_widget_get_width (widget);
  height = gtk_widget_get_height (widget);
  gdk_paintable_snapshot (paintable, snapshot, width, height);
  node = gtk_snapshot_free_to_node (snapshot);
  g_assert_nonnull (node);

  texture = gsk_renderer_render_texture (gtk_native_get_renderer (GTK_NATIVE (widget)), node,
                                         &GRAPHENE_RECT_INIT (0, 0, width, height));
  g_assert_nonnull (texture);

  if (dir != NULL)
    {
      g_autofree char *file = g_strconcat (name, ".png", NULL);
      g_autofree char *path = g_build_filename (dir, file, NULL);

      g_assert_true (gdk_texture_save_to_png (texture, path));
      g_test_message ("saved %s", path);
    }
}

static void
feed (Fixture    *fixture,
      JsonObject *frame)
{
  g_autofree char *text = test_console_to_text (frame);

  dc_stream_handle_frame (dc_context_get_stream (fixture->context), text, strlen (text));
}

static const char *
first_order_with_status (Fixture    *fixture,
                         const char *status)
{
  JsonArray *orders = json_object_get_array_member (fixture->snapshot, "orders");

  for (guint i = 0; i < json_array_get_length (orders); i++)
    {
      JsonObject *order = json_array_get_object_element (orders, i);

      if (g_str_equal (json_object_get_string_member (order, "status"), status))
        return json_object_get_string_member (order, "id");
    }

  g_assert_not_reached ();
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GSettings) settings = g_settings_new (APPLICATION_ID);
  g_autoptr(GError) error = NULL;

  /* The recorded fleet's city, and nothing listening at the server. */
  g_settings_set (settings, "map-view", "(ddd)", 52.515, 13.405, 13.0);
  g_settings_set_string (settings, "server-url", "http://127.0.0.1:9");
  g_settings_set_string (settings, "last-username", "dana");

  fixture->application = dc_application_new ();
  g_application_set_flags (G_APPLICATION (fixture->application), G_APPLICATION_NON_UNIQUE);
  g_application_register (G_APPLICATION (fixture->application), NULL, &error);
  g_assert_no_error (error);
  g_application_activate (G_APPLICATION (fixture->application));

  fixture->window = DC_WINDOW (gtk_application_get_active_window (
    GTK_APPLICATION (fixture->application)));
  fixture->context = dc_application_get_context (fixture->application);
  fixture->snapshot = test_console_load_snapshot ();
  g_assert_nonnull (fixture->window);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  gtk_window_destroy (GTK_WINDOW (fixture->window));
  g_clear_pointer (&fixture->snapshot, json_object_unref);
  g_clear_object (&fixture->application);
}

static void
test_window (Fixture       *fixture,
             gconstpointer  data)
{
  DcWindow *window = fixture->window;
  DcStream *stream = dc_context_get_stream (fixture->context);
  AdwStyleManager *style = adw_style_manager_get_default ();

  run_for (300);
  g_assert_cmpstr (gtk_stack_get_visible_child_name (window->main_stack), ==, "sign-in");
  screenshot (GTK_WIDGET (window), "sign-in");

  /* Signed in: the stream starts, but there is no server, so stop it and
   * play the recorded snapshot through its frame handler. */
  dc_client_set_session (dc_context_get_client (fixture->context), "http://127.0.0.1:9",
                         "dana", "recorded-session");
  g_assert_cmpstr (gtk_stack_get_visible_child_name (window->main_stack), ==, "console");
  dc_stream_stop (stream);
  g_assert_true (gtk_widget_has_css_class (window->content, "stale"));

  feed (fixture, fixture->snapshot);
  g_assert_cmpint (dc_stream_get_state (stream), ==, DC_CONNECTION_LIVE);
  g_assert_false (gtk_widget_has_css_class (window->content, "stale"));

  gtk_widget_activate_action (GTK_WIDGET (window), "win.select-order", "s",
                              first_order_with_status (fixture, "assigned"));
  g_assert_true (adw_flap_get_reveal_flap (window->detail_flap));
  run_for (1500);
  screenshot (GTK_WIDGET (window), "console");

  adw_style_manager_set_color_scheme (style, ADW_COLOR_SCHEME_FORCE_DARK);
  gtk_widget_activate_action (GTK_WIDGET (window), "win.select-order", "s",
                              first_order_with_status (fixture, "pending"));
  run_for (500);
  screenshot (GTK_WIDGET (window), "console-dark");

  /* The connection drops: never show old data as live. */
  dc_stream_handle_closed (stream);
  g_assert_cmpint (dc_stream_get_state (stream), ==, DC_CONNECTION_DISCONNECTED);
  g_assert_true (gtk_revealer_get_reveal_child (window->banner_revealer));
  g_assert_true (gtk_widget_has_css_class (window->content, "stale"));
  run_for (500);
  screenshot (GTK_WIDGET (window), "console-stale");

  adw_style_manager_set_color_scheme (style, ADW_COLOR_SCHEME_DEFAULT);
  feed (fixture, fixture->snapshot);
  gtk_widget_activate_action (GTK_WIDGET (window), "win.close-detail", NULL);
  gtk_window_set_default_size (GTK_WINDOW (window), 420, 780);
  run_for (800);
  g_assert_true (adw_leaflet_get_folded (window->leaflet));
  screenshot (GTK_WIDGET (window), "console-narrow");
}

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);

  g_test_add ("/console/window", Fixture, NULL, fixture_set_up, test_window, fixture_tear_down);

  return g_test_run ();
}
