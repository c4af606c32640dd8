#!/usr/bin/env bash
# `make demo`: starts a local server on a free loopback port, runs loadgen headless against
# it with live stats and a final summary, and stops everything it started (also on Ctrl-C).
# Knobs (environment): DEMO_USERS (20), DEMO_SPAWN_RATE (10), DEMO_RUN_TIME (30s),
# DEMO_WAIT_TIME ("between(0.5, 2)"), LOADGEN_BIN.
set -euo pipefail
. "$(dirname "$0")/../bench/lib/common.sh"

LOADGEN="$(bench_find_loadgen)"
bench_init
bench_start_nginx 0
mkdir -p "$BENCH_WORKDIR/nginx/www/api"
echo '{"status":"ok"}' > "$BENCH_WORKDIR/nginx/www/api/health.json"

echo "demo: nginx on http://127.0.0.1:$NGINX_PORT (pid $NGINX_PID); output in $BENCH_WORKDIR"
set +e
"$LOADGEN" --headless \
  -H "http://127.0.0.1:$NGINX_PORT" \
  -u "${DEMO_USERS:-20}" -r "${DEMO_SPAWN_RATE:-10}" -t "${DEMO_RUN_TIME:-30s}" \
  --wait-time "${DEMO_WAIT_TIME:-between(0.5, 2)}" \
  --path / --path /api/health.json --path /missing \
  --csv "$BENCH_WORKDIR/demo" &
LG_PID=$!
trap 'kill -INT $LG_PID 2>/dev/null' INT
wait $LG_PID
rc=$?
trap 'exit 130' INT
wait $LG_PID 2>/dev/null
echo "demo: loadgen exited with code $rc (1 = some requests failed: /missing answers 404 on purpose)"
exit 0
