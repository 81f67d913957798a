#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Reports (TARGETS P15): ORDERS orders (1,000,000) over the 30 days of
# April 2025 in 8 zones and unzoned, 200 drivers online 8 hours a day,
# generated in SQL (generate_series) straight into the database of a
# zero-config dispatchd (the summary triggers off during the load, then the
# summary rebuilt as migration 0240 does; its time is reported on stderr).
# Timed: GET /api/v1/reports/figures for the 30 days by day and zone, beside
# the bare SQL aggregate of the same order figures by day and zone (counts,
# on time, p50/p90 over the same rows, through psql) as the reference; best
# of ROUNDS runs each.
#
# Usage: bench/bench-reports.sh [BUILDDIR]
# Environment: ORDERS (1000000), ROUNDS (3; 2 with BENCH_QUICK=1)
# Results on stdout as bench/README.md describes; progress on stderr.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
. "$here/bench-lib.sh"

builddir=${1:-./build}
orders=${ORDERS:-1000000}
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

echo "bench-reports: generating $orders orders over 30 days" >&2
started=$(date +%s)
psql -X -q -v ON_ERROR_STOP=1 "$BENCH_PG" <<SQL
ALTER TABLE dispatch.orders DISABLE TRIGGER USER;
ALTER TABLE dispatch.driver_sessions DISABLE TRIGGER USER;
INSERT INTO dispatch.zones (id, name, geometry, min_lat, min_lon, max_lat, max_lon)
SELECT ('00000000-0000-4000-8000-0000000020' || lpad(to_hex(z), 2, '0'))::uuid, 'zone ' || z,
       '{}', 0, 0, 0, 0
FROM generate_series(1, 8) z;
INSERT INTO dispatch.drivers (id, name)
SELECT ('00000000-0000-4000-8000-' || lpad(to_hex(d), 12, '0'))::uuid, 'driver ' || d
FROM generate_series(1, 200) d;
INSERT INTO dispatch.driver_sessions (driver_id, online_from, online_until)
SELECT ('00000000-0000-4000-8000-' || lpad(to_hex(d), 12, '0'))::uuid,
       day + (d % 12) * interval '1 hour', day + (d % 12 + 8) * interval '1 hour'
FROM generate_series(1, 200) d,
     generate_series('2025-04-01'::timestamptz, '2025-04-30', interval '1 day') day;
-- Order i: created evenly over the 30 days, in zone i % 9 (0: unzoned); assigned 30-330 s later to driver
-- i % 200 + 1; picked up 2-12 min after; delivered (88 %) 10-40 min after,
-- failed (4 %), cancelled (8 %, after 6 min, half before assignment); promised 25-45 min
-- after assignment.
INSERT INTO dispatch.orders (tracking_token, pickup_lat, pickup_lon, dropoff_lat, dropoff_lon,
                             status, driver_id, zone_id, created_at, assigned_at,
                             picked_up_at, closed_at, promised_at)
SELECT 'bench' || i, 52.5, 13.4, 52.52, 13.41,
       CASE WHEN i % 25 = 0 THEN 'failed' WHEN i % 12 = 0 THEN 'cancelled' ELSE 'delivered' END,
       CASE WHEN i % 24 <> 0 THEN ('00000000-0000-4000-8000-' || lpad(to_hex(i % 200 + 1), 12,
                                                                   '0'))::uuid END,
       CASE WHEN i % 9 <> 0 THEN ('00000000-0000-4000-8000-0000000020'
                                  || lpad(to_hex(i % 9), 2, '0'))::uuid END,
       c,
       CASE WHEN i % 24 <> 0 THEN c + (30 + i % 300) * interval '1 s' END,
       CASE WHEN i % 12 <> 0 THEN c + (150 + i % 900) * interval '1 s' END,
       CASE WHEN i % 12 <> 0 THEN c + (750 + i % 2700) * interval '1 s'
            ELSE c + interval '6 min' END,
       CASE WHEN i % 24 <> 0 THEN c + (1500 + i % 1200) * interval '1 s' END
FROM (SELECT i, '2025-04-01'::timestamptz + (i - 1) * (interval '30 days' / $orders) AS c
      FROM generate_series(1, $orders) i) g;
