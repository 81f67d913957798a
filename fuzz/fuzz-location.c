/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The location ingest fast path: batches of driver positions. */
#include "dsd-location-scanner.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(GArray) points = NULL;

  points = dsd_location_scan ((const char *) data, size, 1000, (gint64) 1700000000 * G_USEC_PER_SEC);

  return 0;
}
