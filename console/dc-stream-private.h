/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dc-stream.h"

G_BEGIN_DECLS

/* The handlers of the socket's frames and of its end, for tests. */
void dc_stream_handle_frame  (DcStream   *self,
                              const char *text,
                              gsize       length);
void dc_stream_handle_closed (DcStream   *self);

G_END_DECLS
