# SPDX-License-Identifier: GPL-3.0-or-later
#
# Helpers for bench scripts, sourced: . "$(dirname "$0")/bench-lib.sh"
# (POSIX sh). See bench/README.md for the conventions they serve.

BENCH_ADMIN_PASSWORD=bench-admin-password

# Installs the Debian packages that are missing (quietly, on stderr).
bench_require_package () {
  _missing=
  for _package in "$@"; do
    dpkg-query -W -f='${Status}' "$_package" 2>/dev/null | grep -q "install ok installed" ||
      _missing="$_missing $_package"
  done
  [ -z "$_missing" ] && return 0
  _sudo=
  [ "$(id -u)" -ne 0 ] && _sudo=sudo
  echo "Installing$_missing" >&2
  DEBIAN_FRONTEND=noninteractive $_sudo apt-get install -y -q $_missing >&2
}

# The newest PostgreSQL server binaries (pgbench, psql of the same version).
bench_pg_bindir () {
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

# bench_start_dispatchd BUILDDIR DATADIR [NAME=VALUE...]
# Starts dispatchd in zero-config mode with its data in DATADIR (created, and
# reused when it exists) on a free loopback port, and waits until it serves.
# Sets BENCH_SERVER_PID, BENCH_DATADIR, BENCH_URL and BENCH_PG (libpq
# conninfo of its PostgreSQL). Its output goes to DATADIR.log.
bench_start_dispatchd () {
  _builddir=$1
  _datadir=$2
  shift 2
  mkdir -p "$_datadir"
  # Run as root, the managed cluster runs as an unprivileged account that must reach it.
  chmod 0711 "$(dirname "$_datadir")" "$_datadir"
  : > "$_datadir.log"
  env DISPATCH_DATA_DIR="$_datadir" DISPATCH_LISTEN=127.0.0.1:0 \
    DISPATCH_ADMIN_PASSWORD="$BENCH_ADMIN_PASSWORD" DATABASE_URL= "$@" \
    "$_builddir/server/dispatchd" >> "$_datadir.log" 2>&1 &
  BENCH_SERVER_PID=$!
  BENCH_DATADIR=$_datadir

  BENCH_URL=
  _tries=0
  while [ -z "$BENCH_URL" ]; do
    BENCH_URL=$(sed -n 's/.* listening on \(http:\/\/[^ ]*\).*/\1/p' "$_datadir.log")
    if ! kill -0 "$BENCH_SERVER_PID" 2>/dev/null || [ "$_tries" -ge 600 ]; then
      echo "dispatchd did not start:" >&2
      cat "$_datadir.log" >&2
      return 1
    fi
    _tries=$((_tries + 1))
    sleep 0.1
  done
  _socket_dir=$(sed -n 's/.*socket in \(.*\)) after.*/\1/p' "$_datadir.log" | tail -n 1)
  BENCH_PG="host=$_socket_dir port=5432 dbname=dispatch user=dispatch"
}

# CPU time in clock ticks used so far by the server bench_start_dispatchd
# started, then by its PostgreSQL (the postmaster, its live backends and the
# ended ones it has reaped), as "DISPATCHD POSTGRES": sample before and after
# a load for CPU per request.
bench_server_cpu_ticks () {
  _postmaster=$(head -n 1 "$BENCH_DATADIR/postgresql/postmaster.pid")
  {
    cat "/proc/$BENCH_SERVER_PID/stat" "/proc/$_postmaster/stat"
    for _child in $(pgrep -P "$_postmaster"); do
      cat "/proc/$_child/stat" 2>/dev/null || true
    done
  } | sed 's/.*) //' | awk '
    # after the command: fields 12/13 = utime/stime, 14/15 = reaped children
    NR == 1 { server = $12 + $13; next }
    NR == 2 { postgres += $14 + $15 }
    { postgres += $12 + $13 }
    END { print server, postgres }'
}

# Stops the server bench_start_dispatchd started (its PostgreSQL stops with it).
bench_stop_dispatchd () {
  if [ -n "${BENCH_SERVER_PID:-}" ]; then
    kill -TERM "$BENCH_SERVER_PID" 2>/dev/null || true
    wait "$BENCH_SERVER_PID" 2>/dev/null || true
    BENCH_SERVER_PID=
  fi
}

# A bearer token of the admin of the server bench_start_dispatchd started.
bench_admin_token () {
  curl -sf "$BENCH_URL/api/v1/auth/token" -H 'Content-Type: application/json' \
    -d "{\"username\":\"admin\",\"password\":\"$BENCH_ADMIN_PASSWORD\"}" |
    sed -n 's/.*"access_token": *"\([^"]*\)".*/\1/p'
}

# bench_ratio A B → A / B with two decimals ("-" when B is not positive).
bench_ratio () {
  awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "-" }'
}

