/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The public tracking page in headless Chromium, driven over the DevTools
 * protocol: it loads, shows the status, follows the driver and the status
 * live, and tells an unknown link apart. Skipped (77) without chromium.
 * With DISPATCH_SCREENSHOT_DIR set, saves tracking.png there (412×900, after
 * the driver moved).
 */
#include <signal.h>
#include <string.h>

#include "test-scenario.h"
#include "test-utils.h"
#include "test-websocket.h"

#define PAGE_TIMEOUT_MS 20000
#define CHROMIUM_START_TIMEOUT_MS 30000

static DsdTestServer *server;

typedef struct {
  GSubprocess      *process;
  char             *profile_dir;
  DsdTestWebsocket *devtools;
  guint             last_id;
} Browser;

static gboolean
profile_removed (gpointer user_data)
{
  const char *argv[] = { "rm", "-rf", "--one-file-system", user_data, NULL };
  int status;

  return g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL,
                       &status, NULL) &&
         g_spawn_check_wait_status (status, NULL);
}

static void
browser_free (Browser *browser)
{
  g_clear_pointer (&browser->devtools, dsd_test_websocket_free);
  if (browser->process != NULL)
    {
      /* Not SIGKILL: the browser takes its helper processes down with it,
       * and they write into the profile until they are gone. */
      g_subprocess_send_signal (browser->process, SIGTERM);
      g_subprocess_wait (browser->process, NULL, NULL);
      g_clear_object (&browser->process);
    }
  /* Its network process may still write its state for a moment. */
  g_assert_true (dsd_test_run_until (profile_removed, browser->profile_dir,
                                     CHROMIUM_START_TIMEOUT_MS));
  g_free (browser->profile_dir);
  g_free (browser);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Browser, browser_free)

/* Whether the file exists with a whole first line. */
static gboolean
has_line (gpointer user_data)
{
  g_autofree char *contents = NULL;

  return g_file_get_contents (user_data, &contents, NULL, NULL) &&
         strchr (contents, '\n') != NULL;
}

static JsonObject *browser_call (Browser    *browser,
                                 const char *method,
                                 JsonNode   *params);

/* Chromium with a new tab, sized as a phone (412×900), showing url. */
static Browser *
browser_open (const char *chromium,
              const char *url)
{
  g_autoptr(Browser) browser = g_new0 (Browser, 1);
  g_autoptr(GError) error = NULL;
  g_autofree char *port_file = NULL;
  g_autofree char *port_text = NULL;
  g_autofree char *user_data = NULL;
  g_autofree char *new_tab = NULL;
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autoptr(SoupMessage) message = NULL;
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(JsonNode) tab = NULL;

  browser->profile_dir = dsd_test_make_tmp_dir ("chromium");
  user_data = g_strconcat ("--user-data-dir=", browser->profile_dir, NULL);
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                                        G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  /* Its temporary files go with the profile. */
  g_subprocess_launcher_setenv (launcher, "TMPDIR", browser->profile_dir, TRUE);
  browser->process = g_subprocess_launcher_spawn (launcher, &error, chromium, "--headless",
                                                  "--no-sandbox", "--disable-gpu",
                                                  "--disable-quic", "--no-first-run",
                                                  "--disable-background-networking",
                                                  "--disable-component-update",
                                                  "--disable-sync", "--hide-scrollbars",
                                                  "--window-size=412,900",
                                                  "--remote-debugging-port=0", user_data,
                                                  "about:blank", NULL);
  g_assert_no_error (error);

  /* Chromium writes the port it picked there. */
  port_file = g_build_filename (browser->profile_dir, "DevToolsActivePort", NULL);
  g_assert_true (dsd_test_run_until (has_line, port_file, CHROMIUM_START_TIMEOUT_MS));
  g_assert_true (g_file_get_contents (port_file, &port_text, NULL, NULL));
  *strchr (port_text, '\n') = '\0';

  new_tab = g_strdup_printf ("http://127.0.0.1:%s/json/new?about:blank", port_text);
  message = soup_message_new ("PUT", new_tab);
  answer = soup_session_send_and_read (session, message, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (message), ==, 200);

  tab = json_from_string (g_bytes_get_data (answer, NULL), &error);
  g_assert_no_error (error);
  browser->devtools = dsd_test_websocket_connect_url (
    json_object_get_string_member (json_node_get_object (tab), "webSocketDebuggerUrl"),
    NULL, NULL);
  g_assert_nonnull (browser->devtools);

  {
    g_autoptr(JsonObject) sized = NULL;
    g_autoptr(JsonObject) navigated = NULL;
    g_autoptr(JsonNode) metrics = json_from_string ("{\"width\":412,\"height\":900,"
                                                   "\"deviceScaleFactor\":1,\"mobile\":true}",
                                                   NULL);
    g_autoptr(JsonBuilder) builder = json_builder_new ();

    sized = browser_call (browser, "Emulation.setDeviceMetricsOverride",
                          g_steal_pointer (&metrics));
    json_builder_begin_object (builder);
    json_builder_set_member_name (builder, "url");
    json_builder_add_string_value (builder, url);
    json_builder_end_object (builder);
    navigated = browser_call (browser, "Page.navigate", json_builder_get_root (builder));
  }

  return g_steal_pointer (&browser);
}

