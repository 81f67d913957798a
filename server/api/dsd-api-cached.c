/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-api"

#include "dsd-api.h"
#include "dsd-cache.h"
#include "dsd-pg-pool.h"

/*
 * Cache-aside reads of one order's views. The entry is the SQL function's
 * answer for this caller (the caller is part of the key), so visibility stays
 * where it is decided, in SQL: a customer's foreign order is a 404 that is
 * never stored. Drivers go to SQL every time: what they may see depends on
 * the clock (a live offer). Entries belong to the order's scope, which the
 * order's events invalidate (docs/cache.md). A dispatcher's key also holds
 * its team scope's fingerprint (the account states'), so that what it may
 * see changing (teams, their zones or drivers) leaves its earlier answers
 * behind.
 */

typedef struct {
  DsdRequest *request;
  DsdContext *context;
  char       *key;
  char       *scope;      /* NULL until known (public tracking: from the answer) */
  char       *stamp;
  guint       ttl_s;
  DsdApiAnswerCheck check;   /* nullable */
  char       *sql;
  GStrv       params;
} CachedRead;

static void
cached_read_free (CachedRead *read)
{
  dsd_request_unref (read->request);
  g_free (read->key);
  g_free (read->scope);
  g_free (read->stamp);
  g_free (read->sql);
  g_strfreev (read->params);
  g_free (read);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CachedRead, cached_read_free)

/* "order:<order_id of the answer>" */
static char *
scope_of_answer (const char *text,
                 gsize       length)
{
  g_autoptr(JsonObject) object = dispatch_json_parse_object (text, length, NULL);
  const char *order_id;

  if (object == NULL)
    return NULL;

  order_id = json_object_get_string_member_with_default (object, "order_id", NULL);
  return order_id != NULL ? g_strconcat ("order:", order_id, NULL) : NULL;
}

static gboolean
is_canonical_uuid (const char *text)
{
  for (const char *c = text; *c != '\0'; c++)
    {
      if (g_ascii_isupper (*c))
        return FALSE;
    }

  return g_uuid_string_is_valid (text);
}

/* Answers with text unless the check says otherwise. */
static void
respond (CachedRead *read,
         const char *text,
         gsize       length)
{
  g_autoptr(GError) error = NULL;

  if (read->check != NULL && !read->check (text, length, read->context, &error))
    dsd_request_respond_error (read->request, error);
  else
    dsd_request_respond_json_text (read->request, 200, text, length);
}

static void
queried_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(CachedRead) read = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(PGresult) rows = NULL;
  g_autoptr(GBytes) value = NULL;
  const char *text;
  gsize length;

  rows = dsd_pg_pool_query_finish (DSD_PG_POOL (source), result, &error);
  text = dsd_api_query_value (rows, &length, &error);
  if (text == NULL)
    {
      dsd_request_respond_error (read->request, error);
      return;
    }

  respond (read, text, length);

  if (read->scope == NULL)
    read->scope = scope_of_answer (text, length);
  if (read->scope == NULL)
    return;

  value = g_bytes_new (text, length);
  dsd_cache_store (dsd_context_get (read->context, DSD_TYPE_CACHE), read->key, read->scope,
                   read->stamp, value, read->ttl_s);
}

static void
looked_up_cb (GBytes     *value,
              const char *stamp,
              gpointer    user_data)
{
  g_autoptr(CachedRead) read = user_data;
  DsdPgPool *pool = dsd_context_get (read->context, DSD_TYPE_PG_POOL);
  const char *sql = read->sql;
  const char * const *params = (const char * const *) read->params;
  int n_params = g_strv_length (read->params);

  if (value != NULL)
    {
      gsize length;
      const char *text = g_bytes_get_data (value, &length);

      respond (read, text, length);
      return;
    }

  read->stamp = g_strdup (stamp);
  dsd_pg_pool_query_async (pool, sql, n_params, params, NULL, queried_cb,
                           g_steal_pointer (&read));
}

void
dsd_api_respond_cached (DsdRequest         *request,
                        DsdContext         *context,
                        const char         *view,
                        const char         *order_id,
                        const char         *id,
                        guint               ttl_s,
                        const char         *sql,
                        int                 n_params,
                        const char * const *params)
{
  dsd_api_respond_cached_checked (request, context, view, order_id, id, ttl_s, NULL, sql,
                                  n_params, params);
}

void
dsd_api_respond_cached_checked (DsdRequest         *request,
                                DsdContext         *context,
                                const char         *view,
                                const char         *order_id,
                                const char         *id,
                                guint               ttl_s,
                                DsdApiAnswerCheck   check,
                                const char         *sql,
                                int                 n_params,
                                const char * const *params)
{
  const DsdPrincipal *principal = dsd_request_get_principal (request);
  g_autofree char *actor = dsd_request_dup_actor_json (request);
  const char *team_scope = NULL;
  CachedRead *read;
  g_autofree char *scope = NULL;

  if (principal != NULL && principal->role == DSD_ROLE_DISPATCHER)
    team_scope = dsd_account_states_peek_scope (dsd_context_get (context,
                                                                 DSD_TYPE_ACCOUNT_STATES),
                                                principal->user_id);

  /* The scope must be spelled as events spell the order's id; a dispatcher
   * whose team scope is not known (any more) goes to SQL. */
  if ((principal != NULL && principal->role == DSD_ROLE_DRIVER) ||
      (principal != NULL && principal->role == DSD_ROLE_DISPATCHER && team_scope == NULL) ||
      (order_id != NULL && !is_canonical_uuid (order_id)))
    {
      dsd_api_respond_query (request, context, 200, sql, n_params, params);
      return;
    }

  read = g_new0 (CachedRead, 1);
  read->request = dsd_request_ref (request);
  read->context = context;
  read->key = g_strconcat (view, ":", id, ":", actor != NULL ? actor : "public", ":",
                           team_scope != NULL ? team_scope : "", NULL);
  read->scope = order_id != NULL ? g_strconcat ("order:", order_id, NULL) : NULL;
  read->ttl_s = ttl_s;
  read->check = check;
  read->sql = g_strdup (sql);
  read->params = g_new0 (char *, n_params + 1);
  for (int i = 0; i < n_params; i++)
    read->params[i] = g_strdup (params[i]);
  g_assert (g_strv_length (read->params) == (guint) n_params);

  scope = g_strdup (read->scope);
  dsd_cache_lookup (dsd_context_get (context, DSD_TYPE_CACHE), read->key, scope, looked_up_cb,
                    read);
}
