/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  DSD_LOG_FORMAT_TEXT,
  DSD_LOG_FORMAT_JSON,
} DsdLogFormat;

/*
 * Installs the structured log writer: to the journal when stderr is connected
 * to it, else one line per record on stderr, either
 * "2026-11-22T10:00:00.123Z WARNING dsd-store: message key=value" or a JSON
 * object with every structured field. Debug records follow G_MESSAGES_DEBUG.
 */
void dsd_log_init (DsdLogFormat format);

G_END_DECLS
