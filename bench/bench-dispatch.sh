#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The dispatch benchmark (bench/README.md has the conventions):
#  (a) the assignment solvers against SciPy on random city instances
#      (TARGETS P6, P7): bench/bench-solver.sh. Left out with BENCH_QUICK=1,
#      as run-all.sh runs bench-solver.sh on its own.
#  (b) the engine's matching (immediate when clearly best, exact batch rounds)
#      against greedy nearest-driver on simulated city workloads, the same
#      orders and drivers for both (TARGETS P8): bench-dispatch-city; and
#      several orders per trip (up to TRIP_MAX, default 3) against
#      single-order matching on the same traces (issue 12, docs/trips.md).
# Builds nothing: point it at a build directory configured with
# -Dserver=true, preferably -Dbuildtype=release.
#
# Usage: bench/bench-dispatch.sh [BUILDDIR]      (default ./build)
# Environment: SEEDS     traces per city scenario, default 8
#              DRIVERS   drivers in the city, default 150
#              INTERVAL  seconds between the engine's batch rounds, default 5
#              TRIP_MAX  orders per trip of the batching rows, default 3
#              and those of bench/bench-solver.sh for part (a)
# Tables go to stderr; result lines (P8: mean and p95 pickup wait per
# scenario, and P6/P7 from part (a)) to stdout.
set -eu

builddir=${1:-./build}
here=$(cd "$(dirname "$0")" && pwd)
city=$builddir/bench/bench-dispatch-city
tab=$(printf '\t')

if [ ! -x "$city" ]; then
  echo "$city not found: configure $builddir with -Dserver=true and build it" >&2
  exit 1
fi

if [ "${BENCH_QUICK:-0}" != 1 ]; then
  echo "== (a) Assignment solvers" >&2
  "$here/bench-solver.sh" "$builddir"
  echo >&2
fi

echo "== (b) Batch matching vs greedy nearest-driver" >&2
out=$(mktemp)
trap 'rm -f "$out"' EXIT INT TERM
"$city" --seeds "${SEEDS:-8}" --drivers "${DRIVERS:-150}" --interval "${INTERVAL:-5}" \
  --trip-max "${TRIP_MAX:-3}" > "$out"
grep -v -e "^result$tab" -e "^trips$tab" "$out" >&2

awk -F'\t' -v drivers="${DRIVERS:-150}" -v trip_max="${TRIP_MAX:-3}" '
$1 == "result" {
  n = split($3, segments, ",")
  profile = ""
  for (i = 1; i <= n; i++) {
    split(segments[i], hr, ":")
    profile = profile (i > 1 ? ", then " : "") hr[2] " orders/h for " hr[1] " h"
  }
  load = sprintf("%s (%s; %d drivers)", $2, profile, drivers)
  ratio = $5 / $4
  printf "P8\tmean pickup wait, city %s, engine\t%.0f s\tgreedy nearest-driver, same trace\t%.0f s\t%.2f\t≤ 0.80×\t%s\n",
         load, $5, $4, ratio, ratio <= 0.8 ? "met" : "not met"
  ratio = $7 / $6
  printf "P8\tp95 pickup wait, city %s, engine\t%.0f s\tgreedy nearest-driver, same trace\t%.0f s\t%.2f\t≤ 1.00×\t%s\n",
         load, $7, $6, ratio, ratio <= 1.0 ? "met" : "not met"
}
$1 == "trips" {
  load = sprintf("%s (%d drivers), up to %d orders per trip", $2, drivers, trip_max)
  printf "P8\tmean time to delivery, city %s\t%.0f s\tsingle-order matching, same trace\t%.0f s\t%.2f\t-\t-\n",
         load, $4, $3, $4 / $3
  printf "P8\tp95 time to delivery, city %s\t%.0f s\tsingle-order matching, same trace\t%.0f s\t%.2f\t-\t-\n",
         load, $6, $5, $6 / $5
  printf "P8\tdriver-hours per delivered order, city %s\t%.3f h\tsingle-order matching, same trace\t%.3f h\t%.2f\t-\t-\n",
         load, $8, $7, $8 / $7
}' "$out"
echo "note${tab}P8: greedy nearest-driver is near-optimal while drivers are plentiful (quiet, steady: parity); batch matching pays off once demand catches up with supply (rush, saturated). Several orders per trip: the route-following drivers of bench-dispatch-city.c, matched in rounds with the engine's route cost (dsd_route_insertion_cost) and the 600 s delay bound, against the same code with one order per driver; driver-hours count the time a driver holds at least one order. Simulated with the engine's own cost and matching code (bench/bench-dispatch-city.c)."
