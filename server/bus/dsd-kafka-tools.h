/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <stdio.h>

#include "dsd-config.h"

G_BEGIN_DECLS

/*
 * dispatchctl's Kafka commands. They block (a command-line tool has no main
 * loop to keep), each wait bounded by timeout_ms.
 */

/* Prints every record of the dead-letter topic as one JSON object a line:
 * {"partition","offset","timestamp","headers":{…},"event":<the record>}. */
gboolean dsd_kafka_list_dead_letters (DsdConfig   *config,
                                      FILE        *out,
                                      guint        timeout_ms,
                                      GError     **error);

/* Publishes numbered events again from the outbox archive, with their seq
 * and key, to topic (NULL: the events topic): seq in [from_seq, to_seq]
 * (0: unbounded) committed in [since_us, until_us) (0: unbounded).
 * Consumers drop what they have already seen by seq; consumer groups
 * process them again (their effects are idempotent). Returns how many. */
gint64   dsd_kafka_replay            (DsdConfig   *config,
                                      const char  *conninfo,
                                      const char  *topic,
                                      gint64       from_seq,
                                      gint64       to_seq,
                                      gint64       since_us,
                                      gint64       until_us,
                                      guint        timeout_ms,
                                      GError     **error);

G_END_DECLS
