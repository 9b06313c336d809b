#!/usr/bin/env bash
# npm run infra:up - a local Kafka broker on 127.0.0.1:9092 and Redis on 127.0.0.1:6379 for
# development, then the topic bootstrap. Skipped per dependency when KAFKA_BROKERS / REDIS_URL
# point elsewhere, or when something already answers on the port (reused).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
state=${NOWCAST_INFRA_DIR:-$root/.cache/infra}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
is_local() { [[ -z ${1:-} || $1 == *"127.0.0.1:$2"* || $1 == *"localhost:$2"* ]]; }

if ! is_local "${KAFKA_BROKERS:-}" 9092; then
  echo "infra:up: KAFKA_BROKERS=$KAFKA_BROKERS points elsewhere; not starting a broker"
elif port_open 9092; then
  echo "infra:up: something already listens on 127.0.0.1:9092; reusing it"
else
  bash "$root/scripts/infra/kafka.sh" start --dir "$state/kafka" --port 9092 --controller-port 9093
fi

if ! is_local "${REDIS_URL:-}" 6379; then
  echo "infra:up: REDIS_URL=$REDIS_URL points elsewhere; not starting Redis"
elif port_open 6379; then
  echo "infra:up: something already listens on 127.0.0.1:6379; reusing it"
else
  bash "$root/scripts/infra/redis.sh" start --dir "$state/redis" --port 6379
fi

cd "$root" && node -r @swc-node/register scripts/bootstrap-topics.ts
