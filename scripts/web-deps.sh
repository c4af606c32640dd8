#!/usr/bin/env bash
# Installs the web UI's front-end dependencies (uPlot, pinned in web/package-lock.json) into
# web/node_modules, from which CMake embeds them in the binary. Installs Node.js and npm from
# Debian first when they are missing. Idempotent and quiet: does nothing when node_modules is
# newer than the lock file.
set -euo pipefail
web="$(cd "$(dirname "$0")/../web" && pwd)"

if ! command -v npm >/dev/null 2>&1; then
  SUDO=
  [ "$(id -u)" -ne 0 ] && SUDO=sudo
  echo "web-deps: installing nodejs npm" >&2
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq >/dev/null
  $SUDO apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi

stamp="$web/node_modules/.package-lock.json"  # npm writes it on every install
if [ -f "$stamp" ] && [ "$stamp" -nt "$web/package-lock.json" ] &&
   [ -f "$web/node_modules/uplot/dist/uPlot.iife.min.js" ]; then
  exit 0
fi
echo "web-deps: npm ci in web/" >&2
(cd "$web" && npm ci --no-audit --no-fund --silent)
touch "$stamp"
