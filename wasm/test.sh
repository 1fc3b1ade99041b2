#!/usr/bin/env bash
# Everything CI does for the browser client: builds it (build.sh), starts the release
# example server on a free port, runs the Node tests (test/*.test.mjs: against that server
# and against a fake one), one short round of the benchmark (bench/, ours alone: that it
# runs, not how fast) and the page check (test/page.sh, headless Chromium), stops the
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
tls_log=$(mktemp)
server=
tls_server=
cleanup() {
    [[ -n $server ]] && kill "$server" 2>/dev/null || true
    [[ -n $tls_server ]] && kill "$tls_server" 2>/dev/null || true
    rm -f "$log" "$tls_log" "$log.pid" "$tls_log.pid"
}
trap cleanup EXIT
# Starts the server with "$@" on a free port (port 0: it says which, "serving
# ws[s]://127.0.0.1:PORT/api/ws", on stderr into $1's log); prints its URL.
start() {
    local out=$1
    shift
    ../target/release/examples/server --listen 127.0.0.1:0 "$@" >/dev/null 2>"$out" &
    echo $! >"$out.pid"
    for _ in $(seq 100); do
        grep -q '^serving ws' "$out" && break
        sleep 0.1
    done
    sed -n 's/^serving \(wss\{0,1\}:[^ ]*\)$/\1/p' "$out"
}
XENTARA_URL=$(start "$log")
server=$(cat "$log.pid")
[[ -n $XENTARA_URL ]] || fail "the example server did not say where it listens: $(cat "$log")"
export XENTARA_URL
echo "example server at $XENTARA_URL (pid $server)"
# The same over TLS, with the test certificate (test/tls: self-signed for 127.0.0.1 and
# localhost, valid to 2126, made for these tests), which Node is told to trust.
XENTARA_WSS_URL=$(start "$tls_log" --cert test/tls/cert.pem --key test/tls/key.pem)
tls_server=$(cat "$tls_log.pid")
[[ -n $XENTARA_WSS_URL ]] || fail "the wss example server did not start: $(cat "$tls_log")"
export XENTARA_WSS_URL
export NODE_EXTRA_CA_CERTS="$PWD/test/tls/cert.pem"
echo "example server at $XENTARA_WSS_URL (pid $tls_server)"

step "node tests"
(cd test && node --test --test-timeout=60000 --test-reporter=spec client.test.mjs malformed.test.mjs wss.test.mjs) \
    || fail "the Node tests failed (see above)"

step "benchmark, one short round of ours (bench/; no time is asserted)"
node bench/run.mjs --quick 2>/dev/null || fail "the benchmark failed"

step "page check (headless Chromium)"
bash test/page.sh || fail "the page check failed"

step "done"
