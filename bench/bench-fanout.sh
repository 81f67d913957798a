#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Websocket fan-out (TARGETS P4) and driver point → console latency (P3).
#
# P4: 100 dispatcher stream clients on a zero-config dispatchd while driver
# websocket connections send location points at a fixed rate (each point is
# one driver.location event for every client); messages/s delivered to the
# clients, best of a few rates. Reference, same harness, same machine: Node
# `ws` 8 broadcasting 120-byte text frames to 100 clients (bench/ws-reference.js).
# P3: one console client, points sent at half the P1 rate (50,000/s); every
# point sent gets a latency: from its send time (its recorded_at) until the
# console holds it or a newer point of the same driver (coalescing may drop
# it); points never seen count with their wait until the end. Beside it,
# dispatchd's CPU time per point accepted during that run.
#
# Usage: bench/bench-fanout.sh [BUILDDIR]      (default ./build)
# Environment: RATES    points/s for P4, default "4000 8000 12000" ("6000 12000" with
#                       BENCH_QUICK=1)
#              P3_RATE  points/s for P3, default 50000
#              LIGHT_RATE  points/s of the supporting latency figure, default 5000
#              SECONDS_PER_RUN  measured seconds per run, default 8 (5 with BENCH_QUICK=1)
# Results on stdout as bench/README.md describes, progress on stderr.
set -eu

builddir=${1:-./build}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/bench-lib.sh"

if [ "${BENCH_QUICK:-0}" = 1 ]; then
  rates=${RATES:-6000 12000}
  seconds=${SECONDS_PER_RUN:-5}
else
  rates=${RATES:-4000 8000 12000}
  seconds=${SECONDS_PER_RUN:-8}
fi
p3_rate=${P3_RATE:-50000}
light_rate=${LIGHT_RATE:-5000}
warmup=2
drivers=8
clients=$builddir/bench/bench-ws-clients

if [ ! -x "$clients" ]; then
  echo "$clients not found: configure $builddir with -Dserver=true and build it" >&2
  exit 1
fi

tmp=$(mktemp -d)
node_pid=
cleanup () {
  [ -n "$node_pid" ] && kill "$node_pid" 2>/dev/null
  bench_stop_dispatchd
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

# key=value from the harness's result line
field () {
  echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"
}

echo "bench-fanout: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 |
  sed 's/^ *//'), build $builddir" >&2

# The reference first: Node ws 8 from npm, in the temporary directory
if ! command -v node > /dev/null || ! command -v npm > /dev/null; then
  bench_require_package nodejs npm
fi
echo "Installing ws@8 from npm" >&2
(cd "$tmp" && npm install --silent --no-audit --no-fund ws@8 >&2)
NODE_PATH=$tmp/node_modules node "$here/ws-reference.js" > "$tmp/node.log" 2>&1 &
node_pid=$!
tries=0
until grep -q listening "$tmp/node.log"; do
  tries=$((tries + 1))
  if [ "$tries" -gt 100 ] || ! kill -0 "$node_pid" 2>/dev/null; then
    echo "ws-reference.js did not start:" >&2
    cat "$tmp/node.log" >&2
    exit 1
  fi
  sleep 0.1
done
node_port=$(sed -n 's/^listening //p' "$tmp/node.log")
reference=$("$clients" --url "ws://127.0.0.1:$node_port/" --receivers 100 \
  --seconds "$seconds" --warmup "$warmup")
echo "Node ws 8 broadcast: $reference" >&2
kill "$node_pid"
wait "$node_pid" 2>/dev/null || true
node_pid=

