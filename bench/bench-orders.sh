#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Order intake (TARGETS P5): POST /api/v1/orders with a durable commit (the
# order, its outbox event and its Idempotency-Key record in one transaction,
# synchronous_commit on), orders/s and latency at 8 connections, beside
# pgbench running a one-row insert of a similar 10-column row at the same
# concurrency, prepared, on the same PostgreSQL (the server's managed
# cluster), and pgbench with a pg_notify in each transaction (what the
# server's sessions no longer do) to show what NOTIFY costs.
#
# Usage: bench/bench-orders.sh [BUILDDIR]
# Environment: DURATION seconds per measurement (20; 10 with BENCH_QUICK=1),
#              CONNECTIONS (8), ROUNDS (2: ours and pgbench in turns, best of each kept)
# Results on stdout as bench/README.md describes; progress on stderr.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
. "$here/bench-lib.sh"

builddir=${1:-./build}
if [ "${BENCH_QUICK:-0}" = 1 ]; then
  duration=${DURATION:-10}
else
  duration=${DURATION:-20}
fi
connections=${CONNECTIONS:-8}
rounds=${ROUNDS:-2}
warmup=3

bench_require_package wrk curl
pgbin=$(bench_pg_bindir)

bench_prepare "$builddir"

# A typical order (≈ 330 bytes), each request with its own Idempotency-Key.
cat > "$tmp/orders.lua" <<'EOF'
local body = '{"pickup":{"lat":52.5219,"lon":13.4132,"address":"Alexanderplatz 1"},' ..
  '"dropoff":{"lat":52.5096,"lon":13.376,"address":"Potsdamer Platz 4"},' ..
  '"items":[{"sku":"pizza-margherita","name":"Margherita","quantity":2,"price_cents":990}],' ..
  '"contact":{"name":"Ada Lovelace","phone":"+49 30 1234567"},"notes":"Ring twice","priority":0}'
local threads = 0
local counter = 0

function setup(thread)
  threads = threads + 1
  thread:set("thread_id", threads)
end

function request()
  counter = counter + 1
  return wrk.format("POST", "/api/v1/orders", {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN"),
    ["Idempotency-Key"] = os.getenv("BENCH_RUN") .. "-" .. thread_id .. "-" .. counter,
  }, body)
end
EOF

# The pgbench reference: one insert of a row of the same width per transaction.
cat > "$tmp/schema.sql" <<'EOF'
CREATE SCHEMA IF NOT EXISTS bench;
DROP TABLE IF EXISTS bench.orders_ref;
CREATE TABLE bench.orders_ref (
  id          uuid             PRIMARY KEY DEFAULT gen_random_uuid(),
  customer_id text,
  status      text             NOT NULL DEFAULT 'pending',
  pickup_lat  double precision NOT NULL,
  pickup_lon  double precision NOT NULL,
  dropoff_lat double precision NOT NULL,
  dropoff_lon double precision NOT NULL,
  items       jsonb            NOT NULL,
  priority    smallint         NOT NULL DEFAULT 0,
  created_at  timestamptz      NOT NULL DEFAULT now()
);
EOF
cat > "$tmp/insert.sql" <<'EOF'
\set lat random(525000, 525400)
INSERT INTO bench.orders_ref
  (customer_id, pickup_lat, pickup_lon, dropoff_lat, dropoff_lon, items, priority)
  VALUES ('bench', :lat / 10000.0, 13.4132, 52.5096, 13.376,
          '[{"sku":"pizza-margherita","quantity":2,"price_cents":990}]', 0);
EOF
# The same with the NOTIFY every order transaction of the server makes.
{ echo 'BEGIN;'; cat "$tmp/insert.sql"; echo "SELECT pg_notify('bench', '');"; echo 'END;'; } \
  > "$tmp/insert-notify.sql"

# Milliseconds from wrk's 1.23us, 4.56ms or 1.20s in the latency line of a percentile.
wrk_percentile_ms () {
  awk -v p="$1" '$1 == p {
    v = $2 + 0
    if ($2 ~ /us$/) v /= 1000; else if ($2 ~ /[0-9]s$/) v *= 1000
    printf "%.2f", v
  }' "$2"
}

