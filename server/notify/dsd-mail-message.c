/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-notify"

#include "config.h"

#include <glib/gi18n-lib.h>

#include <gmime/gmime.h>

#include "dispatch-email.h"
#include "dispatch-json.h"
#include "dsd-event.h"
#include "dsd-mail-message.h"
#include "dsd-notify-error.h"

/* GMime 3.2 declares no autoptr cleanups of its own */
G_DEFINE_AUTOPTR_CLEANUP_FUNC (InternetAddressMailbox, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (InternetAddressList, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GMimeMessage, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GMimeMultipart, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GMimeObject, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GMimeStream, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GMimeDataWrapper, g_object_unref)

typedef struct {
  const char *name;
  const char *subject;
  const char *headline;
} MailTemplate;

static const MailTemplate templates[] = {
  { "created", N_("We have received your order"),
    N_("Your order has been received. We will let you know when a driver is on the way.") },
  { "assigned", N_("A driver has been assigned to your order"),
    N_("A driver has been assigned and will pick up your order shortly.") },
  /* The headline of "arriving" says how far (arriving_headline) */
  { "arriving", N_("Your driver is almost there"), NULL },
  { "picked_up", N_("Your order is on its way"),
    N_("Your order has been picked up and is on its way to you.") },
  { "delivered", N_("Your order has been delivered"),
    N_("Your order has been delivered. Thank you for your order!") },
  { "cancelled", N_("Your order has been cancelled"),
    N_("Your order has been cancelled.") },
  { "failed", N_("Your order could not be delivered"),
    N_("Unfortunately, your order could not be delivered.") },
};

/* g_mime_init() once per process, before the first message (from any thread) */
static void
dsd_mail_init (void)
{
  static gsize initialized;

  if (g_once_init_enter (&initialized))
    {
      g_mime_init ();
      g_once_init_leave (&initialized, 1);
    }
}

/* The one mailbox of "addr" or "Name <addr>" (RFC 5322, by GMime), with an
 * address dispatch_email_address_is_valid() accepts; else NULL. */
static InternetAddressMailbox *
parse_mailbox (const char *mailbox)
{
  g_autoptr(InternetAddressList) list = NULL;
  InternetAddress *address;

  dsd_mail_init ();
  if (strpbrk (mailbox, "\r\n") != NULL ||
      (list = internet_address_list_parse (NULL, mailbox)) == NULL ||
      internet_address_list_length (list) != 1)
    return NULL;

  address = internet_address_list_get_address (list, 0);
  if (!INTERNET_ADDRESS_IS_MAILBOX (address) ||
      !dispatch_email_address_is_valid (
        internet_address_mailbox_get_addr (INTERNET_ADDRESS_MAILBOX (address))))
    return NULL;

  return g_object_ref (INTERNET_ADDRESS_MAILBOX (address));
}

char *
dsd_mail_mailbox_address (const char *mailbox)
{
  g_autoptr(InternetAddressMailbox) parsed = parse_mailbox (mailbox);

  return parsed != NULL ? g_strdup (internet_address_mailbox_get_addr (parsed)) : NULL;
}

/* A text part in UTF-8 as it is (g_mime_text_part_set_text() would pick
 * another charset where one fits, but the HTML says UTF-8), base64: the texts
 * are translated and may be any script; their lines are already CRLF. */
static GMimeObject *
text_part (const char *subtype,
           const char *text)
{
  GMimeTextPart *part = g_mime_text_part_new_with_subtype (subtype);
  g_autoptr(GMimeStream) stream = g_mime_stream_mem_new_with_buffer (text, strlen (text));
  g_autoptr(GMimeDataWrapper) content = NULL;

  content = g_mime_data_wrapper_new_with_stream (stream, GMIME_CONTENT_ENCODING_DEFAULT);
  g_mime_part_set_content (GMIME_PART (part), content);
  g_mime_text_part_set_charset (part, "UTF-8");
  g_mime_part_set_content_encoding (GMIME_PART (part), GMIME_CONTENT_ENCODING_BASE64);

  return GMIME_OBJECT (part);
}

static const MailTemplate *
find_template (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (templates); i++)
    {
      if (g_str_equal (templates[i].name, name))
        return &templates[i];
    }

  return NULL;
}

/* "Your driver is N minutes away", from the order.arriving event's "arrival". */
static char *
arriving_headline (JsonObject *order)
{
  JsonObject *arrival = NULL;
  gint64 eta_s = 0;
  gint64 minutes;

  if (dispatch_json_get_object (order, NULL, "arrival", DISPATCH_JSON_NULLABLE, &arrival, NULL) &&
      arrival != NULL)
    dispatch_json_get_int (arrival, "arrival", "eta_seconds", DISPATCH_JSON_NULLABLE, 0,
                           G_MAXINT32, &eta_s, NULL);
  minutes = MAX ((eta_s + 59) / 60, 1);

  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                       /* Translators: %d is a number of minutes */
                                       "Your driver is %d minute away.",
                                       "Your driver is %d minutes away.", minutes),
                          (int) minutes);
}

