#!/usr/bin/env bash
# Provisions and runs the real backends the integration tests use, on loopback only:
#   Elasticsearch 8.19 (plain HTTP) and 9.2 (secured as users run it: HTTPS with the CA it generates on first
#   start, a user made by this script, an API key for the collector) — integ-test-zips from Maven Central, run as
#   a non-root user — Redis (Debian redis-server),
#   VictoriaMetrics (Debian victoria-metrics: speaks the InfluxDB v2 write API), Chromium (Debian chromium) and
#   Apache Kafka (KRaft, one combined broker+controller node, jars from Maven Central; see kafka.sh).
#
# Usage: backends.sh provision | start | stop | stop-new <status before start> | status | env
#                    start-es | stop-es | start-es9 | stop-es9 | start-redis | stop-redis | start-influx | stop-influx
#                    start-kafka | stop-kafka | kill-kafka
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
# Elasticsearch 9 needs Java 21+; the integ-test zip includes x-pack security, which auto-configures TLS (a CA
# and an HTTP certificate under config/certs) on a first start with an empty data path.
ES9_VERSION=9.2.0
ES9_HOME="$CACHE/es/elasticsearch-$ES9_VERSION"
ES9_STATE="$STATE/es9"
ES9_PORT=${PHOSPHOR_ES9_PORT:-9260}
ES9_TRANSPORT_PORT=$((ES9_PORT + 100))
# The file-realm user the script creates (superuser: tests create and delete indices and API keys with it).
ES9_USER=phosphor-admin
# A copy of the generated CA outside config/certs (mode 750, ES's user only), readable by the tests and collector.
ES9_CA="$ES9_STATE/http_ca.crt"
ES9_SECRETS="$ES9_STATE/credentials.env"
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

