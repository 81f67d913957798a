/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Proof-of-delivery uploads: the JPEG/PNG sniffer that decides what the bytes are. */
#include "dispatch-image.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  DispatchImageInfo info;

  if (dispatch_image_sniff (data, size, &info, NULL))
    g_assert (info.width > 0 && info.height > 0 && dispatch_image_type_mime (info.type) != NULL);

  return 0;
}
