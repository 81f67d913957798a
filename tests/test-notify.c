/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <signal.h>

#include "dispatch-error.h"
#include "dsd-notify-error.h"
#include "dsd-pg-cluster.h"
#include "dsd-pg-pool.h"
#include "dsd-webhook-sender.h"
#include "dsd-webhook-target.h"
#include "test-server.h"
#include "test-utils.h"

#define WAIT_MS 30000
/* A claimed delivery is leased for the 10 s timeout plus a margin. */
#define LEASE_WAIT_MS 60000
#define MAIL_FROM "Dispatch Test <dispatch@example.org>"
#define PUBLIC_URL "https://track.example.org"
#define SECRET "test-webhook-secret-0123456789"

#define ORDER_BODY_WITH_EMAIL(email) \
  "{\"pickup\":{\"lat\":52.52,\"lon\":13.405},\"dropoff\":{\"lat\":52.50,\"lon\":13.37}," \
  "\"contact\":{\"name\":\"Zoë Example\",\"email\":\"" email "\"}}"
#define ORDER_BODY \
  "{\"pickup\":{\"lat\":52.52,\"lon\":13.405},\"dropoff\":{\"lat\":52.50,\"lon\":13.37}}"

#define POLL_MS 100

/* The real SMTP server (tests/smtp-sink.py) ----------------------------------- */

typedef struct {
  GSubprocess *process;
  char        *dir;
  guint        port;
} SmtpSink;

static SmtpSink *
smtp_sink_start (void)
{
  SmtpSink *sink = g_new0 (SmtpSink, 1);
  g_autofree char *script = g_test_build_filename (G_TEST_DIST, "smtp-sink.py", NULL);
  g_autoptr(GDataInputStream) output = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;

  sink->dir = dsd_test_make_tmp_dir ("smtp-sink");
  /* Debian's python3 has python3-aiosmtpd; a python earlier in PATH may not. */
  sink->process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                    G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error,
                                    "/usr/bin/python3", script, sink->dir, NULL);
  g_assert_no_error (error);

  output = g_data_input_stream_new (g_subprocess_get_stdout_pipe (sink->process));
  line = g_data_input_stream_read_line (output, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  sink->port = (guint) g_ascii_strtoull (line, NULL, 10);
  g_assert_cmpuint (sink->port, >, 0);

  return sink;
}

static void
smtp_sink_free (SmtpSink *sink)
{
  g_subprocess_send_signal (sink->process, SIGTERM);
  g_subprocess_wait (sink->process, NULL, NULL);
  g_object_unref (sink->process);
  dsd_test_remove_tree (sink->dir);
  g_free (sink->dir);
  g_free (sink);
}

/* Every message received so far, parsed by Python's email package. */
static GPtrArray *
smtp_sink_messages (SmtpSink *sink)
{
  GPtrArray *messages = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  g_autoptr(GDir) dir = g_dir_open (sink->dir, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = NULL;
      g_autofree char *contents = NULL;
      g_autoptr(JsonNode) node = NULL;

      if (!g_str_has_suffix (name, ".json"))
        continue;
      path = g_build_filename (sink->dir, name, NULL);
      g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
      node = json_from_string (contents, NULL);
      g_assert_true (node != NULL && JSON_NODE_HOLDS_OBJECT (node));
      g_ptr_array_add (messages, json_object_ref (json_node_get_object (node)));
    }

  return messages;
}

typedef struct {
  SmtpSink   *sink;
  const char *recipient;
  const char *subject;
  JsonObject *found;
} MailQuery;

static gboolean
mail_arrived (gpointer user_data)
{
  MailQuery *query = user_data;
  g_autoptr(GPtrArray) messages = smtp_sink_messages (query->sink);

  for (guint i = 0; i < messages->len; i++)
    {
      JsonObject *message = messages->pdata[i];
      JsonArray *recipients = json_object_get_array_member (message, "rcpt_tos");

      if (json_array_get_length (recipients) == 1 &&
          g_str_equal (json_array_get_string_element (recipients, 0), query->recipient) &&
          g_str_equal (json_object_get_string_member (message, "subject"), query->subject))
        {
          query->found = json_object_ref (message);
          return TRUE;
        }
    }

  return FALSE;
}

/* Waits for the message to recipient with this subject and checks that it is
 * proper MIME with the tracking link. */
static void
assert_mail (SmtpSink   *sink,
             const char *recipient,
             const char *subject,
             const char *tracking_url,
             const char *must_contain)
{
  MailQuery query = { sink, recipient, subject, NULL };
  g_autoptr(JsonObject) message = NULL;
  const char *text, *html;

  if (!dsd_test_poll_until (mail_arrived, &query, POLL_MS, WAIT_MS))
    g_error ("No e-mail “%s” to %s", subject, recipient);
  message = query.found;

  g_assert_cmpstr (json_object_get_string_member (message, "mail_from"), ==,
                   "dispatch@example.org");
  g_assert_cmpstr (json_object_get_string_member (message, "from"), ==, MAIL_FROM);
  g_assert_cmpstr (json_object_get_string_member (message, "to"), ==, recipient);
  /* Headers are 7-bit: non-ASCII text as RFC 2047 encoded words */
  g_assert_true (g_str_is_ascii (json_object_get_string_member (message, "subject_raw")));
  g_assert_cmpstr (json_object_get_string_member (message, "mime_version"), ==, "1.0");
  g_assert_cmpstr (json_object_get_string_member (message, "content_type"), ==,
                   "multipart/alternative");
  g_assert_cmpstr (json_object_get_string_member (message, "date"), !=, "None");
  g_assert_true (g_str_has_suffix (json_object_get_string_member (message, "message_id"),
                                   "@example.org>"));
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (message, "defects")),
                    ==, 0);

  text = json_object_get_string_member (message, "text");
  html = json_object_get_string_member (message, "html");
  g_assert_nonnull (strstr (text, tracking_url));
  g_assert_nonnull (strstr (text, "Hello Zoë Example,"));
  g_assert_nonnull (strstr (html, tracking_url));
  if (must_contain != NULL)
    g_assert_nonnull (strstr (text, must_contain));
}

/* A webhook receiver on loopback, on its own thread ------------------------ */

typedef enum {
  HOOK_OK,
  HOOK_FAIL,    /* answers 500 */
  HOOK_STALL,   /* never answers */
} HookMode;

typedef struct {
  char    *event_id_header;
  char    *content_type;
  GBytes  *body;
  gboolean signature_ok;
  guint    status;          /* what the receiver answered, 0 while stalled */
} Received;

typedef struct {
  char      *secret;
  HookMode   mode;
  guint      n_failures;    /* HOOK_FAIL for this many requests, then HOOK_OK (0: always) */
  GPtrArray *received;      /* Received * */
} Hook;

typedef struct {
  GThread      *thread;
  GMainContext *context;
  GMainLoop    *loop;
  guint         port;
  GMutex        lock;
  GCond         ready;
  GHashTable   *hooks;      /* path → Hook * */
  GPtrArray    *stalled;    /* SoupServerMessage *, held until the receiver stops */
} Receiver;

static void
received_free (Received *received)
{
  g_free (received->event_id_header);
  g_free (received->content_type);
  g_bytes_unref (received->body);
  g_free (received);
}

static void
hook_free (Hook *hook)
{
  g_free (hook->secret);
  g_ptr_array_unref (hook->received);
  g_free (hook);
}

