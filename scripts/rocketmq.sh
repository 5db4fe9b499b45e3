#!/usr/bin/env bash
# A real RocketMQ for the push tests: the name server and broker published on
# crates.io (rocketmq-namesrv / rocketmq-broker 1.0.0, Apache-2.0), built once
# into a cache folder outside the clone and reused (the build takes 25-50 min
# on 2 cores), run on loopback ports of their own.
#   scripts/rocketmq.sh install   build the binaries into the cache if missing
#   scripts/rocketmq.sh start     install, start both, print the name server address
#   scripts/rocketmq.sh stop      stop both, remove their storage
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=1.0.0
CACHE=${SHIKU_TOOLS_CACHE:-$HOME/.cache/shiku-api}
BIN=$CACHE/rocketmq-$VERSION/bin
STATE=${ROCKETMQ_STATE:-$PWD/.test-db/rocketmq}

install() {
  if [ -x "$BIN/rocketmq-namesrv-rust" ] && [ -x "$BIN/rocketmq-broker-rust" ]; then return; fi
  # An unoptimised build (--debug) is quicker to make and plenty for tests;
  # both binaries share one target folder, so their common crates build once.
  echo "building rocketmq-namesrv and rocketmq-broker $VERSION into $CACHE (once; 25-50 min)" >&2
  local args=(install --quiet --debug --root "$CACHE/rocketmq-$VERSION" --version "$VERSION"
    rocketmq-namesrv rocketmq-broker)
  CARGO_TARGET_DIR=$CACHE/rocketmq-target cargo "${args[@]}" --locked >&2 \
    || CARGO_TARGET_DIR=$CACHE/rocketmq-target cargo "${args[@]}" >&2
  rm -rf "$CACHE/rocketmq-target"
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
running() { [ -f "$STATE/namesrv.pid" ] && kill -0 "$(cat "$STATE/namesrv.pid")" 2>/dev/null; }

wait_for() { # port, log, what
  for _ in $(seq 1 300); do
    if listening "$1"; then return; fi
    sleep 0.1
  done
  echo "$3 did not listen on $1 within 30 s:" >&2; tail -20 "$2" >&2; stop; exit 1
}

start() {
  install
  if running; then cat "$STATE/address"; return; fi
  rm -rf "$STATE"; mkdir -p "$STATE"/{conf,store,namesrv,logs}
  local ns broker ha
  ns=$(free_port)
  # The broker also listens on its port - 2 (the "fast" port) and on the HA port.
  for _ in $(seq 1 50); do
    broker=$(free_port)
    ha=$((broker + 1))
    if [ "$broker" -gt 1100 ] && ! listening "$ha" && ! listening $((broker - 2)); then break; fi
  done
  cat >"$STATE/conf/namesrv.toml" <<EOF
rocketmqHome = "$STATE"
kvConfigPath = "$STATE/namesrv/kvConfig.json"
configStorePath = "$STATE/namesrv/namesrv.properties"
listenPort = $ns
bindAddress = "127.0.0.1"
EOF
  cat >"$STATE/conf/broker.toml" <<EOF
[broker]
namesrvAddr = "127.0.0.1:$ns"
brokerIp1 = "127.0.0.1"
listenPort = $broker
storePathRootDir = "$STATE/store"
autoCreateTopicEnable = true
autoCreateSubscriptionGroup = true

[broker.brokerIdentity]
brokerName = "broker-test"
brokerClusterName = "DefaultCluster"
brokerId = 0

[broker.brokerServerConfig]
bindAddress = "127.0.0.1"

[store]
storePathRootDir = "$STATE/store"
haListenAddress = "127.0.0.1"
haListenPort = $ha
mappedFileSizeCommitLog = 67108864
mappedFileSizeConsumeQueue = 6000
maxHashSlotNum = 1000
maxIndexNum = 4000
timerWheelEnable = false
EOF
  ROCKETMQ_HOME=$STATE nohup "$BIN/rocketmq-namesrv-rust" -c "$STATE/conf/namesrv.toml" \
    --rocketmqHome "$STATE" --listenPort "$ns" --bindAddress 127.0.0.1 >"$STATE/logs/namesrv.out" 2>&1 &
  echo $! >"$STATE/namesrv.pid"
  wait_for "$ns" "$STATE/logs/namesrv.out" "the RocketMQ name server"
  ROCKETMQ_HOME=$STATE nohup "$BIN/rocketmq-broker-rust" -c "$STATE/conf/broker.toml" -n "127.0.0.1:$ns" \
    >"$STATE/logs/broker.out" 2>&1 &
  echo $! >"$STATE/broker.pid"
  wait_for "$broker" "$STATE/logs/broker.out" "the RocketMQ broker"
  echo "127.0.0.1:$ns" | tee "$STATE/address"
}

stop_one() {
  local f=$STATE/$1.pid
  [ -f "$f" ] || return 0
  local pid; pid=$(cat "$f")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$f"
}

stop() {
  stop_one broker
  stop_one namesrv
  rm -rf "$STATE"
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 install|start|stop" >&2; exit 2 ;;
esac
