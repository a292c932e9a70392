#!/usr/bin/env bash
# Run a command with a throwaway Redis server on loopback, exported as TEST_REDIS_URL.
# Installs Debian's redis-server package when it is missing (needs root/apt).
# $TEST_REDIS_CTL stop|start stops and restarts it (the scale tests ride out a Redis restart).
# Usage: scripts/with-redis.sh make test   (combine: scripts/with-postgres.sh scripts/with-redis.sh ...)
set -euo pipefail

if ! command -v redis-server >/dev/null 2>&1; then
  echo "with-redis: installing Redis (Debian package redis-server)" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq redis-server >&2
fi

PORT=${REDIS_TEST_PORT:-56379}
if redis-cli -p "$PORT" ping >/dev/null 2>&1; then
  # another run's server: using (and at the end stopping) it would mix two runs' state
  echo "with-redis: port $PORT is taken by another Redis; set REDIS_TEST_PORT to a free port" >&2
  exit 1
fi
WORK=$(mktemp -d /tmp/gw-redis.XXXXXX)

cat > "$WORK/redisctl" <<CTL
#!/usr/bin/env bash
set -euo pipefail
case "\$1" in
  stop) redis-cli -p $PORT shutdown nosave >/dev/null 2>&1 || true
        while redis-cli -p $PORT ping >/dev/null 2>&1; do sleep 0.05; done ;;
  start) redis-server --bind 127.0.0.1 --port $PORT --save '' --appendonly no \\
           --daemonize yes --pidfile "$WORK/redis.pid" --logfile "$WORK/redis.log" --dir "$WORK"
         for _ in \$(seq 1 200); do redis-cli -p $PORT ping >/dev/null 2>&1 && exit 0; sleep 0.05; done
         echo "with-redis: Redis did not start (see $WORK/redis.log)" >&2; exit 1 ;;
  *) echo "usage: redisctl stop|start" >&2; exit 2 ;;
esac
CTL
chmod 755 "$WORK/redisctl"

cleanup() {
  "$WORK/redisctl" stop || true
  rm -rf "$WORK"
}
trap cleanup EXIT

"$WORK/redisctl" start
export TEST_REDIS_URL="redis://127.0.0.1:$PORT/0"
export TEST_REDIS_CTL="$WORK/redisctl"
echo "with-redis: Redis $(redis-server --version | awk '{print $3}') at $TEST_REDIS_URL" >&2
"$@"
