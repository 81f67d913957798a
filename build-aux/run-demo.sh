#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Sets up a Debian 12 machine, builds Dispatch and runs the demo: dispatchd in
# zero-config mode (its own PostgreSQL in the data directory), dispatch-sim
# with a fleet and steady customer orders over Berlin Mitte, and the console
# with the demo dispatcher's sign-in filled in. Without a display (or with
# --no-console) it prints a public tracking link of a live order instead.
# Ctrl-C stops everything.
#
# With --cluster it runs cluster mode instead: one PostgreSQL, one Apache
# Kafka broker, two dispatchd instances sharing them, and nginx in front
# balancing HTTP and websockets over both on DISPATCH_LISTEN; the simulator
# talks to the first instance, the console to nginx (see docs/cluster.md).
#
# Usage: build-aux/run-demo.sh [--cluster] [--no-console] [DISPATCHD-OPTION...]
# Environment: DEMO_DRIVERS (40), DEMO_ORDER_RATE (orders per minute, 4),
#              DISPATCH_LISTEN, DISPATCH_DATA_DIR, DISPATCH_PUBLIC_URL, DISPATCH_ADMIN_PASSWORD
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

show_console=auto
cluster=no
while [ $# -gt 0 ]; do
  case $1 in
    --no-console) show_console=no ;;
    --cluster) cluster=yes ;;
    *) break ;;
  esac
  shift
done
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  show_console=no
fi

dispatcher_user=dispatcher
dispatcher_password=dispatcher-demo

bash build-aux/setup-debian.sh
if [ $cluster = yes ]; then
  DISPATCH_KAFKA_LIBS=$(bash build-aux/setup-kafka.sh)
  export DISPATCH_KAFKA_LIBS
fi

if [ -f build/build.ninja ]; then
  meson setup --reconfigure build >/dev/null
else
  meson setup build
fi
meson compile -C build

export DISPATCH_LISTEN=${DISPATCH_LISTEN:-127.0.0.1:8080}
url=http://$DISPATCH_LISTEN
if [ $cluster = yes ]; then
  export DISPATCH_DATA_DIR=${DISPATCH_DATA_DIR:-$top/build/demo-cluster}
  log=$DISPATCH_DATA_DIR/dispatchd-a.log
else
  export DISPATCH_DATA_DIR=${DISPATCH_DATA_DIR:-$top/build/demo-data}
  log=$top/build/demo.log
fi
mkdir -p "$DISPATCH_DATA_DIR"

server_pid=
sim_pid=
console_pid=
cluster_pids=()

