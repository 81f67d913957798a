/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <dispatch-json.h>

#include "dc-application.h"
#include "dc-order.h"
#include "dc-projection.h"
#include "dc-renderer.h"
#include "dc-stream-private.h"
#include "dc-window-private.h"
#include "test-console-data.h"
#include "test-console-utils.h"

/*
 * The real console window, filled from recorded stream frames instead of a
 * server: sign-in page, live console with an order's details, a driver's
 * route from a driver.route frame, dark style, connection lost, and the
 * layout at four widths, light and dark. With
 * DISPATCH_CONSOLE_SCREENSHOT_DIR set, each step is saved there as a PNG.
 */

typedef struct
{
  DcApplication *application;
  DcWindow *window;
  DcContext *context;
  JsonObject *snapshot;
} Fixture;

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

static gboolean
shows_text (GtkWidget  *widget,
            const char *text)
{
  if (GTK_IS_LABEL (widget) && strstr (gtk_label_get_label (GTK_LABEL (widget)), text) != NULL)
    return TRUE;

  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (shows_text (child, text))
      return TRUE;

  return FALSE;
}

/* A stop of @order as the server's route object has it, due @minutes from
 * now. */
static JsonObject *
route_stop (JsonObject *order,
            const char *kind,
            int         minutes)
{
  JsonObject *stop = json_object_new ();
  g_autofree char *eta = dispatch_format_timestamp (g_get_real_time () +
                                                    (gint64) minutes * 60 * G_USEC_PER_SEC);

  json_object_set_string_member (stop, "order_id", json_object_get_string_member (order, "id"));
  json_object_set_string_member (stop, "kind", kind);
  json_object_set_object_member (stop, "location",
                                 json_object_ref (json_object_get_object_member (order, kind)));
  json_object_set_string_member (stop, "eta", eta);

  return stop;
}

/* A driver with an assigned order takes a waiting one too: the driver.route
 * frame's four stops show in the driver's page and, numbered, on the map. */
static void
check_route (Fixture *fixture)
{
  DcWindow *window = fixture->window;
  JsonArray *orders = json_object_get_array_member (fixture->snapshot, "orders");
  JsonObject *assigned = NULL, *waiting = NULL;
  g_autoptr(JsonObject) route = json_object_new ();
  g_autoptr(JsonObject) frame = json_object_new ();
  g_autofree char *updated_at = dispatch_format_timestamp (g_get_real_time ());
  g_autofree char *waiting_id = NULL;
  g_autofree char *pick_up = NULL;
  JsonArray *stops = json_array_new ();
  const char *driver_id;

  for (guint i = 0; i < json_array_get_length (orders); i++)
    {
      JsonObject *order = json_array_get_object_element (orders, i);
      const char *status = json_object_get_string_member (order, "status");

      if (assigned == NULL && g_str_equal (status, "assigned"))
        assigned = order;
      if (waiting == NULL && g_str_equal (status, "pending"))
        waiting = order;
    }
  g_assert_true (assigned != NULL && waiting != NULL);
  driver_id = json_object_get_string_member (assigned, "driver_id");

  json_array_add_object_element (stops, route_stop (assigned, "pickup", 3));
  json_array_add_object_element (stops, route_stop (waiting, "pickup", 9));
  json_array_add_object_element (stops, route_stop (assigned, "dropoff", 17));
  json_array_add_object_element (stops, route_stop (waiting, "dropoff", 26));
  json_object_set_string_member (route, "driver_id", driver_id);
  json_object_set_array_member (route, "stops", stops);
  json_object_set_string_member (route, "updated_at", updated_at);
  json_object_set_string_member (frame, "id", "route-event");
  json_object_set_string_member (frame, "type", "driver.route");
  json_object_set_int_member (frame, "seq", json_object_get_int_member (fixture->snapshot, "seq")
                                            + 1);
  json_object_set_string_member (frame, "occurred_at", updated_at);
  json_object_set_object_member (frame, "data", json_object_ref (route));

  gtk_widget_activate_action (GTK_WIDGET (window), "win.select-driver", "s", driver_id);
  feed (fixture, frame);
  g_assert_cmpuint (dc_route_get_n_stops (dc_context_get_route (fixture->context)), ==, 4);
  waiting_id = dc_order_format_short_id (json_object_get_string_member (waiting, "id"));
  pick_up = g_strdup_printf ("Pick up %s", waiting_id);
  g_assert_true (shows_text (GTK_WIDGET (window->driver_detail), pick_up));
  test_console_run_for (1500);
  test_console_screenshot (GTK_WIDGET (window), "console-route-recorded");
}

