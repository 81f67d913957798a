/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdio.h>
#include <unistd.h>

#include <json-glib/json-glib.h>

#include "dispatch-json.h"
#include "dsd-log.h"

static DsdLogFormat log_format;
/* G_MESSAGES_DEBUG names some domain (read once, at init). */
static gboolean debug_wanted;

static const char *
level_name (GLogLevelFlags level)
{
  if (level & G_LOG_LEVEL_ERROR)
    return "ERROR";
  if (level & G_LOG_LEVEL_CRITICAL)
    return "CRITICAL";
  if (level & G_LOG_LEVEL_WARNING)
    return "WARNING";
  if (level & G_LOG_LEVEL_MESSAGE)
    return "MESSAGE";
  if (level & G_LOG_LEVEL_INFO)
    return "INFO";
  return "DEBUG";
}

static gboolean
is_text_field (const GLogField *field)
{
  return field->length < 0 || g_utf8_validate (field->value, field->length, NULL);
}

static char *
field_value (const GLogField *field)
{
  return field->length < 0 ? g_strdup (field->value)
                           : g_strndup (field->value, field->length);
}

/* Fields GLib adds on its own, or that we print in fixed places. */
static gboolean
is_standard_field (const char *key)
{
  static const char * const standard[] = {
    "MESSAGE", "PRIORITY", "GLIB_DOMAIN", "GLIB_OLD_LOG_API", "CODE_FILE", "CODE_LINE",
    "CODE_FUNC", NULL
  };

  return g_strv_contains (standard, key);
}

static char *
format_json (GLogLevelFlags   level,
             const GLogField *fields,
             gsize            n_fields,
             const char      *timestamp)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "time");
  json_builder_add_string_value (builder, timestamp);
  json_builder_set_member_name (builder, "level");
  json_builder_add_string_value (builder, level_name (level));

  for (gsize i = 0; i < n_fields; i++)
    {
      g_autofree char *key = NULL;
      g_autofree char *value = NULL;

      if (!is_text_field (&fields[i]) || g_str_equal (fields[i].key, "PRIORITY") ||
          g_str_equal (fields[i].key, "GLIB_OLD_LOG_API"))
        continue;

      key = g_ascii_strdown (fields[i].key, -1);
      value = field_value (&fields[i]);
      json_builder_set_member_name (builder, g_str_equal (key, "glib_domain") ? "domain" : key);
      json_builder_add_string_value (builder, value);
    }

  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  return dispatch_json_to_string (root, NULL);
}

static char *
format_text (GLogLevelFlags   level,
             const GLogField *fields,
             gsize            n_fields,
             const char      *timestamp)
{
  g_autoptr(GString) line = g_string_new (timestamp);
  g_autoptr(GString) extra = g_string_new (NULL);
  g_autofree char *domain = NULL;
  g_autofree char *message = NULL;

  for (gsize i = 0; i < n_fields; i++)
    {
      if (!is_text_field (&fields[i]))
        continue;

      if (g_str_equal (fields[i].key, "GLIB_DOMAIN"))
        domain = field_value (&fields[i]);
      else if (g_str_equal (fields[i].key, "MESSAGE"))
        message = field_value (&fields[i]);
      else if (!is_standard_field (fields[i].key))
        {
          g_autofree char *key = g_ascii_strdown (fields[i].key, -1);
          g_autofree char *value = field_value (&fields[i]);

          g_string_append_printf (extra, " %s=%s", key, value);
        }
    }

  g_string_append_printf (line, " %s %s: %s%s", level_name (level),
                          domain ? domain : "dispatchd", message ? message : "", extra->str);
  return g_string_free (g_steal_pointer (&line), FALSE);
}

static GLogWriterOutput
writer (GLogLevelFlags   level,
        const GLogField *fields,
        gsize            n_fields,
        gpointer         user_data)
{
  g_autoptr(GDateTime) now = NULL;
  g_autofree char *timestamp = NULL;
  g_autofree char *line = NULL;
  const char *domain = NULL;

  for (gsize i = 0; i < n_fields && domain == NULL; i++)
    {
      if (g_str_equal (fields[i].key, "GLIB_DOMAIN"))
        domain = fields[i].value;
    }

  if (g_log_writer_default_would_drop (level, domain))
    return G_LOG_WRITER_HANDLED;

  if (g_log_writer_is_journald (fileno (stderr)) &&
      g_log_writer_journald (level, fields, n_fields, user_data) == G_LOG_WRITER_HANDLED)
    return G_LOG_WRITER_HANDLED;

  now = g_date_time_new_now_utc ();
  timestamp = g_date_time_format (now, "%FT%T.%fZ");
  if (log_format == DSD_LOG_FORMAT_JSON)
    line = format_json (level, fields, n_fields, timestamp);
  else
    line = format_text (level, fields, n_fields, timestamp);

  fprintf (stderr, "%s\n", line);
  fflush (stderr);

  return G_LOG_WRITER_HANDLED;
}

/* Records of g_log(): libsoup logs debug records for every websocket frame,
 * so they are dropped here when no debug output is asked for, before the
 * structured writer reads the environment for each of them. */
static void
default_handler (const char     *domain,
                 GLogLevelFlags  level,
                 const char     *message,
                 gpointer        user_data)
{
  if ((level & G_LOG_LEVEL_DEBUG) != 0 && !debug_wanted)
    return;

  g_log_default_handler (domain, level, message, user_data);
}

void
dsd_log_init (DsdLogFormat format)
{
  const char *debug = g_getenv ("G_MESSAGES_DEBUG");

  log_format = format;
  debug_wanted = debug != NULL && *debug != '\0';
  g_log_set_writer_func (writer, NULL, NULL);
  g_log_set_default_handler (default_handler, NULL);
}
