#!/usr/bin/env bash
# A local Apache Kafka cluster in KRaft mode: N JVMs on this machine (default 3), each broker +
# controller, from the same Maven Central jars as infra/kafka/kafka.sh. For the fault suite and
# for trying replication; production runs brokers on separate machines.
#
#   infra/kafka/kafka-cluster.sh start            resolve jars, format storage (first run), start every node, wait until ready
#   infra/kafka/kafka-cluster.sh stop             stop every node (SIGTERM, SIGKILL after 20 s)
#   infra/kafka/kafka-cluster.sh start-node I     start node I (1-based) again
#   infra/kafka/kafka-cluster.sh stop-node I      stop node I cleanly
#   infra/kafka/kafka-cluster.sh kill-node I      kill -9 node I
#   infra/kafka/kafka-cluster.sh status           exit 0 when every node runs and accepts clients
#   infra/kafka/kafka-cluster.sh brokers          print the bootstrap list (host:port,...)
#   infra/kafka/kafka-cluster.sh reset            stop and delete the data
#
# Ports: node I listens for clients on BASE+10*(I-1) (PLAINTEXT), its controller on +1, and with
# CAD110_KAFKA_SECURE=1 a SASL_SSL listener (TLS + SCRAM-SHA-512) on +2.
# Environment: CAD110_KAFKA_CLUSTER_PORT (BASE, default 19300), CAD110_KAFKA_CLUSTER_NODES (3),
# CAD110_KAFKA_CLUSTER_DIR (default <repo>/.cad110/kafka-cluster-BASE), KAFKA_HEAP_OPTS (default
# -Xms128m -Xmx384m per node), CAD110_KAFKA_SECURE (0|1), CAD110_KAFKA_SCRAM_USER / _PASSWORD
# (default cad110 / cad110-local-secret). With 3+ nodes: default replication factor 3,
# min.insync.replicas 2 (a write needs 2 of 3 replicas, so one node may be down).
# Secure mode writes the CA certificate the clients trust to <dir>/tls/ca.pem.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BASE=${CAD110_KAFKA_CLUSTER_PORT:-19300}
NODES=${CAD110_KAFKA_CLUSTER_NODES:-3}
STATE=${CAD110_KAFKA_CLUSTER_DIR:-$ROOT/.cad110/kafka-cluster-$BASE}
SECURE=${CAD110_KAFKA_SECURE:-0}
SCRAM_USER=${CAD110_KAFKA_SCRAM_USER:-cad110}
SCRAM_PASSWORD=${CAD110_KAFKA_SCRAM_PASSWORD:-cad110-local-secret}
STOREPASS=cad110-local-store
LIBS=$HERE/target/libs

log() { printf '[kafka-cluster] %s\n' "$*" >&2; }

port_of() { echo $((BASE + 10 * ($1 - 1))); }
cport_of() { echo $((BASE + 10 * ($1 - 1) + 1)); }
sport_of() { echo $((BASE + 10 * ($1 - 1) + 2)); }
dir_of() { echo "$STATE/node-$1"; }
pid_of() { cat "$(dir_of "$1")/kafka.pid" 2>/dev/null || true; }

resolve_jars() {
  if [ -f "$LIBS/.complete" ]; then return; fi
  command -v mvn >/dev/null || { log "mvn not found: install Maven or set KAFKA_BROKERS"; exit 1; }
  log "resolving Kafka jars with Maven (first run only)"
  rm -rf "$LIBS"
  mvn -q -B -Dstyle.color=never -f "$HERE/pom.xml" dependency:copy-dependencies -DoutputDirectory="$LIBS" -DincludeScope=runtime
  touch "$LIBS/.complete"
}

classpath() { printf '%s/*' "$LIBS"; }
java_tool() { java -cp "$(classpath)" -Dlog4j.configuration="file:$HERE/log4j.properties" "$@"; }

