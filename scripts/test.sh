#!/usr/bin/env bash
# Runs the whole test suite against a real test database (and a real Redis for
# the Redis session tests), always stops them, exits with the suite's status.
#   scripts/test.sh            the suite
#   scripts/test.sh --full     also the long sweeps (full bad-input product) and the
#                              schemathesis run of /openapi.json (scripts/schemathesis.sh)
set -uo pipefail
cd "$(dirname "$0")/.."
FULL=""
if [ "${1:-}" = "--full" ]; then export SHIKU_FULL_SWEEP=1; FULL=1; shift; fi
export TEST_DB_STATE=$PWD/.test-db/test REDIS_STATE=$PWD/.test-db/test-redis ROCKETMQ_STATE=$PWD/.test-db/test-rocketmq
cleanup() {
  scripts/test-db.sh stop >/dev/null 2>&1; scripts/redis.sh stop >/dev/null 2>&1
  scripts/rocketmq.sh stop >/dev/null 2>&1
}
trap cleanup EXIT INT TERM
TEST_MONGODB_URI=$(scripts/test-db.sh start) || exit 1
export TEST_MONGODB_URI
if REDIS=$(scripts/redis.sh start 2>/dev/null); then export TEST_REDIS_URL=$REDIS; else echo "redis-server unavailable: Redis session tests will fail" >&2; fi
# A real RocketMQ name server and broker for the push tests (built once into
# ~/.cache/shiku-api: 25-50 min on a fresh machine).
if NS=$(scripts/rocketmq.sh start); then export TEST_ROCKETMQ_NAMESRV=$NS; else echo "RocketMQ unavailable: the push tests will fail" >&2; fi
# ffmpeg (Debian's package) converts AMR voice to MP3 for /upload/amrToMp3.
if ! command -v ffmpeg >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  (apt-get install -y -qq --no-install-recommends ffmpeg >/dev/null 2>&1 \
    || { apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends ffmpeg >/dev/null; }) \
    || echo "ffmpeg unavailable: the amrToMp3 test will fail" >&2
fi
cargo build --bins --quiet || exit 1
# Every query's shape is recorded, then checked against the indexes.
export QUERY_LOG=$PWD/target/query-shapes.jsonl
rm -f "$QUERY_LOG"
cargo test --no-fail-fast "$@" -- --test-threads "${TEST_THREADS:-8}"
status=$?
if [ $# -eq 0 ]; then
  cargo test --test it indexes:: -- --ignored || status=1
fi
if [ -n "$FULL" ]; then
  scripts/schemathesis.sh || status=1
fi
exit $status
