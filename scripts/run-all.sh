#!/usr/bin/env bash
# The README's first command (`npm start`): installs dependencies when missing (and Node.js 24 when the machine's
# node is older), builds the packages (tsc -b) and the dashboard when their sources changed, then runs the
# collector, the ID service, the demo services and traffic, each from its compiled dist/.
# Flags are passed through to scripts/run-all.ts (e.g. `npm start -- --real-backends`).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# shellcheck source=node-runtime.sh
source scripts/node-runtime.sh
# Incremental: tsc -b recompiles only what changed; the dashboard is rebuilt when its sources are newer.
echo "[phosphor] building (tsc -b)"
npm run --silent build:ts
if [ ! -f dashboard/dist/index.html ] || [ -n "$(find dashboard/src dashboard/index.html -newer dashboard/dist/index.html -print -quit 2>/dev/null)" ]; then
  echo "[phosphor] building the dashboard"
  npm run --silent build -w dashboard >/dev/null
fi
node collector/scripts/bundle-assets.mjs
exec node --import tsx scripts/run-all.ts "$@"