# A throw-away CA and one broker certificate (SAN 127.0.0.1 + localhost) shared by every node.
make_tls() {
  local t=$STATE/tls
  if [ -f "$t/broker.p12" ]; then return; fi
  command -v keytool >/dev/null || { log "keytool not found (Java 17+)"; exit 1; }
  mkdir -p "$t"
  log "creating a local CA and broker certificate in $t"
  keytool -genkeypair -keystore "$t/ca.p12" -storetype PKCS12 -storepass "$STOREPASS" -alias ca -dname "CN=cad110 local CA" \
    -keyalg RSA -keysize 2048 -validity 365 -ext bc:c >/dev/null 2>&1
  keytool -exportcert -rfc -keystore "$t/ca.p12" -storepass "$STOREPASS" -alias ca -file "$t/ca.pem" >/dev/null 2>&1
  keytool -genkeypair -keystore "$t/broker.p12" -storetype PKCS12 -storepass "$STOREPASS" -alias broker -dname "CN=localhost" \
    -keyalg RSA -keysize 2048 -validity 365 >/dev/null 2>&1
  keytool -certreq -keystore "$t/broker.p12" -storepass "$STOREPASS" -alias broker -file "$t/broker.csr" >/dev/null 2>&1
  keytool -gencert -keystore "$t/ca.p12" -storepass "$STOREPASS" -alias ca -infile "$t/broker.csr" -outfile "$t/broker.pem" -rfc \
    -validity 365 -ext "SAN=IP:127.0.0.1,DNS:localhost" -ext ku:c=digitalSignature,keyEncipherment -ext eku=serverAuth >/dev/null 2>&1
  keytool -importcert -noprompt -keystore "$t/broker.p12" -storepass "$STOREPASS" -alias ca -file "$t/ca.pem" >/dev/null 2>&1
  keytool -importcert -noprompt -keystore "$t/broker.p12" -storepass "$STOREPASS" -alias broker -file "$t/broker.pem" >/dev/null 2>&1
}

write_config() {
  local i=$1 d voters="" rf=1 isr=1
  d=$(dir_of "$i")
  mkdir -p "$d/data"
  for j in $(seq 1 "$NODES"); do voters="$voters${voters:+,}$j@127.0.0.1:$(cport_of "$j")"; done
  if [ "$NODES" -ge 3 ]; then rf=3; isr=2; elif [ "$NODES" -eq 2 ]; then rf=2; fi
  local listeners="PLAINTEXT://127.0.0.1:$(port_of "$i"),CONTROLLER://127.0.0.1:$(cport_of "$i")"
  local advertised="PLAINTEXT://127.0.0.1:$(port_of "$i")"
  local map="PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"
  if [ "$SECURE" = 1 ]; then
    listeners="$listeners,SASL_SSL://127.0.0.1:$(sport_of "$i")"
    advertised="$advertised,SASL_SSL://127.0.0.1:$(sport_of "$i")"
    map="$map,SASL_SSL:SASL_SSL"
  fi
  cat >"$d/server.properties" <<PROPS
process.roles=broker,controller
node.id=$i
controller.quorum.voters=$voters
listeners=$listeners
advertised.listeners=$advertised
listener.security.protocol.map=$map
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
log.dirs=$d/data
num.partitions=3
default.replication.factor=$rf
min.insync.replicas=$isr
offsets.topic.replication.factor=$rf
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=$rf
transaction.state.log.min.isr=$isr
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
delete.topic.enable=true
unclean.leader.election.enable=false
log.retention.ms=-1
log.retention.bytes=-1
log.retention.check.interval.ms=${CAD110_KAFKA_RETENTION_CHECK_MS:-5000}
num.network.threads=2
num.io.threads=2
num.replica.fetchers=1
replica.lag.time.max.ms=10000
PROPS
  if [ "$SECURE" = 1 ]; then
    cat >>"$d/server.properties" <<PROPS
sasl.enabled.mechanisms=SCRAM-SHA-512
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
ssl.keystore.type=PKCS12
ssl.keystore.location=$STATE/tls/broker.p12
ssl.keystore.password=$STOREPASS
ssl.key.password=$STOREPASS
ssl.client.auth=none
PROPS
  fi
}

