#!/usr/bin/env bash
# `make demo`: the Astronomy Shop scenario against the project's own shop simulator on
# loopback. Starts shopsim (shop API + flagd OFREP) on free ports, runs loadgen headless with
# live stats and a final summary, prints what shopsim saw, and stops everything it started
# (also on Ctrl-C: loadgen then prints its summary first).
# Traces, logs and metrics go to local files (LOADGEN_OTLP_<SIGNAL>_FILE, OTLP/JSON lines).
# Knobs (environment): DEMO_USERS (50), DEMO_SPAWN_RATE (10), DEMO_RUN_TIME (30s),
# DEMO_WAIT_TIME (between(0.5, 2.5); the demo's own users wait between(1, 10)), LOADGEN_BIN,
# SHOPSIM_BIN.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
loadgen="${LOADGEN_BIN:-$repo/build/release/src/app/loadgen}"
shopsim="${SHOPSIM_BIN:-$repo/build/release/tools/shopsim/shopsim}"
for b in "$loadgen" "$shopsim"; do
  [ -x "$b" ] || { echo "demo: $b not found; run 'make build' first" >&2; exit 1; }
done

work="$(mktemp -d "${TMPDIR:-/tmp}/loadgen-demo.XXXXXX")"
shop_pid=""
lg_pid=""
cleanup() {
  [ -n "$lg_pid" ] && kill -TERM "$lg_pid" 2>/dev/null || true
  if [ -n "$shop_pid" ]; then
    kill -TERM "$shop_pid" 2>/dev/null || true
    wait "$shop_pid" 2>/dev/null || true
  fi
}
trap cleanup EXIT
trap 'exit 130' TERM

cp "$repo/tools/shopsim/flags.json" "$work/flags.json"
"$shopsim" --port 0 --ofrep-port 0 --flags "$work/flags.json" --port-file "$work/ports" \
  >"$work/shopsim.out" 2>"$work/shopsim.err" &
shop_pid=$!
for _ in $(seq 1 100); do
  [ -s "$work/ports" ] && break
  kill -0 "$shop_pid" 2>/dev/null || { cat "$work/shopsim.err" >&2; exit 1; }
  sleep 0.05
done
port="$(awk '$1 == "PORT" {print $2}' "$work/ports")"
ofrep_port="$(awk '$1 == "OFREP_PORT" {print $2}' "$work/ports")"
echo "demo: shop simulator on http://127.0.0.1:$port (flagd OFREP on port $ofrep_port), pid $shop_pid"
echo "demo: flags in $work/flags.json (edit it while the demo runs: loadGeneratorFloodHomepage," \
     "loadGeneratorTraffic, loadGeneratorVUs); reports in $work"

set +e
# Telemetry written locally: traces, logs and metrics as OTLP/JSON lines (one batch per line),
# no collector needed.
FLAGD_HOST=127.0.0.1 FLAGD_OFREP_PORT="$ofrep_port" LOADGEN_OTLP_TRACES_FILE="$work/traces.jsonl" \
  LOADGEN_OTLP_LOGS_FILE="$work/logs.jsonl" LOADGEN_OTLP_METRICS_FILE="$work/metrics.jsonl" \
  OTEL_METRIC_EXPORT_INTERVAL="${OTEL_METRIC_EXPORT_INTERVAL:-10000}" \
  OTEL_BSP_SCHEDULE_DELAY="${OTEL_BSP_SCHEDULE_DELAY:-1000}" OTEL_BSP_MAX_QUEUE_SIZE="${OTEL_BSP_MAX_QUEUE_SIZE:-65536}" \
  "$loadgen" --headless --scenario astronomy-shop \
  -H "http://127.0.0.1:$port" \
  -u "${DEMO_USERS:-50}" -r "${DEMO_SPAWN_RATE:-10}" -t "${DEMO_RUN_TIME:-30s}" \
  --wait-time "${DEMO_WAIT_TIME:-between(0.5, 2.5)}" \
  --csv "$work/demo" --json-file "$work/demo.json" &
lg_pid=$!
trap 'kill -INT $lg_pid 2>/dev/null' INT
wait "$lg_pid"
rc=$?
if kill -0 "$lg_pid" 2>/dev/null; then wait "$lg_pid"; rc=$?; fi
lg_pid=""
trap 'exit 130' INT
set -e

echo
echo "demo: what the shop simulator saw (GET /__stats):"
curl -s "http://127.0.0.1:$port/__stats" || true
echo
if [ -s "$work/traces.jsonl" ]; then
  echo "demo: traces (OTLP/JSON lines) in $work/traces.jsonl: $(wc -l <"$work/traces.jsonl") batches;" \
       "span names: $(grep -o '"name":"[a-zA-Z_]*"' "$work/traces.jsonl" | sort | uniq -c | sort -rn | head -6 | awk '{printf "%s %s  ", $1, $2}')"
fi
if [ -s "$work/logs.jsonl" ]; then
  echo "demo: logs (OTLP/JSON lines, with trace and span ids) in $work/logs.jsonl:" \
       "$(grep -o '"body":' "$work/logs.jsonl" | wc -l) log lines," \
       "$(grep -o '"eventName":"feature_flag.evaluation"' "$work/logs.jsonl" | wc -l) feature_flag.evaluation events"
fi
if [ -s "$work/metrics.jsonl" ]; then
  echo "demo: metrics (OTLP/JSON lines; http.client.request.duration, loadgen.*, process.*) in" \
       "$work/metrics.jsonl: $(wc -l <"$work/metrics.jsonl") collections"
fi
echo "demo: loadgen exited with code $rc (see docs/exit-codes.md)"
