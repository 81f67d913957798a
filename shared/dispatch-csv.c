/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "dispatch-csv.h"

#include <string.h>

void
dispatch_csv_append_field (GString    *out,
                           const char *field,
                           gboolean    guard,
                           gboolean    first)
{
  gboolean formula = guard && field[0] != '\0' && strchr ("=+-@", field[0]) != NULL;

  if (!first)
    g_string_append_c (out, ',');

  if (strpbrk (field, ",\"\r\n") == NULL)
    {
      if (formula)
        g_string_append_c (out, '\'');
      g_string_append (out, field);
      return;
    }

  g_string_append_c (out, '"');
  if (formula)
    g_string_append_c (out, '\'');
  for (const char *p = field; *p != '\0'; p++)
    {
      if (*p == '"')
        g_string_append_c (out, '"');
      g_string_append_c (out, *p);
    }
  g_string_append_c (out, '"');
}

void
dispatch_csv_end_record (GString *out)
{
  g_string_append (out, "\r\n");
}