/* Both parts are in MIME canonical form: CRLF line ends. */
static char *
render_text (const MailTemplate *template,
             const char         *headline,
             const char         *name,
             const char         *reason,
             const char         *pin,
             const char         *tracking_url)
{
  GString *text = g_string_new (NULL);

  if (name != NULL)
    /* Translators: the greeting of customer e-mail; %s is the customer's name */
    g_string_append_printf (text, _("Hello %s,"), name);
  else
    g_string_append (text, _("Hello,"));
  g_string_append_printf (text, "\r\n\r\n%s\r\n", headline);
  if (reason != NULL)
    {
      /* Translators: why an order was cancelled or failed; %s is the reason given */
      g_string_append_printf (text, _("Reason: %s"), reason);
      g_string_append (text, "\r\n");
    }
  if (pin != NULL)
    {
      /* Translators: %s is the 4-digit PIN the customer tells the driver at delivery */
      g_string_append_printf (text, _("Your delivery PIN: %s (give it to the driver, "
                                      "and to nobody else)"), pin);
      g_string_append (text, "\r\n");
    }
  g_string_append (text, "\r\n");
  /* Translators: %s is the link to the order's public tracking page */
  g_string_append_printf (text, _("Follow your order: %s"), tracking_url);
  g_string_append (text, "\r\n");

  return g_string_free (text, FALSE);
}

static char *
render_html (const MailTemplate *template,
             const char         *headline_text,
             const char         *name,
             const char         *reason,
             const char         *pin,
             const char         *tracking_url)
{
  GString *html = g_string_new ("<!DOCTYPE html>\r\n<html><head><meta charset=\"utf-8\">");
  g_autofree char *subject = g_markup_escape_text (_(template->subject), -1);
  g_autofree char *headline = g_markup_escape_text (headline_text, -1);
  g_autofree char *url = g_markup_escape_text (tracking_url, -1);

  g_string_append_printf (html, "<title>%s</title></head>\r\n<body>\r\n", subject);
  if (name != NULL)
    {
      g_autofree char *greeting = g_strdup_printf (_("Hello %s,"), name);
      g_autofree char *escaped = g_markup_escape_text (greeting, -1);

      g_string_append_printf (html, "<p>%s</p>\r\n", escaped);
    }
  else
    {
      g_string_append_printf (html, "<p>%s</p>\r\n", _("Hello,"));
    }
  g_string_append_printf (html, "<p>%s</p>\r\n", headline);
  if (reason != NULL)
    {
      g_autofree char *line = g_strdup_printf (_("Reason: %s"), reason);
      g_autofree char *escaped = g_markup_escape_text (line, -1);

      g_string_append_printf (html, "<p>%s</p>\r\n", escaped);
    }
  if (pin != NULL)
    {
      g_autofree char *line = g_strdup_printf (_("Your delivery PIN: %s (give it to the driver, "
                                                 "and to nobody else)"), pin);
      g_autofree char *escaped = g_markup_escape_text (line, -1);

      g_string_append_printf (html, "<p><strong>%s</strong></p>\r\n", escaped);
    }
  /* Translators: the text of the link to the order's public tracking page */
  g_string_append_printf (html, "<p><a href=\"%s\">%s</a></p>\r\n</body></html>\r\n",
                          url, _("Follow your order"));

  return g_string_free (html, FALSE);
}

