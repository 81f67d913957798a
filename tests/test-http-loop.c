/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "dsd-http-loop.h"

#define N_POSTERS 4
#define N_CALLS 2000

/* What the calls posted to a loop saw, touched on that loop's thread only. */
typedef struct {
  DsdHttpLoop *loop;
  guint        next[N_POSTERS];   /* per poster, the call expected next */
  guint        n_run;
  gboolean     wrong_thread;
  gboolean     out_of_order;
} Seen;

typedef struct {
  Seen  *seen;
  guint  poster;
  guint  index;
} Call;

static void
call_cb (gpointer data)
{
  Call *call = data;
  Seen *seen = call->seen;

  if (!dsd_http_loop_is_current (seen->loop))
    seen->wrong_thread = TRUE;
  if (seen->next[call->poster] != call->index)
    seen->out_of_order = TRUE;
  seen->next[call->poster] = call->index + 1;
  seen->n_run++;
  g_free (call);
}

static gpointer
poster_main (gpointer data)
{
  Call *first = data;

  for (guint i = 0; i < N_CALLS; i++)
    {
      Call *call = g_new (Call, 1);

      *call = *first;
      call->index = i;
      dsd_http_loop_post (first->seen->loop, call_cb, call);
    }
  g_free (first);

  return NULL;
}

static void
done_cb (gpointer data)
{
  g_atomic_int_set ((gint *) data, TRUE);
}

static void
count_cb (gpointer data)
{
  (*(guint *) data)++;
}

/* Calls posted from several threads to a loop on a thread of its own run
 * there, each thread's in order; freeing the loop joins its thread and runs
 * what is still queued. */
static void
test_thread_loop (void)
{
  Seen seen = { 0 };
  GThread *posters[N_POSTERS];
  gint done = FALSE;

  seen.loop = dsd_http_loop_new_thread ();
  g_assert_false (dsd_http_loop_is_current (seen.loop));
  dsd_http_loop_start (seen.loop, "test-http-loop");
  g_assert_false (dsd_http_loop_is_current (seen.loop));

  for (guint i = 0; i < N_POSTERS; i++)
    {
      Call *first = g_new0 (Call, 1);

      first->seen = &seen;
      first->poster = i;
      posters[i] = g_thread_new ("poster", poster_main, first);
    }
  for (guint i = 0; i < N_POSTERS; i++)
    g_thread_join (posters[i]);

  /* The calls before it have run once this one has. */
  dsd_http_loop_post (seen.loop, done_cb, &done);
  while (!g_atomic_int_get (&done))
    g_thread_yield ();

  dsd_http_loop_free (seen.loop);
  g_assert_cmpuint (seen.n_run, ==, N_POSTERS * N_CALLS);
  g_assert_false (seen.wrong_thread);
  g_assert_false (seen.out_of_order);
}

/* The current thread's loop runs posted calls when its context is iterated,
 * and freeing it runs those still queued. */
static void
test_current_loop (void)
{
  DsdHttpLoop *loop = dsd_http_loop_new_current ();
  guint n = 0;

  g_assert_true (dsd_http_loop_is_current (loop));
  dsd_http_loop_post (loop, count_cb, &n);
  g_assert_cmpuint (n, ==, 0);
  while (n == 0)
    g_main_context_iteration (NULL, TRUE);

  dsd_http_loop_post (loop, count_cb, &n);
  dsd_http_loop_free (loop);
  g_assert_cmpuint (n, ==, 2);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/http-loop/thread", test_thread_loop);
  g_test_add_func ("/http-loop/current", test_current_loop);

  return g_test_run ();
}
