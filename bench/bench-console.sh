#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Console frame time (TARGETS P9): the real dispatch-console under Xvfb,
# signed in to a real dispatchd (zero-config, temporary directory, free
# loopback port) while bench-console-feed moves 10,000 and then 20,000
# drivers once per second through the API (POST /drivers/{id}/location with
# the admin's token), all inside the console's map view. The console reports
# its frames from the GdkFrameClock (DISPATCH_CONSOLE_FRAME_STATS): painted
# frames only; wall time from the start of a frame's update phase to the end
# of its paint, and the CPU time of all its threads in that span (software
# GL rasterizes on threads of its own). Each run measures one window of
# DURATION seconds once the console is signed in, holds the whole fleet and
# the fleet has been moving for 2 s. The console runs as users run it: it
# chooses its renderer itself (GTK's cairo renderer on software OpenGL, as
# under Xvfb; see console/dc-renderer.h), unless RENDERERS names them.
#
# Usage: bench/bench-console.sh [BUILDDIR]  (configured with the server and the console)
# Environment: SIZES       fleets, default "10000 20000"
#              RENDERERS   GSK renderers, default "auto" (the console's own choice,
#                          the one P9 is judged on); "auto gl" compares with
#                          GTK's GL renderer on Mesa's llvmpipe
#              DURATION    measured seconds per run, default 15
#              CONNECTIONS requests the feeder keeps in flight, default 128
set -eu

builddir=${1:-./build}
sizes=${SIZES:-10000 20000}
renderers=${RENDERERS:-auto}
seconds=${DURATION:-15}
connections=${CONNECTIONS:-128}
here=$(cd "$(dirname "$0")" && pwd)
console=$builddir/console/dispatch-console
feeder=$builddir/bench/bench-console-feed
tab=$(printf '\t')

. "$here/bench-lib.sh"

for program in "$builddir/server/dispatchd" "$console" "$feeder"; do
  if [ ! -x "$program" ]; then
    echo "$program not found: configure $builddir with the server and the console and build it" >&2
    exit 1
  fi
done
bench_require_package xvfb xauth

tmp=$(mktemp -d)
cleanup () {
  bench_stop_dispatchd
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

bench_start_dispatchd "$builddir" "$tmp/data"
echo "bench-console: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 |
  sed 's/^ *//'), dispatchd at $BENCH_URL, load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2

# field KEY JSON-LINE → the number after "KEY": (the first one)
field () {
  echo "$2" | sed -n "s/.*\"$1\":\([0-9.]*\).*/\1/p"
}

# stat SUMMARY PERCENTILE JSON-LINE → e.g. stat work_ms p95 LINE
stat () {
  echo "$3" | sed -n "s/.*\"$1\":{[^}]*\"$2\":\([0-9.]*\).*/\1/p"
}

# run SIZE RENDERER: one console run; sets line (the measured frame_stats), feed and
# chosen (the renderer: RENDERER, or for auto the console's choice).
# The fleet starts moving once the console holds its snapshot: a server still
# building a snapshot of 20,000 drivers holds the events meanwhile, and under
# a full feed closes the socket (1013) before the snapshot is out. The frame
# report measured is the first whose window starts 2 s into the feed.
run () {
  _size=$1
  _renderer=$2
  _runtime=$((3 * seconds + 5))
  _started=$(date +%s)

  # The map view's default centre and zoom (Berlin, 12) frame the feeder's
  # default area; the window is the console's default 1280×800.
  _choice=
  [ "$_renderer" = auto ] || _choice="GSK_RENDERER=$_renderer"
  env $_choice DISPATCH_CONSOLE_FRAME_STATS="$seconds" \
    DISPATCH_CONSOLE_PASSWORD="$BENCH_ADMIN_PASSWORD" G_MESSAGES_DEBUG=dispatch-console \
    GSETTINGS_BACKEND=memory GSETTINGS_SCHEMA_DIR="$builddir/data" GTK_A11Y=none \
    NO_AT_BRIDGE=1 GIO_USE_PROXY_RESOLVER=dummy \
    xvfb-run -a -s '-screen 0 1600x1000x24' \
    timeout -s INT "$_runtime" "$console" --server "$BENCH_URL" --username admin \
    > "$tmp/console.out" 2> "$tmp/console.err" &
  _console_pid=$!

  # (GLib logs debug messages on stdout)
  _snapshot=
  while [ -z "$_snapshot" ] && kill -0 "$_console_pid" 2>/dev/null; do
    sleep 0.2
    _snapshot=$(cat "$tmp/console.out" "$tmp/console.err" |
      sed -n 's/.*stream: snapshot at seq [0-9]*, [0-9]* orders, \([0-9]*\) drivers.*/\1/p' |
      head -n 1)
  done
  _feed_at=$(($(date +%s) - _started))
  _window=$(((_feed_at + 2 + seconds - 1) / seconds + 1))

  "$feeder" --url "$BENCH_URL" --password "$BENCH_ADMIN_PASSWORD" --ids "$tmp/ids" \
    --drivers "$_size" --seconds $((_runtime - _feed_at + 1)) --connections "$connections" \
    > "$tmp/feed.out" 2>> "$tmp/feed.err" &
  _feeder_pid=$!
  wait "$_console_pid" || true
  wait "$_feeder_pid"

  feed=$(cat "$tmp/feed.out")
  chosen=$_renderer
  if [ "$_renderer" = auto ]; then
    chosen="auto: gl"
    grep -q 'the cairo renderer' "$tmp/console.out" "$tmp/console.err" && chosen="auto: cairo"
  fi
  line=$(grep '"frame_stats"' "$tmp/console.out" | sed -n "${_window}p")
  if [ -z "$line" ] || [ "${_snapshot:-0}" -lt "$_size" ]; then
    echo "bench-console: no snapshot of $_size drivers, or no report $_window:" >&2
    cat "$tmp/console.out" "$tmp/console.err" >&2
    exit 1
  fi
  echo "bench-console: $_size drivers, $chosen, snapshot after ${_feed_at} s," \
    "report $_window: $line" >&2
  echo "bench-console: feeder: $feed" >&2
}

