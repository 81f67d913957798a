/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-notify"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "dispatch-email.h"
#include "dispatch-json.h"
#include "dsd-mail-message.h"
#include "dsd-notify-error.h"

#define BASE64_LINE 76
/* Raw bytes per RFC 2047 encoded word: 45 bytes → 60 base64 characters, so
 * "=?UTF-8?B?…?=" stays within the 75 characters RFC 2047 allows. */
#define ENCODED_WORD_BYTES 45

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
  { "picked_up", N_("Your order is on its way"),
    N_("Your order has been picked up and is on its way to you.") },
  { "delivered", N_("Your order has been delivered"),
    N_("Your order has been delivered. Thank you for your order!") },
  { "cancelled", N_("Your order has been cancelled"),
    N_("Your order has been cancelled.") },
  { "failed", N_("Your order could not be delivered"),
    N_("Unfortunately, your order could not be delivered.") },
};

static const char * const weekdays[] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };
static const char * const months[] = {
  "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
};

char *
dsd_mail_mailbox_address (const char *mailbox)
{
  const char *open = strrchr (mailbox, '<');
  g_autofree char *address = NULL;

  if (open != NULL && g_str_has_suffix (open, ">"))
    address = g_strndup (open + 1, strlen (open) - 2);
  else
    address = g_strstrip (g_strdup (mailbox));

  return dispatch_email_address_is_valid (address) ? g_steal_pointer (&address) : NULL;
}

/* RFC 2047 "B" encoded words, folded onto continuation lines; splits only
 * between UTF-8 characters. */
static void
append_encoded_words (GString    *out,
                      const char *text)
{
  const char *start = text;

  while (*start != '\0')
    {
      const char *end = start;
      g_autofree char *encoded = NULL;

      while (*end != '\0')
        {
          const char *next = g_utf8_next_char (end);

          if (next - start > ENCODED_WORD_BYTES)
            break;
          end = next;
        }

      if (start != text)
        g_string_append (out, "\r\n ");
      encoded = g_base64_encode ((const guchar *) start, end - start);
      g_string_append_printf (out, "=?UTF-8?B?%s?=", encoded);
      start = end;
    }
}

/* From: as configured, with a non-ASCII display name encoded. */
static void
append_mailbox (GString    *out,
                const char *mailbox)
{
  const char *open = strrchr (mailbox, '<');
  g_autofree char *name = NULL;

  if (g_str_is_ascii (mailbox) || open == NULL)
    {
      g_string_append (out, mailbox);
      return;
    }

  name = g_strstrip (g_strndup (mailbox, open - mailbox));
  append_encoded_words (out, name);
  g_string_append_printf (out, " %s", open);
}

static void
append_date (GString *out)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();

  /* RFC 5322 wants English names whatever the locale. */
  g_string_append_printf (out, "Date: %s, %02d %s %04d %02d:%02d:%02d +0000\r\n",
                          weekdays[g_date_time_get_day_of_week (now) - 1],
                          g_date_time_get_day_of_month (now),
                          months[g_date_time_get_month (now) - 1],
                          g_date_time_get_year (now),
                          g_date_time_get_hour (now),
                          g_date_time_get_minute (now),
                          g_date_time_get_second (now));
}

static void
append_base64_part (GString    *out,
                    const char *boundary,
                    const char *content_type,
                    const char *body)
{
  g_autofree char *encoded = g_base64_encode ((const guchar *) body, strlen (body));
  gsize length = strlen (encoded);

  g_string_append_printf (out,
                          "--%s\r\n"
                          "Content-Type: %s; charset=UTF-8\r\n"
                          "Content-Transfer-Encoding: base64\r\n"
                          "\r\n",
                          boundary, content_type);
  for (gsize i = 0; i < length; i += BASE64_LINE)
    {
      g_string_append_len (out, encoded + i, MIN (BASE64_LINE, length - i));
      g_string_append (out, "\r\n");
    }
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

/* Both parts are in MIME canonical form: CRLF line ends. */
static char *
render_text (const MailTemplate *template,
             const char         *name,
             const char         *reason,
             const char         *tracking_url)
{
  GString *text = g_string_new (NULL);

  if (name != NULL)
    /* Translators: the greeting of customer e-mail; %s is the customer's name */
    g_string_append_printf (text, _("Hello %s,"), name);
  else
    g_string_append (text, _("Hello,"));
  g_string_append_printf (text, "\r\n\r\n%s\r\n", _(template->headline));
  if (reason != NULL)
    {
      /* Translators: why an order was cancelled or failed; %s is the reason given */
      g_string_append_printf (text, _("Reason: %s"), reason);
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
             const char         *name,
             const char         *reason,
             const char         *tracking_url)
{
  GString *html = g_string_new ("<!DOCTYPE html>\r\n<html><head><meta charset=\"utf-8\">");
  g_autofree char *subject = g_markup_escape_text (_(template->subject), -1);
  g_autofree char *headline = g_markup_escape_text (_(template->headline), -1);
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
  g_autofree char *from_address = dsd_mail_mailbox_address (from);
  g_autofree char *boundary = NULL;
  g_autofree char *text = NULL;
  g_autofree char *html = NULL;
  g_autofree char *message_id = NULL;
  g_autofree char *uuid = g_uuid_string_random ();
  JsonObject *contact = NULL;
  const char *name = NULL;
  const char *reason = NULL;
  GString *out;

  if (template == NULL)
    {
      g_set_error (error, DSD_NOTIFY_ERROR, DSD_NOTIFY_ERROR_REJECTED,
                   "unknown e-mail template “%s”", template_name);
      return NULL;
    }

  if (!dispatch_email_address_is_valid (to) || from_address == NULL ||
      strpbrk (from, "\r\n") != NULL)
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

  text = render_text (template, name, reason, tracking_url);
  html = render_html (template, name, reason, tracking_url);
  boundary = g_strdup_printf ("=_dispatch_%08x%08x", g_random_int (), g_random_int ());
  message_id = g_strdup_printf ("<%s%s>", uuid, strrchr (from_address, '@'));

  out = g_string_new ("From: ");
  append_mailbox (out, from);
  g_string_append_printf (out, "\r\nTo: %s\r\nSubject: ", to);
  append_encoded_words (out, _(template->subject));
  g_string_append (out, "\r\n");
  append_date (out);
  g_string_append_printf (out,
                          "Message-ID: %s\r\n"
                          "MIME-Version: 1.0\r\n"
                          "Auto-Submitted: auto-generated\r\n"
                          "Content-Type: multipart/alternative; boundary=\"%s\"\r\n"
                          "\r\n",
                          message_id, boundary);
  append_base64_part (out, boundary, "text/plain", text);
  append_base64_part (out, boundary, "text/html", html);
  g_string_append_printf (out, "--%s--\r\n", boundary);

  return g_string_free_to_bytes (out);
}
