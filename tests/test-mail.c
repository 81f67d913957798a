/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <string.h>

#include "dsd-mail-message.h"
#include "dsd-mailer.h"
#include "dsd-notify-error.h"
#include "test-utils.h"

#define ENVELOPE(data) \
  "{\"id\":\"0190a1b2-0000-7000-8000-000000000001\",\"type\":\"order.updated\",\"seq\":7," \
  "\"data\":" data "}"

static void
test_message (void)
{
  g_autoptr(JsonNode) order = json_from_string ("{\"tracking_token\":\"tok\","
                                                "\"status_reason\":\"rain <storm>\","
                                                "\"contact\":{\"name\":\"Zoë\"}}", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) message = NULL;
  g_auto(GStrv) lines = NULL;
  g_autofree char *text = NULL;

  message = dsd_mail_message_build ("cancelled", json_node_get_object (order),
                                    "Zoë’s Kitchen <k@example.org>", "c@example.org",
                                    "https://x.example/track/tok", &error);
  g_assert_no_error (error);
  text = g_strndup (g_bytes_get_data (message, NULL), g_bytes_get_size (message));
  g_test_message ("%s", text);
  g_assert_true (g_str_is_ascii (text));
  g_assert_nonnull (strstr (text, "\r\nSubject: Your order has been cancelled\r\n"));
  /* The non-ASCII display name as an RFC 2047 encoded word */
  g_assert_nonnull (strstr (text, "From: =?UTF-8?"));
  g_assert_nonnull (strstr (text, " <k@example.org>\r\n"));
  g_assert_nonnull (strstr (text, "\r\nMessage-Id: <"));
  g_assert_nonnull (strstr (text, "@example.org>\r\n"));
  g_assert_true (g_str_has_prefix (text, "Date: ") || strstr (text, "\r\nDate: ") != NULL);
  g_assert_nonnull (strstr (text, "Content-Type: multipart/alternative; boundary="));
  g_assert_nonnull (strstr (text, "Content-Type: text/plain; charset=UTF-8\r\n"));
  g_assert_nonnull (strstr (text, "Content-Type: text/html; charset=UTF-8\r\n"));

  /* CRLF only, every line within RFC 5322's 78 characters */
  lines = g_strsplit (text, "\r\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_assert_null (strchr (lines[i], '\n'));
      g_assert_cmpuint (strlen (lines[i]), <=, 78);
    }

  /* Header injection through the recipient, unknown templates */
  g_assert_null (dsd_mail_message_build ("cancelled", json_node_get_object (order),
                                         "k@example.org", "c@example.org\r\nBcc: x@y",
                                         "https://x", &error));
  g_assert_error (error, DSD_NOTIFY_ERROR, DSD_NOTIFY_ERROR_REJECTED);
  g_clear_error (&error);
  g_assert_null (dsd_mail_message_build ("lost", json_node_get_object (order), "k@example.org",
                                         "c@example.org", "https://x", &error));
  g_assert_error (error, DSD_NOTIFY_ERROR, DSD_NOTIFY_ERROR_REJECTED);
}

/* The text of the message's plain and HTML parts, base64-decoded. */
static char *
decoded_parts (const char *message)
{
  GString *parts = g_string_new (NULL);
  const char *marker = "Content-Transfer-Encoding: base64\r\n\r\n";

  for (const char *at = strstr (message, marker); at != NULL; at = strstr (at, marker))
    {
      const char *end;
      g_autofree char *encoded = NULL;
      g_autofree guchar *decoded = NULL;
      gsize length;

      at += strlen (marker);
      end = strstr (at, "\r\n--");
      g_assert_nonnull (end);
      encoded = g_strndup (at, end - at);
      decoded = g_base64_decode (encoded, &length);
      g_string_append_len (parts, (const char *) decoded, length);
    }

  return g_string_free (parts, FALSE);
}

/* A delivery that wants a PIN: the notifier adds it to the order, the text shows it. */
static void
test_message_pin (void)
{
  g_autoptr(JsonNode) order = json_from_string ("{\"tracking_token\":\"tok\","
                                                "\"delivery_pin\":\"0427\"}", NULL);
  g_autoptr(JsonNode) plain = json_from_string ("{\"tracking_token\":\"tok\"}", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) message = NULL;
  g_autoptr(GBytes) without = NULL;
  g_autofree char *text = NULL;
  g_autofree char *parts = NULL;
  g_autofree char *other = NULL;

  message = dsd_mail_message_build ("assigned", json_node_get_object (order), "k@example.org",
                                    "c@example.org", "https://x.example/track/tok", &error);
  g_assert_no_error (error);
  text = g_strndup (g_bytes_get_data (message, NULL), g_bytes_get_size (message));
  parts = decoded_parts (text);
  g_assert_nonnull (strstr (parts, "Your delivery PIN: 0427"));
  g_assert_nonnull (strstr (parts, "<strong>Your delivery PIN: 0427"));

  without = dsd_mail_message_build ("assigned", json_node_get_object (plain), "k@example.org",
                                    "c@example.org", "https://x.example/track/tok", &error);
  g_assert_no_error (error);
  g_clear_pointer (&text, g_free);
  text = g_strndup (g_bytes_get_data (without, NULL), g_bytes_get_size (without));
  other = decoded_parts (text);
  g_assert_nonnull (strstr (other, "Follow your order"));
  g_assert_null (strstr (other, "PIN"));
}

/* A draft is the envelope and what the mailer adds: the tracking page of
 * the order's token under the public URL. */
