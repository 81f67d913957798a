/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The strict JSON checker and parser that every request body goes through. */
#include "dispatch-json.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) object = NULL;

  object = dispatch_json_parse_object ((const char *) data, size, &error);
  g_assert ((object == NULL) != (error == NULL));

  return 0;
}
