#!/usr/bin/env bash
# A real single-node Apache Kafka broker (KRaft, combined broker + controller) without Docker:
# the broker's jars come from Maven Central (kafka/pom.xml) into a cache that later runs reuse.
#
#   kafka.sh fetch                                   download the jars (idempotent)
#   kafka.sh start --dir D --port P [--controller-port C] [--heap 768m] [--request-log]
#                  [--gc "<JVM GC flags>"]
#                                                    format D (first time) and start; waits until ready;
#                                                    --request-log: every request with its timings in
#                                                    D/kafka.log (costs broker CPU: diagnosis only)
#   kafka.sh stop --dir D                            SIGTERM, then SIGKILL after a grace period
#   kafka.sh kill --dir D                            SIGKILL (fault injection)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
kafka_version=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$here/kafka/pom.xml")
cache_dir=${NOWCAST_CACHE_DIR:-$HOME/.cache/nowcast}
libs_dir="$cache_dir/kafka-$kafka_version/libs"
ready_timeout_sec=${KAFKA_READY_TIMEOUT_SEC:-60}
default_gc='-XX:+UseG1GC -XX:MaxGCPauseMillis=20'

die() { echo "kafka.sh: $*" >&2; exit 1; }

fetch() {
  if [[ -f "$libs_dir/.complete" ]]; then return 0; fi
  command -v java >/dev/null || die "java not found (Kafka $kafka_version needs Java 17+)"
  command -v mvn >/dev/null || die "mvn not found (needed once to fetch the Kafka jars)"
  echo "kafka.sh: fetching Apache Kafka $kafka_version jars from Maven Central into $libs_dir" >&2
  rm -rf "$libs_dir" && mkdir -p "$libs_dir"
  mvn -q -B -Dstyle.color=never -f "$here/kafka/pom.xml" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$libs_dir" >&2
  touch "$libs_dir/.complete"
}

java_cp() { echo "$libs_dir/*"; }

write_config() {
  local dir=$1 port=$2 cport=$3 request_log=${4:-}
  mkdir -p "$dir/data"
  cat >"$dir/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$dir/data
num.partitions=6
auto.create.topics.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=6
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=6
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
group.min.session.timeout.ms=500
# The group coordinator holds offset commits for up to 5 ms (Kafka 4 default) to batch its log
# writes: 7-11 ms per OffsetCommit on this host, awaited by every consumer cycle that commits.
# Without it 2.5-3 ms. Commits here are few and small, so latency wins (docs/benchmarks-history.md, session 7).
group.coordinator.append.linger.ms=0
log.segment.bytes=67108864
log.retention.check.interval.ms=60000
PROPS
  cat >"$dir/log4j2.properties" <<LOG
status = warn
appender.file.type = File
appender.file.name = file
appender.file.fileName = $dir/kafka.log
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = file
logger.kafka.name = kafka
logger.kafka.level = INFO
logger.state.name = state.change.logger
logger.state.level = WARN
LOG
  if [[ -n $request_log ]]; then
    printf 'logger.request.name = kafka.request.logger\nlogger.request.level = DEBUG\n' >>"$dir/log4j2.properties"
  fi
}

pid_alive() { [[ -f "$1/kafka.pid" ]] && kill -0 "$(cat "$1/kafka.pid")" 2>/dev/null; }

start() {
  local dir='' port='' cport='' heap=768m request_log='' gc=${KAFKA_GC_FLAGS:-$default_gc}
  while [[ $# -gt 0 ]]; do
    case $1 in
      --dir) dir=$2; shift 2 ;;
      --port) port=$2; shift 2 ;;
      --controller-port) cport=$2; shift 2 ;;
      --heap) heap=$2; shift 2 ;;
      --request-log) request_log=1; shift ;;
      --gc) gc=$2; shift 2 ;;
      *) die "unknown option $1" ;;
    esac
  done
  [[ -n $dir && -n $port ]] || die "start needs --dir and --port"
  cport=${cport:-$((port + 1))}
  mkdir -p "$dir" && dir=$(cd "$dir" && pwd)
  if pid_alive "$dir"; then echo "kafka.sh: already running (pid $(cat "$dir/kafka.pid"))" >&2; return 0; fi
  fetch
  # rewritten at every start: a broker started by an older checkout gets today's settings
  write_config "$dir" "$port" "$cport" "$request_log"
  if [[ ! -f "$dir/data/meta.properties" ]]; then
    local cluster_id
    cluster_id=$(java -cp "$(java_cp)" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1)
    java -cp "$(java_cp)" -Dlog4j2.configurationFile="$dir/log4j2.properties" \
      kafka.tools.StorageTool format -t "$cluster_id" -c "$dir/server.properties" >/dev/null
  fi
  : >"$dir/kafka.log"
  # setsid: the broker outlives the shell that started it and gets its own process group.
  # shellcheck disable=SC2086 # the GC flags are several words
  setsid java -Xms256m -Xmx"$heap" $gc -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$dir/log4j2.properties" -cp "$(java_cp)" \
    kafka.Kafka "$dir/server.properties" >"$dir/stdout.log" 2>&1 </dev/null &
  echo $! >"$dir/kafka.pid"
  local waited=0
  until grep -q "Kafka Server started" "$dir/kafka.log" 2>/dev/null; do
    if ! pid_alive "$dir"; then tail -n 40 "$dir/kafka.log" "$dir/stdout.log" >&2; die "broker exited during start"; fi
    if (( waited >= ready_timeout_sec * 10 )); then die "broker not ready after ${ready_timeout_sec}s (see $dir/kafka.log)"; fi
    sleep 0.1; waited=$((waited + 1))
  done
  echo "kafka.sh: Kafka $kafka_version ready on 127.0.0.1:$port (pid $(cat "$dir/kafka.pid"), ${waited}00 ms)" >&2
}

stop() {
  local dir='' signal=TERM
  while [[ $# -gt 0 ]]; do
    case $1 in
      --dir) dir=$2; shift 2 ;;
      --kill) signal=KILL; shift ;;
      *) die "unknown option $1" ;;
    esac
  done
  [[ -n $dir ]] || die "stop needs --dir"
  pid_alive "$dir" || { rm -f "$dir/kafka.pid"; return 0; }
  local pid; pid=$(cat "$dir/kafka.pid")
  kill -s "$signal" "$pid" 2>/dev/null || true
  for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
  rm -f "$dir/kafka.pid"
}

cmd=${1:-}; shift || true
case $cmd in
  fetch) fetch ;;
  start) start "$@" ;;
  stop) stop "$@" ;;
  kill) stop --kill "$@" ;;
  *) die "usage: kafka.sh fetch|start|stop|kill (see the header)" ;;
esac
