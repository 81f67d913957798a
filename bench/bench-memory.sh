#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Memory at scale (TARGETS P10) and the dispatcher-stream snapshot at that
# scale. A zero-config dispatchd gets 20,000 drivers (online, manual dispatch
# only, positions in Berlin) and 100,000 open orders (20,000 assigned, one per
# driver; 80,000 pending), written straight into its database. Then:
#  1. one console alone opens the dispatcher stream: the time until its whole
#     snapshot is in, and the slowest /healthz answer meanwhile (the snapshot
#     is sent in parts without stalling the main loop); the server's RSS
#     before and after;
#  2. 10,000 tracking sockets (GET /api/v1/orders/{id}/stream of assigned
#     orders), then 100 console sockets, all read by one harness; the drivers
#     move (RATE points/s in all, HTTP batches); the server's RSS is sampled
#     every 10 s over MINUTES minutes.
# No reference: the goal is absolute (≤ 300 MB, flat: the last minute's mean
# within 10 % of the first minute's).
#
# Usage: bench/bench-memory.sh [BUILDDIR] [--minutes N]     (default ./build)
# Environment: MINUTES (10; 2 with BENCH_QUICK=1, --minutes wins), RATE points/s
#              of the moving drivers (2000), TRACKING (10000; 1000 with
#              BENCH_QUICK=1: the harness opens 32 at a time, each a database
#              read in the server), CONSOLES (100)
# Results on stdout as bench/README.md describes; progress on stderr.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
. "$here/bench-lib.sh"

builddir=./build
if [ $# -gt 0 ] && [ "${1#--}" = "$1" ]; then
  builddir=$1
  shift
fi
if [ "${BENCH_QUICK:-0}" = 1 ]; then
  minutes=${MINUTES:-2}
  n_tracking=${TRACKING:-1000}
else
  minutes=${MINUTES:-10}
  n_tracking=${TRACKING:-10000}
fi
while [ $# -gt 0 ]; do
  case $1 in
    --minutes) minutes=$2; shift 2 ;;
    *) echo "usage: $0 [BUILDDIR] [--minutes N]" >&2; exit 2 ;;
  esac
done
rate=${RATE:-2000}
n_consoles=${CONSOLES:-100}
clients=$builddir/bench/bench-ws-clients
generator=$builddir/bench/bench-ingest

for program in "$builddir/server/dispatchd" "$clients" "$generator"; do
  if [ ! -x "$program" ]; then
    echo "$program not found: configure $builddir with -Dserver=true and build it" >&2
    exit 1
  fi
done
bench_require_package curl

# The harness holds a socket per client.
ulimit -n "$(ulimit -H -n)"
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $((n_tracking + n_consoles + 100)) ]; then
  echo "bench-memory: the open-file limit $(ulimit -n) is below $((n_tracking + n_consoles + 100))" >&2
  exit 1
fi

