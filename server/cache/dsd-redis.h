/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <hiredis/hiredis.h>

#include "dsd-redis-url.h"

G_BEGIN_DECLS

/*
 * One non-blocking hiredis connection on the thread-default main context
 * (hiredis 0.14.1 with its GLib adapter). hiredis 0.14 has no timeouts, so
 * the connection keeps its own: the connect and handshake (AUTH, SELECT,
 * SCRIPT LOAD, SUBSCRIBE) must finish within the connect timeout and every
 * reply must come within the command timeout, else the connection is dropped,
 * every command waiting on it fails, and it reconnects with exponential
 * backoff (0.1 s doubling to 5 s). Commands are pipelined (sent without
 * waiting for earlier replies). While the connection is not up, or when
 * max-pending commands already wait, a command fails at once: callers fall
 * back rather than queue.
 *
 * A connection that subscribes (dsd_redis_subscribe()) can run nothing else;
 * it re-subscribes after each reconnect and notifies "up" when it has.
 */
#define DSD_REDIS_ERROR (dsd_redis_error_quark ())

typedef enum {
  DSD_REDIS_ERROR_DOWN,     /* not connected (yet, or any more) */
  DSD_REDIS_ERROR_BUSY,     /* too many commands waiting */
  DSD_REDIS_ERROR_TIMEOUT,  /* no reply in time: the connection was dropped */
  DSD_REDIS_ERROR_LOST,     /* the connection went away before the reply */
  DSD_REDIS_ERROR_REPLY,    /* Redis answered with an error */
} DsdRedisError;

GQuark dsd_redis_error_quark (void);

/* reply is NULL exactly when error is set; both belong to the connection. */
typedef void (*DsdRedisReplyFunc)   (redisReply   *reply,
                                     const GError *error,
                                     gpointer      user_data);
typedef void (*DsdRedisMessageFunc) (const char   *channel,
                                     const char   *payload,
                                     gsize         length,
                                     gpointer      user_data);

/* A Lua script, loaded at every connect and called by its SHA-1. */
typedef struct _DsdRedisScript DsdRedisScript;

#define DSD_TYPE_REDIS (dsd_redis_get_type ())
G_DECLARE_FINAL_TYPE (DsdRedis, dsd_redis, DSD, REDIS, GObject)

DsdRedis       *dsd_redis_new             (const DsdRedisUrl   *url,
                                           const char          *name);
void            dsd_redis_set_timeouts    (DsdRedis            *self,
                                           guint                connect_ms,
                                           guint                command_ms);
void            dsd_redis_set_max_pending (DsdRedis            *self,
                                           guint                max_pending);
/* Before dsd_redis_start(); the script lives as long as the connection. */
DsdRedisScript *dsd_redis_add_script      (DsdRedis            *self,
                                           const char          *source);
/* Before dsd_redis_start(): makes this a subscriber connection. */
void            dsd_redis_subscribe       (DsdRedis            *self,
                                           const char          *channel,
                                           DsdRedisMessageFunc  func,
                                           gpointer             user_data);
void            dsd_redis_start           (DsdRedis            *self);
/* Drops the connection (pending commands fail) and stops reconnecting. */
void            dsd_redis_stop            (DsdRedis            *self);
gboolean        dsd_redis_is_up           (DsdRedis            *self);
/* Sends a command; func is called exactly once, later, unless this returns
 * FALSE (down or busy), in which case it is never called. */
gboolean        dsd_redis_command         (DsdRedis            *self,
                                           guint                argc,
                                           const char * const  *argv,
                                           const gsize         *argv_len,
                                           DsdRedisReplyFunc    func,
                                           gpointer             user_data,
                                           GError             **error);
/* EVALSHA script n_keys args...; NOSCRIPT (a flushed or restarted server)
 * sends it once as EVAL, which also loads it again. */
gboolean        dsd_redis_eval            (DsdRedis            *self,
                                           DsdRedisScript      *script,
                                           guint                n_keys,
                                           guint                argc,
                                           const char * const  *argv,
                                           const gsize         *argv_len,
                                           DsdRedisReplyFunc    func,
                                           gpointer             user_data,
                                           GError             **error);

G_END_DECLS
