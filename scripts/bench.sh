#!/usr/bin/env bash
# Benchmark: release service vs the same MongoDB queries issued directly.
#   scripts/bench.sh [--messages N] [--scale] [--sizes "10000 100000 1000000"] [--ab REV]
# Uses MONGODB_URI when set (in databases of its own, named shiku_bench_*), otherwise a fresh embedded
# test database (scripts/test-db.sh, removed afterwards). Seeds the demo data
# plus N synthetic messages (default 100000) with `shiku-api seed`, which also
# creates the indexes, starts the release service on a free port and runs
# examples/bench.rs against it. Results: stdout table + target/bench/*.json.
# --scale: history/conversation latency and explain plans at each size of
# --sizes (cumulative: each seed adds the messages the previous one lacks).
# --ab REV: A/B against the build of commit REV (e.g. 05a548d): both services run
# on the same database, and each endpoint is measured in BENCH_ROUNDS (default 5)
# alternating rounds; CPU ms/request of each process from /proc, p50 of each.
# REV is exported with `git archive` to ~/.cache/shiku-api/baseline-REV and built
# there once (target folder ~/.cache/shiku-api/baseline-target).
# Environment: BENCH_REQUESTS (default 2000; no new request after BENCH_SECONDS=15
# per measurement), BENCH_CONCURRENCY ("1,32"),
# BENCH_ONLY (substring of the endpoint names to run), CARGO_TARGET_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
MESSAGES=100000; SCALE=0; SIZES="10000 100000 1000000"; AB=""
while [ $# -gt 0 ]; do
  case "$1" in
    --messages) MESSAGES=$2; shift 2 ;;
    --scale) SCALE=1; shift ;;
    --sizes) SIZES=$2; shift 2 ;;
    --ab) AB=$2; shift 2 ;;
    *) echo "usage: $0 [--messages N] [--scale] [--sizes \"N1 N2 ...\"] [--ab REV]" >&2; exit 2 ;;
  esac
done
TARGET=${CARGO_TARGET_DIR:-target}
nice cargo build --release --quiet --bins --examples
BIN=$TARGET/release/shiku-api
DRIVER=$TARGET/release/examples/bench
BIN_A=""
if [ -n "$AB" ]; then
  CACHE=${SHIKU_CACHE:-$HOME/.cache/shiku-api}
  REV=$(git rev-parse --short "$AB")
  SRC_A=$CACHE/baseline-$REV
  if [ ! -f "$SRC_A/Cargo.toml" ]; then
    mkdir -p "$SRC_A"
    git archive "$REV" | tar -x -C "$SRC_A"
  fi
  (cd "$SRC_A" && CARGO_TARGET_DIR=$CACHE/baseline-target nice cargo build --release --quiet --bins)
  BIN_A=$CACHE/baseline-target/release/shiku-api
fi
OWN_DB=0
if [ -z "${MONGODB_URI:-}" ]; then
  export TEST_DB_STATE=$PWD/.test-db/bench
  scripts/test-db.sh stop >/dev/null 2>&1 || true
  MONGODB_URI=$(scripts/test-db.sh start); OWN_DB=1
fi
# Sessions in MongoDB unless REDIS_URL is set explicitly for the bench.
if [ "$OWN_DB" = 0 ]; then
  # A given server: the bench's own databases on it, never the deployment's.
  for v in IMAPI:imapi ROOM:room MSGS:msgs LASTCHAT:lastchat ROOM_MEMBER:room_member \
           ROOM_JIDS:room_jids RESOURCES:resources ADDRESSBOOK:addressbook; do
    export "DB_${v%%:*}=shiku_bench_${v#*:}"
  done
  export JH_DB=shiku_bench_jh
fi
export MONGODB_URI LOG=${LOG:-warn}
# The bench's own private OpenIM secret unless one is given (the public default turns OpenIM off).
export OPENIM_SECRET=${OPENIM_SECRET:-bench-openim-secret-$RANDOM$RANDOM}
SVC=""; SVC_A=""
cleanup() {
  for p in $SVC $SVC_A; do kill "$p" 2>/dev/null || true; done
  if [ "$OWN_DB" = 1 ]; then scripts/test-db.sh stop >/dev/null; fi
}
trap cleanup EXIT INT TERM
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# start_service BIN SUFFIX: runs BIN on a free port; exports BENCH_BASE$SUFFIX,
# BENCH_PID$SUFFIX and BENCH_OPENIM_TOKEN$SUFFIX.
start_service() {
  local bin=$1 sfx=$2 port base pid token
  port=$(free_port); base=http://127.0.0.1:$port
  BIND_ADDR=127.0.0.1:$port "$bin" serve & pid=$!
  for _ in $(seq 1 100); do curl -sf "$base/health" >/dev/null && break; sleep 0.1; done
  token=$(curl -s -X POST "$base/auth/get_admin_token" -H 'operationID: bench' -H 'Content-Type: application/json' \
    -d "{\"secret\":\"$OPENIM_SECRET\",\"userID\":\"imAdmin\"}" | python3 -c 'import sys,json; print(json.load(sys.stdin).get("data",{}).get("token",""))' 2>/dev/null || true)
  export "BENCH_BASE$sfx=$base" "BENCH_PID$sfx=$pid" "BENCH_OPENIM_TOKEN$sfx=$token"
  if [ -z "$sfx" ]; then SVC=$pid; else SVC_A=$pid; fi
}
seed() {
  local t0 t1
  t0=$(date +%s.%N)
  "$BIN" seed --messages "$1" | grep -v '^  e.g.\|^demo users'
  t1=$(date +%s.%N)
  printf 'seed --messages %s: %.0f s\n' "$1" "$(echo "$t1 - $t0" | bc)"
}
echo "machine: $(nproc) cores $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo); database: $([ "$OWN_DB" = 1 ] && echo "embedded test DB (SecantusDB)" || echo "$MONGODB_URI"); $(date -u '+%F %H:%M UTC')"
if [ "$SCALE" = 1 ]; then
  for n in $SIZES; do
    echo "== $n synthetic messages =="
    seed "$n"
    [ -z "$SVC" ] && start_service "$BIN" ""
    "$DRIVER" --scale
  done
else
  seed "$MESSAGES"
  start_service "$BIN" ""
  if [ -n "$BIN_A" ]; then
    start_service "$BIN_A" _A
    echo "A = $AB ($REV), B = $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src Cargo.toml Cargo.lock || echo '+changes')"
  fi
  "$DRIVER"
fi