# µs of CPU per request between two samples of bench_server_cpu_ticks, as
# "DISPATCHD POSTGRES".
cpu_per_request_us () {
  echo "$1 $2" | awk -v n="$3" -v hz="$(getconf CLK_TCK)" \
    '{ printf "%.0f %.0f", ($3 - $1) / hz * 1e6 / n, ($4 - $2) / hz * 1e6 / n }'
}

# wrk_orders LABEL: one measurement; sets rate, p50_ms, p99_ms, cpu_us.
wrk_orders () {
  before=$(psql -X -At -c 'SELECT count(*) FROM dispatch.orders' "$BENCH_PG")
  ticks=$(bench_server_cpu_ticks)
  BENCH_RUN="$1" wrk -t 2 -c "$connections" -d "${duration}s" --latency -s "$tmp/orders.lua" \
    "$BENCH_URL/api/v1/orders" > "$tmp/wrk.txt"
  ticks_after=$(bench_server_cpu_ticks)
  after=$(psql -X -At -c 'SELECT count(*) FROM dispatch.orders' "$BENCH_PG")
  cat "$tmp/wrk.txt" >&2

  rate=$(sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' "$tmp/wrk.txt")
  p50_ms=$(wrk_percentile_ms 50% "$tmp/wrk.txt")
  p99_ms=$(wrk_percentile_ms 99% "$tmp/wrk.txt")
  errors=$(sed -n 's/.*Non-2xx or 3xx responses: *\([0-9]*\).*/\1/p' "$tmp/wrk.txt")
  completed=$(sed -n 's/^ *\([0-9]*\) requests in.*/\1/p' "$tmp/wrk.txt")
  ok=$((completed - ${errors:-0}))
  cpu_us=$(cpu_per_request_us "$ticks" "$ticks_after" "$ok")
  # Every acknowledged order is stored (more may be: answers wrk stopped waiting for).
  if [ "${errors:-0}" -gt 0 ] || [ $((after - before)) -lt "$ok" ]; then
    echo "bench-orders: $1: ${errors:-0} failed requests," \
      "$((after - before)) orders stored for $ok acknowledged" >&2
    exit 1
  fi
}

# pgbench_insert SCRIPT: one measurement; sets rate (TPS), p50_ms, p99_ms (from
# the per-transaction log), cpu_us.
pgbench_insert () {
  rm -f "$tmp"/pgbench_log.*
  ticks=$(bench_server_cpu_ticks)
  (cd "$tmp" && "$pgbin/pgbench" -n -c "$connections" -j 2 -M prepared -T "$duration" \
     -f "$1" -l "$BENCH_PG") > "$tmp/pgbench.txt" 2>&1
  ticks_after=$(bench_server_cpu_ticks)
  cat "$tmp/pgbench.txt" >&2
  rate=$(sed -n 's/^tps = \([0-9.]*\) (without initial connection time)/\1/p' "$tmp/pgbench.txt")
  cat "$tmp"/pgbench_log.* | awk '{ print $3 / 1000 }' | sort -n > "$tmp/latencies"
  p50_ms=$(awk '{ v[NR] = $1 } END { printf "%.2f", v[int(NR * 0.50) + 1] }' "$tmp/latencies")
  p99_ms=$(awk '{ v[NR] = $1 } END { printf "%.2f", v[int(NR * 0.99) + 1] }' "$tmp/latencies")
  cpu_us=$(cpu_per_request_us "$ticks" "$ticks_after" "$(wc -l < "$tmp/latencies")")
}

# keep_best NAME: the figures just measured become NAME_rate, NAME_p50,
# NAME_p99, NAME_server_cpu and NAME_pg_cpu if their rate is the best so far
# for NAME (the best run is the one least disturbed by other load).
keep_best () {
  eval "_best=\${$1_rate:-0}"
  if awk -v r="$rate" -v b="$_best" 'BEGIN { exit !(r > b) }'; then
    eval "$1_rate=\$rate $1_p50=\$p50_ms $1_p99=\$p99_ms"
    eval "$1_server_cpu=\${cpu_us% *} $1_pg_cpu=\${cpu_us#* }"
  fi
}

warm_up () {
  token=$(bench_admin_token)
  [ -n "$token" ] || { echo "no admin token" >&2; exit 1; }
  export BENCH_TOKEN="$token"
  BENCH_RUN="warmup-$1" wrk -t 2 -c "$connections" -d "${warmup}s" -s "$tmp/orders.lua" \
    "$BENCH_URL/api/v1/orders" > /dev/null
}

echo "bench-orders: $(nproc) CPUs, $connections connections, ${duration} s per measurement," \
  "build $builddir" >&2

bench_start_dispatchd "$builddir" "$tmp/data"
psql -X -q -v ON_ERROR_STOP=1 -f "$tmp/schema.sql" "$BENCH_PG"
echo "PostgreSQL $(psql -X -At -c 'SHOW server_version' "$BENCH_PG")," \
  "synchronous_commit $(psql -X -At -c 'SHOW synchronous_commit' "$BENCH_PG")" >&2

# Ours and the reference in turns, so that changes of background load hit both.
rounds_of () {
  for round in $(seq "$rounds"); do
    echo "== round $round: dispatchd, POST /orders ($1)" >&2
    wrk_orders "$2-$round"
    keep_best "$2"
    echo "== round $round: pgbench, one-row insert" >&2
    pgbench_insert "$tmp/insert.sql"
    keep_best pg
  done
}

warm_up orders
rounds_of "as shipped: no NOTIFY, the relay woken in-process" orders
echo "== pgbench, one-row insert + pg_notify" >&2
pgbench_insert "$tmp/insert-notify.sql"
keep_best pgn

# row FIELD…: one result line (bench/README.md).
row () {
  _line=$1
  shift
  for _field in "$@"; do
    _line="$_line$(printf '\t')$_field"
  done
  echo "$_line"
}

ratio=$(bench_ratio "$orders_rate" "$pg_rate")
pgbench="pgbench one-row 10-column insert, -c $connections, prepared"
pg_tps="$(printf '%.0f' "$pg_rate") TPS"

row P5 "POST /orders (order + event + idempotency, durable), orders/s at -c $connections" \
  "$(printf '%.0f' "$orders_rate") orders/s" "$pgbench" "$pg_tps" \
  "$ratio" "≥ 0.5×" "$(bench_verdict "$ratio" ge 0.5)"
row - "POST /orders latency p50 / p99 at -c $connections" "$orders_p50 / $orders_p99 ms" \
  "pgbench insert latency p50 / p99" "$pg_p50 / $pg_p99 ms" - - -
row - "pgbench one-row insert + pg_notify per transaction, -c $connections" \
  "$(printf '%.0f' "$pgn_rate") TPS" "pgbench one-row insert" "$pg_tps" \
  "$(bench_ratio "$pgn_rate" "$pg_rate")" - -
row - "CPU per order: dispatchd / its PostgreSQL" "$orders_server_cpu / $orders_pg_cpu µs" \
  "PostgreSQL CPU per pgbench insert" "$pg_pg_cpu µs" \
  "$(bench_ratio "$orders_pg_cpu" "$pg_pg_cpu")" - -
row note "dispatchd's sessions do not NOTIFY (dispatch.outbox_notify = off): NOTIFY takes a \
database-wide lock from pre-commit until the commit record is flushed, so notifying \
transactions cannot share a WAL flush (pgbench with vs without pg_notify: \
$(bench_ratio "$pgn_rate" "$pg_rate")× the TPS). The relay is woken in-process after each \
of the server's own commits (claims at least 10 ms apart) and polls every 100 ms for other \
writers. Orders that arrive while a transaction of orders is in flight go together in the \
next one (up to 32, two transactions at a time, never one order alone beside another: \
server/api/dsd-order-intake.h), checked one by one and inserted by one statement."
