/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "dsd-pg-pool.h"
#include "test-server.h"
#include "test-utils.h"

#define START_TIMEOUT_S 90
#define READY_POLL_MS 100
#define ADMIN_PASSWORD "test-admin-password"
#define USER_PASSWORD "test-user-password"

struct _DsdTestServer {
  GSubprocess  *process;
  GSubprocess  *watchdog;     /* stops its postgres should the test die */
  char         *data_dir;
  char         *log_path;
  char         *url;
  guint         port;           /* 0 until the first start bound one */
  GDataInputStream *stdout_lines; /* dispatchd's stdout, open while it runs */
  GStrv         env;
  SoupSession  *session;
  SoupSession  *async_session;  /* many connections, for dsd_test_request_async() */
  char         *admin_token;
  DsdTestPg    *pg;             /* with DISPATCH_TEST_DATABASE_DUMP */
};

static char *
dispatchd_path (void)
{
  const char *top = g_getenv ("DISPATCH_TEST_TOP_BUILDDIR");

  g_assert_nonnull (top);
  return g_build_filename (top, "server", "dispatchd", NULL);
}

static void
spawn (DsdTestServer *self)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *program = dispatchd_path ();

  /* dispatchd stops (and stops its postgres) when the test process dies. */
  launcher = dsd_test_launcher_new (G_SUBPROCESS_FLAGS_NONE, SIGTERM);
  g_subprocess_launcher_set_environ (launcher, self->env);
  /* Its stdout says where it listens (kept open: it may print more). */
  g_subprocess_launcher_set_flags (launcher, G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  /* Appending: the log of every run of this server stays in one file. */
  {
    int fd = g_open (self->log_path, O_WRONLY | O_CREAT | O_APPEND, 0644);

    g_assert_cmpint (fd, >=, 0);
    g_subprocess_launcher_take_stderr_fd (launcher, fd);
  }

  self->process = g_subprocess_launcher_spawn (launcher, &error, program, NULL);
  g_assert_no_error (error);
  g_clear_object (&self->stdout_lines);
  self->stdout_lines = g_data_input_stream_new (g_subprocess_get_stdout_pipe (self->process));
}

/*
 * The port, from dispatchd's "dispatchd VERSION listening on URL". dispatchd
 * binds port 0 on its first start and the same port on a restart: a port
 * picked here and bound seconds later by the child (after its database
 * started) could meanwhile be taken by another test's server, and this test
 * would then talk to that one, until it stopped.
 */
static void
read_listening_port (DsdTestServer *self)
{
  GAsyncResult *slot = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  const char *url;
  guint port;

  g_data_input_stream_read_line_async (self->stdout_lines, G_PRIORITY_DEFAULT, NULL,
                                       dsd_test_store_result_cb, &slot);
  result = dsd_test_wait_result (&slot, START_TIMEOUT_S * 1000);
  line = g_data_input_stream_read_line_finish_utf8 (self->stdout_lines, result, NULL, &error);
  url = line != NULL ? strstr (line, " listening on ") : NULL;
  if (url == NULL)
    {
      g_autofree char *log = dsd_test_server_get_log (self);

      g_error ("dispatchd said no listening address (%s):\n%s",
               error != NULL ? error->message : line != NULL ? line : "end of output", log);
    }

  url += strlen (" listening on ");
  port = atoi (strrchr (url, ':') + 1);
  g_assert_cmpuint (port, >, 0);
  if (self->port == 0)
    {
      g_autofree char *listen = g_strdup_printf ("127.0.0.1:%u", port);

      self->port = port;
      self->url = g_strdup (url);
      self->env = g_environ_setenv (self->env, "DISPATCH_LISTEN", listen, TRUE);
    }
  g_assert_cmpuint (port, ==, self->port);
}