# row FIELD… → one result line (eight tab-separated fields)
row () {
  _line=$1
  shift
  for _field in "$@"; do
    _line="$_line$tab$_field"
  done
  echo "$_line"
}

for size in $sizes; do
  "$feeder" --url "$BENCH_URL" --password "$BENCH_ADMIN_PASSWORD" --ids "$tmp/ids" \
    --drivers "$size" --connections 64 >&2
  goal=20
  [ "$size" -gt 10000 ] && goal=33

  target=P9
  for renderer in $renderers; do
    run "$size" "$renderer"
    p95=$(stat work_ms p95 "$line")
    ratio=$(bench_ratio "$p95" "$goal")
    achieved=$(echo "$feed" | tr ' ' '\n' | sed -n 's/^achieved_per_s=//p')
    # Only the first renderer (the console's own choice by default) is judged.
    if [ "$target" = P9 ]; then
      verdict=$(bench_verdict "$ratio" le 1)
      stated="≤ $goal ms"
    else
      verdict=-
      stated=-
    fi
    row "$target" \
      "console frame time p95, $size drivers on the map, Xvfb 1280×800, renderer $chosen" \
      "$p95 ms" - - "$ratio" "$stated" "$verdict"
    row - "console frames p50 / p99, CPU per frame p50 / p95 ($size drivers, $chosen)" \
      "$(stat work_ms p50 "$line") / $(stat work_ms p99 "$line") ms, CPU $(stat cpu_ms p50 \
      "$line") / $(stat cpu_ms p95 "$line") ms" - - - - -
    row - "console frame's main thread waiting for a CPU / asleep, p50 / p95 ($size \
drivers, $chosen)" \
      "$(stat runq_ms p50 "$line") / $(stat runq_ms p95 "$line") ms, $(stat blocked_ms p50 \
      "$line") / $(stat blocked_ms p95 "$line") ms" - - - - -
    row - "console frames/s and resident memory ($size drivers, $chosen)" \
      "$(field fps "$line")/s, $(($(field rss_kb "$line") / 1024)) MB" - - - - -
    row - "positions the server took meanwhile ($size drivers, $chosen; 1 Hz each asks $size/s)" \
      "$achieved/s" - - - - -
    target=-
  done
done

row note "P9: every driver is drawn in every frame whatever moved, so the frame time \
depends on the fleet shown, not on the update rate; the update rate the server sustains \
here is below 1 Hz per driver (see the rows above). The console composites the markers \
on the CPU (console/dc-marker-canvas.c) and hands the renderer only the rectangles drawn \
into, one image per run of 64-pixel tiles; it redraws at most every 40 ms while positions \
stream in. Under Xvfb, OpenGL is Mesa's llvmpipe, which has no buffer age, so GTK's GL \
renderer would repaint the whole window in every frame; there the console takes GTK's \
cairo renderer (console/dc-renderer.c), which repaints only what changed (the map). \
CPU per frame is the console's own work (all its threads); the wall time also waits for \
dispatchd, PostgreSQL, the feeder and Xvfb on the same $(nproc) CPUs: the row of the \
main thread's waiting shows how much of it was spent ready to run without a CPU (load \
average at the end: $(cut -d' ' -f1-3 /proc/loadavg))."
