#!/usr/bin/env bash
# Install what the multi-instance tests (tests/scale) need besides PostgreSQL and Redis
# (scripts/with-postgres.sh and scripts/with-redis.sh install those): Debian's nginx.
set -euo pipefail
if command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]; then
  exit 0
fi
echo "install-scale-deps: installing nginx (Debian package nginx-light)" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq nginx-light >&2
