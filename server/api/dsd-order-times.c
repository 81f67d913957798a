/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-api"

#include "dispatch-error.h"
#include "dispatch-json.h"
#include "dispatch-limits.h"
#include "dsd-order-times.h"

static const char * const members[] = { "ready_at", "deliver_after", "deliver_before" };

enum { READY_AT, DELIVER_AFTER, DELIVER_BEFORE, N_MEMBERS };

gboolean
dsd_order_times_read (JsonObject   *body,
                      gint64        now_us,
                      gboolean      keep_nulls,
                      JsonBuilder  *builder,
                      GError      **error)
{
  gint64 times[N_MEMBERS] = { 0 };
  gboolean present[N_MEMBERS] = { FALSE };

  for (guint i = 0; i < N_MEMBERS; i++)
    {
      if (!dispatch_json_get_timestamp (body, NULL, members[i], DISPATCH_JSON_NULLABLE,
                                        &times[i], error))
        return FALSE;
      present[i] = json_object_has_member (body, members[i]) &&
                   !json_object_get_null_member (body, members[i]);
      if (present[i] && times[i] - now_us > (gint64) DISPATCH_ORDER_MAX_AHEAD_S * G_USEC_PER_SEC)
        {
          dispatch_set_field_error (error, DISPATCH_ERROR_INVALID_ARGUMENT, members[i],
                                    "%s must be at most %d days ahead", members[i],
                                    DISPATCH_ORDER_MAX_AHEAD_S / 86400);
          return FALSE;
        }
    }

  if (present[DELIVER_BEFORE] && times[DELIVER_BEFORE] <= now_us)
    {
      dispatch_set_field_error (error, DISPATCH_ERROR_INVALID_ARGUMENT, "deliver_before",
                                "deliver_before must be in the future");
      return FALSE;
    }
  if (present[DELIVER_AFTER] && present[DELIVER_BEFORE] &&
      times[DELIVER_AFTER] >= times[DELIVER_BEFORE])
    {
      dispatch_set_field_error (error, DISPATCH_ERROR_INVALID_ARGUMENT, "deliver_after",
                                "deliver_after must be before deliver_before");
      return FALSE;
    }
  if (present[READY_AT] && present[DELIVER_BEFORE] && times[READY_AT] >= times[DELIVER_BEFORE])
    {
      dispatch_set_field_error (error, DISPATCH_ERROR_INVALID_ARGUMENT, "ready_at",
                                "ready_at must be before deliver_before");
      return FALSE;
    }

  for (guint i = 0; i < N_MEMBERS; i++)
    {
      g_autofree char *text = NULL;

      if (present[i])
        {
          text = dispatch_format_timestamp (times[i]);
          json_builder_set_member_name (builder, members[i]);
          json_builder_add_string_value (builder, text);
        }
      else if (keep_nulls && json_object_has_member (body, members[i]))
        {
          json_builder_set_member_name (builder, members[i]);
          json_builder_add_null_value (builder);
        }
    }

  return TRUE;
}
