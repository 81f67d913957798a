/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-store"

#include <libpq-fe.h>

#include "dispatch-error.h"
#include "dsd-pg-conninfo.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PQconninfoOption, PQconninfoFree)

/* 'value' with \ and ' escaped, as a key=value conninfo wants it. */
static void
append_quoted (GString    *out,
               const char *value)
{
  g_string_append_c (out, '\'');
  for (const char *p = value; *p != '\0'; p++)
    {
      if (*p == '\\' || *p == '\'')
        g_string_append_c (out, '\\');
      g_string_append_c (out, *p);
    }
  g_string_append_c (out, '\'');
}

char *
dsd_pg_conninfo_add_option (const char  *conninfo,
                            const char  *setting,
                            GError     **error)
{
  g_autoptr(PQconninfoOption) options = NULL;
  g_autoptr(GString) out = g_string_new (NULL);
  g_autofree char *message = NULL;
  gboolean added = FALSE;

  g_return_val_if_fail (conninfo != NULL, NULL);
  g_return_val_if_fail (setting != NULL, NULL);

  options = PQconninfoParse (conninfo, &message);
  if (options == NULL)
    {
      g_set_error (error, DISPATCH_ERROR, DISPATCH_ERROR_UNAVAILABLE,
                   "invalid database connection string: %s",
                   message != NULL ? g_strchomp (message) : "out of memory");
      return NULL;
    }

  for (PQconninfoOption *o = options; o->keyword != NULL; o++)
    {
      g_autofree char *merged = NULL;
      const char *value = o->val;

      if (g_str_equal (o->keyword, "options"))
        {
          value = merged = value != NULL ? g_strdup_printf ("%s %s", value, setting)
                                         : g_strdup (setting);
          added = TRUE;
        }

      if (value == NULL)
        continue;

      g_string_append_printf (out, "%s%s=", out->len > 0 ? " " : "", o->keyword);
      append_quoted (out, value);
    }
  g_assert (added);

  return g_string_free (g_steal_pointer (&out), FALSE);
}
