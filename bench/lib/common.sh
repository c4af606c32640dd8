# Shared bash helpers for bench/* scripts: locate binaries, run a private
# nginx on a free loopback port, and clean up by PID on exit.
# Source it: . "$(dirname "$0")/lib/common.sh"

BENCH_LIB_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BENCH_REPO_DIR="$(cd "$BENCH_LIB_DIR/../.." && pwd)"
BENCH_PYTHON="${BENCH_PYTHON:-/usr/bin/python3}"
[ -x "$BENCH_PYTHON" ] || BENCH_PYTHON="$(command -v python3)"

bench_die() { echo "$(basename "$0"): $*" >&2; exit 1; }
bench_log() { echo "[$(basename "$0")] $*" >&2; }

# Prints the loadgen binary: $LOADGEN_BIN, else build/release, else any build.
bench_find_loadgen() {
  if [ -n "${LOADGEN_BIN:-}" ]; then
    [ -x "$LOADGEN_BIN" ] || bench_die "LOADGEN_BIN=$LOADGEN_BIN is not executable"
    echo "$LOADGEN_BIN"; return
  fi
  local c
  for c in "$BENCH_REPO_DIR/build/release/src/app/loadgen" \
           "$BENCH_REPO_DIR"/build*/src/app/loadgen \
           "$BENCH_REPO_DIR"/build/*/src/app/loadgen; do
    if [ -x "$c" ]; then echo "$c"; return; fi
  done
  bench_die "loadgen not found: build it (cmake --preset release && cmake --build --preset release) or set LOADGEN_BIN"
}

bench_require() {
  local t
  for t in "$@"; do command -v "$t" >/dev/null 2>&1 || bench_die "missing tool: $t (run scripts/install-deps.sh)"; done
}

bench_free_port() {
  "$BENCH_PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

bench_port_open() {
  "$BENCH_PYTHON" - "$1" <<'PY'
import socket, sys
try:
    socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=0.5).close()
except OSError:
    sys.exit(1)
PY
}

BENCH_WORKDIR=""
BENCH_PIDS=()

# Creates $BENCH_WORKDIR and installs the cleanup trap.
bench_init() {
  BENCH_WORKDIR="$(mktemp -d "${TMPDIR:-/tmp}/loadgen-bench.XXXXXX")"
  trap bench_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

bench_cleanup() {
  local pid
  for pid in "${BENCH_PIDS[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  BENCH_PIDS=()
  if [ -n "$BENCH_WORKDIR" ]; then
    if [ -z "${BENCH_KEEP:-}" ]; then rm -rf "$BENCH_WORKDIR"; else echo "kept $BENCH_WORKDIR" >&2; fi
  fi
}

# bench_start_nginx CPU: one worker, no master, pinned to CPU, serving
# $BENCH_WORKDIR/nginx/www/index.html. Sets NGINX_PORT and NGINX_PID.
bench_start_nginx() {
  local cpu="$1" dir="$BENCH_WORKDIR/nginx" try
  mkdir -p "$dir/www"
  printf '<html><head><title>loadgen bench</title></head><body>%s</body></html>\n' \
    "small static page for load generator benchmarks" > "$dir/www/index.html"
  for try in 1 2 3; do
    NGINX_PORT="$(bench_free_port)"
    cat > "$dir/nginx.conf" <<CONF
daemon off;
master_process off;
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
worker_rlimit_nofile 65536;
events { worker_connections 32768; }
http {
    access_log off;
    keepalive_timeout 120;
    keepalive_requests 100000000;
    client_body_temp_path $dir/body;
    proxy_temp_path $dir/proxy;
    fastcgi_temp_path $dir/fastcgi;
    uwsgi_temp_path $dir/uwsgi;
    scgi_temp_path $dir/scgi;
    default_type text/html;
    server {
        listen 127.0.0.1:$NGINX_PORT backlog=4096;
        root $dir/www;
        # A local OTLP/HTTP receiver for the benchmarks with export on: reads and discards
        # the request, answers 200 with an empty Export*ServiceResponse (full success).
        location ~ ^/v1/(traces|metrics|logs)\$ {
            client_max_body_size 64m;
            default_type application/x-protobuf;
            return 200 '';
        }
    }
}
CONF
    taskset -c "$cpu" /usr/sbin/nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" \
      </dev/null >/dev/null 2>&1 &
    NGINX_PID=$!
    BENCH_PIDS+=("$NGINX_PID")
    local i
    for i in $(seq 1 50); do
      if ! kill -0 "$NGINX_PID" 2>/dev/null; then break; fi
      if bench_port_open "$NGINX_PORT"; then return 0; fi
      sleep 0.1
    done
    kill -TERM "$NGINX_PID" 2>/dev/null || true
    wait "$NGINX_PID" 2>/dev/null || true
  done
  cat "$dir/error.log" >&2 || true
  bench_die "nginx did not start"
}
