#!/usr/bin/env bash
# Provisions and runs the real backends the integration tests use, on loopback only:
#   Elasticsearch (integ-test-zip from Maven Central, run as a non-root user), Redis (Debian redis-server),
#   VictoriaMetrics (Debian victoria-metrics: speaks the InfluxDB v2 write API), Chromium (Debian chromium) and
#   Apache Kafka (KRaft, one combined broker+controller node, jars from Maven Central; see kafka.sh).
#
# Usage: backends.sh provision | start | stop | status | env
#                    start-es | stop-es | start-redis | stop-redis | start-influx | stop-influx | start-kafka | stop-kafka
# `start` provisions what is missing, starts what is not running, waits until each answers, and writes
# .phosphor/backends.env (read by test/support/backends.ts). Any failure exits non-zero with the reason.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
STATE="$ROOT/.phosphor"
CACHE="$ROOT/.cache"

# Pinned: the 8.x line runs on the machine's Java 17; the @elastic/elasticsearch client is pinned to ~8.19 to
# match the server's major version.
ES_VERSION=8.19.21
ES_HOME="$CACHE/es/elasticsearch-$ES_VERSION"
ES_USER=phosphor-es
# Ports away from the defaults (9200, 6379, 8428) so a developer's own servers are never touched.
ES_PORT=${PHOSPHOR_ES_PORT:-9250}
ES_TRANSPORT_PORT=$((ES_PORT + 100))
REDIS_PORT=${PHOSPHOR_REDIS_PORT:-6390}
INFLUX_PORT=${PHOSPHOR_INFLUX_PORT:-8439}
KAFKA_PORT=${PHOSPHOR_KAFKA_PORT:-9392}
# 1 GiB heap leaves room on a 24 GiB, 2-core machine for the collector, services and Chromium.
ES_HEAP=${PHOSPHOR_ES_HEAP:-1g}

log() { printf '[backends] %s\n' "$*" >&2; }
die() { printf '[backends] ERROR: %s\n' "$*" >&2; exit 1; }

