#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Installs every Debian 12 package Dispatch needs to build, run and test.
# Idempotent: packages already present are skipped, so re-running is cheap.
set -euo pipefail

packages=(
  # build
  build-essential meson ninja-build pkg-config gettext git
  # libraries
  libglib2.0-dev libsoup-3.0-dev libjson-glib-dev libpq-dev libjwt-dev libsodium-dev
  libhiredis-dev librdkafka-dev libcurl4-openssl-dev libsecret-1-dev libgmime-3.0-dev
  libgtk-4-dev libadwaita-1-dev libshumate-dev glib-networking
  # runtime services (Apache Kafka runs from Maven jars: build-aux/setup-kafka.sh)
  postgresql redis-server openjdk-17-jre-headless maven nginx-light
  # desktop integration checks
  desktop-file-utils appstream appstream-util flatpak-builder
  # tests
  xvfb xauth libx11-dev dbus dbus-x11 python3-aiosmtpd curl valgrind libclang-rt-14-dev clang
  openssl
  # the public tracking page's test (suite browser)
  chromium
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi

echo "Installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"

# Debian starts the packaged services on install; Dispatch runs its own
# instances, so keep the system-wide ones out of the way.
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  $sudo systemctl disable --now postgresql redis-server nginx >/dev/null 2>&1 || true
fi