# Our server, zero-config, and driver accounts for the generator
bench_start_dispatchd "$builddir" "$tmp/data"
port=${BENCH_URL##*:}
admin=$(bench_admin_token)
echo "dispatchd at $BENCH_URL; creating $drivers driver accounts" >&2
i=0
pids=
while [ "$i" -lt "$drivers" ]; do
  (
    user=bench-driver-$i
    driver_id=$(curl -sf "$BENCH_URL/api/v1/users" -H "Authorization: Bearer $admin" \
      -H 'Content-Type: application/json' \
      -d "{\"username\":\"$user\",\"password\":\"bench-driver-password\",\"role\":\"driver\"}" |
      sed -n 's/.*"driver_id": *"\([^"]*\)".*/\1/p')
    token=$(curl -sf "$BENCH_URL/api/v1/auth/token" -H 'Content-Type: application/json' \
      -d "{\"username\":\"$user\",\"password\":\"bench-driver-password\"}" |
      sed -n 's/.*"access_token": *"\([^"]*\)".*/\1/p')
    echo "$driver_id $token" > "$tmp/driver-$i"
  ) &
  pids="$pids $!"
  i=$((i + 1))
done
# (not a bare wait: the server is a child too)
for pid in $pids; do
  wait "$pid"
done
cat "$tmp"/driver-* > "$tmp/drivers.txt"

run_ours () {
  "$clients" --url "ws://127.0.0.1:$port/api/v1/stream" --token "$admin" \
    --drivers "$tmp/drivers.txt" --driver-path '/api/v1/drivers/{id}/stream' "$@"
}

# P4: the best rate
best=0
best_line=
for rate in $rates; do
  line=$(run_ours --receivers 100 --rate "$rate" --seconds "$seconds" --warmup "$warmup")
  echo "dispatchd, $rate points/s: $line" >&2
  frames=$(field "$line" frames_per_s)
  if [ "$frames" -gt "$best" ]; then
    best=$frames
    best_line=$line
  fi
done

# Points dispatchd has accepted (the ingest counts them as their flush is written).
points_accepted () {
  curl -sf -H "Authorization: Bearer $admin" "$BENCH_URL/metrics" |
    awk '/^dispatch_location_points_total / { n = $2 } END { print n + 0 }'
}

# P3: one console at half the P1 rate, and at a light load for comparison;
# beside it dispatchd's CPU time per point accepted during the P3 run, a figure
# the machine's load moves less than the latency.
cpu_before=$(bench_server_cpu_ticks)
points_before=$(points_accepted)
latency=$(run_ours --receivers 1 --rate "$p3_rate" --seconds "$seconds" --warmup "$warmup" \
  --latency)
echo "dispatchd, latency at $p3_rate points/s: $latency" >&2
cpu_per_point=$(echo "$cpu_before $(bench_server_cpu_ticks) $points_before $(points_accepted)" |
  awk -v hz="$(getconf CLK_TCK)" '{ n = $6 - $5
    if (n > 0) printf "%.1f", ($3 - $1) * 1e6 / hz / n; else printf "-" }')
light=$(run_ours --receivers 1 --rate "$light_rate" --seconds "$seconds" --warmup "$warmup" \
  --latency)
echo "dispatchd, latency at $light_rate points/s: $light" >&2

bench_stop_dispatchd

# One result line (bench/README.md): target, figure, value, reference,
# reference value, ratio, goal, verdict
result () {
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@"
}

ref_value=$(field "$reference" frames_per_s)
ratio=$(bench_ratio "$best" "$ref_value")
result P4 "websocket fan-out to 100 consoles, messages/s delivered" "$best msgs/s" \
  "Node ws 8 broadcast, 120-byte frames, same harness" "$ref_value msgs/s" "$ratio" \
  "≥ 1.5×" "$(bench_verdict "$ratio" ge 1.5)"

p99=$(field "$latency" p99_ms)
delivered=$(field "$latency" deliveries_per_s)
p3_verdict=$(awk -v p="$p99" -v d="$delivered" -v r="$p3_rate" 'BEGIN {
  print (p != "nan" && p + 0 <= 50 && d + 0 >= 0.9 * r) ? "met" : "not met" }')
result P3 "driver point → console frame latency at $p3_rate points/s, p50 / p99" \
  "$(field "$latency" p50_ms) / $p99 ms" - - - "p99 ≤ 50 ms" "$p3_verdict"
result - "dispatchd CPU time per point accepted during the P3 run" "$cpu_per_point µs" \
  - - - - -
result - "driver point → console frame latency at $light_rate points/s, p50 / p99" \
  "$(field "$light" p50_ms) / $(field "$light" p99_ms) ms" - - - - -

printf 'note\t%s\n' "P4: our frames are driver.location envelopes of \
$(field "$best_line" avg_frame_bytes) bytes on average (the reference sends 120); deliveries \
including coalesced items: $(field "$best_line" deliveries_per_s)/s, points sent \
$(field "$best_line" sent_per_s)/s."
printf 'note\t%s\n' "P3: $(field "$latency" latencies) points sent while measuring, each \
timed until the console held it or a newer point of its driver ($delivered/s reached the \
console as items; a console that falls behind gets the latest point per driver, coalesced; \
$(field "$latency" errors) points were refused by the ingest; $(field "$latency" unseen) never \
seen, counted with their wait until the end)."
