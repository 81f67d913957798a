#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Sets up a Debian 12 machine, builds Dispatch and runs the server in
# zero-config mode (its own PostgreSQL in the data directory). Ctrl-C stops it.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

bash build-aux/setup-debian.sh

if [ -f build/build.ninja ]; then
  meson setup --reconfigure build >/dev/null
else
  meson setup build
fi
meson compile -C build

export DISPATCH_DATA_DIR=${DISPATCH_DATA_DIR:-$top/build/demo-data}
exec build/server/dispatchd "$@"
