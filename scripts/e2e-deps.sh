#!/usr/bin/env bash
# Installs what the browser tests (tests/e2e) need beyond scripts/install-deps.sh (which
# installs Debian's chromium): Node.js with npm (Debian's, when no node/npm is on the PATH)
# and playwright-core at the version pinned in tests/e2e/package-lock.json (npm ci; it drives
# /usr/bin/chromium and downloads no browser). Idempotent and quiet: does nothing when the
# pinned version is already in tests/e2e/node_modules.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=tests/e2e

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  echo "e2e-deps: installing nodejs npm" >&2
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq >/dev/null
  $SUDO apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi

version() {  # the "version" field of a JSON file at a path (empty when absent)
  node -e 'try { const j = require(process.argv[1]); const p = process.argv[2];
             console.log((p ? j.packages[p] : j).version || "") } catch { console.log("") }' "$@"
}
want=$(version "./$dir/package-lock.json" node_modules/playwright-core)
have=$(version "./$dir/node_modules/playwright-core/package.json")
if [ -n "$want" ] && [ "$want" = "$have" ]; then
  exit 0
fi
echo "e2e-deps: npm ci in $dir (playwright-core $want)" >&2
(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