/* The renderer the console chose at start, as its main () does. */
static const char *chosen_renderer;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GSettings) settings = g_settings_new (APPLICATION_ID);

  /* The recorded fleet's city, and nothing listening at the server. */
  g_settings_set (settings, "map-view", "(ddd)", 52.515, 13.405, 13.0);
  g_settings_set_string (settings, "server-url", "http://127.0.0.1:9");
  g_settings_set_string (settings, "last-username", "dana");

  fixture->application = test_console_application_new (&fixture->window);
  fixture->context = dc_application_get_context (fixture->application);
  fixture->snapshot = test_console_load_snapshot ();
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  gtk_window_destroy (GTK_WINDOW (fixture->window));
  g_clear_pointer (&fixture->snapshot, json_object_unref);
  g_clear_object (&fixture->application);
}

/* The map layers' own projection against libshumate's, on the window's map,
 * turned and not; the view is as before afterwards. */
static void
check_projection (Fixture *fixture)
{
  GtkWidget *overlay = gtk_widget_get_first_child (adw_bin_get_child (fixture->window->map_bin));
  GtkWidget *map = gtk_overlay_get_child (GTK_OVERLAY (overlay));
  ShumateViewport *viewport = shumate_map_get_viewport (SHUMATE_MAP (map));
  double zoom = shumate_viewport_get_zoom_level (viewport);
  static const double rotations[] = { 0.4, 0 };

  test_console_run_for (300);
  g_assert_cmpint (gtk_widget_get_width (map), >, 0);

  for (guint r = 0; r < G_N_ELEMENTS (rotations); r++)
    {
      DcProjection projection;

      shumate_viewport_set_rotation (viewport, rotations[r]);
      shumate_viewport_set_zoom_level (viewport, 13.4);
      g_assert_true (dc_projection_init (&projection, viewport, map));

      for (double lat = 52.40; lat < 52.65; lat += 0.05)
        for (double lon = 13.20; lon < 13.60; lon += 0.05)
          {
            double world_x, world_y, x, y, expected_x, expected_y;

            dc_projection_world_from_location (lat, lon, &world_x, &world_y);
            dc_projection_to_widget (&projection, world_x, world_y, &x, &y);
            shumate_viewport_location_to_widget_coords (viewport, map, lat, lon,
                                                        &expected_x, &expected_y);
            g_assert_cmpfloat_with_epsilon (x, expected_x, 1e-6);
            g_assert_cmpfloat_with_epsilon (y, expected_y, 1e-6);
          }
    }

  shumate_viewport_set_zoom_level (viewport, zoom);
}

/* The layout at the widths of a wall screen, a laptop, half a laptop and a
 * phone, light and dark, with an order open: the map stays usable (never a
 * sliver beside the lists and the details), one pane at a time when narrow. */
