#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Redis as shared hot state (docs/cache.md), in one run on one machine:
#   1. the public tracking read, GET /api/v1/track/{token}, under the same wrk
#      load, from a dispatchd without REDIS_URL (every read a SQL call) and
#      with it (cache-aside), beside redis-benchmark GET on the same
#      redis-server and nginx (one worker) serving the same body as the HTTP
#      ceiling;
#   2. location ingest (P1, bench-ingest.sh) with Redis positions on and off,
#      in turns, several times: the median and the spread.
#
# Usage: bench/bench-cache.sh [BUILDDIR]
# Environment: DURATION seconds per wrk measurement (15; 8 with BENCH_QUICK=1),
#              CONNECTIONS (32), ROUNDS (2: without and with Redis in turns, best of
#              each kept), INGEST_DURATION (bench-ingest's DURATION, 15; 10 quick),
#              INGEST_ROUNDS (3, 2 quick: ingest without and with Redis in turns;
#              the ratio is the median (min-max) of each on / the off just before)
# Results on stdout as bench/README.md describes; progress on stderr.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
. "$here/bench-lib.sh"
exec 3>&1 1>&2

builddir=${1:-./build}
if [ "${BENCH_QUICK:-0}" = 1 ]; then
  duration=${DURATION:-8}
  ingest_duration=${INGEST_DURATION:-10}
  # Three rounds of ingest and COPY no longer fit run-all's 240 s per bench
  # once ingest got faster (more rows for each COPY reference).
  ingest_rounds=${INGEST_ROUNDS:-2}
else
  duration=${DURATION:-15}
  ingest_duration=${INGEST_DURATION:-15}
fi
connections=${CONNECTIONS:-32}
rounds=${ROUNDS:-2}
ingest_rounds=${ingest_rounds:-${INGEST_ROUNDS:-3}}

bench_require_package wrk curl nginx-light redis-server redis-tools

redis_pid=
bench_cleanup_more () {
  [ -n "$redis_pid" ] && kill "$redis_pid" 2>/dev/null
  wait "$redis_pid" 2>/dev/null || true
}
bench_prepare "$builddir"

# wrk_get URL: requests/s, p50 and p99 in ms of a GET load, as "RPS P50 P99".
wrk_get () {
  bench_wrk -t 2 -c "$connections" -d "${duration}s" "$1" | cut -d' ' -f1-3
}

redis_port=$(bench_free_port)
redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no \
  --loglevel warning > "$tmp/redis.log" 2>&1 &
redis_pid=$!
until redis-cli -p "$redis_port" ping > /dev/null 2>&1; do sleep 0.1; done
redis_url=redis://127.0.0.1:$redis_port/0

# One order and its public tracking link, on a server without Redis first.
bench_start_dispatchd "$builddir" "$tmp/data"
token=$(bench_admin_token)
order=$(curl -sf "$BENCH_URL/api/v1/orders" -H 'Content-Type: application/json' \
  -H "Authorization: Bearer $token" \
  -d '{"pickup":{"lat":52.5219,"lon":13.4132},"dropoff":{"lat":52.5096,"lon":13.376}}')
track=$(echo "$order" | sed -n 's/.*"tracking_token": *"\([^"]*\)".*/\1/p')
path=/api/v1/track/$track
curl -sf "$BENCH_URL$path" > "$tmp/body.json"
bench_stop_dispatchd

# Without and with Redis in turns, best of each kept: the machine's load drifts.
sql_rps=0 cache_rps=0
for round in $(seq "$rounds"); do
  bench_start_dispatchd "$builddir" "$tmp/data"
  echo "round $round: GET $path without Redis, -c $connections, $duration s:"
  set -- $(wrk_get "$BENCH_URL$path")
  if [ "$1" -gt "$sql_rps" ]; then sql_rps=$1 sql_p50=$2 sql_p99=$3; fi
  bench_stop_dispatchd

  bench_start_dispatchd "$builddir" "$tmp/data" REDIS_URL="$redis_url"
  curl -sf "$BENCH_URL$path" > /dev/null
  echo "round $round: GET $path with Redis (cache-aside), -c $connections, $duration s:"
  set -- $(wrk_get "$BENCH_URL$path")
  if [ "$1" -gt "$cache_rps" ]; then cache_rps=$1 cache_p50=$2 cache_p99=$3; fi
  metrics=$(curl -sf "$BENCH_URL/metrics")
  hits=$(echo "$metrics" | sed -n 's/^dispatch_cache_lookups_total{result="hit"} //p')
  misses=$(echo "$metrics" | sed -n 's/^dispatch_cache_lookups_total{result="miss"} //p')
  bench_stop_dispatchd
done