# bench_verdict RATIO OP LIMIT → "met" when RATIO OP LIMIT holds (OP: ge or le).
bench_verdict () {
  awk -v r="$1" -v op="$2" -v l="$3" 'BEGIN {
    if (r == "-") { print "-"; exit }
    ok = (op == "ge") ? (r + 0 >= l + 0) : (r + 0 <= l + 0)
    print ok ? "met" : "not met"
  }'
}

# bench_prepare BUILDDIR
# Checks that BUILDDIR has dispatchd built, makes a private temporary folder
# $tmp and arranges for the server to be stopped and $tmp removed on exit
# (a script with more to stop defines bench_cleanup_more, called first).
bench_prepare () {
  if [ ! -x "$1/server/dispatchd" ]; then
    echo "$1/server/dispatchd not found: configure $1 with -Dserver=true and build it" >&2
    exit 1
  fi
  tmp=$(mktemp -d)
  chmod 0711 "$tmp"
  trap bench_cleanup EXIT
  trap 'exit 130' INT TERM
}

bench_cleanup () {
  if command -v bench_cleanup_more > /dev/null; then
    bench_cleanup_more
  fi
  bench_stop_dispatchd
  bench_stop_nginx
  rm -rf "$tmp"
}

# A free TCP port on loopback.
bench_free_port () {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# bench_wrk WRK-ARGUMENTS...: runs wrk with --latency (its report on stderr)
# and prints "REQUESTS/S P50-MS P99-MS NON-2XX".
bench_wrk () {
  wrk --latency "$@" > "$tmp/wrk.out"
  cat "$tmp/wrk.out" >&2
  awk '
    function ms(v) {
      x = v + 0
      if (v ~ /us$/) x /= 1000; else if (v ~ /[0-9]s$/) x *= 1000
      return x
    }
    /^Requests\/sec:/ { rps = $2 }
    /Non-2xx or 3xx responses:/ { bad = $NF }
    $1 == "50%" { p50 = ms($2) }
    $1 == "99%" { p99 = ms($2) }
    END { printf "%.0f %.2f %.2f %d\n", rps, p50, p99, bad }' "$tmp/wrk.out"
}

# bench_start_nginx ROOT: nginx with one worker (the reference of TARGETS.md)
# serving ROOT on a free loopback port, the HTTP ceiling the request
# benchmarks compare with. Sets BENCH_NGINX_URL.
bench_start_nginx () {
  _port=$(bench_free_port)
  cat > "$tmp/nginx.conf" <<CONF
daemon off;
worker_processes 1;
pid $tmp/nginx.pid;
error_log $tmp/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  default_type application/json;
  server { listen 127.0.0.1:$_port; root $1; }
}
CONF
  nginx -c "$tmp/nginx.conf" -p "$tmp" &
  BENCH_NGINX_PID=$!
  BENCH_NGINX_URL=http://127.0.0.1:$_port
  until curl -s -o /dev/null "$BENCH_NGINX_URL/"; do sleep 0.1; done
}

bench_stop_nginx () {
  if [ -n "${BENCH_NGINX_PID:-}" ]; then
    kill "$BENCH_NGINX_PID" 2>/dev/null || true
    wait "$BENCH_NGINX_PID" 2>/dev/null || true
    BENCH_NGINX_PID=
  fi
}
