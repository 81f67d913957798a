/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-cache"

#include "config.h"

#include <hiredis/async.h>
#include <hiredis/adapters/glib.h>

#include "dsd-redis.h"

#define DEFAULT_CONNECT_MS 2000
#define DEFAULT_COMMAND_MS 1000
#define DEFAULT_MAX_PENDING 10000
#define BACKOFF_FIRST_MS 100
#define BACKOFF_MAX_MS 5000

struct _DsdRedisScript {
  char *source;
  char *sha;
};

typedef struct {
  DsdRedis          *self;      /* NULL once the caller has been answered */
  GList             *link;      /* in self->pending */
  DsdRedisReplyFunc  func;
  gpointer           user_data;
  gint64             sent_us;
  DsdRedisScript    *script;    /* an EVALSHA, sent again as EVAL on NOSCRIPT */
  GPtrArray         *args;      /* (GBytes) its keys and arguments, for that */
} Pending;

struct _DsdRedis
{
  GObject              parent_instance;

  DsdRedisUrl         *url;
  char                *name;
  guint                connect_ms;
  guint                command_ms;
  guint                max_pending;
  GPtrArray           *scripts;          /* (DsdRedisScript) */
  char                *channel;          /* subscriber connections only */
  DsdRedisMessageFunc  message_func;
  gpointer             message_data;

  /* The current connection, if any. */
  redisAsyncContext   *ac;
  GSource             *source;
  gboolean             up;
  guint                handshake_left;   /* replies still expected before up */
  GQueue               pending;          /* (Pending) oldest first, as replies come */

  gboolean             running;
  gboolean             warned;           /* this outage was logged */
  guint                backoff_ms;
  guint                reconnect_id;
  guint                connect_timeout_id;
  guint                watch_id;
  guint                drop_id;
  char                *drop_reason;
};

enum {
  PROP_0,
  PROP_UP,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (DsdRedis, dsd_redis, G_TYPE_OBJECT)
G_DEFINE_QUARK (dsd-redis-error-quark, dsd_redis_error)

static void connect_now (DsdRedis *self);

static void
script_free (DsdRedisScript *script)
{
  g_free (script->source);
  g_free (script->sha);
  g_free (script);
}

static void
pending_free (Pending *pending)
{
  g_clear_pointer (&pending->args, g_ptr_array_unref);
  g_free (pending);
}

static void
set_up (DsdRedis *self,
        gboolean  up)
{
  if (self->up == up)
    return;

  self->up = up;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_UP]);
}

/* Answers the caller of pending with error; hiredis still owns pending and
 * frees it when it gives the callback back (with or without a reply). */
static void
answer_error (Pending      *pending,
              const GError *error)
{
  DsdRedis *self = pending->self;

  g_queue_delete_link (&self->pending, pending->link);
  pending->link = NULL;
  pending->self = NULL;
  pending->func (NULL, error, pending->user_data);
}

static void
fail_all_pending (DsdRedis   *self,
                  GQuark      domain,
                  int         code,
                  const char *message)
{
  g_autoptr(GError) error = g_error_new_literal (domain, code, message);

  while (self->pending.head != NULL)
    answer_error (self->pending.head->data, error);
}

