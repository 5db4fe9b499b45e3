#!/usr/bin/env bash
# Runs the service. With MONGODB_URI set it serves that database as it is;
# without it, it starts the embedded test database, creates the indexes, loads
# the demo data and serves (stopping the database on exit).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
BIN=target/release/shiku-api
if [ -z "${MONGODB_URI:-}" ]; then
  export TEST_DB_STATE=$PWD/.test-db/run   # its own instance, never the tests'
  MONGODB_URI=$(scripts/test-db.sh start)
  export MONGODB_URI
  # The demo accepts the deployment's own PC client (QZ) as it ships.
  export API_KEY=${API_KEY:-5e29f483c42231}
  trap 'scripts/test-db.sh stop' EXIT INT TERM
  "$BIN" indexes
  "$BIN" seed
fi
"$BIN" serve
