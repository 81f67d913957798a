/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-cache"

#include "config.h"

#include <math.h>

#include "dispatch-json.h"
#include "dsd-local-cache.h"
#include "dsd-redis-cache.h"
#include "dsd-redis.h"

#define KEY_PREFIX "dispatch:"
#define POSITIONS_CHANNEL KEY_PREFIX "positions"
#define GEO_KEY KEY_PREFIX "positions:geo"
#define SEEN_KEY KEY_PREFIX "positions:seen"
#define LAST_KEY KEY_PREFIX "positions:last"
#define FLUSH_DELAY_MS 2
#define MAX_BATCH 500
#define WARM_WAIT_MS 2000
#define GENERATION_KEEP_S "86400"
#define SLOTS_KEEP_S "86400"
#define INSTANCE_KEY KEY_PREFIX "instance:"
#define INSTANCE_TTL_S "30"
#define HEARTBEAT_S 10
/* The most drivers one `near` takes from the GEO set; a search that finds more
 * is answered from PostgreSQL, which pages without holding them all. */
#define NEAR_MAX_IDS 10000
#define LOOKUPS_METRIC "dispatch_cache_lookups_total"
#define ERRORS_METRIC "dispatch_cache_errors_total"

/* KEYS[1] the key; ARGV limit, window (µs), record (0/1), a unique member.
 * Returns {allowed (0/1), retry after (s)}. A sliding log: the hits of the
 * last window, scored by the server's clock (one clock for every instance). */
static const char limit_lua[] =
  "local t = redis.call('TIME')\n"
  "local now = tonumber(t[1]) * 1000000 + tonumber(t[2])\n"
  "local limit, window = tonumber(ARGV[1]), tonumber(ARGV[2])\n"
  "redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)\n"
  "local n = redis.call('ZCARD', KEYS[1])\n"
  "if n >= limit then\n"
  "  local first = redis.call('ZRANGE', KEYS[1], n - limit, n - limit, 'WITHSCORES')\n"
  "  local wait = tonumber(first[2]) + window - now\n"
  "  return {0, math.max(1, math.ceil(wait / 1000000))}\n"
  "end\n"
  "if ARGV[3] == '1' then\n"
  "  redis.call('ZADD', KEYS[1], now, ARGV[4])\n"
  "  redis.call('PEXPIRE', KEYS[1], math.ceil(window / 1000))\n"
  "end\n"
  "return {1, 0}\n";

/* KEYS geo, seen, last; ARGV channel, origin, keep (µs), then per driver:
 * id, lon, lat, recorded_at (µs), driver.location envelope. The newer
 * position wins; those older than keep go; what changed is published as
 * "origin\nenvelope\n…". Redis GEO takes latitudes within ±85.05112878°. */
static const char positions_lua[] =
  "local changed = {}\n"
  "for i = 4, #ARGV, 5 do\n"
  "  local id, t = ARGV[i], tonumber(ARGV[i + 3])\n"
  "  local old = redis.call('ZSCORE', KEYS[2], id)\n"
  "  if not old or tonumber(old) < t then\n"
  "    local lat = tonumber(ARGV[i + 2])\n"
  "    if lat <= 85.05112878 and lat >= -85.05112878 then\n"
  "      redis.call('GEOADD', KEYS[1], ARGV[i + 1], ARGV[i + 2], id)\n"
  "    else\n"
  "      redis.call('ZREM', KEYS[1], id)\n"
  "    end\n"
  "    redis.call('ZADD', KEYS[2], t, id)\n"
  "    redis.call('HSET', KEYS[3], id, ARGV[i + 4])\n"
  "    changed[#changed + 1] = ARGV[i + 4]\n"
  "  end\n"
  "end\n"
  "local tm = redis.call('TIME')\n"
  "local cutoff = tonumber(tm[1]) * 1000000 + tonumber(tm[2]) - tonumber(ARGV[3])\n"
  "for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', cutoff, 'LIMIT', 0, 100)) do\n"
  "  redis.call('ZREM', KEYS[2], id)\n"
  "  redis.call('ZREM', KEYS[1], id)\n"
  "  redis.call('HDEL', KEYS[3], id)\n"
  "end\n"
  "if #changed > 0 then\n"
  "  redis.call('PUBLISH', ARGV[1], ARGV[2] .. '\\n' .. table.concat(changed, '\\n'))\n"
  "end\n"
  "return #changed\n";

/* Slots: a hash per key, the slots each instance holds (what its own count
 * says, written whole each time: no drift). An instance is alive while its
 * key INSTANCE_KEY<origin> lives: renewed every HEARTBEAT_S, so the slots of
 * one that crashed stop counting within INSTANCE_TTL_S and go when found.
 * KEYS slots; ARGV origin, this instance's slots with the new one, max.
 * Returns 1 when taken; else writes the count without it and returns 0. */
