/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-auth"

#include "config.h"

#include <string.h>

#include <sodium.h>

#include "dispatch-error.h"

#include "dsd-password.h"

/*
 * Each argon2id computation takes MEMLIMIT_INTERACTIVE (64 MiB). The async
 * variants run on a pool of at most MAX_HASH_THREADS threads rather than
 * GLib's shared pool, so a burst of logins costs at most 2 × 64 MiB at once;
 * further requests wait in the pool's queue, which only holds small jobs.
 */
#define MAX_HASH_THREADS 2

typedef enum {
  JOB_HASH,
  JOB_VERIFY,
} JobKind;

typedef struct {
  JobKind  kind;
  char    *password;
  char    *hash;     /* JOB_VERIFY; NULL to verify against the dummy hash */
} Job;

static GThreadPool *hash_pool;

static void
job_free (Job *job)
{
  if (job->password != NULL)
    {
      sodium_memzero (job->password, strlen (job->password));
      g_free (job->password);
    }
  g_free (job->hash);
  g_free (job);
}

static gboolean
ensure_sodium (GError **error)
{
  static gsize initialized;
  static int result;

  if (g_once_init_enter (&initialized))
    {
      result = sodium_init ();
      g_once_init_leave (&initialized, 1);
    }

  if (result < 0)
    {
      g_set_error_literal (error, DISPATCH_ERROR, DISPATCH_ERROR_INTERNAL,
                           "libsodium could not be initialised");
      return FALSE;
    }

  return TRUE;
}

/* An unknown user is checked against this hash so that a login for a name
 * that does not exist takes as long as one with a wrong password. */
static const char *
get_dummy_hash (void)
{
  static char *dummy;

  if (g_once_init_enter (&dummy))
    {
      char *hash = dsd_password_hash ("dispatch-dummy-password", NULL);

      g_once_init_leave (&dummy, hash ? hash : g_strdup ("$invalid$"));
    }

  return dummy;
}

static void
run_job (gpointer data,
         gpointer user_data)
{
  g_autoptr(GTask) task = data;
  Job *job = g_task_get_task_data (task);
  GError *error = NULL;
  char *hash;

  if (g_task_return_error_if_cancelled (task))
    return;

  switch (job->kind)
    {
    case JOB_HASH:
      hash = dsd_password_hash (job->password, &error);
      if (hash != NULL)
        g_task_return_pointer (task, hash, g_free);
      else
        g_task_return_error (task, error);
      break;

    case JOB_VERIFY:
      if (job->hash != NULL)
        g_task_return_boolean (task, dsd_password_verify (job->hash, job->password));
      else
        {
          dsd_password_verify (get_dummy_hash (), job->password);
          g_task_return_boolean (task, FALSE);
        }
      break;

    default:
      g_assert_not_reached ();
    }
}

static void
start_job (GTask *task,
           Job   *job)
{
  static gsize pool_initialized;

  if (g_once_init_enter (&pool_initialized))
    {
      hash_pool = g_thread_pool_new (run_job, NULL, MAX_HASH_THREADS, FALSE, NULL);
      g_once_init_leave (&pool_initialized, 1);
    }

  g_task_set_task_data (task, job, (GDestroyNotify) job_free);
  g_thread_pool_push (hash_pool, g_object_ref (task), NULL);
}

gboolean
dsd_password_init (GError **error)
{
  return ensure_sodium (error);
}

char *
dsd_password_hash (const char  *password,
                   GError     **error)
{
  char hash[crypto_pwhash_STRBYTES];

  g_return_val_if_fail (password != NULL, NULL);

  if (!ensure_sodium (error))
    return NULL;

  if (crypto_pwhash_str (hash, password, strlen (password),
                         crypto_pwhash_OPSLIMIT_INTERACTIVE,
                         crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
    {
      g_set_error_literal (error, DISPATCH_ERROR, DISPATCH_ERROR_UNAVAILABLE,
                           "not enough memory to hash the password");
      return NULL;
    }

  return g_strdup (hash);
}

gboolean
dsd_password_verify (const char *hash,
                     const char *password)
{
  g_return_val_if_fail (hash != NULL, FALSE);
  g_return_val_if_fail (password != NULL, FALSE);

  if (!ensure_sodium (NULL))
    return FALSE;

  /* crypto_pwhash_str_verify() reads a fixed-size buffer. */
  if (strnlen (hash, crypto_pwhash_STRBYTES) >= crypto_pwhash_STRBYTES)
    return FALSE;

  return crypto_pwhash_str_verify (hash, password, strlen (password)) == 0;
}

void
dsd_password_hash_async (const char          *password,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Job *job;

  g_return_if_fail (password != NULL);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, dsd_password_hash_async);

  job = g_new0 (Job, 1);
  job->kind = JOB_HASH;
  job->password = g_strdup (password);
  start_job (task, job);
}

char *
dsd_password_hash_finish (GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == dsd_password_hash_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
dsd_password_verify_async (const char          *hash,
                           const char          *password,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Job *job;

  g_return_if_fail (password != NULL);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, dsd_password_verify_async);

  job = g_new0 (Job, 1);
  job->kind = JOB_VERIFY;
  job->password = g_strdup (password);
  job->hash = g_strdup (hash);
  start_job (task, job);
}

gboolean
dsd_password_verify_finish (GAsyncResult *result)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == dsd_password_verify_async,
                        FALSE);

  /* A cancelled verification is a failed one. */
  return g_task_propagate_boolean (G_TASK (result), NULL);
}
