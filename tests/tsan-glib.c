/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Linked into the test programs of a ThreadSanitizer build only.
 *
 * Debian's GLib is not built with ThreadSanitizer, and its GMutex, GCond and
 * thread pools synchronise through futexes and atomics that the sanitizer
 * cannot see: every hand-over from one thread to another through them looks
 * like a data race. These wrappers stand in for the GLib calls our code makes
 * to hand data over, call GLib's own and tell the sanitizer about the
 * ordering they guarantee (release before handing over, acquire after taking
 * over), so that what it still reports is a real race in our code. Races
 * inside GLib itself are left to tests/tsan.supp.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <gio/gio.h>
#include <sanitizer/tsan_interface.h>

/* GLib's own function, looked up once (by whichever thread comes first). */
#define REAL(name) \
  static __typeof__ (name) *real_##name##_cache; \
  __typeof__ (name) *real_##name = __atomic_load_n (&real_##name##_cache, __ATOMIC_RELAXED); \
  if (G_UNLIKELY (real_##name == NULL)) \
    { \
      real_##name = (__typeof__ (name) *) dlsym (RTLD_NEXT, #name); \
      __atomic_store_n (&real_##name##_cache, real_##name, __ATOMIC_RELAXED); \
    }

void
g_mutex_lock (GMutex *mutex)
{
  REAL (g_mutex_lock);
  real_g_mutex_lock (mutex);
  __tsan_acquire (mutex);
}

gboolean
g_mutex_trylock (GMutex *mutex)
{
  REAL (g_mutex_trylock);
  if (!real_g_mutex_trylock (mutex))
    return FALSE;
  __tsan_acquire (mutex);
  return TRUE;
}

void
g_mutex_unlock (GMutex *mutex)
{
  REAL (g_mutex_unlock);
  __tsan_release (mutex);
  real_g_mutex_unlock (mutex);
}

void
g_cond_wait (GCond  *cond,
             GMutex *mutex)
{
  REAL (g_cond_wait);
  __tsan_release (mutex);
  real_g_cond_wait (cond, mutex);
  __tsan_acquire (mutex);
}

gboolean
g_cond_wait_until (GCond  *cond,
                   GMutex *mutex,
                   gint64  end_time)
{
  gboolean signalled;

  REAL (g_cond_wait_until);
  __tsan_release (mutex);
  signalled = real_g_cond_wait_until (cond, mutex, end_time);
  __tsan_acquire (mutex);
  return signalled;
}

void
g_rec_mutex_lock (GRecMutex *mutex)
{
  REAL (g_rec_mutex_lock);
  real_g_rec_mutex_lock (mutex);
  __tsan_acquire (mutex);
}

void
g_rec_mutex_unlock (GRecMutex *mutex)
{
  REAL (g_rec_mutex_unlock);
  __tsan_release (mutex);
  real_g_rec_mutex_unlock (mutex);
}

/* g_once_init_enter() is a macro whose fast path is an atomic load in our
 * (instrumented) code: it acquires what this releases. */
void
(g_once_init_leave) (volatile void *location,
                     gsize          result)
{
  REAL (g_once_init_leave);
  __tsan_release ((void *) location);
  real_g_once_init_leave (location, result);
}

gboolean
(g_once_init_enter) (volatile void *location)
{
  gboolean enter;

  REAL (g_once_init_enter);
  enter = real_g_once_init_enter (location);
  __tsan_acquire ((void *) location);
  return enter;
}

/* Thread pools: what is pushed is released to the thread that runs it. */
typedef struct {
  GFunc    func;
  gpointer user_data;
} PoolFunc;

static void
pool_trampoline (gpointer data,
                 gpointer user_data)
{
  PoolFunc *pool_func = user_data;

  __tsan_acquire (data);
  pool_func->func (data, pool_func->user_data);
}

GThreadPool *
g_thread_pool_new (GFunc     func,
                   gpointer  user_data,
                   gint      max_threads,
                   gboolean  exclusive,
                   GError  **error)
{
  /* Lives as long as the pool; pools are made once per process here. */
  PoolFunc *pool_func = g_new (PoolFunc, 1);

  REAL (g_thread_pool_new);
  pool_func->func = func;
  pool_func->user_data = user_data;
  return real_g_thread_pool_new (pool_trampoline, pool_func, max_threads, exclusive, error);
}

gboolean
g_thread_pool_push (GThreadPool  *pool,
                    gpointer      data,
                    GError      **error)
{
  REAL (g_thread_pool_push);
  __tsan_release (data);
  return real_g_thread_pool_push (pool, data, error);
}

/* GTask: the task is released to its thread when it is run there, and back
 * to the caller's thread when the result is returned. */
#define THREAD_FUNC_QUARK (g_quark_from_static_string ("tsan-glib-thread-func"))

static void
task_trampoline (GTask        *task,
                 gpointer      source_object,
                 gpointer      task_data,
                 GCancellable *cancellable)
{
  GTaskThreadFunc func;

  __tsan_acquire (task);
  func = g_object_get_qdata (G_OBJECT (task), THREAD_FUNC_QUARK);
  func (task, source_object, task_data, cancellable);
}

void
g_task_run_in_thread (GTask           *task,
                      GTaskThreadFunc  task_func)
{
  REAL (g_task_run_in_thread);
  g_object_set_qdata (G_OBJECT (task), THREAD_FUNC_QUARK, task_func);
  __tsan_release (task);
  real_g_task_run_in_thread (task, task_trampoline);
}

#define RETURN_WRAPPER(name, type) \
  void \
  name (GTask *task, type value) \
  { \
    REAL (name); \
    __tsan_release (task); \
    real_##name (task, value); \
  }

RETURN_WRAPPER (g_task_return_boolean, gboolean)
RETURN_WRAPPER (g_task_return_int, gssize)
RETURN_WRAPPER (g_task_return_error, GError *)

void
g_task_return_new_error (GTask      *task,
                         GQuark      domain,
                         gint        code,
                         const char *format,
                         ...)
{
  GError *error;
  va_list args;

  va_start (args, format);
  error = g_error_new_valist (domain, code, format, args);
  va_end (args);
  g_task_return_error (task, error);
}

gboolean
g_task_return_error_if_cancelled (GTask *task)
{
  REAL (g_task_return_error_if_cancelled);
  __tsan_release (task);
  return real_g_task_return_error_if_cancelled (task);
}

void
g_task_return_pointer (GTask          *task,
                       gpointer        result,
                       GDestroyNotify  result_destroy)
{
  REAL (g_task_return_pointer);
  __tsan_release (task);
  real_g_task_return_pointer (task, result, result_destroy);
}

#define PROPAGATE_WRAPPER(name, type) \
  type \
  name (GTask *task, GError **error) \
  { \
    type result; \
    REAL (name); \
    result = real_##name (task, error); \
    __tsan_acquire (task); \
    return result; \
  }

PROPAGATE_WRAPPER (g_task_propagate_boolean, gboolean)
PROPAGATE_WRAPPER (g_task_propagate_int, gssize)
PROPAGATE_WRAPPER (g_task_propagate_pointer, gpointer)

gpointer
g_task_get_task_data (GTask *task)
{
  REAL (g_task_get_task_data);
  __tsan_acquire (task);
  return real_g_task_get_task_data (task);
}
