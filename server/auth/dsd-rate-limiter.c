/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-auth"

#include "config.h"

#include <string.h>

#include "dsd-rate-limiter.h"

/*
 * Each key keeps a ring of counters, one per 1/16 of the window, and a hit is
 * counted over N_BUCKETS = 17 of them: a hit is forgotten between window_s and
 * window_s + window_s/16 after it happened, never earlier, so no key gets more
 * than `limit` hits in any window_s span. Memory per key is fixed whatever the
 * limit, and keys idle for a whole window are swept once per window. A hard cap
 * on the number of keys keeps a flood of distinct keys from growing the table:
 * past it, new keys are not tracked (and so not limited) until the next sweep.
 */
#define N_SLICES 16
#define N_BUCKETS (N_SLICES + 1)
#define MAX_KEYS 65536

typedef struct {
  gint64  newest;             /* absolute bucket number of counts' newest slot */
  guint32 counts[N_BUCKETS];  /* indexed by bucket % N_BUCKETS */
} Entry;

struct _DsdRateLimiter
{
  GObject     parent_instance;

  DsdClock   *clock;
  guint       limit;
  gint64      bucket_us;
  GMutex      mutex;
  GHashTable *entries;        /* key → Entry */
  gint64      last_sweep_bucket;
  gboolean    warned_full;
};

G_DEFINE_FINAL_TYPE (DsdRateLimiter, dsd_rate_limiter, G_TYPE_OBJECT)

static void
entry_advance (Entry  *entry,
               gint64  bucket)
{
  if (bucket - entry->newest >= N_BUCKETS)
    memset (entry->counts, 0, sizeof entry->counts);
  else
    {
      for (gint64 b = entry->newest + 1; b <= bucket; b++)
        entry->counts[b % N_BUCKETS] = 0;
    }

  entry->newest = MAX (entry->newest, bucket);
}

static guint
entry_total (const Entry *entry)
{
  guint total = 0;

  for (guint i = 0; i < N_BUCKETS; i++)
    total += entry->counts[i];

  return total;
}

/* Seconds until enough of the oldest buckets expire to get below the limit. */
static guint
entry_retry_after (const DsdRateLimiter *self,
                   const Entry          *entry,
                   guint                 total,
                   gint64                now_us)
{
  for (gint64 b = entry->newest - N_BUCKETS + 1; b <= entry->newest; b++)
    {
      total -= entry->counts[b % N_BUCKETS];
      if (total < self->limit)
        {
          gint64 expires_us = (b + N_BUCKETS) * self->bucket_us;

          return MAX (1, (expires_us - now_us + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC);
        }
    }

  g_assert_not_reached ();
}

static gboolean
entry_is_idle (gpointer key,
               gpointer value,
               gpointer user_data)
{
  const Entry *entry = value;
  const gint64 *bucket = user_data;

  return *bucket - entry->newest >= N_BUCKETS;
}

/* Called with the lock held. Idle keys go once per window; a full table is
 * swept at most once per bucket. */
static void
sweep_if_due (DsdRateLimiter *self,
              gint64          bucket)
{
  gboolean due;

  if (g_hash_table_size (self->entries) >= MAX_KEYS)
    due = bucket != self->last_sweep_bucket;
  else
    due = bucket - self->last_sweep_bucket >= N_BUCKETS;

  if (!due)
    return;

  g_hash_table_foreach_remove (self->entries, entry_is_idle, &bucket);
  self->last_sweep_bucket = bucket;
}

/* Called with the lock held; record: count a hit when under the limit. */
static gboolean
take (DsdRateLimiter *self,
      const char     *key,
      gboolean        record,
      guint          *retry_after_s)
{
  gint64 now_us = dsd_clock_get_monotonic_us (self->clock);
  gint64 bucket = now_us / self->bucket_us;
  Entry *entry;
  guint total;

  sweep_if_due (self, bucket);

  entry = g_hash_table_lookup (self->entries, key);
  if (entry == NULL)
    {
      if (!record)
        return TRUE;

      if (g_hash_table_size (self->entries) >= MAX_KEYS)
        {
          if (!self->warned_full)
            g_warning ("Rate limiter is tracking %u keys; new keys pass unlimited", MAX_KEYS);
          self->warned_full = TRUE;
          return TRUE;
        }

      entry = g_new0 (Entry, 1);
      entry->newest = bucket;
      g_hash_table_insert (self->entries, g_strdup (key), entry);
    }

  entry_advance (entry, bucket);
  total = entry_total (entry);

  if (total >= self->limit)
    {
      if (retry_after_s != NULL)
        *retry_after_s = entry_retry_after (self, entry, total, now_us);
      return FALSE;
    }

  if (record)
    entry->counts[bucket % N_BUCKETS]++;

  return TRUE;
}

static void
dsd_rate_limiter_finalize (GObject *object)
{
  DsdRateLimiter *self = (DsdRateLimiter *)object;

  g_clear_pointer (&self->entries, g_hash_table_unref);
  g_clear_object (&self->clock);
  g_mutex_clear (&self->mutex);

  G_OBJECT_CLASS (dsd_rate_limiter_parent_class)->finalize (object);
}

static void
dsd_rate_limiter_class_init (DsdRateLimiterClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = dsd_rate_limiter_finalize;
}

static void
dsd_rate_limiter_init (DsdRateLimiter *self)
{
  g_mutex_init (&self->mutex);
  self->entries = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

DsdRateLimiter *
dsd_rate_limiter_new (DsdClock *clock,
                      guint     limit,
                      guint     window_s)
{
  DsdRateLimiter *self;

  g_return_val_if_fail (DSD_IS_CLOCK (clock), NULL);
  g_return_val_if_fail (limit > 0, NULL);
  g_return_val_if_fail (window_s > 0, NULL);

  self = g_object_new (DSD_TYPE_RATE_LIMITER, NULL);
  self->clock = g_object_ref (clock);
  self->limit = limit;
  self->bucket_us = (gint64) window_s * G_USEC_PER_SEC / N_SLICES;
  self->last_sweep_bucket = dsd_clock_get_monotonic_us (clock) / self->bucket_us;

  return self;
}

gboolean
dsd_rate_limiter_hit (DsdRateLimiter *self,
                      const char     *key,
                      guint          *retry_after_s)
{
  gboolean allowed;

  g_return_val_if_fail (DSD_IS_RATE_LIMITER (self), FALSE);
  g_return_val_if_fail (key != NULL, FALSE);

  g_mutex_lock (&self->mutex);
  allowed = take (self, key, TRUE, retry_after_s);
  g_mutex_unlock (&self->mutex);

  return allowed;
}

gboolean
dsd_rate_limiter_check (DsdRateLimiter *self,
                        const char     *key,
                        guint          *retry_after_s)
{
  gboolean allowed;

  g_return_val_if_fail (DSD_IS_RATE_LIMITER (self), FALSE);
  g_return_val_if_fail (key != NULL, FALSE);

  g_mutex_lock (&self->mutex);
  allowed = take (self, key, FALSE, retry_after_s);
  g_mutex_unlock (&self->mutex);

  return allowed;
}

void
dsd_rate_limiter_reset (DsdRateLimiter *self,
                        const char     *key)
{
  g_return_if_fail (DSD_IS_RATE_LIMITER (self));
  g_return_if_fail (key != NULL);

  g_mutex_lock (&self->mutex);
  g_hash_table_remove (self->entries, key);
  g_mutex_unlock (&self->mutex);
}
