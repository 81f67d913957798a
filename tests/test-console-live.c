/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <gdk/x11/gdkx.h>
#include <X11/Xlib.h>
#include <shumate/shumate.h>

#include "dc-alerts.h"
#include "dc-candidates.h"
#include "dc-driver.h"
#include "dc-format.h"
#include "dc-local-time.h"
#include "dc-order.h"
#include "dc-order-row.h"
#include "dc-renderer.h"
#include "dc-route.h"
#include "dc-stream.h"
#include "dc-window-private.h"
#include "dispatch-json.h"
#include "dispatch-png.h"
#include "test-console-utils.h"
#include "test-scenario.h"
#include "test-utils.h"

/*
 * The real console against the real dispatchd (with its zero-config
 * PostgreSQL): sign-in through the sign-in page, an order selected and
 * reassigned with the window's actions, the change coming back over the
 * dispatcher stream; then the server killed and restarted, and the console
 * reconnecting by itself and resyncing: what changed meanwhile shows up,
 * nothing twice, closed orders go. With DISPATCH_CONSOLE_SCREENSHOT_DIR set,
 * each step is saved there as a PNG.
 *
 * The desk (without the server's automation, so that only the dispatcher
 * assigns): candidates ranked free first, holding still under the real X
 * pointer, warnings before a bad assignment, Undo, ticking ages, actions
 * disabled offline.
 */

#define WAIT_MS             30000
/* the stream backs off up to 30 s between attempts */
#define RECONNECT_WAIT_MS   90000
#define DISPATCHER          "dana"
#define DISPATCHER_PASSWORD "dana-dispatcher-password"

typedef struct
{
  DsdTestServer *server;
  DcApplication *application;
  DcWindow *window;
  DcContext *context;
  DcStream *stream;
} Fixture;

/* What the stream is expected to bring: an order event with this driver, or
 * a driver's position at this latitude. */
typedef struct
{
  Fixture *fixture;
  const char *id;
  const char *driver_id;
  double lat;
  gboolean seen;
} Expectation;

/* REST with the admin token --------------------------------------------- */

static JsonObject *
api (Fixture    *fixture,
     const char *method,
     const char *path,
     const char *body,
     guint       status)
{
  return dsd_test_call (fixture->server, dsd_test_server_get_admin_token (fixture->server),
                        method, path, body, status);
}

static char *
create_online_driver_full (Fixture    *fixture,
                           const char *name,
                           int         capacity,
                           double      lat,
                           double      lon)
{
  g_autofree char *body = g_strdup_printf ("{\"name\":\"%s\",\"vehicle\":\"scooter\","
                                           "\"capacity\":%d}", name, capacity);

  return dsd_test_add_online_driver (fixture->server, body, lat, lon);
}

static char *
create_online_driver (Fixture    *fixture,
                      const char *name,
                      double      lat,
                      double      lon)
{
  return create_online_driver_full (fixture, name, 3, lat, lon);
}

static void
move_driver (Fixture    *fixture,
             const char *driver_id,
             double      lat,
             double      lon)
{
  dsd_test_post_location (fixture->server, driver_id,
                          dsd_test_server_get_admin_token (fixture->server), lat, lon);
}

static char *
create_order (Fixture    *fixture,
              const char *pickup,
              double      lat,
              double      lon)
{
  g_autoptr(JsonObject) order = NULL;
  g_autofree char *body = NULL;
  char lat_text[G_ASCII_DTOSTR_BUF_SIZE], lon_text[G_ASCII_DTOSTR_BUF_SIZE];

  body = g_strdup_printf ("{\"pickup\":{\"lat\":%s,\"lon\":%s,\"address\":\"%s\"},"
                          "\"dropoff\":{\"lat\":52.5096,\"lon\":13.3760,"
                          "\"address\":\"Potsdamer Platz 1\"},"
                          "\"contact\":{\"name\":\"Ada Lovelace\"},\"priority\":3}",
                          g_ascii_dtostr (lat_text, sizeof lat_text, lat),
                          g_ascii_dtostr (lon_text, sizeof lon_text, lon), pickup);
  order = api (fixture, "POST", "/api/v1/orders", body, 201);

  return g_strdup (json_object_get_string_member (order, "id"));
}

/* The ids of the open orders, as the server has them. */
static GHashTable *
server_open_orders (Fixture *fixture)
{
  static const char * const open[] = { "pending", "assigned", "picked_up" };
  GHashTable *ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (open); i++)
    {
      g_autofree char *path = g_strdup_printf ("/api/v1/orders?status=%s&limit=500", open[i]);
      g_autoptr(JsonObject) page = api (fixture, "GET", path, NULL, 200);
      JsonArray *orders = json_object_get_array_member (page, "orders");

      g_assert_true (json_object_get_null_member (page, "next"));
      for (guint j = 0; j < json_array_get_length (orders); j++)
        {
          JsonObject *order = json_array_get_object_element (orders, j);

          g_hash_table_add (ids, g_strdup (json_object_get_string_member (order, "id")));
        }
    }

  return ids;
}

/* Conditions ------------------------------------------------------------ */

static gboolean
is_live (gpointer user_data)
{
  Fixture *fixture = user_data;

  return dc_stream_get_state (fixture->stream) == DC_CONNECTION_LIVE;
}

static gboolean
is_not_live (gpointer user_data)
{
  return !is_live (user_data);
}

static gboolean
has_order (gpointer user_data)
{
  Expectation *expectation = user_data;

  return dc_store_lookup (dc_context_get_orders (expectation->fixture->context),
                          expectation->id) != NULL;
}

static gboolean
has_no_order (gpointer user_data)
{
  return !has_order (user_data);
}

static gboolean
seen (gpointer user_data)
{
  Expectation *expectation = user_data;

  return expectation->seen;
}

static gboolean
order_held (gpointer user_data)
{
  Expectation *expectation = user_data;
  DcEntity *order = dc_store_lookup (dc_context_get_orders (expectation->fixture->context),
                                     expectation->id);

  return order != NULL && dc_order_get_held (DC_ORDER (order));
}

static gboolean
order_waiting (gpointer user_data)
{
  Expectation *expectation = user_data;
  DcEntity *order = dc_store_lookup (dc_context_get_orders (expectation->fixture->context),
                                     expectation->id);

  return order != NULL && dc_order_get_status (DC_ORDER (order)) == DISPATCH_ORDER_PENDING;
}

static gboolean
order_assigned (gpointer user_data)
{
  Expectation *expectation = user_data;
  DcEntity *order = dc_store_lookup (dc_context_get_orders (expectation->fixture->context),
                                     expectation->id);

  return order != NULL && dc_order_get_status (DC_ORDER (order)) == DISPATCH_ORDER_ASSIGNED;
}

static gboolean
driver_at (gpointer user_data)
{
  Expectation *expectation = user_data;
  DcEntity *driver = dc_store_lookup (dc_context_get_drivers (expectation->fixture->context),
                                      expectation->id);

  return driver != NULL && G_APPROX_VALUE (dc_driver_get_lat (DC_DRIVER (driver)),
                                           expectation->lat, 1e-9);
}

static gboolean
window_shows_console (gpointer user_data)
{
  Fixture *fixture = user_data;

  return g_strcmp0 (gtk_stack_get_visible_child_name (fixture->window->main_stack),
                    "console") == 0;
}

static void
wait_for (DsdTestCondition  condition,
          gpointer          user_data,
          guint             timeout_ms,
          const char       *what)
{
  if (!dsd_test_run_until (condition, user_data, timeout_ms))
    g_error ("The console did not get to “%s” within %u ms", what, timeout_ms);
}

/* The list view of the entities below @widget (not the one of a filter
 * menu). */
static GtkListView *
find_entity_list (GtkWidget *widget)
{
  if (GTK_IS_LIST_VIEW (widget))
    {
      GListModel *rows = G_LIST_MODEL (gtk_list_view_get_model (GTK_LIST_VIEW (widget)));
      g_autoptr(GObject) first = g_list_model_get_item (rows, 0);

      if (DC_IS_ENTITY (first))
        return GTK_LIST_VIEW (widget);
    }

  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkListView *found = find_entity_list (child);

      if (found != NULL)
        return found;
    }

  return NULL;
}

/* A click on the order's row: the list view's own "list.select-item", which
 * is what a click runs. */
static void
click_order_row (Fixture    *fixture,
                 const char *order_id)
{
  GtkListView *list = find_entity_list (GTK_WIDGET (fixture->window->orders_pane));
  GListModel *rows;

  g_assert_nonnull (list);
  rows = G_LIST_MODEL (gtk_list_view_get_model (list));
  for (guint i = 0; i < g_list_model_get_n_items (rows); i++)
    {
      g_autoptr(DcEntity) order = g_list_model_get_item (rows, i);

      if (g_str_equal (dc_entity_get_id (order), order_id))
        {
          g_assert_true (gtk_widget_activate_action (GTK_WIDGET (list), "list.select-item",
                                                     "(ubb)", i, FALSE, FALSE));
          return;
        }
    }

  g_error ("No row for order %s", order_id);
}

/* Only the stream emits ::event: the REST answer to the console's own
 * action goes to the store directly. */
static void
stream_event_cb (DcStream    *stream,
                 const char  *type,
                 JsonObject  *data,
                 Expectation *expectation)
{
  if (g_str_has_prefix (type, "order.") &&
      g_strcmp0 (json_object_get_string_member_with_default (data, "id", NULL),
                 expectation->id) == 0 &&
      g_strcmp0 (json_object_get_string_member_with_default (data, "driver_id", NULL),
                 expectation->driver_id) == 0)
    expectation->seen = TRUE;
}

/* Fixture --------------------------------------------------------------- */

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GSettings) settings = g_settings_new (APPLICATION_ID);
  g_autoptr(JsonObject) user = NULL;

  fixture->server = dsd_test_server_start (data);
  user = api (fixture, "POST", "/api/v1/users",
              "{\"username\":\"" DISPATCHER "\",\"password\":\"" DISPATCHER_PASSWORD "\","
              "\"role\":\"dispatcher\"}", 201);

  /* Central Berlin, where the fleet is; no tile server to reach. */
  g_settings_set (settings, "map-view", "(ddd)", 52.515, 13.395, 14.0);
  g_settings_set_string (settings, "tile-url", "http://127.0.0.1:9/{z}/{x}/{y}.png");

  fixture->application = test_console_application_new (&fixture->window);
  fixture->context = dc_application_get_context (fixture->application);
  fixture->stream = dc_context_get_stream (fixture->context);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  gtk_window_destroy (GTK_WINDOW (fixture->window));
  g_clear_object (&fixture->application);
  g_clear_pointer (&fixture->server, dsd_test_server_free);
}

static void
sign_in (Fixture *fixture)
{
  DcWindow *window = fixture->window;

  g_assert_cmpstr (gtk_stack_get_visible_child_name (window->main_stack), ==, "sign-in");
  dc_sign_in_page_fill (window->sign_in_page, dsd_test_server_get_url (fixture->server),
                        DISPATCHER, DISPATCHER_PASSWORD);
  test_console_screenshot (GTK_WIDGET (window), "live-sign-in");

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window->sign_in_page),
                                             "sign-in.submit", NULL));
  wait_for (window_shows_console, fixture, WAIT_MS, "signed in");
  wait_for (is_live, fixture, WAIT_MS, "live");
  g_assert_false (gtk_widget_has_css_class (window->content, "stale"));
}