static void
receive_cb (SoupServer        *server,
            SoupServerMessage *message,
            const char        *path,
            GHashTable        *query,
            gpointer           user_data)
{
  Receiver *receiver = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (message);
  g_autoptr(GBytes) body = NULL;
  Received *received;
  Hook *hook;

  body = soup_message_body_flatten (soup_server_message_get_request_body (message));

  g_mutex_lock (&receiver->lock);
  hook = g_hash_table_lookup (receiver->hooks, path);
  if (hook == NULL || !g_str_equal (soup_server_message_get_method (message), "POST"))
    {
      g_mutex_unlock (&receiver->lock);
      soup_server_message_set_status (message, 404, NULL);
      return;
    }

  received = g_new0 (Received, 1);
  received->event_id_header = g_strdup (soup_message_headers_get_one (headers,
                                                                      "X-Dispatch-Event-Id"));
  received->content_type = g_strdup (soup_message_headers_get_content_type (headers, NULL));
  received->body = g_bytes_ref (body);
  {
    g_autofree char *expected = dsd_webhook_sign (hook->secret, body);

    received->signature_ok = g_strcmp0 (soup_message_headers_get_one (headers,
                                                                      "X-Dispatch-Signature"),
                                        expected) == 0;
  }
  g_ptr_array_add (hook->received, received);

  switch (hook->mode)
    {
    case HOOK_STALL:
      soup_server_message_pause (message);
      g_ptr_array_add (receiver->stalled, g_object_ref (message));
      hook->mode = HOOK_OK;
      break;

    case HOOK_FAIL:
      received->status = 500;
      if (hook->n_failures > 0 && --hook->n_failures == 0)
        hook->mode = HOOK_OK;
      break;

    case HOOK_OK:
    default:
      received->status = 200;
      break;
    }
  g_mutex_unlock (&receiver->lock);

  if (received->status != 0)
    soup_server_message_set_status (message, received->status, NULL);
}

static gpointer
receiver_thread (gpointer user_data)
{
  Receiver *receiver = user_data;
  g_autoptr(SoupServer) server = NULL;
  g_autoptr(GError) error = NULL;
  GSList *uris;

  g_main_context_push_thread_default (receiver->context);
  server = soup_server_new (NULL, NULL);
  soup_server_add_handler (server, "/hooks", receive_cb, receiver, NULL);
  soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_assert_no_error (error);
  uris = soup_server_get_uris (server);

  g_mutex_lock (&receiver->lock);
  receiver->port = g_uri_get_port (uris->data);
  g_cond_signal (&receiver->ready);
  g_mutex_unlock (&receiver->lock);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  g_main_loop_run (receiver->loop);

  g_ptr_array_set_size (receiver->stalled, 0);
  soup_server_disconnect (server);
  g_main_context_pop_thread_default (receiver->context);
  return NULL;
}

static Receiver *
receiver_start (void)
{
  Receiver *receiver = g_new0 (Receiver, 1);

  g_mutex_init (&receiver->lock);
  g_cond_init (&receiver->ready);
  receiver->context = g_main_context_new ();
  receiver->loop = g_main_loop_new (receiver->context, FALSE);
  receiver->hooks = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                           (GDestroyNotify) hook_free);
  receiver->stalled = g_ptr_array_new_with_free_func (g_object_unref);

  g_mutex_lock (&receiver->lock);
  receiver->thread = g_thread_new ("webhook-receiver", receiver_thread, receiver);
  while (receiver->port == 0)
    g_cond_wait (&receiver->ready, &receiver->lock);
  g_mutex_unlock (&receiver->lock);

  return receiver;
}

static void
receiver_stop (Receiver *receiver)
{
  g_main_loop_quit (receiver->loop);
  g_thread_join (receiver->thread);
  g_main_loop_unref (receiver->loop);
  g_main_context_unref (receiver->context);
  g_hash_table_unref (receiver->hooks);
  g_ptr_array_unref (receiver->stalled);
  g_mutex_clear (&receiver->lock);
  g_cond_clear (&receiver->ready);
  g_free (receiver);
}

/* A new path on the receiver; returns its full URL. */
static char *
receiver_add_hook (Receiver   *receiver,
                   const char *secret,
                   HookMode    mode,
                   guint       n_failures)
{
  g_autofree char *name = dsd_test_unique_name ("hook");
  char *path = g_strconcat ("/hooks/", name, NULL);
  Hook *hook = g_new0 (Hook, 1);

  hook->secret = g_strdup (secret);
  hook->mode = mode;
  hook->n_failures = n_failures;
  hook->received = g_ptr_array_new_with_free_func ((GDestroyNotify) received_free);

  g_mutex_lock (&receiver->lock);
  g_hash_table_insert (receiver->hooks, path, hook);
  g_mutex_unlock (&receiver->lock);

  return g_strdup_printf ("http://127.0.0.1:%u%s", receiver->port, path);
}

static const char *
url_path (const char *url)
{
  return strstr (url, "/hooks/");
}

static void
receiver_set_mode (Receiver   *receiver,
                   const char *url,
                   HookMode    mode)
{
  g_mutex_lock (&receiver->lock);
  ((Hook *) g_hash_table_lookup (receiver->hooks, url_path (url)))->mode = mode;
  g_mutex_unlock (&receiver->lock);
}

/* Deliveries of the event with this envelope id and of this type (any, when
 * NULL): how many, and how many of them were answered 2xx. Every delivery
 * must be well-formed and correctly signed. */
typedef struct {
  Receiver   *receiver;
  const char *url;
  const char *event_id;
  const char *event_type;
  guint       at_least;
  guint       n;
  guint       n_ok;
  char       *first_event_id;
} DeliveryQuery;

/* Asserts a well-formed, correctly signed envelope; returns its type. */
static const char *
check_received (Received *received)
{
  g_autoptr(JsonNode) node = NULL;
  JsonObject *envelope;

  g_assert_true (received->signature_ok);
  g_assert_cmpstr (received->content_type, ==, "application/json");
  node = json_from_string (g_bytes_get_data (received->body, NULL), NULL);
  g_assert_true (node != NULL && JSON_NODE_HOLDS_OBJECT (node));
  envelope = json_node_get_object (node);
  g_assert_cmpstr (json_object_get_string_member (envelope, "id"), ==,
                   received->event_id_header);
  g_assert_cmpint (json_object_get_int_member (envelope, "seq"), >, 0);
  g_assert_true (json_object_has_member (envelope, "occurred_at"));
  g_assert_true (json_object_has_member (envelope, "data"));

  return g_intern_string (json_object_get_string_member (envelope, "type"));
}

static gboolean
deliveries_arrived (gpointer user_data)
{
  DeliveryQuery *query = user_data;
  Hook *hook;

  g_mutex_lock (&query->receiver->lock);
  hook = g_hash_table_lookup (query->receiver->hooks, url_path (query->url));
  query->n = query->n_ok = 0;
  for (guint i = 0; i < hook->received->len; i++)
    {
      Received *received = hook->received->pdata[i];
      const char *type = check_received (received);

      if ((query->event_id != NULL && g_strcmp0 (received->event_id_header, query->event_id)) ||
          (query->event_type != NULL && g_strcmp0 (type, query->event_type) != 0))
        continue;
      if (query->first_event_id == NULL)
        query->first_event_id = g_strdup (received->event_id_header);
      query->n++;
      if (SOUP_STATUS_IS_SUCCESSFUL (received->status))
        query->n_ok++;
    }
  g_mutex_unlock (&query->receiver->lock);

  return query->n >= query->at_least;
}

/* Waits for at least n deliveries (of event_id and event_type, when given);
 * returns the first one's event id. */
static char *
wait_deliveries (Receiver   *receiver,
                 const char *url,
                 const char *event_id,
                 const char *event_type,
                 guint       n,
                 guint       timeout_ms,
                 guint      *out_n_ok)
{
  DeliveryQuery query = { receiver, url, event_id, event_type, n };

  if (!dsd_test_poll_until (deliveries_arrived, &query, POLL_MS, timeout_ms))
    g_error ("%s: %u of %u deliveries within %u ms", url, query.n, n, timeout_ms);
  if (out_n_ok != NULL)
    *out_n_ok = query.n_ok;

  return query.first_event_id;
}

