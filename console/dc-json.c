/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <dispatch-json.h>

#include "dc-json.h"

const char *
dc_json_string (JsonObject *object,
                const char *member)
{
  const char *value = NULL;

  if (!dispatch_json_get_string (object, NULL, member, DISPATCH_JSON_NULLABLE, G_MAXSIZE,
                                 &value, NULL))
    return NULL;
  return value;
}

double
dc_json_double (JsonObject *object,
                const char *member,
                double      fallback)
{
  double value = fallback;

  if (!dispatch_json_get_double (object, NULL, member, DISPATCH_JSON_NULLABLE,
                                 -G_MAXDOUBLE, G_MAXDOUBLE, &value, NULL))
    return fallback;
  return value;
}

gint64
dc_json_int (JsonObject *object,
             const char *member,
             gint64      fallback)
{
  gint64 value = fallback;

  if (!dispatch_json_get_int (object, NULL, member, DISPATCH_JSON_NULLABLE,
                              G_MININT64, G_MAXINT64, &value, NULL))
    return fallback;
  return value;
}

gboolean
dc_json_boolean (JsonObject *object,
                 const char *member,
                 gboolean    fallback)
{
  gboolean value = fallback;

  if (!dispatch_json_get_boolean (object, NULL, member, DISPATCH_JSON_NULLABLE, &value, NULL))
    return fallback;
  return value;
}

JsonObject *
dc_json_object (JsonObject *object,
                const char *member)
{
  JsonObject *value = NULL;

  if (!dispatch_json_get_object (object, NULL, member, DISPATCH_JSON_NULLABLE, &value, NULL))
    return NULL;
  return value;
}

JsonArray *
dc_json_array (JsonObject *object,
               const char *member)
{
  JsonArray *value = NULL;

  if (!dispatch_json_get_array (object, NULL, member, DISPATCH_JSON_NULLABLE, G_MAXUINT,
                                &value, NULL))
    return NULL;
  return value;
}

gint64
dc_json_timestamp (JsonObject *object,
                   const char *member)
{
  gint64 value = 0;

  if (!dispatch_json_get_timestamp (object, NULL, member, DISPATCH_JSON_NULLABLE,
                                    &value, NULL))
    return 0;
  return value;
}
