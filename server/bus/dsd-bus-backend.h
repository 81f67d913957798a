/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dsd-config.h"
#include "dsd-event-bus.h"
#include "dsd-metrics.h"
#include "dsd-pg-listener.h"
#include "dsd-pg-pool.h"

G_BEGIN_DECLS

/*
 * How committed events reach the local bus (DsdEventBus): the in-process
 * backend (DsdOutboxRelay, single node: this process numbers and publishes)
 * or Kafka (DsdKafkaBus, cluster: one relay leader publishes to Kafka, every
 * instance reads from it). The backend keeps the bus's status (/readyz).
 */
#define DSD_TYPE_BUS_BACKEND (dsd_bus_backend_get_type ())
G_DECLARE_INTERFACE (DsdBusBackend, dsd_bus_backend, DSD, BUS_BACKEND, GObject)

struct _DsdBusBackendInterface {
  GTypeInterface parent_iface;

  void (*start) (DsdBusBackend *self);
  /* Stops publishing; waits at most deadline_ms for what is in flight. */
  void (*stop)  (DsdBusBackend *self,
                 guint          deadline_ms);
};

/* Kafka when config names KAFKA_BROKERS, else in-process. */
DsdBusBackend *dsd_bus_backend_new   (DsdConfig      *config,
                                      DsdPgPool      *pool,
                                      DsdPgListener  *listener,
                                      DsdEventBus    *bus,
                                      DsdMetrics     *metrics,
                                      GError        **error);
void           dsd_bus_backend_start (DsdBusBackend  *self);
void           dsd_bus_backend_stop  (DsdBusBackend  *self,
                                      guint           deadline_ms);

G_END_DECLS