/* One DevTools call; returns its result (transfer full). */
static JsonObject *
browser_call (Browser    *browser,
              const char *method,
              JsonNode   *params)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;
  guint id = ++browser->last_id;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "id");
  json_builder_add_int_value (builder, id);
  json_builder_set_member_name (builder, "method");
  json_builder_add_string_value (builder, method);
  json_builder_set_member_name (builder, "params");
  json_builder_add_value (builder, params);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  text = json_to_string (root, FALSE);
  dsd_test_websocket_send (browser->devtools, text);

  /* Events come in between. */
  for (;;)
    {
      g_autoptr(JsonObject) frame = dsd_test_websocket_next (browser->devtools,
                                                             PAGE_TIMEOUT_MS);

      g_assert_nonnull (frame);
      if (json_object_get_int_member_with_default (frame, "id", 0) != id)
        continue;
      if (json_object_has_member (frame, "error"))
        g_error ("DevTools %s failed: %s", method, text);
      return json_object_ref (json_object_get_object_member (frame, "result"));
    }
}

/* The value of a JavaScript expression, as a string. */
static char *
browser_eval (Browser    *browser,
              const char *expression)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonObject) result = NULL;
  g_autofree char *wrapped = g_strdup_printf ("String(%s)", expression);
  JsonObject *value;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "expression");
  json_builder_add_string_value (builder, wrapped);
  json_builder_set_member_name (builder, "returnByValue");
  json_builder_add_boolean_value (builder, TRUE);
  json_builder_end_object (builder);

  result = browser_call (browser, "Runtime.evaluate", json_builder_get_root (builder));
  value = json_object_get_object_member (result, "result");

  return g_strdup (json_object_get_string_member_with_default (value, "value", ""));
}

/* Polls the page until expression has the expected value. */
static void
browser_wait (Browser    *browser,
              const char *expression,
              const char *expected)
{
  gint64 deadline = g_get_monotonic_time () + PAGE_TIMEOUT_MS * (gint64) 1000;
  g_autofree char *value = NULL;

  while (g_get_monotonic_time () < deadline)
    {
      g_free (value);
      value = browser_eval (browser, expression);
      if (g_str_equal (value, expected))
        return;
      dsd_test_run_for (50);
    }

  g_error ("The page kept %s = \"%s\", expected \"%s\"", expression, value, expected);
}

static void
save_screenshot (Browser *browser)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonObject) result = NULL;
  g_autofree guchar *png = NULL;
  const char *dir = g_getenv ("DISPATCH_SCREENSHOT_DIR");
  gsize length;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "format");
  json_builder_add_string_value (builder, "png");
  json_builder_end_object (builder);
  result = browser_call (browser, "Page.captureScreenshot", json_builder_get_root (builder));

  png = g_base64_decode (json_object_get_string_member (result, "data"), &length);
  g_assert_cmpuint (length, >, 1000);
  g_assert_cmpmem (png, 8, "\x89PNG\r\n\x1a\n", 8);

  if (dir != NULL)
    {
      g_autofree char *path = g_build_filename (dir, "tracking.png", NULL);
      g_autoptr(GError) error = NULL;

      g_file_set_contents (path, (const char *) png, length, &error);
      g_assert_no_error (error);
      g_test_message ("Saved %s", path);
    }
}

static void
test_live_page (gconstpointer data)
{
  const char *chromium = data;
  g_autofree char *driver_id = NULL;
  g_autofree char *driver = dsd_test_create_named_driver (server, 52.5200, 13.4050, &driver_id);
  g_autoptr(JsonObject) order = dsd_test_create_order (server,
                                                       dsd_test_server_get_admin_token (server),
                                                       NULL);
  const char *order_id = json_object_get_string_member (order, "id");
  g_autofree char *status = g_strdup_printf ("/api/v1/orders/%s/status", order_id);
  g_autofree char *url = NULL;
  g_autoptr(Browser) browser = NULL;

  dsd_test_assign (server, order_id, driver_id);

  url = g_strdup_printf ("%s/track/%s", dsd_test_server_get_url (server),
                         json_object_get_string_member (order, "tracking_token"));
  browser = browser_open (chromium, url);

  /* Loaded with the status, then live */
  browser_wait (browser, "document.body.dataset.status", "assigned");
  browser_wait (browser, "document.getElementById('status-title').textContent",
                "Maria is picking up your order");
  browser_wait (browser, "document.body.classList.contains('connected')", "true");
  browser_wait (browser, "document.body.dataset.driverLat", "52.52");

  /* The driver moves: the marker follows */
  dsd_test_post_location (server, driver_id, driver, 52.5185, 13.4101);
  browser_wait (browser, "document.body.dataset.driverLat", "52.5185");
  browser_wait (browser, "document.body.dataset.moving", "undefined");
  save_screenshot (browser);

  dsd_test_post_ok (server, status, driver, "{\"status\":\"picked_up\"}");
  browser_wait (browser, "document.getElementById('status-title').textContent",
                "Maria is on the way");

  dsd_test_post_ok (server, status, driver, "{\"status\":\"delivered\"}");
  browser_wait (browser, "document.body.dataset.status", "delivered");
  browser_wait (browser, "document.getElementById('live-text').textContent",
                "Delivery finished");
}

static void
test_unknown_link (gconstpointer data)
{
  g_autofree char *url = g_strdup_printf ("%s/track/no-such-link",
                                          dsd_test_server_get_url (server));
  g_autoptr(Browser) browser = browser_open (data, url);

  browser_wait (browser, "document.body.dataset.status", "unknown");
  browser_wait (browser, "document.getElementById('status-title').textContent",
                "We can’t find this delivery");
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *chromium = g_find_program_in_path ("chromium");
  int result;

  if (chromium == NULL)
    {
      g_printerr ("chromium is not installed: skipping\n");
      return 77;
    }

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  server = dsd_test_server_start (NULL);

  g_test_add_data_func ("/tracking-page/live", chromium, test_live_page);
  g_test_add_data_func ("/tracking-page/unknown-link", chromium, test_unknown_link);

  result = g_test_run ();
  dsd_test_server_free (server);

  return result;
}
