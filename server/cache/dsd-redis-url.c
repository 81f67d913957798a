/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-cache"

#include "config.h"

#include <string.h>

#include <gio/gio.h>

#include "dsd-redis-url.h"

#define DEFAULT_PORT 6379
#define MAX_DB 1000000

static gpointer
refuse (GError     **error,
        const char  *reason)
{
  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
               "REDIS_URL: %s (expected redis://[:password@]host[:port][/db])", reason);
  return NULL;
}

static gboolean
parse_db (const char *path,
          guint      *db)
{
  guint64 value;

  if (path[0] == '\0' || g_str_equal (path, "/"))
    {
      *db = 0;
      return TRUE;
    }

  if (path[0] != '/' ||
      !g_ascii_string_to_unsigned (path + 1, 10, 0, MAX_DB, &value, NULL))
    return FALSE;

  *db = value;
  return TRUE;
}

DsdRedisUrl *
dsd_redis_url_parse (const char  *text,
                     GError     **error)
{
  g_autoptr(GUri) uri = NULL;
  g_autoptr(DsdRedisUrl) url = g_new0 (DsdRedisUrl, 1);
  const char *host;
  const char *user;
  const char *password;

  g_return_val_if_fail (text != NULL, NULL);

  uri = g_uri_parse (text, G_URI_FLAGS_HAS_PASSWORD | G_URI_FLAGS_ENCODED, NULL);
  if (uri == NULL)
    return refuse (error, "not a URL");

  if (g_str_equal (g_uri_get_scheme (uri), "rediss"))
    return refuse (error, "TLS (rediss://) is not supported");
  if (!g_str_equal (g_uri_get_scheme (uri), "redis"))
    return refuse (error, "the scheme must be redis://");

  host = g_uri_get_host (uri);
  if (host == NULL || host[0] == '\0')
    return refuse (error, "no host");
  if (g_uri_get_query (uri) != NULL || g_uri_get_fragment (uri) != NULL)
    return refuse (error, "no query or fragment allowed");

  user = g_uri_get_user (uri);
  if (user != NULL && user[0] != '\0')
    return refuse (error, "user names are not supported, only :password@");

  password = g_uri_get_password (uri);
  if (password != NULL)
    {
      url->password = g_uri_unescape_string (password, NULL);
      if (url->password == NULL || url->password[0] == '\0')
        return refuse (error, "bad or empty password");
    }
  else if (user != NULL)
    return refuse (error, "user names are not supported, only :password@");

  if (g_uri_get_port (uri) == 0)
    return refuse (error, "port 0");
  url->port = g_uri_get_port (uri) > 0 ? (guint) g_uri_get_port (uri) : DEFAULT_PORT;
  url->host = g_strdup (host);

  if (!parse_db (g_uri_get_path (uri), &url->db))
    return refuse (error, "the path must be a database number");

  return g_steal_pointer (&url);
}

DsdRedisUrl *
dsd_redis_url_copy (const DsdRedisUrl *self)
{
  DsdRedisUrl *copy = g_new0 (DsdRedisUrl, 1);

  copy->host = g_strdup (self->host);
  copy->port = self->port;
  copy->password = g_strdup (self->password);
  copy->db = self->db;
  return copy;
}

void
dsd_redis_url_free (DsdRedisUrl *self)
{
  if (self == NULL)
    return;

  g_free (self->host);
  if (self->password != NULL)
    memset (self->password, 0, strlen (self->password));
  g_free (self->password);
  g_free (self);
}