/* The events received at url, by seq (as text) → envelope id. */
static GHashTable *
received_by_seq (Receiver   *receiver,
                 const char *url)
{
  GHashTable *by_seq = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  Hook *hook;

  g_mutex_lock (&receiver->lock);
  hook = g_hash_table_lookup (receiver->hooks, url_path (url));
  for (guint i = 0; i < hook->received->len; i++)
    {
      Received *received = hook->received->pdata[i];
      g_autoptr(JsonNode) node = json_from_string (g_bytes_get_data (received->body, NULL), NULL);
      JsonObject *envelope = json_node_get_object (node);
      char *seq = g_strdup_printf ("%" G_GINT64_FORMAT,
                                   json_object_get_int_member (envelope, "seq"));
      const char *known = g_hash_table_lookup (by_seq, seq);

      /* Redeliveries carry the same id. */
      if (known != NULL)
        g_assert_cmpstr (known, ==, received->event_id_header);
      g_hash_table_replace (by_seq, seq, g_strdup (received->event_id_header));
    }
  g_mutex_unlock (&receiver->lock);

  return by_seq;
}

/* Fixture: a server with e-mail and private webhook targets ---------------- */

typedef struct {
  SmtpSink      *sink;
  Receiver      *receiver;
  DsdTestServer *server;
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autofree char *smtp_url = NULL;

  fixture->sink = smtp_sink_start ();
  fixture->receiver = receiver_start ();
  smtp_url = g_strdup_printf ("SMTP_URL=smtp://127.0.0.1:%u", fixture->sink->port);
  fixture->server = dsd_test_server_start ((const char * const[]) {
    smtp_url,
    "DISPATCH_MAIL_FROM=" MAIL_FROM,
    "DISPATCH_PUBLIC_URL=" PUBLIC_URL "/",
    "DISPATCH_WEBHOOK_ALLOW_PRIVATE=true",
    "DISPATCH_WEBHOOK_RETRY_BASE_S=1",
    "DISPATCH_WEBHOOK_MAX_ATTEMPTS=3",
    NULL
  });
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  dsd_test_server_free (fixture->server);
  receiver_stop (fixture->receiver);
  smtp_sink_free (fixture->sink);
}

static char *
create_webhook (DsdTestServer *server,
                const char    *url,
                const char    *events)
{
  g_autofree char *body = g_strdup_printf ("{\"url\":\"%s\",\"events\":%s,\"secret\":\"%s\"}",
                                           url, events, SECRET);
  g_autoptr(DsdTestResponse) response = NULL;

  response = dsd_test_request (server, "POST", "/api/v1/webhooks",
                               dsd_test_server_get_admin_token (server), body, NULL);
  if (response->status != 201)
    g_error ("Creating a webhook failed: %u %s", response->status, response->text);
  g_assert_cmpstr (dsd_test_response_string (response, "secret"), ==, SECRET);

  return g_strdup (dsd_test_response_string (response, "id"));
}

static JsonObject *
post_order (DsdTestServer *server,
            const char    *token,
            const char    *body)
{
  g_autoptr(DsdTestResponse) response = NULL;

  response = dsd_test_request (server, "POST", "/api/v1/orders", token, body, NULL);
  if (response->status != 201)
    g_error ("Order creation failed: %u %s", response->status, response->text);

  return json_object_ref (dsd_test_response_object (response));
}

static void
order_action (DsdTestServer *server,
              const char    *token,
              const char    *order_id,
              const char    *action,
              const char    *body)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/orders/%s/%s", order_id, action);
  g_autoptr(DsdTestResponse) response = NULL;

  response = dsd_test_request (server, "POST", path, token, body, NULL);
  if (response->status != 200)
    g_error ("%s failed: %u %s", path, response->status, response->text);
}

static char *
tracking_url (JsonObject *order)
{
  return g_strconcat (PUBLIC_URL "/track/", json_object_get_string_member (order, "tracking_token"),
                      NULL);
}

/* E-mail -------------------------------------------------------------------- */

static void
test_email_lifecycle (Fixture       *fixture,
                      gconstpointer  data)
{
  DsdTestServer *server = fixture->server;
  const char *admin = dsd_test_server_get_admin_token (server);
  g_autofree char *customer = dsd_test_create_user (server, "customer", NULL, NULL);
  g_autofree char *driver_id = NULL;
  g_autofree char *driver = dsd_test_create_online_driver (server, 52.52, 13.405, &driver_id);
  g_autofree char *assign = g_strdup_printf ("{\"driver_id\":\"%s\"}", driver_id);
  g_autoptr(JsonObject) delivered = NULL;
  g_autoptr(JsonObject) cancelled = NULL;
  g_autoptr(JsonObject) failed = NULL;
  g_autofree char *delivered_url = NULL;
  g_autofree char *cancelled_url = NULL;
  g_autofree char *failed_url = NULL;
  g_autofree char *log = NULL;

  log = dsd_test_server_get_log (server);
  g_assert_nonnull (strstr (log, "E-mail notifications on"));

  /* created → assigned → picked up → delivered */
  delivered = post_order (server, customer, ORDER_BODY_WITH_EMAIL ("ada@example.org"));
  delivered_url = tracking_url (delivered);
  assert_mail (fixture->sink, "ada@example.org", "We have received your order",
               delivered_url, NULL);
  order_action (server, admin, json_object_get_string_member (delivered, "id"), "assign",
                assign);
  assert_mail (fixture->sink, "ada@example.org", "A driver has been assigned to your order",
               delivered_url, NULL);
  order_action (server, driver, json_object_get_string_member (delivered, "id"), "status",
                "{\"status\":\"picked_up\"}");
  assert_mail (fixture->sink, "ada@example.org", "Your order is on its way", delivered_url, NULL);
  order_action (server, driver, json_object_get_string_member (delivered, "id"), "status",
                "{\"status\":\"delivered\"}");
  assert_mail (fixture->sink, "ada@example.org", "Your order has been delivered",
               delivered_url, NULL);

  /* cancelled, with the reason */
  cancelled = post_order (server, customer, ORDER_BODY_WITH_EMAIL ("bob@example.org"));
  cancelled_url = tracking_url (cancelled);
  order_action (server, customer, json_object_get_string_member (cancelled, "id"), "cancel",
                "{\"reason\":\"changed my mind\"}");
  assert_mail (fixture->sink, "bob@example.org", "Your order has been cancelled",
               cancelled_url, "changed my mind");

  /* failed */
  failed = post_order (server, customer, ORDER_BODY_WITH_EMAIL ("eve@example.org"));
  failed_url = tracking_url (failed);
  order_action (server, admin, json_object_get_string_member (failed, "id"), "assign", assign);
  order_action (server, driver, json_object_get_string_member (failed, "id"), "status",
                "{\"status\":\"failed\",\"reason\":\"nobody home\"}");
  assert_mail (fixture->sink, "eve@example.org", "Your order could not be delivered",
               failed_url, "nobody home");
}

/* Arrival alerts ------------------------------------------------------------ */

static void
post_location (DsdTestServer *server,
               const char    *token,
               const char    *driver_id,
               double         lat,
               double         lon,
               double         speed_mps)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/drivers/%s/location", driver_id);
  char lat_text[G_ASCII_DTOSTR_BUF_SIZE], lon_text[G_ASCII_DTOSTR_BUF_SIZE];
  char speed_text[G_ASCII_DTOSTR_BUF_SIZE];
  g_autofree char *body = g_strdup_printf ("{\"lat\":%s,\"lon\":%s,\"speed_mps\":%s}",
                                           g_ascii_dtostr (lat_text, sizeof lat_text, lat),
                                           g_ascii_dtostr (lon_text, sizeof lon_text, lon),
                                           g_ascii_dtostr (speed_text, sizeof speed_text,
                                                           speed_mps));
  g_autoptr(DsdTestResponse) response = NULL;

  response = dsd_test_request (server, "POST", path, token, body, NULL);
  g_assert_cmpuint (response->status, ==, 202);
}