static void
test_live (Fixture       *fixture,
           gconstpointer  data)
{
  DcWindow *window = fixture->window;
  DcStore *orders = dc_context_get_orders (fixture->context);
  DcStore *drivers = dc_context_get_drivers (fixture->context);
  g_autofree char *anna = NULL;
  g_autofree char *ben = NULL;
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  g_autofree char *late = NULL;
  g_autofree char *probe_id = NULL;
  g_autofree char *after_id = NULL;
  const char *excluded;
  g_autoptr(GHashTable) truth = NULL;
  g_autoptr(GHashTable) shown = NULL;
  g_autoptr(JsonObject) cancelled = NULL;
  g_autofree char *cancel_path = NULL;
  Expectation reassigned = { fixture };
  Expectation moved = { fixture };
  Expectation created = { fixture };
  Expectation closed = { fixture };
  Expectation handed_back = { fixture };
  Expectation probe = { fixture };
  Expectation after = { fixture };
  g_autofree char *from = NULL;
  const char *to;
  gint64 seq_before, seq_at_kill;
  DcEntity *order;
  gulong handler, back_handler;

  /* A fleet and two orders before the console starts: the snapshot. */
  anna = create_online_driver (fixture, "Anna Schmidt", 52.5205, 13.4095);
  ben = create_online_driver (fixture, "Ben Okafor", 52.5130, 13.3900);
  first = create_order (fixture, "Alexanderplatz 1", 52.5219, 13.4132);
  second = create_order (fixture, "Friedrichstraße 100", 52.5170, 13.3889);

  sign_in (fixture);
  created.id = second;
  wait_for (has_order, &created, WAIT_MS, "the orders of the snapshot");
  g_assert_nonnull (dc_store_lookup (drivers, anna));
  g_assert_nonnull (dc_store_lookup (drivers, ben));
  test_console_run_for (500);
  test_console_screenshot (GTK_WIDGET (window), "live-console");

  /* Pick the first order in the list, then give it to the driver who does
   * not have it. */
  click_order_row (fixture, first);
  g_assert_true (adw_flap_get_reveal_flap (window->detail_flap));
  order = dc_store_lookup (orders, first);
  g_assert_nonnull (order);
  /* a copy: the order's own string goes with its next assignment */
  from = g_strdup (dc_order_get_driver_id (DC_ORDER (order)));
  to = g_strcmp0 (from, anna) == 0 ? ben : anna;
  test_console_screenshot (GTK_WIDGET (window), "live-selected");

  reassigned.id = first;
  reassigned.driver_id = to;
  handler = g_signal_connect (fixture->stream, "event", G_CALLBACK (stream_event_cb),
                              &reassigned);
  seq_before = dc_stream_get_last_seq (fixture->stream);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.assign-order", "(ss)",
                                             first, to));
  wait_for (seen, &reassigned, WAIT_MS, "the reassignment over the stream");
  g_signal_handler_disconnect (fixture->stream, handler);
  g_assert_cmpstr (dc_order_get_driver_id (DC_ORDER (order)), ==, to);
  g_assert_cmpint (dc_order_get_status (DC_ORDER (order)), ==, DISPATCH_ORDER_ASSIGNED);
  g_assert_cmpint (dc_stream_get_last_seq (fixture->stream), >, seq_before);

  /* A position, which only the stream carries. */
  moved.id = to;
  moved.lat = 52.5190;
  move_driver (fixture, to, moved.lat, 13.4010);
  wait_for (driver_at, &moved, WAIT_MS, "the driver's new position");
  test_console_run_for (500);
  test_console_screenshot (GTK_WIDGET (window), "live-reassigned");

  /* Unassigned, the order goes back to automation, which may give it to
   * the other driver but never back to the one it was taken from. */
  handed_back.id = first;
  handed_back.driver_id = to;
  reassigned.driver_id = from;
  reassigned.seen = FALSE;
  handler = g_signal_connect (fixture->stream, "event", G_CALLBACK (stream_event_cb),
                              &handed_back);
  back_handler = g_signal_connect (fixture->stream, "event", G_CALLBACK (stream_event_cb),
                                   &reassigned);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.unassign-order", "s",
                                             first));
  wait_for (seen, &reassigned, WAIT_MS, "automation giving the order to the other driver");
  test_console_run_for (500);
  g_signal_handler_disconnect (fixture->stream, handler);
  g_signal_handler_disconnect (fixture->stream, back_handler);
  g_assert_false (handed_back.seen);

  /* Held, the order is the dispatcher's: unassigned, it stays waiting while
   * automation serves a new order beside it. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.hold-order", "(sb)",
                                             first, TRUE));
  wait_for (order_held, &reassigned, WAIT_MS, "the order held");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.unassign-order", "s",
                                             first));
  wait_for (order_waiting, &reassigned, WAIT_MS, "the held order waiting");
  probe_id = create_order (fixture, "Rosenthaler Straße 1", 52.5290, 13.4020);
  probe.id = probe_id;
  wait_for (order_assigned, &probe, WAIT_MS, "automation serving another order");
  g_assert_true (order_waiting (&reassigned));
  test_console_screenshot (GTK_WIDGET (window), "live-held");

  /* "Not this driver": the probe's other driver is excluded, then the
   * probe is unassigned (which excludes its driver too): automation serves
   * a newer order and leaves the probe waiting. */
  order = dc_store_lookup (orders, probe_id);
  excluded = g_strcmp0 (dc_order_get_driver_id (DC_ORDER (order)), anna) == 0 ? ben : anna;
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.exclude-driver", "(ss)",
                                             probe_id, excluded));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.unassign-order", "s",
                                             probe_id));
  wait_for (order_waiting, &probe, WAIT_MS, "the probe unassigned");
  after_id = create_order (fixture, "Rosenthaler Straße 2", 52.5290, 13.4020);
  after.id = after_id;
  wait_for (order_assigned, &after, WAIT_MS, "automation serving the order after the probe");
  g_assert_true (order_waiting (&probe));

  /* The server dies: the console says so and dims what it shows. */
  seq_at_kill = dc_stream_get_last_seq (fixture->stream);
  dsd_test_server_stop (fixture->server, TRUE);
  wait_for (is_not_live, fixture, WAIT_MS, "offline");
  g_assert_true (gtk_revealer_get_reveal_child (window->banner_revealer));
  g_assert_true (gtk_widget_has_css_class (window->content, "stale"));
  test_console_run_for (300);
  test_console_screenshot (GTK_WIDGET (window), "live-offline");

  /* Back on the same port and data; before the console is back, an order
   * comes, one closes and a driver moves. */
  dsd_test_server_restart (fixture->server);
  g_assert_cmpint (dc_stream_get_state (fixture->stream), !=, DC_CONNECTION_LIVE);
  late = create_order (fixture, "Oranienburger Straße 50", 52.5250, 13.3930);
  cancel_path = g_strdup_printf ("/api/v1/orders/%s/cancel", first);
  cancelled = api (fixture, "POST", cancel_path, "{\"reason\":\"customer called\"}", 200);
  moved.id = anna;
  moved.lat = 52.5110;
  move_driver (fixture, anna, moved.lat, 13.4200);

  wait_for (is_live, fixture, RECONNECT_WAIT_MS, "live again");
  created.id = late;
  wait_for (has_order, &created, WAIT_MS, "the order created while offline");
  closed.id = first;
  wait_for (has_no_order, &closed, WAIT_MS, "the cancelled order gone");
  wait_for (driver_at, &moved, WAIT_MS, "the position sent while offline");
  g_assert_cmpint (dc_stream_get_last_seq (fixture->stream), >, seq_at_kill);
  g_assert_false (gtk_widget_has_css_class (window->content, "stale"));
  g_assert_false (gtk_revealer_get_reveal_child (window->banner_revealer));

  /* Exactly the server's open orders, each once. */
  truth = server_open_orders (fixture);
  shown = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < dc_store_get_count (orders); i++)
    {
      const char *id = dc_entity_get_id (dc_store_get_entity (orders, i));

      g_assert_false (g_hash_table_contains (shown, id));
      g_hash_table_add (shown, (gpointer) id);
      g_assert_true (g_hash_table_contains (truth, id));
    }
  g_assert_cmpuint (g_hash_table_size (shown), ==, g_hash_table_size (truth));
  g_assert_cmpuint (dc_store_get_count (drivers), ==, 2);

  gtk_widget_activate_action (GTK_WIDGET (window), "win.select-order", "s", late);
  test_console_run_for (500);
  test_console_screenshot (GTK_WIDGET (window), "live-resynced");
}


/* The desk ----------------------------------------------------------------- */

typedef gboolean (*WidgetTest) (GtkWidget *widget,
                                gpointer   user_data);

static GtkWidget *
find_widget (GtkWidget  *widget,
             WidgetTest  test,
             gpointer    user_data)
{
  if (test (widget, user_data))
    return widget;

  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_widget (child, test, user_data);

      if (found != NULL)
        return found;
    }

  return NULL;
}

static gboolean
is_candidates_list (GtkWidget *widget,
                    gpointer   user_data)
{
  GtkWidget *first = gtk_widget_get_first_child (widget);

  return GTK_IS_LIST_BOX (widget) && first != NULL &&
         g_object_get_data (G_OBJECT (first), "driver") != NULL;
}

static gboolean
is_button_labelled (GtkWidget *widget,
                    gpointer   user_data)
{
  return GTK_IS_BUTTON (widget) && gtk_widget_get_mapped (widget) &&
         g_strcmp0 (gtk_button_get_label (GTK_BUTTON (widget)), user_data) == 0;
}

static gboolean
is_switch (GtkWidget *widget,
           gpointer   user_data)
{
  return GTK_IS_SWITCH (widget);
}

static gboolean
is_warning_row (GtkWidget *widget,
                gpointer   user_data)
{
  return ADW_IS_ACTION_ROW (widget) && gtk_widget_has_css_class (widget, "warning");
}

static gboolean
is_order_row (GtkWidget *widget,
              gpointer   user_data)
{
  g_autoptr(DcOrder) order = NULL;

  if (!DC_IS_ORDER_ROW (widget))
    return FALSE;
  g_object_get (widget, "order", &order, NULL);

  return order != NULL && g_str_equal (dc_entity_get_id (DC_ENTITY (order)), user_data);
}

static GtkListBox *
candidates_list (Fixture *fixture)
{
  return GTK_LIST_BOX (find_widget (GTK_WIDGET (fixture->window->detail), is_candidates_list,
                                    NULL));
}

static const char *
candidate_at (Fixture *fixture,
              int      index)
{
  GtkListBox *list = candidates_list (fixture);
  GtkListBoxRow *row = list != NULL ? gtk_list_box_get_row_at_index (list, index) : NULL;
  DcDriver *driver = row != NULL ? g_object_get_data (G_OBJECT (row), "driver") : NULL;

  return driver != NULL ? dc_entity_get_id (DC_ENTITY (driver)) : NULL;
}

static const char *
candidate_reason (Fixture *fixture,
                  int      index)
{
  GtkListBoxRow *row = gtk_list_box_get_row_at_index (candidates_list (fixture), index);

  return adw_action_row_get_subtitle (ADW_ACTION_ROW (row));
}

/* All the text a row shows, for "did it change". */
static char *
widget_text (GtkWidget *widget)
{
  GString *text = g_string_new (GTK_IS_LABEL (widget) ? gtk_label_get_label (GTK_LABEL (widget))
                                                      : "");

  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      g_autofree char *inner = widget_text (child);

      g_string_append_printf (text, "|%s", inner);
    }

  return g_string_free (text, FALSE);
}

/* The real X pointer, moved into the middle of @widget (or, with NULL, to
 * the window's top left corner, over the header bar). */
static void
warp_pointer (Fixture   *fixture,
              GtkWidget *widget)
{
  GtkNative *native = GTK_NATIVE (fixture->window);
  GdkSurface *surface = gtk_native_get_surface (native);
  Display *display = gdk_x11_display_get_xdisplay (gtk_widget_get_display (widget ? widget
                                                   : GTK_WIDGET (fixture->window)));
  graphene_point_t point = GRAPHENE_POINT_INIT (4, 4);
  double dx, dy;

  if (widget != NULL)
    {
      graphene_point_t middle = GRAPHENE_POINT_INIT (gtk_widget_get_width (widget) / 2.0,
                                                     gtk_widget_get_height (widget) / 2.0);

      g_assert_true (gtk_widget_compute_point (widget, GTK_WIDGET (fixture->window), &middle,
                                               &point));
    }
  gtk_native_get_surface_transform (native, &dx, &dy);
  XWarpPointer (display, None, gdk_x11_surface_get_xid (surface), 0, 0, 0, 0,
                (int) (point.x + dx), (int) (point.y + dy));
  XFlush (display);
}

typedef struct
{
  Fixture *fixture;
  const char *order_id;
  const char *driver_id;
  int index;
  char *text;
  GtkEventController *motion;
} Watch;

static gboolean
pointer_inside (gpointer user_data)
{
  Watch *watch = user_data;

  return gtk_event_controller_motion_contains_pointer (
           GTK_EVENT_CONTROLLER_MOTION (watch->motion));
}

static gboolean
pointer_outside (gpointer user_data)
{
  return !pointer_inside (user_data);
}

static gboolean
candidate_is (gpointer user_data)
{
  Watch *watch = user_data;

  return g_strcmp0 (candidate_at (watch->fixture, watch->index), watch->driver_id) == 0;
}

static gboolean
reason_changed (gpointer user_data)
{
  Watch *watch = user_data;

  return g_strcmp0 (candidate_reason (watch->fixture, watch->index), watch->text) != 0;
}

static gboolean
order_has_driver (gpointer user_data)
{
  Watch *watch = user_data;
  DcEntity *order = dc_store_lookup (dc_context_get_orders (watch->fixture->context),
                                     watch->order_id);

  return order != NULL &&
         g_strcmp0 (dc_order_get_driver_id (DC_ORDER (order)), watch->driver_id) == 0;
}

static gboolean
row_text_changed (gpointer user_data)
{
  Watch *watch = user_data;
  GtkWidget *row = find_widget (GTK_WIDGET (watch->fixture->window->orders_pane), is_order_row,
                                (gpointer) watch->order_id);
  g_autofree char *text = row != NULL ? widget_text (row) : NULL;

  return text != NULL && g_strcmp0 (text, watch->text) != 0;
}

static AdwMessageDialog *
message_dialog (void)
{
  g_autoptr(GList) windows = gtk_window_list_toplevels ();

  for (GList *l = windows; l != NULL; l = l->next)
    if (ADW_IS_MESSAGE_DIALOG (l->data) && gtk_widget_get_visible (l->data))
      return l->data;

  return NULL;
}

static gboolean
has_message_dialog (gpointer user_data)
{
  return message_dialog () != NULL;
}

/* The Undo button of the toast that gives @user_data, "a(ss)" of orders
 * and drivers, back. */
static GVariant *
undo_of (const char *order_id,
         const char *driver_id)
{
  g_autoptr(GVariantBuilder) builder = g_variant_builder_new (G_VARIANT_TYPE ("a(ss)"));

  g_variant_builder_add (builder, "(ss)", order_id, driver_id);

  return g_variant_builder_end (builder);
}

static gboolean
is_undo_button (GtkWidget *widget,
                gpointer   user_data)
{
  GVariant *target;

  if (!is_button_labelled (widget, (gpointer) "_Undo"))
    return FALSE;
  target = gtk_actionable_get_action_target_value (GTK_ACTIONABLE (widget));

  return target != NULL && g_variant_equal (target, user_data);
}