/* Whether /readyz answers 200; a dispatchd that exited is a test error. */
static gboolean
is_ready (gpointer user_data)
{
  DsdTestServer *self = user_data;
  g_autoptr(SoupMessage) message = NULL;
  g_autofree char *url = g_strconcat (self->url, "/readyz", NULL);
  g_autoptr(GBytes) body = NULL;

  /* The identifier goes away once the child has exited. */
  if (g_subprocess_get_identifier (self->process) == NULL)
    {
      g_autofree char *log = dsd_test_server_get_log (self);

      g_error ("dispatchd exited during start:\n%s", log);
    }

  message = soup_message_new ("GET", url);
  body = soup_session_send_and_read (self->session, message, NULL, NULL);

  return body != NULL && soup_message_get_status (message) == 200;
}

static void
wait_ready (DsdTestServer *self)
{
  if (!dsd_test_poll_until (is_ready, self, READY_POLL_MS, START_TIMEOUT_S * 1000))
    {
      g_autofree char *log = dsd_test_server_get_log (self);

      g_error ("dispatchd was not ready within %d s:\n%s", START_TIMEOUT_S, log);
    }
}

/* A PostgreSQL of the test's own holding the database of the dump file (one
 * PQexec: plain SQL, no COPY). */
static DsdTestPg *
load_database_dump (const char *path)
{
  DsdTestPg *pg = dsd_test_pg_new ();
  g_autoptr(PGresult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *sql = NULL;

  g_assert_true (g_file_get_contents (path, &sql, NULL, &error));
  g_assert_no_error (error);
  result = dsd_pg_exec_sync (dsd_test_pg_get_conninfo (pg), sql, 0, NULL, &error);
  g_assert_no_error (error);

  return pg;
}

DsdTestServer *
dsd_test_server_start (const char * const *extra_env)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *data_dir = g_dir_make_tmp ("dispatchd-test-XXXXXX", &error);

  g_assert_no_error (error);
  return dsd_test_server_start_in (data_dir, extra_env);
}

DsdTestServer *
dsd_test_server_start_in (const char         *data_dir,
                          const char * const *extra_env)
{
  DsdTestServer *self = g_new0 (DsdTestServer, 1);
  const char *dump = g_getenv ("DISPATCH_TEST_DATABASE_DUMP");
  g_autoptr(GError) error = NULL;
  const char *roles;
  g_autofree char *pid_file = NULL;

  self->data_dir = g_strdup (data_dir);
  /* The managed cluster may run as an unprivileged account that must reach it. */
  g_assert_cmpint (g_chmod (self->data_dir, 0711), ==, 0);
  self->log_path = g_build_filename (self->data_dir, "dispatchd.log", NULL);
  pid_file = g_build_filename (self->data_dir, "postgresql", "postmaster.pid", NULL);
  self->watchdog = dsd_test_watchdog_start (pid_file, "INT", self->data_dir);

  self->env = g_get_environ ();
  self->env = g_environ_unsetenv (self->env, "DATABASE_URL");
  self->env = g_environ_setenv (self->env, "DISPATCH_DATA_DIR", self->data_dir, TRUE);
  self->env = g_environ_setenv (self->env, "DISPATCH_LISTEN", "127.0.0.1:0", TRUE);
  self->env = g_environ_setenv (self->env, "DISPATCH_ADMIN_PASSWORD", ADMIN_PASSWORD, TRUE);
  if (dump != NULL)
    {
      self->pg = load_database_dump (dump);
      self->env = g_environ_setenv (self->env, "DATABASE_URL",
                                    dsd_test_pg_get_conninfo (self->pg), TRUE);
    }
  for (guint i = 0; extra_env != NULL && extra_env[i] != NULL; i++)
    {
      g_auto(GStrv) pair = g_strsplit (extra_env[i], "=", 2);

      self->env = g_environ_setenv (self->env, pair[0], pair[1], TRUE);
    }

  self->session = soup_session_new_with_options ("timeout", 60, NULL);
  spawn (self);
  read_listening_port (self);
  wait_ready (self);
  /* An instance without the api role has no login to offer. */
  roles = g_environ_getenv (self->env, "DISPATCH_ROLES");
  if (roles == NULL || strstr (roles, "api") != NULL)
    self->admin_token = dsd_test_login (self, "admin", ADMIN_PASSWORD);

  return self;
}