static guint
count_order_events (DsdTestServer *server,
                    const char    *order_id,
                    const char    *type)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/orders/%s/events", order_id);
  g_autoptr(DsdTestResponse) response = NULL;
  JsonArray *events;
  guint n = 0;

  response = dsd_test_request (server, "GET", path, dsd_test_server_get_admin_token (server),
                               NULL, NULL);
  g_assert_cmpuint (response->status, ==, 200);
  events = json_object_get_array_member (dsd_test_response_object (response), "events");
  for (guint i = 0; i < json_array_get_length (events); i++)
    {
      JsonObject *event = json_array_get_object_element (events, i);

      n += g_str_equal (json_object_get_string_member (event, "type"), type);
    }

  return n;
}

/* Default settings: order.arriving within 300 s of a stop, arrival inside 50 m
 * below 2 m/s. The driver starts 30 km away (beyond automation's reach). */
static void
test_arrival (Fixture       *fixture,
              gconstpointer  data)
{
  DsdTestServer *server = fixture->server;
  const char *admin = dsd_test_server_get_admin_token (server);
  g_autofree char *customer = dsd_test_create_user (server, "customer", NULL, NULL);
  g_autofree char *url = receiver_add_hook (fixture->receiver, SECRET, HOOK_OK, 0);
  g_autofree char *hook = create_webhook (server, url,
                                          "[\"order.arriving\",\"order.arrived_at_stop\"]");
  g_autofree char *driver_id = NULL;
  g_autofree char *driver = dsd_test_create_online_driver (server, 52.25, 13.405, &driver_id);
  g_autofree char *assign = g_strdup_printf ("{\"driver_id\":\"%s\"}", driver_id);
  g_autoptr(JsonObject) order = post_order (server, customer,
                                            ORDER_BODY_WITH_EMAIL ("ann@example.org"));
  const char *id = json_object_get_string_member (order, "id");
  g_autofree char *order_path = g_strdup_printf ("/api/v1/orders/%s", id);
  g_autofree char *link = tracking_url (order);
  g_autofree char *first = NULL;
  g_autofree char *arrived = NULL;
  g_autoptr(DsdTestResponse) still = NULL;

  order_action (server, admin, id, "assign", assign);

  /* Far away: nothing. 200 m from the pickup: arriving. At the pickup, stopped: arrived. */
  post_location (server, driver, driver_id, 52.40, 13.405, 8.0);
  post_location (server, driver, driver_id, 52.5182, 13.405, 8.0);
  first = wait_deliveries (fixture->receiver, url, NULL, "order.arriving", 1, WAIT_MS, NULL);
  post_location (server, driver, driver_id, 52.52, 13.405, 0.0);
  arrived = wait_deliveries (fixture->receiver, url, NULL, "order.arrived_at_stop", 1, WAIT_MS,
                             NULL);
  still = dsd_test_request (server, "GET", order_path, admin, NULL, NULL);
  g_assert_cmpstr (dsd_test_response_string (still, "status"), ==, "assigned");

  /* On to the dropoff: the customer hears how far the driver is. */
  order_action (server, driver, id, "status", "{\"status\":\"picked_up\"}");
  post_location (server, driver, driver_id, 52.5018, 13.37, 8.0);
  post_location (server, driver, driver_id, 52.5017, 13.37, 8.0);
  assert_mail (fixture->sink, "ann@example.org", "Your driver is almost there", link,
               "Your driver is 1 minute away.");

  /* Once per stop. */
  g_assert_cmpuint (count_order_events (server, id, "order.arriving"), ==, 2);
  g_assert_cmpuint (count_order_events (server, id, "order.arrived_at_stop"), ==, 1);
}

/* Webhooks ------------------------------------------------------------------ */

static gint64
metric_value (DsdTestServer *server,
              const char    *series)
{
  g_autoptr(DsdTestResponse) response = dsd_test_request (server, "GET", "/metrics", NULL,
                                                          NULL, NULL);
  const char *line = strstr (response->text, series);

  return line != NULL ? g_ascii_strtoll (line + strlen (series), NULL, 10) : 0;
}

typedef struct {
  DsdTestServer *server;
  Receiver      *receiver;
  const char    *url;
  const char    *order_id;
} HistoryQuery;

/* Every order.* event of the order's history has been published (it has a
 * seq) and has arrived. */
static gboolean
history_delivered (gpointer user_data)
{
  HistoryQuery *query = user_data;
  g_autofree char *path = g_strdup_printf ("/api/v1/orders/%s/events", query->order_id);
  g_autoptr(DsdTestResponse) history = NULL;
  g_autoptr(GHashTable) by_seq = received_by_seq (query->receiver, query->url);
  JsonArray *events;

  history = dsd_test_request (query->server, "GET", path,
                              dsd_test_server_get_admin_token (query->server), NULL, NULL);
  events = json_object_get_array_member (dsd_test_response_object (history), "events");
  g_assert_cmpuint (json_array_get_length (events), >=, 5);
  for (guint i = 0; i < json_array_get_length (events); i++)
    {
      JsonObject *event = json_array_get_object_element (events, i);
      JsonNode *seq_node = json_object_get_member (event, "seq");
      g_autofree char *seq = NULL;

      if (!g_str_has_prefix (json_object_get_string_member (event, "type"), "order."))
        continue;
      if (JSON_NODE_HOLDS_NULL (seq_node))
        return FALSE;
      seq = g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (seq_node));
      if (!g_hash_table_contains (by_seq, seq))
        return FALSE;
    }

  return TRUE;
}

