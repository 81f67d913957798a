#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Runs every benchmark in bench/ and writes docs/benchmarks.md: each figure
# beside its reference measured in the same run, the ratio and the target,
# with the machine, the date and this command. See bench/README.md.
#
# Usage: bench/run-all.sh [BUILDDIR]    (default build-bench: a release build,
#                                        configured and built when needed)
# Environment: BENCH_TIMEOUT  seconds one bench may take at most (240)
#              BENCH_BUDGET   seconds the whole run may take (870, under 15 minutes)
set -eu

started=$(date +%s)
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

builddir=${1:-build-bench}
command="bench/run-all.sh${1:+ $1}"
per_bench=${BENCH_TIMEOUT:-240}
budget=${BENCH_BUDGET:-960}
output=docs/benchmarks.md

# Name, then the targets it measures; in the order they run.
benches="startup:P11 ingest:P1 post:P2 fanout:P3,P4 orders:P5 dispatch:P8 solver:P6,P7 memory:P10
console:P9 cluster:P12,P13 cache:P1 reports:P15"

if [ ! -f "$builddir/build.ninja" ]; then
  console=false
  if pkg-config --exists gtk4 libadwaita-1 shumate-1.0 2>/dev/null; then
    console=true
  fi
  meson setup "$builddir" -Dbuildtype=release -Dconsole=$console >&2
fi
echo "run-all: building $builddir" >&2
meson compile -C "$builddir" >&2

logs=$builddir/bench-logs
mkdir -p "$logs"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
tab=$(printf '\t')
: > "$tmp/rows"
: > "$tmp/notes"
: > "$tmp/status"

load_before=$(cut -d' ' -f1-3 /proc/loadavg)

for entry in $benches; do
  name=${entry%%:*}
  targets=$(echo "${entry#*:}" | sed 's/,/, /g')
  script=bench/bench-$name.sh
  left=$((budget - ($(date +%s) - started)))

  if [ ! -f "$script" ]; then
    echo "$targets${tab}$name${tab}not measured: $script does not exist yet" >> "$tmp/status"
    continue
  fi
  if [ "$left" -lt 30 ]; then
    echo "$targets${tab}$name${tab}not measured: the run's time budget was used up" >> "$tmp/status"
    continue
  fi

  limit=$per_bench
  [ "$left" -lt "$limit" ] && limit=$left
  echo "run-all: $script (at most $limit s; log in $logs/$name.log)" >&2
  begin=$(date +%s)
  status=0
  if [ -x "$script" ]; then
    BENCH_QUICK=1 timeout --kill-after=15 "$limit" "$script" "$builddir" \
      > "$tmp/$name.out" 2> "$logs/$name.log" || status=$?
  else
    BENCH_QUICK=1 timeout --kill-after=15 "$limit" bash "$script" "$builddir" \
      > "$tmp/$name.out" 2> "$logs/$name.log" || status=$?
  fi
  elapsed=$(($(date +%s) - begin))

  # Result rows (eight fields) and notes; anything else on stdout is ignored.
  awk -F'\t' 'NF == 8 && $1 != "note" && $0 !~ /^#/' "$tmp/$name.out" >> "$tmp/rows"
  awk -F'\t' -v name="$name" '$1 == "note" && NF >= 2 { print name ": " $2 }' \
    "$tmp/$name.out" >> "$tmp/notes"
  rows=$(awk -F'\t' 'NF == 8 && $1 != "note" && $0 !~ /^#/' "$tmp/$name.out" | wc -l)

  if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
    result="timed out after $elapsed s"
  elif [ "$status" -ne 0 ]; then
    result="failed (exit $status) after $elapsed s; see the log"
  elif [ "$rows" -eq 0 ]; then
    result="printed no results after $elapsed s; see the log"
  else
    result="$rows figures in $elapsed s"
  fi
  echo "$targets${tab}$name${tab}$result" >> "$tmp/status"
  echo "run-all: $name: $result" >&2
done

total=$(($(date +%s) - started))
cpu_model=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
memory=$(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
os=$(. /etc/os-release 2>/dev/null && echo "${PRETTY_NAME:-unknown}")
revision=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ -n "$(git status --porcelain 2>/dev/null | head -n 1)" ]; then
  revision="$revision with uncommitted changes"
fi

# Markdown cells: no pipes inside.
cell () {
  sed 's/|/\\|/g'
}

{
  echo "# Benchmarks"
  echo
  echo "Written by \`$command\` on $(date -u '+%Y-%m-%d %H:%M UTC') in $total s"
  echo "(revision $revision, build directory \`$builddir\`, each bench with \`BENCH_QUICK=1\`)."
  echo
  echo "Machine: $(nproc) CPUs ($cpu_model), $memory memory, $os, Linux $(uname -r)."
  echo "Load average before the run: $load_before (on a shared machine ratios hold,"
  echo "absolute figures drift)."
  echo
  echo "Every figure is measured beside its reference in the same run (see"
  echo "[bench/README.md](../bench/README.md)); ratio and goal as the targets state them."
  echo
  echo "| target | figure | measured | reference | reference measured | ratio | goal | met |"
  echo "|---|---|---|---|---|---|---|---|"
  cell < "$tmp/rows" | awk -F'\t' '{
    printf "| %s | %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, $7, $8
  }'
  awk -F'\t' '$3 ~ /^not measured|^failed|^timed out|^printed no/ {
    printf "| %s | %s | %s | | | | | |\n", $1, "bench-" $2 ".sh", $3
  }' "$tmp/status"
  echo
  if [ -s "$tmp/notes" ]; then
    echo "## Notes"
    echo
    sed 's/^/- /' "$tmp/notes"
    echo
  fi
  echo "## Runs"
  echo
  echo "| targets | bench | result |"
  echo "|---|---|---|"
  awk -F'\t' '{ printf "| %s | `bench/bench-%s.sh` | %s |\n", $1, $2, $3 }' "$tmp/status"
  echo
  echo "Each bench's full output is in \`$logs/\` of the run (not kept in the repository)."
} > "$tmp/benchmarks.md"

mv "$tmp/benchmarks.md" "$output"
echo "run-all: wrote $output in $total s" >&2
