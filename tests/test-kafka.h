/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * A real Apache Kafka 3.9 broker (single KRaft node, broker and controller in
 * one JVM) on free loopback ports with its own temporary log directory, from
 * the jars build-aux/setup-kafka.sh assembles, run by build-aux/kafka-broker.sh
 * (the script the demo and the benchmarks use too). It dies with the test process
 * (PR_SET_PDEATHSIG) and a watchdog removes its directory.
 */
typedef struct _DsdTestKafka DsdTestKafka;

/* Formats and starts a broker, asserting it answers metadata requests. */
DsdTestKafka *dsd_test_kafka_new           (void);
/* "127.0.0.1:PORT", for bootstrap.servers / KAFKA_BROKERS. */
const char   *dsd_test_kafka_get_bootstrap (DsdTestKafka *self);
/* Stops the broker (SIGTERM, SIGKILL after 15 s) and keeps its data. */
void          dsd_test_kafka_stop          (DsdTestKafka *self);
/* Starts it again on the same ports and data, asserting it gets ready. */
void          dsd_test_kafka_start         (DsdTestKafka *self);
/* The broker's process id, 0 while stopped. */
int           dsd_test_kafka_get_pid       (DsdTestKafka *self);
/* Stops it and removes its directory. */
void          dsd_test_kafka_free          (DsdTestKafka *self);
/* The directory of the Kafka jars (for running its tools, e.g.
 * org.apache.kafka.tools.ProducerPerformance): from DISPATCH_KAFKA_LIBS, or
 * assembled once by build-aux/setup-kafka.sh. */
const char   *dsd_test_kafka_get_libs_dir  (void);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DsdTestKafka, dsd_test_kafka_free)

G_END_DECLS