static void
check_widths (Fixture *fixture)
{
  static const int widths[] = { 1440, 1024, 800, 360 };
  AdwStyleManager *style = adw_style_manager_get_default ();
  DcWindow *window = fixture->window;
  const char *order = first_order_with_status (fixture, "assigned");

  for (guint i = 0; i < G_N_ELEMENTS (widths); i++)
    for (int dark = 0; dark < 2; dark++)
      {
        g_autofree char *name = g_strdup_printf ("console-%d%s", widths[i], dark ? "-dark" : "");
        int map_width;

        adw_style_manager_set_color_scheme (style, dark ? ADW_COLOR_SCHEME_FORCE_DARK
                                                        : ADW_COLOR_SCHEME_FORCE_LIGHT);
        gtk_window_set_default_size (GTK_WINDOW (window), widths[i], 800);
        test_console_run_for (300);
        /* a flap that folds hides itself: open the order again */
        gtk_widget_activate_action (GTK_WIDGET (window), "win.select-order", "s", order);
        test_console_run_for (800);
        map_width = gtk_widget_get_width (GTK_WIDGET (window->map_bin));
        g_test_message ("%d px (%d): lists %s, details %s, map %d px", widths[i],
                        gtk_widget_get_width (GTK_WIDGET (window)),
                        adw_leaflet_get_folded (window->leaflet) ? "folded" : "beside",
                        adw_flap_get_folded (window->detail_flap) ? "over the map" : "beside",
                        map_width);
        g_assert_cmpint (map_width, >=, 360);
        g_assert_true (adw_leaflet_get_folded (window->leaflet) == (widths[i] < 700));
        g_assert_true (adw_flap_get_folded (window->detail_flap) == (widths[i] < 1100));
        g_assert_true (adw_flap_get_reveal_flap (window->detail_flap));
        test_console_screenshot (GTK_WIDGET (window), name);
      }
  adw_style_manager_set_color_scheme (style, ADW_COLOR_SCHEME_DEFAULT);
}

static void
test_window (Fixture       *fixture,
             gconstpointer  data)
{
  DcWindow *window = fixture->window;
  DcStream *stream = dc_context_get_stream (fixture->context);
  AdwStyleManager *style = adw_style_manager_get_default ();

  test_console_run_for (300);
  g_assert_cmpstr (gtk_stack_get_visible_child_name (window->main_stack), ==, "sign-in");
  test_console_screenshot (GTK_WIDGET (window), "sign-in");
  /* Xvfb has no GPU: OpenGL there is Mesa's on the CPU, and the console
   * takes the cairo renderer (unless GSK_RENDERER was set). */
  if (chosen_renderer != NULL)
    g_assert_true (GSK_IS_CAIRO_RENDERER (gtk_native_get_renderer (GTK_NATIVE (window))));

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
  check_projection (fixture);

  gtk_widget_activate_action (GTK_WIDGET (window), "win.select-order", "s",
                              first_order_with_status (fixture, "assigned"));
  g_assert_true (adw_flap_get_reveal_flap (window->detail_flap));
  test_console_run_for (1500);
  test_console_screenshot (GTK_WIDGET (window), "console");
  check_route (fixture);

  adw_style_manager_set_color_scheme (style, ADW_COLOR_SCHEME_FORCE_DARK);
  gtk_widget_activate_action (GTK_WIDGET (window), "win.select-order", "s",
                              first_order_with_status (fixture, "pending"));
  test_console_run_for (500);
  test_console_screenshot (GTK_WIDGET (window), "console-dark");

  /* The connection drops: never show old data as live. */
  dc_stream_handle_closed (stream);
  g_assert_cmpint (dc_stream_get_state (stream), ==, DC_CONNECTION_DISCONNECTED);
  g_assert_true (gtk_revealer_get_reveal_child (window->banner_revealer));
  g_assert_true (gtk_widget_has_css_class (window->content, "stale"));
  test_console_run_for (500);
  test_console_screenshot (GTK_WIDGET (window), "console-stale");

  adw_style_manager_set_color_scheme (style, ADW_COLOR_SCHEME_DEFAULT);
  feed (fixture, fixture->snapshot);
  check_widths (fixture);
}

int
main (int   argc,
      char *argv[])
{
  gboolean renderer_set = g_getenv ("GSK_RENDERER") != NULL;

  gtk_test_init (&argc, &argv, NULL);
  chosen_renderer = dc_renderer_choose ();
  g_assert_cmpstr (chosen_renderer, ==, renderer_set ? NULL : "cairo");

  g_test_add ("/console/window", Fixture, NULL, fixture_set_up, test_window, fixture_tear_down);

  return g_test_run ();
}
