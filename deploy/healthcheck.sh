#!/bin/bash
# Health check of a loadgen container (Docker HEALTHCHECK, Kubernetes exec probe). Needs only
# bash and /proc: no Python, no curl. Exit 0 = healthy, 1 = unhealthy.
#
# The mode comes from loadgen's command line (/proc/1/cmdline: loadgen is PID 1 under
# ENTRYPOINT ["loadgen"]) and the container's environment, the same sources loadgen reads
# (command line > environment; a locust.conf is not consulted):
#   web UI (single node or master) : a TCP connect to the web port (LOCUST_WEB_PORT, 8089), as
#                                    the demo's check of its load generator;
#   headless master                : its master port (LOCUST_MASTER_BIND_PORT, 5557) is listening;
#   worker (no web port)           : it has an established TCP connection to its master
#                                    (LOCUST_MASTER_NODE_PORT, 5557);
#   headless single node           : loadgen (PID 1) is alive (and not a zombie).
# LOADGEN_HEALTHCHECK_DEBUG=1 prints what was checked; LOADGEN_HEALTHCHECK_PID checks another
# process than PID 1 (tests/integration/test_deploy.py runs the script against its own loadgen).
set -u
pid=${LOADGEN_HEALTHCHECK_PID:-1}

debug() { [ "${LOADGEN_HEALTHCHECK_DEBUG:-}" = 1 ] && echo "loadgen-healthcheck: $*" >&2; return 0; }
fail() { echo "loadgen-healthcheck: unhealthy: $*" >&2; exit 1; }

truthy() {
  case "${1,,}" in
    true | yes | 1) return 0 ;;
    *) return 1 ;;
  esac
}

# loadgen must be a live process (not a zombie).
read -r stat 2>/dev/null <"/proc/$pid/stat" || fail "no process $pid"
state=${stat##*) }
state=${state%% *}
[ "$state" != Z ] || fail "process $pid is a zombie"

# loadgen's arguments: --opt VALUE and --opt=VALUE, as CLI11 takes them.
args=()
if [ -r "/proc/$pid/cmdline" ]; then
  mapfile -d '' -t args <"/proc/$pid/cmdline"
fi
worker=false master=false headless=false
truthy "${LOCUST_MODE_WORKER:-}" && worker=true
truthy "${LOCUST_MODE_MASTER:-}" && master=true
truthy "${LOCUST_HEADLESS:-}" && headless=true
web_host=${LOCUST_WEB_HOST:-}
web_port=${LOCUST_WEB_PORT:-8089}
node_port=${LOCUST_MASTER_NODE_PORT:-5557}
bind_port=${LOCUST_MASTER_BIND_PORT:-5557}
i=1
while [ "$i" -lt "${#args[@]}" ]; do
  a=${args[$i]}
  next=${args[$((i + 1))]:-}
  case "$a" in
    --worker) worker=true ;;
    --master) master=true ;;
    --headless) headless=true ;;
    --web-host=*) web_host=${a#*=} ;;
    --web-host) web_host=$next; i=$((i + 1)) ;;
    --web-port=*) web_port=${a#*=} ;;
    --web-port) web_port=$next; i=$((i + 1)) ;;
    --master-port=*) node_port=${a#*=} ;;
    --master-port) node_port=$next; i=$((i + 1)) ;;
    --master-bind-port=*) bind_port=${a#*=} ;;
    --master-bind-port) bind_port=$next; i=$((i + 1)) ;;
  esac
  i=$((i + 1))
done

# tcp_state PORT STATE WHICH: a socket in /proc/net/tcp{,6} with that local (WHICH=local) or
# remote (WHICH=remote) port in that state (0A = LISTEN, 01 = ESTABLISHED).
tcp_state() {
  local want f line _sl local_addr rem_addr st
  want=$(printf '%04X' "$1") || return 1
  for f in /proc/net/tcp /proc/net/tcp6; do
    [ -r "$f" ] || continue
    while read -r _sl local_addr rem_addr st line; do
      [ "$st" = "$2" ] || continue
      if [ "$3" = local ] && [ "${local_addr##*:}" = "$want" ]; then return 0; fi
      if [ "$3" = remote ] && [ "${rem_addr##*:}" = "$want" ]; then return 0; fi
    done <"$f"
  done
  return 1
}

is_port() { [[ "$1" =~ ^[0-9]+$ ]] && [ "$1" -ge 1 ] && [ "$1" -le 65535 ]; }

if $worker; then
  is_port "$node_port" || fail "bad master port '$node_port'"
  debug "worker: connection to master port $node_port"
  tcp_state "$node_port" 01 remote || fail "worker has no connection to its master (port $node_port)"
  exit 0
fi

if ! $headless; then
  is_port "$web_port" || fail "bad web port '$web_port'"
  case "$web_host" in
    "" | "*" | 0.0.0.0 | "::" | "[::]") host=127.0.0.1 ;;
    *) host=$web_host ;;
  esac
  debug "web UI: TCP connect to $host:$web_port"
  timeout 3 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$host" "$web_port" 2>/dev/null ||
    fail "web port $host:$web_port does not accept connections"
  exit 0
fi

if $master; then
  is_port "$bind_port" || fail "bad master bind port '$bind_port'"
  debug "headless master: port $bind_port listening"
  tcp_state "$bind_port" 0A local || fail "master port $bind_port is not listening"
  exit 0
fi

debug "headless: process $pid alive"
exit 0