void
dsd_test_server_stop (DsdTestServer *self,
                      gboolean       hard)
{
  g_autoptr(GError) error = NULL;

  if (self->process == NULL)
    return;

  g_subprocess_send_signal (self->process, hard ? SIGKILL : SIGTERM);
  g_subprocess_wait (self->process, NULL, &error);
  g_assert_no_error (error);
  if (!hard)
    g_assert_true (g_subprocess_get_if_exited (self->process));
  g_clear_object (&self->process);
}

void
dsd_test_server_restart (DsdTestServer *self)
{
  g_assert_null (self->process);
  spawn (self);
  read_listening_port (self);
  wait_ready (self);
}

void
dsd_test_server_free (DsdTestServer *self)
{
  dsd_test_server_stop (self, FALSE);
  g_clear_pointer (&self->pg, dsd_test_pg_free);
  /* Also stops a postgres left by a hard stop, and removes the directory. */
  dsd_test_watchdog_finish (g_steal_pointer (&self->watchdog));
  dsd_test_remove_tree (self->data_dir);

  g_clear_object (&self->session);
  g_clear_object (&self->async_session);
  g_free (self->data_dir);
  g_free (self->log_path);
  g_clear_object (&self->stdout_lines);
  g_free (self->url);
  g_free (self->admin_token);
  g_strfreev (self->env);
  g_free (self);
}

const char *
dsd_test_server_get_url (DsdTestServer *self)
{
  return self->url;
}

const char *
dsd_test_server_get_data_dir (DsdTestServer *self)
{
  return self->data_dir;
}

const char *
dsd_test_server_get_database_dir (DsdTestServer *self)
{
  return self->pg != NULL ? self->pg->data_dir : self->data_dir;
}

const char *
dsd_test_server_get_admin_token (DsdTestServer *self)
{
  return self->admin_token;
}

const char *
dsd_test_server_get_admin_password (DsdTestServer *self)
{
  return ADMIN_PASSWORD;
}

int
dsd_test_server_get_pid (DsdTestServer *self)
{
  const char *identifier = self->process ? g_subprocess_get_identifier (self->process) : NULL;

  return identifier != NULL ? atoi (identifier) : 0;
}

int
dsd_test_server_get_postmaster_pid (DsdTestServer *self)
{
  g_autofree char *pid_file = g_build_filename (self->data_dir, "postgresql", "postmaster.pid",
                                                NULL);
  g_autofree char *contents = NULL;
  int pid;

  if (!g_file_get_contents (pid_file, &contents, NULL, NULL))
    return 0;

  pid = atoi (contents);
  return dsd_test_process_alive (pid) ? pid : 0;
}

GArray *
dsd_test_server_get_database_pids (DsdTestServer *self)
{
  int postmaster = dsd_test_server_get_postmaster_pid (self);
  GArray *pids;

  g_assert_cmpint (postmaster, >, 0);
  pids = dsd_test_child_pids (postmaster);
  g_array_append_val (pids, postmaster);

  return pids;
}

void
dsd_test_server_signal_database (DsdTestServer *self,
                                 int            signum)
{
  g_autoptr(GArray) pids = dsd_test_server_get_database_pids (self);

  for (guint i = 0; i < pids->len; i++)
    g_assert_cmpint (kill (g_array_index (pids, int, i), signum), ==, 0);
}

static gboolean
has_exited (gpointer user_data)
{
  return *(gboolean *) user_data;
}

static void
exited_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  *(gboolean *) user_data = TRUE;
}

gboolean
dsd_test_server_wait_exit (DsdTestServer *self,
                           guint          timeout_ms,
                           int           *out_status)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  gboolean exited = FALSE;

  g_assert_nonnull (self->process);
  g_subprocess_wait_async (self->process, cancellable, exited_cb, &exited);
  if (!dsd_test_run_until (has_exited, &exited, timeout_ms))
    {
      g_cancellable_cancel (cancellable);
      while (!exited)
        g_main_context_iteration (NULL, TRUE);
      if (g_subprocess_get_identifier (self->process) != NULL)
        return FALSE;
    }

  *out_status = g_subprocess_get_if_exited (self->process)
                  ? g_subprocess_get_exit_status (self->process) : -1;
  g_clear_object (&self->process);
  return TRUE;
}

