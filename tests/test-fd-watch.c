/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <gio/gunixinputstream.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dsd-fd-watch.h"

typedef struct {
  DsdFdWatch   *watch;
  GInputStream *input;
  guint         n_calls;
  guint         n_bytes;
  gsize         chunk;     /* bytes read per call */
  gboolean      stale;     /* its socket was closed: reads nothing */
} Calls;

static gboolean
count_cb (GObject  *pollable,
          gpointer  user_data)
{
  Calls *calls = user_data;
  char buffer[64];
  gssize n;

  g_assert_true (pollable == G_OBJECT (calls->input));
  calls->n_calls++;
  if (calls->stale)
    return G_SOURCE_CONTINUE;
  n = g_pollable_input_stream_read_nonblocking (G_POLLABLE_INPUT_STREAM (pollable), buffer,
                                                MAX (calls->chunk, 1), NULL, NULL);
  if (n > 0)
    calls->n_bytes += n;

  return G_SOURCE_CONTINUE;
}

/* input: a pollable stream reading the socket (the source keeps a reference). */
static GSource *
watch_input (GSocket      *socket,
             GInputStream *input,
             Calls        *calls)
{
  GSource *source;

  calls->watch = dsd_fd_watch_new (g_socket_get_fd (socket));
  source = dsd_fd_watch_create_source (calls->watch, G_POLLABLE_INPUT_STREAM (input), TRUE);
  calls->input = input;
  g_source_set_callback (source, (GSourceFunc) (void (*) (void)) count_cb, calls, NULL);
  g_source_attach (source, g_main_context_get_thread_default ());
  g_object_unref (input);

  return source;
}

static void
unwatch (GSource *source,
         Calls   *calls)
{
  g_source_destroy (source);
  g_source_unref (source);
  g_clear_pointer (&calls->watch, dsd_fd_watch_free);
}

/* One byte per call: what is left makes the watch ready again. */
static GSource *
watch_new (GSocket *socket,
           Calls   *calls)
{
  return watch_input (socket, g_unix_input_stream_new (g_socket_get_fd (socket), FALSE), calls);
}

static void
socket_pair (GSocket **reader,
             GSocket **writer)
{
  g_autoptr(GError) error = NULL;
  int fds[2];

  g_assert_cmpint (socketpair (AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds), ==,
                   0);
  *reader = g_socket_new_from_fd (fds[0], &error);
  g_assert_no_error (error);
  *writer = g_socket_new_from_fd (fds[1], &error);
  g_assert_no_error (error);
}

static void
send_bytes (GSocket    *writer,
            const char *bytes)
{
  g_autoptr(GError) error = NULL;

  g_socket_send (writer, bytes, strlen (bytes), NULL, &error);
  g_assert_no_error (error);
}

/* Iterates until *counter reaches want, with a deadline. */
static void
iterate_until (const guint *counter,
               guint        want)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  while (*counter < want)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
}

static void
drain_pending (void)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

/* Dispatches while readable (level-triggered), not when quiet. */
static void
test_readable (void)
{
  g_autoptr(GSocket) reader = NULL;
  g_autoptr(GSocket) writer = NULL;
  Calls calls = { 0 };
  GSource *source;

  socket_pair (&reader, &writer);
  source = watch_new (reader, &calls);

  /* Once when made (for input buffered already), then not while quiet. */
  drain_pending ();
  g_assert_cmpuint (calls.n_calls, ==, 1);
  g_assert_cmpuint (calls.n_bytes, ==, 0);

  send_bytes (writer, "abc");
  iterate_until (&calls.n_bytes, 3);
  drain_pending ();
  g_assert_cmpuint (calls.n_bytes, ==, 3);
  calls.n_calls = 0;
  drain_pending ();
  g_assert_cmpuint (calls.n_calls, ==, 0);

  g_socket_close (writer, NULL);
  iterate_until (&calls.n_calls, 1);  /* the end of the stream wakes it too */

  unwatch (source, &calls);
}

/* Two watches of one descriptor both run; one gone, the other goes on. */
static void
test_shared_fd (void)
{
  g_autoptr(GSocket) reader = NULL;
  g_autoptr(GSocket) writer = NULL;
  Calls first = { 0 };
  Calls second = { 0 };
  GSource *a;
  GSource *b;

  socket_pair (&reader, &writer);
  a = watch_new (reader, &first);
  b = watch_new (reader, &second);

  send_bytes (writer, "xx");
  iterate_until (&first.n_bytes, 1);
  iterate_until (&second.n_bytes, 1);

  unwatch (a, &first);
  send_bytes (writer, "y");
  iterate_until (&second.n_bytes, 2);
  g_assert_cmpuint (first.n_bytes, ==, 1);

  unwatch (b, &second);
}

/* A descriptor closed while its watch lives on and then reused by another
 * socket: the new socket's watch still wakes. */