static gboolean
reconnect_cb (gpointer user_data)
{
  DsdRedis *self = user_data;

  self->reconnect_id = 0;
  connect_now (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_reconnect (DsdRedis *self)
{
  guint delay_ms;

  if (!self->running || self->reconnect_id != 0)
    return;

  /* ±20 % so that many instances do not reconnect in step. */
  delay_ms = self->backoff_ms * g_random_double_range (0.8, 1.2);
  self->backoff_ms = MIN (self->backoff_ms * 2, BACKOFF_MAX_MS);
  self->reconnect_id = g_timeout_add (MAX (1, delay_ms), reconnect_cb, self);
}

/* Forgets the current connection (its context is freed by hiredis or by the
 * caller) and fails what waited on it. */
static redisAsyncContext *
forget_connection (DsdRedis   *self,
                   int         code,
                   const char *reason)
{
  redisAsyncContext *ac = g_steal_pointer (&self->ac);
  GSource *source = g_steal_pointer (&self->source);

  g_clear_handle_id (&self->connect_timeout_id, g_source_remove);
  g_clear_handle_id (&self->watch_id, g_source_remove);
  g_clear_handle_id (&self->drop_id, g_source_remove);

  if (ac != NULL)
    {
      /* Whoever frees the context must not reach the source any more. */
      ac->data = NULL;
      memset (&ac->ev, 0, sizeof ac->ev);
    }

  if (source != NULL)
    {
      RedisSource *redis_source = (RedisSource *) source;

      /* The adapter's cleanup removes the fd but leaves the source attached,
       * and removing a poll from a destroyed source is an error: remove it
       * first, then destroy. It also dispatches a read after a write that
       * freed the context (redis/hiredis#343): nothing more to dispatch. */
      redis_source->poll_fd.revents = 0;
      if (redis_source->poll_fd.fd >= 0)
        g_source_remove_poll (source, &redis_source->poll_fd);
      redis_source->poll_fd.fd = -1;
      g_source_destroy (source);
      g_source_unref (source);
    }

  if (self->running && !self->warned)
    g_warning ("Redis %s (%s:%u) is down: %s", self->name, self->url->host, self->url->port,
               reason);
  self->warned = TRUE;

  /* The callers' callbacks may drop the last reference to the connection. */
  g_object_ref (self);
  set_up (self, FALSE);
  fail_all_pending (self, DSD_REDIS_ERROR, code, reason);
  schedule_reconnect (self);
  g_object_unref (self);
  return ac;
}

/* Drops the connection ourselves; never from inside a hiredis callback. */
static void
drop (DsdRedis   *self,
      int         code,
      const char *reason)
{
  redisAsyncContext *ac = forget_connection (self, code, reason);

  if (ac != NULL)
    redisAsyncFree (ac);
}

static gboolean
drop_cb (gpointer user_data)
{
  DsdRedis *self = user_data;
  g_autofree char *reason = g_steal_pointer (&self->drop_reason);

  self->drop_id = 0;
  drop (self, DSD_REDIS_ERROR_LOST, reason);
  return G_SOURCE_REMOVE;
}

/* From inside a hiredis callback: drop once it has returned. */
static void
drop_later (DsdRedis   *self,
            const char *reason)
{
  if (self->drop_id != 0)
    return;

  g_free (self->drop_reason);
  self->drop_reason = g_strdup (reason);
  self->drop_id = g_idle_add (drop_cb, self);
}

static gboolean
connect_timeout_cb (gpointer user_data)
{
  DsdRedis *self = user_data;

  self->connect_timeout_id = 0;
  drop (self, DSD_REDIS_ERROR_TIMEOUT, "connect timed out");
  return G_SOURCE_REMOVE;
}

/* Replies come in order, so the oldest pending command tells whether the
 * connection is stuck. */
static gboolean
watch_cb (gpointer user_data)
{
  DsdRedis *self = user_data;
  Pending *oldest = g_queue_peek_head (&self->pending);

  if (oldest != NULL &&
      g_get_monotonic_time () - oldest->sent_us > (gint64) self->command_ms * 1000)
    {
      self->watch_id = 0;
      drop (self, DSD_REDIS_ERROR_TIMEOUT, "command timed out");
      return G_SOURCE_REMOVE;
    }

  return G_SOURCE_CONTINUE;
}

static void
become_up (DsdRedis *self)
{
  g_clear_handle_id (&self->connect_timeout_id, g_source_remove);
  if (self->warned)
    g_message ("Redis %s (%s:%u) is up again", self->name, self->url->host, self->url->port);
  self->warned = FALSE;
  self->backoff_ms = BACKOFF_FIRST_MS;
  self->watch_id = g_timeout_add (MAX (10, self->command_ms / 4), watch_cb, self);
  set_up (self, TRUE);
}

static void send_pending (DsdRedis *self, Pending *pending, guint argc, const char **argv,
                          const gsize *argv_len);

static gboolean
resend_as_eval (DsdRedis *self,
                Pending  *old)
{
  guint argc = 3 + old->args->len - 1;
  g_autofree const char **argv = g_new (const char *, argc);
  g_autofree gsize *argv_len = g_new (gsize, argc);
  Pending *pending = g_new0 (Pending, 1);

  argv[0] = "EVAL";
  argv_len[0] = 4;
  argv[1] = old->script->source;
  argv_len[1] = strlen (old->script->source);
  for (guint i = 0; i < old->args->len; i++)
    {
      gsize length;

      argv[2 + i] = g_bytes_get_data (old->args->pdata[i], &length);
      argv_len[2 + i] = length;
    }

  pending->func = old->func;
  pending->user_data = old->user_data;
  send_pending (self, pending, argc, argv, argv_len);
  return pending->self != NULL;
}

static void
reply_cb (redisAsyncContext *ac,
          void              *r,
          void              *privdata)
{
  Pending *pending = privdata;
  DsdRedis *self = pending->self;
  redisReply *reply = r;
  g_autoptr(GError) error = NULL;

  if (self == NULL)
    {
      pending_free (pending);
      return;
    }

  g_queue_delete_link (&self->pending, pending->link);
  pending->link = NULL;
  pending->self = NULL;

  if (reply == NULL)
    error = g_error_new_literal (DSD_REDIS_ERROR, DSD_REDIS_ERROR_LOST, "connection lost");
  else if (reply->type == REDIS_REPLY_ERROR && pending->script != NULL &&
           g_str_has_prefix (reply->str, "NOSCRIPT") && resend_as_eval (self, pending))
    {
      pending_free (pending);
      return;
    }
  else if (reply->type == REDIS_REPLY_ERROR)
    error = g_error_new (DSD_REDIS_ERROR, DSD_REDIS_ERROR_REPLY, "%s", reply->str);

  pending->func (error == NULL ? reply : NULL, error, pending->user_data);
  pending_free (pending);
}

static void
send_pending (DsdRedis    *self,
              Pending     *pending,
              guint        argc,
              const char **argv,
              const gsize *argv_len)
{
  G_STATIC_ASSERT (sizeof (gsize) == sizeof (size_t));

  pending->sent_us = g_get_monotonic_time ();
  if (redisAsyncCommandArgv (self->ac, reply_cb, pending, argc, argv,
                             (const size_t *) argv_len) != REDIS_OK)
    {
      pending_free (pending);
      return;
    }

  pending->self = self;
  g_queue_push_tail (&self->pending, pending);
  pending->link = self->pending.tail;
}

/* The handshake's own replies: any error drops the connection. */
static void
handshake_reply_cb (redisReply   *reply,
                    const GError *error,
                    gpointer      user_data)
{
  DsdRedis *self = user_data;

  if (error != NULL)
    {
      if (error->code == DSD_REDIS_ERROR_REPLY)
        drop_later (self, error->message);
      return;
    }

  g_assert (self->handshake_left > 0);
  if (--self->handshake_left == 0 && self->channel == NULL)
    become_up (self);
}

static void
subscription_cb (redisAsyncContext *ac,
                 void              *r,
                 void              *privdata)
{
  DsdRedis *self = privdata;
  redisReply *reply = r;

  if (reply == NULL || ac->data != self || reply->type != REDIS_REPLY_ARRAY ||
      reply->elements < 3 || reply->element[0]->type != REDIS_REPLY_STRING)
    return;

  if (g_str_equal (reply->element[0]->str, "subscribe"))
    become_up (self);
  else if (g_str_equal (reply->element[0]->str, "message") &&
           reply->element[2]->type == REDIS_REPLY_STRING)
    self->message_func (reply->element[1]->str, reply->element[2]->str,
                        reply->element[2]->len, self->message_data);
}

static gboolean
send_internal (DsdRedis   *self,
               guint       argc,
               const char **argv)
{
  Pending *pending = g_new0 (Pending, 1);
  g_autofree gsize *argv_len = g_new (gsize, argc);

  for (guint i = 0; i < argc; i++)
    argv_len[i] = strlen (argv[i]);

  pending->func = handshake_reply_cb;
  pending->user_data = self;
  send_pending (self, pending, argc, argv, argv_len);
  if (pending->self == NULL)
    return FALSE;

  self->handshake_left++;
  return TRUE;
}

static gboolean
send_handshake (DsdRedis *self)
{
  self->handshake_left = 0;

  if (self->url->password != NULL &&
      !send_internal (self, 2, (const char *[]) { "AUTH", self->url->password }))
    return FALSE;

  if (self->url->db != 0)
    {
      char db[16];

      g_snprintf (db, sizeof db, "%u", self->url->db);
      if (!send_internal (self, 2, (const char *[]) { "SELECT", db }))
        return FALSE;
    }

  for (guint i = 0; i < self->scripts->len; i++)
    {
      DsdRedisScript *script = self->scripts->pdata[i];

      if (!send_internal (self, 3, (const char *[]) { "SCRIPT", "LOAD", script->source }))
        return FALSE;
    }

  /* PING: a handshake that has nothing else still proves the server answers. */
  if (!send_internal (self, 1, (const char *[]) { "PING" }))
    return FALSE;

  if (self->channel != NULL &&
      redisAsyncCommand (self->ac, subscription_cb, self, "SUBSCRIBE %s",
                         self->channel) != REDIS_OK)
    return FALSE;

  return TRUE;
}

static void
connected_cb (const redisAsyncContext *ac,
              int                      status)
{
  DsdRedis *self = ac->data;

  if (self == NULL || status == REDIS_OK)
    return;

  /* hiredis frees the context when this returns. */
  forget_connection (self, DSD_REDIS_ERROR_DOWN, ac->errstr);
}

static void
disconnected_cb (const redisAsyncContext *ac,
                 int                      status)
{
  DsdRedis *self = ac->data;

  if (self == NULL)
    return;

  forget_connection (self, DSD_REDIS_ERROR_LOST,
                     status == REDIS_OK ? "connection closed" : ac->errstr);
}

static void
connect_now (DsdRedis *self)
{
  redisAsyncContext *ac;

  g_assert (self->ac == NULL);

  /* Names resolve with getaddrinfo (blocking, like /etc/hosts lookups);
   * give REDIS_URL an address to keep DNS off the main loop. */
  ac = redisAsyncConnect (self->url->host, self->url->port);
  if (ac == NULL || ac->err != 0)
    {
      g_autofree char *reason = g_strdup (ac != NULL ? ac->errstr : "out of memory");

      if (ac != NULL)
        redisAsyncFree (ac);
      forget_connection (self, DSD_REDIS_ERROR_DOWN, reason);
      return;
    }

  ac->data = self;
  self->ac = ac;
  redisEnableKeepAlive (&ac->c);
  self->source = redis_source_new (ac);
  g_source_attach (self->source, g_main_context_get_thread_default ());
  redisAsyncSetConnectCallback (ac, connected_cb);
  redisAsyncSetDisconnectCallback (ac, disconnected_cb);
  self->connect_timeout_id = g_timeout_add (self->connect_ms, connect_timeout_cb, self);

  if (!send_handshake (self))
    drop (self, DSD_REDIS_ERROR_DOWN, "could not send the handshake");
}

static void
dsd_redis_dispose (GObject *object)
{
  DsdRedis *self = DSD_REDIS (object);

  dsd_redis_stop (self);

  G_OBJECT_CLASS (dsd_redis_parent_class)->dispose (object);
}

static void
dsd_redis_finalize (GObject *object)
{
  DsdRedis *self = DSD_REDIS (object);

  g_clear_pointer (&self->url, dsd_redis_url_free);
  g_clear_pointer (&self->scripts, g_ptr_array_unref);
  g_free (self->name);
  g_free (self->channel);
  g_free (self->drop_reason);

  G_OBJECT_CLASS (dsd_redis_parent_class)->finalize (object);
}

static void
dsd_redis_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  DsdRedis *self = DSD_REDIS (object);

  switch (prop_id)
    {
    case PROP_UP:
      g_value_set_boolean (value, self->up);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dsd_redis_class_init (DsdRedisClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = dsd_redis_dispose;
  object_class->finalize = dsd_redis_finalize;
  object_class->get_property = dsd_redis_get_property;

  properties[PROP_UP] =
    g_param_spec_boolean ("up", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
dsd_redis_init (DsdRedis *self)
{
  self->connect_ms = DEFAULT_CONNECT_MS;
  self->command_ms = DEFAULT_COMMAND_MS;
  self->max_pending = DEFAULT_MAX_PENDING;
  self->backoff_ms = BACKOFF_FIRST_MS;
  self->scripts = g_ptr_array_new_with_free_func ((GDestroyNotify) script_free);
  g_queue_init (&self->pending);
}

DsdRedis *
dsd_redis_new (const DsdRedisUrl *url,
               const char        *name)
{
  DsdRedis *self;

  g_return_val_if_fail (url != NULL, NULL);

  self = g_object_new (DSD_TYPE_REDIS, NULL);
  self->url = dsd_redis_url_copy (url);
  self->name = g_strdup (name);
  return self;
}

void
dsd_redis_set_timeouts (DsdRedis *self,
                        guint     connect_ms,
                        guint     command_ms)
{
  g_return_if_fail (DSD_IS_REDIS (self));
  g_return_if_fail (connect_ms > 0 && command_ms > 0);

  self->connect_ms = connect_ms;
  self->command_ms = command_ms;
}

void
dsd_redis_set_max_pending (DsdRedis *self,
                           guint     max_pending)
{
  g_return_if_fail (DSD_IS_REDIS (self));
  g_return_if_fail (max_pending > 0);

  self->max_pending = max_pending;
}

DsdRedisScript *
dsd_redis_add_script (DsdRedis   *self,
                      const char *source)
{
  DsdRedisScript *script;

  g_return_val_if_fail (DSD_IS_REDIS (self), NULL);
  g_return_val_if_fail (!self->running, NULL);

  script = g_new0 (DsdRedisScript, 1);
  script->source = g_strdup (source);
  script->sha = g_compute_checksum_for_string (G_CHECKSUM_SHA1, source, -1);
  g_ptr_array_add (self->scripts, script);
  return script;
}

void
dsd_redis_subscribe (DsdRedis            *self,
                     const char          *channel,
                     DsdRedisMessageFunc  func,
                     gpointer             user_data)
{
  g_return_if_fail (DSD_IS_REDIS (self));
  g_return_if_fail (!self->running && self->channel == NULL);

  self->channel = g_strdup (channel);
  self->message_func = func;
  self->message_data = user_data;
}

void
dsd_redis_start (DsdRedis *self)
{
  g_return_if_fail (DSD_IS_REDIS (self));

  if (self->running)
    return;

  self->running = TRUE;
  connect_now (self);
}

void
dsd_redis_stop (DsdRedis *self)
{
  g_return_if_fail (DSD_IS_REDIS (self));

  self->running = FALSE;
  g_clear_handle_id (&self->reconnect_id, g_source_remove);
  drop (self, DSD_REDIS_ERROR_DOWN, "stopped");
}

gboolean
dsd_redis_is_up (DsdRedis *self)
{
  g_return_val_if_fail (DSD_IS_REDIS (self), FALSE);

  return self->up;
}

static gboolean
can_send (DsdRedis  *self,
          GError   **error)
{
  if (!self->up)
    {
      g_set_error (error, DSD_REDIS_ERROR, DSD_REDIS_ERROR_DOWN, "Redis %s is down", self->name);
      return FALSE;
    }

  if (self->pending.length >= self->max_pending)
    {
      g_set_error (error, DSD_REDIS_ERROR, DSD_REDIS_ERROR_BUSY,
                   "Redis %s has %u commands waiting", self->name, self->max_pending);
      return FALSE;
    }

  return TRUE;
}

gboolean
dsd_redis_command (DsdRedis            *self,
                   guint                argc,
                   const char * const  *argv,
                   const gsize         *argv_len,
                   DsdRedisReplyFunc    func,
                   gpointer             user_data,
                   GError             **error)
{
  Pending *pending;

  g_return_val_if_fail (DSD_IS_REDIS (self), FALSE);
  g_return_val_if_fail (self->channel == NULL, FALSE);
  g_return_val_if_fail (argc > 0 && func != NULL, FALSE);

  if (!can_send (self, error))
    return FALSE;

  pending = g_new0 (Pending, 1);
  pending->func = func;
  pending->user_data = user_data;
  send_pending (self, pending, argc, (const char **) argv, argv_len);
  if (pending->self == NULL)
    {
      g_set_error (error, DSD_REDIS_ERROR, DSD_REDIS_ERROR_DOWN, "Redis %s is closing",
                   self->name);
      return FALSE;
    }

  return TRUE;
}

gboolean
dsd_redis_eval (DsdRedis            *self,
                DsdRedisScript      *script,
                guint                n_keys,
                guint                argc,
                const char * const  *argv,
                const gsize         *argv_len,
                DsdRedisReplyFunc    func,
                gpointer             user_data,
                GError             **error)
{
  guint n = 3 + argc;
  g_autofree const char **full = g_new (const char *, n);
  g_autofree gsize *full_len = g_new (gsize, n);
  char keys[16];
  Pending *pending;

  g_return_val_if_fail (DSD_IS_REDIS (self), FALSE);
  g_return_val_if_fail (script != NULL && func != NULL, FALSE);
  g_return_val_if_fail (n_keys <= argc, FALSE);

  if (!can_send (self, error))
    return FALSE;

  g_snprintf (keys, sizeof keys, "%u", n_keys);
  full[0] = "EVALSHA";
  full_len[0] = 7;
  full[1] = script->sha;
  full_len[1] = strlen (script->sha);

  pending = g_new0 (Pending, 1);
  pending->func = func;
  pending->user_data = user_data;
  pending->script = script;
  pending->args = g_ptr_array_new_full (argc + 1, (GDestroyNotify) g_bytes_unref);
  g_ptr_array_add (pending->args, g_bytes_new (keys, strlen (keys)));
  for (guint i = 0; i < argc; i++)
    g_ptr_array_add (pending->args, g_bytes_new (argv[i], argv_len[i]));
  for (guint i = 0; i < pending->args->len; i++)
    {
      gsize length;

      full[2 + i] = g_bytes_get_data (pending->args->pdata[i], &length);
      full_len[2 + i] = length;
    }

  send_pending (self, pending, n, full, full_len);
  if (pending->self == NULL)
    {
      g_set_error (error, DSD_REDIS_ERROR, DSD_REDIS_ERROR_DOWN, "Redis %s is closing",
                   self->name);
      return FALSE;
    }

  return TRUE;
}
