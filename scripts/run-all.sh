#!/usr/bin/env bash
# The README's first command (`npm start`): installs dependencies when missing, builds the dashboard when its
# sources are newer than the build, then runs the collector, the ID service, the demo services and traffic.
# Flags are passed through to scripts/run-all.ts (e.g. `npm start -- --real-backends`).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  # `npm install`, not `npm ci`: see test/infra/test-all.sh (npm 11 lock files and optional platform packages).
  echo "[phosphor] installing dependencies (npm install)"
  npm install --no-audit --no-fund
fi
if [ ! -f dashboard/dist/index.html ] || [ -n "$(find dashboard/src dashboard/index.html -newer dashboard/dist/index.html -print -quit 2>/dev/null)" ]; then
  echo "[phosphor] building the dashboard"
  npm run --silent build -w dashboard >/dev/null
fi
exec node --import tsx scripts/run-all.ts "$@"
