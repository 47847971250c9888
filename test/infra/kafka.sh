#!/usr/bin/env bash
# Provisions and runs Apache Kafka for the cluster tests and `npm start -- --cluster`: one KRaft node that is
# both broker and controller, on 127.0.0.1 only. Kafka publishes no distribution archive to Maven Central, but
# it publishes the broker's jars (org.apache.kafka:kafka_2.13 and its runtime dependencies); a small generated
# pom lets `mvn dependency:copy-dependencies` fetch them into .cache/kafka, then the broker runs as
# `java -cp 'libs/*' kafka.Kafka server.properties`, exactly what bin/kafka-server-start.sh does.
#
# Usage: kafka.sh provision | start | stop | kill | status
#   start  provisions what is missing, formats the log directory on first use, starts the node and waits until
#          it accepts connections; exits non-zero with the reason (and the log tail) when it cannot.
#   stop   SIGTERM (controlled shutdown), SIGKILL after 60 s.   kill   SIGKILL at once (fault tests).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
STATE="$ROOT/.phosphor/kafka"
CACHE="$ROOT/.cache/kafka"

# Pinned: 4.1 is a KRaft-only 4.x release whose broker runs on Java 17 (4.x brokers need Java 17+).
KAFKA_VERSION=4.1.1
# The broker logs through SLF4J 2 to Log4j 2 (Kafka 4 ships log4j2 and the slf4j2 binding in its archive).
LOG4J_VERSION=2.24.3
SLF4J_VERSION=2.0.17
LIBS="$CACHE/libs-$KAFKA_VERSION"
# Away from Kafka's 9092 so a developer's own broker is never touched; the controller listens on the next port.
KAFKA_PORT=${PHOSPHOR_KAFKA_PORT:-9392}
CONTROLLER_PORT=$((KAFKA_PORT + 1))
# 512 MiB heap: one partitioned topic of test traffic; leaves room for Elasticsearch and the collectors.
KAFKA_HEAP=${PHOSPHOR_KAFKA_HEAP:-512m}
# Partitions of auto-created topics; the collector creates its topics itself with its configured counts.
KAFKA_PARTITIONS=${PHOSPHOR_KAFKA_PARTITIONS:-6}

log() { printf '[kafka] %s\n' "$*" >&2; }
die() { printf '[kafka] ERROR: %s\n' "$*" >&2; exit 1; }