char *
dsd_test_server_get_log (DsdTestServer *self)
{
  char *contents = NULL;

  if (!g_file_get_contents (self->log_path, &contents, NULL, NULL))
    return g_strdup ("");

  return contents;
}

void
dsd_test_response_free (DsdTestResponse *response)
{
  g_free (response->text);
  g_clear_pointer (&response->json, json_node_unref);
  g_clear_pointer (&response->headers, soup_message_headers_unref);
  g_free (response);
}

JsonObject *
dsd_test_response_object (DsdTestResponse *response)
{
  if (response->json == NULL || !JSON_NODE_HOLDS_OBJECT (response->json))
    g_error ("Expected a JSON object, got (%u) %s", response->status, response->text);

  return json_node_get_object (response->json);
}

const char *
dsd_test_response_string (DsdTestResponse *response,
                          const char      *member)
{
  JsonObject *object = dsd_test_response_object (response);

  if (!json_object_has_member (object, member) ||
      JSON_NODE_HOLDS_NULL (json_object_get_member (object, member)))
    return NULL;

  return json_object_get_string_member (object, member);
}

const char *
dsd_test_response_error_code (DsdTestResponse *response)
{
  JsonObject *object = dsd_test_response_object (response);
  JsonObject *error;

  g_assert_true (json_object_has_member (object, "error"));
  error = json_object_get_object_member (object, "error");
  g_assert_nonnull (error);
  g_assert_true (json_object_has_member (error, "message"));
  g_assert_cmpstr (json_object_get_string_member (error, "message"), !=, "");

  return json_object_get_string_member (error, "code");
}

static SoupMessage *
build_message (DsdTestServer      *self,
               const char         *method,
               const char         *path,
               const char         *token,
               const char         *content_type,
               GBytes             *body,
               const char * const *headers)
{
  g_autofree char *url = g_strconcat (self->url, path, NULL);
  SoupMessage *message = soup_message_new (method, url);
  SoupMessageHeaders *request_headers;

  g_assert_nonnull (message);
  request_headers = soup_message_get_request_headers (message);

  if (token != NULL)
    {
      g_autofree char *authorization = g_strconcat ("Bearer ", token, NULL);

      soup_message_headers_replace (request_headers, "Authorization", authorization);
    }

  for (guint i = 0; headers != NULL && headers[i] != NULL; i += 2)
    soup_message_headers_replace (request_headers, headers[i], headers[i + 1]);

  if (body != NULL)
    soup_message_set_request_body_from_bytes (message, content_type, body);

  return message;
}

static DsdTestResponse *
response_new (SoupMessage *message,
              GBytes      *answer)
{
  DsdTestResponse *response = g_new0 (DsdTestResponse, 1);
  gsize size;
  const char *data = g_bytes_get_data (answer, &size);

  response->status = soup_message_get_status (message);
  /* An empty body (a 204's) has no data at all: g_strndup would give NULL. */
  response->text = size > 0 ? g_strndup (data, size) : g_strdup ("");
  response->headers = soup_message_headers_ref (soup_message_get_response_headers (message));
  response->json = json_from_string (response->text, NULL);

  return response;
}

DsdTestResponse *
dsd_test_request_raw (DsdTestServer      *self,
                      const char         *method,
                      const char         *path,
                      const char         *token,
                      const char         *content_type,
                      GBytes             *body,
                      const char * const *headers)
{
  g_autoptr(SoupMessage) message = NULL;
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(GError) error = NULL;

  message = build_message (self, method, path, token, content_type, body, headers);
  answer = soup_session_send_and_read (self->session, message, NULL, &error);
  g_assert_no_error (error);

  return response_new (message, answer);
}

typedef struct {
  GPtrArray *responses;
  guint      pending;
} Batch;

typedef struct {
  Batch       *batch;
  guint        index;
  SoupMessage *message;
} BatchItem;

