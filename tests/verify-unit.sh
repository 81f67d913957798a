#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# verify-unit.sh UNIT DISPATCHD CONFIG: systemd-analyze verify of the unit as
# built, pointed at the dispatchd and settings file of the build tree (verify
# checks that ExecStart exists). Skipped (77) without systemd-analyze.
set -eu
command -v systemd-analyze >/dev/null 2>&1 || exit 77
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
sed -e "s|^ExecStart=[^ ]*|ExecStart=$2|" -e "s|--config=[^ ]*|--config=$3|" "$1" \
  > "$dir/dispatchd.service"
out=$(systemd-analyze verify "$dir/dispatchd.service" 2>&1) || { echo "$out"; exit 1; }
# verify exits 0 on some problems it only reports
if [ -n "$out" ]; then
  echo "$out"
  exit 1
fi
