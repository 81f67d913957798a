/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-store"

#include <math.h>

#include "dispatch-json-writer.h"

#include "dsd-sql-array.h"

void
dsd_sql_array_append (GString    *array,
                      const char *element)
{
  g_string_append_c (array, array->len > 0 ? ',' : '{');
  g_string_append (array, element != NULL ? element : "NULL");
}

void
dsd_sql_array_append_double (GString  *array,
                             gboolean  present,
                             double    value)
{
  char text[G_ASCII_DTOSTR_BUF_SIZE];

  /* The JSON form of a finite number is also a float8 literal that reads
   * back as exactly value, and is much cheaper than "%.17g" for the short
   * decimals of coordinates and speeds. */
  if (present && isfinite (value))
    {
      g_string_append_c (array, array->len > 0 ? ',' : '{');
      dispatch_json_append_double (array, value);
      return;
    }

  dsd_sql_array_append (array, present ? g_ascii_dtostr (text, sizeof text, value) : NULL);
}

char *
dsd_sql_array_free_to_text (GString *array)
{
  if (array->len == 0)
    g_string_append_c (array, '{');
  g_string_append_c (array, '}');

  return g_string_free (array, FALSE);
}
