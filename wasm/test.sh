#!/usr/bin/env bash
# Everything CI does for the browser client: builds it (build.sh), starts the release
# example server on a free port, runs the Node tests (test/*.test.mjs: against that server
# and against a fake one) and the page check (test/page.sh, headless Chromium), stops the
# server. Exits non-zero on any failure, with a one-line reason.
#
#   bash wasm/test.sh
set -euo pipefail
cd "$(dirname "$0")"

step() { printf '\n== wasm: %s (%ss)\n' "$*" "$SECONDS"; }
fail() { echo "wasm/test.sh: $*" >&2; exit 1; }

bash build.sh || fail "the build failed"

step "npm ci (test/: ws)"
(cd test && npm ci --silent --no-audit --no-fund) || fail "npm ci in wasm/test failed"

step "the example server (release)"
(cd .. && cargo build --release --quiet --example server) || fail "cargo build --release --example server failed"
log=$(mktemp)
server=
cleanup() {
    [[ -n $server ]] && kill "$server" 2>/dev/null || true
    rm -f "$log"
}
trap cleanup EXIT
# Port 0: the server binds a free port and says which ("serving ws://127.0.0.1:PORT/api/ws").
../target/release/examples/server --listen 127.0.0.1:0 2>"$log" &
server=$!
for _ in $(seq 100); do
    grep -q '^serving ws://' "$log" && break
    kill -0 "$server" 2>/dev/null || fail "the example server exited: $(cat "$log")"
    sleep 0.1
done
XENTARA_URL=$(sed -n 's/^serving \(ws:[^ ]*\)$/\1/p' "$log")
[[ -n $XENTARA_URL ]] || fail "the example server did not say where it listens: $(cat "$log")"
export XENTARA_URL
echo "example server at $XENTARA_URL (pid $server)"

step "node tests"
(cd test && node --test --test-timeout=60000 --test-reporter=spec client.test.mjs malformed.test.mjs) \
    || fail "the Node tests failed (see above)"

step "page check (headless Chromium)"
bash test/page.sh || fail "the page check failed"

step "done"
