#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Server memory under abuse (TARGETS R6, issue 16): dispatchd's RSS before,
# at the peak and after a websocket ping flood, 200 slowloris connections and
# 10,000 idle keep-alive connections (bench/abuse-load.py), with the started,
# idle server as the reference. Default settings, except an idle timeout long
# enough to hold the idle connections (DISPATCH_HTTP_IDLE_TIMEOUT_S=900).
#
# Usage: bench/bench-abuse.sh [BUILDDIR]
# Environment: FLOOD_S (10), SLOW_CONNS (200), SLOW_S (40), IDLE_CONNS (10000);
# BENCH_QUICK=1: FLOOD_S=5, IDLE_CONNS=2000.
# Results on stdout as bench/README.md describes; progress on stderr.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
. "$here/bench-lib.sh"

builddir=${1:-./build}
if [ "${BENCH_QUICK:-0}" = 1 ]; then
  FLOOD_S=${FLOOD_S:-5}
  IDLE_CONNS=${IDLE_CONNS:-2000}
  export FLOOD_S IDLE_CONNS
fi

bench_require_package curl python3

bench_prepare "$builddir"

bench_start_dispatchd "$builddir" "$tmp/data" DISPATCH_HTTP_IDLE_TIMEOUT_S=900
until curl -sf -o /dev/null "$BENCH_URL/readyz"; do sleep 0.1; done
token=$(bench_admin_token)
hostport=${BENCH_URL#http://}
idle_kb=$(awk '/^VmRSS:/ { print $2 }' "/proc/$BENCH_SERVER_PID/status")
echo "dispatchd started, idle: RSS $idle_kb kB" >&2

python3 "$here/abuse-load.py" "$BENCH_SERVER_PID" "${hostport%:*}" "${hostport##*:}" \
  "$token" > "$tmp/loads"

mb () {
  awk -v kb="$1" 'BEGIN { printf "%.1f MB", kb / 1024 }'
}

{
  printf "%-11s %-62s %10s %10s %10s\n" load detail "before" peak after
  while IFS="$(printf '\t')" read -r load detail before peak after; do
    printf "%-11s %-62s %10s %10s %10s\n" "$load" "$detail" "$(mb "$before")" \
      "$(mb "$peak")" "$(mb "$after")"
  done < "$tmp/loads"
} >&2

while IFS="$(printf '\t')" read -r load detail before peak after; do
  printf "R6\tserver RSS peak, %s: %s\t%s\tstarted, idle server\t%s\t%s\t-\t-\n" \
    "$load" "$detail" "$(mb "$peak")" "$(mb "$idle_kb")" "$(bench_ratio "$peak" "$idle_kb")"
  printf "note\t%s: RSS %s before, %s after\n" "$load" "$(mb "$before")" "$(mb "$after")"
done < "$tmp/loads"
