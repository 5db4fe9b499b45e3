#!/usr/bin/env bash
# Runs the service. With MONGODB_URI set it serves that database as it is.
# Without it, it serves the embedded database kept in .data/mongo (created,
# indexed and loaded with the demo data on the first run, kept across
# restarts); `scripts/run.sh --reset` starts that database afresh.
#   SHIKU_DATA     the data folder (default .data)
#   SHIKU_API_BIN  a built binary to run instead of building the release one
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${SHIKU_API_BIN:-}
if [ -z "$BIN" ]; then
  cargo build --release --quiet
  BIN=target/release/shiku-api
fi
if [ -n "${MONGODB_URI:-}" ]; then
  exec "$BIN" serve
fi
DATA=${SHIKU_DATA:-$PWD/.data}
if [ "${1:-}" = "--reset" ]; then rm -rf "$DATA"; fi
export TEST_DB_STATE=$DATA/server   # its own instance, never the tests'
export TEST_DB_DATA=$DATA/mongo
trap 'scripts/test-db.sh stop' EXIT
# A stop asked for before the service runs (during the seeding) ends here.
server=""
trap 'stopping=1; if [ -n "$server" ]; then kill -TERM "$server" 2>/dev/null || true; fi' INT TERM
stopping=""
MONGODB_URI=$(scripts/test-db.sh start)
export MONGODB_URI
# The demo accepts the deployment's own PC client (QZ) as it ships.
export API_KEY=${API_KEY:-5e29f483c42231}
if [ ! -f "$DATA/seeded" ]; then
  "$BIN" indexes
  "$BIN" seed
  touch "$DATA/seeded"
fi
if [ -n "$stopping" ]; then exit 0; fi
"$BIN" serve &
server=$!
# `wait` returns early when a signal is trapped: wait again for the exit.
status=0
wait "$server" || { wait "$server" || status=$?; }
exit "$status"
