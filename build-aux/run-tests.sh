#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Sets up a Debian 12 machine, builds Dispatch and runs the whole test suite:
# every suite in a normal build (graphical tests under Xvfb), then the unit
# tests again under AddressSanitizer + UndefinedBehaviorSanitizer, and under
# ThreadSanitizer (the mailer, password hashing and metrics use threads).
# Exit status: 0 only if everything passed.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

bash build-aux/setup-debian.sh
# The Kafka jars the broker fixtures start, fetched once into a cache.
DISPATCH_KAFKA_LIBS=$(bash build-aux/setup-kafka.sh)
export DISPATCH_KAFKA_LIBS

configure () {
  local dir=$1; shift
  if [ -f "$dir/build.ninja" ]; then
    meson setup --reconfigure "$dir" "$@" >/dev/null
  else
    meson setup "$dir" "$@"
  fi
}

configure build
meson compile -C build

configure build-asan -Db_sanitize=address,undefined -Db_lundef=false -Dconsole=false
meson compile -C build-asan

configure build-tsan -Db_sanitize=thread -Db_lundef=false -Dconsole=false
meson compile -C build-tsan

status=0

# A private session bus and X server for the console tests.
dbus-run-session -- xvfb-run -a -s "-screen 0 1440x900x24" \
  meson test -C build --print-errorlogs --num-processes 2 || status=1

# The slow unwinder (fast_unwind_on_malloc=0) is what lets leak reports walk
# through Debian's GLib, built without frame pointers, so lsan.supp can match;
# it makes every allocation several times dearer (test-location-scanner: 0.7 s
# of CPU with the fast unwinder, 9 s with this one), hence the longer timeouts.
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:halt_on_error=1:fast_unwind_on_malloc=0 \
LSAN_OPTIONS=suppressions=$top/tests/lsan.supp \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  meson test -C build-asan --suite unit --print-errorlogs --timeout-multiplier 4 || status=1

# Debian's GLib is not instrumented: tests/tsan-glib.c annotates the
# hand-overs our code makes through it, tests/tsan.supp leaves out races
# inside GLib itself, and GSlice hands its memory to malloc, which the
# sanitizer sees.
TSAN_OPTIONS=halt_on_error=1:suppressions=$top/tests/tsan.supp \
G_SLICE=always-malloc \
  meson test -C build-tsan --suite unit --print-errorlogs || status=1

python3 - build/meson-logs/testlog.json build-asan/meson-logs/testlog.json \
  build-tsan/meson-logs/testlog.json <<'PY'
import json, sys
passed = failed = skipped = 0
for path in sys.argv[1:]:
    with open(path) as log:
        for line in log:
            result = json.loads(line)["result"]
            if result in ("OK", "EXPECTEDFAIL"):
                passed += 1
            elif result == "SKIP":
                skipped += 1
            else:
                failed += 1
print(f"{passed} passed, {failed} failed, {skipped} skipped")
PY

exit $status
