/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-auth"

#include "config.h"

#include "dispatch-error.h"

#include "dsd-account-states.h"

typedef struct {
  DsdAccountState state;
  gboolean        exists;
  gint64          loaded_us;     /* monotonic; 0 = never loaded */
  gboolean        loading;       /* pending or in a load in flight */
  gboolean        reload;        /* forgotten while loading: that answer is stale */
  GPtrArray      *waiters;       /* GTask, NULL when none */
} Entry;

struct _DsdAccountStates
{
  GObject             parent_instance;

  DsdClock           *clock;
  gint64              refresh_us;
  DsdAccountLoadFunc  load;
  gpointer            load_data;

  GHashTable         *entries;   /* user id → Entry */
  GPtrArray          *pending;   /* user ids to load at the next flush */
  guint               flush_id;
};

G_DEFINE_FINAL_TYPE (DsdAccountStates, dsd_account_states, G_TYPE_OBJECT)

static void
entry_free (gpointer data)
{
  Entry *entry = data;

  g_assert (entry->waiters == NULL);
  g_free (entry);
}

static void
complete_waiters (Entry        *entry,
                  const GError *error)
{
  g_autoptr(GPtrArray) waiters = g_steal_pointer (&entry->waiters);

  for (guint i = 0; waiters != NULL && i < waiters->len; i++)
    {
      GTask *task = g_ptr_array_index (waiters, i);

      if (error != NULL)
        g_task_return_error (task, g_error_copy (error));
      else
        g_task_return_boolean (task, TRUE);
    }
}

static gboolean
flush_cb (gpointer user_data)
{
  DsdAccountStates *self = user_data;
  g_autoptr(GPtrArray) ids = g_steal_pointer (&self->pending);

  self->flush_id = 0;
  self->pending = g_ptr_array_new_with_free_func (g_free);
  self->load (self, ids, self->load_data);

  return G_SOURCE_REMOVE;
}

static void
schedule_load (DsdAccountStates *self,
               const char       *user_id,
               Entry            *entry)
{
  if (entry->loading)
    return;

  entry->loading = TRUE;
  g_ptr_array_add (self->pending, g_strdup (user_id));
  if (self->flush_id == 0)
    self->flush_id = g_idle_add (flush_cb, self);
}

static gboolean
is_idle_entry (gpointer key,
               gpointer value,
               gpointer user_data)
{
  Entry *entry = value;

  return !entry->loading && entry->waiters == NULL;
}

static Entry *
ensure_entry (DsdAccountStates *self,
              const char       *user_id)
{
  Entry *entry = g_hash_table_lookup (self->entries, user_id);

  if (entry != NULL)
    return entry;

  if (g_hash_table_size (self->entries) >= DSD_ACCOUNT_STATES_MAX_ENTRIES)
    g_hash_table_foreach_remove (self->entries, is_idle_entry, NULL);

  entry = g_new0 (Entry, 1);
  g_hash_table_insert (self->entries, g_strdup (user_id), entry);
  schedule_load (self, user_id, entry);

  return entry;
}

static DsdAccountVerdict
refuse (GError     **error,
        const char  *message)
{
  g_set_error_literal (error, DISPATCH_ERROR, DISPATCH_ERROR_UNAUTHENTICATED, message);
  return DSD_ACCOUNT_REFUSED;
}

static void
dsd_account_states_dispose (GObject *object)
{
  DsdAccountStates *self = (DsdAccountStates *)object;
  g_autoptr(GError) error = NULL;
  GHashTableIter iter;
  Entry *entry;

  g_set_error_literal (&error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "shutting down");
  if (self->entries != NULL)
    {
      g_hash_table_iter_init (&iter, self->entries);
      while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &entry))
        complete_waiters (entry, error);
    }

  g_clear_handle_id (&self->flush_id, g_source_remove);
  g_clear_pointer (&self->entries, g_hash_table_unref);
  g_clear_pointer (&self->pending, g_ptr_array_unref);
  g_clear_object (&self->clock);

  G_OBJECT_CLASS (dsd_account_states_parent_class)->dispose (object);
}

static void
dsd_account_states_class_init (DsdAccountStatesClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = dsd_account_states_dispose;
}

static void
dsd_account_states_init (DsdAccountStates *self)
{
  self->entries = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, entry_free);
  self->pending = g_ptr_array_new_with_free_func (g_free);
}

DsdAccountStates *
dsd_account_states_new (DsdClock           *clock,
                        guint               refresh_ms,
                        DsdAccountLoadFunc  load,
                        gpointer            load_data)
{
  DsdAccountStates *self;

  g_return_val_if_fail (DSD_IS_CLOCK (clock), NULL);
  g_return_val_if_fail (refresh_ms > 0 && refresh_ms < DSD_ACCOUNT_STATES_MAX_AGE_MS, NULL);
  g_return_val_if_fail (load != NULL, NULL);

  self = g_object_new (DSD_TYPE_ACCOUNT_STATES, NULL);
  self->clock = g_object_ref (clock);
  self->refresh_us = refresh_ms * (gint64) 1000;
  self->load = load;
  self->load_data = load_data;

  return self;
}