format_storage() {
  local i=$1 d
  d=$(dir_of "$i")
  if [ -f "$d/data/meta.properties" ]; then return; fi
  local id
  id=$(cat "$STATE/cluster.id")
  local scram=()
  if [ "$SECURE" = 1 ]; then scram=(--add-scram "SCRAM-SHA-512=[name=$SCRAM_USER,password=$SCRAM_PASSWORD]"); fi
  java_tool kafka.tools.StorageTool format -t "$id" -c "$d/server.properties" "${scram[@]}" >/dev/null
}

running() {
  local pid
  pid=$(pid_of "$1")
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

start_node() {
  local i=$1 d
  d=$(dir_of "$i")
  if running "$i"; then return; fi
  if port_open "$(port_of "$i")"; then log "port $(port_of "$i") is taken by another process"; exit 1; fi
  write_config "$i"
  format_storage "$i"
  : >"$d/kafka.out"
  # detached, stdin closed, output to a file: the caller's descriptors and locks are not inherited
  # shellcheck disable=SC2086
  setsid nohup java ${KAFKA_HEAP_OPTS:--Xms128m -Xmx384m} -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true \
    -Dlog4j.configuration="file:$HERE/log4j.properties" -cp "$(classpath)" kafka.Kafka "$d/server.properties" \
    </dev/null >"$d/kafka.out" 2>&1 &
  echo $! >"$d/kafka.pid"
}

wait_node() {
  local i=$1 d deadline=$((SECONDS + ${CAD110_KAFKA_START_TIMEOUT:-120}))
  d=$(dir_of "$i")
  while [ $SECONDS -lt $deadline ]; do
    if ! running "$i"; then
      log "node $i exited during start-up; last lines of $d/kafka.out:"
      tail -n 30 "$d/kafka.out" >&2 || true
      exit 1
    fi
    if grep -q "Kafka Server started" "$d/kafka.out" 2>/dev/null && port_open "$(port_of "$i")"; then return 0; fi
    sleep 0.3
  done
  log "node $i not ready after ${CAD110_KAFKA_START_TIMEOUT:-120}s; see $d/kafka.out"
  exit 1
}

stop_node() {
  local i=$1 sig=${2:-TERM} pid
  pid=$(pid_of "$i")
  if [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null; then rm -f "$(dir_of "$i")/kafka.pid"; return; fi
  kill -"$sig" "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
  done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$(dir_of "$i")/kafka.pid"
  log "node $i stopped ($sig)"
}

brokers() {
  local list="" p
  for i in $(seq 1 "$NODES"); do
    if [ "$SECURE" = 1 ] && [ "${1:-}" = secure ]; then p=$(sport_of "$i"); else p=$(port_of "$i"); fi
    list="$list${list:+,}127.0.0.1:$p"
  done
  echo "$list"
}

start() {
  resolve_jars
  mkdir -p "$STATE"
  [ -f "$STATE/cluster.id" ] || java_tool kafka.tools.StorageTool random-uuid >"$STATE/cluster.id"
  if [ "$SECURE" = 1 ]; then make_tls; fi
  for i in $(seq 1 "$NODES"); do start_node "$i"; done
  for i in $(seq 1 "$NODES"); do wait_node "$i"; done
  log "ready: $(brokers)$([ "$SECURE" = 1 ] && echo " (SASL_SSL: $(brokers secure))")"
}

case "${1:-}" in
  start) start ;;
  stop) for i in $(seq 1 "$NODES"); do stop_node "$i"; done ;;
  start-node) start_node "${2:?node}"; wait_node "$2"; log "node $2 ready on 127.0.0.1:$(port_of "$2")" ;;
  stop-node) stop_node "${2:?node}" TERM ;;
  kill-node) stop_node "${2:?node}" KILL ;;
  status) for i in $(seq 1 "$NODES"); do running "$i" && port_open "$(port_of "$i")" || exit 1; done ;;
  brokers) brokers "${2:-}" ;;
  reset) for i in $(seq 1 "$NODES"); do stop_node "$i"; done; rm -rf "$STATE" ;;
  *) echo "usage: $0 start|stop|start-node I|stop-node I|kill-node I|status|brokers [secure]|reset" >&2; exit 2 ;;
esac
