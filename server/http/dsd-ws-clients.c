/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-ws"

#include "config.h"

#include "dsd-ws-clients.h"

#define CLIENTS_METRIC "dispatch_websocket_clients"
#define CLOSES_METRIC "dispatch_websocket_closes_total"
/* How often every client is checked for life (dsd_ws_client_check_alive). */
#define ALIVE_CHECK_INTERVAL_S 10

struct _DsdWsClients {
  GObject           parent_instance;

  DsdMetrics       *metrics;
  DsdAccountStates *accounts;  /* nullable: no checks */
  const char       *stream;
  GHashTable       *clients;   /* DsdWsClient (owned) → Holder (owned) */
  guint             alive_check_id;
};

/* Who a client is signed in as. */
typedef struct {
  DsdPrincipal *principal;   /* nullable: anonymous */
  char         *scope;       /* the user's scope fingerprint when added; NULL: not known */
} Holder;

G_DEFINE_FINAL_TYPE (DsdWsClients, dsd_ws_clients, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_N_CLIENTS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
holder_free (gpointer data)
{
  Holder *holder = data;

  g_clear_pointer (&holder->principal, dsd_principal_unref);
  g_free (holder->scope);
  g_free (holder);
}

static void
update_gauge (DsdWsClients *self)
{
  const char *labels[] = { self->stream, NULL };

  dsd_metrics_gauge_set (self->metrics, CLIENTS_METRIC, labels,
                         g_hash_table_size (self->clients));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_CLIENTS]);
}

static void
client_closed_cb (DsdWsClient *client,
                  gpointer     user_data)
{
  DsdWsClients *self = user_data;
  gushort code = dsd_ws_client_get_close_code (client);
  char code_text[8] = "none";
  const char *labels[] = { self->stream, code_text, NULL };

  if (code != 0)
    g_snprintf (code_text, sizeof code_text, "%u", code);
  dsd_metrics_counter_add (self->metrics, CLOSES_METRIC, labels, 1);

  g_signal_handlers_disconnect_by_func (client, client_closed_cb, self);
  g_hash_table_remove (self->clients, client);
  update_gauge (self);
}

static gboolean
alive_check_cb (gpointer user_data)
{
  DsdWsClients *self = user_data;
  g_autoptr(GPtrArray) clients = g_ptr_array_new_full (g_hash_table_size (self->clients),
                                                       g_object_unref);
  gint64 now_us = g_get_monotonic_time ();
  GHashTableIter iter;
  gpointer client;

  /* A client closed by the check leaves the table meanwhile. */
  g_hash_table_iter_init (&iter, self->clients);
  while (g_hash_table_iter_next (&iter, &client, NULL))
    g_ptr_array_add (clients, g_object_ref (client));
  for (guint i = 0; i < clients->len; i++)
    dsd_ws_client_check_alive (g_ptr_array_index (clients, i), now_us);

  return G_SOURCE_CONTINUE;
}