find_java21() {
  # ES 9.x needs Java 21+; the machine's Temurin 25 JDK first, else any JDK 21 or newer.
  for candidate in "${PHOSPHOR_ES9_JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/*; do
    [ -n "$candidate" ] && [ -x "$candidate/bin/java" ] || continue
    major=$("$candidate/bin/java" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n1)
    if [ -n "$major" ] && [ "$major" -ge 21 ]; then echo "$candidate"; return 0; fi
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
  command -v openssl >/dev/null || missing+=(openssl)
  python3 -c 'import venv, ensurepip' 2>/dev/null || missing+=(python3-venv)
  # Elasticsearch 8.x needs a JDK 17–24 (the integ-test zip bundles none); Debian 12 ships 17.
  find_java17 >/dev/null || missing+=(openjdk-17-jre-headless)
  [ ${#missing[@]} -eq 0 ] && return 0
  [ "$(id -u)" -eq 0 ] || die "missing ${missing[*]}; install them (apt-get install ${missing[*]}) or run as root"
  log "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2 || die "apt-get update failed"
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 || die "apt-get install ${missing[*]} failed"
}

fetch_es_zip() { # version
  local version=$1 home="$CACHE/es/elasticsearch-$1"
  [ -x "$home/bin/elasticsearch" ] && return 0
  mkdir -p "$CACHE/es"
  local zip="$CACHE/es/elasticsearch-$version.zip"
  if [ ! -s "$zip" ]; then
    log "fetching Elasticsearch $version integ-test-zip from Maven Central"
    mvn -q -B dependency:copy \
      "-Dartifact=org.elasticsearch.distribution.integ-test-zip:elasticsearch:$version:zip" \
      "-DoutputDirectory=$CACHE/es" >&2 || die "mvn dependency:copy of Elasticsearch $version failed"
  fi
  log "unzipping Elasticsearch $version"
  unzip -q -o "$zip" -d "$CACHE/es" || die "unzip of $zip failed"
}

provision_es() { fetch_es_zip "$ES_VERSION"; }
provision_es9() {
  fetch_es_zip "$ES9_VERSION"
  install_es9_analysis_plugin
}

# The integ-test zip lacks the analysis-common module, whose token filters the .security index needs (so no
# API keys without them); test/infra/es-security-analysis/ provides those three filters as a small plugin.
install_es9_analysis_plugin() {
  local dir="$ES9_HOME/plugins/phosphor-security-analysis" src="$ROOT/test/infra/es-security-analysis"
  if [ -s "$dir/phosphor-security-analysis.jar" ] && [ -z "$(find "$src/src" -newer "$dir/phosphor-security-analysis.jar" -name '*.java')" ]; then
    return 0
  fi
  local java_home build
  java_home=$(find_java21) || die "no JDK 21+ to build the analysis plugin for Elasticsearch $ES9_VERSION"
  [ -x "$java_home/bin/javac" ] || die "$java_home has no javac (a JDK, not a JRE, builds the analysis plugin)"
  log "building the security-index analysis plugin for Elasticsearch $ES9_VERSION"
  build=$(mktemp -d)
  "$java_home/bin/javac" --release 21 -nowarn -cp "$ES9_HOME/lib/*" -d "$build" \
    $(find "$src/src" -name '*.java') >&2 || die "javac of $src failed"
  mkdir -p "$dir"
  "$java_home/bin/jar" --create --file "$dir/phosphor-security-analysis.jar" -C "$build" . || die "jar failed"
  rm -rf "$build"
  cat >"$dir/plugin-descriptor.properties" <<EOF
description=uax_url_email tokenizer; pattern_capture, lowercase, unique filters (for the security index)
version=$ES9_VERSION
name=phosphor-security-analysis
classname=org.phosphor.esanalysis.SecurityAnalysisPlugin
java.version=21
elasticsearch.version=$ES9_VERSION
EOF
}

create_es_user() {
  [ "$(id -u)" -eq 0 ] || return 0 # not root: ES runs as the current user
  id "$ES_USER" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$ES_USER" \
    || die "could not create user $ES_USER (Elasticsearch refuses to run as root)"
}

ensure_es_user() { # home state-dir
  [ "$(id -u)" -eq 0 ] || return 0
  create_es_user
  # ES reads its config (mode 660) and writes a keystore next to it.
  chown -R "$ES_USER" "$1" "$2"
  # The non-root user must be able to reach the install and state directories.
  local dir
  for dir in "$1" "$2"; do
    while [ "$dir" != / ]; do chmod o+x "$dir" 2>/dev/null || true; dir=$(dirname "$dir"); done
  done
}

as_es_user() { # command...: runs a command as the Elasticsearch user (or as is, when not root)
  if [ "$(id -u)" -eq 0 ]; then runuser -u "$ES_USER" -- "$@"; else "$@"; fi
}

# The reference Python client's exposition-format parser, which the /metrics tests run the collector's output
# through (a real Prometheus parser rather than a regex).
PROM_PYTHON="$CACHE/python/bin/python"
provision_prom_parser() {
  "$PROM_PYTHON" -c 'import prometheus_client.parser' 2>/dev/null && return 0
  log "installing prometheus_client (PyPI) into $CACHE/python"
  python3 -m venv "$CACHE/python" >&2 || die "python3 -m venv $CACHE/python failed"
  "$CACHE/python/bin/pip" install -q 'prometheus_client>=0.21,<1' >&2 || die "pip install prometheus_client failed"
}

provision() {
  mkdir -p "$STATE"
  apt_install
  provision_prom_parser
  provision_es
  find_java17 >/dev/null || die "no JDK 17-24 found for Elasticsearch $ES_VERSION (looked in /usr/lib/jvm)"
  provision_es9
  find_java21 >/dev/null || die "no JDK 21+ found for Elasticsearch $ES9_VERSION (looked in /usr/lib/jvm; set PHOSPHOR_ES9_JAVA_HOME)"
  bash "$ROOT/test/infra/kafka.sh" provision
}

es_up() { curl -sf -o /dev/null "http://127.0.0.1:$ES_PORT/_cluster/health"; }
es9_secret() { # key: reads one value of the generated credentials file
  [ -s "$ES9_SECRETS" ] && sed -n "s/^$1=//p" "$ES9_SECRETS" | head -n1
}
es9_curl() { # curl args...: an authenticated request to the secured node, verified against its own CA
  curl -sS -f --cacert "$ES9_CA" -u "$ES9_USER:$(es9_secret ES9_PASSWORD)" "$@"
}
es9_up() { [ -s "$ES9_CA" ] && [ -s "$ES9_SECRETS" ] && es9_curl -o /dev/null "https://127.0.0.1:$ES9_PORT/_cluster/health" 2>/dev/null; }
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
  ensure_es_user "$ES_HOME" "$STATE/es"
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

# The API key the collector uses: only what it needs (cluster health, index templates, its indices).
ES9_COLLECTOR_ROLE='{"phosphor_collector":{"cluster":["monitor","manage_index_templates"],"indices":[{"names":["phosphor-*"],"privileges":["all"]}]}}'

ensure_es9_api_key() {
  local key
  key=$(es9_secret ES9_API_KEY || true)
  if [ -n "$key" ] && curl -sf -o /dev/null --cacert "$ES9_CA" -H "Authorization: ApiKey $key" \
    "https://127.0.0.1:$ES9_PORT/_security/_authenticate"; then
    return 0
  fi
  log "creating the collector's API key on Elasticsearch $ES9_VERSION"
  local answer
  answer=$(es9_curl -X POST -H 'Content-Type: application/json' "https://127.0.0.1:$ES9_PORT/_security/api_key" \
    -d "{\"name\":\"phosphor-collector\",\"role_descriptors\":$ES9_COLLECTOR_ROLE}") \
    || die "could not create an API key on Elasticsearch $ES9_VERSION"
  key=$(sed -n 's/.*"encoded":"\([^"]*\)".*/\1/p' <<<"$answer")
  [ -n "$key" ] || die "Elasticsearch $ES9_VERSION answered the API key request without a key: $answer"
  sed -i '/^ES9_API_KEY=/d' "$ES9_SECRETS"
  echo "ES9_API_KEY=$key" >>"$ES9_SECRETS"
}

start_es9() {
  if es9_up; then ensure_es9_api_key; return 0; fi
  provision_es9
  local java_home
  java_home=$(find_java21) || die "no JDK 21+ for Elasticsearch $ES9_VERSION (set PHOSPHOR_ES9_JAVA_HOME)"
  mkdir -p "$ES9_STATE/data" "$ES9_STATE/logs"
  umask 077
  if [ ! -s "$ES9_SECRETS" ]; then
    # A fresh node: its own copy of the config (auto-configuration writes the TLS settings into it).
    rm -rf "$ES9_STATE/config" "$ES9_STATE/data"
    mkdir -p "$ES9_STATE/data"
    cp -r "$ES9_HOME/config" "$ES9_STATE/config"
    printf 'ES9_PASSWORD=%s\n' "$(openssl rand -hex 16)" >"$ES9_SECRETS"
  fi
  umask 022
  ensure_es_user "$ES9_HOME" "$ES9_STATE"
  chown root "$ES9_SECRETS" 2>/dev/null || true
  local -a env=(env "ES_JAVA_HOME=$java_home" "ES_PATH_CONF=$ES9_STATE/config" "ES_JAVA_OPTS=-Xms$ES_HEAP -Xmx$ES_HEAP")
  if ! grep -q "^$ES9_USER:" "$ES9_STATE/config/users" 2>/dev/null; then
    log "creating user $ES9_USER (file realm) on Elasticsearch $ES9_VERSION"
    as_es_user "${env[@]}" "$ES9_HOME/bin/elasticsearch-users" useradd "$ES9_USER" \
      -p "$(es9_secret ES9_PASSWORD)" -r superuser >&2 || die "elasticsearch-users useradd $ES9_USER failed"
  fi
  log "starting Elasticsearch $ES9_VERSION (HTTPS, security on) on 127.0.0.1:$ES9_PORT"
  # -d returns once the node has started (or failed); auto-configuration of TLS happens during that first start.
  local -a cmd=("${env[@]}" "$ES9_HOME/bin/elasticsearch" -d -p "$ES9_STATE/es.pid"
    -Ediscovery.type=single-node -Enetwork.host=127.0.0.1 "-Ehttp.port=$ES9_PORT" "-Etransport.port=$ES9_TRANSPORT_PORT"
    "-Epath.data=$ES9_STATE/data" "-Epath.logs=$ES9_STATE/logs"
    -Ecluster.routing.allocation.disk.threshold_enabled=false -Ecluster.name=phosphor-test9
    -Eaction.destructive_requires_name=false)
  if [ "$(id -u)" -eq 0 ]; then
    setsid runuser -u "$ES_USER" -- "${cmd[@]}" >"$ES9_STATE/startup.log" 2>&1 </dev/null || true
  else
    setsid "${cmd[@]}" >"$ES9_STATE/startup.log" 2>&1 </dev/null || true
  fi
  local generated="$ES9_STATE/config/certs/http_ca.crt"
  [ -s "$generated" ] || {
    tail -n 30 "$ES9_STATE/startup.log" >&2 || true
    die "Elasticsearch $ES9_VERSION did not generate its HTTP CA ($generated); logs above"
  }
  cp "$generated" "$ES9_CA" && chmod 644 "$ES9_CA"
  wait_for elasticsearch9 es9_up 180 || {
    tail -n 30 "$ES9_STATE/startup.log" >&2 || true
    tail -n 30 "$ES9_STATE/logs/phosphor-test9.log" >&2 2>/dev/null || true
    die "Elasticsearch $ES9_VERSION did not answer on https://127.0.0.1:$ES9_PORT within 180 s (logs above)"
  }
  es9_curl -o /dev/null "https://127.0.0.1:$ES9_PORT/_cluster/health?wait_for_status=yellow&timeout=60s" || true
  ensure_es9_api_key
}

es9_fingerprint() { openssl x509 -noout -fingerprint -sha256 -in "$ES9_CA" | sed 's/.*=//'; }

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
stop_es9() { stop_pidfile elasticsearch9 "$ES9_STATE/es.pid"; }

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
  [ -s "$ES9_CA" ] || die "Elasticsearch $ES9_VERSION has not been started (no $ES9_CA)"
  # Holds the secured node's password and API key: owner-only.
  touch "$STATE/backends.env" && chmod 600 "$STATE/backends.env"
  cat >"$STATE/backends.env" <<EOF
PHOSPHOR_TEST_ES_URL=http://127.0.0.1:$ES_PORT
PHOSPHOR_TEST_ES9_URL=https://127.0.0.1:$ES9_PORT
PHOSPHOR_TEST_ES9_CA=$ES9_CA
PHOSPHOR_TEST_ES9_CA_FINGERPRINT=$(es9_fingerprint)
PHOSPHOR_TEST_ES9_USERNAME=$ES9_USER
PHOSPHOR_TEST_ES9_PASSWORD=$(es9_secret ES9_PASSWORD)
PHOSPHOR_TEST_ES9_API_KEY=$(es9_secret ES9_API_KEY)
PHOSPHOR_TEST_REDIS_URL=redis://127.0.0.1:$REDIS_PORT
PHOSPHOR_TEST_INFLUX_URL=http://127.0.0.1:$INFLUX_PORT
PHOSPHOR_TEST_CHROMIUM=$chromium
PHOSPHOR_TEST_KAFKA_BROKERS=127.0.0.1:$KAFKA_PORT
PHOSPHOR_TEST_PROM_PARSER_PYTHON=$PROM_PYTHON
EOF
  grep -v -E '_(PASSWORD|API_KEY)=' "$STATE/backends.env"
}

status() {
  es_up && echo "elasticsearch: up (127.0.0.1:$ES_PORT)" || echo "elasticsearch: down"
  es9_up && echo "elasticsearch9: up (https://127.0.0.1:$ES9_PORT)" || echo "elasticsearch9: down"
  redis_up && echo "redis: up (127.0.0.1:$REDIS_PORT)" || echo "redis: down"
  influx_up && echo "victoria-metrics: up (127.0.0.1:$INFLUX_PORT)" || echo "victoria-metrics: down"
  command -v chromium >/dev/null && echo "chromium: $(command -v chromium)" || echo "chromium: missing"
  bash "$ROOT/test/infra/kafka.sh" status
}

# Stops the backends reported down in $1 (what `status` printed before a `start`): a run stops what it
# started and leaves backends that were already up (a developer's) running.
stop_new() {
  local before=$1
  if grep -q '^elasticsearch: down' <<<"$before"; then stop_es; fi
  if grep -q '^elasticsearch9: down' <<<"$before"; then stop_es9; fi
  if grep -q '^redis: down' <<<"$before"; then stop_redis; fi
  if grep -q '^victoria-metrics: down' <<<"$before"; then stop_influx; fi
  if grep -q '^kafka: down' <<<"$before"; then bash "$ROOT/test/infra/kafka.sh" stop; fi
}

case "${1:-}" in
  provision) provision ;;
  start)
    provision
    start_redis
    start_influx
    # The two nodes start in parallel (each takes most of a minute on a small machine). The user is created
    # first: two concurrent useradd calls on a fresh machine can leave files owned by a uid that no longer exists.
    create_es_user
    start_es &
    es8=$!
    start_es9 &
    es9=$!
    rc8=0 rc9=0
    wait "$es8" || rc8=$?
    wait "$es9" || rc9=$?
    [ "$rc8" -eq 0 ] && [ "$rc9" -eq 0 ] || die "Elasticsearch did not start (8.19 exit $rc8, 9.2 exit $rc9; reasons above)"
    bash "$ROOT/test/infra/kafka.sh" start
    write_env
    ;;
  stop) stop_es; stop_es9; stop_redis; stop_influx; bash "$ROOT/test/infra/kafka.sh" stop ;;
  stop-new) stop_new "${2:-}" ;;
  status) status ;;
  env) write_env ;;
  start-es) start_es ;;
  stop-es) stop_es ;;
  start-es9) start_es9 ;;
  stop-es9) stop_es9 ;;
  start-redis) start_redis ;;
  stop-redis) stop_redis ;;
  start-influx) start_influx ;;
  stop-influx) stop_influx ;;
  start-kafka) bash "$ROOT/test/infra/kafka.sh" start ;;
  stop-kafka) bash "$ROOT/test/infra/kafka.sh" stop ;;
  kill-kafka) bash "$ROOT/test/infra/kafka.sh" kill ;;
  *) die "usage: $0 provision|start|stop|stop-new STATUS|status|env|start-es|stop-es|start-es9|stop-es9|start-redis|stop-redis|start-influx|stop-influx|start-kafka|stop-kafka|kill-kafka" ;;
esac
