/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dsd-clock.h"

G_BEGIN_DECLS

/*
 * In-process sliding-window counter: at most `limit` hits per key within
 * `window_s` seconds of the clock. Old keys are swept so memory stays bounded. Thread-safe.
 */
#define DSD_TYPE_RATE_LIMITER (dsd_rate_limiter_get_type ())
G_DECLARE_FINAL_TYPE (DsdRateLimiter, dsd_rate_limiter, DSD, RATE_LIMITER, GObject)

DsdRateLimiter *dsd_rate_limiter_new      (DsdClock       *clock,
                                           guint           limit,
                                           guint           window_s);
/* Records a hit. Returns FALSE when the key is over its limit (the refused hit
 * is not recorded); then *retry_after_s says when to come back. */
gboolean        dsd_rate_limiter_hit      (DsdRateLimiter *self,
                                           const char     *key,
                                           guint          *retry_after_s);
/* Like dsd_rate_limiter_hit() without recording a hit: FALSE when the key is
 * already at its limit (the next hit would be refused), with *retry_after_s. */
gboolean        dsd_rate_limiter_check    (DsdRateLimiter *self,
                                           const char     *key,
                                           guint          *retry_after_s);
void            dsd_rate_limiter_reset    (DsdRateLimiter *self,
                                           const char     *key);

G_END_DECLS