static void
test_reused_fd (void)
{
  g_autoptr(GSocket) reader = NULL;
  g_autoptr(GSocket) writer = NULL;
  g_autoptr(GSocket) reader2 = NULL;
  g_autoptr(GSocket) writer2 = NULL;
  Calls old_calls = { 0 };
  Calls new_calls = { 0 };
  GSource *old_watch;
  GSource *new_watch;
  int old_fd;

  socket_pair (&reader, &writer);
  old_fd = g_socket_get_fd (reader);
  old_watch = watch_new (reader, &old_calls);
  g_socket_close (reader, NULL);
  g_socket_close (writer, NULL);
  /* (A closed GSocket's stream reads nothing; a GUnixInputStream would read
   * whatever socket has the number now.) */
  old_calls.stale = TRUE;

  socket_pair (&reader2, &writer2);
  g_assert_cmpint (g_socket_get_fd (reader2), ==, old_fd);
  new_watch = watch_new (reader2, &new_calls);

  send_bytes (writer2, "z");
  iterate_until (&new_calls.n_bytes, 1);

  unwatch (old_watch, &old_calls);
  send_bytes (writer2, "z");
  iterate_until (&new_calls.n_bytes, 2);

  unwatch (new_watch, &new_calls);
}

/* Input that a stream above the socket read ahead into its buffer is read
 * on, although the kernel has nothing more to report. */
static void
test_buffered (void)
{
  g_autoptr(GSocket) reader = NULL;
  g_autoptr(GSocket) writer = NULL;
  g_autoptr(GInputStream) raw = NULL;
  g_autoptr(GCharsetConverter) converter = NULL;
  g_autoptr(GError) error = NULL;
  Calls calls = { .chunk = 1 };
  GSource *source;

  socket_pair (&reader, &writer);
  raw = g_unix_input_stream_new (g_socket_get_fd (reader), FALSE);
  converter = g_charset_converter_new ("UTF-8", "UTF-8", &error);
  g_assert_no_error (error);
  send_bytes (writer, "hello");

  /* Its first one-byte read takes all five bytes off the socket. */
  source = watch_input (reader, g_converter_input_stream_new (raw, G_CONVERTER (converter)),
                        &calls);
  iterate_until (&calls.n_bytes, 5);

  unwatch (source, &calls);
}

/* As libsoup reads: a new source after every read; one made after a read
 * that would have blocked is not ready until input comes, and an older
 * source of the watch is no longer woken. */
static void
test_new_source_per_read (void)
{
  g_autoptr(GSocket) reader = NULL;
  g_autoptr(GSocket) writer = NULL;
  Calls calls = { 0 };
  Calls older = { 0 };
  GSource *first;
  GSource *second;

  socket_pair (&reader, &writer);
  first = watch_input (reader, g_unix_input_stream_new (g_socket_get_fd (reader), FALSE), &calls);
  drain_pending ();
  g_assert_cmpuint (calls.n_calls, ==, 1);

  second = dsd_fd_watch_create_source (calls.watch, G_POLLABLE_INPUT_STREAM (calls.input), FALSE);
  older.input = calls.input;
  g_source_set_callback (first, (GSourceFunc) (void (*) (void)) count_cb, &older, NULL);
  g_source_set_callback (second, (GSourceFunc) (void (*) (void)) count_cb, &calls, NULL);
  g_source_attach (second, NULL);
  drain_pending ();
  g_assert_cmpuint (calls.n_calls, ==, 1);

  send_bytes (writer, "w");
  iterate_until (&calls.n_bytes, 1);
  g_assert_cmpuint (older.n_calls, ==, 0);

  g_source_destroy (first);
  g_source_unref (first);
  unwatch (second, &calls);
}

/* Watches in another thread's context are that context's. */
static gpointer
other_thread (gpointer user_data)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GSocket) reader = NULL;
  g_autoptr(GSocket) writer = NULL;
  Calls calls = { 0 };
  GSource *source;

  g_main_context_push_thread_default (context);
  socket_pair (&reader, &writer);
  source = watch_input (reader, g_unix_input_stream_new (g_socket_get_fd (reader), FALSE),
                        &calls);
  send_bytes (writer, "q");
  while (calls.n_bytes < 1)
    g_main_context_iteration (context, TRUE);

  unwatch (source, &calls);
  g_main_context_pop_thread_default (context);

  return GUINT_TO_POINTER (calls.n_bytes);
}

static void
test_other_context (void)
{
  GThread *thread = g_thread_new ("fd-watch", other_thread, NULL);

  g_assert_cmpuint (GPOINTER_TO_UINT (g_thread_join (thread)), ==, 1);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/fd-watch/readable", test_readable);
  g_test_add_func ("/fd-watch/shared-fd", test_shared_fd);
  g_test_add_func ("/fd-watch/reused-fd", test_reused_fd);
  g_test_add_func ("/fd-watch/buffered", test_buffered);
  g_test_add_func ("/fd-watch/new-source-per-read", test_new_source_per_read);
  g_test_add_func ("/fd-watch/other-context", test_other_context);

  return g_test_run ();
}
