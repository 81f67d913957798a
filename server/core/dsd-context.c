/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-core"

#include "dsd-context.h"

struct _DsdContext {
  GObject     parent_instance;

  DsdConfig  *config;
  DsdClock   *clock;
  DsdMetrics *metrics;
  GPtrArray  *services;   /* GObject, in the order added */
};

G_DEFINE_FINAL_TYPE (DsdContext, dsd_context, G_TYPE_OBJECT)

static void
dsd_context_finalize (GObject *object)
{
  DsdContext *self = DSD_CONTEXT (object);

  /* Released newest first: a service may use those added before it. */
  while (self->services->len > 0)
    g_ptr_array_remove_index (self->services, self->services->len - 1);
  g_ptr_array_unref (self->services);
  g_clear_object (&self->metrics);
  g_clear_object (&self->clock);

  G_OBJECT_CLASS (dsd_context_parent_class)->finalize (object);
}

static void
dsd_context_class_init (DsdContextClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = dsd_context_finalize;
}

static void
dsd_context_init (DsdContext *self)
{
  self->metrics = dsd_metrics_new ();
  self->services = g_ptr_array_new_with_free_func (g_object_unref);
}

/**
 * dsd_context_new:
 * @config: (transfer none): must outlive the context
 * @clock: (transfer none): the time of everything that uses the context
 */
DsdContext *
dsd_context_new (DsdConfig *config,
                 DsdClock  *clock)
{
  DsdContext *self = g_object_new (DSD_TYPE_CONTEXT, NULL);

  self->config = config;
  self->clock = g_object_ref (clock);

  return self;
}

DsdConfig *
dsd_context_get_config (DsdContext *self)
{
  return self->config;
}

DsdClock *
dsd_context_get_clock (DsdContext *self)
{
  return self->clock;
}

DsdMetrics *
dsd_context_get_metrics (DsdContext *self)
{
  return self->metrics;
}

static GObject *
find_service (DsdContext *self,
              GType       type)
{
  for (guint i = 0; i < self->services->len; i++)
    {
      GObject *service = g_ptr_array_index (self->services, i);

      if (G_TYPE_CHECK_INSTANCE_TYPE (service, type))
        return service;
    }

  return NULL;
}

void
dsd_context_add (DsdContext *self,
                 gpointer    service)
{
  g_return_if_fail (DSD_IS_CONTEXT (self));
  g_return_if_fail (G_IS_OBJECT (service));
  g_return_if_fail (find_service (self, G_OBJECT_TYPE (service)) == NULL);

  g_ptr_array_add (self->services, g_object_ref (service));
}

gpointer
dsd_context_get (DsdContext *self,
                 GType       type)
{
  GObject *service;

  g_return_val_if_fail (DSD_IS_CONTEXT (self), NULL);

  service = find_service (self, type);
  if (service == NULL)
    g_error ("No %s in the context", g_type_name (type));

  return service;
}
