#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Location ingest (TARGETS P1): points per second acknowledged by
# POST /api/v1/drivers/{id}/location (batches; a 202 means committed to
# history), beside COPY of the same rows into the same table and indexes,
# measured in the same run on the same PostgreSQL (the server's own managed
# cluster, in a temporary directory, on a free loopback port).
#
# Usage: bench/bench-ingest.sh [BUILDDIR] [--soak SECONDS] [--trail]
#   (default)      ingest for DURATION seconds, then the COPY reference
#   --soak S       then S more seconds at half the P1 target (0.25 × the COPY
#                  rate just measured), sampling dispatchd's RSS every 10 s
#   --trail        instead: GET /drivers/{id}/trail timed with 10 million
#                  history points (loaded by COPY), against the same trails
#                  with a tenth of them
# Environment: DURATION (30), CONNECTIONS (64), BATCH (points per request, 100),
#              DRIVERS (1000), TRAIL_POINTS (10000000)
set -eu

# bench/README.md: results on stdout (fd 3 below), everything else on stderr.
exec 3>&1 1>&2

builddir=./build
soak=0
trail=0
while [ $# -gt 0 ]; do
  case $1 in
    --soak) soak=$2; shift 2 ;;
    --trail) trail=1; shift ;;
    -*) echo "unknown option $1" >&2; exit 2 ;;
    *) builddir=$1; shift ;;
  esac
done
quick_duration=30
[ -n "${BENCH_QUICK:-}" ] && quick_duration=15
duration=${DURATION:-$quick_duration}
connections=${CONNECTIONS:-64}
batch=${BATCH:-100}
n_drivers=${DRIVERS:-1000}
trail_points=${TRAIL_POINTS:-10000000}
dispatchd=$builddir/server/dispatchd
generator=$builddir/bench/bench-ingest
columns='(driver_id, recorded_at, lat, lon, heading, speed_mps, accuracy_m)'

for program in "$dispatchd" "$generator"; do
  if [ ! -x "$program" ]; then
    echo "$program not found: configure $builddir with -Dserver=true and build it" >&2
    exit 1
  fi
done

tmp=$(mktemp -d)
server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
# Run as root, the managed cluster runs as an unprivileged account that must reach it.
chmod 0711 "$tmp"

: > "$tmp/server.log"
env -u DATABASE_URL DISPATCH_DATA_DIR="$tmp/data" DISPATCH_LISTEN=127.0.0.1:0 \
  DISPATCH_ADMIN_PASSWORD=bench-admin-password "$dispatchd" > "$tmp/server.log" 2>&1 &
server_pid=$!

