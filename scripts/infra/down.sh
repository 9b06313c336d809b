#!/usr/bin/env bash
# npm run infra:down - stops what infra:up started (state kept in .cache/infra; --wipe deletes it).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
state=${NOWCAST_INFRA_DIR:-$root/.cache/infra}
bash "$root/scripts/infra/kafka.sh" stop --dir "$state/kafka"
bash "$root/scripts/infra/redis.sh" stop --dir "$state/redis"
if [[ ${1:-} == --wipe ]]; then rm -rf "$state"; echo "infra:down: state wiped"; fi
echo "infra:down: stopped"
