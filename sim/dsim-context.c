/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsim"

#include "dsim-context.h"

typedef struct {
  guint  seq;
  double created_s;
  char   *pin;         /* the delivery PIN its customer knows, or NULL */
} OrderInfo;

static void
order_info_free (OrderInfo *info)
{
  g_free (info->pin);
  g_free (info);
}

struct _DsimContext {
  GObject       parent_instance;

  DsimOptions  *options;
  DsimApi      *api;
  DsimGrid      grid;
  DsimStats    *stats;
  GCancellable *cancellable;
  DsimAccount  *admin;

  double        now_s;
  /* Idempotency keys: unique per process, so that a rerun with the same seed
   * against the same server makes new orders instead of replaying old ones. */
  char         *run_id;
  guint64       n_keys;
  GHashTable   *orders;     /* order id → OrderInfo */
  DsimStreams   streams;
};

G_DEFINE_FINAL_TYPE (DsimContext, dsim_context, G_TYPE_OBJECT)

static void
dsim_context_finalize (GObject *object)
{
  DsimContext *self = DSIM_CONTEXT (object);

  g_clear_object (&self->api);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->stats, dsim_stats_free);
  g_clear_pointer (&self->admin, dsim_account_unref);
  g_clear_pointer (&self->orders, g_hash_table_unref);
  g_clear_pointer (&self->options, dsim_options_free);
  g_free (self->run_id);

  G_OBJECT_CLASS (dsim_context_parent_class)->finalize (object);
}

static void
dsim_context_class_init (DsimContextClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = dsim_context_finalize;
}

static void
dsim_context_init (DsimContext *self)
{
  self->stats = dsim_stats_new ();
  self->cancellable = g_cancellable_new ();
  self->orders = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                        (GDestroyNotify) order_info_free);
  self->run_id = g_uuid_string_random ();
}

DsimContext *
dsim_context_new (DsimOptions *options)
{
  DsimContext *self = g_object_new (DSIM_TYPE_CONTEXT, NULL);
  G_GNUC_UNUSED gboolean grid_ok;

  self->options = options;
  self->api = dsim_api_new (options->url);
  self->admin = dsim_account_new (options->admin_user, options->admin_password);
  grid_ok = dsim_grid_init (&self->grid, &options->bbox, options->block_m);
  g_assert (grid_ok);   /* checked with the options */

  return self;
}

const DsimOptions *
dsim_context_get_options (DsimContext *self)
{
  return self->options;
}

DsimApi *
dsim_context_get_api (DsimContext *self)
{
  return self->api;
}

const DsimGrid *
dsim_context_get_grid (DsimContext *self)
{
  return &self->grid;
}

DsimStats *
dsim_context_get_stats (DsimContext *self)
{
  return self->stats;
}

GCancellable *
dsim_context_get_cancellable (DsimContext *self)
{
  return self->cancellable;
}

DsimAccount *
dsim_context_get_admin (DsimContext *self)
{
  return self->admin;
}

double
dsim_context_get_now (DsimContext *self)
{
  return self->now_s;
}

void
dsim_context_set_now (DsimContext *self,
                      double       now_s)
{
  self->now_s = now_s;
}

char *
dsim_context_new_key (DsimContext *self)
{
  return g_strdup_printf ("sim-%s-%" G_GUINT64_FORMAT, self->run_id, ++self->n_keys);
}

void
dsim_context_add_order (DsimContext *self,
                        const char  *order_id,
                        guint        seq,
                        double       created_s)
{
  OrderInfo *info = g_new0 (OrderInfo, 1);

  info->seq = seq;
  info->created_s = created_s;
  g_hash_table_replace (self->orders, g_strdup (order_id), info);
}

gboolean
dsim_context_lookup_order (DsimContext *self,
                           const char  *order_id,
                           guint       *out_seq,
                           double      *out_created_s)
{
  OrderInfo *info = g_hash_table_lookup (self->orders, order_id);

  if (info == NULL)
    return FALSE;

  if (out_seq != NULL)
    *out_seq = info->seq;
  if (out_created_s != NULL)
    *out_created_s = info->created_s;
  return TRUE;
}

void
dsim_context_set_order_pin (DsimContext *self,
                            const char  *order_id,
                            const char  *pin)
{
  OrderInfo *info = g_hash_table_lookup (self->orders, order_id);

  if (info != NULL)
    {
      g_free (info->pin);
      info->pin = g_strdup (pin);
    }
}

const char *
dsim_context_get_order_pin (DsimContext *self,
                            const char  *order_id)
{
  OrderInfo *info = g_hash_table_lookup (self->orders, order_id);

  return info != NULL ? info->pin : NULL;
}

DsimStreams
dsim_context_get_streams (DsimContext *self)
{
  return self->streams;
}

void
dsim_context_set_streams (DsimContext *self,
                          DsimStreams  streams)
{
  self->streams = streams;
}
