/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dc-client.h"

G_BEGIN_DECLS

/* GETs @path with @client's session into @file as it arrives (an export:
 * never held in memory whole). A failed download, even one cut midway,
 * leaves no @file. */
void     dc_download_async  (DcClient            *client,
                             const char          *path,
                             GFile               *file,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data);
gboolean dc_download_finish (DcClient            *client,
                             GAsyncResult        *result,
                             GError             **error);

G_END_DECLS
