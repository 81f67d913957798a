#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Single-point location POST (TARGETS P2): POST /api/v1/drivers/{id}/location
# with one point each, a bearer token, validation, the live update and the
# point persisted (a 202 means committed to history), requests/s under wrk,
# beside nginx with one worker serving a small static JSON file under the
# same wrk settings, in the same run. Every 202 is checked against the
# history table afterwards. The wrk settings are the reference's in
# TARGETS.md (-t2 -c64). Beside the figure, the CPU time per request of
# dispatchd and of its PostgreSQL in its best round.
#
# Usage: bench/bench-post.sh [BUILDDIR]
# Environment: DURATION seconds per measurement (15; 8 with BENCH_QUICK=1),
#              CONNECTIONS (64), THREADS (wrk threads, 2), DRIVERS (1000),
#              ROUNDS (2: ours and nginx in turns, best of each kept),
#              DISPATCH_HTTP_THREADS (dispatchd's front threads, its default
#              when unset)
# Results on stdout as bench/README.md describes; progress on stderr.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
. "$here/bench-lib.sh"
exec 3>&1 1>&2

builddir=${1:-./build}
if [ "${BENCH_QUICK:-0}" = 1 ]; then
  duration=${DURATION:-8}
else
  duration=${DURATION:-15}
fi
connections=${CONNECTIONS:-64}
threads=${THREADS:-2}
n_drivers=${DRIVERS:-1000}
rounds=${ROUNDS:-2}

bench_require_package wrk curl nginx-light
bench_prepare "$builddir"
generator=$builddir/bench/bench-ingest

bench_start_dispatchd "$builddir" "$tmp/data"
token=$(bench_admin_token)
port=${BENCH_URL##*:}
"$generator" create-drivers "$port" "$token" "$n_drivers" > "$tmp/drivers"

# One point per request, the drivers in turn, positions spread over a city.
{
  echo "local drivers = {"
  sed 's/.*/"&",/' "$tmp/drivers"
  echo "}"
  cat <<LUA
local n = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $token"
request = function ()
  n = n + 1
  local driver = drivers[(n % #drivers) + 1]
  local body = string.format('{"lat":%.6f,"lon":%.6f,"heading":%.1f,"speed_mps":%.2f}',
    52.4 + math.random() * 0.25, 13.2 + math.random() * 0.4,
    math.random() * 359, math.random() * 15)
  return wrk.format(nil, "/api/v1/drivers/" .. driver .. "/location", nil, body)
end
LUA
} > "$tmp/post.lua"

mkdir -p "$tmp/www"
echo '{"accepted":1}' > "$tmp/www/accepted.json"
bench_start_nginx "$tmp/www"

history_count () {
  psql -X -At -c "SELECT count(*) FROM dispatch.driver_locations" "$BENCH_PG"
}

ours=0 ref=0 accepted=0
for round in $(seq "$rounds"); do
  before=$(history_count)
  echo "round $round: single-point location POST, -t $threads -c $connections, $duration s:"
  cpu_before=$(bench_server_cpu_ticks)
  set -- $(bench_wrk -t "$threads" -c "$connections" -d "${duration}s" -s "$tmp/post.lua" \
    "$BENCH_URL")
  cpu_after=$(bench_server_cpu_ticks)
  if [ "$4" -ne 0 ]; then
    echo "bench-post: $4 requests were not answered 202" >&2
    exit 1
  fi
  # The history writer commits in batches: wait for the last ones to land.
  requests=$(sed -n 's/^ *\([0-9]*\) requests in .*/\1/p' "$tmp/wrk.out")
  deadline=$(($(date +%s) + 30))
  until [ $(($(history_count) - before)) -ge "$requests" ]; do
    if [ "$(date +%s)" -gt "$deadline" ]; then
      echo "bench-post: $requests points answered 202, $(($(history_count) - before))" \
        "in history" >&2
      exit 1
    fi
    sleep 0.2
  done
  accepted=$((accepted + requests))
  if [ "$1" -gt "$ours" ]; then
    ours=$1 ours_p50=$2 ours_p99=$3
    cpu_per_request=$(echo "$cpu_before $cpu_after $requests" |
      awk -v hz="$(getconf CLK_TCK)" '{ if ($5 > 0) printf "%.1f", ($3 - $1) * 1e6 / hz / $5
                                        else printf "-" }')
    pg_cpu_per_request=$(echo "$cpu_before $cpu_after $requests" |
      awk -v hz="$(getconf CLK_TCK)" '{ if ($5 > 0) printf "%.1f", ($4 - $2) * 1e6 / hz / $5
                                        else printf "-" }')
  fi

  echo "round $round: nginx, one worker, GET of a static file, same wrk settings:"
  set -- $(bench_wrk -t "$threads" -c "$connections" -d "${duration}s" \
    "$BENCH_NGINX_URL/accepted.json")
  if [ "$1" -gt "$ref" ]; then ref=$1; fi
done

ratio=$(bench_ratio "$ours" "$ref")
printf 'P2\tsingle-point POST /drivers/{id}/location (token, validation, live update, persisted), -c %s\t%s req/s\tnginx, one worker, static GET, same wrk settings\t%s req/s\t%s\t≥ 0.35×\t%s\n' \
  "$connections" "$ours" "$ref" "$ratio" "$(bench_verdict "$ratio" ge 0.35)" >&3
printf -- '-\tlocation POST latency p50 / p99 during that load\t%s / %s ms\t-\t-\t-\t-\t-\n' \
  "$ours_p50" "$ours_p99" >&3
printf -- '-\tdispatchd CPU time per location POST (%s front threads)\t%s µs\t-\t-\t-\t-\t-\n' \
  "${DISPATCH_HTTP_THREADS:-default}" "$cpu_per_request" >&3
printf -- '-\tPostgreSQL CPU time per location POST (all its processes)\t%s µs\t-\t-\t-\t-\t-\n' \
  "$pg_cpu_per_request" >&3
printf 'note\tpost: %s points answered 202 in %s rounds, every one found in the history table\n' \
  "$accepted" "$rounds" >&3