GBytes *
dsd_mail_message_build (const char  *template_name,
                        JsonObject  *order,
                        const char  *from,
                        const char  *to,
                        const char  *tracking_url,
                        GError     **error)
{
  const MailTemplate *template = find_template (template_name);
  g_autoptr(InternetAddressMailbox) sender = parse_mailbox (from);
  g_autoptr(GMimeMessage) message = NULL;
  g_autoptr(GMimeMultipart) alternative = NULL;
  g_autoptr(GMimeObject) plain = NULL;
  g_autoptr(GMimeObject) rich = NULL;
  g_autoptr(GDateTime) now = NULL;
  g_autofree char *text = NULL;
  g_autofree char *html = NULL;
  g_autofree char *message_id = NULL;
  g_autofree char *headline = NULL;
  g_autofree char *uuid = g_uuid_string_random ();
  GMimeFormatOptions *options;
  JsonObject *contact = NULL;
  const char *name = NULL;
  const char *reason = NULL;
  const char *pin = NULL;
  char *out;

  if (template == NULL)
    {
      g_set_error (error, DSD_NOTIFY_ERROR, DSD_NOTIFY_ERROR_REJECTED,
                   "unknown e-mail template “%s”", template_name);
      return NULL;
    }

  if (!dispatch_email_address_is_valid (to) || sender == NULL)
    {
      g_set_error (error, DSD_NOTIFY_ERROR, DSD_NOTIFY_ERROR_REJECTED,
                   "invalid e-mail address");
      return NULL;
    }

  /* The order is the server's own rendering: whatever is not as expected is
   * simply left out of the text. */
  if (dispatch_json_get_object (order, NULL, "contact", DISPATCH_JSON_NULLABLE, &contact, NULL) &&
      contact != NULL)
    dispatch_json_get_string (contact, "contact", "name", DISPATCH_JSON_NULLABLE, 0, &name, NULL);
  if (g_str_equal (template->name, "cancelled") || g_str_equal (template->name, "failed"))
    dispatch_json_get_string (order, NULL, "status_reason", DISPATCH_JSON_NULLABLE, 0, &reason,
                              NULL);

  headline = template->headline != NULL ? g_strdup (_(template->headline))
                                        : arriving_headline (order);
  dispatch_json_get_string (order, NULL, "delivery_pin", DISPATCH_JSON_NULLABLE, 0, &pin, NULL);
  text = render_text (template, headline, name, reason, pin, tracking_url);
  html = render_html (template, headline, name, reason, pin, tracking_url);
  message_id = g_strdup_printf ("%s%s", uuid,
                                strrchr (internet_address_mailbox_get_addr (sender), '@'));
  now = g_date_time_new_now_utc ();

  message = g_mime_message_new (TRUE);
  internet_address_list_add (g_mime_message_get_from (message), INTERNET_ADDRESS (sender));
  g_mime_message_add_mailbox (message, GMIME_ADDRESS_TYPE_TO, NULL, to);
  g_mime_message_set_subject (message, _(template->subject), "UTF-8");
  g_mime_message_set_date (message, now);
  g_mime_message_set_message_id (message, message_id);
  g_mime_object_set_header (GMIME_OBJECT (message), "Auto-Submitted", "auto-generated", NULL);

  alternative = g_mime_multipart_new_with_subtype ("alternative");
  plain = text_part ("plain", text);
  rich = text_part ("html", html);
  g_mime_multipart_add (alternative, plain);
  g_mime_multipart_add (alternative, rich);
  g_mime_message_set_mime_part (message, GMIME_OBJECT (alternative));

  options = g_mime_format_options_new ();
  g_mime_format_options_set_newline_format (options, GMIME_NEWLINE_FORMAT_DOS);
  out = g_mime_object_to_string (GMIME_OBJECT (message), options);
  g_mime_format_options_free (options);

  return g_bytes_new_take (g_steal_pointer (&out), strlen (out));
}

struct _DsdMailDraft {
  char   *template_name;
  GBytes *envelope;
  char   *to;
  char   *public_url;
  char   *delivery_pin;
};

DsdMailDraft *
dsd_mail_draft_new (const char *template_name,
                    const char *envelope,
                    gsize       length,
                    const char *to,
                    const char *public_url,
                    const char *delivery_pin)
{
  DsdMailDraft *draft = g_new0 (DsdMailDraft, 1);

  draft->template_name = g_strdup (template_name);
  draft->envelope = g_bytes_new (envelope, length);
  draft->to = g_strdup (to);
  draft->public_url = g_strdup (public_url);
  draft->delivery_pin = g_strdup (delivery_pin);
  return draft;
}

void
dsd_mail_draft_free (DsdMailDraft *draft)
{
  g_free (draft->template_name);
  g_bytes_unref (draft->envelope);
  g_free (draft->to);
  g_free (draft->public_url);
  g_free (draft->delivery_pin);
  g_free (draft);
}

const char *
dsd_mail_draft_get_to (DsdMailDraft *draft)
{
  return draft->to;
}

GBytes *
dsd_mail_draft_build (DsdMailDraft  *draft,
                      const char    *from,
                      GError       **error)
{
  g_autoptr(DsdEvent) event = NULL;
  g_autofree char *tracking_url = NULL;
  const char *token = NULL;
  gsize length;
  const char *envelope = g_bytes_get_data (draft->envelope, &length);
  JsonObject *order;

  event = dsd_event_new_from_json (envelope, length, error);
  if (event == NULL)
    return NULL;

  order = dsd_event_get_data (event);
  if (!dispatch_json_get_string (order, NULL, "tracking_token", DISPATCH_JSON_REQUIRED, 0,
                                 &token, NULL))
    {
      g_set_error_literal (error, DSD_NOTIFY_ERROR, DSD_NOTIFY_ERROR_REJECTED,
                           "the event carries no tracking token");
      return NULL;
    }

  if (draft->delivery_pin != NULL)
    json_object_set_string_member (order, "delivery_pin", draft->delivery_pin);
  tracking_url = g_strconcat (draft->public_url, "/track/", token, NULL);
  return dsd_mail_message_build (draft->template_name, order, from, draft->to, tracking_url,
                                 error);
}
