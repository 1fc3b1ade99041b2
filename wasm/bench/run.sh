#!/usr/bin/env bash
# Builds the browser client (build.sh) and runs the benchmark against the vendor's module:
# ours and theirs through the same API on a fake WebSocket, side by side (bench/run.mjs).
#
#   bash wasm/bench/run.sh VENDOR_DIR [--rounds N] [--cases a,b,c]
#
# VENDOR_DIR: the vendor's xentara-client.js and xentara-client.wasm (the public
# repository xentara/xentara-sample-web-ui, mvp-ui-main/assets/); never committed here.
set -euo pipefail
cd "$(dirname "$0")/.."
bash build.sh >/dev/null || { echo "wasm/bench/run.sh: the build failed (run bash wasm/build.sh)" >&2; exit 1; }
exec node bench/run.mjs "$@"
