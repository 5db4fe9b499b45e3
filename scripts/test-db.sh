#!/usr/bin/env bash
# The real test database: SecantusDB (MongoDB wire protocol on WiredTiger, from
# PyPI) in a project-local venv. No mocks of MongoDB anywhere.
#   scripts/test-db.sh start   install if needed, start on a free loopback port, print the URI
#   scripts/test-db.sh stop    stop exactly the process `start` started, remove its storage
#                              (kept when it was started with TEST_DB_DATA=<folder>)
#   scripts/test-db.sh uri     print the URI of the running instance
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
VENV=${SHIKU_VENV:-$ROOT/.venv}
STATE=${TEST_DB_STATE:-$ROOT/.test-db}
SECANTUS_VERSION=0.7.0b3

install() {
  if [ ! -x "$VENV/bin/secantusd-py" ]; then
    python3 -m venv "$VENV" >&2
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "SecantusDB==$SECANTUS_VERSION" >&2
  fi
}

running() { [ -f "$STATE/pid" ] && kill -0 "$(cat "$STATE/pid")" 2>/dev/null; }

start() {
  install
  if running; then cat "$STATE/uri"; return; fi
  mkdir -p "$STATE"
  local port dir
  port=$("$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  if [ -n "${TEST_DB_DATA:-}" ]; then
    dir=$TEST_DB_DATA; mkdir -p "$dir"   # kept across restarts
  else
    dir=$(mktemp -d "${TMPDIR:-/tmp}/shiku-test-db.XXXXXX")
    echo "$dir" >"$STATE/dir"             # removed by stop
  fi
  nohup "$VENV/bin/secantusd-py" --host 127.0.0.1 --port "$port" --storage-path "$dir" --log-level WARNING \
    >"$STATE/log" 2>&1 &
  echo $! >"$STATE/pid"
  local uri="mongodb://127.0.0.1:$port/?directConnection=true"
  for _ in $(seq 1 150); do
    if "$VENV/bin/python" - "$port" <<'PY' 2>/dev/null
import sys, pymongo
c = pymongo.MongoClient("127.0.0.1", int(sys.argv[1]), directConnection=True, serverSelectionTimeoutMS=500)
c.admin.command("ping")
PY
    then echo "$uri" >"$STATE/uri"; echo "$uri"; return; fi
    if ! running; then echo "test database exited:" >&2; cat "$STATE/log" >&2; exit 1; fi
    sleep 0.2
  done
  echo "test database did not answer within 30 s" >&2; stop; exit 1
}

stop() {
  if [ -f "$STATE/pid" ]; then
    local pid; pid=$(cat "$STATE/pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  [ -f "$STATE/dir" ] && rm -rf "$(cat "$STATE/dir")"
  rm -f "$STATE/pid" "$STATE/uri" "$STATE/dir"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  uri) running && cat "$STATE/uri" || { echo "not running" >&2; exit 1; } ;;
  install) install ;;
  *) echo "usage: $0 start|stop|uri|install" >&2; exit 2 ;;
esac