static const char slot_take_lua[] =
  "redis.call('SET', '" INSTANCE_KEY "' .. ARGV[1], '1', 'EX', " INSTANCE_TTL_S ")\n"
  "local mine = tonumber(ARGV[2])\n"
  "local total = mine\n"
  "local held = redis.call('HGETALL', KEYS[1])\n"
  "for i = 1, #held, 2 do\n"
  "  if held[i] ~= ARGV[1] then\n"
  "    if redis.call('EXISTS', '" INSTANCE_KEY "' .. held[i]) == 1 then\n"
  "      total = total + tonumber(held[i + 1])\n"
  "    else\n"
  "      redis.call('HDEL', KEYS[1], held[i])\n"
  "    end\n"
  "  end\n"
  "end\n"
  "local taken = total <= tonumber(ARGV[3])\n"
  "if not taken then mine = mine - 1 end\n"
  "if mine > 0 then\n"
  "  redis.call('HSET', KEYS[1], ARGV[1], mine)\n"
  "  redis.call('EXPIRE', KEYS[1], " SLOTS_KEEP_S ")\n"
  "else\n"
  "  redis.call('HDEL', KEYS[1], ARGV[1])\n"
  "end\n"
  "return taken and 1 or 0\n";

/* KEYS slots; ARGV origin, the slots this instance holds. */
static const char slot_set_lua[] =
  "if ARGV[2] == '0' then return redis.call('HDEL', KEYS[1], ARGV[1]) end\n"
  "redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])\n"
  "redis.call('EXPIRE', KEYS[1], " SLOTS_KEEP_S ")\n"
  "return 1\n";

/* KEYS geo, seen, last; ARGV lon, lat, radius (m), keep (µs), most. The
 * members within the radius, nearest first, whose position is at most keep
 * old; the older ones found on the way go (GEO members never expire). More
 * than most members within the radius: false (too many to take). */
static const char near_lua[] =
  "local found = redis.call('GEOSEARCH', KEYS[1], 'FROMLONLAT', ARGV[1], ARGV[2],\n"
  "                         'BYRADIUS', ARGV[3], 'm', 'ASC', 'COUNT', tonumber(ARGV[5]) + 1)\n"
  "if #found > tonumber(ARGV[5]) then return false end\n"
  "local tm = redis.call('TIME')\n"
  "local cutoff = tonumber(tm[1]) * 1000000 + tonumber(tm[2]) - tonumber(ARGV[4])\n"
  "local fresh = {}\n"
  "for _, id in ipairs(found) do\n"
  "  local t = redis.call('ZSCORE', KEYS[2], id)\n"
  "  if t and tonumber(t) >= cutoff then\n"
  "    fresh[#fresh + 1] = id\n"
  "  else\n"
  "    redis.call('ZREM', KEYS[1], id)\n"
  "    redis.call('ZREM', KEYS[2], id)\n"
  "    redis.call('HDEL', KEYS[3], id)\n"
  "  end\n"
  "end\n"
  "return fresh\n";

/* Entries are "<generation key> <generation>\n<value>". KEYS entry, the
 * scope's generation key (or ""). Returns {value or false, generation}. */
static const char lookup_lua[] =
  "local g = false\n"
  "if KEYS[2] ~= '' then g = redis.call('GET', KEYS[2]) or '0' end\n"
  "local e = redis.call('GET', KEYS[1])\n"
  "if not e then return {false, g} end\n"
  "local nl = string.find(e, '\\n', 1, true)\n"
  "local gk, ge = string.match(string.sub(e, 1, nl - 1), '^(%S+) (%S+)$')\n"
  "if (redis.call('GET', gk) or '0') ~= ge then return {false, g} end\n"
  "return {string.sub(e, nl + 1), g}\n";

/* KEYS entry, generation key; ARGV ttl, value, stamp ("" for now). */
static const char store_lua[] =
  "local g = redis.call('GET', KEYS[2]) or '0'\n"
  "if ARGV[3] ~= '' and ARGV[3] ~= g then return 0 end\n"
  "redis.call('SET', KEYS[1], KEYS[2] .. ' ' .. g .. '\\n' .. ARGV[2], 'EX', ARGV[1])\n"
  "return 1\n";

/* KEYS generation key; ARGV how long it outlives its last change (s), far
 * longer than any entry's TTL. */
static const char invalidate_lua[] =
  "redis.call('INCR', KEYS[1])\n"
  "redis.call('EXPIRE', KEYS[1], ARGV[1])\n"
  "return 1\n";

struct _DsdRedisCache
{
  GObject         parent_instance;

  DsdRedis       *redis;          /* commands */
  DsdRedis       *subscriber;     /* other instances' positions; NULL with Kafka */
  DsdRedisScript *limit_script;
  DsdRedisScript *positions_script;
  DsdRedisScript *near_script;
  DsdRedisScript *slot_take_script;
  DsdRedisScript *slot_set_script;
  DsdRedisScript *lookup_script;
  DsdRedisScript *store_script;
  DsdRedisScript *invalidate_script;
  DsdLocalCache  *local;          /* while Redis is down */
  DsdEventBus    *bus;
  DsdMetrics     *metrics;
  char           *origin;         /* this instance, in what it publishes */
  guint64         serial;         /* of limit hits, for unique members */
  gint64          keep_us;

  GPtrArray      *batch;          /* (DsdEvent) positions not written yet */
  guint           flush_id;
  guint           heartbeat_id;   /* keeps this instance's slots counted */
  char           *slot_origin;    /* this instance in slots, a new one each connection */
  guint           slot_epoch;
};