static gboolean
has_undo_button (gpointer user_data)
{
  Watch *watch = user_data;
  g_autoptr(GVariant) target = g_variant_ref_sink (undo_of (watch->order_id,
                                                           watch->driver_id));

  return find_widget (GTK_WIDGET (watch->fixture->window->toast_overlay), is_undo_button,
                      target) != NULL;
}

/* Answers the dialog that must be open: "assign" or "keep". */
static void
answer_dialog (const char *response)
{
  AdwMessageDialog *dialog;

  if (!dsd_test_run_until (has_message_dialog, NULL, WAIT_MS))
    g_error ("No confirmation dialog");
  dialog = message_dialog ();
  adw_message_dialog_response (dialog, response);
  gtk_window_destroy (GTK_WINDOW (dialog));
}

/* Outgoing D-Bus calls that show a desktop notification, whichever
 * GNotification backend sends them. */
static GDBusMessage *
notification_filter (GDBusConnection *connection,
                     GDBusMessage    *message,
                     gboolean         incoming,
                     gpointer         user_data)
{
  const char *member = g_dbus_message_get_member (message);

  if (!incoming && g_dbus_message_get_message_type (message) == G_DBUS_MESSAGE_TYPE_METHOD_CALL &&
      (g_strcmp0 (member, "AddNotification") == 0 || g_strcmp0 (member, "Notify") == 0))
    g_atomic_int_inc ((int *) user_data);

  return message;
}

static gboolean
notified (gpointer user_data)
{
  return g_atomic_int_get ((int *) user_data) > 0;
}

static void
name_acquired_cb (GDBusConnection *connection,
                  const char      *name,
                  gpointer         user_data)
{
  *(gboolean *) user_data = TRUE;
}

static gboolean
is_true (gpointer user_data)
{
  return *(gboolean *) user_data;
}

static DcAlert *
alert_about (DcAlerts   *alerts,
             const char *driver_id)
{
  GListModel *model = dc_alerts_get_model (alerts);

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(DcAlert) alert = g_list_model_get_item (model, i);

      if (g_strcmp0 (dc_alert_get_driver_id (alert), driver_id) == 0)
        return alert;
    }

  return NULL;
}

typedef struct
{
  DcAlerts *alerts;
  const char *driver_id;
  guint count;
} AlertWatch;

static gboolean
alert_counted (gpointer user_data)
{
  AlertWatch *watch = user_data;
  DcAlert *alert = alert_about (watch->alerts, watch->driver_id);

  return alert != NULL && dc_alert_get_count (alert) == watch->count;
}

static gboolean
journal_has (gpointer user_data)
{
  AlertWatch *watch = user_data;
  g_autofree char *path = g_build_filename (g_get_user_data_dir (), "dispatch-console",
                                            "alerts.json", NULL);
  g_autofree char *contents = NULL;

  return g_file_get_contents (path, &contents, NULL, NULL) &&
         strstr (contents, watch->driver_id) != NULL &&
         strstr (contents, "\"count\":2") != NULL;
}

static void
set_online (Fixture    *fixture,
            const char *driver_id,
            gboolean    online)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/drivers/%s/online", driver_id);

  dsd_test_post_ok (fixture->server, path, dsd_test_server_get_admin_token (fixture->server),
                    online ? "{\"online\":true}" : "{\"online\":false}");
}

/* The test's bus has no desktop shell: the test takes the name of GTK's
 * notification interface, as a shell does, so that GLib uses it. */
static void
own_notifications (Fixture *fixture)
{
  GDBusConnection *bus = g_application_get_dbus_connection (G_APPLICATION (fixture->application));
  gboolean name_owned = FALSE;

  g_assert_nonnull (bus);
  g_bus_own_name_on_connection (bus, "org.gtk.Notifications", G_BUS_NAME_OWNER_FLAGS_NONE,
                                name_acquired_cb, NULL, &name_owned, NULL);
  wait_for (is_true, &name_owned, WAIT_MS, "the notification interface's name");
}

/* A driver going offline with an order, twice: one alert counted twice, a
 * desktop notification, a click that opens the order, and the alert still
 * there for a console started afresh. */
static void
check_alerts (Fixture    *fixture,
              const char *driver_id,
              const char *order_id)
{
  DcWindow *window = fixture->window;
  GDBusConnection *bus = g_application_get_dbus_connection (G_APPLICATION (fixture->application));
  AlertWatch watch = { dc_context_get_alerts (fixture->context), driver_id, 2 };
  g_autoptr(DcContext) restarted = NULL;
  g_autofree char *short_id = dc_order_format_short_id (order_id);
  g_autofree char *detail = NULL;
  GtkListBoxRow *row;
  int notifications = 0;
  guint filter;

  g_assert_nonnull (bus);
  own_notifications (fixture);
  filter = g_dbus_connection_add_filter (bus, notification_filter, &notifications, NULL);
  set_online (fixture, driver_id, FALSE);
  set_online (fixture, driver_id, TRUE);
  set_online (fixture, driver_id, FALSE);
  wait_for (alert_counted, &watch, WAIT_MS, "one alert counted twice");
  wait_for (notified, &notifications, WAIT_MS, "a desktop notification");
  g_dbus_connection_remove_filter (bus, filter);

  gtk_widget_activate_action (GTK_WIDGET (window), "win.show-alerts", NULL);
  test_console_screenshot (GTK_WIDGET (window), "desk-alerts");
  row = gtk_list_box_get_row_at_index (window->alerts_list, 0);
  g_assert_true (gtk_list_box_row_get_activatable (row));
  g_signal_emit_by_name (window->alerts_list, "row-activated", row);
  test_console_run_for (300);
  g_assert_true (adw_flap_get_reveal_flap (window->detail_flap));
  detail = widget_text (GTK_WIDGET (window->detail));
  g_assert_nonnull (strstr (detail, short_id));

  wait_for (journal_has, &watch, WAIT_MS, "the alert in the journal");
  restarted = dc_context_new ();
  watch.alerts = dc_context_get_alerts (restarted);
  wait_for (alert_counted, &watch, WAIT_MS, "the alert after a restart");
}

static guint
count_substrings (const char *text,
                  const char *needle)
{
  guint n = 0;

  for (const char *at = strstr (text, needle); at != NULL; at = strstr (at + 1, needle))
    n++;

  return n;
}

typedef struct
{
  Fixture *fixture;
  const char *text;
  guint times;
} TextWatch;

static gboolean
detail_shows (gpointer user_data)
{
  TextWatch *watch = user_data;
  g_autofree char *text = widget_text (GTK_WIDGET (watch->fixture->window->detail));

  return count_substrings (text, watch->text) >= watch->times;
}

/* The timeline: names, not ids; one row per assignment; the reason typed
 * into the cancel dialog. */
static void
check_timeline (Fixture    *fixture,
                const char *order_id,
                const char *cancelled_id)
{
  DcWindow *window = fixture->window;
  TextWatch watch = { fixture, "Assigned to Mia Far", 2 };
  g_autofree char *text = NULL;
  AdwMessageDialog *dialog;

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.select-order", "s",
                                             order_id));
  wait_for (detail_shows, &watch, WAIT_MS, "the timeline");
  text = widget_text (GTK_WIDGET (window->detail));
  g_assert_cmpuint (count_substrings (text, "Assigned to Ben Okafor"), ==, 1);
  g_assert_cmpuint (count_substrings (text, "Assigned to Mia Far"), ==, 2);
  g_assert_null (strstr (text, "dispatcher:"));
  g_assert_nonnull (strstr (text, "a dispatcher"));
  test_console_screenshot (GTK_WIDGET (window), "desk-timeline");

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.select-order", "s",
                                             cancelled_id));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.cancel-order", "s",
                                             cancelled_id));
  if (!dsd_test_run_until (has_message_dialog, NULL, WAIT_MS))
    g_error ("No cancel dialog");
  dialog = message_dialog ();
  gtk_editable_set_text (GTK_EDITABLE (adw_message_dialog_get_extra_child (dialog)),
                         "customer called");
  adw_message_dialog_response (dialog, "cancel");
  gtk_window_destroy (GTK_WINDOW (dialog));
  watch.text = "Cancelled: customer called";
  watch.times = 1;
  wait_for (detail_shows, &watch, WAIT_MS, "the reason in the timeline");
}

static void
created_wait (Fixture    *fixture,
              const char *order_id)
{
  Expectation created = { fixture, order_id };

  wait_for (has_order, &created, WAIT_MS, "the order");
}

static gboolean
has_phone_order (gpointer user_data)
{
  Fixture *fixture = user_data;
  DcStore *orders = dc_context_get_orders (fixture->context);

  for (guint i = 0; i < dc_store_get_count (orders); i++)
    {
      DcOrder *order = DC_ORDER (dc_store_get_entity (orders, i));

      if (g_strcmp0 (dc_order_get_pickup_address (order), "Phone Order Street 1") == 0 &&
          g_strcmp0 (dc_order_get_customer (order), "Grace Hopper") == 0)
        return TRUE;
    }

  return FALSE;
}

static gboolean
phone_order_open (gpointer user_data)
{
  Fixture *fixture = user_data;
  DcOrder *order = dc_order_detail_get_order (fixture->window->detail);

  return order != NULL && g_strcmp0 (dc_order_get_customer (order), "Grace Hopper") == 0;
}

static gboolean
has_visible_message_dialog (gpointer user_data)
{
  return message_dialog () == user_data;
}

/* Finds the shortcut the window binds to @accelerator ("<Control>h"),
 * as a key press would, and runs its action; FALSE if none. */
static gboolean
press_shortcut (DcWindow   *window,
                const char *accelerator)
{
  g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (GTK_WIDGET (window));
  GdkModifierType modifiers;
  guint keyval;

  g_assert_true (gtk_accelerator_parse (accelerator, &keyval, &modifiers));
  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr(GObject) controller = g_list_model_get_item (controllers, i);

      if (!GTK_IS_SHORTCUT_CONTROLLER (controller))
        continue;
      for (guint j = 0; j < g_list_model_get_n_items (G_LIST_MODEL (controller)); j++)
        {
          g_autoptr(GtkShortcut) shortcut = g_list_model_get_item (G_LIST_MODEL (controller), j);
          GtkShortcutTrigger *trigger = gtk_shortcut_get_trigger (shortcut);

          if (GTK_IS_KEYVAL_TRIGGER (trigger) &&
              gtk_keyval_trigger_get_keyval (GTK_KEYVAL_TRIGGER (trigger)) == keyval &&
              gtk_keyval_trigger_get_modifiers (GTK_KEYVAL_TRIGGER (trigger)) == modifiers)
            return gtk_shortcut_action_activate (gtk_shortcut_get_action (shortcut),
                                                 GTK_SHORTCUT_ACTION_EXCLUSIVE,
                                                 GTK_WIDGET (window),
                                                 gtk_shortcut_get_arguments (shortcut));
        }
    }

  return FALSE;
}

static gboolean
is_shortcut_shown (GtkWidget *widget,
                   gpointer   user_data)
{
  g_autofree char *accelerator = NULL;

  if (!GTK_IS_SHORTCUTS_SHORTCUT (widget))
    return FALSE;
  g_object_get (widget, "accelerator", &accelerator, NULL);

  return g_strcmp0 (accelerator, user_data) == 0;
}

/* The hot path's shortcuts, each in the shortcuts window and bound. */
static const char * const hot_path[] = {
  "<Control>n", "<Alt>Down", "<Alt>Up", "<Control>Return", "<Control>h", "<Control>Delete",
  "<Control>m",
};

static void
check_shortcuts_window (DcWindow *window)
{
  GtkShortcutsWindow *overlay = gtk_application_window_get_help_overlay (
                                  GTK_APPLICATION_WINDOW (window));

  g_assert_nonnull (overlay);
  for (guint i = 0; i < G_N_ELEMENTS (hot_path); i++)
    {
      g_test_message ("shortcut %s", hot_path[i]);
      g_assert_nonnull (find_widget (GTK_WIDGET (overlay), is_shortcut_shown,
                                     (gpointer) hot_path[i]));
    }
}

static gboolean
has_no_visible_message_dialog (gpointer user_data)
{
  return message_dialog () == NULL;
}

static gboolean
is_pick_button (GtkWidget *widget,
                gpointer   user_data)
{
  return GTK_IS_BUTTON (widget) &&
         g_strcmp0 (gtk_widget_get_tooltip_text (widget), "Pick on the Map") == 0;
}

static gboolean
is_shumate_map (GtkWidget *widget,
                gpointer   user_data)
{
  return SHUMATE_IS_MAP (widget);
}

/* A click on the middle of the map, as GtkGestureClick reports it. */
static void
click_map_centre (Fixture *fixture)
{
  GtkWidget *map = find_widget (GTK_WIDGET (fixture->window->map_view), is_shumate_map, NULL);
  g_autoptr(GListModel) controllers = NULL;
  guint n;

  g_assert_nonnull (map);
  controllers = gtk_widget_observe_controllers (map);
  n = g_list_model_get_n_items (controllers);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GObject) controller = g_list_model_get_item (controllers, i);

      if (GTK_IS_GESTURE_CLICK (controller))
        g_signal_emit_by_name (controller, "released", 1, gtk_widget_get_width (map) / 2.0,
                               gtk_widget_get_height (map) / 2.0);
    }
}