# Stops a child and waits for it (at most about ten seconds before SIGKILL).
stop () {
  local pid=$1
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# The simulator first (its drivers go off shift), the server last. The
# children run in sessions of their own (setsid), so that Ctrl-C reaches only
# this script, which stops them in that order.
cleanup () {
  trap - EXIT INT TERM
  echo
  echo "Stopping the demo…"
  stop "$console_pid"
  stop "$sim_pid"
  stop "$server_pid"
  # nginx and the instances before the broker they publish to
  for ((i = ${#cluster_pids[@]} - 1; i >= 0; i--)); do
    stop "${cluster_pids[i]}"
  done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Waits until url answers /readyz while pid lives.
wait_ready () {
  local url=$1 pid=$2 log=$3
  for _ in $(seq 600); do
    curl -sf "$url/readyz" > /dev/null 2>&1 && return 0
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "$log:" >&2
      tail -n 30 "$log" >&2
      exit 1
    fi
    sleep 0.1
  done
  echo "not ready after 60 s: $url (see $log)" >&2
  exit 1
}

if [ $cluster = yes ]; then
  source build-aux/demo-cluster.sh
  start_cluster "$@"
  sim_url=$instance_a_url
else
  echo "Starting dispatchd on $url (log: $log)"
  setsid build/server/dispatchd "$@" > "$log" 2>&1 &
  server_pid=$!
  wait_ready "$url" "$server_pid" "$log"
  sim_url=$url
fi

# On the first zero-config run the server generates the admin password into the data dir.
if [ -n "${DISPATCH_ADMIN_PASSWORD:-}" ]; then
  admin_password=$DISPATCH_ADMIN_PASSWORD
else
  admin_password=$(cat "$DISPATCH_DATA_DIR/admin-password")
fi
echo "Admin user: admin, password: $admin_password"

token=$(curl -sf "$url/api/v1/auth/token" -H 'Content-Type: application/json' \
  -d "{\"username\":\"admin\",\"password\":\"$admin_password\"}" |
  sed -n 's/.*"access_token": *"\([^"]*\)".*/\1/p' || true)
[ -n "$token" ] || { echo "Cannot log in as admin: is the password right?" >&2; exit 1; }
# The demo dispatcher (201 the first time, 409 when it exists).
status=$(curl -s -o /dev/null -w '%{http_code}' "$url/api/v1/users" \
  -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
  -d "{\"username\":\"$dispatcher_user\",\"password\":\"$dispatcher_password\",
       \"role\":\"dispatcher\"}")
case $status in
  201|409) ;;
  *) echo "Could not create the demo dispatcher (HTTP $status)" >&2; exit 1 ;;
esac
echo "Dispatcher user: $dispatcher_user, password: $dispatcher_password"

# The simulator dispatches orders that automation leaves pending for 20 s;
# every delivery needs the customer's PIN and a doorstep photo; a driver
# carries up to 3 orders on one route when the engine batches them.
sim_started=$(date -u +%Y-%m-%dT%H:%M:%S)
DISPATCH_ADMIN_PASSWORD=$admin_password setsid build/sim/dispatch-sim --url "$sim_url" \
  --drivers "${DEMO_DRIVERS:-40}" --order-rate "${DEMO_ORDER_RATE:-4}" \
  --assign --assign-delay 20 --proof pin,photo --trip-max 3 &
sim_pid=$!

if [ "$show_console" = auto ] && [ -x build/console/dispatch-console ]; then
  # A private settings file, so the demo leaves the user's own settings alone:
  # the sign-in page opens with the server and username filled in.
  config=$top/build/demo-console
  mkdir -p "$config/glib-2.0/settings"
  cat > "$config/glib-2.0/settings/keyfile" <<EOF
[io/github/dispatchd/Console]
server-url='$url'
last-username='$dispatcher_user'
map-view=(52.52, 13.40, 14.0)
EOF
  XDG_CONFIG_HOME=$config GSETTINGS_BACKEND=keyfile GSETTINGS_SCHEMA_DIR=$top/build/data \
    setsid build/console/dispatch-console > "$top/build/demo-console.log" 2>&1 &
  console_pid=$!
  echo "The console is starting: sign in with the password $dispatcher_password."
else
  # A live order's public tracking link, once the first one of this run has a
  # driver (an earlier run's leftovers are cleared by the simulator).
  tracking=
  for _ in $(seq 240); do
    order=$(curl -sf "$url/api/v1/orders?status=assigned,picked_up&limit=1" \
      -H "Authorization: Bearer $token" || true)
    created=$(echo "$order" | sed -n 's/.*"created_at": *"\([^"]*\)".*/\1/p')
    if [ -n "$created" ] && [[ "$created" > "$sim_started" ]]; then
      tracking=$(echo "$order" | sed -n 's/.*"tracking_token": *"\([^"]*\)".*/\1/p')
      break
    fi
    sleep 0.5
  done
  if [ -n "$tracking" ]; then
    echo
    echo "Track a live order: ${DISPATCH_PUBLIC_URL:-$url}/track/$tracking"
    echo "  as JSON:          $url/api/v1/track/$tracking"
  fi
  echo "Watch the fleet in the console (on a machine with a display):"
  echo "  build/console/dispatch-console — server $url,"
  echo "  user $dispatcher_user, password $dispatcher_password"
  echo
fi

echo "Ctrl-C stops the demo."
wait "$sim_pid"