static void
test_webhook_delivery (Fixture       *fixture,
                       gconstpointer  data)
{
  DsdTestServer *server = fixture->server;
  const char *admin = dsd_test_server_get_admin_token (server);
  g_autofree char *url = receiver_add_hook (fixture->receiver, SECRET, HOOK_OK, 0);
  /* The driver waits at the pickup: its arrival alerts are order events too. */
  g_autofree char *id = create_webhook (server, url,
                                        "[\"order.created\",\"order.assigned\","
                                        "\"order.updated\",\"order.arriving\","
                                        "\"order.arrived_at_stop\"]");
  g_autofree char *driver_id = NULL;
  g_autofree char *driver = dsd_test_create_online_driver (server, 52.52, 13.405, &driver_id);
  g_autofree char *assign = g_strdup_printf ("{\"driver_id\":\"%s\"}", driver_id);
  g_autofree char *webhook_path = g_strconcat ("/api/v1/webhooks/", id, NULL);
  g_autoptr(JsonObject) order = NULL;
  g_autoptr(DsdTestResponse) fetched = NULL;
  g_autoptr(DsdTestResponse) listed = NULL;
  g_autoptr(DsdTestResponse) deleted = NULL;
  g_autofree char *log = NULL;
  g_autoptr(DsdTestResponse) gone = NULL;
  HistoryQuery query = { server, fixture->receiver, url, NULL };
  JsonArray *webhooks;
  gboolean listed_here = FALSE;

  fetched = dsd_test_request (server, "GET", webhook_path, admin, NULL, NULL);
  g_assert_cmpuint (fetched->status, ==, 200);
  g_assert_cmpstr (dsd_test_response_string (fetched, "url"), ==, url);
  g_assert_false (json_object_has_member (dsd_test_response_object (fetched), "secret"));

  listed = dsd_test_request (server, "GET", "/api/v1/webhooks?limit=500", admin, NULL, NULL);
  g_assert_cmpuint (listed->status, ==, 200);
  webhooks = json_object_get_array_member (dsd_test_response_object (listed), "webhooks");
  for (guint i = 0; i < json_array_get_length (webhooks); i++)
    {
      JsonObject *webhook = json_array_get_object_element (webhooks, i);

      g_assert_false (json_object_has_member (webhook, "secret"));
      listed_here |= g_str_equal (json_object_get_string_member (webhook, "id"), id);
    }
  g_assert_true (listed_here);
  g_assert_true (json_object_has_member (dsd_test_response_object (listed), "next"));

  order = post_order (server, admin, ORDER_BODY);
  g_free (wait_deliveries (fixture->receiver, url, NULL, "order.created", 1, WAIT_MS, NULL));
  order_action (server, admin, json_object_get_string_member (order, "id"), "assign", assign);
  order_action (server, driver, json_object_get_string_member (order, "id"), "status",
                "{\"status\":\"picked_up\"}");
  order_action (server, driver, json_object_get_string_member (order, "id"), "status",
                "{\"status\":\"delivered\"}");

  /* Every subscribed event of the order arrives, under the id it has for good. */
  query.order_id = json_object_get_string_member (order, "id");
  g_assert_true (dsd_test_poll_until (history_delivered, &query, POLL_MS, WAIT_MS));

  deleted = dsd_test_request (server, "DELETE", webhook_path, admin, NULL, NULL);
  g_assert_cmpuint (deleted->status, ==, 204);
  g_assert_cmpstr (deleted->text, ==, "");
  gone = dsd_test_request (server, "GET", webhook_path, admin, NULL, NULL);
  dsd_test_assert_error (gone, 404, "not_found", NULL);

  /* An empty 204 body made libsoup log a CRITICAL. */
  log = dsd_test_server_get_log (server);
  g_assert_null (strstr (log, "CRITICAL"));
}

static void
test_webhook_generated_secret (Fixture       *fixture,
                               gconstpointer  data)
{
  DsdTestServer *server = fixture->server;
  g_autofree char *url = receiver_add_hook (fixture->receiver, "unused", HOOK_OK, 0);
  g_autofree char *body = g_strdup_printf ("{\"url\":\"%s\",\"events\":[\"alert\"]}", url);
  g_autoptr(DsdTestResponse) response = NULL;
  const char *secret;

  response = dsd_test_request (server, "POST", "/api/v1/webhooks",
                               dsd_test_server_get_admin_token (server), body, NULL);
  g_assert_cmpuint (response->status, ==, 201);
  secret = dsd_test_response_string (response, "secret");
  g_assert_nonnull (secret);
  g_assert_cmpuint (strlen (secret), ==, 64);
  g_assert_true (strspn (secret, "0123456789abcdef") == 64);
  g_assert_cmpstr (dsd_test_response_string (response, "url"), ==, url);
  g_assert_nonnull (dsd_test_response_string (response, "created_at"));
}

/* Fails twice, then the third and last attempt succeeds. */
static void
test_webhook_retry (Fixture       *fixture,
                    gconstpointer  data)
{
  DsdTestServer *server = fixture->server;
  g_autofree char *url = receiver_add_hook (fixture->receiver, SECRET, HOOK_FAIL, 2);
  g_autofree char *id = create_webhook (server, url, "[\"order.created\"]");
  g_autofree char *dead_path = g_strdup_printf ("/api/v1/webhooks/%s/dead-letters", id);
  g_autoptr(JsonObject) order = NULL;
  g_autoptr(DsdTestResponse) dead = NULL;
  g_autofree char *event_id = NULL;
  guint n_ok = 0;

  order = post_order (server, dsd_test_server_get_admin_token (server), ORDER_BODY);
  event_id = wait_deliveries (fixture->receiver, url, NULL, "order.created", 1, WAIT_MS, NULL);
  g_free (wait_deliveries (fixture->receiver, url, event_id, "order.created", 3, WAIT_MS, &n_ok));
  g_assert_cmpuint (n_ok, ==, 1);

  g_assert_cmpint (metric_value (server, "dispatch_notifications_total{channel=\"webhook\","
                                         "outcome=\"retried\"} "), >=, 2);
  g_assert_cmpint (metric_value (server, "dispatch_notifications_total{channel=\"webhook\","
                                         "outcome=\"sent\"} "), >=, 1);

  dead = dsd_test_request (server, "GET", dead_path, dsd_test_server_get_admin_token (server),
                           NULL, NULL);
  g_assert_cmpuint (dead->status, ==, 200);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (
                      dsd_test_response_object (dead), "dead_letters")), ==, 0);
}

typedef struct {
  DsdTestServer *server;
  const char    *path;
  JsonObject    *first;
} DeadLetterQuery;

static gboolean
dead_letters_listed (gpointer user_data)
{
  DeadLetterQuery *query = user_data;
  g_autoptr(DsdTestResponse) response = NULL;
  JsonArray *letters;

  response = dsd_test_request (query->server, "GET", query->path,
                               dsd_test_server_get_admin_token (query->server), NULL, NULL);
  g_assert_cmpuint (response->status, ==, 200);
  letters = json_object_get_array_member (dsd_test_response_object (response), "dead_letters");
  g_clear_pointer (&query->first, json_object_unref);
  if (json_array_get_length (letters) > 0)
    query->first = json_object_ref (json_array_get_object_element (letters, 0));

  return query->first != NULL;
}

static gboolean
dead_letters_empty (gpointer user_data)
{
  return !dead_letters_listed (user_data);
}

/* Always fails: lands in the dead letters; redelivered once the target works. */
static void
test_webhook_dead_letter (Fixture       *fixture,
                          gconstpointer  data)
{
  DsdTestServer *server = fixture->server;
  const char *admin = dsd_test_server_get_admin_token (server);
  g_autofree char *url = receiver_add_hook (fixture->receiver, SECRET, HOOK_FAIL, 0);
  g_autofree char *id = create_webhook (server, url, "[\"order.created\"]");
  g_autofree char *dead_path = g_strdup_printf ("/api/v1/webhooks/%s/dead-letters", id);
  g_autofree char *retry_path = NULL;
  g_autofree char *event_id = NULL;
  g_autoptr(JsonObject) order = NULL;
  g_autoptr(DsdTestResponse) retried = NULL;
  g_autoptr(DsdTestResponse) unknown = NULL;
  DeadLetterQuery query = { server, dead_path, NULL };
  guint n_ok = 0;

  order = post_order (server, admin, ORDER_BODY);
  event_id = wait_deliveries (fixture->receiver, url, NULL, "order.created", 1, WAIT_MS, NULL);

  g_assert_true (dsd_test_poll_until (dead_letters_listed, &query, POLL_MS, WAIT_MS));
  g_assert_cmpstr (json_object_get_string_member (query.first, "event_id"), ==, event_id);
  g_assert_cmpstr (json_object_get_string_member (query.first, "event_type"), ==,
                   "order.created");
  g_assert_cmpint (json_object_get_int_member (query.first, "attempts"), ==, 3);
  g_assert_cmpstr (json_object_get_string_member (query.first, "last_error"), ==, "HTTP 500");
  g_assert_nonnull (json_object_get_string_member (query.first, "created_at"));
  g_free (wait_deliveries (fixture->receiver, url, event_id, NULL, 3, WAIT_MS, &n_ok));
  g_assert_cmpuint (n_ok, ==, 0);
  g_assert_cmpint (metric_value (server, "dispatch_notifications_total{channel=\"webhook\","
                                         "outcome=\"dead_lettered\"} "), >=, 1);

  unknown = dsd_test_request (server, "POST",
                              "/api/v1/webhooks/00000000-0000-0000-0000-000000000000"
                              "/dead-letters/00000000-0000-0000-0000-000000000000/retry",
                              admin, NULL, NULL);
  dsd_test_assert_error (unknown, 404, "not_found", NULL);

  /* The target recovers; one redelivery of the same event succeeds. */
  receiver_set_mode (fixture->receiver, url, HOOK_OK);
  retry_path = g_strdup_printf ("%s/%s/retry", dead_path,
                                json_object_get_string_member (query.first, "id"));
  retried = dsd_test_request (server, "POST", retry_path, admin, NULL, NULL);
  g_assert_cmpuint (retried->status, ==, 202);
  g_assert_cmpstr (dsd_test_response_string (retried, "event_id"), ==, event_id);
  g_free (wait_deliveries (fixture->receiver, url, event_id, NULL, 4, WAIT_MS, &n_ok));
  g_assert_cmpuint (n_ok, ==, 1);
  g_assert_true (dsd_test_poll_until (dead_letters_empty, &query, POLL_MS, WAIT_MS));
  g_clear_pointer (&query.first, json_object_unref);
}

