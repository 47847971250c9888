#!/usr/bin/env bash
# Sourced by the README's two commands (scripts/run-all.sh, test/infra/test-all.sh) from the repository root.
# Installs dependencies when missing or older than the lock file, then makes sure everything after it runs on
# Node.js 24: when the machine's `node` is older, the root devDependency `node` (the npm registry's package that
# ships the Node 24 binary) provides node_modules/.bin/node, which is put first on PATH for this script and
# every child (npm scripts, npx, vitest and its workers, the daemons). Says so in one line.

PHOSPHOR_MIN_NODE_MAJOR=24

phosphor_node_major() { "${1:-node}" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ] || [ ! -x node_modules/.bin/node ]; then
  # `npm install`, not `npm ci`: npm 11 writes only this platform's entries of optional platform packages
  # (e.g. @biomejs/cli-*) into the lock, and `npm ci` then refuses the lock as out of sync. `npm install` still
  # installs the locked versions. --engine-strict=false: npm itself may still be running on an older node here.
  echo "[phosphor] installing dependencies (npm install)"
  npm install --no-audit --no-fund --engine-strict=false
fi

phosphor_machine_node=$(command -v node || true)
# npm scripts already have node_modules/.bin first on PATH; a direct `bash scripts/…` call does not.
case ":$PATH:" in
  *":$PWD/node_modules/.bin:"*) ;;
  *) export PATH="$PWD/node_modules/.bin:$PATH" ;;
esac
if [ "$(phosphor_node_major node)" -lt "$PHOSPHOR_MIN_NODE_MAJOR" ]; then
  echo "[phosphor] error: Node.js >= $PHOSPHOR_MIN_NODE_MAJOR is required and node_modules/.bin/node is missing; run npm install" >&2
  exit 1
fi
# Which node the machine would have used without node_modules/.bin (for the one-line notice).
phosphor_system_node=$(PATH=$(printf '%s' "$PATH" | tr ':' '\n' | grep -v '/node_modules/\.bin$' | paste -sd: -) command -v node || true)
if [ -n "$phosphor_system_node" ] && [ "$(phosphor_node_major "$phosphor_system_node")" -lt "$PHOSPHOR_MIN_NODE_MAJOR" ]; then
  echo "[phosphor] this machine's node is $("$phosphor_system_node" -v) (< $PHOSPHOR_MIN_NODE_MAJOR); using Node $(node -v) from the npm package \`node\` (node_modules/.bin/node)"
fi
unset phosphor_machine_node phosphor_system_node
