/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-store"

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
