#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Runs the built dispatchd under valgrind (memcheck) for a normal session:
# zero-config start in a fresh data directory, requests of every kind
# (including refusals: 400, 401, 403, 404, 405, 413), websocket upgrades with
# and without a token, keep-alive and pipelined requests, connections dropped
# by the client, then SIGTERM. Exits non-zero when valgrind reports a memory
# error or a definite/indirect leak, or when the session fails.
#
# Usage: build-aux/valgrind-server.sh [BUILD_DIR]   (default: build)
# VALGRIND_LOG=FILE keeps valgrind's report there (default: in the temp dir,
# printed on failure); VALGRIND_OPTIONS adds options (e.g. --show-leak-kinds=all).
# Exit status: 0 clean, 1 failed, 77 (skipped) without valgrind, curl or python3.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$top/build}" && pwd)
dispatchd=$build/server/dispatchd
start_timeout_s=300
stop_timeout_s=120

for tool in valgrind curl python3; do
  command -v "$tool" >/dev/null || { echo "valgrind-server: $tool is required" >&2; exit 77; }
done
[ -x "$dispatchd" ] || { echo "valgrind-server: no $dispatchd (build first)" >&2; exit 2; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/dsd-valgrind.XXXXXX")
# Under root, PostgreSQL runs as another user, who must get through it.
chmod 0711 "$tmp"
log=${VALGRIND_LOG:-$tmp/valgrind.log}
pid=

# stop PID TIMEOUT_S: SIGTERM (dispatchd then stops its PostgreSQL), waited for.
stop () {
  local deadline=$((SECONDS + $2))
  kill -TERM "$1" 2>/dev/null || return 0
  while kill -0 "$1" 2>/dev/null && [ $SECONDS -lt $deadline ]; do
    sleep 0.5
  done
}

cleanup () {
  if [ -n "$pid" ]; then
    stop "$pid" 60
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])')
url=http://127.0.0.1:$port
admin_password=valgrind-admin-password

supp=(--suppressions="$top/tests/valgrind.supp")
glib_prefix=$(pkg-config --variable=prefix glib-2.0 2>/dev/null || echo /usr)
glib_supp=$glib_prefix/share/glib-2.0/valgrind/glib.supp
[ -f "$glib_supp" ] && supp+=(--suppressions="$glib_supp")

# The postgres child is not traced: only our process is checked.
G_SLICE=always-malloc G_DEBUG=gc-friendly \
DISPATCH_DATA_DIR=$tmp/data DISPATCH_LISTEN=127.0.0.1:$port \
DISPATCH_ADMIN_PASSWORD=$admin_password \
  valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite,indirect \
    --errors-for-leak-kinds=definite,indirect --error-exitcode=99 --num-callers=40 \
    "${supp[@]}" ${VALGRIND_OPTIONS:-} --log-file="$log" \
    "$dispatchd" >"$tmp/stdout" 2>"$tmp/stderr" &
pid=$!

failed=0
fail () {
  echo "valgrind-server: FAIL: $*" >&2
  failed=1
}

# request EXPECTED_STATUS[|OTHER...] METHOD PATH [curl arguments...]
request () {
  local expected=$1 method=$2 path=$3 status
  shift 3
  status=$(curl -s -o "$tmp/body" -w '%{http_code}' -X "$method" "$@" "$url$path") || status=000
  if ! [[ $status =~ ^($expected)$ ]]; then
    fail "$method $path: got $status, expected $expected: $(head -c 300 "$tmp/body")"
  fi
}

json_field () {
  python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$tmp/body" "$1"
}

deadline=$((SECONDS + start_timeout_s))
until grep -q 'listening on' "$tmp/stdout" 2>/dev/null; do
  if ! kill -0 "$pid" 2>/dev/null || [ $SECONDS -ge $deadline ]; then
    echo "valgrind-server: dispatchd did not start" >&2
    cat "$tmp/stderr" >&2
    exit 1
  fi
  sleep 0.5
done
echo "valgrind-server: started under valgrind in $SECONDS s"

json=(-H 'Content-Type: application/json')

request 200 GET /healthz
request 200 GET /readyz
request 200 GET /metrics
request 200 GET /api/v1/openapi.json

request 401 POST /api/v1/auth/token "${json[@]}" -d '{"username":"admin","password":"wrong"}'
request 200 POST /api/v1/auth/token "${json[@]}" \
  -d "{\"username\":\"admin\",\"password\":\"$admin_password\"}"
admin_token=$(json_field access_token)
admin=(-H "Authorization: Bearer $admin_token")

request 201 POST /api/v1/users "${admin[@]}" "${json[@]}" \
  -d '{"username":"vg-customer","password":"vg-customer-password","role":"customer"}'
request 200 POST /api/v1/auth/token "${json[@]}" \
  -d '{"username":"vg-customer","password":"vg-customer-password"}'
customer=(-H "Authorization: Bearer $(json_field access_token)")

request 201 POST /api/v1/drivers "${admin[@]}" "${json[@]}" \
  -d '{"name":"Valgrind Driver","vehicle":"bike","capacity":2}'
driver_id=$(json_field id)
request 200 POST "/api/v1/drivers/$driver_id/online" "${admin[@]}" "${json[@]}" \
  -d '{"online":true}'
request 202 POST "/api/v1/drivers/$driver_id/location" "${admin[@]}" "${json[@]}" \
  -d '{"lat":52.52,"lon":13.405}'
request 200 GET /api/v1/drivers "${admin[@]}"
request 200 GET "/api/v1/drivers/$driver_id/trail" "${admin[@]}"

request 200 PUT /api/v1/inventory/VG-SKU "${admin[@]}" "${json[@]}" \
  -d '{"quantity":10,"name":"Valgrind item"}'
