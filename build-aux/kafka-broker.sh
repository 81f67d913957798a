#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Runs one Apache Kafka 3.9 node in KRaft mode (broker and controller in one
# JVM) on loopback, for the tests, the benchmarks and the cluster demo. The
# first run in DIR writes its configuration and formats its storage; later runs
# reuse both. The JVM replaces this script (exec), so its pid is the broker's.
#
# Usage: build-aux/kafka-broker.sh DIR PORT CONTROLLER_PORT
# Environment: DISPATCH_KAFKA_LIBS (default: what build-aux/setup-kafka.sh prints),
#              KAFKA_HEAP (default 512m), KAFKA_QUICK_START=1 (C1 JIT only: starts
#              faster, runs slower; for tests)
set -euo pipefail

dir=$1 port=$2 controller_port=$3
libs=${DISPATCH_KAFKA_LIBS:-$(bash "$(dirname "$0")/setup-kafka.sh")}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

if [ ! -f "$dir/server.properties" ]; then
  cat > "$dir/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$controller_port
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$controller_port
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$dir/data
num.partitions=4
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
PROPS
  cat > "$dir/log4j.properties" <<PROPS
log4j.rootLogger=WARN, file
log4j.logger.kafka.server.KafkaRaftServer=INFO
log4j.appender.file=org.apache.log4j.FileAppender
log4j.appender.file.File=$dir/broker.log
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
PROPS
fi

java_opts=(-Xms64m "-Xmx${KAFKA_HEAP:-512m}" -XX:+UseSerialGC -Djava.awt.headless=true
           "-Dlog4j.configuration=file:$dir/log4j.properties" -cp "$libs/*")
if [ "${KAFKA_QUICK_START:-0}" = 1 ]; then
  java_opts=(-XX:TieredStopAtLevel=1 "${java_opts[@]}")
fi

if [ ! -f "$dir/data/meta.properties" ]; then
  # A cluster id is a UUID in unpadded base64url. One that begins with "-"
  # reads as an option to the storage tool (1 draw in 64), so draw again, as
  # Kafka's own Uuid.randomUuid() does.
  cluster_id=-
  while [ "${cluster_id:0:1}" = - ]; do
    cluster_id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | cut -c 1-22)
  done
  java "${java_opts[@]}" kafka.tools.StorageTool format -t "$cluster_id" \
    -c "$dir/server.properties" > /dev/null
fi

exec java "${java_opts[@]}" kafka.Kafka "$dir/server.properties"
