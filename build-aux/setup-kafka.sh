#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Assembles Apache Kafka 3.9 (KRaft broker, storage tool, perf tools) from
# Maven Central jars into a cache outside the repository, once, and prints the
# directory that holds them. Java 17 and Maven come from Debian
# (build-aux/setup-debian.sh). The test fixtures, benchmarks and the cluster
# demo start brokers from these jars.
#
#   DISPATCH_KAFKA_CACHE   cache root (default: $XDG_CACHE_HOME/dispatch or ~/.cache/dispatch)
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
pom="$top/build-aux/kafka/pom.xml"
version=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$pom")
cache=${DISPATCH_KAFKA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dispatch}
libs="$cache/kafka-$version/libs"

if [ ! -f "$libs/.complete" ]; then
  for tool in java mvn; do
    command -v "$tool" >/dev/null || { echo "setup-kafka: $tool is missing; run build-aux/setup-debian.sh" >&2; exit 1; }
  done
  rm -rf "$libs"
  mkdir -p "$libs"
  echo "setup-kafka: fetching Apache Kafka $version into $libs" >&2
  mvn -q -B -f "$pom" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$libs" >&2
  ls "$libs"/kafka_2.13-"$version".jar >/dev/null
  touch "$libs/.complete"
fi

echo "$libs"