tmp=$(mktemp -d)
mover=
cleanup () {
  [ -n "$mover" ] && kill "$mover" 2>/dev/null
  bench_stop_dispatchd
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
chmod 0711 "$tmp"

connections=$((n_tracking + n_consoles + 1000))
# DISPATCH_MAX_PICKUP_KM: the drivers take no automatic assignments, but the
# engine's round still searches the fleet around each of the 80,000 pending
# orders, and with every driver within the default 20 km it scans all 20,000
# per order (minutes of the main loop per round); 50 m keeps it out.
settings="DISPATCH_HTTP_MAX_CONNECTIONS=$connections
  DISPATCH_HTTP_MAX_CONNECTIONS_PER_CLIENT=$connections DISPATCH_MAX_PICKUP_KM=0.05"
# shellcheck disable=SC2086
bench_start_dispatchd "$builddir" "$tmp/data" $settings

echo "bench-memory: writing 20,000 drivers and 100,000 open orders" >&2
psql -X -q -v ON_ERROR_STOP=1 "$BENCH_PG" >&2 <<'EOF'
INSERT INTO dispatch.drivers (name, phone, vehicle, online, auto_dispatch, lat, lon,
                              location_at, last_seen_at)
SELECT 'Driver ' || lpad(i::text, 5, '0'), '+49 30 ' || (1000000 + i), 'bike', true, false,
       52.40 + (i % 200) * 0.00125, 13.20 + (i / 200) * 0.004, now(), now()
FROM generate_series(1, 20000) i;

WITH d AS (SELECT id, row_number() OVER (ORDER BY id) AS n FROM dispatch.drivers),
     o AS (SELECT dispatch.uuid_v7() AS id, i FROM generate_series(1, 100000) i)
INSERT INTO dispatch.orders (id, customer_id, status, pickup_lat, pickup_lon, pickup_address,
                             dropoff_lat, dropoff_lon, dropoff_address, items, notes, priority,
                             contact, driver_id, tracking_token, assigned_at, created_by)
SELECT o.id, 'customer-' || (o.i % 5000),
       CASE WHEN d.id IS NULL THEN 'pending' ELSE 'assigned' END,
       52.45 + (o.i % 97) * 0.001, 13.30 + (o.i % 89) * 0.002, 'Alexanderplatz ' || (o.i % 50),
       52.50 + (o.i % 83) * 0.001, 13.35 + (o.i % 79) * 0.002, 'Potsdamer Platz ' || (o.i % 40),
       '[{"sku":"pizza-margherita","name":"Margherita","quantity":2,"price_cents":990}]',
       'Ring twice', 0, '{"name":"Ada Lovelace","phone":"+49 30 1234567"}', d.id,
       dispatch.new_tracking_token(o.id), CASE WHEN d.id IS NOT NULL THEN now() END, 'bench'
FROM o LEFT JOIN d ON d.n = o.i;
ANALYZE dispatch.drivers;
ANALYZE dispatch.orders;
EOF
# Written behind the server's back: started again, it loads them into its
# snapshot store (the events keep it from then on).
bench_stop_dispatchd
# shellcheck disable=SC2086
bench_start_dispatchd "$builddir" "$tmp/data" $settings
port=${BENCH_URL##*:}
token=$(bench_admin_token)
pid=$BENCH_SERVER_PID
tries=0
until grep -q 'Snapshot store loaded' "$tmp/data.log"; do
  if ! kill -0 "$pid" 2>/dev/null || [ "$tries" -ge 3000 ]; then
    echo "bench-memory: the snapshot store did not load:" >&2
    tail -n 20 "$tmp/data.log" >&2
    exit 1
  fi
  tries=$((tries + 1))
  sleep 0.1
done
load_line=$(grep 'Snapshot store loaded' "$tmp/data.log")
echo "bench-memory: $load_line" >&2
load_s=$(echo "$load_line" | sed -n 's/.*loaded in \([0-9.]*\) s.*/\1/p')

psql -X -At -c 'SELECT id FROM dispatch.drivers' "$BENCH_PG" > "$tmp/drivers"
psql -X -At -c "SELECT '/api/v1/orders/' || id || '/stream' FROM dispatch.orders
                WHERE status = 'assigned' ORDER BY id LIMIT $n_tracking" "$BENCH_PG" \
  > "$tmp/tracking"

rss_mb () {
  awk '/^VmRSS:/ { printf "%.0f", $2 / 1024 }' "/proc/$pid/status"
}

field () {
  echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"
}

# 1. One console alone, /healthz asked every 50 ms meanwhile.
rss_loaded=$(rss_mb)
echo "bench-memory: one console's snapshot (RSS $rss_loaded MB)" >&2
"$clients" --url "ws://127.0.0.1:$port/api/v1/stream" --token "$token" --receivers 1 \
  --warmup 0 --seconds 60 --until-snapshots 1 > "$tmp/one.txt" &
one=$!
: > "$tmp/healthz"
while kill -0 "$one" 2>/dev/null; do
  curl -s -o /dev/null -w '%{time_total}\n' "$BENCH_URL/healthz" >> "$tmp/healthz" || true
  sleep 0.05
done
wait "$one"
one_line=$(cat "$tmp/one.txt")
echo "$one_line" >&2
snapshot_ms="$(field "$one_line" snapshot_max_ms) ms"
rss_after_one=$(rss_mb)
if [ "$(field "$one_line" snapshots)" = 0 ]; then
  snapshot_ms="not received (server log: $(grep -c 'Snapshot store: loading failed' "$tmp/data.log" || true) failed loads)"
fi
snapshot_mb=$(field "$one_line" snapshot_bytes | awk '{ printf "%.0f", $1 / 1e6 }')
healthz_ms=$(sort -g "$tmp/healthz" | tail -n 1 | awk '{ printf "%.0f", $1 * 1000 }')
healthz_n=$(wc -l < "$tmp/healthz")

# 2. The soak: drivers moving, 10,000 tracking sockets, then 100 consoles.
seconds=$((minutes * 60))
"$generator" run "$port" "$token" "$tmp/drivers" -c 4 -b 10 -r "$rate" -d $((seconds + 600)) \
  > "$tmp/mover.txt" 2>&1 &
mover=$!
head -n "$n_tracking" "$tmp/tracking" > "$tmp/paths"
echo "bench-memory: $n_tracking tracking and $n_consoles console sockets," \
  "drivers moving at $rate points/s, $minutes min" >&2
: > "$tmp/rss"
"$clients" --url "ws://127.0.0.1:$port/api/v1/stream" --token "$token" \
  --paths "$tmp/paths" --receivers "$n_consoles" --warmup 0 --seconds "$seconds" \
  --report-connected "$tmp/connected" > "$tmp/soak.txt" &
soak=$!
until [ -f "$tmp/connected" ] || ! kill -0 "$soak" 2>/dev/null; do
  sleep 1
done
connected_at=$(date +%s)
while kill -0 "$soak" 2>/dev/null; do
  echo "$(($(date +%s) - connected_at)) $(rss_mb)" >> "$tmp/rss"
  sleep 10
done
wait "$soak"
soak_line=$(cat "$tmp/soak.txt")
echo "$soak_line" >&2
cat "$tmp/rss" >&2
kill "$mover" 2>/dev/null || true
wait "$mover" 2>/dev/null || true
mover=
tail -n 3 "$tmp/mover.txt" >&2

eval "$(awk '
  { n++; t[n] = $1; r[n] = $2; if ($2 > max) max = $2 }
  END {
    for (i = 1; i <= n; i++) {
      if (t[i] < 60) { first += r[i]; nf++ }
      if (t[i] >= t[n] - 60) { last += r[i]; nl++ }
    }
    printf "rss_max=%d rss_first=%.0f rss_last=%.0f\n", max, nf ? first / nf : 0, nl ? last / nl : 0
  }' "$tmp/rss")"
verdict=$(awk -v m="$rss_max" -v f="$rss_first" -v l="$rss_last" \
  'BEGIN { print (m <= 300 && f > 0 && l <= f * 1.1) ? "met" : "not met" }')
closes=$(field "$soak_line" closes)
snapshots=$(field "$soak_line" snapshots)

tab=$(printf '\t')
echo "P10${tab}server RSS, 20,000 drivers, 100,000 open orders, $n_consoles console and $n_tracking tracking sockets, drivers moving at $rate points/s, max over $minutes min${tab}$rss_max MB${tab}-${tab}-${tab}-${tab}≤ 300 MB, flat${tab}$verdict"
echo "-${tab}RSS mean of the first / last minute of that run${tab}$rss_first / $rss_last MB${tab}-${tab}-${tab}-${tab}-${tab}-"
echo "-${tab}dispatcher-stream snapshot, 20,000 drivers and 100,000 open orders ($snapshot_mb MB), one console: connect to its last byte${tab}$snapshot_ms${tab}-${tab}-${tab}-${tab}-${tab}-"
echo "-${tab}slowest /healthz answer while that snapshot was sent ($healthz_n asked)${tab}$healthz_ms ms${tab}-${tab}-${tab}-${tab}-${tab}-"
echo "-${tab}snapshot store: loaded at start from PostgreSQL; server RSS once loaded / after that snapshot${tab}$load_s s; $rss_loaded / $rss_after_one MB${tab}-${tab}-${tab}-${tab}-${tab}-"
echo "-${tab}$n_consoles consoles connecting at once: snapshots complete, last one after${tab}$snapshots of $n_consoles, $(field "$soak_line" snapshots_done_ms) ms${tab}-${tab}-${tab}-${tab}-${tab}-"
echo "note${tab}P10: $closes close frames or ends of connection seen by the harness during the soak (one harness thread reads every socket, and each console an 83 MB snapshot); load average at the end $(cut -d' ' -f1-3 /proc/loadavg)."
