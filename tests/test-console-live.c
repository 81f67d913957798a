/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "dc-driver.h"
#include "dc-order.h"
#include "dc-stream.h"
#include "dc-window-private.h"
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
  g_autoptr(DsdTestResponse) response = NULL;

  response = dsd_test_request (fixture->server, method, path,
                               dsd_test_server_get_admin_token (fixture->server), body, NULL);
  if (response->status != status)
    g_error ("%s %s: expected %u, got %u %s", method, path, status, response->status,
             response->text);

  return json_object_ref (dsd_test_response_object (response));
}

static char *
create_online_driver (Fixture    *fixture,
                      const char *name,
                      double      lat,
                      double      lon)
{
  const char *admin = dsd_test_server_get_admin_token (fixture->server);
  g_autoptr(JsonObject) driver = NULL;
  g_autofree char *body = NULL;
  g_autofree char *online = NULL;
  const char *id;

  body = g_strdup_printf ("{\"name\":\"%s\",\"vehicle\":\"scooter\",\"capacity\":3}", name);
  driver = api (fixture, "POST", "/api/v1/drivers", body, 201);
  id = json_object_get_string_member (driver, "id");

  online = g_strdup_printf ("/api/v1/drivers/%s/online", id);
  dsd_test_post_ok (fixture->server, online, admin, "{\"online\":true}");
  dsd_test_post_location (fixture->server, id, admin, lat, lon);

  return g_strdup (id);
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

  fixture->server = dsd_test_server_start (NULL);
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
  g_autoptr(GHashTable) truth = NULL;
  g_autoptr(GHashTable) shown = NULL;
  g_autoptr(JsonObject) cancelled = NULL;
  g_autofree char *cancel_path = NULL;
  Expectation reassigned = { fixture };
  Expectation moved = { fixture };
  Expectation created = { fixture };
  Expectation closed = { fixture };
  const char *from, *to;
  gint64 seq_before, seq_at_kill;
  DcEntity *order;
  gulong handler;

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
  from = dc_order_get_driver_id (DC_ORDER (order));
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

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);
  /* Without a window manager the window never has the keyboard focus, and a
   * blinking cursor then warns about a focus-out it never got. */
  g_object_set (gtk_settings_get_default (), "gtk-cursor-blink", FALSE, NULL);

  g_test_add ("/console/live", Fixture, NULL, fixture_set_up, test_live, fixture_tear_down);

  return g_test_run ();
}
