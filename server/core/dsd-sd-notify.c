/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-core"

#include "config.h"

#include <string.h>
#include <gio/gunixsocketaddress.h>

#include "dsd-sd-notify.h"

char *
dsd_sd_notify_take_socket (void)
{
  char *path = g_strdup (g_getenv ("NOTIFY_SOCKET"));

  g_unsetenv ("NOTIFY_SOCKET");
  if (path != NULL && (path[0] == '\0' || (path[0] != '/' && path[0] != '@')))
    g_clear_pointer (&path, g_free);

  return path;
}

gboolean
dsd_sd_notify (const char *socket_path,
               const char *state)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GSocketAddress) address = NULL;

  g_return_val_if_fail (state != NULL, FALSE);

  if (socket_path == NULL)
    return FALSE;

  if (socket_path[0] == '@')
    address = g_unix_socket_address_new_with_type (socket_path + 1, -1,
                                                   G_UNIX_SOCKET_ADDRESS_ABSTRACT);
  else
    address = g_unix_socket_address_new (socket_path);

  socket = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_DATAGRAM,
                         G_SOCKET_PROTOCOL_DEFAULT, &error);
  if (socket != NULL)
    {
      g_socket_set_blocking (socket, FALSE);
      if (g_socket_send_to (socket, address, state, strlen (state), NULL, &error) >= 0)
        return TRUE;
    }

  g_warning ("Cannot notify the service manager at %s: %s", socket_path, error->message);
  return FALSE;
}
