#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Zero-config start to ready (TARGETS P11): dispatchd with an empty data
# directory (it runs initdb, starts its PostgreSQL and applies the
# migrations) until GET /readyz answers 200, then stopped and started again on
# the same directory. Best of ROUNDS runs of each (polled every 50 ms; the
# figure includes up to that much).
#
# Usage: bench/bench-startup.sh [BUILDDIR]
# Environment: ROUNDS (2; 1 with BENCH_QUICK=1)
# Results on stdout as bench/README.md describes; progress on stderr.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
. "$here/bench-lib.sh"

builddir=${1:-./build}
if [ "${BENCH_QUICK:-0}" = 1 ]; then
  rounds=${ROUNDS:-1}
else
  rounds=${ROUNDS:-2}
fi

bench_require_package curl

bench_prepare "$builddir"

now_ms () {
  echo $(($(date +%s%N) / 1000000))
}

# ready_ms DATADIR: starts dispatchd on DATADIR, sets ms to the milliseconds
# until /readyz answered 200 (at most 60 s) and leaves it running. Not called
# in a subshell: bench_stop_dispatchd must see the server it started.
ready_ms () {
  _start=$(now_ms)
  bench_start_dispatchd "$builddir" "$1"
  _deadline=$((_start + 60000))
  until curl -sf -o /dev/null "$BENCH_URL/readyz"; do
    if [ "$(now_ms)" -gt "$_deadline" ]; then
      echo "bench-startup: not ready after 60 s" >&2
      exit 1
    fi
    sleep 0.05
  done
  ms=$(($(now_ms) - _start))
}

first=
later=
for round in $(seq "$rounds"); do
  data=$tmp/data-$round
  ready_ms "$data"
  echo "== round $round: first start (initdb) ready in $ms ms" >&2
  [ -z "$first" ] || [ "$ms" -lt "$first" ] && first=$ms
  bench_stop_dispatchd
  ready_ms "$data"
  echo "== round $round: later start ready in $ms ms" >&2
  [ -z "$later" ] || [ "$ms" -lt "$later" ] && later=$ms
  bench_stop_dispatchd
done

seconds () {
  awk -v ms="$1" 'BEGIN { printf "%.2f", ms / 1000 }'
}
verdict () {
  awk -v ms="$1" -v limit="$2" 'BEGIN { print (ms <= limit * 1000) ? "met" : "not met" }'
}

printf 'P11\tzero-config start to /readyz 200, first run (initdb, migrations)\t%s s\t-\t-\t-\t≤ 10 s\t%s\n' \
  "$(seconds "$first")" "$(verdict "$first" 10)"
printf 'P11\tzero-config start to /readyz 200, later runs\t%s s\t-\t-\t-\t≤ 2 s\t%s\n' \
  "$(seconds "$later")" "$(verdict "$later" 2)"