echo "redis-benchmark GET, -c $connections:"
redis-benchmark -p "$redis_port" -t get -n 400000 -c "$connections" \
  -d "$(wc -c < "$tmp/body.json")" --csv > "$tmp/redis-bench.csv"
cat "$tmp/redis-bench.csv"
redis_rps=$(awk -F'"' '$2 == "GET" { printf "%.0f", $4 }' "$tmp/redis-bench.csv")

# nginx, one worker (dispatchd serves from one main loop), the same body.
mkdir -p "$tmp/www/api/v1/track"
cp "$tmp/body.json" "$tmp/www$path"
bench_start_nginx "$tmp/www"
echo "nginx, one worker, the same body, -c $connections, $duration s:"
set -- $(wrk_get "$BENCH_NGINX_URL$path")
nginx_rps=$1

# Ingest with Redis positions on and off (bench-ingest's own servers inherit
# REDIS_URL), INGEST_ROUNDS times each, in turns: off, on, off, on... Each
# "on" is divided by the "off" just before it, in points/s and in its run's
# COPY reference (bench-ingest's P1 ratio); reported: the medians and the
# spread (min-max) of the rounds.
ingest_rate () {
  DURATION=$ingest_duration "$here/bench-ingest.sh" "$builddir" |
    awk -F'\t' '$1 == "P1" { split($3, a, " "); print a[1], $6 }'
}
# spread FILE COLUMN FORMAT: "median (min-max)" of that column.
spread () {
  cut -d' ' -f"$2" "$1" | sort -g | awk -v f="$3" '{ v[NR] = $1 }
    END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
          printf f " (" f "-" f ")\n", m, v[1], v[NR] }'
}
: > "$tmp/ingest-off"
: > "$tmp/ingest-on"
: > "$tmp/ingest-pair"
for round in $(seq "$ingest_rounds"); do
  echo "round $round: bench-ingest.sh without Redis, $ingest_duration s:"
  unset REDIS_URL
  set -- $(ingest_rate)
  echo "$1 $2" >> "$tmp/ingest-off"
  off_rate=$1 off_ratio=$2
  echo "round $round: bench-ingest.sh with REDIS_URL, $ingest_duration s:"
  redis-cli -p "$redis_port" flushall > /dev/null
  export REDIS_URL="$redis_url"
  set -- $(ingest_rate)
  unset REDIS_URL
  echo "$1 $2" >> "$tmp/ingest-on"
  echo "$(bench_ratio "$1" "$off_rate") $(bench_ratio "$2" "$off_ratio")" >> "$tmp/ingest-pair"
  positions=$(redis-cli -p "$redis_port" zcard dispatch:positions:seen)
done
echo "ingest rounds (points/s, per COPY): without Redis, with Redis, with / without:"
cat "$tmp/ingest-off" "$tmp/ingest-on" "$tmp/ingest-pair"
ingest_off="$(spread "$tmp/ingest-off" 1 %.0f) points/s, $(spread "$tmp/ingest-off" 2 %.2f) of COPY"
ingest_on="$(spread "$tmp/ingest-on" 1 %.0f) points/s, $(spread "$tmp/ingest-on" 2 %.2f) of COPY"
ingest_pair="$(spread "$tmp/ingest-pair" 1 %.2f); per COPY $(spread "$tmp/ingest-pair" 2 %.2f)"

# One result line: the eight fields of bench/README.md.
row () {
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >&3
}
figure="GET /track/{token} with Redis cache-aside, -c $connections"
row - "$figure" "$cache_rps req/s (p50 $cache_p50 ms, p99 $cache_p99 ms)" \
  "the same without REDIS_URL (a SQL call each)" \
  "$sql_rps req/s (p50 $sql_p50 ms, p99 $sql_p99 ms)" "$(bench_ratio "$cache_rps" "$sql_rps")" - -
row - "$figure" "$cache_rps req/s" "nginx, one worker, same body (HTTP ceiling)" \
  "$nginx_rps req/s" "$(bench_ratio "$cache_rps" "$nginx_rps")" - -
row - "$figure" "$cache_rps req/s" \
  "redis-benchmark GET, same server and value size, -c $connections" "$redis_rps req/s" \
  "$(bench_ratio "$cache_rps" "$redis_rps")" - -
figure="location ingest with Redis positions, median (min-max) of $ingest_rounds runs"
figure="$figure of $ingest_duration s"
row P1 "$figure" "$ingest_on" "the same without REDIS_URL, in turns with them" \
  "$ingest_off" "$ingest_pair" - -
printf 'note\tcache: %s hits and %s misses in the last cached run; %s %s\n' "$hits" "$misses" \
  "$positions" "driver positions in Redis after the ingest run" >&3