/* The record of one delivery, read from the server's own database. */
static char *
delivery_record (DsdTestServer *server,
                 const char    *event_id)
{
  g_autoptr(DsdPgCluster) cluster = dsd_pg_cluster_new (dsd_test_server_get_data_dir (server));
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) rows = NULL;

  rows = dsd_pg_exec_sync (dsd_pg_cluster_get_conninfo (cluster),
                           "SELECT status || ' ' || attempts FROM dispatch.notifications "
                           "WHERE event_id = $1::uuid AND channel = 'webhook'",
                           1, (const char * const[]) { event_id }, &error);
  g_assert_no_error (error);
  g_assert_cmpint (PQntuples (rows), ==, 1);

  return g_strdup (PQgetvalue (rows, 0, 0));
}

typedef struct {
  DsdTestServer *server;
  const char    *event_id;
  const char    *expected;
} RecordQuery;

static gboolean
record_is (gpointer user_data)
{
  RecordQuery *query = user_data;
  g_autofree char *record = delivery_record (query->server, query->event_id);

  return g_str_equal (record, query->expected);
}

/* kill -9 while the target holds the request: delivered after the restart. */
static void
test_webhook_kill_restart (Fixture       *fixture,
                           gconstpointer  data)
{
  DsdTestServer *server = fixture->server;
  g_autofree char *url = receiver_add_hook (fixture->receiver, SECRET, HOOK_STALL, 0);
  g_autofree char *id = create_webhook (server, url, "[\"order.created\"]");
  g_autofree char *event_id = NULL;
  g_autoptr(JsonObject) order = NULL;
  RecordQuery query = { server, NULL, "sent 2" };
  guint n_ok = 0;

  order = post_order (server, dsd_test_server_get_admin_token (server), ORDER_BODY);
  event_id = wait_deliveries (fixture->receiver, url, NULL, "order.created", 1, WAIT_MS, NULL);
  dsd_test_server_stop (server, TRUE);
  dsd_test_server_restart (server);

  g_free (wait_deliveries (fixture->receiver, url, event_id, "order.created", 2, LEASE_WAIT_MS,
                           &n_ok));
  g_assert_cmpuint (n_ok, ==, 1);
  query.event_id = event_id;
  g_assert_true (dsd_test_poll_until (record_is, &query, POLL_MS, WAIT_MS));
}

/* Two servers on one database share the work: each delivery happens once. */
static void
test_webhook_two_instances (Fixture       *fixture,
                            gconstpointer  data)
{
  DsdTestServer *server = fixture->server;
  g_autoptr(DsdPgCluster) cluster = dsd_pg_cluster_new (dsd_test_server_get_data_dir (server));
  g_autofree char *database_url = g_strconcat ("DATABASE_URL=",
                                               dsd_pg_cluster_get_conninfo (cluster), NULL);
  g_autofree char *url = receiver_add_hook (fixture->receiver, SECRET, HOOK_OK, 0);
  g_autofree char *id = create_webhook (server, url, "[\"order.created\"]");
  DsdTestServer *second;
  g_autoptr(GHashTable) by_seq = NULL;
  guint n_ok = 0;

  second = dsd_test_server_start ((const char * const[]) {
    database_url, "DISPATCH_WEBHOOK_ALLOW_PRIVATE=true", NULL
  });
  for (guint i = 0; i < 10; i++)
    {
      g_autoptr(JsonObject) order = post_order (i % 2 ? second : server,
                                                dsd_test_server_get_admin_token (i % 2 ? second
                                                                                 : server),
                                                ORDER_BODY);
    }

  g_free (wait_deliveries (fixture->receiver, url, NULL, "order.created", 10, WAIT_MS, &n_ok));
  by_seq = received_by_seq (fixture->receiver, url);
  g_assert_cmpuint (g_hash_table_size (by_seq), ==, 10);
  g_assert_cmpuint (n_ok, ==, 10);

  dsd_test_server_free (second);
}

static JsonObject *
get_page (DsdTestServer *server,
          const char    *path)
{
  g_autoptr(DsdTestResponse) response = NULL;

  response = dsd_test_request (server, "GET", path, dsd_test_server_get_admin_token (server),
                               NULL, NULL);
  g_assert_cmpuint (response->status, ==, 200);

  return json_object_ref (dsd_test_response_object (response));
}

/* Three webhooks, listed two at a time, oldest first. */
static void
test_webhook_paging (DsdTestServer *server)
{
  const char *body = "{\"url\":\"https://93.184.216.34/paged\",\"events\":[\"alert\"]}";
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(JsonObject) first = NULL;
  g_autoptr(JsonObject) second = NULL;
  g_autofree char *next_path = NULL;
  JsonArray *items;

  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(DsdTestResponse) created = NULL;

      created = dsd_test_request (server, "POST", "/api/v1/webhooks",
                                  dsd_test_server_get_admin_token (server), body, NULL);
      g_assert_cmpuint (created->status, ==, 201);
      g_ptr_array_add (ids, g_strdup (dsd_test_response_string (created, "id")));
    }

  first = get_page (server, "/api/v1/webhooks?limit=2");
  items = json_object_get_array_member (first, "webhooks");
  g_assert_cmpuint (json_array_get_length (items), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (items, 0), "id"),
                   ==, ids->pdata[0]);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (items, 1), "id"),
                   ==, ids->pdata[1]);
  next_path = g_strconcat ("/api/v1/webhooks?limit=2&next=",
                           json_object_get_string_member (first, "next"), NULL);
  second = get_page (server, next_path);
  items = json_object_get_array_member (second, "webhooks");
  g_assert_cmpuint (json_array_get_length (items), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (items, 0), "id"),
                   ==, ids->pdata[2]);
  g_assert_true (json_object_get_null_member (second, "next"));

  for (guint i = 0; i < ids->len; i++)
    {
      g_autofree char *path = g_strconcat ("/api/v1/webhooks/", ids->pdata[i], NULL);
      g_autoptr(DsdTestResponse) deleted = NULL;

      deleted = dsd_test_request (server, "DELETE", path,
                                  dsd_test_server_get_admin_token (server), NULL, NULL);
      g_assert_cmpuint (deleted->status, ==, 204);
    }
}

/* Input checks and paging, on a server without e-mail and with the default
 * target policy. */