static void
test_draft (void)
{
  static const char envelope[] = ENVELOPE ("{\"tracking_token\":\"tok-1\"}");
  static const char no_token[] = ENVELOPE ("{\"status\":\"pending\"}");
  g_autoptr(DsdMailDraft) draft = NULL;
  g_autoptr(DsdMailDraft) tokenless = NULL;
  g_autoptr(DsdMailDraft) malformed = NULL;
  g_autoptr(DsdMailDraft) with_pin = NULL;
  g_autoptr(GBytes) message = NULL;
  g_autoptr(GBytes) pinned = NULL;
  g_autofree char *text = NULL;
  g_autofree char *parts = NULL;
  g_autoptr(GError) error = NULL;

  draft = dsd_mail_draft_new ("assigned", envelope, strlen (envelope), "c@example.org",
                              "https://x.example", NULL);
  g_assert_cmpstr (dsd_mail_draft_get_to (draft), ==, "c@example.org");
  message = dsd_mail_draft_build (draft, "k@example.org", &error);
  g_assert_no_error (error);
  g_assert_nonnull (g_strstr_len (g_bytes_get_data (message, NULL), g_bytes_get_size (message),
                                  "\r\nTo: c@example.org\r\n"));

  /* The delivery PIN, when the order has one, goes into the order. */
  with_pin = dsd_mail_draft_new ("assigned", envelope, strlen (envelope), "c@example.org",
                                 "https://x.example", "0427");
  pinned = dsd_mail_draft_build (with_pin, "k@example.org", &error);
  g_assert_no_error (error);
  text = g_strndup (g_bytes_get_data (pinned, NULL), g_bytes_get_size (pinned));
  parts = decoded_parts (text);
  g_assert_nonnull (strstr (parts, "Your delivery PIN: 0427"));
  g_assert_nonnull (strstr (parts, "https://x.example/track/tok-1"));

  tokenless = dsd_mail_draft_new ("assigned", no_token, strlen (no_token), "c@example.org",
                                  "https://x.example", NULL);
  g_assert_null (dsd_mail_draft_build (tokenless, "k@example.org", &error));
  g_assert_error (error, DSD_NOTIFY_ERROR, DSD_NOTIFY_ERROR_REJECTED);
  g_clear_error (&error);

  /* Not a permanent refusal: the notifier tries again. */
  malformed = dsd_mail_draft_new ("assigned", "{\"id\":", 6, "c@example.org",
                                  "https://x.example", NULL);
  g_assert_null (dsd_mail_draft_build (malformed, "k@example.org", &error));
  g_assert_nonnull (error);
  g_assert_false (g_error_matches (error, DSD_NOTIFY_ERROR, DSD_NOTIFY_ERROR_REJECTED));
}

/* Many sends at once: each message is built on a worker thread, off the main
 * loop, then sent; here to a loopback port that refuses connections, so
 * a send that was built fails for now (worth retrying), and one that cannot
 * be built is refused for good without any connection. */
#define WORKER_SENDS 24

typedef struct {
  guint done;
  guint failed;
  guint rejected;
} SendTally;

static void
sent_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  SendTally *tally = user_data;
  g_autoptr(GError) error = NULL;

  g_assert_false (dsd_mailer_send_finish (DSD_MAILER (source), result, &error));
  if (g_error_matches (error, DSD_NOTIFY_ERROR, DSD_NOTIFY_ERROR_REJECTED))
    tally->rejected++;
  else if (g_error_matches (error, DSD_NOTIFY_ERROR, DSD_NOTIFY_ERROR_FAILED))
    tally->failed++;
  tally->done++;
}

static gboolean
all_sent (gpointer user_data)
{
  SendTally *tally = user_data;

  return tally->done == WORKER_SENDS;
}

static void
test_workers (void)
{
  static const char envelope[] = ENVELOPE ("{\"tracking_token\":\"tok-2\","
                                           "\"contact\":{\"name\":\"Zoë\"}}");
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any_port = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GSocket) refusing = NULL;
  g_autoptr(DsdMailer) mailer = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;
  SendTally tally = { 0 };

  /* Bound, never listening: connections to it are refused. */
  refusing = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                           &error);
  g_assert_no_error (error);
  g_socket_bind (refusing, any_port, FALSE, &error);
  g_assert_no_error (error);
  bound = g_socket_get_local_address (refusing, &error);
  g_assert_no_error (error);
  url = g_strdup_printf ("smtp://127.0.0.1:%u",
                         g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));

  mailer = dsd_mailer_new (url, "Dispatch <k@example.org>", &error);
  g_assert_no_error (error);
  for (guint i = 0; i < WORKER_SENDS; i++)
    {
      const char *to = i % 4 == 3 ? "not an address" : "c@example.org";

      dsd_mailer_send_async (mailer, dsd_mail_draft_new ("delivered", envelope,
                                                         strlen (envelope), to,
                                                         "https://x.example", NULL),
                             NULL, sent_cb, &tally);
    }

  g_assert_true (dsd_test_run_until (all_sent, &tally, 60000));
  g_assert_cmpuint (tally.rejected, ==, WORKER_SENDS / 4);
  g_assert_cmpuint (tally.failed, ==, WORKER_SENDS - WORKER_SENDS / 4);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/mail/message", test_message);
  g_test_add_func ("/mail/message-pin", test_message_pin);
  g_test_add_func ("/mail/draft", test_draft);
  g_test_add_func ("/mail/workers", test_workers);

  return g_test_run ();
}