port=
for _ in $(seq 600); do
  port=$(sed -n 's/.*listening on http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$tmp/server.log")
  [ -n "$port" ] && break
  if ! kill -0 "$server_pid" 2>/dev/null; then
    cat "$tmp/server.log" >&2
    exit 1
  fi
  sleep 0.1
done
[ -n "$port" ] || { echo "dispatchd did not start" >&2; cat "$tmp/server.log" >&2; exit 1; }
url=http://127.0.0.1:$port

token=$(curl -sf "$url/api/v1/auth/token" -H 'Content-Type: application/json' \
  -d '{"username":"admin","password":"bench-admin-password"}' |
  sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')
pg="host=$tmp/data/postgresql/run port=5432 dbname=dispatch user=dispatch"
sql() {
  psql -X -q -At -v ON_ERROR_STOP=1 "$pg" -c "$1"
}
now() {
  date +%s.%N
}
# Arithmetic on decimals.
calc() {
  awk "BEGIN { printf \"%.6f\", ($1) }"
}

echo "bench-ingest: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 |
  sed 's/^ *//'), $(sql 'SHOW server_version'), build $builddir"

if [ "$trail" = 1 ]; then
  # History of n_drivers drivers, a point every 2 s each, the newest now, in
  # arrival order (time-major: each driver's points spread over the heap as
  # in production), received_at = recorded_at (retention sees them as old).
  # First a tenth of the drivers (a table of a tenth of the points: the
  # reference), then the others.
  "$generator" create-drivers "$port" "$token" "$n_drivers" > "$tmp/drivers"
  per_driver=$((trail_points / n_drivers))
  small=$((n_drivers / 10))
  load() {
    psql -X -q -v ON_ERROR_STOP=1 "$pg" -c "COPY (
        SELECT d.id, now() - g * interval '2 s', 52.4 + random() * 0.25,
               13.2 + random() * 0.4, random() * 359, random() * 15, 5, now() - g * interval '2 s'
        FROM generate_series($per_driver - 1, 0, -1) g, dispatch.drivers d
        WHERE substring(d.name FROM 7)::int $1 $small) TO STDOUT" |
      psql -X -q -v ON_ERROR_STOP=1 "$pg" -c \
        "COPY dispatch.driver_locations (driver_id, recorded_at, lat, lon, heading, speed_mps,
                                         accuracy_m, received_at) FROM STDIN"
    sql 'VACUUM ANALYZE dispatch.driver_locations' > /dev/null
  }
  # GET trail (the last hour: the newest 500 points) of 200 drivers of a group.
  time_trails() {
    : > "$tmp/trail.ms"
    shuf -n 200 "$1" | while read -r id; do
      curl -sf -o /dev/null -w '%{time_total}\n' -H "Authorization: Bearer $token" \
        "$url/api/v1/drivers/$id/trail" >> "$tmp/trail.ms"
    done
    sort -n "$tmp/trail.ms" | awk '{ v[NR] = $1 * 1000 }
      END { printf "%.2f %.2f", v[int(NR * 0.5 + 0.999)], v[int(NR * 0.99 + 0.999)] }'
  }
  head -n "$small" "$tmp/drivers" > "$tmp/small"
  tail -n +"$((small + 1))" "$tmp/drivers" > "$tmp/large"

  load '<'
  small_rows=$(sql 'SELECT count(*) FROM dispatch.driver_locations')
  small_times=$(time_trails "$tmp/small")
  start=$(now)
  load '>='
  end=$(now)
  rows=$(sql 'SELECT count(*) FROM dispatch.driver_locations')
  size=$(sql "SELECT pg_size_pretty(pg_total_relation_size('dispatch.driver_locations'))")
  large_times=$(time_trails "$tmp/large")

  id=$(head -n 1 "$tmp/large")
  n_trail=$(curl -sf -H "Authorization: Bearer $token" "$url/api/v1/drivers/$id/trail" |
    grep -o '"recorded_at"' | wc -l)
  plan=$(sql "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF, SUMMARY OFF)
              SELECT * FROM dispatch.driver_locations l
              WHERE l.driver_id = '$id' AND l.recorded_at BETWEEN now() - interval '1 hour'
                                                             AND 'infinity'
              ORDER BY l.recorded_at DESC, l.received_at DESC LIMIT 500" |
         grep -E 'Index|Limit|Sort' | sed 's/^ *//; s/  */ /g' | paste -sd ';' -)
  purge_start=$(now)
  purged=$(sql "SELECT dispatch.purge_driver_locations(now() - interval '2 hours', 10000)")
  purge_end=$(now)

  echo "$small_times $large_times" |
    awk -v rows="$rows" -v small_rows="$small_rows" -v size="$size" -v n="$n_trail" \
        -v s="$(calc "$end - $start")" -v purged="$purged" \
        -v ps="$(calc "$purge_end - $purge_start")" '{
    printf "\n| GET /drivers/{id}/trail (last hour, %d points), through dispatchd | p50 | p99 |\n",
      n
    printf "|---|---|---|\n"
    printf "| %d history points (%s; the last %d loaded by COPY in %.1f s) | %.2f ms | %.2f ms |\n",
      rows, size, rows - small_rows, s, $3, $4
    printf "| reference: %d history points, same trails | %.2f ms | %.2f ms |\n",
      small_rows, $1, $2
    printf "| ratio | %.2f | %.2f |\n", $3 / $1, $4 / $2
    printf "\nRetention: one purge statement deleted %d points in %.0f ms (BRIN on received_at).\n",
      purged, ps * 1000
  }'
  echo "Trail plan: $plan"
  exit 0
fi

"$generator" create-drivers "$port" "$token" "$n_drivers" > "$tmp/drivers"
sql 'CHECKPOINT'
before=$(sql 'SELECT count(*) FROM dispatch.driver_locations')
result=$("$generator" run "$port" "$token" "$tmp/drivers" --connections "$connections" \
  --batch "$batch" --duration "$duration" | tail -n 1)
after=$(sql 'SELECT count(*) FROM dispatch.driver_locations')
field() {
  echo "$result" | tr ' ' '\n' | sed -n "s/^$1=//p"
}
seconds=$(field seconds)
acked=$(field points)