/* The entry rows of the order form, in their order. */
static GPtrArray *
form_rows (AdwMessageDialog *dialog)
{
  GPtrArray *rows = g_ptr_array_new ();

  for (GtkWidget *row = gtk_widget_get_first_child (adw_message_dialog_get_extra_child (dialog));
       row != NULL; row = gtk_widget_get_next_sibling (row))
    if (ADW_IS_ENTRY_ROW (row))
      g_ptr_array_add (rows, row);

  return rows;
}

static AdwMessageDialog *
wait_for_form (void)
{
  if (!dsd_test_run_until (has_message_dialog, NULL, WAIT_MS))
    g_error ("No order form");

  return message_dialog ();
}

static gboolean
is_spin_button (GtkWidget *widget,
                gpointer   user_data)
{
  return GTK_IS_SPIN_BUTTON (widget);
}

typedef struct
{
  Fixture *fixture;
  const char *id;
  const char *notes;
  int priority;
} OrderWatch;

static gboolean
order_edited (gpointer user_data)
{
  OrderWatch *watch = user_data;
  DcEntity *order = dc_store_lookup (dc_context_get_orders (watch->fixture->context), watch->id);

  return order != NULL && g_strcmp0 (dc_order_get_notes (DC_ORDER (order)), watch->notes) == 0 &&
         dc_order_get_priority (DC_ORDER (order)) == watch->priority;
}

/* A phone order typed in at the desk, its pickup picked on the map, with
 * items: it is created and opens. Returns its id. */
static char *
check_new_order (Fixture *fixture)
{
  /* NULL: the pickup's coordinates, picked on the map */
  static const char * const values[] = {
    "Phone Order Street 1", NULL, "Hafenplatz 2", "52.5050, 13.3800", "2 PIZZA-MARG, COLA",
    "Grace Hopper", "+49 30 1234567", "ring twice", "", "", "",
  };
  DcWindow *window = fixture->window;
  ShumateViewport *viewport;
  AdwMessageDialog *dialog;
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(JsonObject) order = NULL;
  g_autofree char *path = NULL;
  g_auto(GStrv) picked = NULL;
  JsonArray *items;
  JsonObject *pickup;
  DcOrder *opened;
  char *id;

  g_assert_true (press_shortcut (window, "<Control>n"));
  dialog = wait_for_form ();
  rows = form_rows (dialog);
  g_assert_cmpuint (rows->len, ==, G_N_ELEMENTS (values));
  for (guint i = 0; i < rows->len; i++)
    if (values[i] != NULL)
      gtk_editable_set_text (GTK_EDITABLE (g_ptr_array_index (rows, i)), values[i]);
  test_console_screenshot (GTK_WIDGET (dialog), "desk-new-order");

  /* The pin steps the form aside; a click on the map fills the row. */
  g_assert_true (gtk_widget_activate (find_widget (g_ptr_array_index (rows, 1), is_pick_button,
                                                   NULL)));
  wait_for (has_no_visible_message_dialog, NULL, WAIT_MS, "the form stepping aside");
  viewport = shumate_map_get_viewport (SHUMATE_MAP (find_widget (GTK_WIDGET (window->map_view),
                                                                 is_shumate_map, NULL)));
  test_console_run_for (300);
  click_map_centre (fixture);
  wait_for (has_visible_message_dialog, dialog, WAIT_MS, "the form back");
  picked = g_strsplit (gtk_editable_get_text (GTK_EDITABLE (g_ptr_array_index (rows, 1))), ",",
                       2);
  g_assert_cmpfloat_with_epsilon (g_ascii_strtod (picked[0], NULL),
                                  shumate_location_get_latitude (SHUMATE_LOCATION (viewport)),
                                  0.001);
  g_assert_cmpfloat_with_epsilon (g_ascii_strtod (picked[1], NULL),
                                  shumate_location_get_longitude (SHUMATE_LOCATION (viewport)),
                                  0.001);

  adw_message_dialog_response (dialog, "save");
  gtk_window_destroy (GTK_WINDOW (dialog));

  wait_for (has_phone_order, fixture, WAIT_MS, "the phone order");
  wait_for (phone_order_open, fixture, WAIT_MS, "the phone order open");
  opened = dc_order_detail_get_order (window->detail);
  id = g_strdup (dc_entity_get_id (DC_ENTITY (opened)));

  path = g_strdup_printf ("/api/v1/orders/%s", id);
  order = api (fixture, "GET", path, NULL, 200);
  items = json_object_get_array_member (order, "items");
  g_assert_cmpuint (json_array_get_length (items), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (items, 0),
                                                  "sku"), ==, "PIZZA-MARG");
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (items, 0),
                                               "quantity"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (items, 1),
                                               "quantity"), ==, 1);
  pickup = json_object_get_object_member (order, "pickup");
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (pickup, "lat"),
                                  g_ascii_strtod (picked[0], NULL), 1e-4);
  g_assert_cmpstr (json_object_get_string_member (order, "notes"), ==, "ring twice");

  return id;
}

static gboolean
has_edit_button (gpointer user_data)
{
  Fixture *fixture = user_data;

  return find_widget (GTK_WIDGET (fixture->window->detail), is_button_labelled,
                      (gpointer) "_Edit Order…") != NULL;
}

/* Editing what may still change: the form comes filled from the server,
 * the change goes back with PATCH and comes back over the stream. */
static void
check_edit_order (Fixture    *fixture,
                  const char *id)
{
  OrderWatch watch = { fixture, id, "back door", 8 };
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(JsonObject) order = NULL;
  g_autofree char *path = g_strdup_printf ("/api/v1/orders/%s", id);
  AdwMessageDialog *dialog;
  GtkWidget *button;

  wait_for (has_edit_button, fixture, WAIT_MS, "the Edit button");
  button = find_widget (GTK_WIDGET (fixture->window->detail), is_button_labelled,
                        (gpointer) "_Edit Order…");
  g_assert_true (gtk_widget_activate (button));
  dialog = wait_for_form ();
  rows = form_rows (dialog);
  /* no items row: they stay */
  g_assert_cmpuint (rows->len, ==, 10);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (g_ptr_array_index (rows, 0))), ==,
                   "Phone Order Street 1");
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (g_ptr_array_index (rows, 4))), ==,
                   "Grace Hopper");
  gtk_editable_set_text (GTK_EDITABLE (g_ptr_array_index (rows, 2)), "Hafenplatz 3");
  gtk_editable_set_text (GTK_EDITABLE (g_ptr_array_index (rows, 6)), "back door");
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (find_widget (GTK_WIDGET (dialog), is_spin_button,
                                                           NULL)), 8);
  test_console_screenshot (GTK_WIDGET (dialog), "desk-edit-order");
  adw_message_dialog_response (dialog, "save");
  gtk_window_destroy (GTK_WINDOW (dialog));

  wait_for (order_edited, &watch, WAIT_MS, "the edited order");
  order = api (fixture, "GET", path, NULL, 200);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (order,
                                                                                 "dropoff"),
                                                  "address"), ==, "Hafenplatz 3");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (order,
                                                                                 "contact"),
                                                  "phone"), ==, "+49 30 1234567");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (order,
                                                                                 "pickup"),
                                                  "address"), ==, "Phone Order Street 1");
}

typedef struct
{
  Fixture *fixture;
  const char *shown;
  const char *hidden;
} RowsWatch;

static gboolean
is_shown_order_row (GtkWidget *widget,
                    gpointer   user_data)
{
  return is_order_row (widget, user_data) && gtk_widget_get_mapped (widget);
}

static gboolean
rows_shown (gpointer user_data)
{
  RowsWatch *watch = user_data;
  GtkWidget *pane = GTK_WIDGET (watch->fixture->window->orders_pane);

  return find_widget (pane, is_shown_order_row, (gpointer) watch->shown) != NULL &&
         (watch->hidden == NULL ||
          find_widget (pane, is_shown_order_row, (gpointer) watch->hidden) == NULL);
}

static gboolean
is_search_entry (GtkWidget *widget,
                 gpointer   user_data)
{
  return GTK_IS_SEARCH_ENTRY (widget);
}

/* Today's finished orders beside the open ones, searched by the server
 * (the needle is in the notes, which the rows do not show). */
static void
check_finished_orders (Fixture    *fixture,
                       const char *phone_order)
{
  DcWindow *window = fixture->window;
  g_autofree char *needle_id = NULL, *other_id = NULL;
  g_autofree char *cancel_needle = NULL, *cancel_other = NULL;
  g_autoptr(JsonObject) needle = NULL, other = NULL, c1 = NULL, c2 = NULL;
  GtkWidget *search = find_widget (GTK_WIDGET (window->orders_pane), is_search_entry, NULL);
  RowsWatch watch = { fixture };
  Expectation closed = { fixture, phone_order };
  TextWatch reason = { fixture, "customer called", 1 };

  needle = api (fixture, "POST", "/api/v1/orders",
                "{\"pickup\":{\"lat\":52.52,\"lon\":13.40,\"address\":\"Rosenthaler Str. 1\"},"
                "\"dropoff\":{\"lat\":52.51,\"lon\":13.39},\"notes\":\"Needle-4711\"}", 201);
  other = api (fixture, "POST", "/api/v1/orders",
               "{\"pickup\":{\"lat\":52.52,\"lon\":13.40,\"address\":\"Rosenthaler Str. 2\"},"
               "\"dropoff\":{\"lat\":52.51,\"lon\":13.39},\"notes\":\"hay\"}", 201);
  needle_id = g_strdup (json_object_get_string_member (needle, "id"));
  other_id = g_strdup (json_object_get_string_member (other, "id"));
  cancel_needle = g_strdup_printf ("/api/v1/orders/%s/cancel", needle_id);
  cancel_other = g_strdup_printf ("/api/v1/orders/%s/cancel", other_id);
  c1 = api (fixture, "POST", cancel_needle, "{\"reason\":\"customer called\"}", 200);
  c2 = api (fixture, "POST", cancel_other, NULL, 200);

  /* the open list: the phone order, not the finished ones */
  closed.id = other_id;
  wait_for (has_no_order, &closed, WAIT_MS, "the other order closed");
  closed.id = needle_id;
  wait_for (has_no_order, &closed, WAIT_MS, "the needle's order closed");
  closed.id = phone_order;
  watch.shown = phone_order;
  watch.hidden = needle_id;
  wait_for (rows_shown, &watch, WAIT_MS, "the open orders only");

  /* the one the stream saw finish joins today's finished ones at once */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.select-order", "s",
                                             phone_order));
  g_assert_true (press_shortcut (window, "<Control>Delete"));
  answer_dialog ("cancel");
  wait_for (has_no_order, &closed, WAIT_MS, "the phone order closed");
  g_assert_nonnull (dc_store_lookup (dc_finished_orders_get_store (
                                       dc_context_get_finished_orders (fixture->context)),
                                     phone_order));
  dc_list_pane_set_category (window->orders_pane, DC_ORDER_CATEGORY_FINISHED);
  watch.shown = phone_order;
  watch.hidden = NULL;
  wait_for (rows_shown, &watch, WAIT_MS, "the cancelled phone order under Finished today");
  watch.shown = needle_id;
  wait_for (rows_shown, &watch, WAIT_MS, "the finished orders loaded");

  gtk_editable_set_text (GTK_EDITABLE (search), "needle-4711");
  watch.shown = needle_id;
  watch.hidden = other_id;
  wait_for (rows_shown, &watch, WAIT_MS, "the finished order found by its notes");
  g_assert_null (find_widget (GTK_WIDGET (window->orders_pane), is_shown_order_row,
                              (gpointer) phone_order));

  /* a finished order opens, with nothing left to change */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.select-order", "s",
                                             needle_id));
  g_assert_cmpstr (dc_entity_get_id (DC_ENTITY (dc_order_detail_get_order (window->detail))),
                   ==, needle_id);
  wait_for (detail_shows, &reason, WAIT_MS, "the finished order's timeline with its reason");
  test_console_screenshot (GTK_WIDGET (window), "desk-finished");
  g_assert_null (find_widget (GTK_WIDGET (window->detail), is_button_labelled,
                              (gpointer) "_Edit Order…"));

  /* no late answer of the edit brought the closed phone order back */
  g_assert_cmpuint (dc_store_get_count (dc_context_get_orders (fixture->context)), ==, 0);

  gtk_editable_set_text (GTK_EDITABLE (search), "");
  dc_list_pane_set_category (window->orders_pane, DC_ORDER_CATEGORY_ALL);
}

static void
keep_message_cb (char       **out,
                 const char  *message)
{
  g_free (*out);
  *out = g_strdup (message);
}

static gboolean
has_message (gpointer user_data)
{
  return *(char **) user_data != NULL;
}

