/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dsd-bus"

#include "dsd-bus-backend.h"
#include "dsd-kafka-bus.h"
#include "dsd-outbox-relay.h"

G_DEFINE_INTERFACE (DsdBusBackend, dsd_bus_backend, G_TYPE_OBJECT)

static void
dsd_bus_backend_default_init (DsdBusBackendInterface *iface)
{
}

DsdBusBackend *
dsd_bus_backend_new (DsdConfig      *config,
                     DsdPgPool      *pool,
                     DsdPgListener  *listener,
                     DsdEventBus    *bus,
                     DsdMetrics     *metrics,
                     GError        **error)
{
  if (config->kafka_brokers != NULL)
    return DSD_BUS_BACKEND (dsd_kafka_bus_new (config, pool, listener, bus, metrics, error));

  return DSD_BUS_BACKEND (dsd_outbox_relay_new (pool, listener, bus));
}

void
dsd_bus_backend_start (DsdBusBackend *self)
{
  g_return_if_fail (DSD_IS_BUS_BACKEND (self));

  DSD_BUS_BACKEND_GET_IFACE (self)->start (self);
}

void
dsd_bus_backend_stop (DsdBusBackend *self,
                      guint          deadline_ms)
{
  g_return_if_fail (DSD_IS_BUS_BACKEND (self));

  DSD_BUS_BACKEND_GET_IFACE (self)->stop (self, deadline_ms);
}
