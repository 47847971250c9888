#!/usr/bin/env bash
# The README's first command (`npm start`): installs dependencies when missing, builds the dashboard when its
# sources are newer than the build, then runs the collector, the ID service, the demo services and traffic.
# Flags are passed through to scripts/run-all.ts (e.g. `npm start -- --real-backends`).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# shellcheck source=node-runtime.sh
source scripts/node-runtime.sh
if [ ! -f dashboard/dist/index.html ] || [ -n "$(find dashboard/src dashboard/index.html -newer dashboard/dist/index.html -print -quit 2>/dev/null)" ]; then
  echo "[phosphor] building the dashboard"
  npm run --silent build -w dashboard >/dev/null
fi
exec node --import tsx scripts/run-all.ts "$@"