static void
test_orders (Fixture       *fixture,
             gconstpointer  data)
{
  g_autofree char *phone_order = NULL;
  g_autofree char *failure = NULL;
  Expectation held = { fixture };
  GtkWidget *focus;

  /* A wrong password: the dispatcher's message for the error code, never
   * the server's English text. */
  g_signal_connect_swapped (fixture->window->sign_in_page, "failed",
                            G_CALLBACK (keep_message_cb), &failure);
  dc_sign_in_page_fill (fixture->window->sign_in_page,
                        dsd_test_server_get_url (fixture->server), DISPATCHER, "not-the-password");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->window->sign_in_page),
                                             "sign-in.submit", NULL));
  wait_for (has_message, &failure, WAIT_MS, "the sign-in failing");
  g_assert_cmpstr (failure, ==, "Wrong username or password, or the session has ended");
  g_signal_handlers_disconnect_by_func (fixture->window->sign_in_page, keep_message_cb,
                                        &failure);

  sign_in (fixture);
  check_shortcuts_window (fixture->window);
  phone_order = check_new_order (fixture);
  check_edit_order (fixture, phone_order);

  /* Ctrl+H holds the open order, Ctrl+M takes the keyboard to the map. */
  held.id = phone_order;
  g_assert_true (press_shortcut (fixture->window, "<Control>h"));
  wait_for (order_held, &held, WAIT_MS, "the order held from the keyboard");
  g_assert_true (press_shortcut (fixture->window, "<Control>m"));
  focus = gtk_root_get_focus (GTK_ROOT (fixture->window));
  g_assert_true (focus != NULL && (focus == GTK_WIDGET (fixture->window->map_view) ||
                                   gtk_widget_is_ancestor (focus,
                                                           GTK_WIDGET (fixture->window->map_view))));

  check_finished_orders (fixture, phone_order);
}

typedef struct
{
  Fixture *fixture;
  const char *id;
} DriverWatch;

static gboolean
driver_paused (gpointer user_data)
{
  DriverWatch *watch = user_data;
  DcEntity *driver = dc_store_lookup (dc_context_get_drivers (watch->fixture->context),
                                      watch->id);

  return driver != NULL && !dc_driver_get_auto_dispatch (DC_DRIVER (driver));
}

static gboolean
driver_page_shows (gpointer user_data)
{
  TextWatch *watch = user_data;
  g_autofree char *text = widget_text (GTK_WIDGET (watch->fixture->window->driver_detail));

  return count_substrings (text, watch->text) >= watch->times;
}

/* A driver's page: name, state, the order they hold; automatic dispatch
 * switched off from it. */
static void
check_driver_page (Fixture    *fixture,
                   const char *driver_id,
                   const char *order_id)
{
  DcWindow *window = fixture->window;
  g_autofree char *short_id = dc_order_format_short_id (order_id);
  g_autofree char *row = g_strdup_printf ("%s · Assigned", short_id);
  TextWatch watch = { fixture, row, 1 };
  DriverWatch paused = { fixture, driver_id };
  g_autofree char *text = NULL;

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.select-driver", "s",
                                             driver_id));
  g_assert_true (adw_flap_get_reveal_flap (window->detail_flap));
  wait_for (driver_page_shows, &watch, WAIT_MS, "the driver's order on their page");
  text = widget_text (GTK_WIDGET (window->driver_detail));
  g_assert_nonnull (strstr (text, "Ben Okafor"));
  g_assert_nonnull (strstr (text, "Last position"));
  test_console_screenshot (GTK_WIDGET (window), "desk-driver");

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.set-auto-dispatch",
                                             "(sb)", driver_id, FALSE));
  wait_for (driver_paused, &paused, WAIT_MS, "automatic dispatch off for the driver");
}

static gboolean
orders_assigned (gpointer user_data)
{
  Expectation *orders = user_data;

  for (guint i = 0; i < 2; i++)
    if (!order_assigned (&orders[i]))
      return FALSE;

  return TRUE;
}

static gboolean
orders_waiting (gpointer user_data)
{
  Expectation *orders = user_data;

  for (guint i = 0; i < 2; i++)
    if (!order_waiting (&orders[i]) || order_assigned (&orders[i]))
      return FALSE;

  return TRUE;
}

static gboolean
orders_held (gpointer user_data)
{
  Expectation *orders = user_data;

  for (guint i = 0; i < 2; i++)
    if (!order_held (&orders[i]))
      return FALSE;

  return TRUE;
}

static gboolean
orders_closed (gpointer user_data)
{
  Expectation *orders = user_data;

  for (guint i = 0; i < 2; i++)
    if (has_order (&orders[i]))
      return FALSE;

  return TRUE;
}

/* Selects the rows of both orders, as Ctrl-clicks do; the bulk bar shows. */
static void
select_orders (Fixture     *fixture,
               Expectation *orders)
{
  GtkListView *list = find_entity_list (GTK_WIDGET (fixture->window->orders_pane));
  GtkSelectionModel *model = gtk_list_view_get_model (list);
  gboolean first_pick = TRUE;

  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (model)); i++)
    {
      g_autoptr(DcEntity) entity = g_list_model_get_item (G_LIST_MODEL (model), i);

      if (g_str_equal (dc_entity_get_id (entity), orders[0].id) ||
          g_str_equal (dc_entity_get_id (entity), orders[1].id))
        {
          gtk_selection_model_select_item (model, i, first_pick);
          first_pick = FALSE;
        }
    }
  test_console_run_for (300);
  g_assert_true (gtk_revealer_get_reveal_child (fixture->window->bulk_revealer));
}

static gboolean
is_any_undo_button (GtkWidget *widget,
                    gpointer   user_data)
{
  GVariant *target;

  if (!is_button_labelled (widget, (gpointer) "_Undo"))
    return FALSE;
  target = gtk_actionable_get_action_target_value (GTK_ACTIONABLE (widget));

  return target != NULL && g_variant_n_children (target) == 2;
}

static gboolean
has_bulk_undo (gpointer user_data)
{
  Fixture *fixture = user_data;

  return find_widget (GTK_WIDGET (fixture->window->toast_overlay), is_any_undo_button,
                      NULL) != NULL;
}

/* Two waiting orders picked with Ctrl-click, assigned in one gesture, each
 * to its own free driver; one Undo puts both back. */
static void
check_bulk (Fixture    *fixture,
            const char *first_id)
{
  DcWindow *window = fixture->window;
  g_autofree char *third = create_order (fixture, "Invalidenstraße 50", 52.5300, 13.3800);
  Expectation orders[2] = { { fixture, first_id }, { fixture, third } };
  GtkWidget *button;

  created_wait (fixture, third);
  test_console_run_for (2500);   /* past a re-ranking: the new order has its row */
  select_orders (fixture, orders);
  test_console_screenshot (GTK_WIDGET (window), "desk-bulk");

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.bulk-assign", NULL));
  wait_for (orders_assigned, orders, WAIT_MS, "both orders assigned");
  g_assert_cmpstr (dc_order_get_driver_id (DC_ORDER (dc_store_lookup (
                     dc_context_get_orders (fixture->context), first_id))), !=,
                   dc_order_get_driver_id (DC_ORDER (dc_store_lookup (
                     dc_context_get_orders (fixture->context), third))));

  wait_for (has_bulk_undo, fixture, WAIT_MS, "the bulk toast's Undo");
  button = find_widget (GTK_WIDGET (window->toast_overlay), is_any_undo_button, NULL);
  g_assert_true (gtk_widget_activate (button));
  wait_for (orders_waiting, orders, WAIT_MS, "both orders waiting again");

  /* The other bulk actions, each on both at once. */
  select_orders (fixture, orders);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.bulk-assign", NULL));
  wait_for (orders_assigned, orders, WAIT_MS, "both orders assigned again");
  select_orders (fixture, orders);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.bulk-unassign", NULL));
  wait_for (orders_waiting, orders, WAIT_MS, "both orders unassigned");
  select_orders (fixture, orders);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.bulk-hold", NULL));
  wait_for (orders_held, orders, WAIT_MS, "both orders held");
  select_orders (fixture, orders);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.bulk-cancel", NULL));
  answer_dialog ("cancel");
  wait_for (orders_closed, orders, WAIT_MS, "both orders cancelled");
}


static void
test_desk (Fixture       *fixture,
           gconstpointer  data)
{
  DcWindow *window = fixture->window;
  g_autofree char *anna = NULL, *ben = NULL, *fritz = NULL, *mia = NULL;
  g_autofree char *order = NULL, *held_order = NULL, *assign_path = NULL, *body = NULL;
  g_autofree char *second = NULL;
  g_autoptr(JsonObject) assigned = NULL;
  Watch watch = { fixture };
  g_autoptr(GVariant) undo_target = NULL;
  GtkWidget *row, *button;
  DcEntity *entity;

  /* Anna and Ben free near the pickup, Fritz near but full, Mia in Munich. */
  anna = create_online_driver (fixture, "Anna Schmidt", 52.5205, 13.4095);
  ben = create_online_driver (fixture, "Ben Okafor", 52.5130, 13.3900);
  fritz = create_online_driver_full (fixture, "Fritz Full", 1, 52.5215, 13.4120);
  mia = create_online_driver (fixture, "Mia Far", 48.1374, 11.5755);
  held_order = create_order (fixture, "Torstraße 1", 52.5290, 13.4010);
  assign_path = g_strdup_printf ("/api/v1/orders/%s/assign", held_order);
  body = g_strdup_printf ("{\"driver_id\":\"%s\"}", fritz);
  assigned = api (fixture, "POST", assign_path, body, 200);
  order = create_order (fixture, "Alexanderplatz 1", 52.5219, 13.4132);

  sign_in (fixture);
  watch.order_id = order;
  created_wait (fixture, order);

  /* Ages tick: the new order's "just now" becomes "N seconds ago". */
  row = find_widget (GTK_WIDGET (window->orders_pane), is_order_row, order);
  g_assert_nonnull (row);
  watch.text = widget_text (row);
  wait_for (row_text_changed, &watch, WAIT_MS, "the order's age ticking");
  g_clear_pointer (&watch.text, g_free);

  /* Free drivers first, the full one after them, the far one last. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.select-order", "s",
                                             order));
  watch.index = 3;
  watch.driver_id = mia;
  wait_for (candidate_is, &watch, WAIT_MS, "four candidates");
  g_assert_cmpstr (candidate_at (fixture, 0), ==, anna);
  g_assert_cmpstr (candidate_at (fixture, 1), ==, ben);
  g_assert_cmpstr (candidate_at (fixture, 2), ==, fritz);
  g_assert_true (g_str_has_prefix (candidate_reason (fixture, 0), "Free"));
  g_assert_true (g_str_has_prefix (candidate_reason (fixture, 2), "At capacity"));
  g_assert_true (g_str_has_prefix (candidate_reason (fixture, 3), "Too far"));
  test_console_screenshot (GTK_WIDGET (window), "desk-candidates");

  /* The list holds still under the pointer: Anna drives off, her reason
   * changes, her row stays first; once the pointer leaves, Ben is first. */
  watch.motion = gtk_event_controller_motion_new ();
  gtk_widget_add_controller (GTK_WIDGET (candidates_list (fixture)), watch.motion);
  warp_pointer (fixture, GTK_WIDGET (candidates_list (fixture)));
  wait_for (pointer_inside, &watch, WAIT_MS, "the pointer over the candidates");
  watch.index = 0;
  watch.text = g_strdup (candidate_reason (fixture, 0));
  move_driver (fixture, anna, 52.4990, 13.3700);
  wait_for (reason_changed, &watch, WAIT_MS, "Anna's new distance in her row");
  g_assert_cmpstr (candidate_at (fixture, 0), ==, anna);
  g_assert_cmpstr (candidate_at (fixture, 1), ==, ben);
  g_clear_pointer (&watch.text, g_free);
  warp_pointer (fixture, NULL);
  wait_for (pointer_outside, &watch, WAIT_MS, "the pointer gone");
  watch.driver_id = ben;
  wait_for (candidate_is, &watch, WAIT_MS, "the re-ranking once the pointer left");

  /* A full driver asks first; "Do Not Assign" leaves the order alone. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.assign-order", "(ss)",
                                             order, fritz));
  answer_dialog ("keep");
  g_assert_null (dc_order_get_driver_id (DC_ORDER (dc_store_lookup (
                   dc_context_get_orders (fixture->context), order))));

  /* A driver 500 km away asks too; people win after confirming, and the
   * order is flagged. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.assign-order", "(ss)",
                                             order, mia));
  answer_dialog ("assign");
  watch.driver_id = mia;
  wait_for (order_has_driver, &watch, WAIT_MS, "the order with Mia");
  entity = dc_store_lookup (dc_context_get_orders (fixture->context), order);
  g_autofree char *problem = dc_candidates_check (dc_context_get_drivers (fixture->context),
                                                  DC_ORDER (entity), 20000, DC_UNITS_METRIC);
  g_assert_nonnull (problem);
  test_console_run_for (300);
  g_assert_nonnull (find_widget (GTK_WIDGET (window->detail), is_warning_row, NULL));
  test_console_screenshot (GTK_WIDGET (window), "desk-flagged");

  /* Ben is free and near: no question; Undo gives the order back to Mia. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.assign-order", "(ss)",
                                             order, ben));
  watch.driver_id = ben;
  wait_for (order_has_driver, &watch, WAIT_MS, "the order with Ben");
  g_assert_null (message_dialog ());
  watch.driver_id = mia;
  wait_for (has_undo_button, &watch, WAIT_MS, "the toast's Undo");
  undo_target = g_variant_ref_sink (undo_of (order, mia));
  button = find_widget (GTK_WIDGET (window->toast_overlay), is_undo_button, undo_target);
  g_assert_true (gtk_widget_activate (button));
  wait_for (order_has_driver, &watch, WAIT_MS, "the order back with Mia");

  check_alerts (fixture, fritz, held_order);
  check_timeline (fixture, order, held_order);

  /* The hot path from the keyboard: the next order, back, and the order to
   * the first candidate (Ben, free and nearest). */
  second = create_order (fixture, "Karl-Marx-Allee 1", 52.5200, 13.4200);
  created_wait (fixture, second);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.select-order", "s",
                                             order));
  g_assert_true (press_shortcut (window, "<Alt>Down"));
  g_assert_cmpstr (dc_entity_get_id (DC_ENTITY (dc_order_detail_get_order (window->detail))),
                   !=, order);
  g_assert_true (press_shortcut (window, "<Alt>Up"));
  g_assert_cmpstr (dc_entity_get_id (DC_ENTITY (dc_order_detail_get_order (window->detail))),
                   ==, order);
  watch.index = 0;
  watch.driver_id = ben;
  wait_for (candidate_is, &watch, WAIT_MS, "Ben the first candidate");
  g_assert_true (press_shortcut (window, "<Control>Return"));
  wait_for (order_has_driver, &watch, WAIT_MS, "the order with Ben from the keyboard");

  check_bulk (fixture, second);
  check_driver_page (fixture, ben, order);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.select-order", "s",
                                             order));

  /* Offline, the buttons that need the server are off. */
  dsd_test_server_stop (fixture->server, TRUE);
  wait_for (is_not_live, fixture, WAIT_MS, "offline");
  button = find_widget (GTK_WIDGET (window->detail), is_button_labelled, (gpointer) "Unassign");
  g_assert_nonnull (button);
  g_assert_false (gtk_widget_is_sensitive (button));
  button = find_widget (GTK_WIDGET (candidates_list (fixture)), is_button_labelled,
                        (gpointer) "Assign");
  g_assert_nonnull (button);
  g_assert_false (gtk_widget_is_sensitive (button));
  g_assert_false (gtk_widget_is_sensitive (find_widget (GTK_WIDGET (window->detail),
                                                        is_switch, NULL)));
  test_console_screenshot (GTK_WIDGET (window), "desk-offline");
  dsd_test_server_restart (fixture->server);
}

