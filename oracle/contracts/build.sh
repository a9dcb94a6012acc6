#!/usr/bin/env bash
# Recompiles the oracle contracts with the solc version pinned in
# package.json / package-lock.json, writing out/*.json. Needs node ≥ 18 and npm.
set -euo pipefail
cd "$(dirname "$0")"
if [ -f package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
else
  npm install --no-audit --no-fund --loglevel=error
fi
node ../../examples/contracts/build.mjs .
