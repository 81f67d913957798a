/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-store"

#include "config.h"

#include <string.h>
#include <glib-unix.h>

#include "dsd-pg-connection.h"
#include "dsd-pg-conninfo.h"

#define CONNECT_TIMEOUT_MS 10000
/* Bytes handed to PQputCopyData at a time. */
#define COPY_CHUNK         (256 * 1024)
#define BACKOFF_MIN_MS     100
/* Kept well below R4's 5 s so that a returning server is found quickly. */
#define BACKOFF_MAX_MS     2000

typedef enum {
  STATE_STOPPED,
  STATE_WAITING,
  STATE_CONNECTING,
  STATE_CONNECTED,
} State;

struct _DsdPgConnection
{
  GObject          parent_instance;

  char            *conninfo;
  char            *options;      /* libpq "options", nullable */
  GMainContext    *context;

  State            state;
  PGconn          *pg;
  guint            backoff_ms;

  /* Readiness of the socket, and what it is watched for */
  GSource         *watch;
  int              watch_fd;
  GIOCondition     watch_condition;
  /* The connect timeout, the retry delay or a deferred loss */
  GSource         *timer;

  /* The command in flight */
  DsdPgResultFunc  func;
  gpointer         func_data;
  PGresult        *result;
  gboolean         flushing;
  /* The data of a COPY FROM STDIN in flight, and how far it is sent */
  GBytes          *copy_data;
  gsize            copy_offset;
  gboolean         copying;
};

G_DEFINE_FINAL_TYPE (DsdPgConnection, dsd_pg_connection, G_TYPE_OBJECT)