DsdAccountVerdict
dsd_account_states_check (DsdAccountStates   *self,
                          const DsdPrincipal *principal,
                          GError            **error)
{
  Entry *entry;
  gint64 age_us;

  g_return_val_if_fail (DSD_IS_ACCOUNT_STATES (self), DSD_ACCOUNT_UNKNOWN);
  g_return_val_if_fail (principal != NULL, DSD_ACCOUNT_UNKNOWN);

  entry = ensure_entry (self, principal->user_id);
  if (entry->loaded_us == 0)
    return DSD_ACCOUNT_UNKNOWN;

  age_us = dsd_clock_get_monotonic_us (self->clock) - entry->loaded_us;
  if (age_us > self->refresh_us)
    schedule_load (self, principal->user_id, entry);
  if (age_us > DSD_ACCOUNT_STATES_MAX_AGE_MS * (gint64) 1000)
    return DSD_ACCOUNT_UNKNOWN;

  if (!entry->exists)
    return refuse (error, "the token's user does not exist");
  if (entry->state.disabled)
    return refuse (error, "this account is disabled");
  if (principal->issued_at_s < entry->state.tokens_valid_after_s)
    return refuse (error, "this access token has been revoked, sign in again");

  return DSD_ACCOUNT_ALLOWED;
}

void
dsd_account_states_wait_async (DsdAccountStates   *self,
                               const char         *user_id,
                               GAsyncReadyCallback callback,
                               gpointer            user_data)
{
  g_autoptr(GTask) task = NULL;
  Entry *entry;

  g_return_if_fail (DSD_IS_ACCOUNT_STATES (self));
  g_return_if_fail (user_id != NULL);

  task = g_task_new (self, NULL, callback, user_data);
  g_task_set_source_tag (task, dsd_account_states_wait_async);

  entry = ensure_entry (self, user_id);
  if (!entry->loading)
    schedule_load (self, user_id, entry);
  if (entry->waiters == NULL)
    entry->waiters = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_add (entry->waiters, g_steal_pointer (&task));
}

gboolean
dsd_account_states_wait_finish (DsdAccountStates  *self,
                                GAsyncResult      *result,
                                GError           **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

void
dsd_account_states_loaded (DsdAccountStates *self,
                           GPtrArray        *user_ids,
                           GHashTable       *states,
                           const GError     *error)
{
  gint64 now_us;

  g_return_if_fail (DSD_IS_ACCOUNT_STATES (self));
  g_return_if_fail ((states == NULL) != (error == NULL));

  /* Disposed while the load ran: the waiters were told already. */
  if (self->entries == NULL)
    return;

  now_us = dsd_clock_get_monotonic_us (self->clock);

  for (guint i = 0; i < user_ids->len; i++)
    {
      const char *user_id = g_ptr_array_index (user_ids, i);
      Entry *entry = g_hash_table_lookup (self->entries, user_id);
      const DsdAccountState *state;

      if (entry == NULL)
        continue;

      entry->loading = FALSE;
      if (entry->reload)
        {
          entry->reload = FALSE;
          schedule_load (self, user_id, entry);
          continue;
        }

      if (error == NULL)
        {
          state = g_hash_table_lookup (states, user_id);
          entry->exists = state != NULL;
          entry->state = state != NULL ? *state : (DsdAccountState) { 0 };
          entry->loaded_us = now_us;
        }
      complete_waiters (entry, error);
    }
}

const char *
dsd_account_states_peek_scope (DsdAccountStates *self,
                               const char       *user_id)
{
  Entry *entry;

  g_return_val_if_fail (DSD_IS_ACCOUNT_STATES (self), NULL);
  g_return_val_if_fail (user_id != NULL, NULL);

  entry = g_hash_table_lookup (self->entries, user_id);
  return entry != NULL && entry->loaded_us != 0 && entry->exists ? entry->state.scope : NULL;
}

void
dsd_account_states_forget (DsdAccountStates *self,
                           const char       *user_id)
{
  Entry *entry;

  g_return_if_fail (DSD_IS_ACCOUNT_STATES (self));
  g_return_if_fail (user_id != NULL);

  entry = g_hash_table_lookup (self->entries, user_id);
  if (entry == NULL)
    return;

  if (entry->loading)
    {
      entry->reload = TRUE;
      entry->loaded_us = 0;
    }
  else if (entry->waiters == NULL)
    {
      g_hash_table_remove (self->entries, user_id);
    }
}
