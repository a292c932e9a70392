#!/usr/bin/env bash
# Run a command with a throwaway PostgreSQL server on loopback, exported as TEST_POSTGRES_URL.
# Installs Debian's postgresql package when no server binaries are present (needs root/apt).
# Usage: scripts/with-postgres.sh make test
set -euo pipefail

find_pg_bin() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -n "$dir" ] && [ -x "$dir/pg_ctl" ]; then echo "$dir"; fi
}

PG_BIN=$(find_pg_bin)
if [ -z "$PG_BIN" ]; then
  echo "with-postgres: installing PostgreSQL (Debian package postgresql)" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
  PG_BIN=$(find_pg_bin)
fi

PORT=${PG_TEST_PORT:-55432}
WORK=$(mktemp -d /tmp/gw-pg.XXXXXX)
RUN_AS=()
if [ "$(id -u)" = "0" ]; then
  chown postgres:postgres "$WORK"
  RUN_AS=(runuser -u postgres --)
fi

cleanup() {
  "${RUN_AS[@]}" "$PG_BIN/pg_ctl" -D "$WORK/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

"${RUN_AS[@]}" "$PG_BIN/initdb" -D "$WORK/data" -U postgres -A trust -E UTF8 >/dev/null

# $WORK/pgctl stop|start: the reliability suite (tests/reliability) stops and starts this server
# during load to check the gateway rides out a database restart.
cat > "$WORK/pgctl" <<CTL
#!/usr/bin/env bash
set -euo pipefail
case "\$1" in
  stop) exec ${RUN_AS[*]} "$PG_BIN/pg_ctl" -D "$WORK/data" -m fast -w stop ;;
  start) exec ${RUN_AS[*]} "$PG_BIN/pg_ctl" -D "$WORK/data" -l "$WORK/server.log" -w -t 60 \\
    -o "-c listen_addresses=127.0.0.1 -p $PORT -k $WORK -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \\
    start ;;
  *) echo "usage: pgctl stop|start" >&2; exit 2 ;;
esac
CTL
chmod 755 "$WORK/pgctl"
"$WORK/pgctl" start >/dev/null

export TEST_POSTGRES_URL="postgresql://postgres@127.0.0.1:$PORT/postgres"
export TEST_POSTGRES_CTL="$WORK/pgctl"
echo "with-postgres: PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') at $TEST_POSTGRES_URL" >&2
"$@"