request 200 GET /api/v1/inventory/VG-SKU "${admin[@]}"

order='{"pickup":{"lat":52.52,"lon":13.40},"dropoff":{"lat":52.50,"lon":13.42},
        "items":[{"sku":"VG-SKU","quantity":1}]}'
request 201 POST /api/v1/orders "${customer[@]}" "${json[@]}" -H 'Idempotency-Key: vg-1' \
  -d "$order"
order_id=$(json_field id)
tracking_token=$(json_field tracking_token)
request 201 POST /api/v1/orders "${customer[@]}" "${json[@]}" -H 'Idempotency-Key: vg-1' \
  -d "$order"
# Orders that arrive together are created together (server/api/dsd-order-intake.h),
# each answered on its own: new ones, a replay, one the stock cannot cover.
together=(201 201 201 201 201 409)
curls=()
for i in "${!together[@]}"; do
  case $i in
    4) args=(-H 'Idempotency-Key: vg-1' -d "$order") ;;
    5) args=(-d "${order/\"quantity\":1/\"quantity\":100}") ;;
    *) args=(-d "$order") ;;
  esac
  curl -s -o /dev/null -w '%{http_code}' -X POST "${customer[@]}" "${json[@]}" "${args[@]}" \
    "$url/api/v1/orders" > "$tmp/together-$i" &
  curls+=($!)
done
wait "${curls[@]}" || true
for i in "${!together[@]}"; do
  [ "$(cat "$tmp/together-$i")" = "${together[$i]}" ] ||
    fail "POST /api/v1/orders together #$i: got $(cat "$tmp/together-$i"), expected ${together[$i]}"
done
request 200 GET /api/v1/orders "${admin[@]}"
request 200 GET "/api/v1/orders/$order_id" "${customer[@]}"
request 200 GET "/api/v1/orders/$order_id/events" "${admin[@]}"
request 200 GET "/api/v1/orders/$order_id/tracking" "${customer[@]}"
request 200 GET "/api/v1/track/$tracking_token"
request 200 POST "/api/v1/orders/$order_id/cancel" "${admin[@]}" "${json[@]}" \
  -d '{"reason":"valgrind"}'
request 409 POST "/api/v1/orders/$order_id/cancel" "${admin[@]}" "${json[@]}" -d '{}'

# Refusals, each on its own path through the HTTP front.
request 400 POST /api/v1/orders "${admin[@]}" "${json[@]}" -d '{"pickup":'
request 400 POST /api/v1/orders "${admin[@]}" "${json[@]}" \
  -d '{"pickup":{"lat":91,"lon":0},"dropoff":{"lat":0,"lon":0}}'
request 415 POST /api/v1/orders "${admin[@]}" -H 'Content-Type: text/plain' -d 'x'
request 401 GET /api/v1/orders
request 401 GET /api/v1/orders -H 'Authorization: Bearer not-a-token'
request 403 POST /api/v1/users "${customer[@]}" "${json[@]}" -d '{}'
request 404 GET /api/v1/nowhere "${admin[@]}"
request 404 GET /api/v1/orders/00000000-0000-0000-0000-000000000000 "${admin[@]}"
request 405 DELETE /api/v1/orders "${admin[@]}"
request 204 OPTIONS /api/v1/orders
head -c $((2 * 1024 * 1024)) /dev/zero >"$tmp/big"
request 413 POST /api/v1/orders "${admin[@]}" "${json[@]}" --data-binary "@$tmp/big"
request 413 POST /api/v1/orders "${admin[@]}" "${json[@]}" -H 'Transfer-Encoding: chunked' \
  --data-binary "@$tmp/big"

# Websocket upgrades (404 until the stream route exists): without a token, and
# a session held for a moment and dropped by the client.
upgrade=(-H 'Connection: Upgrade' -H 'Upgrade: websocket' -H 'Sec-WebSocket-Version: 13'
         -H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==')
request '401|404' GET /api/v1/stream "${upgrade[@]}"
status=$(curl -s -o /dev/null -w '%{http_code}' --max-time 3 "${upgrade[@]}" \
         "$url/api/v1/stream?access_token=$admin_token") || true
[[ $status =~ ^(101|404)$ ]] || fail "websocket session: got $status"
echo "valgrind-server: websocket upgrade answered $status"

# Several requests on one keep-alive connection, closed by the client.
curl -s -o /dev/null -o /dev/null -o /dev/null "$url/healthz" "$url/readyz" "$url/metrics" ||
  fail "keep-alive requests"
# A connection closed without a request, one closed mid-request, and two
# pipelined requests.
python3 - "$port" <<'PY' || fail "raw connections"
import socket, sys

request = b"GET /healthz HTTP/1.1\r\nHost: valgrind\r\n\r\n"
for payload, responses in ((b"", 0), (request[:20], 0), (request * 2, 2)):
    connection = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=60)
    connection.sendall(payload)
    received = b""
    while received.count(b"HTTP/1.1 200") < responses:
        chunk = connection.recv(65536)
        if not chunk:
            sys.exit("pipelined responses cut short")
        received += chunk
    connection.close()
PY

stop "$pid" "$stop_timeout_s"
status=0
wait "$pid" || status=$?
pid=

grep -E 'ERROR SUMMARY|definitely lost|indirectly lost|possibly lost' "$log" |
  sed 's/^==[0-9]*== //'
if [ "$status" -ne 0 ]; then
  fail "dispatchd exited with $status (99: valgrind found errors)"
  [ "$log" = "$tmp/valgrind.log" ] && cat "$log" >&2
  tail -n 20 "$tmp/stderr" >&2
fi

echo "valgrind-server: $([ $failed -eq 0 ] && echo PASS || echo FAIL) in $SECONDS s"
exit $failed