static void
test_webhook_bad_input (void)
{
  DsdTestServer *server = dsd_test_server_start (NULL);
  const char *admin = dsd_test_server_get_admin_token (server);
  g_autofree char *dispatcher = dsd_test_create_user (server, "dispatcher", NULL, NULL);
  g_autofree char *customer = dsd_test_create_user (server, "customer", NULL, NULL);
  g_autofree char *log = dsd_test_server_get_log (server);
  static const struct {
    const char *body;
    const char *field;
  } cases[] = {
    { "{\"url\":\"not a url\",\"events\":[\"order.created\"]}", "url" },
    { "{\"url\":\"/relative/path\",\"events\":[\"order.created\"]}", "url" },
    { "{\"url\":\"ftp://example.org/hook\",\"events\":[\"order.created\"]}", "url" },
    { "{\"url\":\"file:///etc/passwd\",\"events\":[\"order.created\"]}", "url" },
    { "{\"url\":\"http://169.254.169.254/latest/meta-data\",\"events\":[\"order.created\"]}",
      "url" },
    { "{\"url\":\"http://[fe80::1]/hook\",\"events\":[\"order.created\"]}", "url" },
    { "{\"url\":\"http://[::ffff:169.254.169.254]/hook\",\"events\":[\"order.created\"]}",
      "url" },
    { "{\"url\":\"http://10.1.2.3/hook\",\"events\":[\"order.created\"]}", "url" },
    { "{\"url\":\"http://192.168.1.1/hook\",\"events\":[\"order.created\"]}", "url" },
    { "{\"url\":\"http://127.0.0.1:8080/hook\",\"events\":[\"order.created\"]}", "url" },
    { "{\"url\":\"http://[::1]/hook\",\"events\":[\"order.created\"]}", "url" },
    /* issue 16: IPv6 forms of IPv4 addresses */
    { "{\"url\":\"http://[::127.0.0.1]/hook\",\"events\":[\"order.created\"]}", "url" },
    { "{\"url\":\"http://[::a9fe:a9fe]/hook\",\"events\":[\"order.created\"]}", "url" },
    { "{\"url\":\"http://[64:ff9b::a9fe:a9fe]/hook\",\"events\":[\"order.created\"]}",
      "url" },
    { "{\"url\":\"http://[2002:7f00:1::1]/hook\",\"events\":[\"order.created\"]}", "url" },
    { "{\"url\":\"http://localhost:9/hook\",\"events\":[\"order.created\"]}", "url" },
    { "{\"url\":\"http://user:pw@93.184.216.34/hook\",\"events\":[\"order.created\"]}", "url" },
    { "{\"url\":\"http://93.184.216.34/hook\",\"events\":[\"order.created\",\"order.lost\"]}",
      "events[1]" },
    { "{\"url\":\"http://93.184.216.34/hook\",\"events\":[\"order.created\",7]}", "events[1]" },
    { "{\"url\":\"http://93.184.216.34/hook\",\"events\":[\"alert\",\"alert\"]}", "events[1]" },
    { "{\"url\":\"http://93.184.216.34/hook\",\"events\":[\"driver.location\"]}", "events[0]" },
    { "{\"url\":\"http://93.184.216.34/hook\",\"events\":[]}", "events" },
    { "{\"url\":\"http://93.184.216.34/hook\"}", "events" },
    { "{\"events\":[\"order.created\"]}", "url" },
    { "{\"url\":\"http://93.184.216.34/hook\",\"events\":[\"alert\"],\"secret\":\"short\"}",
      "secret" },
  };

  g_assert_nonnull (strstr (log, "E-mail notifications off"));

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(DsdTestResponse) response = NULL;

      response = dsd_test_request (server, "POST", "/api/v1/webhooks", admin, cases[i].body,
                                   NULL);
      if (response->status != 400)
        g_error ("%s: expected 400, got %u %s", cases[i].body, response->status, response->text);
      dsd_test_assert_error (response, 400, "invalid_argument", cases[i].field);
    }

  {
    const char *valid = "{\"url\":\"https://93.184.216.34/hook\",\"events\":[\"alert\"]}";
    g_autoptr(DsdTestResponse) as_dispatcher = NULL;
    g_autoptr(DsdTestResponse) as_customer = NULL;
    g_autoptr(DsdTestResponse) anonymous = NULL;
    g_autoptr(DsdTestResponse) listed = NULL;
    g_autoptr(DsdTestResponse) created = NULL;
    g_autoptr(DsdTestResponse) deleted = NULL;
    g_autoptr(DsdTestResponse) unknown = NULL;
    g_autoptr(DsdTestResponse) malformed = NULL;
    g_autoptr(DsdTestResponse) letters = NULL;
    g_autoptr(DsdTestResponse) bad_limit = NULL;
    g_autoptr(DsdTestResponse) bad_cursor = NULL;
    g_autofree char *path = NULL;

    as_dispatcher = dsd_test_request (server, "POST", "/api/v1/webhooks", dispatcher, valid,
                                      NULL);
    dsd_test_assert_error (as_dispatcher, 403, "permission_denied", NULL);
    as_customer = dsd_test_request (server, "POST", "/api/v1/webhooks", customer, valid, NULL);
    dsd_test_assert_error (as_customer, 403, "permission_denied", NULL);
    listed = dsd_test_request (server, "GET", "/api/v1/webhooks", dispatcher, NULL, NULL);
    dsd_test_assert_error (listed, 403, "permission_denied", NULL);
    anonymous = dsd_test_request (server, "POST", "/api/v1/webhooks", NULL, valid, NULL);
    dsd_test_assert_error (anonymous, 401, "unauthenticated", NULL);

    /* A public address literal needs no lookup: accepted. */
    created = dsd_test_request (server, "POST", "/api/v1/webhooks", admin, valid, NULL);
    g_assert_cmpuint (created->status, ==, 201);
    path = g_strconcat ("/api/v1/webhooks/", dsd_test_response_string (created, "id"), NULL);
    deleted = dsd_test_request (server, "DELETE", path, dispatcher, NULL, NULL);
    dsd_test_assert_error (deleted, 403, "permission_denied", NULL);
    g_clear_pointer (&deleted, dsd_test_response_free);
    deleted = dsd_test_request (server, "DELETE", path, admin, NULL, NULL);
    g_assert_cmpuint (deleted->status, ==, 204);
    g_clear_pointer (&deleted, dsd_test_response_free);
    deleted = dsd_test_request (server, "DELETE", path, admin, NULL, NULL);
    dsd_test_assert_error (deleted, 404, "not_found", NULL);

    unknown = dsd_test_request (server, "GET",
                                "/api/v1/webhooks/00000000-0000-0000-0000-000000000000",
                                admin, NULL, NULL);
    dsd_test_assert_error (unknown, 404, "not_found", NULL);
    malformed = dsd_test_request (server, "GET", "/api/v1/webhooks/not-a-uuid", admin, NULL,
                                  NULL);
    dsd_test_assert_error (malformed, 404, "not_found", NULL);
    letters = dsd_test_request (server, "GET", "/api/v1/webhooks/not-a-uuid/dead-letters",
                                admin, NULL, NULL);
    dsd_test_assert_error (letters, 404, "not_found", NULL);
    bad_limit = dsd_test_request (server, "GET", "/api/v1/webhooks?limit=0", admin, NULL, NULL);
    dsd_test_assert_error (bad_limit, 400, "invalid_argument", "limit");
    bad_cursor = dsd_test_request (server, "GET", "/api/v1/webhooks?next=garbage", admin, NULL,
                                   NULL);
    dsd_test_assert_error (bad_cursor, 400, "invalid_argument", "next");
  }

  test_webhook_paging (server);
  dsd_test_server_free (server);
}

/* Units: target policy, signature, message, delivery-time address check ----- */

