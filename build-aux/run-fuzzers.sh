#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Builds the libFuzzer harnesses (clang, AddressSanitizer + UBSan) in
# build-fuzz/ and runs each for SECONDS (default 20) on a copy of its seed
# corpus (fuzz/corpus/<target>/), new inputs kept in build-fuzz/corpus/.
# Exit status: 0 only if no harness found a crash, leak or timeout; the
# reproducer is left in build-fuzz/ (crash-*, leak-*, timeout-*).
#
#   build-aux/run-fuzzers.sh [SECONDS] [TARGET...]
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
seconds=${1:-20}
shift || true

if [ ! -f build-fuzz/build.ninja ]; then
  CC=clang meson setup build-fuzz -Dfuzzing=true -Dconsole=false \
    -Db_sanitize=address,undefined -Db_lundef=false >/dev/null
fi
meson compile -C build-fuzz >/dev/null

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=($(cd fuzz && ls fuzz-*.c | sed 's/\.c$//'))
fi

status=0
for target in "${targets[@]}"; do
  corpus=build-fuzz/corpus/$target
  mkdir -p "$corpus"
  cp -n fuzz/corpus/"$target"/* "$corpus"/
  if (cd build-fuzz && \
      UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
      ASAN_OPTIONS=detect_leaks=1 \
      G_DEBUG=fatal-criticals \
      ./fuzz/"$target" -max_total_time="$seconds" -max_len=8192 -timeout=10 \
        -print_final_stats=1 "corpus/$target" >"$target.log" 2>&1); then
    echo "$target: clean, $(grep -o 'stat::number_of_executed_units: [0-9]*' \
      build-fuzz/"$target".log | cut -d' ' -f2) runs in ${seconds} s"
  else
    echo "$target: FAILED, see build-fuzz/$target.log"
    status=1
  fi
done

exit $status
