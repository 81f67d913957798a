/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * PostgreSQL array literals ("{a,b,NULL}") for the array parameters of batch
 * calls (the live subsystem's). Elements are numbers, uuids and timestamps:
 * none needs quoting.
 */

/* Appends element, or SQL NULL when element is NULL. */
void  dsd_sql_array_append        (GString    *array,
                                   const char *element);
void  dsd_sql_array_append_double (GString    *array,
                                   gboolean    present,
                                   double      value);
/* Closes the literal and frees array. Returns: (transfer full) */
char *dsd_sql_array_free_to_text  (GString    *array);

G_END_DECLS
