#!/usr/bin/env bash
# Soak: the release example server under 2,000 connections walking continuously for
# MINUTES — the load generator run back to back (each connection: hello, lookup, subscribe,
# a short hold, write, unsubscribe, close; then new connections) — with the server's RSS
# sampled every 10 s. The goal: after the first minute RSS grows at most 5 %, and
# no response is lost.
#
#   bash benches/soak.sh [MINUTES [CONNECTIONS [HOLD_SECONDS]]]   # defaults: 30 2000 5
#
# Progress to stderr (one line per load generator run); the RSS samples (seconds, kB) are
# kept in the file it names. The last stdout line is one JSON object:
#   {"minutes": 30, "runs": …, "connections": …, "responses_lost": 0, "failed_runs": 0,
#    "rss_kb_minute_1": …, "rss_kb_end": …, "rss_growth_pct": …, "server_alive": true}
# Exit status 0 when nothing was lost, every run succeeded and the server is alive.
set -euo pipefail
cd "$(dirname "$0")/.."

minutes=${1:-30}
connections=${2:-2000}
hold=${3:-5}
addr=${ADDR:-127.0.0.1:8090}

cargo build --quiet --release --example server
cargo build --quiet --release -p xentara-ws-cli
target="$(cargo metadata --format-version 1 --no-deps \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

work=$(mktemp -d)
samples="$work/rss.tsv"
server_pid=
sampler_pid=
cleanup() {
    [[ -n $sampler_pid ]] && kill "$sampler_pid" 2>/dev/null || true
    [[ -n $server_pid ]] && kill "$server_pid" 2>/dev/null || true
    wait 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$target/release/examples/server" --listen "$addr" 2>"$work/server.log" &
server_pid=$!
for _ in $(seq 100); do
    grep -q '^serving ws://' "$work/server.log" && break
    sleep 0.1
done
url="$(grep -m1 -o 'ws://[^ ]*' "$work/server.log")" || {
    echo "soak.sh: the server did not start:" >&2
    cat "$work/server.log" >&2
    exit 1
}
echo "soak.sh: server pid $server_pid at $url; RSS samples in $samples" >&2

start=$(date +%s)
(
    while kill -0 "$server_pid" 2>/dev/null; do
        rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$server_pid/status" 2>/dev/null || echo 0)
        echo "$(( $(date +%s) - start )) $rss" >>"$samples"
        sleep 10
    done
) &
sampler_pid=$!

runs=0 failed=0 lost=0 total=0
end=$(( start + minutes * 60 ))
while (( $(date +%s) < end )); do
    line=$("$target/release/xentara-ws" load "$url" --connections "$connections" \
        --seconds "$hold" 2>/dev/null | tail -n 1) || failed=$((failed + 1))
    runs=$((runs + 1))
    read -r expected received < <(python3 -c 'import json,sys
try:
    r = json.loads(sys.argv[1]); print(r["responses_expected"], r["responses_received"])
except Exception:
    print(0, 0)' "$line")
    lost=$((lost + expected - received))
    total=$((total + connections))
    echo "soak.sh: $(( ($(date +%s) - start) / 60 )) min, run $runs: $line" >&2
done

alive=false
kill -0 "$server_pid" 2>/dev/null && alive=true
python3 - "$samples" "$minutes" "$runs" "$total" "$lost" "$failed" "$alive" <<'PY'
import json, sys
path, minutes, runs, total, lost, failed, alive = sys.argv[1:]
samples = [tuple(map(int, l.split())) for l in open(path) if l.strip()]
after = [rss for t, rss in samples if t >= 60] or [samples[-1][1]]
first, last = after[0], samples[-1][1]
print(json.dumps({
    "minutes": int(minutes), "runs": int(runs), "connections": int(total),
    "responses_lost": int(lost), "failed_runs": int(failed),
    "rss_kb_minute_1": first, "rss_kb_end": last, "rss_kb_max": max(r for _, r in samples),
    "rss_growth_pct": round(100.0 * (last - first) / first, 2) if first else None,
    "server_alive": alive == "true",
}))
PY
[[ $lost -eq 0 && $failed -eq 0 && $alive == true ]]