static void
batch_item_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  BatchItem *item = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) answer = NULL;

  answer = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  g_assert_no_error (error);
  item->batch->responses->pdata[item->index] = response_new (item->message, answer);
  item->batch->pending--;
  g_object_unref (item->message);
  g_free (item);
}

GPtrArray *
dsd_test_request_concurrently (DsdTestServer      *self,
                               const char         *method,
                               const char * const *paths,
                               const char * const *tokens,
                               const char * const *bodies,
                               guint               n)
{
  g_autoptr(SoupSession) session = NULL;
  Batch batch;

  session = soup_session_new_with_options ("timeout", 60, "max-conns", n + 4,
                                           "max-conns-per-host", n + 4, NULL);
  batch.responses = g_ptr_array_new_full (n, (GDestroyNotify) dsd_test_response_free);
  g_ptr_array_set_size (batch.responses, n);
  batch.pending = n;

  for (guint i = 0; i < n; i++)
    {
      BatchItem *item = g_new0 (BatchItem, 1);
      g_autoptr(GBytes) body = bodies[i] ? g_bytes_new (bodies[i], strlen (bodies[i])) : NULL;

      item->batch = &batch;
      item->index = i;
      item->message = build_message (self, method, paths[i], tokens[i], "application/json",
                                     body, NULL);
      soup_session_send_and_read_async (session, item->message, G_PRIORITY_DEFAULT, NULL,
                                        batch_item_cb, item);
    }

  while (batch.pending > 0)
    g_main_context_iteration (NULL, TRUE);

  return batch.responses;
}

static void
request_sent_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) answer = NULL;

  answer = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  g_assert_no_error (error);
  g_task_return_pointer (task, response_new (g_task_get_task_data (task), answer),
                         (GDestroyNotify) dsd_test_response_free);
}

void
dsd_test_request_async (DsdTestServer       *self,
                        const char          *method,
                        const char          *path,
                        const char          *token,
                        const char          *body,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_autoptr(GBytes) bytes = body != NULL ? g_bytes_new (body, strlen (body)) : NULL;
  g_autoptr(GTask) task = g_task_new (NULL, NULL, callback, user_data);
  SoupMessage *message;

  if (self->async_session == NULL)
    self->async_session = soup_session_new_with_options ("timeout", 120, "max-conns", 1000,
                                                         "max-conns-per-host", 1000, NULL);

  message = build_message (self, method, path, token, "application/json", bytes, NULL);
  g_task_set_task_data (task, message, g_object_unref);
  soup_session_send_and_read_async (self->async_session, message, G_PRIORITY_DEFAULT, NULL,
                                    request_sent_cb, g_steal_pointer (&task));
}

DsdTestResponse *
dsd_test_request_finish (DsdTestServer *self,
                         GAsyncResult  *result)
{
  g_autoptr(GError) error = NULL;
  DsdTestResponse *response = g_task_propagate_pointer (G_TASK (result), &error);

  g_assert_no_error (error);
  return response;
}

DsdTestResponse *
dsd_test_request (DsdTestServer *self,
                  const char    *method,
                  const char    *path,
                  const char    *token,
                  const char    *body,
                  ...)
{
  g_autoptr(GPtrArray) headers = g_ptr_array_new ();
  g_autoptr(GBytes) bytes = NULL;
  const char *name;
  va_list args;

  va_start (args, body);
  while ((name = va_arg (args, const char *)) != NULL)
    {
      g_ptr_array_add (headers, (gpointer) name);
      g_ptr_array_add (headers, va_arg (args, char *));
    }
  va_end (args);
  g_ptr_array_add (headers, NULL);

  if (body != NULL)
    bytes = g_bytes_new (body, strlen (body));

  return dsd_test_request_raw (self, method, path, token, "application/json", bytes,
                               (const char * const *) headers->pdata);
}

