#!/usr/bin/env bash
# Debian's redis-server on a given port, state under a given folder.
#   redis.sh start --dir D --port P     start (daemonized) and wait for PONG
#   redis.sh stop --dir D               shutdown without saving
#   redis.sh kill --dir D               SIGKILL (fault injection)
set -euo pipefail

die() { echo "redis.sh: $*" >&2; exit 1; }
pid_alive() { [[ -f "$1/redis.pid" ]] && kill -0 "$(cat "$1/redis.pid")" 2>/dev/null; }

start() {
  local dir='' port=''
  while [[ $# -gt 0 ]]; do
    case $1 in
      --dir) dir=$2; shift 2 ;;
      --port) port=$2; shift 2 ;;
      *) die "unknown option $1" ;;
    esac
  done
  [[ -n $dir && -n $port ]] || die "start needs --dir and --port"
  command -v redis-server >/dev/null || die "redis-server not found (apt-get install redis-server)"
  mkdir -p "$dir" && dir=$(cd "$dir" && pwd)
  if pid_alive "$dir"; then echo "redis.sh: already running (pid $(cat "$dir/redis.pid"))" >&2; return 0; fi
  # An append-only file so a restart keeps the state (the fault tests delete it to simulate loss).
  redis-server --port "$port" --bind 127.0.0.1 --daemonize yes --dir "$dir" \
    --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" --save '' --appendonly yes \
    --appendfsync everysec --protected-mode no
  for _ in $(seq 1 100); do
    if redis-cli -p "$port" ping 2>/dev/null | grep -q PONG; then
      echo "redis.sh: Redis ready on 127.0.0.1:$port (pid $(cat "$dir/redis.pid"))" >&2
      return 0
    fi
    sleep 0.1
  done
  die "redis not ready on port $port (see $dir/redis.log)"
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
  pid_alive "$dir" || { rm -f "$dir/redis.pid"; return 0; }
  local pid; pid=$(cat "$dir/redis.pid")
  kill -s "$signal" "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
  rm -f "$dir/redis.pid"
}

cmd=${1:-}; shift || true
case $cmd in
  start) start "$@" ;;
  stop) stop "$@" ;;
  kill) stop --kill "$@" ;;
  *) die "usage: redis.sh start|stop|kill (see the header)" ;;
esac