static void dsd_redis_cache_iface_init (DsdCacheInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (DsdRedisCache, dsd_redis_cache, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (DSD_TYPE_CACHE,
                                                      dsd_redis_cache_iface_init))

static void
count_error (DsdRedisCache *self,
             const char    *operation,
             const GError  *error)
{
  g_debug ("Redis %s failed: %s", operation, error != NULL ? error->message : "bad reply");
  dsd_metrics_counter_add (self->metrics, ERRORS_METRIC, (const char *[]) { operation, NULL }, 1);
}

/* Limits ------------------------------------------------------------------ */

typedef struct {
  DsdRedisCache     *self;
  DsdLimit           limit;
  char              *key;
  gboolean           record;
  DsdCacheLimitFunc  func;
  gpointer           user_data;
} LimitCall;

static void
limit_call_free (LimitCall *call)
{
  g_object_unref (call->self);
  g_free (call->key);
  g_free (call);
}

static void
limit_reply_cb (redisReply   *reply,
                const GError *error,
                gpointer      user_data)
{
  LimitCall *call = user_data;

  if (error == NULL && reply->type == REDIS_REPLY_ARRAY && reply->elements == 2)
    call->func (reply->element[0]->integer == 1, reply->element[1]->integer, call->user_data);
  else
    {
      count_error (call->self, "limit", error);
      dsd_cache_limit_hit (DSD_CACHE (call->self->local), &call->limit, call->key,
                           call->record, call->func, call->user_data);
    }

  limit_call_free (call);
}

static char *
limit_key (const DsdLimit *limit,
           const char     *key)
{
  return g_strconcat (KEY_PREFIX "limit:", limit->name, ":", key, NULL);
}

static void
dsd_redis_cache_limit_hit (DsdCache          *cache,
                           const DsdLimit    *limit,
                           const char        *key,
                           gboolean           record,
                           DsdCacheLimitFunc  func,
                           gpointer           user_data)
{
  DsdRedisCache *self = DSD_REDIS_CACHE (cache);
  g_autofree char *redis_key = limit_key (limit, key);
  g_autofree char *member = g_strdup_printf ("%s:%" G_GUINT64_FORMAT, self->origin,
                                             ++self->serial);
  char count[16], window[24];
  const char *argv[5] = { redis_key, count, window, record ? "1" : "0", member };
  gsize argv_len[5];
  LimitCall *call;

  g_snprintf (count, sizeof count, "%u", limit->limit);
  g_snprintf (window, sizeof window, "%" G_GINT64_FORMAT,
              (gint64) limit->window_s * G_USEC_PER_SEC);
  for (guint i = 0; i < G_N_ELEMENTS (argv); i++)
    argv_len[i] = strlen (argv[i]);

  call = g_new0 (LimitCall, 1);
  call->self = g_object_ref (self);
  call->limit = *limit;
  call->key = g_strdup (key);
  call->record = record;
  call->func = func;
  call->user_data = user_data;

  if (!dsd_redis_eval (self->redis, self->limit_script, 1, G_N_ELEMENTS (argv), argv,
                       argv_len, limit_reply_cb, call, NULL))
    {
      limit_call_free (call);
      dsd_cache_limit_hit (DSD_CACHE (self->local), limit, key, record, func, user_data);
    }
}

typedef struct {
  DsdRedisCache *self;
  const char    *operation;   /* static: the metric's label */
} Write;

static void
written_cb (redisReply   *reply,
            const GError *error,
            gpointer      user_data)
{
  Write *write = user_data;

  if (error != NULL)
    count_error (write->self, write->operation, error);
  g_object_unref (write->self);
  g_free (write);
}

/* A write nobody waits for (its failure is counted): a command, or script. */
static void
write_and_forget (DsdRedisCache      *self,
                  const char         *operation,
                  DsdRedisScript     *script,
                  guint               n_keys,
                  guint               argc,
                  const char * const *argv,
                  const gsize        *argv_len)
{
  Write *write = g_new0 (Write, 1);
  gboolean sent;

  write->self = g_object_ref (self);
  write->operation = operation;
  if (script != NULL)
    sent = dsd_redis_eval (self->redis, script, n_keys, argc, argv, argv_len, written_cb, write,
                           NULL);
  else
    sent = dsd_redis_command (self->redis, argc, argv, argv_len, written_cb, write, NULL);

  if (!sent)
    {
      count_error (self, operation, NULL);
      g_object_unref (self);
      g_free (write);
    }
}

static void
dsd_redis_cache_limit_reset (DsdCache       *cache,
                             const DsdLimit *limit,
                             const char     *key)
{
  DsdRedisCache *self = DSD_REDIS_CACHE (cache);
  g_autofree char *redis_key = limit_key (limit, key);

  dsd_cache_limit_reset (DSD_CACHE (self->local), limit, key);
  if (dsd_redis_is_up (self->redis))
    write_and_forget (self, "limit", NULL, 0, 2, (const char *[]) { "DEL", redis_key },
                      (gsize[]) { 3, strlen (redis_key) });
}

/* Slots ------------------------------------------------------------------- */

static char *
slots_key (const char *key)
{
  return g_strconcat (KEY_PREFIX "slots:", key, NULL);
}

typedef struct {
  DsdRedisCache    *self;
  char             *key;
  DsdCacheSlotFunc  func;
  gpointer          user_data;
} SlotCall;

static void
slot_call_free (SlotCall *call)
{
  g_object_unref (call->self);
  g_free (call->key);
  g_free (call);
}

static void
slot_reply_cb (redisReply   *reply,
               const GError *error,
               gpointer      user_data)
{
  SlotCall *call = user_data;
  gboolean taken = TRUE;

  /* Failed: counted here alone (it is already, as one of ours). */
  if (error == NULL && reply->type == REDIS_REPLY_INTEGER)
    taken = reply->integer == 1;
  else
    count_error (call->self, "slot", error);

  if (!taken)
    dsd_local_cache_count_slots (call->self->local, call->key, -1);
  call->func (taken, call->user_data);
  slot_call_free (call);
}

static void
dsd_redis_cache_slot_take (DsdCache         *cache,
                           const char       *key,
                           guint             max,
                           DsdCacheSlotFunc  func,
                           gpointer          user_data)
{
  DsdRedisCache *self = DSD_REDIS_CACHE (cache);
  g_autofree char *redis_key = slots_key (key);
  char mine[16], max_text[16];
  const char *argv[] = { redis_key, self->slot_origin, mine, max_text };
  gsize argv_len[G_N_ELEMENTS (argv)];
  SlotCall *call;
  guint n;

  if (!dsd_redis_is_up (self->redis) ||
      dsd_local_cache_count_slots (self->local, key, 0) >= max)
    {
      dsd_cache_slot_take (DSD_CACHE (self->local), key, max, func, user_data);
      return;
    }

  /* Counted here at once: takes in flight together cannot pass as one. */
  n = dsd_local_cache_count_slots (self->local, key, 1);
  g_snprintf (mine, sizeof mine, "%u", n);
  g_snprintf (max_text, sizeof max_text, "%u", max);
  for (guint i = 0; i < G_N_ELEMENTS (argv); i++)
    argv_len[i] = strlen (argv[i]);

  call = g_new0 (SlotCall, 1);
  call->self = g_object_ref (self);
  call->key = g_strdup (key);
  call->func = func;
  call->user_data = user_data;
  if (!dsd_redis_eval (self->redis, self->slot_take_script, 1, G_N_ELEMENTS (argv), argv,
                       argv_len, slot_reply_cb, call, NULL))
    {
      count_error (self, "slot", NULL);
      slot_call_free (call);
      func (TRUE, user_data);
    }
}

/* Writes what this instance holds of key (n) to Redis. */
static void
publish_slots (gpointer key,
               gpointer n,
               gpointer user_data)
{
  DsdRedisCache *self = user_data;
  g_autofree char *redis_key = slots_key (key);
  char mine[16];
  const char *argv[] = { redis_key, self->slot_origin, mine };
  gsize argv_len[G_N_ELEMENTS (argv)];

  g_snprintf (mine, sizeof mine, "%u", GPOINTER_TO_UINT (n));
  for (guint i = 0; i < G_N_ELEMENTS (argv); i++)
    argv_len[i] = strlen (argv[i]);
  write_and_forget (self, "slot", self->slot_set_script, 1, G_N_ELEMENTS (argv), argv,
                    argv_len);
}

static void
dsd_redis_cache_slot_release (DsdCache   *cache,
                              const char *key)
{
  DsdRedisCache *self = DSD_REDIS_CACHE (cache);
  guint n = dsd_local_cache_count_slots (self->local, key, -1);

  if (dsd_redis_is_up (self->redis))
    publish_slots ((gpointer) key, GUINT_TO_POINTER (n), self);
}

static gboolean
heartbeat_cb (gpointer user_data)
{
  DsdRedisCache *self = user_data;
  g_autofree char *alive = g_strconcat (INSTANCE_KEY, self->slot_origin, NULL);
  const char *argv[] = { "SET", alive, "1", "EX", INSTANCE_TTL_S };
  gsize argv_len[G_N_ELEMENTS (argv)];

  if (!dsd_redis_is_up (self->redis))
    return G_SOURCE_CONTINUE;

  for (guint i = 0; i < G_N_ELEMENTS (argv); i++)
    argv_len[i] = strlen (argv[i]);
  write_and_forget (self, "slot", NULL, 0, G_N_ELEMENTS (argv), argv, argv_len);
  return G_SOURCE_CONTINUE;
}

/* Back (or a new server, which knows nothing): what this instance holds
 * now, including what it took meanwhile, under a new name, since what it
 * wrote before may be out of date (a release it could not write); the old
 * name dies at once, its counts go where they are found. */
static void
commands_up_cb (GObject    *object,
                GParamSpec *pspec,
                gpointer    user_data)
{
  DsdRedisCache *self = user_data;
  g_autofree char *old = NULL;

  if (!dsd_redis_is_up (self->redis))
    return;

  old = g_strconcat (INSTANCE_KEY, self->slot_origin, NULL);
  write_and_forget (self, "slot", NULL, 0, 2, (const char *[]) { "DEL", old },
                    (gsize[]) { 3, strlen (old) });
  g_free (self->slot_origin);
  self->slot_origin = g_strdup_printf ("%s:%u", self->origin, ++self->slot_epoch);
  heartbeat_cb (self);
  dsd_local_cache_foreach_slot (self->local, publish_slots, self);
}

/* Read cache -------------------------------------------------------------- */

static char *
entry_key (const char *key)
{
  return g_strconcat (KEY_PREFIX "cache:", key, NULL);
}

static char *
generation_key (const char *scope)
{
  return g_strconcat (KEY_PREFIX "gen:", scope, NULL);
}

typedef struct {
  DsdRedisCache      *self;
  DsdCacheLookupFunc  func;
  gpointer            user_data;
} LookupCall;

static void
count_lookup (DsdRedisCache *self,
              const char    *result)
{
  dsd_metrics_counter_add (self->metrics, LOOKUPS_METRIC, (const char *[]) { result, NULL }, 1);
}

static void
lookup_reply_cb (redisReply   *reply,
                 const GError *error,
                 gpointer      user_data)
{
  LookupCall *call = user_data;
  g_autoptr(GBytes) value = NULL;
  g_autofree char *stamp = NULL;

  if (error != NULL || reply->type != REDIS_REPLY_ARRAY || reply->elements != 2)
    count_lookup (call->self, "error");
  else
    {
      redisReply *entry = reply->element[0];

      if (reply->element[1]->type == REDIS_REPLY_STRING)
        stamp = g_strndup (reply->element[1]->str, reply->element[1]->len);
      if (entry->type == REDIS_REPLY_STRING)
        value = g_bytes_new (entry->str, entry->len);
      count_lookup (call->self, value != NULL ? "hit" : "miss");
    }

  call->func (value, stamp, call->user_data);
  g_object_unref (call->self);
  g_free (call);
}

static void
dsd_redis_cache_lookup (DsdCache           *cache,
                        const char         *key,
                        const char         *scope,
                        DsdCacheLookupFunc  func,
                        gpointer            user_data)
{
  DsdRedisCache *self = DSD_REDIS_CACHE (cache);
  g_autofree char *entry = entry_key (key);
  g_autofree char *generation = scope != NULL ? generation_key (scope) : g_strdup ("");
  const char *argv[] = { entry, generation };
  gsize argv_len[] = { strlen (entry), strlen (generation) };
  LookupCall *call = g_new0 (LookupCall, 1);

  call->self = g_object_ref (self);
  call->func = func;
  call->user_data = user_data;
  if (!dsd_redis_eval (self->redis, self->lookup_script, 2, 2, argv, argv_len,
                       lookup_reply_cb, call, NULL))
    {
      g_object_unref (self);
      g_free (call);
      count_lookup (self, "error");
      func (NULL, NULL, user_data);
    }
}

static void
dsd_redis_cache_store (DsdCache   *cache,
                       const char *key,
                       const char *scope,
                       const char *stamp,
                       GBytes     *value,
                       guint       ttl_s)
{
  DsdRedisCache *self = DSD_REDIS_CACHE (cache);
  g_autofree char *entry = entry_key (key);
  g_autofree char *generation = generation_key (scope);
  char ttl[16];
  gsize length;
  const char *data = g_bytes_get_data (value, &length);
  const char *argv[] = { entry, generation, ttl, data, stamp != NULL ? stamp : "" };
  gsize argv_len[] = { strlen (entry), strlen (generation), 0, length, 0 };

  if (!dsd_redis_is_up (self->redis))
    return;

  g_snprintf (ttl, sizeof ttl, "%u", ttl_s);
  argv_len[2] = strlen (ttl);
  argv_len[4] = strlen (argv[4]);
  write_and_forget (self, "store", self->store_script, 2, G_N_ELEMENTS (argv), argv, argv_len);
}

static void
dsd_redis_cache_invalidate (DsdCache   *cache,
                            const char *scope)
{
  DsdRedisCache *self = DSD_REDIS_CACHE (cache);
  g_autofree char *generation = generation_key (scope);
  const char *argv[] = { generation, GENERATION_KEEP_S };
  gsize argv_len[] = { strlen (generation), strlen (GENERATION_KEEP_S) };

  /* Missed while Redis is unreachable: what it held stays at most its TTL. */
  write_and_forget (self, "invalidate", self->invalidate_script, 1, 2, argv, argv_len);
}

/* Events of this instance's bus (from its relay, or from Kafka for all):
 * the order they are about changed. */
static void
event_cb (DsdEventBus *bus,
          DsdEvent    *event,
          gpointer     user_data)
{
  DsdRedisCache *self = user_data;
  const char *order_id = dsd_event_get_order_id (event);
  g_autofree char *scope = NULL;

  if (order_id == NULL)
    return;

  scope = g_strconcat ("order:", order_id, NULL);
  dsd_redis_cache_invalidate (DSD_CACHE (self), scope);
}

/* Positions --------------------------------------------------------------- */

static char *
envelope_text (DsdEvent *event)
{
  gsize length;
  const char *data = g_bytes_get_data (dsd_event_get_envelope (event), &length);

  return g_strndup (data, length);
}

static gboolean
flush_positions_cb (gpointer user_data)
{
  DsdRedisCache *self = user_data;
  g_autoptr(GPtrArray) batch = g_steal_pointer (&self->batch);
  g_autoptr(GPtrArray) args = g_ptr_array_new_with_free_func (g_free);
  g_autofree gsize *lengths = NULL;
  char keep[24];

  self->flush_id = 0;
  self->batch = g_ptr_array_new_with_free_func ((GDestroyNotify) dsd_event_unref);

  g_snprintf (keep, sizeof keep, "%" G_GINT64_FORMAT, self->keep_us);
  g_ptr_array_add (args, g_strdup (GEO_KEY));
  g_ptr_array_add (args, g_strdup (SEEN_KEY));
  g_ptr_array_add (args, g_strdup (LAST_KEY));
  g_ptr_array_add (args, g_strdup (POSITIONS_CHANNEL));
  g_ptr_array_add (args, g_strdup (self->origin));
  g_ptr_array_add (args, g_strdup (keep));

  for (guint i = 0; i < batch->len; i++)
    {
      DsdEvent *event = batch->pdata[i];
      const DispatchLocationPoint *point = dsd_event_get_location (event);
      char lat[G_ASCII_DTOSTR_BUF_SIZE], lon[G_ASCII_DTOSTR_BUF_SIZE];

      g_ptr_array_add (args, g_strdup (dsd_event_get_driver_id (event)));
      g_ptr_array_add (args, g_strdup (g_ascii_dtostr (lon, sizeof lon, point->lon)));
      g_ptr_array_add (args, g_strdup (g_ascii_dtostr (lat, sizeof lat, point->lat)));
      g_ptr_array_add (args, g_strdup_printf ("%" G_GINT64_FORMAT, point->recorded_at_us));
      g_ptr_array_add (args, envelope_text (event));
    }

  lengths = g_new (gsize, args->len);
  for (guint i = 0; i < args->len; i++)
    lengths[i] = strlen (args->pdata[i]);

  write_and_forget (self, "positions", self->positions_script, 3, args->len,
                    (const char * const *) args->pdata, lengths);

  return G_SOURCE_REMOVE;
}

static void
dsd_redis_cache_share_location (DsdCache *cache,
                                DsdEvent *event)
{
  DsdRedisCache *self = DSD_REDIS_CACHE (cache);

  g_return_if_fail (dsd_event_get_location (event) != NULL);

  /* Down: the other instances read positions from PostgreSQL meanwhile. */
  if (!dsd_redis_is_up (self->redis))
    return;

  g_ptr_array_add (self->batch, dsd_event_ref (event));
  if (self->batch->len >= MAX_BATCH)
    {
      g_clear_handle_id (&self->flush_id, g_source_remove);
      flush_positions_cb (self);
    }
  else if (self->flush_id == 0)
    self->flush_id = g_timeout_add (FLUSH_DELAY_MS, flush_positions_cb, self);
}

typedef struct {
  DsdRedisCache      *self;
  DsdCacheSharedFunc  func;
  gpointer            user_data;
} SharedCall;

static void
shared_reply_cb (redisReply   *reply,
                 const GError *error,
                 gpointer      user_data)
{
  SharedCall *call = user_data;

  call->func (call->user_data);
  g_object_unref (call->self);
  g_free (call);
}

/* Writes what is batched now; the PING's reply comes after the replies to
 * every write sent before it on the connection. */
static void
dsd_redis_cache_when_shared (DsdCache           *cache,
                             DsdCacheSharedFunc  func,
                             gpointer            user_data)
{
  DsdRedisCache *self = DSD_REDIS_CACHE (cache);
  static const char *argv[] = { "PING" };
  static const gsize argv_len[] = { 4 };
  SharedCall *call;

  if (self->batch->len > 0)
    {
      g_clear_handle_id (&self->flush_id, g_source_remove);
      flush_positions_cb (self);
    }

  call = g_new0 (SharedCall, 1);
  call->self = g_object_ref (self);
  call->func = func;
  call->user_data = user_data;
  if (!dsd_redis_command (self->redis, 1, argv, argv_len, shared_reply_cb, call, NULL))
    {
      g_object_unref (self);
      g_free (call);
      func (user_data);
    }
}

static void
publish_envelope (DsdRedisCache *self,
                  const char    *text,
                  gsize          length)
{
  g_autoptr(DsdEvent) event = dsd_event_new_from_json (text, length, NULL);

  if (event != NULL && g_strcmp0 (dsd_event_get_type_name (event), "driver.location") == 0)
    dsd_event_bus_publish (self->bus, event);
  else
    count_error (self, "positions", NULL);
}

static void
positions_message_cb (const char *channel,
                      const char *payload,
                      gsize       length,
                      gpointer    user_data)
{
  DsdRedisCache *self = user_data;
  const char *end = payload + length;
  const char *line = memchr (payload, '\n', length);
  gsize origin_length = line != NULL ? (gsize) (line - payload) : length;

  if (line == NULL ||
      (origin_length == strlen (self->origin) &&
       memcmp (payload, self->origin, origin_length) == 0))
    return;

  for (const char *start = line + 1; start < end;)
    {
      const char *stop = memchr (start, '\n', end - start);

      if (stop == NULL)
        stop = end;
      publish_envelope (self, start, stop - start);
      start = stop + 1;
    }
}

typedef struct {
  DsdRedisCache    *self;
  DsdCacheNearFunc  func;
  gpointer          user_data;
} NearCall;

static void
near_reply_cb (redisReply   *reply,
               const GError *error,
               gpointer      user_data)
{
  NearCall *call = user_data;
  g_autoptr(GPtrArray) ids = NULL;

  /* nil: more drivers within the radius than NEAR_MAX_IDS; PostgreSQL answers */
  if (error == NULL && reply->type == REDIS_REPLY_NIL)
    g_debug ("near: over %d drivers within the radius, answered from the database",
             NEAR_MAX_IDS);
  else if (error == NULL && reply->type == REDIS_REPLY_ARRAY)
    {
      ids = g_ptr_array_new_full (reply->elements + 1, g_free);
      for (gsize i = 0; i < reply->elements; i++)
        g_ptr_array_add (ids, g_strndup (reply->element[i]->str, reply->element[i]->len));
      g_ptr_array_add (ids, NULL);
    }
  else
    count_error (call->self, "near", error);

  call->func (ids != NULL ? (const char * const *) ids->pdata : NULL, call->user_data);
  g_object_unref (call->self);
  g_free (call);
}

static void
dsd_redis_cache_near (DsdCache         *cache,
                      double            lat,
                      double            lon,
                      double            radius_m,
                      DsdCacheNearFunc  func,
                      gpointer          user_data)
{
  DsdRedisCache *self = DSD_REDIS_CACHE (cache);
  char lat_text[G_ASCII_DTOSTR_BUF_SIZE], lon_text[G_ASCII_DTOSTR_BUF_SIZE];
  char radius_text[G_ASCII_DTOSTR_BUF_SIZE], keep[24];
  const char *argv[] = {
    GEO_KEY, SEEN_KEY, LAST_KEY, lon_text, lat_text, radius_text, keep, G_STRINGIFY (NEAR_MAX_IDS),
  };
  gsize argv_len[G_N_ELEMENTS (argv)];
  NearCall *call;

  /* GEO takes latitudes within ±85.05112878° only (and holds no others). */
  if (fabs (lat) > 85.05112878)
    {
      func (NULL, user_data);
      return;
    }

  g_ascii_dtostr (lon_text, sizeof lon_text, lon);
  g_ascii_dtostr (lat_text, sizeof lat_text, lat);
  /* Redis measures on a sphere of another radius, from 52-bit geohashes. */
  g_ascii_dtostr (radius_text, sizeof radius_text, radius_m * 1.001 + 1);
  g_snprintf (keep, sizeof keep, "%" G_GINT64_FORMAT, self->keep_us);
  for (guint i = 0; i < G_N_ELEMENTS (argv); i++)
    argv_len[i] = strlen (argv[i]);

  call = g_new0 (NearCall, 1);
  call->self = g_object_ref (self);
  call->func = func;
  call->user_data = user_data;
  if (!dsd_redis_eval (self->redis, self->near_script, 3, G_N_ELEMENTS (argv), argv, argv_len,
                       near_reply_cb, call, NULL))
    {
      count_error (self, "near", NULL);
      g_object_unref (self);
      g_free (call);
      func (NULL, user_data);
    }
}

/* Warm start -------------------------------------------------------------- */

static void
all_positions_cb (redisReply   *reply,
                  const GError *error,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  DsdRedisCache *self = g_task_get_source_object (task);

  if (error != NULL || reply->type != REDIS_REPLY_ARRAY)
    {
      count_error (self, "positions", error);
      g_task_return_boolean (task, TRUE);
      return;
    }

  for (gsize i = 1; i < reply->elements; i += 2)
    publish_envelope (self, reply->element[i]->str, reply->element[i]->len);

  g_debug ("Took %zu driver positions from Redis", reply->elements / 2);
  g_task_return_boolean (task, TRUE);
}

static void
read_positions (GTask *task)
{
  DsdRedisCache *self = g_task_get_source_object (task);

  if (!dsd_redis_command (self->redis, 2, (const char *[]) { "HGETALL", LAST_KEY },
                          (gsize[]) { 7, strlen (LAST_KEY) }, all_positions_cb, task, NULL))
    {
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
    }
}

/* Task data of a warm start waiting for the first connection: its timeout. */
static void
stop_waiting (GTask *task)
{
  DsdRedisCache *self = g_task_get_source_object (task);

  g_signal_handlers_disconnect_by_data (self->redis, task);
  g_source_destroy (g_task_get_task_data (task));
  read_positions (task);
}

static void
up_for_warm_cb (GObject    *object,
                GParamSpec *pspec,
                gpointer    user_data)
{
  if (dsd_redis_is_up (DSD_REDIS (object)))
    stop_waiting (user_data);
}

static gboolean
warm_timeout_cb (gpointer user_data)
{
  g_message ("Redis did not answer at start; positions come from PostgreSQL");
  stop_waiting (user_data);
  return G_SOURCE_REMOVE;
}

static void
dsd_redis_cache_warm_async (DsdCache            *cache,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  DsdRedisCache *self = DSD_REDIS_CACHE (cache);
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  GSource *timeout;

  g_task_set_source_tag (task, dsd_redis_cache_warm_async);
  if (dsd_redis_is_up (self->redis))
    {
      read_positions (task);
      return;
    }

  /* The first connection attempt is under way: wait for it, boundedly. */
  timeout = g_timeout_source_new (WARM_WAIT_MS);
  g_source_set_callback (timeout, warm_timeout_cb, task, NULL);
  g_source_attach (timeout, g_main_context_get_thread_default ());
  g_task_set_task_data (task, timeout, (GDestroyNotify) g_source_unref);
  g_signal_connect (self->redis, "notify::up", G_CALLBACK (up_for_warm_cb), task);
}

static gboolean
dsd_redis_cache_warm_finish (DsdCache      *cache,
                             GAsyncResult  *result,
                             GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
rewarmed_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  dsd_cache_warm_finish (DSD_CACHE (source), result, NULL);
}

/* Messages published while the subscriber was away are lost (pub/sub is at
 * most once): take every position again when it is back. */
static void
subscriber_up_cb (GObject    *object,
                  GParamSpec *pspec,
                  gpointer    user_data)
{
  DsdRedisCache *self = user_data;

  if (dsd_redis_is_up (DSD_REDIS (object)))
    dsd_redis_cache_warm_async (DSD_CACHE (self), NULL, rewarmed_cb, NULL);
}

/* ------------------------------------------------------------------------- */

static gboolean
dsd_redis_cache_is_up (DsdCache *cache)
{
  return dsd_redis_is_up (DSD_REDIS_CACHE (cache)->redis);
}

static void
dsd_redis_cache_iface_init (DsdCacheInterface *iface)
{
  iface->is_up = dsd_redis_cache_is_up;
  iface->limit_hit = dsd_redis_cache_limit_hit;
  iface->limit_reset = dsd_redis_cache_limit_reset;
  iface->slot_take = dsd_redis_cache_slot_take;
  iface->slot_release = dsd_redis_cache_slot_release;
  iface->lookup = dsd_redis_cache_lookup;
  iface->store = dsd_redis_cache_store;
  iface->invalidate = dsd_redis_cache_invalidate;
  iface->share_location = dsd_redis_cache_share_location;
  iface->when_shared = dsd_redis_cache_when_shared;
  iface->near = dsd_redis_cache_near;
  iface->warm_async = dsd_redis_cache_warm_async;
  iface->warm_finish = dsd_redis_cache_warm_finish;
}

static void
dsd_redis_cache_dispose (GObject *object)
{
  DsdRedisCache *self = DSD_REDIS_CACHE (object);

  g_clear_handle_id (&self->flush_id, g_source_remove);
  g_clear_handle_id (&self->heartbeat_id, g_source_remove);
  g_clear_object (&self->subscriber);
  g_clear_object (&self->redis);
  g_clear_object (&self->local);
  g_clear_object (&self->bus);
  g_clear_object (&self->metrics);

  G_OBJECT_CLASS (dsd_redis_cache_parent_class)->dispose (object);
}

static void
dsd_redis_cache_finalize (GObject *object)
{
  DsdRedisCache *self = DSD_REDIS_CACHE (object);

  g_clear_pointer (&self->batch, g_ptr_array_unref);
  g_free (self->origin);
  g_free (self->slot_origin);

  G_OBJECT_CLASS (dsd_redis_cache_parent_class)->finalize (object);
}

static void
dsd_redis_cache_class_init (DsdRedisCacheClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = dsd_redis_cache_dispose;
  object_class->finalize = dsd_redis_cache_finalize;
}

static void
dsd_redis_cache_init (DsdRedisCache *self)
{
  self->origin = g_uuid_string_random ();
  self->slot_origin = g_strdup (self->origin);
  self->batch = g_ptr_array_new_with_free_func ((GDestroyNotify) dsd_event_unref);
}

DsdRedisCache *
dsd_redis_cache_new (const DsdRedisUrl *url,
                     DsdEventBus       *bus,
                     DsdMetrics        *metrics,
                     DsdClock          *clock,
                     guint              keep_s,
                     gboolean           exchange_positions)
{
  DsdRedisCache *self;

  g_return_val_if_fail (url != NULL, NULL);
  g_return_val_if_fail (DSD_IS_EVENT_BUS (bus), NULL);
  g_return_val_if_fail (DSD_IS_METRICS (metrics), NULL);

  self = g_object_new (DSD_TYPE_REDIS_CACHE, NULL);
  self->bus = g_object_ref (bus);
  self->metrics = g_object_ref (metrics);
  self->local = dsd_local_cache_new (clock);
  self->keep_us = (gint64) MAX (keep_s, 1) * G_USEC_PER_SEC;

  self->redis = dsd_redis_new (url, "commands");
  self->limit_script = dsd_redis_add_script (self->redis, limit_lua);
  self->positions_script = dsd_redis_add_script (self->redis, positions_lua);
  self->near_script = dsd_redis_add_script (self->redis, near_lua);
  self->slot_take_script = dsd_redis_add_script (self->redis, slot_take_lua);
  self->slot_set_script = dsd_redis_add_script (self->redis, slot_set_lua);
  self->lookup_script = dsd_redis_add_script (self->redis, lookup_lua);
  self->store_script = dsd_redis_add_script (self->redis, store_lua);
  self->invalidate_script = dsd_redis_add_script (self->redis, invalidate_lua);
  g_signal_connect_object (bus, "event::state", G_CALLBACK (event_cb), self, 0);
  g_signal_connect_object (self->redis, "notify::up", G_CALLBACK (commands_up_cb), self, 0);

  if (exchange_positions)
    {
      self->subscriber = dsd_redis_new (url, "subscriber");
      dsd_redis_subscribe (self->subscriber, POSITIONS_CHANNEL, positions_message_cb, self);
      g_signal_connect_object (self->subscriber, "notify::up", G_CALLBACK (subscriber_up_cb),
                               self, 0);
    }

  dsd_metrics_register_counter (metrics, LOOKUPS_METRIC,
                                "Cached reads by result (hit, miss, error)",
                                (const char *[]) { "result", NULL });
  dsd_metrics_register_counter (metrics, ERRORS_METRIC,
                                "Redis operations that failed and fell back, by operation",
                                (const char *[]) { "operation", NULL });
  return self;
}

void
dsd_redis_cache_start (DsdRedisCache *self)
{
  g_return_if_fail (DSD_IS_REDIS_CACHE (self));

  dsd_redis_start (self->redis);
  if (self->subscriber != NULL)
    dsd_redis_start (self->subscriber);
  self->heartbeat_id = g_timeout_add_seconds (HEARTBEAT_S, heartbeat_cb, self);
}

void
dsd_redis_cache_stop (DsdRedisCache *self)
{
  g_return_if_fail (DSD_IS_REDIS_CACHE (self));

  g_clear_handle_id (&self->flush_id, g_source_remove);
  g_clear_handle_id (&self->heartbeat_id, g_source_remove);
  if (self->subscriber != NULL)
    dsd_redis_stop (self->subscriber);
  dsd_redis_stop (self->redis);
}