# The reference: the same rows, COPY'd into the same (emptied) table and
# indexes; twice, the faster counts (a conservative ceiling on a busy machine).
sql "\\copy (SELECT driver_id, recorded_at, lat, lon, heading, speed_mps, accuracy_m
             FROM dispatch.driver_locations) TO '$tmp/rows.tsv'"
copy_rate=0
for _ in 1 2; do
  sql 'TRUNCATE dispatch.driver_locations'
  sql 'CHECKPOINT'
  start=$(now)
  sql "\\copy dispatch.driver_locations $columns FROM '$tmp/rows.tsv'"
  end=$(now)
  copied=$(sql 'SELECT count(*) FROM dispatch.driver_locations')
  rate=$(calc "$copied / ($end - $start)")
  copy_rate=$(calc "$rate > $copy_rate ? $rate : $copy_rate")
done

awk -v persisted="$((after - before))" -v acked="$acked" -v s="$seconds" -v copied="$copied" \
    -v copy_rate="$copy_rate" -v p50="$(field p50_ms)" -v p99="$(field p99_ms)" \
    -v refused="$(field refused)" -v c="$connections" -v b="$batch" 'BEGIN {
  rate = persisted / s
  printf "\n| P1 location ingest, persisted | points/s | note |\n|---|---|---|\n"
  printf "| dispatchd, POST batches of %d, %d connections, %.0f s | %.0f |", b, c, s, rate
  printf " %d acknowledged, %d persisted, %d refused (503); request p50 %.1f ms, p99 %.1f ms |\n",
    acked, persisted, refused, p50, p99
  printf "| COPY of the same %d rows into the same table and indexes | %.0f |", copied, copy_rate
  printf " psql \\copy, text format, best of 2 |\n"
  printf "| ratio (target >= 0.8) | %.2f | |\n", rate / copy_rate
  printf "P1\tlocation points ingested and persisted, POST batches of %d, %d connections\t" \
    "%.0f points/s\tCOPY of the same rows into the same table and indexes\t%.0f rows/s\t" \
    "%.2f\t≥ 0.8×\t%s\n", b, c, rate, copy_rate, rate / copy_rate,
    (rate / copy_rate >= 0.8 ? "met" : "not met") > "/dev/fd/3"
  printf "-\tlocation POST latency p50 / p99 during that load\t%.1f / %.1f ms\t-\t-\t-\t-\t-\n",
    p50, p99 > "/dev/fd/3"
  printf "note\tingest: %d points acknowledged, %d persisted, %d refused (503)\n",
    acked, persisted, refused > "/dev/fd/3"
  if (persisted < acked) {
    printf "ERROR: %d points acknowledged but only %d persisted\n", acked, persisted
    exit 1
  }
}'

if [ "$soak" -gt 0 ]; then
  rate=$(awk "BEGIN { printf \"%.0f\", $copy_rate / 4 }")
  sql 'TRUNCATE dispatch.driver_locations'
  echo
  echo "Soak: $soak s at $rate points/s (half the P1 target of 0.5 x COPY), RSS of dispatchd:"
  "$generator" run "$port" "$token" "$tmp/drivers" --connections "$connections" \
    --batch "$batch" --duration "$soak" --rate "$rate" > "$tmp/soak.txt" &
  generator_pid=$!
  : > "$tmp/rss"
  elapsed=0
  while kill -0 "$generator_pid" 2>/dev/null; do
    echo "$elapsed $(ps -o rss= -p "$server_pid")" >> "$tmp/rss"
    sleep 10
    elapsed=$((elapsed + 10))
  done
  wait "$generator_pid"
  soak_result=$(tail -n 1 "$tmp/soak.txt")
  echo "$soak_result"
  # The first minute is warm-up (buffers, caches, connections growing to size).
  awk 'NR == 1 || $1 % 60 == 0 { printf "  t=%4d s  RSS %6.1f MB\n", $1, $2 / 1024 }
       $1 >= 60 { if (min == "" || $2 < min) min = $2; if ($2 > max) max = $2; last = $2
                  if (first == "") first = $2 }
       END { printf "\n| soak, RSS after the first minute | MB |\n|---|---|\n"
             printf "| first / min / max / last | %.1f / %.1f / %.1f / %.1f |\n",
               first / 1024, min / 1024, max / 1024, last / 1024
             printf "| spread (max - min) / min (target <= 10%%) | %.1f%% |\n",
               (max - min) * 100 / min }' "$tmp/rss"
fi