find_java() {
  for candidate in "${KAFKA_JAVA_HOME:-}" /usr/lib/jvm/java-17-openjdk-amd64 /usr/lib/jvm/java-17-openjdk-* /usr/lib/jvm/*; do
    [ -n "$candidate" ] && [ -x "$candidate/bin/java" ] || continue
    major=$("$candidate/bin/java" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n1)
    if [ -n "$major" ] && [ "$major" -ge 17 ]; then echo "$candidate/bin/java"; return 0; fi
  done
  return 1
}

provision() {
  [ -s "$LIBS/kafka_2.13-$KAFKA_VERSION.jar" ] && return 0
  command -v mvn >/dev/null || die "maven is missing (test/infra/backends.sh provision installs it)"
  mkdir -p "$CACHE"
  cat >"$CACHE/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>dev.phosphor.test</groupId>
  <artifactId>kafka-broker-runtime</artifactId>
  <version>$KAFKA_VERSION</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$KAFKA_VERSION</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j2-impl</artifactId><version>$LOG4J_VERSION</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-api</artifactId><version>$SLF4J_VERSION</version></dependency>
  </dependencies>
</project>
POM
  log "fetching Kafka $KAFKA_VERSION broker jars from Maven Central"
  rm -rf "$LIBS.tmp"
  mvn -q -B -f "$CACHE/pom.xml" dependency:copy-dependencies -DincludeScope=runtime "-DoutputDirectory=$LIBS.tmp" >&2 \
    || die "mvn dependency:copy-dependencies for org.apache.kafka:kafka_2.13:$KAFKA_VERSION failed"
  mv "$LIBS.tmp" "$LIBS"
}

up() { (exec 3<>"/dev/tcp/127.0.0.1/$KAFKA_PORT") 2>/dev/null; }

write_config() {
  mkdir -p "$STATE/data"
  cat >"$STATE/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:$CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$STATE/data
num.partitions=$KAFKA_PARTITIONS
# One node: every internal topic has one replica.
offsets.topic.replication.factor=1
offsets.topic.num.partitions=8
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
# Tests start consumers one after another; the default 3 s delay of the first rebalance only slows them.
group.initial.rebalance.delay.ms=0
# Test data: a day of retention and small segments keep .phosphor small.
log.retention.hours=24
log.segment.bytes=67108864
PROPS
  cat >"$STATE/log4j2.yaml" <<'YAML'
Configuration:
  Appenders:
    Console:
      name: STDOUT
      PatternLayout:
        pattern: "[%d] %p %m (%c)%n"
  Loggers:
    Root:
      level: WARN
      AppenderRef:
        - ref: STDOUT
    Logger:
      - name: kafka.server.KafkaRaftServer
        level: INFO
YAML
}

start() {
  up && return 0
  provision
  local java
  java=$(find_java) || die "no JDK 17 or newer found for Kafka $KAFKA_VERSION (looked in /usr/lib/jvm)"
  write_config
  if [ ! -s "$STATE/data/meta.properties" ]; then
    log "formatting the KRaft log directory $STATE/data"
    "$java" -cp "$LIBS/*" "-Dlog4j2.configurationFile=$STATE/log4j2.yaml" kafka.tools.StorageTool format \
      -t "$("$java" -cp "$LIBS/*" kafka.tools.StorageTool random-uuid 2>/dev/null)" \
      -c "$STATE/server.properties" --standalone >"$STATE/format.log" 2>&1 \
      || { cat "$STATE/format.log" >&2; die "kafka-storage format failed"; }
  fi
  log "starting Kafka $KAFKA_VERSION (KRaft) on 127.0.0.1:$KAFKA_PORT"
  # setsid: a Ctrl-C in `npm start` must not take the broker down with the terminal's process group.
  setsid "$java" "-Xms$KAFKA_HEAP" "-Xmx$KAFKA_HEAP" -XX:+UseG1GC -Djava.awt.headless=true \
    "-Dlog4j2.configurationFile=$STATE/log4j2.yaml" -cp "$LIBS/*" kafka.Kafka "$STATE/server.properties" \
    >"$STATE/kafka.log" 2>&1 </dev/null &
  echo $! >"$STATE/kafka.pid"
  local i
  for ((i = 0; i < 240; i++)); do
    if grep -q 'Kafka Server started' "$STATE/kafka.log" 2>/dev/null && up; then return 0; fi
    kill -0 "$(cat "$STATE/kafka.pid")" 2>/dev/null || break
    sleep 0.25
  done
  tail -n 30 "$STATE/kafka.log" >&2 || true
  die "Kafka did not start on 127.0.0.1:$KAFKA_PORT within 60 s (log above, full log in $STATE/kafka.log)"
}

stop() { # signal seconds-before-kill
  local signal=$1 limit=$2 pid i
  [ -s "$STATE/kafka.pid" ] || return 0
  pid=$(cat "$STATE/kafka.pid")
  if kill -0 "$pid" 2>/dev/null; then
    log "stopping Kafka (pid $pid, SIG$signal)"
    kill "-$signal" "$pid" 2>/dev/null || true
    for ((i = 0; i < limit * 4; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -9 "$pid" 2>/dev/null || true
    for ((i = 0; i < 40; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
  fi
  rm -f "$STATE/kafka.pid"
}

status() { up && echo "kafka: up (127.0.0.1:$KAFKA_PORT)" || echo "kafka: down"; }

case "${1:-}" in
  provision) provision ;;
  start) start ;;
  stop) stop TERM 60 ;;
  kill) stop KILL 0 ;;
  status) status ;;
  *) die "usage: $0 provision|start|stop|kill|status" ;;
esac
