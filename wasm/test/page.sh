#!/usr/bin/env bash
# The page check: opens demo/index.html in headless Chromium (Debian's `chromium`,
# installed when missing) against the example server at XENTARA_URL, and checks that the
# DOM it dumps shows Data Point 1's value changing (at least two different values).
#
#   XENTARA_URL=ws://127.0.0.1:8080/api/ws bash wasm/test/page.sh
set -euo pipefail
cd "$(dirname "$0")/.."

fail() { echo "page check: $*" >&2; exit 1; }
[[ -n ${XENTARA_URL:-} ]] || fail "XENTARA_URL is not set (the example server's ws:// address)"
[[ -f pkg/xentara-client.js ]] || fail "no wasm/pkg: run wasm/build.sh first"
if ! command -v chromium >/dev/null; then
    echo "installing chromium"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null \
        || fail "apt-get install chromium failed"
fi

tmp=$(mktemp -d)
server=
cleanup() {
    [[ -n $server ]] && kill "$server" 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT

# The page loads ES modules, so it needs http://, not file://.
node test/serve.mjs 0 >"$tmp/serve.log" 2>&1 &
server=$!
for _ in $(seq 50); do
    grep -q '^serving ' "$tmp/serve.log" && break
    kill -0 "$server" 2>/dev/null || fail "the static server did not start: $(cat "$tmp/serve.log")"
    sleep 0.1
done
base=$(sed -n 's/^serving \(http:[^ ]*\)$/\1/p' "$tmp/serve.log")
[[ -n $base ]] || fail "the static server did not say where it listens"

# hold=2000: the page delays its load event by 2 s, so --dump-dom dumps after 2 s of events.
page="${base}demo/index.html?url=$(node -p 'encodeURIComponent(process.argv[1])' "$XENTARA_URL")&hold=2000"
timeout 60 chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
    --disable-component-update --disable-sync --no-first-run --user-data-dir="$tmp/profile" \
    --dump-dom "$page" >"$tmp/dom.html" 2>"$tmp/chromium.log" \
    || fail "chromium failed (exit $?): $(tail -n 3 "$tmp/chromium.log" | tr '\n' ' ')"

status=$(sed -n 's/.*<span id="status"[^>]*>\([^<]*\)<.*/\1/p' "$tmp/dom.html")
mapfile -t values < <(grep -o '<li class="value">[^<]*</li>' "$tmp/dom.html" | sed 's/<[^>]*>//g')
[[ $status == subscribed ]] || fail "the page says \"${status:-nothing}\", not \"subscribed\""
((${#values[@]} >= 2)) || fail "the page shows ${#values[@]} value(s) of Data Point 1, not two or more: ${values[*]:-none}"
echo "page check: Data Point 1 showed ${#values[@]} different values in headless $(chromium --version 2>/dev/null | cut -d' ' -f1-2): ${values[*]}"
