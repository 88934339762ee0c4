# Sourced by the benchmark scripts: nginx as a server that is not the bottleneck, for the floor comparison.
# start_nginx BODY_FILE WORK_DIR [PIN...]: one nginx worker serving BODY_FILE as GET /allocations
# (application/json, keep-alive without limits) on a free loopback port, started under PIN (e.g. taskset -c 1);
# its URL in $nginx_url, its master's pid in $nginx_pid; WORK_DIR holds its configuration and logs, the body is
# served from a directory of its own. stop_nginx stops it and removes that directory.
start_nginx() {
  local body=$1 work=$2 port conf
  shift 2
  mkdir -p "$work/logs"
  # nginx's worker is not root: it reads the body from a directory of its own that anyone may enter (a checkout
  # under a private directory, such as root's home or a mktemp -d, is closed to it).
  nginx_www=$(mktemp -d)
  cp "$body" "$nginx_www/allocations"
  chmod 755 "$nginx_www" && chmod 644 "$nginx_www/allocations"
  for _ in $(seq 1 20); do
    port=$((20000 + RANDOM % 20000))
    conf="$work/nginx.conf"
    cat > "$conf" <<CONF
worker_processes 1;
daemon off;
pid $work/nginx.pid;
error_log $work/logs/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 100000000;
  keepalive_timeout 300s;
  types { }
  default_type application/json;
  server {
    listen 127.0.0.1:$port;
    root $nginx_www;
    location = /allocations { }
  }
}
CONF
    "$@" nginx -p "$work" -e "$work/logs/error.log" -c "$conf" > "$work/logs/stdout.log" 2>&1 &
    nginx_pid=$!
    for _ in $(seq 1 100); do
      if curl -fsS -o /dev/null "http://127.0.0.1:$port/allocations" 2>/dev/null; then
        nginx_url="http://127.0.0.1:$port"
        return 0
      fi
      kill -0 "$nginx_pid" 2>/dev/null || break  # it failed to start (port taken): try another port
      sleep 0.05
    done
    kill "$nginx_pid" 2>/dev/null || true
    wait "$nginx_pid" 2>/dev/null || true
  done
  echo "nginx did not start: $(cat "$work/logs/error.log" 2>/dev/null)" >&2
  return 1
}

stop_nginx() {
  if [[ -n "${nginx_pid:-}" ]]; then
    kill "$nginx_pid" 2>/dev/null || true
    wait "$nginx_pid" 2>/dev/null || true
    nginx_pid=""
  fi
  if [[ -n "${nginx_www:-}" ]]; then
    rm -rf "$nginx_www"
    nginx_www=""
  fi
}
