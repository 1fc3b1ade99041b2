#!/usr/bin/env bash
# Load on the example server: starts the release server, runs `xentara-ws load` against
# it, prints the load generator's JSON line and the server's peak RSS (VmHWM), stops the
# server.
#
#   bash benches/load.sh [CONNECTIONS [SECONDS [RAMP]]]     # defaults: 1000 10 50
#   ADDR=127.0.0.1:9000 bash benches/load.sh 2000 10
#   NO_BUILD=1 bash benches/load.sh 100 3                    # use the binaries as built
#   HOSTILE=stall HOSTILE_CONNECTIONS=1000 bash benches/load.sh 5000 10   # beside hostile clients
#
# HOSTILE is one of slowloris, oversize, garbage, stall, churn (loadgen's --hostile), each
# client pausing HOSTILE_PAUSE_MS (default 1000; 0 floods) between attempts;
# SERVER_ARGS are passed to the server (e.g. "--send-timeout 5").
#
# Output (stdout): the JSON object, then `server_vmhwm_kb: N`. Progress lines of the load
# generator go to stderr; the server's log is kept (its path printed) when the run fails,
# or always with KEEP_LOG=1. The exit status is the load generator's (0: every connection completed and
# every response came). Both processes need a file descriptor per connection: the script
# raises `ulimit -n` to 65536 (or the hard limit, if lower) for both — the server and the
# load generator are its children and inherit it — warns when that is short of the
# connection count, and prints the open-file limit, net.core.somaxconn and the ephemeral
# port range to stderr.
set -euo pipefail
cd "$(dirname "$0")/.."

connections=${1:-1000}
seconds=${2:-10}
ramp=${3:-50}
addr=${ADDR:-127.0.0.1:8080}

if [[ -z "${NO_BUILD:-}" ]]; then
    cargo build --quiet --release --example server
    cargo build --quiet --release -p xentara-ws-cli
fi
target="$(cargo metadata --format-version 1 --no-deps \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
server_bin="$target/release/examples/server"
loadgen_bin="$target/release/xentara-ws"

want=65536
hard=$(ulimit -Hn)
if [[ $hard != unlimited && $hard -lt $want ]]; then
    echo "load.sh: hard limit of open files is $hard, not $want; using $hard" >&2
    want=$hard
fi
ulimit -n "$want"
if (( connections + 64 > want )); then
    echo "load.sh: warning: $connections connections need about $((connections + 64)) open files per process; the limit is $want" >&2
fi
# The kernel limits that matter for many loopback connections, for the record.
echo "load.sh: ulimit -n $(ulimit -n) (hard $hard), net.core.somaxconn $(cat /proc/sys/net/core/somaxconn 2>/dev/null || echo '?')," \
    "net.ipv4.ip_local_port_range $(tr '\t' - </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo '?')" >&2

work=$(mktemp -d)
log="$work/server.log"
server_pid=
cleanup() {
    local rc=$?
    if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    if [[ $rc -eq 0 && -z "${KEEP_LOG:-}" ]]; then
        rm -rf "$work"
    else
        echo "load.sh: server log kept in $log" >&2
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# shellcheck disable=SC2086 # SERVER_ARGS is a list of flags
"$server_bin" --listen "$addr" ${SERVER_ARGS:-} 2>"$log" &
server_pid=$!

# Wait for the server's "serving ws://…" line (it prints it once it listens).
for _ in $(seq 100); do
    if grep -q '^serving ws://' "$log"; then
        break
    fi
    if ! kill -0 "$server_pid" 2>/dev/null; then
        echo "load.sh: the server did not start:" >&2
        cat "$log" >&2
        exit 1
    fi
    sleep 0.1
done
if ! grep -q '^serving ws://' "$log"; then
    echo "load.sh: the server is not listening on $addr after 10 s" >&2
    exit 1
fi
url="$(grep -m1 -o 'ws://[^ ]*' "$log")"
echo "load.sh: server pid $server_pid at $url" >&2

status=0
hostile=()
if [[ -n "${HOSTILE:-}" ]]; then
    hostile=(--hostile "$HOSTILE" --hostile-connections "${HOSTILE_CONNECTIONS:-1000}"
        --hostile-pause "${HOSTILE_PAUSE_MS:-1000}")
fi
"$loadgen_bin" load "$url" --connections "$connections" --seconds "$seconds" --ramp "$ramp" \
    --server-pid "$server_pid" "${hostile[@]}" >"$work/loadgen.out" || status=$?

hwm=$(awk '/^VmHWM:/ {print $2}' "/proc/$server_pid/status" 2>/dev/null || true)
if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "load.sh: the server died during the run:" >&2
    tail -5 "$log" >&2
fi
tail -n 1 "$work/loadgen.out"
echo "server_vmhwm_kb: ${hwm:-unknown}"
exit "$status"