gboolean
dsd_test_server_component_is (DsdTestServer *self,
                              const char    *component,
                              const char    *state)
{
  g_autoptr(DsdTestResponse) response = dsd_test_request (self, "GET", "/readyz", NULL, NULL,
                                                          NULL);
  JsonObject *components;

  g_assert_cmpuint (response->status, ==, 200);
  g_assert_cmpstr (dsd_test_response_string (response, "status"), ==, "ready");
  components = json_object_get_object_member (dsd_test_response_object (response),
                                              "components");
  return g_strcmp0 (json_object_get_string_member_with_default (components, component, ""),
                    state) == 0;
}

char *
dsd_test_login (DsdTestServer *self,
                const char    *username,
                const char    *password)
{
  g_autofree char *body = g_strdup_printf ("{\"username\":\"%s\",\"password\":\"%s\"}",
                                           username, password);
  g_autoptr(DsdTestResponse) response = NULL;

  response = dsd_test_request (self, "POST", "/api/v1/auth/token", NULL, body, NULL);
  if (response->status != 200)
    g_error ("Login of %s failed: %u %s", username, response->status, response->text);

  return g_strdup (dsd_test_response_string (response, "access_token"));
}

char *
dsd_test_unique_name (const char *prefix)
{
  static guint counter;

  return g_strdup_printf ("%s-%d-%u", prefix, getpid (), ++counter);
}

char *
dsd_test_create_user (DsdTestServer  *self,
                      const char     *role,
                      char          **out_driver_id,
                      char          **out_customer_id)
{
  g_autofree char *username = dsd_test_unique_name (role);
  g_autofree char *body = NULL;
  g_autoptr(DsdTestResponse) response = NULL;

  body = g_strdup_printf ("{\"username\":\"%s\",\"password\":\"%s\",\"role\":\"%s\"}",
                          username, USER_PASSWORD, role);
  response = dsd_test_request (self, "POST", "/api/v1/users", self->admin_token, body, NULL);
  if (response->status != 201)
    g_error ("Creating a %s failed: %u %s", role, response->status, response->text);

  if (out_driver_id != NULL)
    *out_driver_id = g_strdup (dsd_test_response_string (response, "driver_id"));
  if (out_customer_id != NULL)
    *out_customer_id = g_strdup (dsd_test_response_string (response, "customer_id"));

  return dsd_test_login (self, username, USER_PASSWORD);
}

void
dsd_test_assert_error (DsdTestResponse *response,
                       guint            status,
                       const char      *code,
                       const char      *field)
{
  JsonObject *error;

  if (response->status != status)
    g_error ("Expected %u %s, got %u: %s", status, code, response->status, response->text);

  g_assert_cmpstr (dsd_test_response_error_code (response), ==, code);
  error = json_object_get_object_member (dsd_test_response_object (response), "error");
  if (field != NULL)
    g_assert_cmpstr (json_object_get_string_member_with_default (error, "field", NULL), ==,
                     field);
}

char *
dsd_test_create_online_driver (DsdTestServer  *self,
                               double          lat,
                               double          lon,
                               char          **out_driver_id)
{
  g_autofree char *token = dsd_test_create_user (self, "driver", out_driver_id, NULL);
  g_autofree char *online = g_strdup_printf ("/api/v1/drivers/%s/online", *out_driver_id);
  g_autofree char *location = g_strdup_printf ("/api/v1/drivers/%s/location", *out_driver_id);
  g_autofree char *point = NULL;
  g_autoptr(DsdTestResponse) r1 = NULL;
  g_autoptr(DsdTestResponse) r2 = NULL;
  char lat_text[G_ASCII_DTOSTR_BUF_SIZE], lon_text[G_ASCII_DTOSTR_BUF_SIZE];

  point = g_strdup_printf ("{\"lat\":%s,\"lon\":%s}",
                           g_ascii_dtostr (lat_text, sizeof lat_text, lat),
                           g_ascii_dtostr (lon_text, sizeof lon_text, lon));
  r1 = dsd_test_request (self, "POST", online, token, "{\"online\":true}", NULL);
  g_assert_cmpuint (r1->status, ==, 200);
  r2 = dsd_test_request (self, "POST", location, token, point, NULL);
  g_assert_cmpuint (r2->status, ==, 202);

  return g_steal_pointer (&token);
}
