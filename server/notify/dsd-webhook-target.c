/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-notify"

#include <string.h>

#include "dispatch-error.h"
#include "dsd-webhook-target.h"

/* In order of strictness. */
typedef enum {
  ADDRESS_PUBLIC,
  ADDRESS_PRIVATE,    /* loopback, RFC 1918, CGNAT, unique local */
  ADDRESS_FORBIDDEN,  /* link-local / metadata, unspecified, multicast, broadcast */
} AddressClass;

static AddressClass
classify_ipv4 (const guint8 *b)
{
  if (b[0] == 169 && b[1] == 254)
    return ADDRESS_FORBIDDEN;
  if (b[0] == 0 || b[0] >= 224)
    return ADDRESS_FORBIDDEN;
  if (b[0] == 127 || b[0] == 10 ||
      (b[0] == 172 && (b[1] & 0xf0) == 16) ||
      (b[0] == 192 && b[1] == 168) ||
      (b[0] == 100 && (b[1] & 0xc0) == 64))
    return ADDRESS_PRIVATE;

  return ADDRESS_PUBLIC;
}

/* IPv4 written the Teredo way: complemented. */
static AddressClass
classify_teredo_client (const guint8 *b)
{
  const guint8 client[4] = { b[0] ^ 0xff, b[1] ^ 0xff, b[2] ^ 0xff, b[3] ^ 0xff };

  return classify_ipv4 (client);
}

/*
 * IPv6 forms that carry an IPv4 address reach that address (through the
 * local stack, a NAT64 gateway, a 6to4 or Teredo relay): they are judged as
 * the IPv4 address, and as the stricter of the two where a form names two.
 */
static AddressClass
classify_ipv6 (const guint8 *b)
{
  static const guint8 mapped_prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
  static const guint8 nat64_prefix[12] = { 0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0 };
  static const guint8 nat64_local_prefix[6] = { 0, 0x64, 0xff, 0x9b, 0, 1 };
  static const guint8 teredo_prefix[4] = { 0x20, 0x01, 0, 0 };
  static const guint8 zero[12] = { 0 };

  /* ::ffff:a.b.c.d (mapped), 64:ff9b::a.b.c.d (NAT64) */
  if (memcmp (b, mapped_prefix, 12) == 0 || memcmp (b, nat64_prefix, 12) == 0)
    return classify_ipv4 (b + 12);
  /* 64:ff9b:1::/48, local-use NAT64 (RFC 8215): a private network's own */
  if (memcmp (b, nat64_local_prefix, 6) == 0)
    return ADDRESS_PRIVATE;
  /* 2002:AABB:CCDD::/48 (6to4) */
  if (b[0] == 0x20 && b[1] == 0x02)
    return classify_ipv4 (b + 2);
  /* 2001:0:SSSS:SSSS:flags:port:CCCC:CCCC (Teredo: server, then the client) */
  if (memcmp (b, teredo_prefix, 4) == 0)
    return MAX (classify_ipv4 (b + 4), classify_teredo_client (b + 12));
  if (memcmp (b, zero, 12) == 0)
    {
      /* :: and ::1 */
      if (b[12] == 0 && b[13] == 0 && b[14] == 0 && b[15] <= 1)
        return b[15] == 1 ? ADDRESS_PRIVATE : ADDRESS_FORBIDDEN;
      /* ::a.b.c.d (IPv4-compatible, deprecated but still routed by some stacks) */
      return classify_ipv4 (b + 12);
    }
  if ((b[0] == 0xfe && (b[1] & 0xc0) == 0x80) || b[0] == 0xff)
    return ADDRESS_FORBIDDEN;
  /* fc00::/7 unique local, fec0::/10 the former site-local */
  if ((b[0] & 0xfe) == 0xfc || (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0))
    return ADDRESS_PRIVATE;

  return ADDRESS_PUBLIC;
}

static void
set_url_error (GError     **error,
               const char  *message)
{
  dispatch_set_field_error (error, DISPATCH_ERROR_INVALID_ARGUMENT, "url", "%s", message);
}

