#!/usr/bin/env bash
# The README's test command (`npm test`) and what .ci/run calls: installs dependencies (and Node.js 24 when the
# machine's node is older), provisions and starts
# the real backends (Elasticsearch 8.19 and secured 9.2, Redis, VictoriaMetrics, Chromium, Kafka), type-checks, builds every package,
# runs every vitest project, prints one plain summary line, and stops the backends it started.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
STATE="$ROOT/.phosphor"
mkdir -p "$STATE"

step() { printf '\n=== %s\n' "$*"; }

step "dependencies and Node.js 24"
# shellcheck source=../../scripts/node-runtime.sh
source scripts/node-runtime.sh

step "backends"
# Stop only what this run started, so a developer's already-running backends stay up.
before=$(bash test/infra/backends.sh status || true)
bash test/infra/backends.sh start
cleanup() {
  if [ "${PHOSPHOR_KEEP_BACKENDS:-0}" != 1 ]; then
    bash test/infra/backends.sh stop-new "$before" || true
  fi
}
trap cleanup EXIT
set -a
# shellcheck disable=SC1091
source "$STATE/backends.env"
set +a

step "typecheck and lint"
npm run --silent typecheck
npm run --silent typecheck -w dashboard
npm run --silent lint

step "build: tsc -b (JavaScript, .d.ts, source maps in each package's dist/), the dashboard, the collector's assets"
npm run --silent build

step "vitest"
rc=0
npx vitest run --reporter=default --reporter=json --outputFile.json="$STATE/vitest-report.json" "$@" || rc=$?

# A plain closing line that any CI reader understands, taken from vitest's own JSON report.
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const skipped = r.numPendingTests + r.numTodoTests;
  console.log(`\nTests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`);
  if (r.numTotalTests === 0) { console.error("no tests ran"); process.exit(1); }
' "$STATE/vitest-report.json" || rc=1
exit "$rc"
