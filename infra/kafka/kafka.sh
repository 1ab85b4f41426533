#!/usr/bin/env bash
# A single-node Apache Kafka broker in KRaft mode (broker + controller in one JVM), run with
# plain `java` from the Maven Central jars that infra/kafka/pom.xml resolves. For development,
# tests and demos when KAFKA_BROKERS is not set.
#
#   infra/kafka/kafka.sh start     resolve jars (first run), format storage (first run), start, wait until ready
#   infra/kafka/kafka.sh stop      stop the broker (SIGTERM, then SIGKILL after 20 s)
#   infra/kafka/kafka.sh status    exit 0 when running and accepting clients
#   infra/kafka/kafka.sh reset     stop and delete its data
#
# Environment: CAD110_KAFKA_PORT (default 19092; the controller uses port+1),
# CAD110_KAFKA_DIR (default <repo>/.cad110/kafka-<port>), KAFKA_HEAP_OPTS (default -Xms256m -Xmx768m).
# The broker's default keeps data forever (log.retention.ms=-1); the services set each topic's
# retention.ms to the personal-data retention period (README "Personal data"), and the broker
# checks for expired segments every CAD110_KAFKA_RETENTION_CHECK_MS (default 5000 ms here; Kafka's
# own default is 5 minutes).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PORT=${CAD110_KAFKA_PORT:-19092}
CPORT=$((PORT + 1))
STATE=${CAD110_KAFKA_DIR:-$ROOT/.cad110/kafka-$PORT}
LIBS=$HERE/target/libs
PIDFILE=$STATE/kafka.pid
OUT=$STATE/kafka.out
CONF=$STATE/server.properties

log() { printf '[kafka] %s\n' "$*" >&2; }

resolve_jars() {
  if [ -f "$LIBS/.complete" ]; then return; fi
  command -v mvn >/dev/null || { log "mvn not found: install Maven or set KAFKA_BROKERS"; exit 1; }
  command -v java >/dev/null || { log "java not found: install Java 17+ or set KAFKA_BROKERS"; exit 1; }
  log "resolving Kafka jars with Maven (first run only)"
  rm -rf "$LIBS"
  mvn -q -B -Dstyle.color=never -f "$HERE/pom.xml" dependency:copy-dependencies -DoutputDirectory="$LIBS" -DincludeScope=runtime
  touch "$LIBS/.complete"
}

write_config() {
  mkdir -p "$STATE/data"
  cat >"$CONF" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$CPORT
listeners=PLAINTEXT://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$CPORT
advertised.listeners=PLAINTEXT://127.0.0.1:$PORT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
log.dirs=$STATE/data
num.partitions=3
default.replication.factor=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
delete.topic.enable=true
log.retention.ms=-1
log.retention.bytes=-1
log.retention.check.interval.ms=${CAD110_KAFKA_RETENTION_CHECK_MS:-5000}
num.network.threads=2
num.io.threads=4
PROPS
}

running() {
  [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null
}

port_open() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

classpath() { printf '%s/*' "$LIBS"; }

format_storage() {
  if [ -f "$STATE/data/meta.properties" ]; then return; fi
  local id
  id=$(java -cp "$(classpath)" -Dlog4j.configuration="file:$HERE/log4j.properties" kafka.tools.StorageTool random-uuid)
  log "formatting storage (cluster id $id)"
  java -cp "$(classpath)" -Dlog4j.configuration="file:$HERE/log4j.properties" kafka.tools.StorageTool format -t "$id" -c "$CONF" >/dev/null
}

wait_ready() {
  local deadline=$((SECONDS + ${CAD110_KAFKA_START_TIMEOUT:-90}))
  while [ $SECONDS -lt $deadline ]; do
    if ! running; then
      log "broker exited during start-up; last lines of $OUT:"
      tail -n 30 "$OUT" >&2 || true
      exit 1
    fi
    if grep -q "Kafka Server started" "$OUT" 2>/dev/null && port_open "$PORT"; then
      log "ready on 127.0.0.1:$PORT (pid $(cat "$PIDFILE"))"
      return 0
    fi
    sleep 0.3
  done
  log "broker not ready after ${CAD110_KAFKA_START_TIMEOUT:-90}s; see $OUT"
  exit 1
}

start() {
  if running; then
    log "already running on 127.0.0.1:$PORT (pid $(cat "$PIDFILE"))"
    wait_ready
    return
  fi
  if port_open "$PORT"; then
    log "port $PORT is taken by another process; set CAD110_KAFKA_PORT or KAFKA_BROKERS"
    exit 1
  fi
  resolve_jars
  write_config
  format_storage
  log "starting broker on 127.0.0.1:$PORT"
  # shellcheck disable=SC2086
  nohup java ${KAFKA_HEAP_OPTS:--Xms256m -Xmx768m} -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
    -Dlog4j.configuration="file:$HERE/log4j.properties" -cp "$(classpath)" kafka.Kafka "$CONF" >"$OUT" 2>&1 &
  echo $! >"$PIDFILE"
  wait_ready
}

stop() {
  if ! running; then
    log "not running"
    rm -f "$PIDFILE"
    return
  fi
  local pid
  pid=$(cat "$PIDFILE")
  kill "$pid"
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || { rm -f "$PIDFILE"; log "stopped"; return; }
    sleep 0.2
  done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$PIDFILE"
  log "killed after 20 s"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) running && port_open "$PORT" ;;
  reset) stop; rm -rf "$STATE" ;;
  *) echo "usage: $0 start|stop|status|reset" >&2; exit 2 ;;
esac
