#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# History for replay on a busy hour: DRIVERS drivers (500) each reporting
# once a second (1,800,000 positions) and ORDERS orders (3000) created,
# assigned, picked up and delivered in the hour (four events each),
# generated in SQL straight into the database of a zero-config dispatchd.
# Timed: GET /api/v1/history for the hour with step_s=10 (one position per
# driver per 10 s), to its last byte, beside the bare SQL that reads the
# same positions downsampled and the same events (through psql, output
# discarded) as the reference; best of ROUNDS runs each. The ratio is what
# the endpoint (orders open at the start, change detection, scoping, keyset
# pages of 2000 frames, JSON, HTTP) costs over the plain reads.
#
# Usage: bench/bench-history.sh [BUILDDIR]
# Environment: DRIVERS (500), ORDERS (3000), ROUNDS (3; 2 with BENCH_QUICK=1)
# Results on stdout as bench/README.md describes; progress on stderr.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
. "$here/bench-lib.sh"

builddir=${1:-./build}
drivers=${DRIVERS:-500}
orders=${ORDERS:-3000}
if [ "${BENCH_QUICK:-0}" = 1 ]; then
  rounds=${ROUNDS:-2}
else
  rounds=${ROUNDS:-3}
fi

bench_require_package curl

bench_prepare "$builddir"

bench_start_dispatchd "$builddir" "$tmp/data"
token=$(bench_admin_token)
[ -n "$token" ] || { echo "no admin token" >&2; exit 1; }

from=2025-06-02T09:00:00Z
to=2025-06-02T10:00:00Z

echo "bench-history: generating $drivers drivers' hour and $orders orders" >&2
started=$(date +%s)
psql -X -q -v ON_ERROR_STOP=1 "$BENCH_PG" <<SQL
INSERT INTO dispatch.drivers (id, name)
SELECT ('00000000-0000-4000-8000-' || lpad(to_hex(d), 12, '0'))::uuid, 'driver ' || d
FROM generate_series(1, $drivers) d;
INSERT INTO dispatch.driver_locations (driver_id, recorded_at, lat, lon)
SELECT ('00000000-0000-4000-8000-' || lpad(to_hex(d), 12, '0'))::uuid,
       '$from'::timestamptz + s * interval '1 s',
       52.4 + (d % 100) * 0.002 + s * 0.00001, 13.3 + (d / 100) * 0.02 + s * 0.00001
FROM generate_series(1, $drivers) d, generate_series(0, 3599) s;
-- Order i: created at i * 3600 / ORDERS s into the hour, assigned 30 s,
-- picked up 5 min, delivered 20 min later (those past the hour too).
INSERT INTO dispatch.orders (id, tracking_token, pickup_lat, pickup_lon, dropoff_lat,
                             dropoff_lon, status, driver_id, created_at, closed_at)
SELECT ('00000000-0000-4000-9000-' || lpad(to_hex(i), 12, '0'))::uuid, 'bench' || i,
       52.5, 13.4, 52.52, 13.41, 'delivered',
       ('00000000-0000-4000-8000-' || lpad(to_hex(i % $drivers + 1), 12, '0'))::uuid,
       '$from'::timestamptz + i * (interval '1 hour' / $orders),
       '$from'::timestamptz + i * (interval '1 hour' / $orders) + interval '20 min'
FROM generate_series(1, $orders) i;
INSERT INTO dispatch.outbox (type, order_id, actor, occurred_at, data)
SELECT CASE e WHEN 0 THEN 'order.created' ELSE 'order.updated' END, o.id, 'system',
       o.created_at + (ARRAY[0, 30, 300, 1200])[e + 1] * interval '1 s',
       dispatch.order_json(o) || jsonb_build_object(
         'status', (ARRAY['pending', 'assigned', 'picked_up', 'delivered'])[e + 1],
         'driver_id', CASE WHEN e > 0 THEN o.driver_id END)
FROM dispatch.orders o, generate_series(0, 3) e
WHERE o.tracking_token LIKE 'bench%'
ORDER BY 4;
ANALYZE dispatch.driver_locations;
ANALYZE dispatch.outbox;
ANALYZE dispatch.orders;
SQL
echo "bench-history: generated in $(($(date +%s) - started)) s" >&2

url="$BENCH_URL/api/v1/history?from=$from&to=$to&step_s=10"

# The same rows, bare: the positions downsampled, the events of the hour.
cat > "$tmp/bare.sql" <<SQL
\\timing on
\\o /dev/null
SELECT DISTINCT ON (driver_id, floor(extract(epoch FROM recorded_at) / 10))
       driver_id, recorded_at, lat, lon
FROM dispatch.driver_locations
WHERE recorded_at >= '$from' AND recorded_at < '$to'
ORDER BY driver_id, floor(extract(epoch FROM recorded_at) / 10), recorded_at DESC;
SELECT id, occurred_at, data FROM dispatch.outbox
WHERE occurred_at >= '$from' AND occurred_at < '$to' AND order_id IS NOT NULL
ORDER BY occurred_at, id;
SQL

best_endpoint=
best_bare=
for round in $(seq "$rounds"); do
  # a connection cut midway (an error after the first page) shows below as
  # missing frames
  code=$(curl -s -o "$tmp/history.json" -w '%{http_code} %{time_total}' \
         -H "Authorization: Bearer $token" "$url" || true)
  seconds=${code#* }
  if [ "${code%% *}" != 200 ]; then
    echo "bench-history: the endpoint answered ${code%% *}:" >&2
    head -c 2000 "$tmp/history.json" >&2
    exit 1
  fi
  ms=$(awk -v s="$seconds" 'BEGIN { printf "%.0f", s * 1000 }')
  bare=$(PGOPTIONS='-c jit=off' psql -X -q -f "$tmp/bare.sql" "$BENCH_PG" |
         sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | awk '{ sum += $1 } END { printf "%.0f", sum }')
  echo "== round $round: endpoint $ms ms, bare reads $bare ms" >&2
  [ -z "$best_endpoint" ] || [ "$ms" -lt "$best_endpoint" ] && best_endpoint=$ms
  [ -z "$best_bare" ] || [ "$bare" -lt "$best_bare" ] && best_bare=$bare
done

positions=$(grep -o '"position"' "$tmp/history.json" | wc -l)
order_frames=$(grep -o '"type": "order"' "$tmp/history.json" | wc -l)
echo "bench-history: $positions positions, $order_frames order frames," \
     "$(wc -c < "$tmp/history.json") bytes" >&2
[ "$positions" -eq $((drivers * 360)) ] ||
  { echo "bench-history: $positions positions, expected $((drivers * 360))" >&2; exit 1; }
ratio=$(bench_ratio "$best_endpoint" "$best_bare")
printf 'replay\thistory of a busy hour, %s drivers at 1 point/s, %s orders' "$drivers" "$orders"
printf ' (GET /api/v1/history, step_s=10)\t%s ms\tbare SQL reads of the same positions' \
  "$best_endpoint"
printf ' and events\t%s ms\t%s\t—\t—\n' "$best_bare" "$ratio"
