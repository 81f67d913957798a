/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-bus"

#include "dispatch-json.h"
#include "dsd-event-view.h"

/* Members of event data that role does not see (NULL-terminated): staff see
 * everything; drivers do not get the tracking token either (it opens the
 * public tracking page, which shows the delivery PIN the driver must ask the
 * customer for; dispatch.order_for() in SQL). */
static const char * const *
hidden_members (DsdRole role)
{
  static const char * const none[] = { NULL };
  static const char * const from_customers[] = { "assignment", NULL };
  static const char * const from_drivers[] = { "assignment", "tracking_token", NULL };

  if ((role & DSD_ROLES_STAFF) != 0)
    return none;

  return role == DSD_ROLE_DRIVER ? from_drivers : from_customers;
}

gboolean
dsd_event_view_redact (JsonObject *data,
                       DsdRole     role)
{
  const char * const *hidden = hidden_members (role);
  gboolean redacted = FALSE;

  g_return_val_if_fail (data != NULL, FALSE);

  for (guint i = 0; hidden[i] != NULL; i++)
    {
      if (json_object_has_member (data, hidden[i]))
        {
          json_object_remove_member (data, hidden[i]);
          redacted = TRUE;
        }
    }

  return redacted;
}

GBytes *
dsd_event_view_envelope (DsdEvent *event,
                         DsdRole   role)
{
  GBytes *envelope = dsd_event_get_envelope (event);
  g_autoptr(JsonObject) copy = NULL;
  g_autoptr(JsonNode) root = NULL;
  JsonObject *data = dsd_event_get_data (event);
  gboolean hidden = FALSE;
  gsize length;
  const char *text;
  char *redacted;

  g_return_val_if_fail (event != NULL, NULL);

  for (const char * const *member = hidden_members (role); *member != NULL; member++)
    hidden |= json_object_has_member (data, *member);
  if (!hidden)
    return g_bytes_ref (envelope);

  /* Offers, automatic assignments and order events to drivers: re-parse. */
  text = g_bytes_get_data (envelope, &length);
  copy = dispatch_json_parse_object (text, length, NULL);
  g_return_val_if_fail (copy != NULL, g_bytes_ref (envelope));
  dsd_event_view_redact (json_object_get_object_member (copy, "data"), role);

  root = json_node_init_object (json_node_alloc (), copy);
  redacted = dispatch_json_to_string (root, &length);
  return g_bytes_new_take (redacted, length);
}