static void
test_target_addresses (void)
{
  static const struct {
    const char *address;
    gboolean    ok_strict;
    gboolean    ok_private;
  } cases[] = {
    { "93.184.216.34", TRUE, TRUE },
    { "2606:2800:220:1:248:1893:25c8:1946", TRUE, TRUE },
    { "169.254.169.254", FALSE, FALSE },
    { "169.254.0.1", FALSE, FALSE },
    { "fe80::1", FALSE, FALSE },
    { "febf::1", FALSE, FALSE },
    { "::ffff:169.254.169.254", FALSE, FALSE },
    { "0.0.0.0", FALSE, FALSE },
    { "::", FALSE, FALSE },
    { "224.0.0.1", FALSE, FALSE },
    { "255.255.255.255", FALSE, FALSE },
    { "ff02::1", FALSE, FALSE },
    { "127.0.0.1", FALSE, TRUE },
    { "127.255.0.9", FALSE, TRUE },
    { "::1", FALSE, TRUE },
    { "::ffff:127.0.0.1", FALSE, TRUE },
    { "10.0.0.1", FALSE, TRUE },
    { "172.16.0.1", FALSE, TRUE },
    { "172.31.255.255", FALSE, TRUE },
    { "172.32.0.1", TRUE, TRUE },
    { "192.168.0.1", FALSE, TRUE },
    { "100.64.0.1", FALSE, TRUE },
    { "fc00::1", FALSE, TRUE },
    { "fd12:3456::1", FALSE, TRUE },
    /* IPv6 forms of IPv4 (issue 16): compatible, mapped, NAT64, 6to4, Teredo */
    { "::127.0.0.1", FALSE, TRUE },
    { "::a9fe:a9fe", FALSE, FALSE },
    { "::10.1.2.3", FALSE, TRUE },
    { "::93.184.216.34", TRUE, TRUE },
    { "::ffff:a9fe:a9fe", FALSE, FALSE },
    { "::ffff:10.0.0.1", FALSE, TRUE },
    { "64:ff9b::a9fe:a9fe", FALSE, FALSE },
    { "64:ff9b::127.0.0.1", FALSE, TRUE },
    { "64:ff9b::192.168.1.1", FALSE, TRUE },
    { "64:ff9b::93.184.216.34", TRUE, TRUE },
    { "64:ff9b:1::5db8:d822", FALSE, TRUE },
    { "2002:7f00:1::1", FALSE, TRUE },
    { "2002:a9fe:a9fe::1", FALSE, FALSE },
    { "2002:c0a8:101::1", FALSE, TRUE },
    { "2002:5db8:d822::1", TRUE, TRUE },
    /* Teredo: server 65.54.227.120, client 169.254.169.254 / 127.0.0.1 / 93.184.216.34 */
    { "2001:0:4136:e378:8000:63bf:5601:5601", FALSE, FALSE },
    { "2001:0:4136:e378:8000:63bf:80ff:fffe", FALSE, TRUE },
    { "2001:0:4136:e378:8000:63bf:a247:27dd", TRUE, TRUE },
    /* Teredo server in a private range */
    { "2001:0:a00:1:8000:63bf:a247:27dd", FALSE, TRUE },
    /* Not Teredo: 2001:db8::/32 is another /32 of 2001::/23 */
    { "2001:4860:4860::8888", TRUE, TRUE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GInetAddress) address = g_inet_address_new_from_string (cases[i].address);
      g_autoptr(GError) strict_error = NULL;
      g_autoptr(GError) private_error = NULL;

      g_assert_nonnull (address);
      g_test_message ("%s", cases[i].address);
      g_assert_cmpint (dsd_webhook_target_check_address (address, FALSE, &strict_error), ==,
                       cases[i].ok_strict);
      g_assert_cmpint (dsd_webhook_target_check_address (address, TRUE, &private_error), ==,
                       cases[i].ok_private);
      if (strict_error != NULL)
        g_assert_cmpstr (dispatch_error_get_field (strict_error), ==, "url");
    }
}

static void
test_signature (void)
{
  const char *body = "{\"id\":\"e1\",\"seq\":1}";
  g_autoptr(GBytes) bytes = g_bytes_new_static (body, strlen (body));
  g_autofree char *signature = dsd_webhook_sign ("secret", bytes);
  g_autofree char *expected = g_compute_hmac_for_string (G_CHECKSUM_SHA256,
                                                         (const guchar *) "secret", 6, body, -1);

  g_assert_true (g_str_has_prefix (signature, "sha256="));
  g_assert_cmpstr (signature + 7, ==, expected);
}

typedef struct {
  GAsyncResult *result;
  guint         n_requests;
} SenderRun;

static void
count_request_cb (SoupServer        *server,
                  SoupServerMessage *message,
                  const char        *path,
                  GHashTable        *query,
                  gpointer           user_data)
{
  SenderRun *run = user_data;

  run->n_requests++;
  soup_server_message_set_status (message, 204, NULL);
}

/* The peer address is checked at delivery time too: a target that resolves
 * to a refused address gets nothing (DNS rebinding), with allow_private off. */
static void
test_sender_checks_peer (void)
{
  g_autoptr(SoupServer) server = soup_server_new (NULL, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = g_bytes_new_static ("{}", 2);
  SenderRun run = { NULL, 0 };
  GSList *uris;
  g_autofree char *url = NULL;

  soup_server_add_handler (server, NULL, count_request_cb, &run, NULL);
  soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_assert_no_error (error);
  uris = soup_server_get_uris (server);
  url = g_strdup_printf ("http://localhost:%d/hook", g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  for (guint allow = 0; allow < 2; allow++)
    {
      g_autoptr(DsdWebhookSender) sender = dsd_webhook_sender_new (allow);
      g_autoptr(GAsyncResult) result = NULL;
      g_autoptr(GError) delivery_error = NULL;

      dsd_webhook_sender_deliver_async (sender, url, "secret", "event-1", body, NULL,
                                        dsd_test_store_result_cb, &run.result);
      result = dsd_test_wait_result (&run.result, WAIT_MS);
      if (allow)
        {
          g_assert_true (dsd_webhook_sender_deliver_finish (sender, result, &delivery_error));
          g_assert_no_error (delivery_error);
          g_assert_cmpuint (run.n_requests, ==, 1);
        }
      else
        {
          g_assert_false (dsd_webhook_sender_deliver_finish (sender, result, &delivery_error));
          g_assert_error (delivery_error, DSD_NOTIFY_ERROR, DSD_NOTIFY_ERROR_FAILED);
          g_assert_true (g_str_has_prefix (delivery_error->message, "address refused"));
          g_assert_cmpuint (run.n_requests, ==, 0);
        }
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/notify/target/addresses", test_target_addresses);
  g_test_add_func ("/notify/webhook/signature", test_signature);
  g_test_add_func ("/notify/webhook/peer-check", test_sender_checks_peer);
  g_test_add ("/notify/email/lifecycle", Fixture, NULL,
              fixture_set_up, test_email_lifecycle, fixture_tear_down);
  g_test_add ("/notify/email/arrival", Fixture, NULL,
              fixture_set_up, test_arrival, fixture_tear_down);
  g_test_add ("/notify/webhook/delivery", Fixture, NULL,
              fixture_set_up, test_webhook_delivery, fixture_tear_down);
  g_test_add ("/notify/webhook/generated-secret", Fixture, NULL,
              fixture_set_up, test_webhook_generated_secret, fixture_tear_down);
  g_test_add ("/notify/webhook/retry", Fixture, NULL,
              fixture_set_up, test_webhook_retry, fixture_tear_down);
  g_test_add ("/notify/webhook/dead-letter", Fixture, NULL,
              fixture_set_up, test_webhook_dead_letter, fixture_tear_down);
  g_test_add ("/notify/webhook/kill-restart", Fixture, NULL,
              fixture_set_up, test_webhook_kill_restart, fixture_tear_down);
  g_test_add ("/notify/webhook/two-instances", Fixture, NULL,
              fixture_set_up, test_webhook_two_instances, fixture_tear_down);
  g_test_add_func ("/notify/webhook/bad-input", test_webhook_bad_input);

  return g_test_run ();
}