ALTER TABLE dispatch.orders ENABLE TRIGGER USER;
ALTER TABLE dispatch.driver_sessions ENABLE TRIGGER USER;
SQL
echo "bench-reports: generated in $(($(date +%s) - started)) s" >&2
started=$(date +%s)
psql -X -q -v ON_ERROR_STOP=1 -c 'SELECT dispatch.report_summary_rebuild()' \
  -c 'ANALYZE dispatch.orders' -c 'ANALYZE dispatch.driver_sessions' \
  -c 'ANALYZE dispatch.report_summary' "$BENCH_PG" > /dev/null
echo "bench-reports: summary rebuilt in $(($(date +%s) - started)) s" >&2

from=2025-04-01T00:00:00Z
to=2025-05-01T00:00:00Z
url="$BENCH_URL/api/v1/reports/figures?from=$from&to=$to&group_by=day,zone"

# The same order figures, bare: one GROUP BY over the same rows.
cat > "$tmp/bare.sql" <<SQL
\\timing on
SELECT date_trunc('day', created_at, 'UTC') AS day, zone_id, count(*),
       count(*) FILTER (WHERE status = 'delivered'), count(*) FILTER (WHERE status = 'failed'),
       count(*) FILTER (WHERE status = 'cancelled'),
       count(*) FILTER (WHERE status = 'delivered'
                        AND closed_at <= coalesce(deliver_before, promised_at)),
       percentile_cont(ARRAY[0.5, 0.9])
         WITHIN GROUP (ORDER BY date_part('epoch', assigned_at - created_at)),
       percentile_cont(ARRAY[0.5, 0.9])
         WITHIN GROUP (ORDER BY date_part('epoch', picked_up_at - assigned_at)),
       percentile_cont(ARRAY[0.5, 0.9])
         WITHIN GROUP (ORDER BY date_part('epoch', closed_at - picked_up_at)),
       percentile_cont(ARRAY[0.5, 0.9])
         WITHIN GROUP (ORDER BY date_part('epoch', closed_at - promised_at))
FROM dispatch.orders
WHERE created_at >= '$from' AND created_at < '$to'
GROUP BY 1, 2;
SQL

best_endpoint=
best_bare=
for round in $(seq "$rounds"); do
  code=$(curl -s -o "$tmp/report.json" -w '%{http_code} %{time_total}' \
         -H "Authorization: Bearer $token" "$url")
  seconds=${code#* }
  if [ "${code%% *}" != 200 ]; then
    echo "bench-reports: the endpoint answered ${code%% *}:" >&2
    cat "$tmp/report.json" >&2
    exit 1
  fi
  ms=$(awk -v s="$seconds" 'BEGIN { printf "%.0f", s * 1000 }')
  bare=$(PGOPTIONS='-c jit=off' psql -X -q -f "$tmp/bare.sql" "$BENCH_PG" |
         sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | tail -n 1)
  bare=$(awk -v s="$bare" 'BEGIN { printf "%.0f", s }')
  echo "== round $round: endpoint $ms ms, bare aggregate $bare ms" >&2
  [ -z "$best_endpoint" ] || [ "$ms" -lt "$best_endpoint" ] && best_endpoint=$ms
  [ -z "$best_bare" ] || [ "$bare" -lt "$best_bare" ] && best_bare=$bare
done

rows=$(grep -o '"bucket"' "$tmp/report.json" | wc -l)
[ "$rows" -eq 270 ] || { echo "bench-reports: $rows rows, expected 270" >&2; exit 1; }
ratio=$(bench_ratio "$best_endpoint" "$best_bare")
printf 'P15\treport of 30 days by day and zone, %s orders (GET /api/v1/reports/figures)' \
  "$orders"
printf '\t%s ms\tbare SQL aggregate of the order figures\t%s ms\t%s\t≤ 0.2 s\t%s\n' \
  "$best_endpoint" "$best_bare" "$ratio" \
  "$(awk -v ms="$best_endpoint" 'BEGIN { print (ms <= 200) ? "met" : "not met" }')"
