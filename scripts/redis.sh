#!/usr/bin/env bash
# A throwaway redis-server for the Redis session tests (Debian package).
#   scripts/redis.sh start   install if needed, start on a free port, print redis://...
#   scripts/redis.sh stop
set -euo pipefail
cd "$(dirname "$0")/.."
STATE=${REDIS_STATE:-$PWD/.test-db/redis}
case "${1:-}" in
  start)
    if ! command -v redis-server >/dev/null; then
      (apt-get install -y -qq redis-server >/dev/null 2>&1 || { apt-get update -qq >/dev/null && apt-get install -y -qq redis-server >/dev/null; }) >&2
    fi
    mkdir -p "$STATE"
    # Already started with this state folder: the same server (a second start
    # would leave the first one running with nobody to stop it).
    if [ -f "$STATE/pid" ] && [ -f "$STATE/uri" ] && kill -0 "$(cat "$STATE/pid")" 2>/dev/null; then
      cat "$STATE/uri"; exit 0
    fi
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
      --pidfile "$STATE/pid" --logfile "$STATE/log" >/dev/null
    for _ in $(seq 1 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
    echo "redis://127.0.0.1:$port" | tee "$STATE/uri"
    ;;
  stop)
    [ -f "$STATE/pid" ] && kill "$(cat "$STATE/pid")" 2>/dev/null || true
    rm -f "$STATE/pid" "$STATE/uri"
    ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