enum {
  CONNECTED,
  DISCONNECTED,
  NOTIFICATION,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static gboolean socket_cb (int          fd,
                           GIOCondition condition,
                           gpointer     user_data);
static gboolean retry_cb  (gpointer     user_data);

static void
clear_source (GSource **source)
{
  if (*source == NULL)
    return;

  g_source_destroy (*source);
  g_clear_pointer (source, g_source_unref);
}

static void
set_timer (DsdPgConnection *self,
           guint            delay_ms,
           GSourceFunc      func)
{
  clear_source (&self->timer);
  self->timer = delay_ms == 0 ? g_idle_source_new () : g_timeout_source_new (delay_ms);
  g_source_set_callback (self->timer, func, self, NULL);
  g_source_attach (self->timer, self->context);
}

static void
watch_socket (DsdPgConnection *self,
              GIOCondition     condition)
{
  int fd = PQsocket (self->pg);

  /* libpq may switch sockets while connecting (several hosts, SSL fallback). */
  if (self->watch != NULL && self->watch_fd == fd && self->watch_condition == condition)
    return;

  clear_source (&self->watch);
  self->watch = g_unix_fd_source_new (fd, condition);
  self->watch_fd = fd;
  self->watch_condition = condition;
  g_source_set_callback (self->watch, G_SOURCE_FUNC (socket_cb), self, NULL);
  g_source_attach (self->watch, self->context);
}

static void
finish_command (DsdPgConnection *self)
{
  DsdPgResultFunc func = g_steal_pointer (&self->func);
  gpointer func_data = g_steal_pointer (&self->func_data);

  /* A COPY the server refused before it asked for the data. */
  g_clear_pointer (&self->copy_data, g_bytes_unref);
  self->copying = FALSE;

  if (func != NULL)
    func (self, g_steal_pointer (&self->result), func_data);
}

static void
drop_connection (DsdPgConnection *self)
{
  clear_source (&self->watch);
  clear_source (&self->timer);
  g_clear_pointer (&self->pg, PQfinish);
  g_clear_pointer (&self->result, PQclear);
  g_clear_pointer (&self->copy_data, g_bytes_unref);
  self->flushing = FALSE;
  self->copying = FALSE;
}

static void
lose_connection (DsdPgConnection *self,
                 const char      *message)
{
  g_autoptr(DsdPgConnection) hold = g_object_ref (self);
  g_autofree char *text = g_strchomp (g_strdup (message));

  drop_connection (self);
  self->state = STATE_WAITING;
  set_timer (self, self->backoff_ms, retry_cb);
  self->backoff_ms = MIN (self->backoff_ms * 2, BACKOFF_MAX_MS);

  g_signal_emit (self, signals[DISCONNECTED], 0, text);
  finish_command (self);
}

static gboolean
deferred_loss_cb (gpointer user_data)
{
  DsdPgConnection *self = user_data;

  g_clear_pointer (&self->timer, g_source_unref);
  lose_connection (self, PQerrorMessage (self->pg));

  return G_SOURCE_REMOVE;
}

static gboolean
connect_timeout_cb (gpointer user_data)
{
  DsdPgConnection *self = user_data;

  g_clear_pointer (&self->timer, g_source_unref);
  lose_connection (self, "timeout while connecting");

  return G_SOURCE_REMOVE;
}

static gboolean
abandoned_cb (gpointer user_data)
{
  DsdPgConnection *self = user_data;

  g_clear_pointer (&self->timer, g_source_unref);
  lose_connection (self, "abandoned: no answer in time");

  return G_SOURCE_REMOVE;
}

void
dsd_pg_notice_processor (void       *arg,
                         const char *message)
{
  g_debug ("PostgreSQL: %.*s", (int) strcspn (message, "\n"), message);
}

static void
connect_now (DsdPgConnection *self)
{
  /* Our server options are added to those the conninfo carries, not put in
   * their place (a later "options" keyword would override them). A conninfo
   * that does not parse fails in PQconnectStartParams() below. */
  g_autofree char *with_options = self->options != NULL
    ? dsd_pg_conninfo_add_option (self->conninfo, self->options, NULL) : NULL;
  const char * const keywords[] = { "dbname", "fallback_application_name", NULL };
  const char * const values[] = {
    with_options != NULL ? with_options : self->conninfo, "dispatchd", NULL
  };

  self->state = STATE_CONNECTING;
  self->pg = PQconnectStartParams (keywords, values, TRUE);

  /* Failures are reported from the main loop, never from within start(). */
  if (self->pg == NULL || PQstatus (self->pg) == CONNECTION_BAD)
    {
      set_timer (self, 0, deferred_loss_cb);
      return;
    }

  PQsetNoticeProcessor (self->pg, dsd_pg_notice_processor, NULL);
  watch_socket (self, G_IO_OUT);
  set_timer (self, CONNECT_TIMEOUT_MS, connect_timeout_cb);
}

static gboolean
retry_cb (gpointer user_data)
{
  DsdPgConnection *self = user_data;

  g_clear_pointer (&self->timer, g_source_unref);
  connect_now (self);

  return G_SOURCE_REMOVE;
}

static void
continue_connecting (DsdPgConnection *self)
{
  switch (PQconnectPoll (self->pg))
    {
    case PGRES_POLLING_READING:
      watch_socket (self, G_IO_IN);
      break;

    case PGRES_POLLING_WRITING:
      watch_socket (self, G_IO_OUT);
      break;

    case PGRES_POLLING_OK:
      if (PQsetnonblocking (self->pg, 1) != 0)
        {
          lose_connection (self, PQerrorMessage (self->pg));
          break;
        }
      clear_source (&self->timer);
      self->state = STATE_CONNECTED;
      self->backoff_ms = BACKOFF_MIN_MS;
      watch_socket (self, G_IO_IN);
      g_signal_emit (self, signals[CONNECTED], 0);
      break;

    case PGRES_POLLING_FAILED:
    case PGRES_POLLING_ACTIVE:
    default:
      lose_connection (self, PQerrorMessage (self->pg));
      break;
    }
}

/* Returns FALSE if the connection failed. */
static gboolean
flush_output (DsdPgConnection *self)
{
  int ret = PQflush (self->pg);

  if (ret < 0)
    return FALSE;

  self->flushing = ret == 1;
  watch_socket (self, self->flushing ? G_IO_IN | G_IO_OUT : G_IO_IN);

  return TRUE;
}

/* Feeds the COPY until libpq would block (then waits for the socket) or
 * the stream is ended. Returns FALSE if the connection failed. */
static gboolean
send_copy_data (DsdPgConnection *self)
{
  gsize size;
  const char *data = g_bytes_get_data (self->copy_data, &size);
  int ret;

  while (self->copy_offset < size)
    {
      int n = MIN (size - self->copy_offset, COPY_CHUNK);

      ret = PQputCopyData (self->pg, data + self->copy_offset, n);
      if (ret < 0)
        return FALSE;
      if (ret == 0)
        {
          watch_socket (self, G_IO_IN | G_IO_OUT);
          return TRUE;
        }
      self->copy_offset += n;
    }

  ret = PQputCopyEnd (self->pg, NULL);
  if (ret < 0)
    return FALSE;
  if (ret == 0)
    {
      watch_socket (self, G_IO_IN | G_IO_OUT);
      return TRUE;
    }

  self->copying = FALSE;
  g_clear_pointer (&self->copy_data, g_bytes_unref);
  return flush_output (self);
}

/* The server waits for COPY data: send ours, or refuse a COPY nobody feeds. */
static gboolean
start_copy (DsdPgConnection *self)
{
  if (self->copy_data == NULL)
    return PQputCopyEnd (self->pg, "COPY FROM STDIN without data") >= 0 && flush_output (self);

  self->copying = TRUE;
  self->copy_offset = 0;
  return send_copy_data (self);
}

static void
keep_result (DsdPgConnection *self,
             PGresult        *result)
{
  /* The first error wins; otherwise the last result of the command. */
  if (self->result != NULL && PQresultStatus (self->result) == PGRES_FATAL_ERROR)
    {
      PQclear (result);
      return;
    }

  g_clear_pointer (&self->result, PQclear);
  self->result = result;
}

static void
process_input (DsdPgConnection *self,
               GIOCondition     condition)
{
  PGnotify *notify;

  if ((condition & (G_IO_IN | G_IO_HUP | G_IO_ERR)) != 0 && !PQconsumeInput (self->pg))
    {
      lose_connection (self, PQerrorMessage (self->pg));
      return;
    }

  if ((self->flushing && !flush_output (self)) ||
      (self->copying && !send_copy_data (self)))
    {
      lose_connection (self, PQerrorMessage (self->pg));
      return;
    }

  /* Handlers may close the connection or send the next command. */
  while (self->pg != NULL && (notify = PQnotifies (self->pg)) != NULL)
    {
      g_signal_emit (self, signals[NOTIFICATION], 0, notify->relname, notify->extra);
      PQfreemem (notify);
    }

  /* While copying, PQgetResult would return PGRES_COPY_IN again and again. */
  while (self->pg != NULL &&
         self->func != NULL &&
         !self->copying &&
         PQstatus (self->pg) == CONNECTION_OK &&
         !PQisBusy (self->pg))
    {
      PGresult *result = PQgetResult (self->pg);

      if (result == NULL)
        finish_command (self);
      else if (PQresultStatus (result) == PGRES_COPY_IN)
        {
          PQclear (result);
          if (!start_copy (self))
            {
              lose_connection (self, PQerrorMessage (self->pg));
              return;
            }
        }
      else
        keep_result (self, result);
    }

  if (self->pg != NULL && PQstatus (self->pg) == CONNECTION_BAD)
    lose_connection (self, PQerrorMessage (self->pg));
}

static gboolean
socket_cb (int          fd,
           GIOCondition condition,
           gpointer     user_data)
{
  g_autoptr(DsdPgConnection) self = g_object_ref (user_data);

  if (self->state == STATE_CONNECTING)
    continue_connecting (self);
  else
    process_input (self, condition);

  return G_SOURCE_CONTINUE;
}

static void
begin_command (DsdPgConnection *self,
               gboolean         sent,
               DsdPgResultFunc  func,
               gpointer         user_data)
{
  self->func = func;
  self->func_data = user_data;

  if (!sent || !flush_output (self))
    set_timer (self, 0, deferred_loss_cb);
}

static void
dsd_pg_connection_dispose (GObject *object)
{
  dsd_pg_connection_close (DSD_PG_CONNECTION (object));

  G_OBJECT_CLASS (dsd_pg_connection_parent_class)->dispose (object);
}

static void
dsd_pg_connection_finalize (GObject *object)
{
  DsdPgConnection *self = DSD_PG_CONNECTION (object);

  g_clear_pointer (&self->conninfo, g_free);
  g_clear_pointer (&self->options, g_free);
  g_clear_pointer (&self->context, g_main_context_unref);

  G_OBJECT_CLASS (dsd_pg_connection_parent_class)->finalize (object);
}

static void
dsd_pg_connection_class_init (DsdPgConnectionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = dsd_pg_connection_dispose;
  object_class->finalize = dsd_pg_connection_finalize;

  signals[CONNECTED] =
    g_signal_new ("connected",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);

  signals[DISCONNECTED] =
    g_signal_new ("disconnected",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_STRING);

  signals[NOTIFICATION] =
    g_signal_new ("notification",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
}

static void
dsd_pg_connection_init (DsdPgConnection *self)
{
  self->context = g_main_context_ref_thread_default ();
  self->backoff_ms = BACKOFF_MIN_MS;
}

DsdPgConnection *
dsd_pg_connection_new (const char *conninfo)
{
  DsdPgConnection *self;

  g_return_val_if_fail (conninfo != NULL, NULL);

  self = g_object_new (DSD_TYPE_PG_CONNECTION, NULL);
  self->conninfo = g_strdup (conninfo);

  return self;
}

void
dsd_pg_connection_abandon (DsdPgConnection *self)
{
  g_return_if_fail (DSD_IS_PG_CONNECTION (self));

  if (self->state == STATE_CONNECTED)
    set_timer (self, 0, abandoned_cb);
}

void
dsd_pg_connection_set_options (DsdPgConnection *self,
                               const char      *options)
{
  g_return_if_fail (DSD_IS_PG_CONNECTION (self));

  g_free (self->options);
  self->options = g_strdup (options);
}

void
dsd_pg_connection_start (DsdPgConnection *self)
{
  g_return_if_fail (DSD_IS_PG_CONNECTION (self));

  if (self->state != STATE_STOPPED)
    return;

  self->backoff_ms = BACKOFF_MIN_MS;
  connect_now (self);
}

void
dsd_pg_connection_close (DsdPgConnection *self)
{
  g_return_if_fail (DSD_IS_PG_CONNECTION (self));

  drop_connection (self);
  self->state = STATE_STOPPED;
  finish_command (self);
}

gboolean
dsd_pg_connection_is_connected (DsdPgConnection *self)
{
  g_return_val_if_fail (DSD_IS_PG_CONNECTION (self), FALSE);

  return self->state == STATE_CONNECTED;
}

gboolean
dsd_pg_connection_is_idle (DsdPgConnection *self)
{
  g_return_val_if_fail (DSD_IS_PG_CONNECTION (self), FALSE);

  return self->state == STATE_CONNECTED && self->func == NULL;
}

PGconn *
dsd_pg_connection_get_pgconn (DsdPgConnection *self)
{
  g_return_val_if_fail (DSD_IS_PG_CONNECTION (self), NULL);

  return self->state == STATE_CONNECTED ? self->pg : NULL;
}

void
dsd_pg_connection_send_query (DsdPgConnection *self,
                              const char      *sql,
                              DsdPgResultFunc  func,
                              gpointer         user_data)
{
  g_return_if_fail (DSD_IS_PG_CONNECTION (self));
  g_return_if_fail (dsd_pg_connection_is_idle (self));
  g_return_if_fail (sql != NULL);
  g_return_if_fail (func != NULL);

  begin_command (self, PQsendQuery (self->pg, sql), func, user_data);
}

void
dsd_pg_connection_send_prepare (DsdPgConnection *self,
                                const char      *name,
                                const char      *sql,
                                DsdPgResultFunc  func,
                                gpointer         user_data)
{
  g_return_if_fail (DSD_IS_PG_CONNECTION (self));
  g_return_if_fail (dsd_pg_connection_is_idle (self));
  g_return_if_fail (name != NULL);
  g_return_if_fail (sql != NULL);
  g_return_if_fail (func != NULL);

  begin_command (self, PQsendPrepare (self->pg, name, sql, 0, NULL), func, user_data);
}

void
dsd_pg_connection_send_query_prepared (DsdPgConnection    *self,
                                       const char         *name,
                                       int                 n_params,
                                       const char * const *params,
                                       DsdPgResultFunc     func,
                                       gpointer            user_data)
{
  g_return_if_fail (DSD_IS_PG_CONNECTION (self));
  g_return_if_fail (dsd_pg_connection_is_idle (self));
  g_return_if_fail (name != NULL);
  g_return_if_fail (n_params == 0 || params != NULL);
  g_return_if_fail (func != NULL);

  begin_command (self,
                 PQsendQueryPrepared (self->pg, name, n_params, params, NULL, NULL, 0),
                 func, user_data);
}

void
dsd_pg_connection_send_query_params (DsdPgConnection    *self,
                                     const char         *sql,
                                     int                 n_params,
                                     const char * const *params,
                                     DsdPgResultFunc     func,
                                     gpointer            user_data)
{
  g_return_if_fail (DSD_IS_PG_CONNECTION (self));
  g_return_if_fail (dsd_pg_connection_is_idle (self));
  g_return_if_fail (sql != NULL);
  g_return_if_fail (n_params == 0 || params != NULL);
  g_return_if_fail (func != NULL);

  begin_command (self,
                 PQsendQueryParams (self->pg, sql, n_params, NULL, params, NULL, NULL, 0),
                 func, user_data);
}

void
dsd_pg_connection_send_copy_in (DsdPgConnection *self,
                                const char      *sql,
                                GBytes          *data,
                                DsdPgResultFunc  func,
                                gpointer         user_data)
{
  g_return_if_fail (DSD_IS_PG_CONNECTION (self));
  g_return_if_fail (dsd_pg_connection_is_idle (self));
  g_return_if_fail (sql != NULL);
  g_return_if_fail (data != NULL);
  g_return_if_fail (func != NULL);

  self->copy_data = g_bytes_ref (data);
  begin_command (self, PQsendQuery (self->pg, sql), func, user_data);
}
