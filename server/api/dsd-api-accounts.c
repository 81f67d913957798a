/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-api"

#include <string.h>

#include "dsd-api.h"
#include "dsd-pg-pool.h"

/* How old a user's state may get before a request reloads it (in the
 * background while it is younger than DSD_ACCOUNT_STATES_MAX_AGE_MS). */
#define ACCOUNT_REFRESH_MS 2000

/* {"<id>":[disabled, tokens_valid_after_s, scope], ...} for the ids that are users. */
static const char states_sql[] =
  "SELECT dispatch.user_auth_states($1::uuid[])::text";

typedef struct {
  DsdAccountStates *states;
  GPtrArray        *user_ids;
} Load;

static void
load_free (Load *load)
{
  g_object_unref (load->states);
  g_ptr_array_unref (load->user_ids);
  g_free (load);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Load, load_free)

static GHashTable *
parse_states (const char  *text,
              int          length,
              GError     **error)
{
  g_autoptr(JsonObject) object = dispatch_json_parse_object (text, length, error);
  g_autoptr(GHashTable) states = NULL;
  JsonObjectIter iter;
  const char *user_id;
  JsonNode *node;

  if (object == NULL)
    return NULL;

  states = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  json_object_iter_init (&iter, object);
  while (json_object_iter_next (&iter, &user_id, &node))
    {
      JsonArray *pair = JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
      const char *scope = pair != NULL && json_array_get_length (pair) == 3
                          ? json_node_get_string (json_array_get_element (pair, 2)) : NULL;
      DsdAccountState *state;

      if (scope == NULL || strlen (scope) >= sizeof state->scope)
        {
          g_set_error_literal (error, DISPATCH_ERROR, DISPATCH_ERROR_INTERNAL, "internal error");
          return NULL;
        }

      state = g_new0 (DsdAccountState, 1);
      state->disabled = json_array_get_boolean_element (pair, 0);
      state->tokens_valid_after_s = json_array_get_int_element (pair, 1);
      g_strlcpy (state->scope, scope, sizeof state->scope);
      g_hash_table_insert (states, g_strdup (user_id), state);
    }

  return g_steal_pointer (&states);
}

static void
states_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(Load) load = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) rows = NULL;
  g_autoptr(GHashTable) states = NULL;

  rows = dsd_pg_pool_query_finish (DSD_PG_POOL (source), result, &error);
  if (rows != NULL && PQntuples (rows) == 1 && PQnfields (rows) == 1)
    states = parse_states (PQgetvalue (rows, 0, 0), PQgetlength (rows, 0, 0), &error);
  else if (rows != NULL)
    g_set_error_literal (&error, DISPATCH_ERROR, DISPATCH_ERROR_INTERNAL, "internal error");

  dsd_account_states_loaded (load->states, load->user_ids, states, error);
}

/* Token subjects are ours (signed) and so uuids, but a cast error must not
 * fail the whole batch: anything else is no user. */
static void
load_states (DsdAccountStates *states,
             GPtrArray        *user_ids,
             gpointer          user_data)
{
  DsdContext *context = user_data;
  g_autoptr(GString) array = g_string_new ("{");
  g_autoptr(GHashTable) none = NULL;
  Load *load;

  for (guint i = 0; i < user_ids->len; i++)
    {
      const char *user_id = g_ptr_array_index (user_ids, i);

      if (!g_uuid_string_is_valid (user_id))
        continue;
      if (array->len > 1)
        g_string_append_c (array, ',');
      g_string_append (array, user_id);
    }
  g_string_append_c (array, '}');

  if (array->len == 2)
    {
      none = g_hash_table_new (g_str_hash, g_str_equal);
      dsd_account_states_loaded (states, user_ids, none, NULL);
      return;
    }

  load = g_new0 (Load, 1);
  load->states = g_object_ref (states);
  load->user_ids = g_ptr_array_ref (user_ids);
  dsd_pg_pool_query_async (dsd_context_get (context, DSD_TYPE_PG_POOL), states_sql, 1,
                           (const char * const[]) { array->str }, NULL, states_cb, load);
}

DsdAccountStates *
dsd_api_accounts_new (DsdContext *context)
{
  return dsd_account_states_new (dsd_context_get_clock (context), ACCOUNT_REFRESH_MS,
                                 load_states, context);
}
