#!/usr/bin/env bash
# Builds the local UI (ui/, React + Vite) into OUT_DIR: `npm ci` when ui/node_modules is missing or older than
# package-lock.json, then `vite build`. Called by the build (CMakeLists.txt) whenever a file under ui/ changes.
# Usage: build-ui.sh UI_DIR OUT_DIR
set -euo pipefail
source "$(dirname "$0")/node-env.sh"
quorum_node_env
ui_dir=$1
out_dir=$2
cd "$ui_dir"
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --silent --no-audit --no-fund
fi
npx --no-install vite build --outDir "$out_dir" --emptyOutDir --logLevel warn