static void
dsd_ws_clients_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  DsdWsClients *self = DSD_WS_CLIENTS (object);

  switch (prop_id)
    {
    case PROP_N_CLIENTS:
      g_value_set_uint (value, dsd_ws_clients_get_n_clients (self));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dsd_ws_clients_dispose (GObject *object)
{
  DsdWsClients *self = DSD_WS_CLIENTS (object);
  GHashTableIter iter;
  gpointer client;

  if (self->clients != NULL)
    {
      g_hash_table_iter_init (&iter, self->clients);
      while (g_hash_table_iter_next (&iter, &client, NULL))
        g_signal_handlers_disconnect_by_func (client, client_closed_cb, self);
    }

  g_clear_handle_id (&self->alive_check_id, g_source_remove);
  g_clear_pointer (&self->clients, g_hash_table_unref);
  g_clear_object (&self->metrics);
  g_clear_object (&self->accounts);

  G_OBJECT_CLASS (dsd_ws_clients_parent_class)->dispose (object);
}

static void
dsd_ws_clients_class_init (DsdWsClientsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = dsd_ws_clients_dispose;
  object_class->get_property = dsd_ws_clients_get_property;

  properties[PROP_N_CLIENTS] =
    g_param_spec_uint ("n-clients", NULL, NULL,
                       0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
dsd_ws_clients_init (DsdWsClients *self)
{
  self->clients = g_hash_table_new_full (NULL, NULL, g_object_unref, holder_free);
}

void
dsd_ws_clients_register_metrics (DsdMetrics *metrics)
{
  static const char *client_labels[] = { "stream", NULL };
  static const char *close_labels[] = { "stream", "code", NULL };

  g_return_if_fail (DSD_IS_METRICS (metrics));

  dsd_metrics_register_gauge (metrics, CLIENTS_METRIC, "Connected websocket clients by stream",
                              client_labels);
  dsd_metrics_register_counter (metrics, CLOSES_METRIC,
                                "Closed websocket connections by stream and the close code "
                                "the server sent (1013: too far behind)", close_labels);
}

DsdWsClients *
dsd_ws_clients_new (DsdMetrics *metrics,
                    const char *stream)
{
  DsdWsClients *self;

  g_return_val_if_fail (DSD_IS_METRICS (metrics), NULL);
  g_return_val_if_fail (stream != NULL, NULL);

  self = g_object_new (DSD_TYPE_WS_CLIENTS, NULL);
  self->metrics = g_object_ref (metrics);
  self->stream = stream;
  update_gauge (self);

  return self;
}

DsdWsClient *
dsd_ws_clients_add (DsdWsClients            *self,
                    SoupWebsocketConnection *connection,
                    const DsdPrincipal      *principal)
{
  DsdWsClient *client;
  Holder *holder = g_new0 (Holder, 1);

  g_return_val_if_fail (DSD_IS_WS_CLIENTS (self), NULL);

  client = dsd_ws_client_new (connection);
  if (principal != NULL)
    {
      holder->principal = dsd_principal_ref ((DsdPrincipal *) principal);
      if (self->accounts != NULL)
        holder->scope = g_strdup (dsd_account_states_peek_scope (self->accounts,
                                                                 principal->user_id));
    }
  g_hash_table_insert (self->clients, client, holder);
  g_signal_connect (client, "closed", G_CALLBACK (client_closed_cb), self);
  update_gauge (self);
  if (self->alive_check_id == 0)
    self->alive_check_id = g_timeout_add_seconds (ALIVE_CHECK_INTERVAL_S, alive_check_cb, self);

  return client;
}

guint
dsd_ws_clients_get_n_clients (DsdWsClients *self)
{
  g_return_val_if_fail (DSD_IS_WS_CLIENTS (self), 0);

  return self->clients != NULL ? g_hash_table_size (self->clients) : 0;
}

void
dsd_ws_clients_close_all (DsdWsClients *self,
                          gushort       code,
                          const char   *reason)
{
  GHashTableIter iter;
  gpointer client;

  g_return_if_fail (DSD_IS_WS_CLIENTS (self));

  g_hash_table_iter_init (&iter, self->clients);
  while (g_hash_table_iter_next (&iter, &client, NULL))
    dsd_ws_client_close (client, code, reason, FALSE);
}

static void
state_loaded_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  /* The next check decides; a failed load leaves the client open until then. */
  dsd_account_states_wait_finish (DSD_ACCOUNT_STATES (source), result, NULL);
}

void
dsd_ws_clients_set_accounts (DsdWsClients     *self,
                             DsdAccountStates *accounts)
{
  g_return_if_fail (DSD_IS_WS_CLIENTS (self));
  g_return_if_fail (DSD_IS_ACCOUNT_STATES (accounts));

  g_set_object (&self->accounts, accounts);
}

/* 0: the client stays (allowed, scope as when it was added, or not known
 * yet); else the close code, its reason in out_reason. */
static gushort
close_code_for (DsdWsClients *self,
                Holder       *holder,
                char        **out_reason)
{
  g_autoptr(GError) error = NULL;
  const char *scope;

  switch (dsd_account_states_check (self->accounts, holder->principal, &error))
    {
    case DSD_ACCOUNT_REFUSED:
      *out_reason = g_strdup (error->message);
      return DSD_WS_CLOSE_REVOKED;

    case DSD_ACCOUNT_UNKNOWN:
      dsd_account_states_wait_async (self->accounts, holder->principal->user_id,
                                     state_loaded_cb, NULL);
      return 0;

    case DSD_ACCOUNT_ALLOWED:
    default:
      scope = dsd_account_states_peek_scope (self->accounts, holder->principal->user_id);
      if (holder->scope == NULL)
        holder->scope = g_strdup (scope);
      else if (scope != NULL && !g_str_equal (scope, holder->scope))
        {
          *out_reason = g_strdup ("what this account may see changed, reconnect");
          return DSD_WS_CLOSE_SCOPE_CHANGED;
        }
      return 0;
    }
}

void
dsd_ws_clients_close_revoked (DsdWsClients *self)
{
  g_autoptr(GPtrArray) closing = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) reasons = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GArray) codes = g_array_new (FALSE, FALSE, sizeof (gushort));
  GHashTableIter iter;
  gpointer client, holder;

  g_return_if_fail (DSD_IS_WS_CLIENTS (self));
  g_return_if_fail (self->accounts != NULL);

  g_hash_table_iter_init (&iter, self->clients);
  while (g_hash_table_iter_next (&iter, &client, &holder))
    {
      char *reason = NULL;
      gushort code;

      if (((Holder *) holder)->principal == NULL || !dsd_ws_client_is_open (client))
        continue;

      code = close_code_for (self, holder, &reason);
      if (code == 0)
        continue;
      g_ptr_array_add (closing, g_object_ref (client));
      g_ptr_array_add (reasons, reason);
      g_array_append_val (codes, code);
    }

  /* Closing may end a client and take it out of the table: not while iterating. */
  for (guint i = 0; i < closing->len; i++)
    dsd_ws_client_close (g_ptr_array_index (closing, i), g_array_index (codes, gushort, i),
                         g_ptr_array_index (reasons, i), TRUE);
}