/* Proof of delivery and load ---------------------------------------------- */

static void
driver_request (Fixture    *fixture,
                const char *method,
                const char *path,
                const char *token,
                const char *body)
{
  g_autoptr(DsdTestResponse) response = dsd_test_request (fixture->server, method, path, token,
                                                          body, NULL);

  if (response->status != 200)
    g_error ("%s %s: %u %s", method, path, response->status, response->text);
}

/* An order from Alexanderplatz with @extra members, assigned to @driver_id
 * and, with @driver_token, picked up. */
static char *
create_delivery (Fixture    *fixture,
                 const char *extra,
                 const char *driver_id,
                 const char *driver_token)
{
  g_autoptr(JsonObject) order = NULL;
  g_autoptr(JsonObject) assigned = NULL;
  g_autofree char *body = NULL;
  g_autofree char *path = NULL;
  const char *id;

  body = g_strdup_printf ("{\"pickup\":{\"lat\":52.5219,\"lon\":13.4132,"
                          "\"address\":\"Alexanderplatz 1\"},"
                          "\"dropoff\":{\"lat\":52.5096,\"lon\":13.3760,"
                          "\"address\":\"Potsdamer Platz 1\"},"
                          "\"contact\":{\"name\":\"Ada Lovelace\"}%s}", extra);
  order = api (fixture, "POST", "/api/v1/orders", body, 201);
  id = json_object_get_string_member (order, "id");
  if (driver_id == NULL)
    return g_strdup (id);

  g_free (body);
  body = g_strdup_printf ("{\"driver_id\":\"%s\"}", driver_id);
  path = g_strdup_printf ("/api/v1/orders/%s/assign", id);
  assigned = api (fixture, "POST", path, body, 200);
  g_free (path);
  path = g_strdup_printf ("/api/v1/orders/%s/status", id);
  driver_request (fixture, "POST", path, driver_token, "{\"status\":\"picked_up\"}");

  return g_strdup (id);
}

/* The PIN the customer has, entered by the driver, and a photo uploaded. */
static void
give_proof (Fixture    *fixture,
            const char *order_id,
            const char *driver_token)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/orders/%s/proof", order_id);
  g_autoptr(JsonObject) proof = api (fixture, "GET", path, NULL, 200);
  g_autofree char *pin_path = g_strdup_printf ("%s/pin", path);
  g_autofree char *photo_path = g_strdup_printf ("%s/photo", path);
  g_autofree char *body = g_strdup_printf ("{\"pin\":\"%s\"}",
                                           json_object_get_string_member (proof, "pin"));
  g_autofree guint8 *rgb = g_malloc (160 * 120 * 3);
  g_autoptr(GBytes) png = NULL;
  g_autoptr(DsdTestResponse) uploaded = NULL;

  driver_request (fixture, "POST", pin_path, driver_token, body);
  /* a parcel-brown picture with a lighter band across */
  for (gsize i = 0; i < 160 * 120; i++)
    {
      gboolean band = (i / 160) % 40 < 12;

      rgb[i * 3] = band ? 0xe8 : 0x9a;
      rgb[i * 3 + 1] = band ? 0xd5 : 0x6b;
      rgb[i * 3 + 2] = band ? 0xb0 : 0x3c;
    }
  png = dispatch_png_encode (160, 120, rgb);
  uploaded = dsd_test_request_raw (fixture->server, "PUT", photo_path, driver_token,
                                   "image/png", png, NULL);
  g_assert_cmpuint (uploaded->status, ==, 200);
}

/* Wrong PINs until the server locks it. */
static void
lock_pin (Fixture    *fixture,
          const char *order_id,
          const char *driver_token)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/orders/%s/proof", order_id);
  g_autoptr(JsonObject) proof = api (fixture, "GET", path, NULL, 200);
  g_autofree char *pin_path = g_strdup_printf ("%s/pin", path);
  const char *wrong = g_str_equal (json_object_get_string_member (proof, "pin"), "0000")
                      ? "{\"pin\":\"1111\"}" : "{\"pin\":\"0000\"}";
  guint status = 0;

  for (guint i = 0; i < 10 && status != 409; i++)
    {
      g_autoptr(DsdTestResponse) response = dsd_test_request (fixture->server, "POST", pin_path,
                                                              driver_token, wrong, NULL);

      status = response->status;
      g_assert_true (status == 422 || status == 409);
    }
  g_assert_cmpuint (status, ==, 409);
}

static gboolean
is_loaded_picture (GtkWidget *widget,
                   gpointer   user_data)
{
  return GTK_IS_PICTURE (widget) && gtk_picture_get_paintable (GTK_PICTURE (widget)) != NULL;
}

static gboolean
detail_has_picture (gpointer user_data)
{
  Fixture *fixture = user_data;

  return find_widget (GTK_WIDGET (fixture->window->detail), is_loaded_picture, NULL) != NULL;
}

static gboolean
is_toast_text (GtkWidget *widget,
               gpointer   user_data)
{
  return GTK_IS_LABEL (widget) && strstr (gtk_label_get_label (GTK_LABEL (widget)),
                                          user_data) != NULL;
}

static gboolean
toast_shows (gpointer user_data)
{
  TextWatch *watch = user_data;

  return find_widget (GTK_WIDGET (watch->fixture->window->toast_overlay), is_toast_text,
                      (gpointer) watch->text) != NULL;
}

/* The photo's thumbnail opens larger. */
static void
open_photo (Fixture *fixture)
{
  GtkWidget *picture = find_widget (GTK_WIDGET (fixture->window->detail), is_loaded_picture,
                                    NULL);
  GtkWidget *button = gtk_widget_get_ancestor (picture, GTK_TYPE_BUTTON);
  g_autoptr(GList) before = gtk_window_list_toplevels ();
  g_autoptr(GList) after = NULL;

  /* a click; gtk_widget_activate() would only click after an animation */
  g_signal_emit_by_name (button, "clicked");
  after = gtk_window_list_toplevels ();
  for (GList *l = after; l != NULL; l = l->next)
    if (g_list_find (before, l->data) == NULL)
      {
        GtkWidget *large = gtk_window_get_child (l->data);

        g_assert_true (GTK_IS_PICTURE (large));
        g_assert_true (gtk_picture_get_paintable (GTK_PICTURE (large)) ==
                       gtk_picture_get_paintable (GTK_PICTURE (picture)));
        gtk_window_destroy (l->data);
        return;
      }
  g_error ("The photo did not open larger");
}

/* The driver page: the van's load against its limits, flagged when over. */
static void
check_driver_limits (Fixture    *fixture,
                     const char *driver_id)
{
  DcWindow *window = fixture->window;
  TextWatch watch = { fixture, "28.5 / 20 kg · 36 / 200 L", 1 };

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.select-driver", "s",
                                             driver_id));
  wait_for (driver_page_shows, &watch, WAIT_MS, "the van's load and limits");
  g_assert_nonnull (find_widget (GTK_WIDGET (window->driver_detail), is_warning_row, NULL));
  test_console_screenshot (GTK_WIDGET (window), "console-driver-load");
}

/* A delivery with PIN and photo shows both in its detail; a failed one its
 * locked PIN and its reason; an assignment beyond the vehicle's weight limit warns before and
 * after. */
