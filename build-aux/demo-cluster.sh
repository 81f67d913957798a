# SPDX-License-Identifier: GPL-3.0-or-later
#
# Cluster mode for build-aux/run-demo.sh (sourced by it, with --cluster):
# PostgreSQL, one Apache Kafka broker, two dispatchd instances on them, nginx
# in front. Everything lives under $DISPATCH_DATA_DIR and listens on loopback.
# Adds the pids to cluster_pids (stopped by run-demo.sh's cleanup) and sets
# instance_a_url.
#
# Environment: DEMO_PG_PORT (55432), DEMO_KAFKA_PORT (59092; the controller
# takes the next port); the instances take the two ports after DISPATCH_LISTEN's.

pg_bindir=$(pg_config --bindir 2>/dev/null || echo /usr/lib/postgresql/15/bin)

# Runs a PostgreSQL tool as the account owning the cluster (postgres refuses root).
as_pg_owner () {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

start_postgres () {
  local dir=$DISPATCH_DATA_DIR/postgres port=${DEMO_PG_PORT:-55432}
  if [ ! -f "$dir/PG_VERSION" ]; then
    mkdir -p "$dir"
    [ "$(id -u)" -eq 0 ] && chown postgres: "$dir"
    as_pg_owner "$pg_bindir/initdb" -D "$dir" -U dispatch --auth=trust -E UTF8 > /dev/null
  fi
  echo "Starting PostgreSQL on 127.0.0.1:$port"
  as_pg_owner "$pg_bindir/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir" start > /dev/null
  cluster_pg_dir=$dir
  as_pg_owner psql -h 127.0.0.1 -p "$port" -U dispatch -d postgres -tAc \
    "SELECT 1 FROM pg_database WHERE datname = 'dispatch'" | grep -q 1 ||
    as_pg_owner psql -h 127.0.0.1 -p "$port" -U dispatch -d postgres -qc "CREATE DATABASE dispatch"
  export DATABASE_URL="postgresql://dispatch@127.0.0.1:$port/dispatch"
}

stop_postgres () {
  [ -n "${cluster_pg_dir:-}" ] || return 0
  as_pg_owner "$pg_bindir/pg_ctl" -D "$cluster_pg_dir" -m fast -w stop > /dev/null 2>&1 || true
}

start_kafka () {
  local port=${DEMO_KAFKA_PORT:-59092} log=$DISPATCH_DATA_DIR/kafka.log
  echo "Starting Apache Kafka on 127.0.0.1:$port (log: $DISPATCH_DATA_DIR/kafka/broker.log)"
  setsid bash build-aux/kafka-broker.sh "$DISPATCH_DATA_DIR/kafka" "$port" $((port + 1)) \
    > "$log" 2>&1 &
  cluster_pids+=($!)
  for _ in $(seq 600); do
    (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null && break
    kill -0 "${cluster_pids[-1]}" 2>/dev/null || { tail -n 30 "$log" >&2; exit 1; }
    sleep 0.1
  done
  export KAFKA_BROKERS=127.0.0.1:$port
}

# A secret every instance shares (tokens issued by one are valid on the other).
shared_secret () {
  local file=$DISPATCH_DATA_DIR/$1
  [ -f "$file" ] || head -c 32 /dev/urandom | base64 | tr -d '\n' > "$file"
  cat "$file"
}

start_instance () {
  local name=$1 listen=$2
  local log=$DISPATCH_DATA_DIR/dispatchd-$name.log
  shift 2
  echo "Starting dispatchd $name on http://$listen (log: $log)"
  DISPATCH_LISTEN=$listen DISPATCH_DATA_DIR=$DISPATCH_DATA_DIR/instance-$name \
    setsid build/server/dispatchd "$@" > "$log" 2>&1 &
  cluster_pids+=($!)
  wait_ready "http://$listen" "${cluster_pids[-1]}" "$log"
}

start_nginx () {
  local conf=$DISPATCH_DATA_DIR/nginx.conf
  cat > "$conf" <<EOF
daemon off;
worker_processes 1;
pid $DISPATCH_DATA_DIR/nginx.pid;
error_log $DISPATCH_DATA_DIR/nginx-error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $DISPATCH_DATA_DIR/nginx-body;
  proxy_temp_path $DISPATCH_DATA_DIR/nginx-proxy;
  upstream dispatchd {
    server $1;
    server $2;
    keepalive 32;
  }
  map \$http_upgrade \$connection_upgrade {
    default upgrade;
    '' '';
  }
  server {
    listen $DISPATCH_LISTEN;
    client_max_body_size 2m;
    location / {
      proxy_pass http://dispatchd;
      proxy_http_version 1.1;
      proxy_set_header Upgrade \$http_upgrade;
      proxy_set_header Connection \$connection_upgrade;
      proxy_set_header Host \$host;
      proxy_set_header X-Forwarded-For \$remote_addr;
      proxy_read_timeout 120s;
      proxy_buffering off;
    }
  }
}
EOF
  echo "Starting nginx on $url, balancing over both instances"
  setsid nginx -c "$conf" -e "$DISPATCH_DATA_DIR/nginx-error.log" &
  cluster_pids+=($!)
  wait_ready "$url" "${cluster_pids[-1]}" "$DISPATCH_DATA_DIR/nginx-error.log"
}

start_cluster () {
  local host=${DISPATCH_LISTEN%:*} port=${DISPATCH_LISTEN##*:}
  local a=$host:$((port + 1)) b=$host:$((port + 2))

  trap 'cleanup; stop_postgres' EXIT
  start_postgres
  start_kafka
  export DISPATCH_JWT_SECRET=${DISPATCH_JWT_SECRET:-$(shared_secret jwt-secret)}
  export DISPATCH_ADMIN_PASSWORD=${DISPATCH_ADMIN_PASSWORD:-$(shared_secret admin-password)}
  # Every connection through nginx comes from its address (docs/cluster.md).
  export DISPATCH_HTTP_MAX_CONNECTIONS_PER_CLIENT=${DISPATCH_HTTP_MAX_CONNECTIONS_PER_CLIENT:-4096}
  start_instance a "$a" "$@"
  start_instance b "$b" "$@"
  start_nginx "$a" "$b"
  instance_a_url=http://$a
}