find_java17() {
  # ES 8.x supports Java 17-24; prefer the distribution's 17, else any JDK whose major is in range.
  for candidate in "${ES_JAVA_HOME:-}" /usr/lib/jvm/java-17-openjdk-amd64 /usr/lib/jvm/java-17-openjdk-* /usr/lib/jvm/*; do
    [ -n "$candidate" ] && [ -x "$candidate/bin/java" ] || continue
    major=$("$candidate/bin/java" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n1)
    if [ -n "$major" ] && [ "$major" -ge 17 ] && [ "$major" -le 24 ]; then echo "$candidate"; return 0; fi
  done
  return 1
}

apt_install() {
  local missing=()
  command -v redis-server >/dev/null || missing+=(redis-server)
  command -v victoria-metrics >/dev/null || missing+=(victoria-metrics)
  command -v chromium >/dev/null || missing+=(chromium)
  command -v unzip >/dev/null || missing+=(unzip)
  command -v curl >/dev/null || missing+=(curl)
  command -v mvn >/dev/null || missing+=(maven)
  # Elasticsearch 8.x needs a JDK 17–24 (the integ-test zip bundles none); Debian 12 ships 17.
  find_java17 >/dev/null || missing+=(openjdk-17-jre-headless)
  [ ${#missing[@]} -eq 0 ] && return 0
  [ "$(id -u)" -eq 0 ] || die "missing ${missing[*]}; install them (apt-get install ${missing[*]}) or run as root"
  log "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2 || die "apt-get update failed"
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 || die "apt-get install ${missing[*]} failed"
}

provision_es() {
  [ -x "$ES_HOME/bin/elasticsearch" ] && return 0
  mkdir -p "$CACHE/es"
  local zip="$CACHE/es/elasticsearch-$ES_VERSION.zip"
  if [ ! -s "$zip" ]; then
    log "fetching Elasticsearch $ES_VERSION integ-test-zip from Maven Central"
    mvn -q -B dependency:copy \
      "-Dartifact=org.elasticsearch.distribution.integ-test-zip:elasticsearch:$ES_VERSION:zip" \
      "-DoutputDirectory=$CACHE/es" >&2 || die "mvn dependency:copy of Elasticsearch $ES_VERSION failed"
  fi
  log "unzipping Elasticsearch"
  unzip -q -o "$zip" -d "$CACHE/es" || die "unzip of $zip failed"
}

ensure_es_user() {
  [ "$(id -u)" -eq 0 ] || return 0 # not root: ES runs as the current user
  id "$ES_USER" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$ES_USER" \
    || die "could not create user $ES_USER (Elasticsearch refuses to run as root)"
  # ES reads its config (mode 660) and writes a keystore next to it.
  chown -R "$ES_USER" "$ES_HOME" "$STATE/es"
}

provision() {
  mkdir -p "$STATE"
  apt_install
  provision_es
  find_java17 >/dev/null || die "no JDK 17-24 found for Elasticsearch $ES_VERSION (looked in /usr/lib/jvm)"
  bash "$ROOT/test/infra/kafka.sh" provision
}

es_up() { curl -sf -o /dev/null "http://127.0.0.1:$ES_PORT/_cluster/health"; }
redis_up() { redis-cli -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; }
influx_up() { curl -sf -o /dev/null "http://127.0.0.1:$INFLUX_PORT/health"; }

wait_for() { # name check-fn seconds
  local name=$1 check=$2 limit=$3 i
  for ((i = 0; i < limit * 4; i++)); do
    if $check; then return 0; fi
    sleep 0.25
  done
  return 1
}

start_es() {
  es_up && return 0
  provision_es
  local java_home
  java_home=$(find_java17) || die "no JDK 17-24 for Elasticsearch"
  mkdir -p "$STATE/es/data" "$STATE/es/logs"
  ensure_es_user
  log "starting Elasticsearch $ES_VERSION on 127.0.0.1:$ES_PORT"
  local -a cmd=(env "ES_JAVA_HOME=$java_home" "ES_JAVA_OPTS=-Xms$ES_HEAP -Xmx$ES_HEAP"
    "$ES_HOME/bin/elasticsearch" -d -p "$STATE/es/es.pid"
    -Ediscovery.type=single-node -Enetwork.host=127.0.0.1 "-Ehttp.port=$ES_PORT" "-Etransport.port=$ES_TRANSPORT_PORT"
    -Expack.security.enabled=false "-Epath.data=$STATE/es/data" "-Epath.logs=$STATE/es/logs"
    -Ecluster.routing.allocation.disk.threshold_enabled=false -Ecluster.name=phosphor-test
    -Eaction.destructive_requires_name=false)
  # setsid: a Ctrl-C (SIGINT to the terminal's process group) in `npm start` must not take the backends down.
  if [ "$(id -u)" -eq 0 ]; then
    setsid runuser -u "$ES_USER" -- "${cmd[@]}" >"$STATE/es/startup.log" 2>&1 </dev/null || true
  else
    setsid "${cmd[@]}" >"$STATE/es/startup.log" 2>&1 </dev/null || true
  fi
  wait_for elasticsearch es_up 180 || {
    tail -n 30 "$STATE/es/startup.log" >&2 || true
    tail -n 30 "$STATE/es/logs/phosphor-test.log" >&2 2>/dev/null || true
    die "Elasticsearch did not answer on 127.0.0.1:$ES_PORT within 180 s (logs above)"
  }
  # Wait for yellow at least so the first index creation does not time out.
  curl -sf -o /dev/null "http://127.0.0.1:$ES_PORT/_cluster/health?wait_for_status=yellow&timeout=60s" || true
}

stop_pidfile() { # name pidfile
  local name=$1 pidfile=$2 pid i
  [ -s "$pidfile" ] || return 0
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    log "stopping $name (pid $pid)"
    kill "$pid" 2>/dev/null || true
    for ((i = 0; i < 120; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}

stop_es() { stop_pidfile elasticsearch "$STATE/es/es.pid"; }

start_redis() {
  redis_up && return 0
  command -v redis-server >/dev/null || apt_install
  mkdir -p "$STATE/redis"
  log "starting Redis on 127.0.0.1:$REDIS_PORT"
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --daemonize yes --save '' --appendonly no \
    --dir "$STATE/redis" --pidfile "$STATE/redis/redis.pid" --logfile "$STATE/redis/redis.log" >&2 \
    || die "redis-server failed to start (see $STATE/redis/redis.log)"
  wait_for redis redis_up 20 || die "Redis did not answer on 127.0.0.1:$REDIS_PORT"
}

stop_redis() { stop_pidfile redis "$STATE/redis/redis.pid"; }

start_influx() {
  influx_up && return 0
  command -v victoria-metrics >/dev/null || apt_install
  mkdir -p "$STATE/victoria-metrics"
  log "starting VictoriaMetrics (InfluxDB v2 write API) on 127.0.0.1:$INFLUX_PORT"
  setsid nohup victoria-metrics -httpListenAddr="127.0.0.1:$INFLUX_PORT" -storageDataPath="$STATE/victoria-metrics/data" \
    -retentionPeriod=1d -search.latencyOffset=0s -loggerLevel=WARN \
    >"$STATE/victoria-metrics/vm.log" 2>&1 </dev/null &
  echo $! >"$STATE/victoria-metrics/vm.pid"
  wait_for victoria-metrics influx_up 30 || die "VictoriaMetrics did not answer on 127.0.0.1:$INFLUX_PORT (see $STATE/victoria-metrics/vm.log)"
}

stop_influx() { stop_pidfile victoria-metrics "$STATE/victoria-metrics/vm.pid"; }

write_env() {
  local chromium
  chromium=$(command -v chromium || true)
  [ -n "$chromium" ] || die "chromium not found after provisioning"
  mkdir -p "$STATE"
  cat >"$STATE/backends.env" <<EOF
PHOSPHOR_TEST_ES_URL=http://127.0.0.1:$ES_PORT
PHOSPHOR_TEST_REDIS_URL=redis://127.0.0.1:$REDIS_PORT
PHOSPHOR_TEST_INFLUX_URL=http://127.0.0.1:$INFLUX_PORT
PHOSPHOR_TEST_CHROMIUM=$chromium
PHOSPHOR_TEST_KAFKA_BROKERS=127.0.0.1:$KAFKA_PORT
EOF
  cat "$STATE/backends.env"
}

status() {
  es_up && echo "elasticsearch: up (127.0.0.1:$ES_PORT)" || echo "elasticsearch: down"
  redis_up && echo "redis: up (127.0.0.1:$REDIS_PORT)" || echo "redis: down"
  influx_up && echo "victoria-metrics: up (127.0.0.1:$INFLUX_PORT)" || echo "victoria-metrics: down"
  command -v chromium >/dev/null && echo "chromium: $(command -v chromium)" || echo "chromium: missing"
  bash "$ROOT/test/infra/kafka.sh" status
}

case "${1:-}" in
  provision) provision ;;
  start)
    provision
    start_redis
    start_influx
    start_es
    bash "$ROOT/test/infra/kafka.sh" start
    write_env
    ;;
  stop) stop_es; stop_redis; stop_influx; bash "$ROOT/test/infra/kafka.sh" stop ;;
  status) status ;;
  env) write_env ;;
  start-es) start_es ;;
  stop-es) stop_es ;;
  start-redis) start_redis ;;
  stop-redis) stop_redis ;;
  start-influx) start_influx ;;
  stop-influx) stop_influx ;;
  start-kafka) bash "$ROOT/test/infra/kafka.sh" start ;;
  stop-kafka) bash "$ROOT/test/infra/kafka.sh" stop ;;
  kill-kafka) bash "$ROOT/test/infra/kafka.sh" kill ;;
  *) die "usage: $0 provision|start|stop|status|env|start-es|stop-es|start-redis|stop-redis|start-influx|stop-influx|start-kafka|stop-kafka|kill-kafka" ;;
esac
