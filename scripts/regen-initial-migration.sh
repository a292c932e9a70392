#!/usr/bin/env bash
# Rebuild migrations/versions/0001_initial_schema.py from app/db/models.py.
# Only valid while the schema has never been released (a single initial migration).
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
rm -f migrations/versions/0001_initial_schema.py
GATEWAY_DATA_DIR="$tmp" GATEWAY_DATABASE_URL="sqlite:///$tmp/gen.db" GATEWAY_ENCRYPTION_KEYS= \
  .venv/bin/alembic revision --autogenerate -m "initial schema" --rev-id 0001 >/dev/null
.venv/bin/ruff format migrations >/dev/null
echo "regenerated migrations/versions/0001_initial_schema.py"
