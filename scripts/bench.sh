#!/usr/bin/env bash
# Benchmark: release service vs the same MongoDB queries issued directly.
#   scripts/bench.sh [--messages N] [--scale]
# Uses MONGODB_URI when set (data is added to it!), otherwise a fresh embedded
# test database. Seeds the demo data plus N synthetic messages (default 100000),
# creates indexes, starts the release service on a free port and runs
# examples/bench.rs against it. Results: stdout table + target/bench/*.json.
# --scale: history/conversation latency and explain plans at 10k, 100k, 1M messages.
set -euo pipefail
cd "$(dirname "$0")/.."
MESSAGES=100000; SCALE=0
while [ $# -gt 0 ]; do
  case "$1" in
    --messages) MESSAGES=$2; shift 2 ;;
    --scale) SCALE=1; shift ;;
    *) echo "usage: $0 [--messages N] [--scale]" >&2; exit 2 ;;
  esac
done
cargo build --release --quiet --bins --examples
BIN=target/release/shiku-api
OWN_DB=0
if [ -z "${MONGODB_URI:-}" ]; then
  export TEST_DB_STATE=$PWD/.test-db/bench
  MONGODB_URI=$(scripts/test-db.sh start); OWN_DB=1
fi
export MONGODB_URI LOG=${LOG:-warn}
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export BIND_ADDR=127.0.0.1:$PORT BENCH_BASE=http://127.0.0.1:$PORT
SVC=""
cleanup() { [ -n "$SVC" ] && kill "$SVC" 2>/dev/null; [ "$OWN_DB" = 1 ] && scripts/test-db.sh stop >/dev/null; }
trap cleanup EXIT INT TERM
"$BIN" indexes >/dev/null
start_service() {
  "$BIN" serve & SVC=$!
  for _ in $(seq 1 100); do curl -sf "$BENCH_BASE/health" >/dev/null && break; sleep 0.1; done
  export BENCH_PID=$SVC
  BENCH_OPENIM_TOKEN=$(curl -s -X POST "$BENCH_BASE/auth/get_admin_token" -H 'operationID: bench' -H 'Content-Type: application/json' \
    -d "{\"secret\":\"${OPENIM_SECRET:-openIM123}\",\"userID\":\"imAdmin\"}" | python3 -c 'import sys,json; print(json.load(sys.stdin).get("data",{}).get("token",""))' 2>/dev/null || true)
  export BENCH_OPENIM_TOKEN
}
if [ "$SCALE" = 1 ]; then
  for n in 10000 100000 1000000; do
    echo "== $n stored messages =="
    "$BIN" seed --messages "$n"
    [ -z "$SVC" ] && start_service
    target/release/examples/bench --scale
  done
else
  "$BIN" seed --messages "$MESSAGES"
  start_service
  echo "machine: $(nproc) cores, $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(date -u +%F)"
  target/release/examples/bench
fi