static void
test_proof (Fixture       *fixture,
            gconstpointer  data)
{
  DcWindow *window = fixture->window;
  g_autofree char *driver_id = NULL, *driver_token = NULL, *van = NULL;
  g_autofree char *proven = NULL, *failed = NULL, *heavy = NULL, *path = NULL;
  g_autofree char *text = NULL;
  g_autoptr(JsonObject) van_json = NULL;
  TextWatch watch = { fixture, "Entered by the driver", 1 };
  AdwMessageDialog *dialog;

  driver_token = dsd_test_create_online_driver (fixture->server, 52.5205, 13.4095, &driver_id);
  proven = create_delivery (fixture, ",\"proof\":{\"pin\":true,\"photo\":true}", driver_id,
                            driver_token);
  failed = create_delivery (fixture, ",\"proof\":{\"pin\":true}", driver_id, driver_token);
  van_json = api (fixture, "POST", "/api/v1/drivers",
                  "{\"name\":\"Vera Van\",\"vehicle\":\"van\",\"capacity\":3,"
                  "\"max_weight_kg\":20,\"max_volume_l\":200}", 201);
  van = g_strdup (json_object_get_string_member (van_json, "id"));
  path = g_strdup_printf ("/api/v1/drivers/%s/online", van);
  dsd_test_post_ok (fixture->server, path, dsd_test_server_get_admin_token (fixture->server),
                    "{\"online\":true}");
  move_driver (fixture, van, 52.5230, 13.4100);
  heavy = create_delivery (fixture,
                           ",\"items\":[{\"sku\":\"WATER-6\",\"name\":\"Water, 6 × 1.5 L\","
                           "\"quantity\":3,\"price_cents\":499,\"weight_kg\":9.5,"
                           "\"volume_l\":12}]", NULL, NULL);

  sign_in (fixture);
  created_wait (fixture, heavy);

  /* Required and not there yet; then the PIN entered, the photo loaded. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.select-order", "s",
                                             proven));
  watch.text = "Not uploaded yet";
  wait_for (detail_shows, &watch, WAIT_MS, "the photo still missing");
  give_proof (fixture, proven, driver_token);
  g_free (path);
  path = g_strdup_printf ("/api/v1/orders/%s/status", proven);
  driver_request (fixture, "POST", path, driver_token, "{\"status\":\"delivered\"}");
  watch.text = "Entered by the driver";
  wait_for (detail_shows, &watch, WAIT_MS, "the PIN entered");
  wait_for (detail_has_picture, fixture, WAIT_MS, "the photo's thumbnail");
  watch.text = "Delivered";
  wait_for (detail_shows, &watch, WAIT_MS, "the delivery in the timeline");
  text = widget_text (GTK_WIDGET (window->detail));
  g_assert_null (strstr (text, "Not uploaded yet"));
  test_console_screenshot (GTK_WIDGET (window), "console-proof");
  open_photo (fixture);

  /* A failure's reason code, as people read it. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.select-order", "s",
                                             failed));
  g_free (path);
  path = g_strdup_printf ("/api/v1/orders/%s/status", failed);
  own_notifications (fixture);   /* a locked PIN raises an alert */
  lock_pin (fixture, failed, driver_token);
  watch.text = "Locked: entered wrong too often";
  wait_for (detail_shows, &watch, WAIT_MS, "the PIN locked");
  watch.text = "PIN locked: entered wrong too often";
  wait_for (detail_shows, &watch, WAIT_MS, "the PIN's lock in the timeline");
  g_assert_nonnull (find_widget (GTK_WIDGET (window->detail), is_warning_row, NULL));
  driver_request (fixture, "POST", path, driver_token,
                  "{\"status\":\"failed\",\"reason_code\":\"pin_locked\"}");
  watch.text = "Failed: PIN entered wrong too often";
  wait_for (detail_shows, &watch, WAIT_MS, "the failure's reason");
  test_console_screenshot (GTK_WIDGET (window), "console-failed");

  /* 28.5 kg for a van that takes 20: asked first, warned after. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.select-order", "s",
                                             heavy));
  watch.text = "28.5 kg";
  wait_for (detail_shows, &watch, WAIT_MS, "the order's load");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.assign-order", "(ss)",
                                             heavy, van));
  if (!dsd_test_run_until (has_message_dialog, NULL, WAIT_MS))
    g_error ("No confirmation before going over the weight limit");
  dialog = message_dialog ();
  g_assert_nonnull (strstr (adw_message_dialog_get_body (dialog), "28.5 / 20 kg"));
  test_console_screenshot (GTK_WIDGET (dialog), "console-weight-confirm");
  answer_dialog ("assign");
  watch.text = "over the vehicle's weight limit";
  wait_for (toast_shows, &watch, WAIT_MS, "the server's weight warning in the toast");
  test_console_screenshot (GTK_WIDGET (window), "console-weight");

  check_driver_limits (fixture, van);
}

/* Windows and ready times ------------------------------------------------ */

typedef struct
{
  Fixture *fixture;
  const char *id;
  const char *text;
} RowWatch;

static gboolean
order_row_shows (gpointer user_data)
{
  RowWatch *watch = user_data;
  GtkWidget *row = find_widget (GTK_WIDGET (watch->fixture->window->orders_pane), is_order_row,
                                (gpointer) watch->id);
  g_autofree char *text = row != NULL ? widget_text (row) : NULL;

  return text != NULL && strstr (text, watch->text) != NULL;
}

static gboolean
order_at_risk (gpointer user_data)
{
  Expectation *expectation = user_data;
  DcEntity *order = dc_store_lookup (dc_context_get_orders (expectation->fixture->context),
                                     expectation->id);

  return order != NULL && dc_order_get_at_risk (DC_ORDER (order));
}

static gboolean
at_risk_alerted (gpointer user_data)
{
  Expectation *expectation = user_data;
  GListModel *alerts = dc_alerts_get_model (dc_context_get_alerts (expectation->fixture->context));

  for (guint i = 0; i < g_list_model_get_n_items (alerts); i++)
    {
      g_autoptr(DcAlert) alert = g_list_model_get_item (alerts, i);

      if (g_strcmp0 (dc_alert_get_order_id (alert), expectation->id) == 0 &&
          g_strcmp0 (dc_alert_get_title (alert), "An order may miss its delivery window") == 0)
        return TRUE;
    }

  return FALSE;
}

typedef struct
{
  Fixture *fixture;
  const char *id;
  gint64 before;
} WindowWatch;

static gboolean
window_ends_at (gpointer user_data)
{
  WindowWatch *watch = user_data;
  DcEntity *order = dc_store_lookup (dc_context_get_orders (watch->fixture->context), watch->id);
  gint64 after, before;

  if (order == NULL)
    return FALSE;
  dc_order_get_window (DC_ORDER (order), &after, &before);

  return before == watch->before;
}

/* No animation running: the sign-in page gone, the detail fully out. */
static gboolean
window_settled (gpointer user_data)
{
  DcWindow *window = user_data;
  double flap = adw_flap_get_reveal_progress (window->detail_flap);

  return !gtk_stack_get_transition_running (window->main_stack) &&
         gtk_revealer_get_child_revealed (window->banner_revealer) ==
         gtk_revealer_get_reveal_child (window->banner_revealer) &&
         (flap == 0 || flap == 1);
}

static void
screenshot_settled (Fixture    *fixture,
                    const char *name)
{
  wait_for (window_settled, fixture->window, WAIT_MS, "the animations' end");
  test_console_screenshot (GTK_WIDGET (fixture->window), name);
}

/* A whole minute @minutes from now, as the form takes times. */
static gint64
minutes_from_now (int minutes)
{
  gint64 usec = g_get_real_time () + (gint64) minutes * 60 * G_USEC_PER_SEC;

  return usec - usec % (60 * G_USEC_PER_SEC);
}

/* The delivery window changed in the edit form: only the time changed goes
 * to the server, the others stay. */
static void
check_edit_window (Fixture    *fixture,
                   const char *id,
                   gint64      ready,
                   gint64      after)
{
  gint64 now = g_get_real_time ();
  WindowWatch watch = { fixture, id, minutes_from_now (150) };
  g_autofree char *ready_text = dc_local_time_format (ready, now, DC_LOCAL_TIME_DATED);
  g_autofree char *after_text = dc_local_time_format (after, now, DC_LOCAL_TIME_DATED);
  g_autofree char *before_text = dc_local_time_format (watch.before, now,
                                                       DC_LOCAL_TIME_DATED);
  g_autofree char *path = g_strdup_printf ("/api/v1/orders/%s", id);
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(JsonObject) order = NULL;
  AdwMessageDialog *dialog;
  gint64 usec = 0;

  wait_for (has_edit_button, fixture, WAIT_MS, "the Edit button");
  g_assert_true (gtk_widget_activate (find_widget (GTK_WIDGET (fixture->window->detail),
                                                   is_button_labelled,
                                                   (gpointer) "_Edit Order…")));
  dialog = wait_for_form ();
  rows = form_rows (dialog);
  g_assert_cmpuint (rows->len, ==, 10);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (g_ptr_array_index (rows, 7))), ==,
                   ready_text);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (g_ptr_array_index (rows, 8))), ==,
                   after_text);
  gtk_editable_set_text (GTK_EDITABLE (g_ptr_array_index (rows, 9)), before_text);
  test_console_screenshot (GTK_WIDGET (dialog), "console-edit-window");
  adw_message_dialog_response (dialog, "save");
  gtk_window_destroy (GTK_WINDOW (dialog));

  wait_for (window_ends_at, &watch, WAIT_MS, "the window's new end");
  order = api (fixture, "GET", path, NULL, 200);
  g_assert_true (dispatch_parse_timestamp (json_object_get_string_member (order, "ready_at"),
                                           &usec));
  g_assert_cmpint (usec, ==, ready);
}

/* An order ready later with a delivery window: the times in its row and
 * detail; an order whose 20 km trip cannot end within 10 minutes: flagged
 * at risk in its row, on the map and in the alerts; then the first order's
 * window edited. */
static void
test_windows (Fixture       *fixture,
              gconstpointer  data)
{
  DcWindow *window = fixture->window;
  gint64 now = g_get_real_time ();
  gint64 ready = minutes_from_now (30), after = minutes_from_now (45);
  gint64 before = minutes_from_now (90);
  g_autofree char *ready_at = dispatch_format_timestamp (ready);
  g_autofree char *deliver_after = dispatch_format_timestamp (after);
  g_autofree char *deliver_before = dispatch_format_timestamp (before);
  g_autofree char *soon = dispatch_format_timestamp (now + 10 * 60 * G_USEC_PER_SEC);
  g_autofree char *extra = g_strdup_printf (",\"ready_at\":\"%s\",\"deliver_after\":\"%s\","
                                            "\"deliver_before\":\"%s\"", ready_at,
                                            deliver_after, deliver_before);
  g_autofree char *risky_body = NULL;
  g_autofree char *scheduled = create_delivery (fixture, extra, NULL, NULL);
  g_autofree char *ready_text = dc_format_time_of_day (ready, now);
  g_autofree char *window_text = dc_format_window (after, before, now);
  g_autofree char *ready_label = g_strdup_printf ("ready %s", ready_text);
  g_autofree char *deliver_label = g_strdup_printf ("deliver %s", window_text);
  g_autoptr(JsonObject) risky_order = NULL;
  const char *risky;
  RowWatch row = { fixture, scheduled, ready_label };
  TextWatch watch = { fixture, deliver_label, 1 };
  Expectation at_risk = { fixture };

  /* from Alexanderplatz to Oranienburg, 20 km, in 10 minutes */
  risky_body = g_strdup_printf ("{\"pickup\":{\"lat\":52.5219,\"lon\":13.4132,"
                                "\"address\":\"Alexanderplatz 1\"},"
                                "\"dropoff\":{\"lat\":52.7040,\"lon\":13.4135,"
                                "\"address\":\"Schlossplatz 1, Oranienburg\"},"
                                "\"contact\":{\"name\":\"Alan Turing\"},"
                                "\"deliver_before\":\"%s\"}", soon);
  risky_order = api (fixture, "POST", "/api/v1/orders", risky_body, 201);
  risky = json_object_get_string_member (risky_order, "id");
  at_risk.id = risky;

  own_notifications (fixture);   /* alerts notify the desktop */
  sign_in (fixture);
  created_wait (fixture, scheduled);

  /* the row: when the pickup is ready, the window of the dropoff */
  wait_for (order_row_shows, &row, WAIT_MS, "the ready time in the row");
  row.text = window_text;
  wait_for (order_row_shows, &row, WAIT_MS, "the window in the row");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.select-order", "s",
                                             scheduled));
  wait_for (detail_shows, &watch, WAIT_MS, "the window in the detail");
  watch.text = ready_label;
  wait_for (detail_shows, &watch, WAIT_MS, "the ready time in the detail");
  screenshot_settled (fixture, "console-windows");

  /* at risk: the mark, the row's badge, the alert */
  wait_for (order_at_risk, &at_risk, WAIT_MS, "the order at risk");
  wait_for (at_risk_alerted, &at_risk, WAIT_MS, "the at-risk alert");
  row.id = risky;
  row.text = "At risk";
  wait_for (order_row_shows, &row, WAIT_MS, "the at-risk badge in the row");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.select-order", "s",
                                             risky));
  watch.text = "May miss its delivery window";
  wait_for (detail_shows, &watch, WAIT_MS, "the at-risk event in the timeline");
  gtk_widget_activate_action (GTK_WIDGET (window), "win.show-alerts", NULL);
  screenshot_settled (fixture, "console-at-risk");

  /* last: the edit's answer opens the edited order */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.select-order", "s",
                                             scheduled));
  check_edit_window (fixture, scheduled, ready, after);
}

/* Replay --------------------------------------------------------------- */

#define REPLAY_POINTS    79
#define REPLAY_STEP_S    30
#define REPLAY_START_MIN 40

/* Where driver @d was at point @k of its last 40 minutes: each crosses
 * central Berlin on its own line. */
static void
replay_place (guint   d,
              guint   k,
              double *lat,
              double *lon)
{
  static const double lines[][4] = {
    { 52.505, 13.365, 52.525, 13.425 },
    { 52.527, 13.370, 52.503, 13.415 },
    { 52.500, 13.400, 52.530, 13.395 },
  };
  double f = (double) k / (REPLAY_POINTS - 1);

  *lat = lines[d][0] + f * (lines[d][2] - lines[d][0]);
  *lon = lines[d][1] + f * (lines[d][3] - lines[d][1]);
}

/* The positions of the last 40 minutes of driver @d, every 30 s, sent with
 * the times they were recorded at. */
static void
post_past_trail (Fixture    *fixture,
                 const char *driver_id,
                 guint       d,
                 gint64      start)
{
  g_autoptr(GString) body = g_string_new ("{\"points\":[");
  g_autofree char *path = g_strdup_printf ("/api/v1/drivers/%s/location", driver_id);
  g_autoptr(DsdTestResponse) response = NULL;

  for (guint k = 0; k < REPLAY_POINTS; k++)
    {
      g_autoptr(GDateTime) at = g_date_time_new_from_unix_utc (start / G_USEC_PER_SEC +
                                                               k * REPLAY_STEP_S);
      g_autofree char *at_text = g_date_time_format_iso8601 (at);
      char lat_text[G_ASCII_DTOSTR_BUF_SIZE], lon_text[G_ASCII_DTOSTR_BUF_SIZE];
      double lat, lon;

      replay_place (d, k, &lat, &lon);
      g_string_append_printf (body, "%s{\"lat\":%s,\"lon\":%s,\"recorded_at\":\"%s\"}",
                              k > 0 ? "," : "", g_ascii_dtostr (lat_text, sizeof lat_text, lat),
                              g_ascii_dtostr (lon_text, sizeof lon_text, lon), at_text);
    }
  g_string_append (body, "]}");
  response = dsd_test_request (fixture->server, "POST", path,
                               dsd_test_server_get_admin_token (fixture->server), body->str,
                               NULL);
  g_assert_cmpuint (response->status, ==, 202);
}

static void
order_step (Fixture    *fixture,
            const char *order_id,
            const char *action,
            const char *body)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/orders/%s/%s", order_id, action);
  g_autoptr(JsonObject) changed = api (fixture, "POST", path, body, 200);
}

static gboolean
replay_loaded (gpointer user_data)
{
  Fixture *fixture = user_data;

  return dc_replay_bar_get_model (fixture->window->replay_bar) != NULL;
}

/* Whether the history holds every past position of the three drivers
 * (they reach the history table in batches). */
static gboolean
replay_complete (gpointer user_data)
{
  Fixture *fixture = user_data;
  DcReplayModel *model = dc_replay_bar_get_model (fixture->window->replay_bar);
  const DcReplayPoint *points = NULL;
  guint n = 0;

  if (model == NULL || dc_replay_model_get_n_drivers (model) < 3)
    return FALSE;
  for (guint d = 0; d < 3; d++)
    n += dc_replay_model_get_trail (model, d, dc_replay_model_get_to (model),
                                    (gint64) 3600 * G_USEC_PER_SEC, &points);
  return n >= 3 * REPLAY_POINTS;
}

static gboolean
replay_played (gpointer user_data)
{
  Fixture *fixture = user_data;
  DcReplayModel *model = dc_replay_bar_get_model (fixture->window->replay_bar);

  return dc_replay_bar_get_time (fixture->window->replay_bar) >
         dc_replay_model_get_from (model) + 2 * G_USEC_PER_SEC;
}

static gboolean
is_entry (GtkWidget *widget,
          gpointer   user_data)
{
  return GTK_IS_ENTRY (widget);
}