GUri *
dsd_webhook_target_parse (const char  *url,
                          GError     **error)
{
  g_autoptr(GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  const char *scheme;
  const char *host;

  if (uri == NULL)
    {
      set_url_error (error, "url must be an absolute http or https URL");
      return NULL;
    }

  scheme = g_uri_get_scheme (uri);
  if (!g_str_equal (scheme, "http") && !g_str_equal (scheme, "https"))
    {
      set_url_error (error, "url must use http or https");
      return NULL;
    }

  host = g_uri_get_host (uri);
  if (host == NULL || *host == '\0')
    {
      set_url_error (error, "url must name a host");
      return NULL;
    }

  /* The secret authenticates deliveries; credentials in the URL would be
   * shown by every GET. */
  if (g_uri_get_userinfo (uri) != NULL)
    {
      set_url_error (error, "url must not contain credentials");
      return NULL;
    }

  return g_steal_pointer (&uri);
}

gboolean
dsd_webhook_target_check_address (GInetAddress  *address,
                                  gboolean       allow_private,
                                  GError       **error)
{
  const guint8 *bytes = g_inet_address_to_bytes (address);
  g_autofree char *text = g_inet_address_to_string (address);
  AddressClass class;

  class = g_inet_address_get_family (address) == G_SOCKET_FAMILY_IPV4 ? classify_ipv4 (bytes)
                                                                      : classify_ipv6 (bytes);
  switch (class)
    {
    case ADDRESS_PUBLIC:
      return TRUE;

    case ADDRESS_PRIVATE:
      if (allow_private)
        return TRUE;
      dispatch_set_field_error (error, DISPATCH_ERROR_INVALID_ARGUMENT, "url",
                                "url points to %s, a loopback or private address "
                                "(allowed only with DISPATCH_WEBHOOK_ALLOW_PRIVATE=true)",
                                text);
      return FALSE;

    case ADDRESS_FORBIDDEN:
      dispatch_set_field_error (error, DISPATCH_ERROR_INVALID_ARGUMENT, "url",
                                "url points to %s, a link-local, metadata, multicast or "
                                "unspecified address", text);
      return FALSE;

    default:
      g_assert_not_reached ();
    }
}

static gboolean
check_addresses (GList     *addresses,
                 gboolean   allow_private,
                 GError   **error)
{
  for (GList *l = addresses; l != NULL; l = l->next)
    {
      if (!dsd_webhook_target_check_address (l->data, allow_private, error))
        return FALSE;
    }

  return TRUE;
}

static void
resolved_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  GList *addresses;
  gboolean ok;

  addresses = g_resolver_lookup_by_name_finish (G_RESOLVER (source), result, &error);
  if (addresses == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
      g_debug ("Webhook host lookup failed: %s", error->message);
      g_clear_error (&error);
      set_url_error (&error, "url host could not be resolved");
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  ok = check_addresses (addresses, GPOINTER_TO_INT (g_task_get_task_data (task)), &error);
  g_resolver_free_addresses (addresses);
  if (!ok)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

void
dsd_webhook_target_resolve_async (GUri                *uri,
                                  gboolean             allow_private,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GInetAddress) literal = NULL;
  g_autoptr(GResolver) resolver = NULL;
  GError *error = NULL;
  const char *host;

  g_return_if_fail (uri != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, dsd_webhook_target_resolve_async);
  g_task_set_task_data (task, GINT_TO_POINTER (allow_private), NULL);

  host = g_uri_get_host (uri);
  literal = g_inet_address_new_from_string (host);
  if (literal != NULL)
    {
      if (!dsd_webhook_target_check_address (literal, allow_private, &error))
        g_task_return_error (task, error);
      else
        g_task_return_boolean (task, TRUE);
      return;
    }

  resolver = g_resolver_get_default ();
  g_resolver_lookup_by_name_async (resolver, host, cancellable, resolved_cb,
                                   g_steal_pointer (&task));
}

gboolean
dsd_webhook_target_resolve_finish (GAsyncResult  *result,
                                   GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