static void
test_replay (Fixture       *fixture,
             gconstpointer  data)
{
  DcWindow *window = fixture->window;
  DcReplayBar *bar = window->replay_bar;
  gint64 start = g_get_real_time () - (gint64) REPLAY_START_MIN * 60 * G_USEC_PER_SEC;
  char *driver_ids[3];
  char *orders[5];
  char *assign[3];
  const char *names[] = { "Anna Schmidt", "Ben Okafor", "Carla Diaz" };
  DcReplayModel *model;
  const DcReplayPoint *points = NULL;
  guint counts[DC_REPLAY_N_STATUSES];
  GtkWidget *entry;
  g_autoptr(GDateTime) typed = NULL;
  g_autofree char *typed_text = NULL;
  gint64 typed_from;
  gint64 middle;
  double lat, lon;
  guint n;

  sign_in (fixture);
  for (guint d = 0; d < 3; d++)
    {
      replay_place (d, REPLAY_POINTS - 1, &lat, &lon);
      driver_ids[d] = create_online_driver_full (fixture, names[d], 3, lat, lon);
      post_past_trail (fixture, driver_ids[d], d, start);
      assign[d] = g_strdup_printf ("{\"driver_id\":\"%s\"}", driver_ids[d]);
    }
  /* Delivered by Anna, assigned to Ben, picked up by Carla, waiting, cancelled. */
  orders[0] = create_order (fixture, "Friedrichstraße 100", 52.5200, 13.3880);
  order_step (fixture, orders[0], "assign", assign[0]);
  order_step (fixture, orders[0], "status", "{\"status\":\"picked_up\"}");
  order_step (fixture, orders[0], "status", "{\"status\":\"delivered\"}");
  orders[1] = create_order (fixture, "Unter den Linden 10", 52.5170, 13.3890);
  order_step (fixture, orders[1], "assign", assign[1]);
  orders[2] = create_order (fixture, "Gendarmenmarkt 2", 52.5137, 13.3927);
  order_step (fixture, orders[2], "assign", assign[2]);
  order_step (fixture, orders[2], "status", "{\"status\":\"picked_up\"}");
  orders[3] = create_order (fixture, "Leipziger Straße 30", 52.5100, 13.3900);
  orders[4] = create_order (fixture, "Oranienburger Straße 50", 52.5250, 13.3930);
  order_step (fixture, orders[4], "cancel", "{\"reason\":\"customer called\"}");

  /* Replay the last hour (the default), until it holds every position. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.replay", NULL));
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (bar)));
  for (;;)
    {
      wait_for (replay_loaded, fixture, WAIT_MS, "history loaded");
      if (replay_complete (fixture))
        break;
      g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.replay", NULL));
      g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.replay", NULL));
    }
  model = dc_replay_bar_get_model (bar);
  g_assert_cmpuint (dc_replay_model_get_n_drivers (model), ==, 3);
  g_assert_cmpuint (dc_replay_model_get_n_orders (model), ==, 5);
  g_assert_cmpint (dc_replay_model_get_to (model) - dc_replay_model_get_from (model), ==,
                   (gint64) 3600 * G_USEC_PER_SEC);

  /* 20 minutes ago: the drivers where they were then, no orders yet. */
  middle = start + (gint64) 20 * 60 * G_USEC_PER_SEC;
  dc_replay_bar_set_time (bar, middle);
  g_assert_cmpint (ABS (dc_replay_bar_get_time (bar) - middle), <, G_USEC_PER_SEC);
  for (guint d = 0; d < 3; d++)
    {
      guint driver;

      for (driver = 0; driver < 3; driver++)
        if (g_str_equal (dc_replay_model_get_driver_id (model, driver), driver_ids[d]))
          break;
      g_assert_cmpuint (driver, <, 3);
      n = dc_replay_model_get_trail (model, driver, dc_replay_bar_get_time (bar),
                                     (gint64) 5 * 60 * G_USEC_PER_SEC, &points);
      g_assert_cmpuint (n, >=, 9);
      replay_place (d, (dc_replay_bar_get_time (bar) / G_USEC_PER_SEC - start / G_USEC_PER_SEC) /
                       REPLAY_STEP_S, &lat, &lon);
      g_assert_cmpfloat_with_epsilon (points[n - 1].lat, lat, 1e-9);
      g_assert_cmpfloat_with_epsilon (points[n - 1].lon, lon, 1e-9);
    }
  dc_replay_model_count_at (model, dc_replay_bar_get_time (bar), counts);
  for (guint s = 0; s < DC_REPLAY_N_STATUSES; s++)
    g_assert_cmpuint (counts[s], ==, 0);
  g_assert_cmpstr (dc_replay_bar_get_summary (bar), ==,
                   "0 waiting · 0 assigned · 0 picked up · 0 delivered · 0 failed · "
                   "0 cancelled");

  /* The end of the hour: every order in the state it reached. */
  dc_replay_bar_set_time (bar, dc_replay_model_get_to (model));
  g_assert_cmpstr (dc_replay_bar_get_summary (bar), ==,
                   "1 waiting · 1 assigned · 1 picked up · 1 delivered · 0 failed · "
                   "1 cancelled");
  test_console_screenshot (GTK_WIDGET (window), "console-replay");

  /* Playing moves the time on; pausing stops it. */
  dc_replay_bar_set_time (bar, dc_replay_model_get_from (model));
  dc_replay_bar_play (bar, TRUE);
  wait_for (replay_played, fixture, WAIT_MS, "replay playing");
  dc_replay_bar_play (bar, FALSE);

  /* A start typed in: not a time, then 30 minutes ago (the hour from then
   * ends now). */
  entry = find_widget (GTK_WIDGET (bar), is_entry, NULL);
  gtk_editable_set_text (GTK_EDITABLE (entry), "yesterday");
  g_signal_emit_by_name (entry, "activate");
  g_assert_null (dc_replay_bar_get_model (bar));
  g_assert_cmpstr (dc_replay_bar_get_summary (bar), ==,
                   "Type the start as HH:MM or YYYY-MM-DD HH:MM, in the past");
  typed = g_date_time_new_from_unix_local (start / G_USEC_PER_SEC + 10 * 60);
  typed_text = g_date_time_format (typed, "%H:%M");
  typed_from = (g_date_time_to_unix (typed) - g_date_time_get_second (typed)) * G_USEC_PER_SEC;
  gtk_editable_set_text (GTK_EDITABLE (entry), typed_text);
  g_signal_emit_by_name (entry, "activate");
  wait_for (replay_loaded, fixture, WAIT_MS, "typed period loaded");
  model = dc_replay_bar_get_model (bar);
  g_assert_cmpint (dc_replay_model_get_from (model), ==, typed_from);
  g_assert_cmpint (dc_replay_model_get_to (model), <=, g_get_real_time () + G_USEC_PER_SEC);
  g_assert_cmpuint (dc_replay_model_get_n_orders (model), ==, 5);

  /* Back to live. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.replay", NULL));
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (bar)));
  g_assert_null (dc_replay_bar_get_model (bar));
  for (guint i = 0; i < G_N_ELEMENTS (orders); i++)
    g_free (orders[i]);
  for (guint d = 0; d < 3; d++)
    {
      g_free (driver_ids[d]);
      g_free (assign[d]);
    }
}

/* A driver's route ------------------------------------------------------- */

typedef struct
{
  Fixture *fixture;
  const char *driver_id;
  guint stops;
  /* an order whose pickup is no longer ahead, or NULL */
  const char *picked_up;
} RouteWatch;

static gboolean
route_shown (gpointer user_data)
{
  RouteWatch *watch = user_data;
  DcRoute *route = dc_context_get_route (watch->fixture->context);

  if (g_strcmp0 (dc_route_get_driver_id (route), watch->driver_id) != 0 ||
      dc_route_get_n_stops (route) != watch->stops)
    return FALSE;
  for (guint i = 0; i < watch->stops; i++)
    if (dc_route_get_stop (route, i)->kind == DC_STOP_PICKUP &&
        g_strcmp0 (dc_route_get_stop (route, i)->order_id, watch->picked_up) == 0)
      return FALSE;

  return TRUE;
}

/* The index of @order_id's stop of @kind in @route, or -1. */
static int
stop_index (DcRoute    *route,
            const char *order_id,
            DcStopKind  kind)
{
  for (guint i = 0; i < dc_route_get_n_stops (route); i++)
    if (dc_route_get_stop (route, i)->kind == kind &&
        g_strcmp0 (dc_route_get_stop (route, i)->order_id, order_id) == 0)
      return (int) i;

  return -1;
}

/* Two orders on one driver, their pickups close together: the driver's page
 * lists the four stops, each pickup before its dropoff, and the map draws
 * them; the first pickup done, the stream's driver.route takes it off. */
static void
test_route (Fixture       *fixture,
            gconstpointer  data)
{
  DcWindow *window = fixture->window;
  DcRoute *route = dc_context_get_route (fixture->context);
  g_autofree char *driver_id = NULL;
  g_autofree char *driver_token = dsd_test_create_online_driver (fixture->server, 52.5205,
                                                                 13.4095, &driver_id);
  g_autofree char *first = create_delivery (fixture, "", NULL, NULL);
  g_autofree char *second = NULL;
  g_autofree char *assign_body = g_strdup_printf ("{\"driver_id\":\"%s\"}", driver_id);
  g_autofree char *picked_up = NULL;
  g_autofree char *short_id = NULL;
  g_autofree char *row_title = NULL;
  g_autofree char *path = NULL;
  g_autoptr(JsonObject) second_order = NULL;
  RouteWatch watch = { fixture, driver_id, 4, NULL };
  TextWatch page = { fixture, NULL, 1 };

  second_order = api (fixture, "POST", "/api/v1/orders",
                      "{\"pickup\":{\"lat\":52.5186,\"lon\":13.4081,"
                      "\"address\":\"Rathausstraße 15\"},"
                      "\"dropoff\":{\"lat\":52.5137,\"lon\":13.3927,"
                      "\"address\":\"Gendarmenmarkt 2\"},"
                      "\"contact\":{\"name\":\"Grace Hopper\"}}", 201);
  second = g_strdup (json_object_get_string_member (second_order, "id"));
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(JsonObject) assigned = NULL;

      path = g_strdup_printf ("/api/v1/orders/%s/assign", i == 0 ? first : second);
      assigned = api (fixture, "POST", path, assign_body, 200);
      g_clear_pointer (&path, g_free);
    }

  sign_in (fixture);
  created_wait (fixture, second);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.select-driver", "s",
                                             driver_id));
  wait_for (route_shown, &watch, WAIT_MS, "the driver's four stops");
  for (guint i = 0; i < 2; i++)
    {
      const char *id = i == 0 ? first : second;

      g_assert_cmpint (stop_index (route, id, DC_STOP_PICKUP), >=, 0);
      g_assert_cmpint (stop_index (route, id, DC_STOP_PICKUP), <,
                       stop_index (route, id, DC_STOP_DROPOFF));
    }
  short_id = dc_order_format_short_id (dc_route_get_stop (route, 0)->order_id);
  row_title = g_strdup_printf ("Pick up %s", short_id);
  page.text = row_title;
  wait_for (driver_page_shows, &page, WAIT_MS, "the first stop in the driver's page");
  screenshot_settled (fixture, "console-route");

  /* the first pickup done: the route goes on from the next stop */
  picked_up = g_strdup (dc_route_get_stop (route, 0)->order_id);
  path = g_strdup_printf ("/api/v1/orders/%s/status", picked_up);
  driver_request (fixture, "POST", path, driver_token, "{\"status\":\"picked_up\"}");
  watch.stops = 3;
  watch.picked_up = picked_up;
  wait_for (route_shown, &watch, WAIT_MS, "the route without the pickup done");
  g_assert_cmpint (stop_index (route, picked_up, DC_STOP_DROPOFF), >=, 0);
}

int
main (int   argc,
      char *argv[])
{
  static const char * const without_automation[] = { "DISPATCH_ROLES=api,relay,notifier", NULL };
  g_autofree char *data_home = dsd_test_make_tmp_dir ("console-data");
  int status;

  /* The alerts' journal goes to the user data dir. */
  g_setenv ("XDG_DATA_HOME", data_home, TRUE);

  gtk_test_init (&argc, &argv, NULL);
  /* Rendered as the console renders for its users under Xvfb. */
  dc_renderer_choose ();
  /* Without a window manager the window never has the keyboard focus, and a
   * blinking cursor then warns about a focus-out it never got. */
  g_object_set (gtk_settings_get_default (), "gtk-cursor-blink", FALSE, NULL);

  g_test_add ("/console/live", Fixture, NULL, fixture_set_up, test_live, fixture_tear_down);
  g_test_add ("/console/desk", Fixture, without_automation, fixture_set_up, test_desk,
              fixture_tear_down);
  g_test_add ("/console/orders", Fixture, without_automation, fixture_set_up, test_orders,
              fixture_tear_down);
  g_test_add ("/console/proof", Fixture, without_automation, fixture_set_up, test_proof,
              fixture_tear_down);
  g_test_add ("/console/windows", Fixture, NULL, fixture_set_up, test_windows,
              fixture_tear_down);
  g_test_add ("/console/route", Fixture, NULL, fixture_set_up, test_route, fixture_tear_down);
  g_test_add ("/console/replay", Fixture, without_automation, fixture_set_up, test_replay,
              fixture_tear_down);

  status = g_test_run ();
  dsd_test_remove_tree (data_home);

  return status;
}
